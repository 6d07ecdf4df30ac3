"""Planted-PHI benchmark for ``scribestream deid``: real utterances from PriMock57 and ACI-Bench (CC BY 4.0, read
from ../shared/data, never copied here) with synthetic identifiers planted by templates, gold spans known.

Templates and names come in two disjoint splits: ``dev`` (looked at while writing the recognizers) and
``heldout`` (the reported figure: templates, name locales and phrasing never used during development).
The set is rebuilt from a seed into .cache/deid_planted/ (git-ignored).

    .venv/bin/python bench/deid_planted.py --split heldout --n 400 --seeds 8,9,10,11,12
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
OUT = REPO / ".cache" / "deid_planted"

from bench.notegen_primock import read_textgrid

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
ORD = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
       "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
       "twentieth", "twenty-first", "twenty-second", "twenty-third", "twenty-fourth", "twenty-fifth", "twenty-sixth",
       "twenty-seventh", "twenty-eighth"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def spoken_digits(s: str, rng: random.Random) -> str:
    words = [DIGITS[int(c)] if c != "0" or rng.random() < 0.5 else "oh" for c in s if c.isdigit()]
    return " ".join(words)


def carriers(rng: random.Random) -> list[str]:
    out = []
    for path in sorted((DATA / "primock57" / "transcripts").glob("*.TextGrid")):
        out += [u.text for u in read_textgrid(path, speaker="x") if 6 <= len(u.text.split()) <= 30]
    with (DATA / "aci-bench" / "train.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for line in row["dialogue"].splitlines():
                text = re.sub(r"^\[\w+\]\s*", "", line).strip()
                if 6 <= len(text.split()) <= 30:
                    out.append(text)
    rng.shuffle(out)
    return out


def values(fake, rng: random.Random, kind: str) -> tuple[str, str]:
    """(value as planted, its gold type)"""
    if kind == "NAME":
        return (fake.first_name() + (" " + fake.last_name() if rng.random() < 0.6 else "")), "NAME"
    if kind == "DATE":
        m, d, y = rng.randint(1, 12), rng.randint(1, 28), rng.randint(1930, 2024)
        form = rng.randrange(6)
        return [f"{m:02d}/{d:02d}/{y}", f"{MONTHS[m-1]} {d}, {y}", f"{MONTHS[m-1]} {ORD[d]}",
                f"the {ORD[d]} of {MONTHS[m-1]}", f"{d} {MONTHS[m-1][:3]} {y}", f"{y}-{m:02d}-{d:02d}"][form], "DATE"
    if kind == "PHONE":
        n = f"{rng.randint(200, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        form = rng.randrange(4)
        return [f"({n[:3]}) {n[3:6]}-{n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}", spoken_digits(n, rng),
                f"{spoken_digits(n[:3], rng)}, {spoken_digits(n[3:6], rng)}, {spoken_digits(n[6:], rng)}"][form], "PHONE"
    if kind == "ID":
        n = str(rng.randint(10**6, 10**9))
        form = rng.randrange(3)
        return [n, f"{fake.random_uppercase_letter()}{fake.random_uppercase_letter()}-{n}", spoken_digits(n, rng)][form], "ID"
    if kind == "EMAIL":
        return fake.email(), "EMAIL"
    if kind == "ADDRESS":
        return fake.street_address(), "ADDRESS"
    if kind == "AGE":
        return str(rng.randint(90, 104)), "AGE"
    if kind == "SSN":
        return fake.ssn(), "SSN"
    if kind == "URL":
        return "www." + fake.domain_name() + "/" + fake.uri_path(deep=1), "URL"
    raise ValueError(kind)


# Each template: (identifier kind, text with {v}); AGE templates include the unit in the gold span via {v} suffix.
TEMPLATES = {
    "dev": [
        ("NAME", "My name is {v}."), ("NAME", "This is Dr. {v} speaking."), ("NAME", "I spoke to {v} yesterday."),
        ("NAME", "{v} called earlier about the results."), ("NAME", "Could you ask {v} to come in?"),
        ("NAME", "Thanks, {v}."), ("NAME", "My son {v} lives nearby."),
        ("NAME", "{v} here, I'm calling about my mother."), ("NAME", "Please tell {v} the results are normal."),
        ("NAME", "Seen with her partner {v} today."), ("NAME", "Dr {v} is covering today."),
        ("NAME", "I'm seeing Professor {v} next week."), ("NAME", "{v}, can you hear me?"),
        ("DATE", "I was born on {v}."), ("DATE", "The last appointment was {v}."),
        ("PHONE", "You can call me on {v}."), ("PHONE", "My mobile number is {v}."),
        ("ID", "My MRN is {v}."), ("ID", "The account number is {v}."),
        ("EMAIL", "Email me at {v}."), ("ADDRESS", "I live at {v}."), ("AGE", "She is {v} years old."),
        ("SSN", "My social security number is {v}."), ("URL", "Go to {v} for the forms."),
    ],
    "heldout": [
        ("NAME", "Hi, I'm {v}, nice to meet you."), ("NAME", "Mrs. {v} will see you next."),
        ("NAME", "My daughter {v} drives me here."), ("NAME", "Is it {v}?"), ("NAME", "{v} is my husband."),
        ("DATE", "My date of birth is {v}."), ("DATE", "We did the scan on {v}."),
        ("DATE", "Come back on {v} please."), ("DATE", "It started around {v}."),
        ("PHONE", "The best number to reach me is {v}."), ("PHONE", "Ring my cell, it's {v}."),
        ("PHONE", "Her contact number {v} is on file."),
        ("ID", "Medical record number {v}."), ("ID", "Your member ID is {v}, okay?"),
        ("ID", "The insurance policy number is {v}."),
        ("EMAIL", "Send it to {v} please."), ("ADDRESS", "We moved to {v} last year."),
        ("AGE", "My grandmother is {v} years old."), ("SSN", "SSN {v}."), ("URL", "The portal is {v}."),
    ],
}
# A second development split (round 6): new name phrasings and name locales disjoint from both splits above, to
# check that a change generalises beyond the phrasing of ``dev`` before held-out is run. Other types reuse dev's.
TEMPLATES["dev2"] = [
    ("NAME", "Can I speak with {v}, please?"), ("NAME", "{v} will drive me home."),
    ("NAME", "Yes, {v} is my next of kin."), ("NAME", "The referral came from {v}."),
    ("NAME", "I'm here with my wife {v}."), ("NAME", "Good morning {v}, how are you feeling?"),
    ("NAME", "{v} said it was fine."), ("NAME", "Was that {v} on the phone?"),
    ("NAME", "Okay {v}, let's take a look."), ("NAME", "My GP is {v}."),
] + [t for t in TEMPLATES["dev"] if t[0] != "NAME"]
LOCALES = {"dev": ["en_US", "en_AU", "de_DE", "fr_FR", "it_IT", "pt_BR", "en_CA", "pl_PL", "nl_NL", "sv_SE", "tr_TR"],
           "heldout": ["en_GB", "en_IN", "en_IE", "es_MX", "en_NZ"],
           "dev2": ["cs_CZ", "da_DK", "fi_FI", "hu_HU", "ro_RO", "hr_HR", "id_ID", "zu_ZA", "yo_NG", "tw_GH", "no_NO",
                    "lt_LT", "en_TH", "en_PK", "pt_PT", "nl_BE"]}


def build(split: str, n: int, seed: int) -> list[dict]:
    from faker import Faker

    rng = random.Random(seed)
    fakes = [Faker(loc) for loc in LOCALES[split]]
    for i, f in enumerate(fakes):
        f.seed_instance(seed + i)
    us = Faker("en_US")
    us.seed_instance(seed)
    texts = carriers(rng)
    rows = []
    for i in range(n):
        kind, template = TEMPLATES[split][i % len(TEMPLATES[split])]
        fake = rng.choice(fakes) if kind == "NAME" else us
        value, gold_type = values(fake, rng, kind)
        planted = template
        lower = rng.random() < 0.3  # ACI-Bench style lower-case transcripts
        carrier = texts[i % len(texts)]
        before = rng.random() < 0.5
        prefix = "" if before else carrier + " "
        head, _, tail = planted.partition("{v}")
        if lower:
            head, value, tail = head.lower(), value.lower(), tail.lower()
        sentence = prefix + head + value + tail + ("" if not before else " " + carrier)
        start = len(prefix) + len(head)
        end = start + len(value) + (len(" years old") if kind == "AGE" and tail.startswith(" years old") else 0)
        rows.append({"id": f"{split}-{i}", "encounter_id": f"bench-{i % 20}", "text": sentence,
                     "gold": [{"type": gold_type, "start": start, "end": end}]})
    return rows


def evaluate(rows: list[dict], *, show_misses: bool = False) -> dict:
    from scribestream.deid import Deidentifier

    deid = Deidentifier(key=b"bench")
    deid.deidentify("warm up", encounter_id="w")
    gold_n, hit_any, hit_type = Counter(), Counter(), Counter()
    pred_n, pred_ok = Counter(), Counter()
    t0, cpu0 = time.perf_counter(), time.process_time()
    for row in rows:
        spans = deid.deidentify(row["text"], encounter_id=row["encounter_id"]).spans
        for g in row["gold"]:
            gold_n[g["type"]] += 1
            over = [s for s in spans if s.start < g["end"] and g["start"] < s.end]
            # full cover: every character of the identifier is inside some replaced span
            covered = all(any(s.start <= c < s.end for s in over) for c in range(g["start"], g["end"]))
            hit_any[g["type"]] += covered
            if show_misses and not covered:
                print(f"MISS {g['type']}: {row['text'][g['start']:g['end']]!r} in {row['text']!r}")
            hit_type[g["type"]] += covered and any(_compatible(s.type.value, g["type"]) for s in over)
        for s in spans:
            pred_n[s.type.value] += 1
            ok = any(s.start < g["end"] and g["start"] < s.end for g in row["gold"])
            pred_ok[s.type.value] += ok
            if show_misses and not ok:
                print(f"EXTRA {s.type.value}: {row['text'][s.start:s.end]!r}")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"gold": gold_n, "covered": hit_any, "typed": hit_type, "pred": pred_n, "pred_ok": pred_ok,
            "seconds": seconds, "cpu": cpu, "n": len(rows)}


def _compatible(pred: str, gold: str) -> bool:
    groups = [{"ADDRESS", "LOCATION", "ZIP"}, {"PHONE", "FAX"}, {"ID", "SSN"}]
    return pred == gold or any(pred in g and gold in g for g in groups)


def raw_counts(n: int, seed: int) -> None:
    from scribestream.deid import Deidentifier

    deid = Deidentifier(key=b"bench")
    texts = carriers(random.Random(seed))[:n]
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(s.type.value for s in deid.deidentify(text, encounter_id="raw").spans)
    words = sum(len(t.split()) for t in texts)
    print(f"raw utterances={len(texts)} words={words} replaced={sum(counts.values())} "
          f"per 1000 words={1000 * sum(counts.values()) / words:.1f}")
    print(" ".join(f"{k}={v}" for k, v in counts.most_common()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["dev", "dev2", "heldout"], default="heldout")
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--seeds", default="8", help="comma list: one set of --n sentences per seed, pooled")
    parser.add_argument("--carriers-only", action="store_true",
                        help="no planting: count what is replaced in --n raw utterances (false-alarm indicator)")
    parser.add_argument("--show-misses", action="store_true",
                        help="print missed identifiers and unplanted replacements (dev splits only: held-out "
                             "misses are never looked at)")
    args = parser.parse_args()
    if args.show_misses and args.split == "heldout":
        parser.error("--show-misses works on the development splits (dev, dev2) only")
    seeds = [int(x) for x in args.seeds.split(",")]
    if args.carriers_only:
        raw_counts(args.n, seeds[0])
        return
    rows = [dict(r, id=f"{r['id']}-s{seed}") for seed in seeds for r in build(args.split, args.n, seed)]
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / f"{args.split}.jsonl").open("w") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in rows)
    r = evaluate(rows, show_misses=args.show_misses)
    print(f"split={args.split} sentences={r['n']} seeds={args.seeds} wall={r['seconds']:.1f}s cpu={r['cpu']:.1f}s")
    print("| type | gold | recall (fully masked) | recall (right type) | predicted | precision |")
    print("|---|---|---|---|---|---|")
    for t in sorted(set(r["gold"]) | set(r["pred"])):
        g, p = r["gold"][t], r["pred"][t]
        rec = f"{r['covered'][t] / g:.3f}" if g else "–"
        rect = f"{r['typed'][t] / g:.3f}" if g else "–"
        prec = f"{r['pred_ok'][t] / p:.3f}" if p else "–"
        print(f"| {t} | {g} | {rec} | {rect} | {p} | {prec} |")
    g, p = sum(r["gold"].values()), sum(r["pred"].values())
    print(f"| all | {g} | {sum(r['covered'].values()) / g:.3f} | {sum(r['typed'].values()) / g:.3f} | {p} | "
          f"{sum(r['pred_ok'].values()) / p:.3f} |")


if __name__ == "__main__":
    main()
