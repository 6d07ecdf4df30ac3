"""The encoder window fitted to the utterance (engine.fitted_frames): pure, no model needed."""

from __future__ import annotations

import numpy as np
import pytest

from services.asr.engine import ENCODER_MIN_FRAMES, fitted_frames

pytestmark = pytest.mark.unit


def padded(content_frames: int) -> np.ndarray:
    """Mel features as faster-whisper hands them to the encoder: content, then zeros up to 3,000 frames."""
    features = np.zeros((80, 3000), dtype=np.float32)
    features[:, :content_frames] = np.random.default_rng(1).uniform(-1, 1, (80, content_frames))
    return features


@pytest.mark.parametrize(("content", "expected"), [
    (300, ENCODER_MIN_FRAMES),  # a 3 s utterance: the minimum window, not 30 s
    (1250, 2500),  # 12.5 s of speech, tail ratio 1: as much padding again
    (2950, 3000),  # never past the 30 s the model knows
    (0, ENCODER_MIN_FRAMES),
    (1230, 2500),  # rounded up to whole seconds
])
def test_window_covers_the_utterance_and_some_padding(content, expected):
    assert fitted_frames(padded(content), pad_frames=100, tail_ratio=1.0) == expected


def test_zero_padding_setting_keeps_the_full_window():
    assert fitted_frames(padded(300), pad_frames=0) == 3000
    assert fitted_frames(padded(300), pad_frames=None) == 3000


def test_batched_features_use_the_longest_item():
    batch = np.stack([padded(300), padded(1250)])
    assert fitted_frames(batch, pad_frames=100, tail_ratio=1.0) == 2500


def test_suspect_output_of_a_short_window_is_recognized():
    from services.asr.domain import Segment
    from services.asr.engine import _window_suspect

    def said(text: str) -> list[Segment]:
        return [Segment(text, 0.0, 1.0, -0.2, 0.01, 1.0)]

    assert _window_suspect(said("I think it's pretty sharp, yeah. I think it's pretty sharp, yeah."), seconds=5)
    assert _window_suspect(said("How long has it been going on for the last night?"), seconds=15)  # words missing
    assert not _window_suspect(said("No. No."), seconds=1.9)
    assert not _window_suspect(said("Okay, has it been constant throughout that time or changing?"), seconds=6)


@pytest.mark.parametrize(("content", "tail_ratio", "expected"), [
    (1250, 0.0, 2000),  # 12.5 s + 1 s of padding fits the 20 s minimum
    (2400, 0.0, 2500),  # a long utterance: 1 s of padding, not a 30 s window
    (2400, 0.5, 3000),
    (1250, 1.0, 2500),
])
def test_tail_ratio_sets_the_padding_of_long_utterances(content, tail_ratio, expected):
    assert fitted_frames(padded(content), pad_frames=100, min_frames=2000, tail_ratio=tail_ratio) == expected
