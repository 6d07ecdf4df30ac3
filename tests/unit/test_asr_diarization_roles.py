"""Roles on single-channel audio follow the speaker split as it settles: evidence from a turn counts for
the speaker its audio belongs to *now*, after later re-clustering, and the map locks only once both
speakers have spoken long enough. The mono commit path runs with a fake encoder and a scripted recognizer."""

from __future__ import annotations

import numpy as np
import pytest

from services.asr.diarization import DiarizationConfig, MonoDiarizer, SpeakerState
from services.asr.domain import (
    Cut,
    Segment,
    SegmenterConfig,
    StreamState,
    feed,
    next_cut,
)
from services.asr.roles import RoleConfig, assign_roles, role_evidence
from shared.contracts import SAMPLE_RATE, AudioChunkReceived, Role

pytestmark = pytest.mark.unit
LOW, HIGH = 200.0, 400.0  # the two fake voices


def _pitch(samples: np.ndarray) -> float:
    return float(np.argmax(np.abs(np.fft.rfft(samples))) * SAMPLE_RATE / len(samples))


class PitchEmbedder:
    """Fake encoder: the embedding says whether the voice is below or above 300 Hz."""

    def embed(self, samples: np.ndarray) -> np.ndarray:
        v = np.array([1.0, 0.6 if _pitch(samples) < 300 else -0.6, 0.0, 0.0], dtype=np.float32)
        return v / np.linalg.norm(v)


class ScriptedTranscriber:
    """Fake recognizer: says the next line of the script, whoever speaks."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = list(lines)

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        return [Segment(text=self._lines.pop(0), start=0.0, end=len(samples) / SAMPLE_RATE, avg_logprob=-0.2,
                        no_speech_prob=0.01, compression_ratio=1.2)]  # fmt: skip


def _tone(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _visit(utterances: list[tuple[float, float, str]], *, config: DiarizationConfig) -> tuple[list[Role], SpeakerState]:
    """Each utterance (voice, seconds, words) is followed by a pause long enough to commit it on its own."""
    seg = SegmenterConfig()
    diarizer = MonoDiarizer(embedder=PitchEmbedder(), config=config)
    transcriber = ScriptedTranscriber([words for _, _, words in utterances])
    speakers = SpeakerState()
    roles: list[Role] = []
    state: StreamState | None = None
    buffer = b""
    for freq, seconds, _ in utterances:
        audio = np.concatenate([_tone(freq, seconds), np.zeros(SAMPLE_RATE, dtype=np.float32)])
        pcm = (audio * 32767).astype("<i2").tobytes()
        if state is None:
            state = StreamState.open(AudioChunkReceived(event_id="e-0", encounter_id="enc-r", seq=0, channels=1, pcm=pcm))
        buffer += pcm
        feed(state.lanes[0], pcm, cfg=seg)
        cut = next_cut(state.lanes[0], cfg=seg)
        assert isinstance(cut, Cut)
        turns, buffer = diarizer.commit(state, speakers, channel=0, buffer=buffer, cut=cut,
                                        transcriber=transcriber, cfg=seg)  # fmt: skip
        roles += [t.speaker for t in turns]
    return roles, speakers


def test_evidence_moves_with_a_piece_when_the_speaker_split_settles():
    # The patient's strongly patient-like first answer is heard before there is enough speech of two voices
    # to split them, so it is first filed under speaker 0 with the doctor's opening question. Once both
    # voices have spoken enough, re-clustering moves it to speaker 1 - and its evidence must move with it,
    # or speaker 0 (the doctor) ends up the more patient-like and the roles come out swapped.
    script = [
        (LOW, 1.5, "What brings you in today?"),
        (HIGH, 1.5, "I have had a cough for a week and my chest hurts. I'm worried."),
        (LOW, 2.5, "Okay."),
        (HIGH, 2.5, "Okay."),
        (LOW, 2.5, "Right."),
        (HIGH, 2.5, "Mm."),
    ]
    assert role_evidence(script[1][2]) < -(role_evidence(script[0][2]) + RoleConfig().first_speaker_prior)
    roles, speakers = _visit(script, config=DiarizationConfig(min_speaker_s=2.0, max_piece_s=0))
    assert speakers.labels == [0, 1, 0, 1, 0, 1]  # the split did settle on the voices
    assert roles[-2:] == [Role.CLINICIAN, Role.PATIENT]
    seconds, evidence = speakers.totals()
    assert evidence[0] > 0 > evidence[1] and seconds == pytest.approx([6.5, 6.5], abs=0.3)


def test_roles_do_not_lock_before_both_speakers_have_spoken_enough():
    cfg = RoleConfig(lock_margin=6.0, lock_min_speech_s=30.0)
    roles, locked = assign_roles([8.0, -2.0], seconds=[40.0, 5.0], cfg=cfg)
    assert roles == {0: Role.CLINICIAN, 1: Role.PATIENT} and not locked  # big margin, too little of speaker 1
    _, locked = assign_roles([8.0, -2.0], seconds=[40.0, 31.0], cfg=cfg)
    assert locked
    # Without speech totals (text-only callers) the margin alone decides, as before.
    assert assign_roles([8.0, -2.0], cfg=cfg)[1]


def test_evidence_of_pieces_leaving_the_history_stays_with_their_speaker():
    script = [(LOW if i % 2 == 0 else HIGH, 2.5, "Any pain?" if i % 2 == 0 else "I have pain.") for i in range(8)]
    _, speakers = _visit(script, config=DiarizationConfig(history=4, max_piece_s=0))
    assert len(speakers.labels) == 4 and len(speakers.evidence) == 4
    seconds, evidence = speakers.totals()
    assert seconds == pytest.approx([10.0, 10.0], abs=0.5)
    assert evidence[0] == pytest.approx(4 * role_evidence("Any pain?"))
    assert evidence[1] == pytest.approx(4 * role_evidence("I have pain."))
