"""Note scoring shared by ``scribestream eval notes`` and the benchmarks: CSV reading, dialogue parsing,
reference-section mapping, and the command on a small CSV written by the test."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scribestream.cli import app
from services.notegen.evaluation import BadCsv, dialogue_turns, read_encounters, reference_sections
from shared.contracts import Role

pytestmark = pytest.mark.unit

DIALOGUE = """[doctor] hi , what brings you in today ?
[patient] i have had a sore throat for three days .
it hurts when i swallow .
[doctor] any fever ?
[patient] no .
[patient_guest] she has been drinking fluids .
[doctor] your temperature is ninety eight point six . your throat is red but your lungs are clear .
[doctor] i think this is a viral sore throat . come back in one week if it is not better ."""

REFERENCE = """CHIEF COMPLAINT

Sore throat.

HISTORY OF PRESENT ILLNESS

The patient reports 3 days of sore throat, painful swallowing. Denies fever.

PHYSICAL EXAM

Throat erythematous. Lungs clear.

VITALS

Temperature: 98.6

ASSESSMENT AND PLAN

Viral pharyngitis. Return in 1 week if not better."""


def test_dialogue_turns_roles_and_continuations():
    turns = dialogue_turns(DIALOGUE)
    assert [t.turn_id for t in turns][:3] == ["t0", "t1", "t2"]
    assert turns[1].speaker == Role.PATIENT and turns[1].text.endswith("it hurts when i swallow .")
    assert turns[4].speaker == Role.OTHER
    assert len(turns) == 7


def test_reference_sections_map_headings_to_soap():
    sections = reference_sections(REFERENCE)
    assert "Sore throat." in sections["subjective"] and "Denies fever" in sections["subjective"]
    assert "Lungs clear" in sections["objective"] and "98.6" in sections["objective"]
    assert sections["assessment_and_plan"].startswith("ASSESSMENT AND PLAN")
    assert "Lungs" not in sections["subjective"] and "Viral" not in sections["objective"]
    split = reference_sections("ASSESSMENT\n\nAsthma.\n\nPLAN\n\nInhaler.\n\nINSTRUCTIONS\n\nCall us.")
    assert all(x in split["assessment_and_plan"] for x in ("Asthma.", "Inhaler.", "Call us."))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_missing_columns_are_named(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [{"encounter_id": "e1", "dialogue": "[doctor] hi"}])
    with pytest.raises(BadCsv, match="dataset, note"):
        read_encounters(path)


def test_eval_notes_command(tmp_path):
    rows = [
        {"dataset": "mini", "encounter_id": "E1", "dialogue": DIALOGUE, "note": REFERENCE},
        {"dataset": "mini", "encounter_id": "E2", "dialogue": "[doctor] can you hear me ?\n[patient] hello ?",
         "note": "CHIEF COMPLAINT\n\nNone."},
    ]
    path = write_csv(tmp_path / "mini.csv", rows)
    out = tmp_path / "notes.csv"
    result = CliRunner().invoke(app, ["eval", "notes", "--aci-csv", str(path), "--out", str(out), "--per-note"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["encounters"] == 2 and report["backend"] == "grounded"
    assert 0 < report["rouge"]["rouge1"] <= 100 and set(report["rouge"]) == {"rouge1", "rouge2", "rougeLsum"}
    assert report["sections"]["objective"]["encounters"] == 1  # E2's reference has no objective section
    assert report["no_note"] == 1  # small talk only: no note, not a made-up visit
    assert 0 < report["supported_share"] <= 1
    assert report["seconds_per_note"]["mean"] > 0
    per_note = {p["encounter_id"]: p for p in report["per_note"]}
    assert per_note["E1"]["full"]["rouge1"] > per_note["E2"]["full"]["rouge1"]
    with out.open(newline="") as f:
        written = list(csv.DictReader(f))
    assert [r["encounter_id"] for r in written] == ["E1", "E2"]
    assert "sore throat" in written[0]["note"].lower() and written[1]["note"] == ""


def test_eval_notes_rejects_unknown_backend(tmp_path):
    path = write_csv(tmp_path / "m.csv", [{"dataset": "d", "encounter_id": "e", "dialogue": DIALOGUE, "note": "x"}])
    result = CliRunner().invoke(app, ["eval", "notes", "--aci-csv", str(path), "--backend", "magic"])
    assert result.exit_code != 0
