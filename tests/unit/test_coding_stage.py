"""CodingStage: one NoteCoded per NoteDrafted, deterministic id, explicit empty code list."""

from __future__ import annotations

import pytest

from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.stage import CodingStage
from shared.contracts import GeneratorInfo, NoteCoded, NoteDrafted, SoapNote, Statement, Topic, derive_id
from shared.stage import Stage

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def stage() -> CodingStage:
    return CodingStage(codeset=SimpleIcd10CmCodeSet().load())


def _draft(texts: list[str], status: str = "drafted") -> NoteDrafted:
    note = SoapNote(assessment=[Statement(statement_id=f"a{i}", text=t, evidence_turn_ids=[f"t{i}"]) for i, t in enumerate(texts)])
    return NoteDrafted(event_id="draft-7", encounter_id="enc-7", note_version=1, status=status, note=note,
                       generator=GeneratorInfo(backend="grounded"), turns=[])


def test_stage_shape(stage: CodingStage) -> None:
    s: Stage = stage
    assert (s.name, s.consumes, s.produces) == ("coding", Topic.SOAP_DRAFT, Topic.SOAP_CODED)


async def test_draft_becomes_one_coded_note(stage: CodingStage) -> None:
    draft = _draft(["Hypertension, not well controlled."])
    out = await stage.handle(draft)
    assert len(out) == 1 and isinstance(out[0], NoteCoded)
    coded = out[0]
    assert coded.event_id == derive_id("draft-7", "NoteCoded")
    assert coded.encounter_id == "enc-7"
    assert coded.draft == draft
    assert coded.code_set == "ICD-10-CM FY2026"
    assert [c.code for c in coded.codes] == ["I10"]
    assert await stage.handle(draft) == out  # redelivery gives the same event


@pytest.mark.parametrize(("texts", "status"), [(["Hypertension."], "no_note"), (["Denies chest pain."], "drafted"), ([], "drafted")])
async def test_nothing_codable_gives_explicit_empty_list(stage: CodingStage, texts: list[str], status: str) -> None:
    (coded,) = await stage.handle(_draft(texts, status))
    assert isinstance(coded, NoteCoded) and coded.codes == []
