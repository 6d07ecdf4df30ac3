"""Note templates as data files: loading, validation, per-specialty missing elements, rendering layouts."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml
from pydantic import ValidationError

from services.notegen.templates import (
    TEMPLATES,
    NoteTemplate,
    load_templates,
    missing_elements,
    render_text,
    template_for,
)
from shared.contracts import SoapNote, Statement

pytestmark = pytest.mark.unit

TEMPLATE_FILES = sorted(
    e.name for e in resources.files("services.notegen.templates").iterdir() if e.name.endswith(".yaml")
)


def st(text: str, kind: str, index: int) -> Statement:
    return Statement(statement_id=f"s{index}", text=text, evidence_turn_ids=[f"t{index}"], kind=kind)


NOTE = SoapNote(
    subjective=[
        st("Chief complaint: low mood.", "chief_complaint", 0),
        st("Reports poor sleep for about 3 weeks.", "symptom", 1),
        st("Denies thoughts of suicide.", "pertinent_negative", 2),
        st("Takes sertraline 50 mg once a day.", "medication", 3),
    ],
    objective=[st("Blood pressure 120/80.", "vital", 4)],
    assessment=[st("Hypertension is well controlled.", "diagnosis", 5)],
    plan=[
        st("Increase sertraline to 100 mg once a day.", "medication_change", 6),
        st("Follow up in 4 weeks.", "follow_up", 7),
    ],
)


@pytest.mark.parametrize("filename", TEMPLATE_FILES)
def test_every_template_file_loads_and_validates(filename):
    raw = yaml.safe_load(resources.files("services.notegen.templates").joinpath(filename).read_text())
    template = NoteTemplate.model_validate(raw)
    assert f"{template.name}.yaml" == filename
    assert load_templates()[template.name] == template


def test_the_issue_s_templates_are_all_there():
    assert {
        "primary_care", "bh_soap", "dap", "pediatrics", "cardiology", "orthopedics", "dermatology",
        "after_visit_summary",
    } <= set(load_templates())
    assert TEMPLATES["cardiology"][-1] == "follow_up"


def test_a_template_that_would_drop_statements_or_require_unknown_elements_is_rejected():
    base = {"name": "x", "title": "X", "loinc": "11506-3", "sections": [
        {"label": "S", "from": ["subjective"]}, {"label": "O", "from": ["objective"]},
        {"label": "A", "from": ["assessment"]}, {"label": "P", "from": ["plan"]}]}
    NoteTemplate.model_validate(base)
    with pytest.raises(ValidationError):
        NoteTemplate.model_validate({**base, "sections": base["sections"][:3]})  # plan statements nowhere
    with pytest.raises(ValidationError):
        NoteTemplate.model_validate({**base, "required": ["vibes"]})
    with pytest.raises(ValidationError):
        NoteTemplate.model_validate({**base, "combined_assessment_plan": True})


@pytest.mark.parametrize(
    ("specialty", "missing"),
    [
        ("primary_care", ["allergies"]),
        ("General Medicine", ["allergies"]),
        ("cardiology", ["allergies", "cardiovascular_exam"]),
        ("psychiatry", ["allergies"]),
        ("bh_soap", ["allergies"]),
        ("dap", []),
        ("pediatrics", ["allergies", "growth", "immunizations", "exam"]),
        ("orthopedics", ["allergies", "musculoskeletal_exam"]),
        ("dermatology", ["allergies", "skin_exam"]),
        ("no_such_specialty", ["allergies"]),
    ],
)
def test_required_elements_follow_the_specialty(specialty, missing):
    assert missing_elements(NOTE, specialty=specialty) == missing


def test_safety_risk_is_missing_for_behavioral_health_when_never_discussed():
    note = NOTE.model_copy(update={"subjective": [s for s in NOTE.subjective if "suicide" not in s.text]})
    assert "safety_risk" in missing_elements(note, specialty="dap")
    assert "safety_risk" not in missing_elements(note, specialty="primary_care")


def test_unknown_specialty_gets_primary_care():
    assert template_for("podiatry").name == "primary_care" and template_for(None).name == "primary_care"


def body_lines(text: str, labels: set[str]) -> list[str]:
    return [line for line in text.splitlines() if line and line not in labels]


def test_default_rendering_is_unchanged_soap():
    text = render_text(NOTE)
    assert [line for line in text.splitlines() if line.isupper()] == ["SUBJECTIVE", "OBJECTIVE", "ASSESSMENT", "PLAN"]
    assert body_lines(text, {"SUBJECTIVE", "OBJECTIVE", "ASSESSMENT", "PLAN"}) == [s.text for s in NOTE.statements()]


def test_dap_rendering_contains_only_the_note_s_statements():
    text = render_text(NOTE, template="dap")
    assert text.splitlines()[0] == "DATA"
    # Data holds subjective then objective; nothing else besides headings.
    assert body_lines(text, {"DATA", "ASSESSMENT", "PLAN"}) == [s.text for s in NOTE.statements()]
    data = text.split("\n\n")[0].splitlines()[1:]
    assert data == [s.text for s in [*NOTE.subjective, *NOTE.objective]]


def test_combined_assessment_and_plan_heading():
    text = render_text(NOTE, template="orthopedics")
    assert "ASSESSMENT AND PLAN" in text and "\nPLAN\n" not in text
    assert body_lines(text, {"SUBJECTIVE", "OBJECTIVE", "ASSESSMENT AND PLAN"}) == [s.text for s in NOTE.statements()]


def test_after_visit_summary_is_the_same_statements_in_plain_second_person():
    avs = template_for("after_visit_summary")
    text = render_text(NOTE, template="after_visit_summary")
    labels = {s.label for s in avs.sections}
    lines = body_lines(text, labels)
    # One line per statement, each the statement's own text reworded, nothing invented.
    assert sorted(lines) == sorted(avs.plain(s.text) for s in NOTE.statements())
    assert "You told us about poor sleep for about 3 weeks." in lines
    assert "You said you did not have thoughts of suicide." in lines
    assert "High blood pressure (hypertension) is well controlled." in lines
    assert "Come back in 4 weeks." in lines
    assert not any(word in text for word in ("Reports", "Denies", "SUBJECTIVE"))
    # Medication changes are pulled under their own heading, before the other next steps.
    assert text.index("Your medicines") < text.index("Increase sertraline") < text.index("Next steps")


def test_an_empty_note_renders_nothing_in_any_template():
    assert all(render_text(SoapNote(), template=name) == "" for name in load_templates())
