"""The ASR stage with the real bundled tiny.en model: the sample visit, and inputs that must give nothing."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from services.asr.engine import FasterWhisperTranscriber
from services.asr.stage import AsrStage
from shared.audio import Audio, chunk_pcm, load_audio
from shared.contracts import SAMPLE_RATE, AudioChunkReceived, AudioEnded, Role, TranscriptClosed, TurnTranscribed
from shared.state import MemoryStateStore

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "encounter.wav"


@pytest.fixture(scope="module")
def transcriber() -> FasterWhisperTranscriber:
    engine = FasterWhisperTranscriber(cpu_threads=2)
    engine.load()  # once per module: loading is the slow part
    return engine


async def run_stage(audio: Audio, transcriber: FasterWhisperTranscriber, *, roles: dict[int, Role] | None):
    stage = AsrStage(state=MemoryStateStore(), transcriber=transcriber, model_name=transcriber.model_name)
    encounter = f"enc-{uuid.uuid4().hex[:12]}"
    events = []
    count = 0
    for seq, pcm in enumerate(chunk_pcm(audio, ms=200)):
        chunk = AudioChunkReceived(
            event_id=f"{encounter}-{seq}",
            encounter_id=encounter,
            seq=seq,
            channels=audio.channels,
            channel_roles=roles if seq == 0 else None,
            pcm=pcm,
        )
        events += await stage.handle(chunk)
        count += 1
    events += await stage.handle(AudioEnded(event_id=f"{encounter}-end", encounter_id=encounter, chunk_count=count))
    turns = [e.turn for e in events if isinstance(e, TurnTranscribed)]
    closed = [e for e in events if isinstance(e, TranscriptClosed)]
    return turns, closed


def mono(samples: np.ndarray) -> Audio:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    return Audio(pcm=pcm, channels=1)


async def test_sample_encounter_gives_turns_for_both_speakers(transcriber):
    audio = load_audio(SAMPLE)
    started = time.perf_counter()
    turns, closed = await run_stage(audio, transcriber, roles={0: Role.CLINICIAN, 1: Role.PATIENT})
    wall = time.perf_counter() - started
    print(f"\nsample: {audio.seconds:.1f} s audio, {wall:.1f} s wall, real-time factor {wall / audio.seconds:.3f}")

    assert {t.speaker for t in turns} == {Role.CLINICIAN, Role.PATIENT}
    assert all(t.channel == (0 if t.speaker is Role.CLINICIAN else 1) for t in turns)
    text = " ".join(t.text for t in turns).lower()
    for phrase in ("headache", "blood pressure", "hypertension"):
        assert phrase in text
    patient_text = " ".join(t.text for t in turns if t.speaker is Role.PATIENT).lower()
    assert "penicillin" in patient_text
    assert len(closed) == 1 and closed[0].turn_count == len(turns)
    assert closed[0].audio_seconds == pytest.approx(audio.seconds, abs=0.01)
    assert [t.seq for t in turns] == list(range(len(turns)))
    assert all(t.start < t.end for t in turns)


def _tones(seconds: float) -> np.ndarray:
    # A little melody: notes with harmonics, like a ringtone or hold music.
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    notes = np.array([262.0, 330.0, 392.0, 523.0, 440.0, 349.0])
    freq = notes[(t * 3).astype(int) % len(notes)]
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    return 0.3 * np.sin(phase) + 0.1 * np.sin(2 * phase) + 0.05 * np.sin(3 * phase)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: np.zeros(10 * SAMPLE_RATE), id="silence"),
        pytest.param(lambda: np.random.default_rng(7).normal(0, 0.1, 10 * SAMPLE_RATE), id="white-noise"),
        pytest.param(lambda: _tones(10.0), id="tones"),
    ],
)
async def test_non_speech_gives_no_turns(transcriber, make):
    turns, closed = await run_stage(mono(make()), transcriber, roles=None)
    assert turns == []
    assert closed[0].turn_count == 0
