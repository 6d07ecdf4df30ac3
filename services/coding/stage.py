"""The coding stage: soap.draft -> soap.coded. Thin: the rules live in :mod:`services.coding.coder`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.coding.coder import code_note
from services.coding.codeset import CODE_SET_NAME, CodeSet
from services.coding.domain import SUGGEST_MIN_CONFIDENCE, suggest_codes
from services.coding.insurance import RiskModel
from services.coding.learned import AssociationTable
from services.coding.llm_assist import LlmCodeAssist
from services.coding.rerank import Reranker
from shared.contracts import (
    CodeSuggestion,
    Event,
    NoteCoded,
    NoteDrafted,
    Topic,
    derive_id,
)
from shared.llm import LlmSettings, OpenAIChatModel


class CodingStage:
    name = "coding"
    consumes = Topic.SOAP_DRAFT
    produces = Topic.SOAP_CODED

    def __init__(
        self, *, codeset: CodeSet, fuzzy: bool = True, risk_model: RiskModel | None = None,
        learned: AssociationTable | None = None, assist: LlmCodeAssist | None = None, reranker: Reranker | None = None,
    ) -> None:
        self._codeset = codeset
        self._fuzzy = fuzzy
        self._risk_model = risk_model
        self._learned = learned
        self._assist = assist
        self._reranker = reranker

    async def handle(self, event: Event) -> Sequence[Event]:
        if not isinstance(event, NoteDrafted):
            raise TypeError(f"coding stage cannot handle {type(event).__name__}")
        if not event.final:
            return []  # a live draft is for display while the visit streams; only the final note is coded
        # CPU-bound (and the first call builds the description index): keep the event loop free.
        icd = await self._assisted(event) if self._assist is not None else None
        coded = await asyncio.to_thread(code_note, event, codeset=self._codeset, risk_model=self._risk_model, fuzzy=self._fuzzy,
                                        learned=self._learned, icd=icd, reranker=self._reranker)
        return [
            NoteCoded(
                event_id=derive_id(event.event_id, "NoteCoded"),
                encounter_id=event.encounter_id,
                draft=event,
                codes=coded.codes,  # explicitly empty for no_note drafts and notes with nothing codable
                code_set=CODE_SET_NAME,
                risk_score=coded.risk_score,
                place_of_service=coded.place_of_service,
            )
        ]

    async def _assisted(self, event: NoteDrafted) -> list[CodeSuggestion] | None:
        """Every candidate, re-ranked by the LLM assist; then the suggestion cut. Falls back to the rules inside."""
        if self._assist is None or event.status != "drafted":
            return None
        candidates = await asyncio.to_thread(suggest_codes, event, codeset=self._codeset, fuzzy=self._fuzzy,
                                             learned=self._learned, min_confidence=0.0, reranker=self._reranker)
        result = await self._assist.rerank(event, candidates)
        kept = [c for c in result.codes if c.confidence >= SUGGEST_MIN_CONFIDENCE]
        return [c.model_copy(update={"rank": i}) for i, c in enumerate(kept, start=1)]


def build_coding_stage(
    *, fuzzy: bool = True, preload: bool = True, hcc: bool = True, learned: bool = True, llm: LlmSettings | None = None
) -> CodingStage:
    """The stage on the bundled FY2026 code set, CMS-HCC V28 tables and learned association table (used by the
    embedded run and ``make_stage``)."""
    from services.coding.codeset import SimpleIcd10CmCodeSet
    from services.coding.domain import code_words, description_index
    from services.coding.hcc import HccInFhirRiskModel
    from services.coding.semantic import WordLlamaEmbedder

    codeset = SimpleIcd10CmCodeSet()
    risk_model = HccInFhirRiskModel() if hcc else None
    if preload:
        codeset.load()
        if fuzzy:
            description_index(codeset)
        if learned:
            code_words(codeset)  # the neighbour candidates' evidence words (about a second), not on the first note
        if risk_model is not None:
            risk_model.load()
    # The packaged table (votes and neighbour vectors, under 0.5 MB) loads in under half a second: always at start-up.
    table = AssociationTable.load() if learned else None
    # The re-ranker's features include the associations' votes: it comes with them (60 kB of tree nodes), and with
    # the sentence embedding its description-similarity feature reads (16 MB, from the wordllama wheel, 0.2 s).
    embedder = WordLlamaEmbedder()
    if learned and preload:
        embedder.load()
    reranker = Reranker.load(embedder=embedder) if learned else None
    assist = build_assist(llm, codeset) if llm is not None else None
    return CodingStage(codeset=codeset, fuzzy=fuzzy, risk_model=risk_model, learned=table, assist=assist, reranker=reranker)


def build_assist(settings: LlmSettings, codeset: CodeSet) -> LlmCodeAssist:
    # One answer per note, never streamed: the assist validates the whole answer against the code set.
    return LlmCodeAssist(model=OpenAIChatModel.from_settings(settings, stream=False), codeset=codeset)


async def make_stage(settings, store) -> CodingStage:  # settings: CodingSettings; the store is unused
    return await asyncio.to_thread(
        build_coding_stage, fuzzy=settings.coding_fuzzy, preload=settings.coding_preload, hcc=settings.coding_hcc,
        learned=settings.coding_learned, llm=settings if settings.coding_llm else None,
    )
