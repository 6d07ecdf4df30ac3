"""Grounded writer on real ACI-Bench dialogues (structure, grounding). Skipped where the data is absent.

ACI-Bench: Yim et al. 2023, Nature Scientific Data, CC BY 4.0. Read in place, never copied into the repo.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services.notegen.checker import STOPWORDS, TEMPLATE_WORDS
from services.notegen.domain import draft_note
from services.notegen.evaluation import dialogue_turns
from services.notegen.spoken import stem, words
from shared.contracts import EncounterContext, Turn

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "aci-bench" / "train.csv"
N_DIALOGUES = 5


def aci_turns(dialogue: str) -> list[Turn]:
    return dialogue_turns(dialogue)


def dialogues() -> list[tuple[str, str]]:
    if not DATA.exists():
        return []
    with DATA.open(newline="") as f:
        return [(r["encounter_id"], r["dialogue"]) for r in list(csv.DictReader(f))[:N_DIALOGUES]]


@pytest.mark.skipif(not DATA.exists(), reason="ACI-Bench data folder absent")
@pytest.mark.parametrize(("encounter_id", "dialogue"), dialogues() or [("none", "")])
def test_aci_dialogue_gives_grounded_soap(encounter_id, dialogue):
    turns = aci_turns(dialogue)
    by_id = {t.turn_id: t for t in turns}
    result = draft_note(turns, context=EncounterContext(), encounter_id=encounter_id)
    note = result.note
    assert result.status == "drafted"
    assert note.subjective and note.assessment and note.plan
    assert result.unsupported_statement_ids == []
    for st in note.statements():
        assert st.supported
        assert st.evidence_turn_ids and set(st.evidence_turn_ids) <= by_id.keys()
        # Every word of the statement was said in its cited turns, or is one of the few template words.
        said = {stem(w) for i in st.evidence_turn_ids for w in words(by_id[i].text)}
        extra = [w for w in words(st.text) if w not in STOPWORDS | TEMPLATE_WORDS and stem(w) not in said]
        assert extra == [], (encounter_id, st.statement_id)
