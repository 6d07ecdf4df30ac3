"""`scribestream eval coding`: any file of the documented format is scored and its predictions written; a file it
cannot read is one error line naming the line and field (never its text) and exit 1."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from scribestream.cli import app

pytestmark = pytest.mark.unit


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["eval", "coding", *args])


def test_scores_any_file_of_the_format_and_writes_ranked_predictions(tmp_path) -> None:
    data = tmp_path / "notes.jsonl"
    data.write_text("\n".join([
        json.dumps({"id": "a", "text": "Type 2 diabetes with CKD stage 3. Denies chest pain.",
                    "icd10cm": ["E11.22", "N18.30"]}),
        json.dumps({"id": 7, "text": "", "icd10cm": []}),  # an empty visit: an explicit empty result
        json.dumps({"id": "c", "text": "Hypertension."}),  # no gold: coded, not scored
        "",
    ]))
    out = tmp_path / "pred.jsonl"
    result = _run("--data", str(data), "--out", str(out), "--no-learned")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["documents"] == 3 and metrics["documents_with_gold"] == 1 and metrics["invalid_codes"] == 0
    assert metrics["exact"]["recall"] == 1.0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a", 7, "c"]
    assert lines[0]["codes"][:2] == ["E11.22", "N18.30"] and lines[1]["codes"] == [] and lines[2]["codes"] == ["I10"]
    assert not any(code.startswith("R07") for code in lines[0]["codes"])  # denied


@pytest.mark.parametrize(("content", "says"), [
    ('{"id": "a", "text": "Jane Roe has asthma."}\n{"id": "b", "text": "Jane Roe has asthma."\n',
     "line 2: not valid JSON"),
    ('["Jane Roe"]\n', "line 1: expected a JSON object"),
    ('{"id": "a", "text": 5}\n', "line 1: 'text' must be a string"),
    ('{"id": "a", "text": "Jane Roe", "icd10cm": "J45.909"}\n', "line 1: 'icd10cm' must be a list of code strings"),
    ('{"id": {"mrn": "Jane Roe"}, "text": "asthma"}\n', "line 1: 'id' must be a string or a number"),
])
def test_a_bad_line_is_one_error_line_naming_it_not_its_text(tmp_path, content: str, says: str) -> None:
    data = tmp_path / "notes.jsonl"
    data.write_text(content)
    result = _run("--data", str(data), "--no-learned")
    assert result.exit_code == 1
    assert result.output.strip() == f"error: --data {says}"
    assert "Jane" not in result.output and "Traceback" not in result.output


def test_missing_file_and_unknown_mode_are_one_line_errors(tmp_path) -> None:
    missing = _run("--data", str(tmp_path / "absent.jsonl"))
    assert missing.exit_code == 1 and missing.output.strip() == "error: --data file not found: absent.jsonl"
    data = tmp_path / "notes.jsonl"
    data.write_text('{"id": "a", "text": "Asthma."}\n')
    mode = _run("--data", str(data), "--mode", "inpatient")
    assert mode.exit_code == 1 and mode.output.strip() == "error: --mode must be outpatient or all-findings"
