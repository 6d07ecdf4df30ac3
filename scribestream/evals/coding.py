"""``scribestream eval coding``: ICD-10-CM coding accuracy and speed on any JSONL of gold-coded texts.

Input lines: ``{"id", "text", "icd10cm": [gold codes]}`` (``text_en`` is accepted for the CodiEsp files).
Each text is split into sentences that become Assessment statements of a drafted note, then coded by the
service's own domain. Printed JSON: micro precision/recall/F1 on exact codes and on 3-character categories, MAP
as in CodiEsp (per document: sum of precision@k at each gold hit / number of gold codes; mean over documents
with gold codes), top-1 / top-5 accuracy (first code / any of the first five is gold), invalid codes emitted,
and speed (notes per minute, codes per second) on one core.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from scribestream.jsonl import JsonlError, records
from services.coding.codeset import CodeSet
from shared.contracts import (
    CodeSuggestion,
    GeneratorInfo,
    NoteDrafted,
    SoapNote,
    Statement,
)

if TYPE_CHECKING:  # the assist pulls in the OpenAI client: only imported when --llm asks for it
    from services.coding.llm_assist import LlmCodeAssist

# A sentence ends at a line break, or at ". " / "! " before anything but a lowercase word: "H. pylori", "E. coli",
# "vs. metastasis", "i.e. approximately" stay in their sentence. A question keeps its answer ("Any chest pain? Yeah, it
# has been hurting." is a chest pain; the matcher reads the answer), and "? CVA" queries a term.
_SENTENCE = re.compile(r"(?<=[.!])[ \t]+(?![a-z])|\s*\n\s*")
_SAFE_ID = re.compile(r"[^A-Za-z0-9._:\-]")


def norm(code: str) -> str:
    return code.strip().upper().replace(".", "")


def as_draft(doc_id: str, text: str) -> NoteDrafted:
    sentences = [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) > 2]
    statements = [Statement(statement_id=f"s{i}", text=s, evidence_turn_ids=[f"t{i}"], kind="diagnosis")
                  for i, s in enumerate(sentences)]
    safe = _SAFE_ID.sub("-", doc_id)[:128] or "doc"
    return NoteDrafted(event_id=safe[:64], encounter_id=safe, note_version=1, status="drafted",
                       note=SoapNote(assessment=statements), generator=GeneratorInfo(backend="eval"), turns=[])


def _dotted(code: str) -> str:
    code = norm(code)
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def average_precision(ranked: Sequence[str], gold: set[str]) -> float:
    hits, total = 0, 0.0
    for k, code in enumerate(ranked, start=1):
        if code in gold:
            hits += 1
            total += hits / k
    return total / len(gold) if gold else 0.0


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def to_edition(gold: Iterable[str], ranked: Sequence[str], *, billable: Callable[[str], bool]) -> set[str]:
    """Gold codes read in the predictions' edition: a gold code that is no longer billable (CodiEsp's 2018 codes that
    FY2026 subdivided, e.g. R51 -> R51.9, E87.2 -> E87.20) is matched by a prediction that is one of its billable
    descendants (the first such in the ranking). Everything else must match exactly."""
    out: set[str] = set()
    normed = [norm(c) for c in ranked]
    for g in (norm(c) for c in gold):
        if billable(g):
            out.add(g)
            continue
        out.add(next((p for p in normed if p != g and p.startswith(g)), g))
    return out


def score(pairs: Iterable[tuple[Sequence[str], Iterable[str]]]) -> dict[str, object]:
    """(ranked predictions, gold codes) per document -> the metrics. Codes are compared without dots."""
    counts = {"code": [0, 0, 0], "category": [0, 0, 0]}
    aps: list[float] = []
    top1 = top5 = docs = 0
    for predicted, gold_codes in pairs:
        ranked = list(dict.fromkeys(norm(c) for c in predicted))
        gold = {norm(c) for c in gold_codes}
        for level, cut in (("code", None), ("category", 3)):
            g = {c[:cut] for c in gold}
            p = set(c[:cut] for c in ranked)
            counts[level][0] += len(g & p)
            counts[level][1] += len(p)
            counts[level][2] += len(g)
        if gold:
            docs += 1
            aps.append(average_precision(ranked, gold))
            top1 += bool(ranked) and ranked[0] in gold
            top5 += any(c in gold for c in ranked[:5])
    return {
        "documents_with_gold": docs,
        "gold_codes": counts["code"][2],
        "predicted_codes": counts["code"][1],
        "exact": _prf(*counts["code"]),
        "category": _prf(*counts["category"]),
        "map": round(sum(aps) / len(aps), 4) if aps else 0.0,
        "top1_accuracy": round(top1 / docs, 4) if docs else 0.0,
        "top5_accuracy": round(top5 / docs, 4) if docs else 0.0,
    }


def run(
    docs: Sequence[dict], *, mode: str = "outpatient", fuzzy: bool = True, codeset: CodeSet | None = None,
    learned: bool = True, candidates: list[list[str]] | None = None, assist: LlmCodeAssist | None = None,
    rerank: bool = True,
) -> tuple[list[list[str]], dict[str, object]]:
    """Code every document; returns the ranked suggestions and the metrics (with timing).

    P/R/F1 and top-k count the suggestions (confidence >= the service's cut). ``map`` ranks every scored
    candidate, as CodiEsp's MAP ranks a system's whole list; ``map_suggested`` ranks the suggestions only.
    Pass a list as ``candidates`` to receive the full candidate rankings. With ``assist`` the LLM re-ranks each
    note's candidates after the rules (its time is reported separately: ``llm_seconds``)."""
    from services.coding.codeset import CODE_SET_NAME, SimpleIcd10CmCodeSet
    from services.coding.domain import (
        SUGGEST_MIN_CONFIDENCE,
        code_words,
        description_index,
        suggest_codes,
    )
    from services.coding.learned import AssociationTable
    from services.coding.matcher import clear_note_caches
    from services.coding.rerank import Reranker
    from services.coding.semantic import WordLlamaEmbedder

    codeset = codeset if codeset is not None else SimpleIcd10CmCodeSet().load()
    if fuzzy:
        description_index(codeset)  # built once at service start-up; not part of the per-note cost
    table = AssociationTable.load() if learned else None  # loaded once at start-up, like the index
    if learned:
        code_words(codeset)  # the neighbour candidates' evidence words: built at service start-up too
    # Its features include the associations' votes and the description similarity (the embedder loads once here).
    reranker = Reranker.load(embedder=WordLlamaEmbedder().load()) if learned and rerank else None
    clear_note_caches()  # a repeat over the same notes must not find them already read: every pass is a cold one
    predictions: list[list[str]] = []
    drafts: list[NoteDrafted] = []
    scored: list[list[CodeSuggestion]] = []
    ranked_all: list[list[str]] = candidates if candidates is not None else []
    started = time.perf_counter()
    cpu_started = time.process_time()
    for doc in docs:
        text = doc.get("text") or doc.get("text_en") or ""
        draft = as_draft(str(doc.get("id", len(predictions))), text)
        suggestions = sorted(suggest_codes(draft, codeset=codeset, fuzzy=fuzzy, mode=mode, learned=table, min_confidence=0.0,
                                           reranker=reranker),
                             key=lambda s: s.rank)
        drafts.append(draft)
        scored.append(suggestions)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    llm: dict[str, object] = {}
    if assist is not None:
        llm_started = time.perf_counter()
        scored, llm = asyncio.run(_rerank_all(assist, drafts, scored))
        llm["llm_seconds"] = round(time.perf_counter() - llm_started, 3)
    for suggestions in scored:
        ranked_all.append([s.code for s in suggestions])
        predictions.append([s.code for s in suggestions if s.confidence >= SUGGEST_MIN_CONFIDENCE])
    gold_lists = [d.get("icd10cm", []) for d in docs]
    metrics = score(zip(predictions, gold_lists))
    metrics["map_suggested"] = metrics["map"]
    metrics["map"] = score(zip(ranked_all, gold_lists))["map"]
    # Secondary, edition-aware reading (reported beside the strict figures, never instead of them).
    billable = lambda c: codeset.is_billable(_dotted(c))
    edition = score((p, to_edition(g, r, billable=billable)) for p, g, r in zip(predictions, gold_lists, ranked_all))
    metrics["exact_fy2026_gold"] = edition["exact"]
    metrics["map_fy2026_gold"] = score((r, to_edition(g, r, billable=billable)) for g, r in zip(gold_lists, ranked_all))["map"]
    n_codes = sum(len(p) for p in predictions)
    invalid = sum(1 for p in ranked_all for c in p if not codeset.is_billable(c))  # candidates include suggestions
    metrics.update({
        "documents": len(docs),
        "mode": mode,
        "fuzzy": fuzzy,
        "learned": learned,
        "reranked": reranker is not None,
        "candidates_ranked": sum(len(r) for r in ranked_all),
        "code_set": CODE_SET_NAME,
        "invalid_codes": invalid,
        "gold_codes_not_billable_in_code_set": sum(1 for d in docs for c in d.get("icd10cm", []) if not codeset.is_billable(c)),
        **llm,
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "notes_per_minute": round(60 * len(docs) / wall, 1) if wall else 0.0,
        "codes_per_second": round(n_codes / wall, 1) if wall else 0.0,
    })
    return predictions, metrics


async def _rerank_all(
    assist: LlmCodeAssist, drafts: Sequence[NoteDrafted], scored: Sequence[list[CodeSuggestion]]
) -> tuple[list[list[CodeSuggestion]], dict[str, object]]:
    outcomes: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    out: list[list[CodeSuggestion]] = []
    for draft, suggestions in zip(drafts, scored):
        result = await assist.rerank(draft, suggestions)
        outcomes[result.outcome] += 1
        dropped.update(result.dropped)
        out.append(result.codes)
    # "invalid": codes the model returned that are not billable FY2026 codes (dropped, never emitted).
    return out, {"llm_outcomes": dict(outcomes), "llm_codes_dropped": dict(dropped)}


class BadInput(ValueError):
    """A data file the evaluation cannot read: names the line and the field, never quotes the text."""


def load_jsonl(path: Path) -> list[dict]:
    """One ``{"id", "text" (or "text_en"), "icd10cm": [codes]}`` object per line; blank lines skipped. A line
    without text codes as an empty note; one without ``icd10cm`` is coded but not scored."""
    docs = []
    try:
        for number, doc in records(path):
            for key in ("text", "text_en"):
                if doc.get(key) is not None and not isinstance(doc[key], str):
                    raise BadInput(f"--data line {number}: '{key}' must be a string")
            codes = doc.get("icd10cm", [])
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise BadInput(f"--data line {number}: 'icd10cm' must be a list of code strings")
            if doc.get("id") is not None and not isinstance(doc["id"], (str, int)):
                raise BadInput(f"--data line {number}: 'id' must be a string or a number")
            docs.append(doc)
    except JsonlError as err:
        raise BadInput(f"--data {err}") from None
    return docs


def command(
    data: Path = typer.Option(..., "--data", help='JSONL: {"id", "text", "icd10cm": [...]} per line'),
    out: Optional[Path] = typer.Option(None, "--out", help='also write predictions: {"id", "codes": [ranked]} per line'),
    mode: str = typer.Option("outpatient", "--mode", help="outpatient (product rules) or all-findings (inpatient-style: "
                             "every affirmed finding and history item, as coders of case reports do)"),
    fuzzy: bool = typer.Option(True, "--fuzzy/--no-fuzzy", help="also match ICD-10-CM descriptions, not only the lexicon"),
    limit: int = typer.Option(0, "--limit", min=0, help="first N documents only (0 = all)"),
    learned: bool = typer.Option(True, "--learned/--no-learned", help="also use the learned phrase->code associations"),
    rerank: bool = typer.Option(True, "--rerank/--no-rerank", help="re-rank candidates with the packaged "
                                "re-ranker (needs --learned)"),
    llm: bool = typer.Option(False, "--llm/--no-llm", help="let the LLM assist re-rank candidates (server from the "
                             "SCRIBESTREAM_LLM_* settings, as note generation)"),
) -> None:
    """ICD-10-CM coding: exact and category P/R/F1, MAP, top-1/top-5 accuracy, invalid codes, codes per second."""
    try:
        if mode not in ("outpatient", "all-findings"):
            raise BadInput("--mode must be outpatient or all-findings")
        docs = load_jsonl(data)
    except BadInput as err:  # one line, exit 1, as every scribestream command
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    if limit:
        docs = docs[:limit]
    candidates: list[list[str]] = []
    if llm:
        from services.coding.codeset import SimpleIcd10CmCodeSet
        from services.coding.stage import build_assist
        from shared.llm import LlmSettings

        codeset = SimpleIcd10CmCodeSet().load()
        assist = build_assist(LlmSettings(), codeset)
        predictions, metrics = run(docs, mode=mode, fuzzy=fuzzy, learned=learned, candidates=candidates, assist=assist,
                                   codeset=codeset, rerank=rerank)
    else:
        predictions, metrics = run(docs, mode=mode, fuzzy=fuzzy, learned=learned, candidates=candidates, rerank=rerank)
    metrics["data"] = data.name
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            for doc, codes, ranked in zip(docs, predictions, candidates):
                fh.write(json.dumps({"id": doc.get("id"), "codes": codes, "candidates": ranked}) + "\n")
    typer.echo(json.dumps(metrics, indent=2))
