"""The coding stage: soap.draft -> soap.coded. Thin: the rules live in :mod:`services.coding.domain`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.contracts import Event, NoteCoded, NoteDrafted, Topic, derive_id

from services.coding.codeset import CODE_SET_NAME, CodeSet
from services.coding.domain import suggest_codes


class CodingStage:
    name = "coding"
    consumes = Topic.SOAP_DRAFT
    produces = Topic.SOAP_CODED

    def __init__(self, *, codeset: CodeSet, fuzzy: bool = True) -> None:
        self._codeset = codeset
        self._fuzzy = fuzzy

    async def handle(self, event: Event) -> Sequence[Event]:
        if not isinstance(event, NoteDrafted):
            raise TypeError(f"coding stage cannot handle {type(event).__name__}")
        # CPU-bound (and the first call builds the description index): keep the event loop free.
        codes = await asyncio.to_thread(suggest_codes, event, codeset=self._codeset, fuzzy=self._fuzzy)
        return [
            NoteCoded(
                event_id=derive_id(event.event_id, "NoteCoded"),
                encounter_id=event.encounter_id,
                draft=event,
                codes=codes,  # explicitly empty for no_note drafts and notes with nothing codable
                code_set=CODE_SET_NAME,
            )
        ]


def build_coding_stage(*, fuzzy: bool = True, preload: bool = True) -> CodingStage:
    """The stage on the bundled FY2026 code set (used by the embedded run and ``make_stage``)."""
    from services.coding.codeset import SimpleIcd10CmCodeSet
    from services.coding.domain import description_index

    codeset = SimpleIcd10CmCodeSet()
    if preload:
        codeset.load()
        if fuzzy:
            description_index(codeset)
    return CodingStage(codeset=codeset, fuzzy=fuzzy)


async def make_stage(settings, store) -> CodingStage:  # settings: CodingSettings; the store is unused
    return await asyncio.to_thread(build_coding_stage, fuzzy=settings.coding_fuzzy, preload=settings.coding_preload)
