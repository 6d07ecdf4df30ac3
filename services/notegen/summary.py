"""The patient-facing after-visit summary: the final note's checked statements, laid out and reworded by the
``after_visit_summary`` template, each still citing its turns and re-checked by the same grounding checker.

Pure. Only statements the checker found supported in the clinician's note reach the patient: an unverified
claim waits for the clinician, it is not handed to the patient in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.notegen.checker import check_statements
from services.notegen.templates import NoteTemplate, template_for
from shared.contracts import (
    Section,
    SoapNote,
    Statement,
    SummarySection,
    Turn,
    derive_id,
)

SUMMARY_TEMPLATE = "after_visit_summary"


def after_visit_summary(note: SoapNote, turns: Sequence[Turn], *,
                        template: NoteTemplate | None = None) -> list[SummarySection]:
    """Headings with reworded statements; empty for an empty note. A reworded statement that no longer
    checks against its turns (a rewrite changed a number or a negation) is kept but marked unsupported,
    so the sink flags it instead of the patient reading it as fact."""
    template = template or template_for(SUMMARY_TEMPLATE)
    verified = SoapNote(**{s.value: [st for st in getattr(note, s.value) if st.supported] for s in Section})
    sections: list[SummarySection] = []
    for title, statements in template.layout(verified):
        reworded = [
            st.model_copy(update={"statement_id": derive_id(st.statement_id, "avs"), "text": template.plain(st.text)})
            for st in statements
        ]
        sections.append(SummarySection(
            title=title, statements=check_statements(reworded, turns, vocabulary=template.vocabulary)))
    return sections


def summary_statements(sections: Sequence[SummarySection]) -> list[Statement]:
    return [st for section in sections for st in section.statements]
