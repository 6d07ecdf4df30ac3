"""Grounded note writer: the sample visit, no-note outcomes, templates, spoken-number normalization."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.notegen.domain import draft_note
from services.notegen.spoken import normalize_spoken
from services.notegen.templates import render_text
from shared.contracts import EncounterContext, QualityFlag, Role, SoapNote, Statement, Turn

pytestmark = pytest.mark.unit

SCRIPT = Path(__file__).resolve().parents[2] / "samples" / "encounter_script.txt"


def script_turns() -> list[Turn]:
    turns: list[Turn] = []
    for line in SCRIPT.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        role, text = line.split("|", 1)
        i = len(turns)
        turns.append(Turn(turn_id=f"turn-{i}", seq=i, speaker=Role(role), start=i * 6.0, end=i * 6.0 + 5, text=text,
                          confidence=0.9))
    return turns


def make_turns(*lines: tuple[Role, str]) -> list[Turn]:
    return [
        Turn(turn_id=f"t{i}", seq=i, speaker=role, start=float(i), end=i + 0.9, text=text, confidence=0.9)
        for i, (role, text) in enumerate(lines)
    ]


def texts(statements: list[Statement]) -> str:
    return " | ".join(s.text for s in statements)


def kinds(note: SoapNote, kind: str) -> list[Statement]:
    return [s for s in note.statements() if s.kind == kind]


@pytest.fixture(scope="module")
def sample():
    return draft_note(script_turns(), context=EncounterContext(), specialty="primary_care", encounter_id="enc-sample")


def test_sample_visit_has_every_soap_part(sample):
    note = sample.note
    assert sample.status == "drafted"
    assert any("headache" in s.text.lower() for s in kinds(note, "chief_complaint"))
    assert "Reports a bad headache for about 2 weeks." in [s.text for s in note.subjective]
    assert any("Takes lisinopril 10 mg once a day" in s.text for s in kinds(note, "medication"))
    assert any("penicillin" in s.text.lower() for s in kinds(note, "allergy"))
    assert "Denies chest pain and shortness of breath." in [s.text for s in note.subjective]
    objective = texts(note.objective).lower()
    assert "blood pressure 162/98" in objective and "heart rate 78" in objective
    assert "lungs are clear" in objective
    assert "hypertension" in texts(note.assessment).lower()
    plan = texts(note.plan)
    assert "Increase lisinopril to 20 mg once a day." in plan
    assert "basic metabolic panel" in plan
    assert any("2 weeks" in s.text for s in kinds(note, "follow_up"))
    assert sample.missing_elements == []


def test_sample_statements_cite_real_turns_and_pass_the_checker(sample):
    ids = {t.turn_id for t in script_turns()}
    statements = sample.note.statements()
    assert statements
    for st in statements:
        assert st.evidence_turn_ids and set(st.evidence_turn_ids) <= ids
        assert st.supported
    assert sample.unsupported_statement_ids == [] and not sample.needs_review


def test_statements_stay_in_their_speakers_sections(sample):
    speaker = {t.turn_id: t.speaker for t in script_turns()}
    for st in sample.note.objective + sample.note.assessment + sample.note.plan:
        assert Role.CLINICIAN in {speaker[i] for i in st.evidence_turn_ids}


def test_draft_is_deterministic():
    a = draft_note(script_turns(), context=EncounterContext(), encounter_id="enc-1")
    b = draft_note(list(reversed(script_turns())), context=EncounterContext(), encounter_id="enc-1")
    assert a == b
    other = draft_note(script_turns(), context=EncounterContext(), encounter_id="enc-2")
    assert {s.statement_id for s in a.note.statements()}.isdisjoint(s.statement_id for s in other.note.statements())


def test_yes_no_answer_cites_question_and_answer():
    result = draft_note(
        make_turns(
            (Role.PATIENT, "I have had a cough for three days."),
            (Role.CLINICIAN, "Any fever?"),
            (Role.PATIENT, "No."),
            (Role.CLINICIAN, "Any chest pain?"),
            (Role.PATIENT, "Yes."),
        ),
        context=EncounterContext(),
    )
    by_text = {s.text: s for s in result.note.subjective}
    assert by_text["Denies fever."].evidence_turn_ids == ["t1", "t2"]
    assert by_text["Reports chest pain."].evidence_turn_ids == ["t3", "t4"]
    assert all(s.supported for s in result.note.statements())


def test_clinician_questions_alone_are_not_findings():
    result = draft_note(
        make_turns(
            (Role.CLINICIAN, "Any chest pain? Any shortness of breath? Are you taking lisinopril?"),
            (Role.PATIENT, "Good morning."),
        ),
        context=EncounterContext(),
    )
    assert result.status == "no_note" and result.note.statements() == []


@pytest.mark.parametrize(
    "turns",
    [
        [],
        make_turns((Role.CLINICIAN, ""), (Role.PATIENT, "   ")),
        make_turns((Role.CLINICIAN, "Hello?"), (Role.PATIENT, "Hi, can you hear me?")),
        make_turns(
            (Role.CLINICIAN, "Good morning, how are you?"),
            (Role.PATIENT, "Fine thanks. The traffic was terrible today."),
            (Role.CLINICIAN, "It always is on Mondays. Lovely weather though."),
            (Role.PATIENT, "Yes, we went to the beach at the weekend."),
        ),
    ],
    ids=["empty", "silence", "dropped_call", "small_talk"],
)
def test_no_clinical_content_gives_no_note(turns):
    result = draft_note(turns, context=EncounterContext())
    assert result.status == "no_note"
    assert result.note == SoapNote()
    assert result.missing_elements == [] and not result.needs_review


def test_flagged_hallucinations_are_not_used():
    turn = Turn(turn_id="h", seq=0, speaker=Role.PATIENT, start=0, end=2, text="I have had chest pain for two days.",
                confidence=0.2, flags=[QualityFlag.POSSIBLE_HALLUCINATION])
    assert draft_note([turn], context=EncounterContext()).status == "no_note"


def test_missing_elements_follow_the_specialty_template():
    turns = make_turns((Role.PATIENT, "I have had chest pain for two days."))
    primary = draft_note(turns, context=EncounterContext(), specialty="primary_care")
    assert primary.status == "drafted"
    assert primary.missing_elements == ["medications", "allergies", "vitals", "assessment", "plan"]
    cardio = draft_note(turns, context=EncounterContext(), specialty="cardiology")
    assert "cardiovascular_exam" in cardio.missing_elements and "follow_up" in cardio.missing_elements
    # The context's specialty applies when none is passed.
    psych = draft_note(turns, context=EncounterContext(specialty="psychiatry"))
    assert "mental_status" in psych.missing_elements


def test_render_text_has_section_headings(sample):
    text = render_text(sample.note)
    assert text.splitlines()[0] == "SUBJECTIVE"
    assert "PLAN" in text and "Blood pressure 162/98." in text


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("one hundred sixty two over ninety eight", "162/98"),
        ("blood pressure was one eighteen over seventy two", "blood pressure was 118/72"),
        ("lisinopril ten milligrams", "lisinopril 10 mg"),
        ("about six out of ten", "about 6/10"),
        ("ninety eight point six", "98.6"),
        ("one hundred and five", "105"),
        ("the left one", "the left one"),
        ("one tablet", "1 tablet"),
        ("twenty-five milligrams", "25 mg"),
    ],
)
def test_spoken_numbers_become_digits(spoken, written):
    assert normalize_spoken(spoken) == written
