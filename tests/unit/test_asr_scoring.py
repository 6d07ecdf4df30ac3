"""Transcript scoring (WER, term and drug-name errors, speaker attribution) and the eval manifest format."""

from __future__ import annotations

import json

import pytest

from scribestream.evals.asr import read_manifest
from services.asr.scoring import canonical_speaker, normalize, score, speaker_words

pytestmark = pytest.mark.unit

DRUGS = ["metformin", "lisinopril"]
MEDICAL = [*DRUGS, "type 2 diabetes", "diabetes", "asthma"]


def run(ref, hyp):
    return score(reference=speaker_words(ref), hypothesis=speaker_words(hyp), medical_terms=MEDICAL,
                 drug_terms=DRUGS)


def test_normalizer_is_whispers_and_drops_reference_markup():
    assert normalize("Dr. Smith: take <UNSURE>Metformin</UNSURE>, okay? <UNIN/>") == "doctor smith take metformin okay"
    assert normalize("colour") == "color"


def test_wer_counts_substitutions_deletions_insertions():
    s = run([(None, "I take metformin for my diabetes")], [(None, "I take met for men for my diabetes today")])
    assert s.ref_words == 6
    assert (s.substitutions, s.deletions, s.insertions) == (1, 0, 3)
    assert s.wer == pytest.approx(s.errors / 6)


def test_term_errors_count_each_reference_occurrence_once():
    s = run([(None, "metformin and lisinopril for type 2 diabetes")],
            [(None, "met for men and lisinopril for type 2 diabetes")])
    assert (s.drugs.total, s.drugs.wrong, s.drugs.inserted) == (2, 1, 0)
    # "type 2 diabetes" is one medical term, not two.
    assert (s.medical.total, s.medical.wrong) == (3, 1)


def test_a_drug_that_was_not_said_is_an_insertion():
    s = run([(None, "I met four men yesterday")], [(None, "I metformin yesterday")])
    assert s.drugs.total == 0
    assert s.drugs.inserted == 1
    assert s.drugs.error_rate is None


def test_speaker_attribution_on_correctly_recognized_words():
    ref = [("clinician", "how are you"), ("patient", "fine thanks")]
    hyp = [("clinician", "how are you"), ("clinician", "fine"), ("patient", "thanks")]
    s = run(ref, hyp)
    assert (s.speaker_matched, s.speaker_right) == (5, 4)
    unknown = run(ref, [(None, "how are you fine thanks")])
    assert unknown.speaker_matched == 0


def test_empty_hypothesis_is_all_deletions():
    s = run([(None, "take metformin")], [])
    assert s.wer == 1.0 and s.drugs.wrong == 1


def test_manifest_accepts_text_or_turns_and_relative_paths(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"")
    lines = [
        {"audio": "a.wav", "reference": "plain text"},
        {"audio": "a.wav", "reference": [{"speaker": "D", "text": "hi"}, {"speaker": "P", "text": "hello"}],
         "channels": ["clinician", "patient"]},
    ]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    first, second = read_manifest(manifest)
    assert first.audio == tmp_path / "a.wav" and first.turns == [(None, "plain text")]
    assert second.turns == [("clinician", "hi"), ("patient", "hello")]
    assert second.roles == {0: "clinician", 1: "patient"}
    assert canonical_speaker("Doctor") == "clinician" and canonical_speaker("P") == "patient"


def test_spelling_variants_are_merged_unless_asked_not_to():
    assert normalize("OK, alright, uhm, fine") == "okay all right fine"
    assert normalize("OK, alright", variants=False) == "ok alright"
