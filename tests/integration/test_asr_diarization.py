"""Mono mix of the sample visit through the real ASR stage (tiny.en + the bundled d-vector encoder):
turns are split by speaker and carry clinician/patient roles; the speaker state lives in the store."""

from __future__ import annotations

import pytest

from bench.asr_diarization import der, role_accuracy_time, sample_recording, transcribe_mono
from services.asr.diarization import DVectorEmbedder, MonoDiarizer
from services.asr.engine import FasterWhisperTranscriber
from services.asr.stage import AsrStage
from shared.contracts import Role
from shared.state import MemoryStateStore

pytestmark = pytest.mark.integration

# Measured on this sample (bench/asr_diarization.py --set sample): DER 0.13, role accuracy 0.87. Before role
# evidence followed re-clustered pieces the roles came out swapped here (role accuracy 0.20).
# The thresholds leave margin for thread-timing-free but platform-dependent float differences.
MAX_DER = 0.30
MIN_ROLE_ACCURACY = 0.7


async def test_mono_mix_is_diarized_into_both_roles():
    engine = FasterWhisperTranscriber(cpu_threads=2)
    embedder = DVectorEmbedder()
    engine.load()
    embedder.load()
    store = MemoryStateStore()
    stage = AsrStage(state=store, transcriber=engine, model_name=engine.model_name,
                     diarizer=MonoDiarizer(embedder=embedder))  # fmt: skip
    mono, reference = sample_recording()
    turns = await transcribe_mono(mono, stage)

    assert {t.speaker for t in turns} == {Role.CLINICIAN, Role.PATIENT}
    assert [t.seq for t in turns] == list(range(len(turns)))
    assert all(t.start < t.end for t in turns)
    assert all(a.end <= b.start + 0.25 for a, b in zip(turns, turns[1:]))  # ordered, no overlapping turns
    hyp = [(t.start, t.end, t.speaker.value) for t in turns]
    scores = der(reference, hyp)
    roles = role_accuracy_time(reference, hyp)["role_accuracy"]
    print(f"\nmono sample: DER {scores['der']:.3f}, role accuracy {roles:.3f}")
    assert scores["der"] <= MAX_DER
    assert roles >= MIN_ROLE_ACCURACY  # clinician and patient not swapped
    assert turns[0].speaker is Role.CLINICIAN  # the doctor's greeting opens the visit
    assert scores["missed"] < 0.05  # every stretch of speech became part of a turn
