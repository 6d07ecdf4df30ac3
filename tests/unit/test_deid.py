"""De-identification: the rule recognizers and date shifting (pure), the analyzer over the spaCy model on a
small synthetic fixture (written for these tests, no real patient), and the ``scribestream deid`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scribestream.deid import Deidentifier, PhiType, date_offset
from scribestream.deid.anonymize import anonymize
from scribestream.deid.dates import find_dates, shift
from scribestream.deid.patterns import find_ages, find_numbers
from scribestream.deid.spans import Found, resolve_overlaps

pytestmark = pytest.mark.unit
FIXTURE = Path(__file__).parent / "data" / "deid_synthetic.jsonl"


def _shifted(text: str, days: int) -> list[str]:
    return [shift(d, text, days=days) for d in find_dates(text)]


@pytest.mark.parametrize(("text", "days", "expected"), [
    ("seen 03/14/2021", 10, "03/24/2021"),
    ("DOB 2019-12-31", 1, "2020-01-01"),
    ("on 25/12/2020", 7, "01/01/2021"),  # day first: 25 cannot be a month, and stays first
    ("March 3rd, 1952", 30, "April 2nd, 1952"),
    ("the twelfth of May", 20, "the first of June"),
    ("since march third", -3, "february twenty-ninth"),  # year-less dates use a leap year
    ("14 Sept. 2020", 30, "14 Oct. 2020"),
    ("in March 2021", 31, "April 2021"),
    ("the 3rd of jan two thousand and three", 40, "the 12th of feb two thousand and three"),
    ("march twenty first nineteen fifty-two", 365, "march twenty first nineteen fifty-three"),
])
def test_dates_shift_in_their_own_format(text, days, expected):
    assert _shifted(text, days) == [expected]


@pytest.mark.parametrize("text", ["I may go tomorrow", "they march on", "take 2 tablets 3 times a day",
                                  "BP 120/80, sats 98%", "a 10-year history", "12/45/2020"])
def test_not_dates(text):
    assert find_dates(text) == []


@pytest.mark.parametrize(("text", "kind", "covered"), [
    ("call me on five five five, one two three four", PhiType.PHONE, "five five five, one two three four"),
    ("my number is oh seven seven double oh nine hundred one two three", PhiType.PHONE,
     "oh seven seven double oh nine hundred one two three"),
    ("my phone is (415) 555-0132.", PhiType.PHONE, "(415) 555-0132"),
    ("fax it to 212 555 0199", PhiType.FAX, "212 555 0199"),
    ("account number 5551234567", PhiType.ID, "5551234567"),
    ("member ID XJ-4471902", PhiType.ID, "XJ-4471902"),
    ("MRN is A B one two three four five six", PhiType.ID, "A B one two three four five six"),
    ("social is one two three four five six seven eight nine", PhiType.SSN,
     "one two three four five six seven eight nine"),
])
def test_numbers_written_or_spoken(text, kind, covered):
    found = find_numbers(text)
    assert [(f.type, text[f.start:f.end]) for f in found] == [(kind, covered)]


def test_short_numbers_and_measurements_are_not_identifiers():
    assert find_numbers("BP one twenty over eighty, 5 mg twice a day, 3 weeks") == []


@pytest.mark.parametrize(("text", "age"), [("she is 92 years old", "92 years old"), ("a 95-year-old man", "95-year-old"),
                                           ("aged ninety-three", "ninety-three")])
def test_ages_over_89(text, age):
    assert [text[f.start:f.end] for f in find_ages(text)] == [age]


def test_ages_up_to_89_stay():
    assert find_ages("she is 89 years old, he is eighty-nine years old") == []


def test_date_offset_is_keyed_deterministic_and_never_zero():
    a = date_offset(key=b"k1", encounter_id="enc-1")
    assert a == date_offset(key=b"k1", encounter_id="enc-1")
    assert a != 0 and -365 <= a <= 365
    offsets = {date_offset(key=k, encounter_id=e) for k in (b"k1", b"k2") for e in ("enc-1", "enc-2", "enc-3")}
    assert len(offsets) >= 5  # different keys or encounters move dates differently


def test_overlaps_keep_the_surest_and_widen_same_type():
    kept = resolve_overlaps([Found(PhiType.NAME, 0, 5, 0.7), Found(PhiType.NAME, 3, 10, 0.9),
                             Found(PhiType.ID, 8, 12, 0.5), Found(PhiType.DATE, 20, 25, 0.8)])
    assert [(f.type, f.start, f.end) for f in kept] == [(PhiType.NAME, 0, 10), (PhiType.DATE, 20, 25)]


def test_anonymize_replaces_and_reports_original_offsets():
    text = "Dr. Lee saw her on 03/14/2021 at 92 years old."
    found = [Found(PhiType.NAME, 4, 7, 0.9), Found(PhiType.DATE, 19, 29, 0.9), Found(PhiType.AGE, 33, 45, 0.9)]
    clean, spans = anonymize(text, found, offset_days=1)
    assert clean == "Dr. [NAME] saw her on 03/15/2021 at 90 or older."
    assert [(s.start, s.end) for s in spans] == [(4, 7), (19, 29), (33, 45)]


# ------------------------------------------------------------------ with the model (loaded once per session)
@pytest.fixture(scope="session")
def deid() -> Deidentifier:
    d = Deidentifier(key=b"unit-test-key")
    d.deidentify("warm up Dr. Smith", encounter_id="warm")
    return d


def _fixture() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case", _fixture(), ids=lambda c: c["text"][:30])
def test_synthetic_fixture_every_identifier_found_nothing_else(deid, case):
    result = deid.deidentify(case["text"], encounter_id="enc-fixture")
    got = sorted((s.type.value, case["text"][s.start:s.end]) for s in result.spans)
    assert got == sorted((t, v) for t, v in case["phi"])
    for _, value in case["phi"]:
        assert value not in result.text


def test_dates_move_together_within_an_encounter_and_apart_across(deid):
    text = "Admitted 03/01/2022 and discharged 03/05/2022."
    first = deid.deidentify(text, encounter_id="enc-A").text
    again = deid.deidentify(text, encounter_id="enc-A").text
    other = deid.deidentify(text, encounter_id="enc-B").text
    assert first == again and first != other
    import datetime as dt
    import re
    a, b = (dt.datetime.strptime(d, "%m/%d/%Y") for d in re.findall(r"\d\d/\d\d/\d{4}", first))
    assert (b - a).days == 4  # intervals survive the shift


def test_empty_and_blank_text_yield_nothing(deid):
    assert deid.deidentify("", encounter_id="e").spans == []
    assert deid.deidentify("   \n", encounter_id="e").text == "   \n"


# ------------------------------------------------------------------ the command
def _run(args: list[str], env: dict[str, str] | None = None):
    from scribestream.cli import app

    return CliRunner().invoke(app, ["deid", *args], env=env or {"SCRIBESTREAM_DEID_KEY": "cli-test"})


def test_cli_writes_ids_text_and_spans(tmp_path, deid):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "t1", "encounter_id": "enc-9", "speaker_name": "Jane Roe",
                               "text": "Jane Roe, MRN 48213377, seen 01/02/2023."}) + "\n\n"
                   + json.dumps({"encounter_id": "enc-9", "text": "Next visit 01/09/2023."}) + "\n")
    out = tmp_path / "out.jsonl"
    result = _run([str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [set(x) for x in lines] == [{"id", "encounter_id", "text", "spans"}, {"encounter_id", "text", "spans"}]
    assert "Roe" not in out.read_text() and "48213377" not in out.read_text()
    spans = lines[0]["spans"]
    assert {s["type"] for s in spans} == {"NAME", "ID", "DATE"}
    assert all(set(s) == {"type", "start", "end", "replacement"} for s in spans)
    first, second = lines[0]["text"].split()[-1], lines[1]["text"].split()[-1]
    import datetime as dt
    gap = dt.datetime.strptime(second.strip("."), "%m/%d/%Y") - dt.datetime.strptime(first.strip("."), "%m/%d/%Y")
    assert gap.days == 7


def test_cli_bad_json_names_the_line_not_its_text(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "fine"}\n{"text": "Jane Roe 555-0100"\n')
    result = _run([str(src), "--out", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1
    assert "line 2" in result.output and "Jane" not in result.output
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("content", ['["a list"]\n', '{"text": 42}\n', '{"no_text": "x"}\n'])
def test_cli_rejects_lines_without_string_text(tmp_path, content):
    src = tmp_path / "in.jsonl"
    src.write_text(content)
    result = _run([str(src), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1 and "line 1" in result.output


def test_cli_missing_file(tmp_path):
    result = _run([str(tmp_path / "absent.jsonl"), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1 and "not found" in result.output
