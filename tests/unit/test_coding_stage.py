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
    # The diagnosis, then the E/M level (one chronic illness with exacerbation -> moderate problems, but data and
    # risk are minimal: two of three elements decide, so straightforward; established when not stated).
    assert [(c.code, c.category) for c in coded.codes] == [("I10", "diagnosis"), ("99212", "em_level")]
    assert coded.codes[0].tags == ["chronic"] and coded.risk_score is None and coded.place_of_service is None
    assert await stage.handle(draft) == out  # redelivery gives the same event


@pytest.mark.parametrize(("texts", "status"), [(["Hypertension."], "no_note"), (["Denies chest pain."], "drafted"), ([], "drafted")])
async def test_nothing_codable_gives_explicit_empty_list(stage: CodingStage, texts: list[str], status: str) -> None:
    (coded,) = await stage.handle(_draft(texts, status))
    assert isinstance(coded, NoteCoded) and coded.codes == []


def test_eval_scoring_follows_codiesp_map() -> None:
    from scribestream.evals.coding import score

    m = score([(["A01.0", "B02", "C03.1"], ["A01.0", "C03.1", "D04"]), ([], ["E05"]), (["F06"], [])])
    # doc 1: AP = (1/1 + 2/3) / 3; doc 2: 0; doc 3 has no gold and is left out of MAP and top-k.
    assert m["map"] == round((1 + 2 / 3) / 3 / 2, 4)
    assert m["exact"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}  # 2 hits of 4 predicted and 4 gold
    assert m["category"]["recall"] == 0.5 and (m["top1_accuracy"], m["top5_accuracy"]) == (0.5, 0.5)


def test_eval_sentences_keep_abbreviated_genus_names_whole() -> None:
    from scribestream.evals.coding import as_draft

    texts = [s.text for s in as_draft("d", "H. pylori gastritis. E. coli sepsis, i.e. bacteremia.\nHepatitis C. Fever.").note.assessment]
    assert texts == ["H. pylori gastritis.", "E. coli sepsis, i.e. bacteremia.", "Hepatitis C.", "Fever."]
