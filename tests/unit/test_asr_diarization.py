"""Diarization core: pause splitting, online clustering on synthetic embeddings, role evidence and the
stable role map, the DER metric, and the mono commit path with fake encoder and recognizer."""

from __future__ import annotations

import numpy as np
import pytest

from bench.asr_diarization import der, role_accuracy_time, role_accuracy_words
from services.asr.diarization import (
    DiarizationConfig,
    MonoDiarizer,
    SpeakerState,
    assign_speaker,
    cluster_two,
    needs_diarization,
    split_pieces,
)
from services.asr.domain import Cut, Segment, SegmenterConfig, StreamState, feed, next_cut
from services.asr.roles import RoleConfig, assign_roles, role_evidence
from shared.contracts import SAMPLE_RATE, AudioChunkReceived, Role

pytestmark = pytest.mark.unit
CFG = DiarizationConfig()
DIM = 32


def voices(seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    """Two synthetic voices sharing a large common component, like real d-vectors (raw cosine ~0.8)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=DIM)
    a, b = (common * 2.0 + rng.normal(size=DIM) for _ in range(2))
    return a, b, rng


def sample(voice: np.ndarray, rng: np.random.Generator, noise: float = 0.35) -> np.ndarray:
    v = voice / np.linalg.norm(voice) + noise * rng.normal(size=DIM) / np.sqrt(DIM)
    return (v / np.linalg.norm(v)).astype(np.float32)


# ---------------------------------------------------------------- splitting
def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def test_split_pieces_cuts_at_pauses_and_keeps_short_gaps():
    audio = np.concatenate([tone(1.0), silence(0.1), tone(1.0), silence(0.5), tone(1.5)])
    pieces = split_pieces(audio, cfg=DiarizationConfig(max_piece_s=0))
    assert len(pieces) == 2  # the 0.1 s gap is inside a piece, the 0.5 s one separates
    assert pieces[0][0] == 0 and abs(pieces[0][1] / SAMPLE_RATE - 2.1) < 0.03
    assert abs(pieces[1][0] / SAMPLE_RATE - 2.6) < 0.03


def test_long_pieces_are_cut_at_the_quietest_frame_near_each_cut():
    # 4.5 s of speech with a dip at 2.1 s (no pause long enough to split): cut into parts of <= 2 s,
    # the first cut snapped from 1.5 s to the dip only if within reach, the second lands near 3.0 s.
    speech = np.concatenate([tone(1.4), 0.1 * tone(0.1), tone(3.0)])
    pieces = split_pieces(speech, cfg=DiarizationConfig(max_piece_s=2.0, snap_s=0.2))
    assert len(pieces) == 3 and pieces[0][0] == 0 and pieces[-1][1] == len(speech)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))  # contiguous, nothing lost
    assert 1.4 <= pieces[0][1] / SAMPLE_RATE <= 1.5  # moved into the quiet dip at 1.4-1.5 s
    assert abs(pieces[1][1] / SAMPLE_RATE - 3.0) <= 0.21
    assert len(split_pieces(tone(1.9), cfg=DiarizationConfig(max_piece_s=2.0))) == 1


def test_split_pieces_joins_a_click_to_its_neighbour_and_ignores_silence():
    audio = np.concatenate([tone(1.0), silence(0.5), tone(0.1), silence(0.5), tone(1.0)])
    assert len(split_pieces(audio, cfg=CFG)) == 2
    assert split_pieces(silence(3.0), cfg=CFG) == []


# ---------------------------------------------------------------- clustering
def test_cluster_two_separates_two_voices_after_centring():
    a, b, rng = voices()
    truth = np.array([0, 1] * 10 + [0] * 5)
    vectors = np.stack([sample(a if t == 0 else b, rng) for t in truth])
    labels = cluster_two(vectors, np.full(len(truth), 2.0), cfg=CFG)
    assert max(np.mean(labels == truth), np.mean(labels != truth)) == 1.0


def test_cluster_two_keeps_one_voice_as_one_speaker():
    a, _, rng = voices()
    vectors = np.stack([sample(a, rng, noise=0.2) for _ in range(20)])
    assert set(cluster_two(vectors, np.full(20, 2.0), cfg=CFG)) == {0}


def test_online_assignment_keeps_speaker_numbers_stable():
    a, b, rng = voices()
    state = SpeakerState()
    truth = [0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1]
    got = [assign_speaker(state, sample(a if t == 0 else b, rng), seconds=2.5, cfg=CFG) for t in truth]
    assert got[0] == 0  # the first voice heard is speaker 0, and stays so
    assert sum(g == t for g, t in zip(got, truth)) >= len(truth) - 1
    assert len(state.speakers) == 2
    # The state survives a JSON round trip (it lives in the state store between commits).
    again = SpeakerState.model_validate_json(state.model_dump_json())
    assert again.labels == state.labels and np.allclose(again.matrix(), state.matrix())


def test_history_is_bounded():
    a, b, rng = voices()
    state = SpeakerState()
    cfg = DiarizationConfig(history=10)
    for i in range(25):
        assign_speaker(state, sample(a if i % 2 else b, rng), seconds=2.0, cfg=cfg)
    assert len(state.labels) == len(state.seconds) == 10 and state.matrix().shape == (10, DIM)


# ---------------------------------------------------------------- roles
@pytest.mark.parametrize(
    "text",
    [
        "Good morning, I'm Doctor Patel. What brings you in today?",
        "Do you have any allergies to medication?",
        "I'll prescribe amoxicillin and order a chest x-ray.",
        "Your blood pressure is 150 over 90.",
    ],
)
def test_clinician_cues(text):
    assert role_evidence(text) > 0


@pytest.mark.parametrize(
    "text",
    [
        "I have had a headache for two weeks.",
        "My chest hurts when I breathe in.",
        "Yes, doctor. I'm allergic to penicillin.",
        "I take lisinopril once a day.",
    ],
)
def test_patient_cues(text):
    assert role_evidence(text) < 0


def test_no_cue_is_no_evidence():
    assert role_evidence("okay") == 0


def test_role_map_follows_evidence_and_locks():
    roles, locked = assign_roles([0.0, 0.0])
    assert roles == {0: Role.CLINICIAN, 1: Role.PATIENT} and not locked  # first-speaker prior only
    roles, locked = assign_roles([-3.0, 5.0])
    assert roles == {0: Role.PATIENT, 1: Role.CLINICIAN} and locked
    # Once locked, contrary evidence later does not flip the roles.
    roles, locked = assign_roles([20.0, -20.0], locked=roles)
    assert roles == {0: Role.PATIENT, 1: Role.CLINICIAN} and locked
    roles, _ = assign_roles([1.0, 3.0, -4.0], cfg=RoleConfig(lock_margin=100))
    assert roles == {0: Role.OTHER, 1: Role.CLINICIAN, 2: Role.PATIENT}


# ---------------------------------------------------------------- metrics
def test_der_perfect_mapping_is_label_free():
    ref = [(0.0, 5.0, "clinician"), (5.0, 10.0, "patient")]
    hyp = [(0.0, 5.0, "B"), (5.0, 10.0, "A")]
    assert der(ref, hyp)["der"] == pytest.approx(0.0)


def test_der_counts_miss_false_alarm_and_confusion():
    ref = [(0.0, 10.0, "a"), (10.0, 20.0, "b")]
    hyp = [(0.0, 8.0, "x"), (10.0, 20.0, "x"), (25.0, 27.0, "y")]
    out = der(ref, hyp, collar=0.0)
    assert out["missed"] == pytest.approx(2 / 20, abs=1e-3)
    assert out["confusion"] == pytest.approx(8 / 20, abs=1e-3)  # x maps to b (10 s), a's 8 s are confused
    assert out["false_alarm"] == pytest.approx(2 / 20, abs=1e-3)
    assert out["der"] == pytest.approx(12 / 20, abs=1e-3)


def test_collar_forgives_boundary_errors():
    ref = [(0.0, 10.0, "a"), (10.0, 20.0, "b")]
    hyp = [(0.0, 10.2, "x"), (10.2, 20.0, "y")]
    assert der(ref, hyp, collar=0.0)["der"] > 0
    assert der(ref, hyp, collar=0.25)["der"] == pytest.approx(0.0)


def test_role_accuracy_needs_the_right_role_not_a_mapping():
    ref = [(0.0, 10.0, "clinician"), (10.0, 20.0, "patient")]
    assert role_accuracy_time(ref, [(0.0, 20.0, "clinician")], collar=0.0)["role_accuracy"] == pytest.approx(0.5)
    swapped = [(0.0, 10.0, "patient"), (10.0, 20.0, "clinician")]
    assert role_accuracy_time(ref, swapped, collar=0.0)["role_accuracy"] == pytest.approx(0.0)
    words = role_accuracy_words([("clinician", "how are you"), ("patient", "fine thanks")],
                                [("clinician", "how are you fine"), ("patient", "thanks")])  # fmt: skip
    assert words["role_accuracy_words"] == pytest.approx(4 / 5) and words["matched_words"] == 5


# ---------------------------------------------------------------- the mono commit path
class PitchEmbedder:
    """Fake encoder: a voice is a sine frequency; the embedding says which (below/above 300 Hz)."""

    def embed(self, samples: np.ndarray) -> np.ndarray:
        spectrum = np.abs(np.fft.rfft(samples))
        freq = np.argmax(spectrum) * SAMPLE_RATE / len(samples)
        v = np.array([1.0, 0.6 if freq < 300 else -0.6, 0.0, 0.0], dtype=np.float32)
        return v / np.linalg.norm(v)


class ScriptedTranscriber:
    """Fake recognizer: says the line of whichever voice the audio holds."""

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        spectrum = np.abs(np.fft.rfft(samples))
        freq = np.argmax(spectrum) * SAMPLE_RATE / len(samples)
        text = "What brings you in today?" if freq < 300 else "I have had a cough for a week."
        return [Segment(text=text, start=0.0, end=len(samples) / SAMPLE_RATE, avg_logprob=-0.2,
                        no_speech_prob=0.01, compression_ratio=1.2)]  # fmt: skip


def voice(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_mono_commit_splits_a_region_at_the_speaker_change_and_assigns_roles():
    # Clinician (200 Hz), short pause (0.4 s: below the segmenter's 0.7 s), patient (400 Hz), then silence.
    audio = np.concatenate([voice(200, 2.5), silence(0.4), voice(400, 2.5), silence(1.0)])
    pcm = (audio * 32767).astype("<i2").tobytes()
    first = AudioChunkReceived(event_id="e-0", encounter_id="enc-1", seq=0, channels=1, pcm=pcm)
    state = StreamState.open(first)
    assert needs_diarization(state, channel=0)
    seg = SegmenterConfig()
    feed(state.lanes[0], pcm, cfg=seg)
    cut = next_cut(state.lanes[0], cfg=seg)
    assert isinstance(cut, Cut) and cut.speech_from is not None
    speakers = SpeakerState()
    diarizer = MonoDiarizer(embedder=PitchEmbedder(), config=DiarizationConfig(min_speaker_s=1.0))
    turns, rest = diarizer.commit(state, speakers, channel=0, buffer=pcm, cut=cut,
                                  transcriber=ScriptedTranscriber(), cfg=seg)  # fmt: skip
    assert [t.speaker for t in turns] == [Role.CLINICIAN, Role.PATIENT]
    assert [t.seq for t in turns] == [0, 1] and state.turn_count == 2
    assert turns[0].end <= turns[1].start  # the turn boundary follows the speaker change
    assert abs(turns[1].start - 2.9) < 0.1
    assert len(rest) == len(pcm) - cut.cut * 2 and state.lanes[0].speech_start is None


def test_mapped_mono_channel_is_not_diarized():
    first = AudioChunkReceived(event_id="e-0", encounter_id="enc-2", seq=0, channels=1, pcm=b"\0\0" * 320,
                               channel_roles={0: Role.CLINICIAN})  # fmt: skip
    assert not needs_diarization(StreamState.open(first), channel=0)
    stereo = AudioChunkReceived(event_id="e-1", encounter_id="enc-3", seq=0, channels=2, pcm=b"\0\0" * 640)
    assert not needs_diarization(StreamState.open(stereo), channel=0)
