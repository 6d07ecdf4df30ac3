"""The checker must reject statements their cited turns do not support."""

from __future__ import annotations

import pytest

from services.notegen.checker import check_note, check_statement
from shared.contracts import Role, SoapNote, Statement, Turn

pytestmark = pytest.mark.unit

TURNS = {
    t.turn_id: t
    for t in [
        Turn(turn_id="q", seq=0, speaker=Role.CLINICIAN, start=0, end=1, text="Any chest pain?", confidence=0.9),
        Turn(turn_id="a", seq=1, speaker=Role.PATIENT, start=1, end=2, text="No.", confidence=0.9),
        Turn(turn_id="med", seq=2, speaker=Role.PATIENT, start=2, end=3,
             text="I take lisinopril ten milligrams once a day.", confidence=0.9),
        Turn(turn_id="knee", seq=3, speaker=Role.PATIENT, start=3, end=4,
             text="My left knee has been swollen since Monday.", confidence=0.9),
        Turn(turn_id="bp", seq=4, speaker=Role.CLINICIAN, start=4, end=5,
             text="Your blood pressure is one hundred sixty two over ninety eight.", confidence=0.9),
        Turn(turn_id="neg", seq=5, speaker=Role.PATIENT, start=5, end=6,
             text="No fever and no chills.", confidence=0.9),
    ]
}


def check(text: str, *ids: str):
    st = Statement(statement_id="s", text=text, evidence_turn_ids=list(ids))
    return check_statement(st, [TURNS[i] for i in ids])


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Denies chest pain.", ("q", "a")),
        ("Takes lisinopril 10 mg once a day.", ("med",)),
        ("Left knee has been swollen since Monday.", ("knee",)),
        ("Blood pressure 162/98.", ("bp",)),
        ("Denies fever and chills.", ("neg",)),
    ],
)
def test_faithful_statements_pass(text, ids):
    result = check(text, *ids)
    assert result.supported, result.reasons


@pytest.mark.parametrize(
    ("text", "ids", "reason"),
    [
        ("Takes lisinopril 20 mg once a day.", ("med",), "number"),
        ("Takes lisinopril 10 mcg once a day.", ("med",), "dose"),
        ("Takes losartan 10 mg once a day.", ("med",), "drug"),
        ("Takes metoprolol.", ("med",), "drug"),
        ("Reports chest pain.", ("q", "a"), "negation"),
        ("Reports fever and chills.", ("neg",), "negation"),
        ("Right knee has been swollen since Monday.", ("knee",), "laterality"),
        ("Blood pressure 162/96.", ("bp",), "number"),
        ("Reports ankle fracture.", ("knee",), "ungrounded_words"),
        ("Denies chest pain.", (), "no_evidence"),
    ],
)
def test_wrong_statements_are_unsupported(text, ids, reason):
    result = check(text, *ids)
    assert not result.supported
    assert reason in result.reasons


def test_check_note_marks_unsupported_and_unknown_turns():
    good = Statement(statement_id="good", text="Blood pressure 162/98.", evidence_turn_ids=["bp"])
    wrong = Statement(statement_id="wrong", text="Blood pressure 150/90.", evidence_turn_ids=["bp"])
    ghost = Statement(statement_id="ghost", text="Blood pressure 162/98.", evidence_turn_ids=["nope"])
    note, unsupported = check_note(SoapNote(objective=[good, wrong, ghost]), list(TURNS.values()))
    assert unsupported == ["wrong", "ghost"]
    assert [s.supported for s in note.objective] == [True, False, False]


def test_reasons_carry_no_note_text():
    result = check("Takes warfarin 5 mg.", "med")
    assert not result.supported
    assert all("warfarin" not in r and "5" not in r for r in result.reasons)
