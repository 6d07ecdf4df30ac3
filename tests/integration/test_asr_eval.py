"""``scribestream eval asr`` end to end with the real tiny.en model, on a short synthesized two-channel visit,
and the correction step on real decoder output: a drug that was not said never appears."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from scribestream.cli import app
from services.asr.domain import SegmenterConfig, to_float
from services.asr.engine import FasterWhisperTranscriber
from services.asr.vocabulary import default_lexicon
from shared.audio import load_audio

pytestmark = pytest.mark.integration

CLINICIAN = "Are you still taking your metformin every morning?"
PATIENT = "Yes I am, and the lisinopril for my blood pressure."


def speak(text: str, *, voice: str, tmp: Path) -> np.ndarray:
    """espeak-ng speech as float32 mono at 16 kHz (resampled by the project's own audio loader)."""
    wav = tmp / "speech.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    return to_float(load_audio(wav).pcm)


@pytest.fixture(scope="module")
def visit(tmp_path_factory) -> tuple:
    folder = tmp_path_factory.mktemp("asr-eval")
    a, b = speak(CLINICIAN, voice="en-us", tmp=folder), speak(PATIENT, voice="en-gb+f3", tmp=folder)
    gap = np.zeros(8000, dtype=np.float32)
    tail = int((SegmenterConfig.min_pause_s + 0.5) * 16000)  # the patient's pause closes the turn, not the end
    total = len(a) + len(b) + 2 * len(gap) + tail
    stereo = np.zeros((total, 2), dtype=np.float32)
    stereo[len(gap) : len(gap) + len(a), 0] = a
    stereo[2 * len(gap) + len(a) : 2 * len(gap) + len(a) + len(b), 1] = b
    soundfile.write(folder / "visit.wav", stereo, 16000, subtype="PCM_16")
    manifest = folder / "m.jsonl"
    reference = [{"speaker": "D", "text": CLINICIAN}, {"speaker": "P", "text": PATIENT}]
    manifest.write_text(json.dumps({"audio": "visit.wav", "reference": reference,
                                    "channels": ["clinician", "patient"]}) + "\n")
    return manifest, folder


@pytest.mark.parametrize("mode", ["stream", "offline"])
def test_eval_prints_wer_terms_rtf_and_speakers(visit, mode):
    manifest, _ = visit
    result = CliRunner().invoke(app, ["eval", "asr", "--manifest", str(manifest), "--mode", mode])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["files"] == 1 and report["normalizer"].startswith("whisper_normalizer")
    assert 0 <= report["wer"] < 0.5
    assert report["drug_names"]["occurrences"] == 2
    assert report["medical_terms"]["occurrences"] == 2  # the lexicon has "high blood pressure", not "blood pressure"
    assert report["speaker_attribution"] == 1.0
    assert 0 < report["rtf"] < 5
    if mode == "stream":
        assert report["latency_s"]["turns"] >= 2 and "corrections" in report


@pytest.fixture(scope="module")
def engine() -> FasterWhisperTranscriber:
    """Correction alone (no vocabulary prompt)."""
    engine = FasterWhisperTranscriber(cpu_threads=2, vocabulary_prompt=False)
    engine.load()
    return engine


def test_a_misheard_drug_is_corrected(engine, tmp_path):
    segments = engine.transcribe(speak("I take metformin every morning with breakfast.", voice="en-us", tmp=tmp_path))
    assert "metformin" in " ".join(s.text for s in segments).lower()


DRUG = re.compile("|".join(re.escape(d) for d in default_lexicon().drugs), re.IGNORECASE)


@pytest.fixture(scope="module")
def prompted_engine() -> FasterWhisperTranscriber:
    """The service defaults: vocabulary prompt + correction; the prompt-bias guard must hold."""
    engine = FasterWhisperTranscriber(cpu_threads=2)
    engine.load()
    return engine


@pytest.mark.parametrize(
    ("said", "which"),
    [
        ("I met four men at the station yesterday.", "engine"),
        ("I met four men at the station yesterday.", "prompted_engine"),  # prompted: "I metformin atorvastatin"
        # A deliberate near-homophone: the prompted decode writes "Amoxicillin" and the unbiased one stumbles
        # too ("a mark seat seal", word probabilities ~0.1), so the guard cannot overrule it; see the docs.
        ("A moxie sill in the window was broken.", "engine"),
    ],
)
def test_no_drug_is_invented_from_ordinary_speech(said, which, request, tmp_path):
    engine = request.getfixturevalue(which)
    segments = engine.transcribe(speak(said, voice="en-us", tmp=tmp_path))
    text = " ".join(s.text for s in segments)
    assert not DRUG.search(text), text
