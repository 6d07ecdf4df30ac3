"""One drafted note -> everything the coder reviews: ICD-10-CM codes (with tags, CMS-HCC category, rationale and
specificity queries), the CPT E/M level, the risk score and the place of service. Pure: code set and risk model
are injected ports."""

from __future__ import annotations

from dataclasses import dataclass

from services.coding.codeset import CodeSet
from services.coding.domain import suggest_codes
from services.coding.em import Problem, em_level
from services.coding.instructions import additional_code_query, sequence
from services.coding.insurance import HccInfo, RiskModel, RiskScore, tags_for
from services.coding.learned import AssociationTable
from services.coding.lexicon import COMBINATIONS, CONCEPTS
from services.coding.queries import episode_query, specificity_query
from services.coding.rerank import Reranker
from shared.contracts import CodeSuggestion, EncounterContext, NoteDrafted

_CHRONIC_CODES = frozenset(
    {c.code for c in CONCEPTS if c.chronic and c.code}
    | {code for c in CONCEPTS if c.chronic and c.lateral for code in c.lateral if code}
    | {c.code for c in COMBINATIONS}
)
_EPISODE_WORDS = ("initial", "subsequent", "follow up", "follow-up", "sequela", "healing", "first visit")
_WHY = {
    "diagnosis": "Current diagnosis established in the assessment",
    "symptom": "Sign/symptom coded because no diagnosis explains it",
    "history": "Personal history: the condition is no longer present or treated",
    "family_history": "Family history of the condition",
    "status": "Status code reported beside the diagnoses",
}


@dataclass(frozen=True)
class CodedNote:
    codes: list[CodeSuggestion]
    risk_score: float | None = None
    place_of_service: str | None = None


def _rationale(s: CodeSuggestion, *, hcc: HccInfo | None, risk: RiskScore | None) -> str:
    # The domain says how the code was reached (curated term, description match, learned association).
    how = s.rationale or "matched the ICD-10-CM description or inclusion terms"
    parts = [f"{_WHY.get(s.category, 'Documented finding')}; {how}."]
    if hcc is not None:
        part = f"Maps to CMS-HCC V28 {hcc.hcc} ({hcc.label})"
        if risk is not None and hcc.hcc in risk.coefficients:
            part += f", coefficient {risk.coefficients[hcc.hcc]:g}"
        elif risk is not None and hcc.hcc in risk.dropped:
            part += f", superseded by {risk.dropped[hcc.hcc] or 'a higher HCC'} in the hierarchy"
        parts.append(part + ".")
    return " ".join(parts)


def code_note(
    draft: NoteDrafted, *, codeset: CodeSet, risk_model: RiskModel | None = None, fuzzy: bool = True,
    learned: AssociationTable | None = None, icd: list[CodeSuggestion] | None = None, reranker: Reranker | None = None,
) -> CodedNote:
    """A note with nothing codable gives an explicit empty result: no E/M level is guessed for it. ``icd``: the
    ICD-10-CM suggestions when they were already chosen (the LLM assist re-ranks them before enrichment)."""
    if icd is None:
        icd = suggest_codes(draft, codeset=codeset, fuzzy=fuzzy, learned=learned, reranker=reranker)
    if not icd:
        return CodedNote(codes=[])
    icd = sequence(icd, codeset=codeset)  # "code first" / "use additional code" order among the suggestions
    present = [s.code for s in icd]
    context: EncounterContext = draft.context
    hccs = {s.code: (risk_model.hcc_of(s.code) if risk_model is not None else None) for s in icd}
    risk: RiskScore | None = None
    if risk_model is not None and context.patient_age is not None and context.patient_sex in ("female", "male"):
        diagnoses = [s.code for s in icd if s.category in ("diagnosis", "symptom", "history", "status")]
        risk = risk_model.score(diagnoses, age=context.patient_age, sex=context.patient_sex)
    text_of = {st.statement_id: st.text.lower() for st in draft.note.statements()}
    enriched: list[CodeSuggestion] = []
    for s in icd:
        hcc = hccs[s.code]
        query = specificity_query(code=s.code, description=s.display, siblings=codeset.siblings(s.code))
        if query is None and not any(w in text_of.get(i, "") for i in s.evidence_statement_ids for w in _EPISODE_WORDS):
            query = episode_query(code=s.code, description=s.display)
        additional = additional_code_query(s.code, present=present, codeset=codeset)
        if additional is not None:
            query = f"{query} {additional}" if query else additional
        enriched.append(s.model_copy(update={
            "tags": tags_for(code=s.code, description=s.display, category=s.category, chronic_hint=s.code in _CHRONIC_CODES,
                             telehealth=context.telehealth, hcc=hcc),
            "hcc": hcc.hcc if hcc is not None else None,
            "rationale": _rationale(s, hcc=hcc, risk=risk),
            "query": query,
        }))
    problems = [
        Problem(code=s.code, chronic="chronic" in s.tags, statement_ids=tuple(s.evidence_statement_ids))
        for s in enriched if s.category in ("diagnosis", "symptom")
    ]
    em = em_level(note=draft.note, problems=problems, context=context, rank=len(enriched) + 1)
    if em is not None:
        enriched.append(em.suggestion)
    return CodedNote(codes=enriched, risk_score=risk.score if risk is not None else None,
                     place_of_service=em.place_of_service if em is not None else None)
