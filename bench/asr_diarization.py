"""Benchmark: speaker diarization and clinician/patient role attribution on single-channel recordings.

Every recording goes through the real ASR stage (``AsrStage`` with tiny.en, the bundled d-vector
encoder, MemoryStateStore) as one mono stream with no channel map, chunked at 200 ms without pacing,
exactly the live code path. From the published turns (start, end, role) it reports:
  * DER: diarization error rate (missed + false alarm + speaker confusion) / reference speech, frame
    based at 10 ms, optimal one-to-one label mapping, a 0.25 s collar around reference boundaries
    not scored, overlapping reference speech scored (counts as two speakers).
  * role accuracy (time): of the reference single-speaker speech time (outside the collar) that has a
    hypothesis turn, the share whose turn carries the right role (doctor -> clinician, patient -> patient),
    no mapping.
  * role accuracy (words): where the reference has no times (OSCE), hypothesis words are aligned to the
    reference words (difflib on normalized words); share of matched words attributed to the right role.

Sets:
  sample   samples/encounter.wav, its two channels mixed to mono; reference = per-channel speech.
  primock  PriMock57 consultations synthesized with espeak-ng (each speaker's TextGrid intervals spoken at
           their times, one voice per speaker) into .cache/diarization/ (git-ignored), mixed to mono;
           reference = per-channel speech of the unmixed synthesis.
  osce     the real OSCE interviews (mono MP3), D:/P: transcripts without times -> word-aligned role accuracy.

    .venv/bin/python bench/asr_diarization.py --set sample
    .venv/bin/python bench/asr_diarization.py --set primock --limit 3
    .venv/bin/python bench/asr_diarization.py --set osce

Data: PriMock57 (Papadopoulos Korfiatis, Moramarco, Sarac, Savkov), ACL 2022, CC BY 4.0. OSCE: Smith,
Fareez, Parikh et al. (2022), Scientific Data 9:313, CC BY 4.0. Read in place, never copied into the repo.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import re
import subprocess
import sys
import tempfile
import time
import uuid
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.contracts import SAMPLE_RATE, AudioChunkReceived, AudioEnded, Role, Turn, TurnTranscribed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
CACHE = REPO / ".cache" / "diarization"
STEP = 0.01  # scoring frame, seconds
Segment = tuple[float, float, str]  # start, end, label


# ---------------------------------------------------------------- metrics
def _frames(segments: list[Segment], *, n: int) -> dict[str, np.ndarray]:
    tracks: dict[str, np.ndarray] = {}
    for start, end, label in segments:
        track = tracks.setdefault(label, np.zeros(n, dtype=bool))
        track[int(round(start / STEP)) : int(round(end / STEP))] = True
    return tracks


def _scored(reference: list[Segment], *, n: int, collar: float) -> np.ndarray:
    """Frames outside the collar: ``collar`` seconds either side of every reference boundary are not scored."""
    mask = np.ones(n, dtype=bool)
    c = int(round(collar / STEP))
    for start, end, _ in reference:
        for t in (start, end):
            i = int(round(t / STEP))
            mask[max(0, i - c) : i + c] = False
    return mask


def der(reference: list[Segment], hypothesis: list[Segment], *, collar: float = 0.25) -> dict[str, float]:
    """Diarization error rate with an optimal one-to-one mapping of hypothesis to reference labels."""
    from scipy.optimize import linear_sum_assignment

    end = max([e for _, e, _ in reference + hypothesis], default=0.0)
    n = int(np.ceil(end / STEP)) + 1
    ref, hyp = _frames(reference, n=n), _frames(hypothesis, n=n)
    scored = _scored(reference, n=n, collar=collar)
    rl, hl = sorted(ref), sorted(hyp)
    overlap = np.array([[np.sum(ref[r] & hyp[h] & scored) for h in hl] for r in rl], dtype=float).reshape(len(rl), len(hl))
    correct = 0.0
    if rl and hl:
        rows, cols = linear_sum_assignment(-overlap)
        correct = float(overlap[rows, cols].sum())
    n_ref = sum((ref[r] & scored).astype(int) for r in rl) if rl else np.zeros(n, int)
    n_hyp = sum((hyp[h] & scored).astype(int) for h in hl) if hl else np.zeros(n, int)
    total = float(np.sum(n_ref))
    missed = float(np.sum(np.maximum(n_ref - n_hyp, 0)))
    false_alarm = float(np.sum(np.maximum(n_hyp - n_ref, 0)))
    confusion = float(np.sum(np.minimum(n_ref, n_hyp))) - correct
    if total == 0:
        return {"der": 0.0, "missed": 0.0, "false_alarm": 0.0, "confusion": 0.0, "reference_s": 0.0}
    return {
        "der": (missed + false_alarm + confusion) / total,
        "missed": missed / total,
        "false_alarm": false_alarm / total,
        "confusion": confusion / total,
        "reference_s": total * STEP,
    }


def role_accuracy_time(reference: list[Segment], hypothesis: list[Segment], *, collar: float = 0.25) -> dict[str, float]:
    """Share of single-speaker reference time covered by a turn whose role is the reference role (no mapping)."""
    end = max([e for _, e, _ in reference + hypothesis], default=0.0)
    n = int(np.ceil(end / STEP)) + 1
    ref, hyp = _frames(reference, n=n), _frames(hypothesis, n=n)
    scored = _scored(reference, n=n, collar=collar)
    single = sum(t.astype(int) for t in ref.values()) == 1 if ref else np.zeros(n, bool)
    covered = sum(t.astype(int) for t in hyp.values()) >= 1 if hyp else np.zeros(n, bool)
    frames = single & covered & scored
    right = sum((ref[r] & hyp.get(r, np.zeros(n, bool)) & frames).sum() for r in ref)
    return {"role_accuracy": float(right / max(frames.sum(), 1)), "scored_s": float(frames.sum() * STEP)}


_WORD = re.compile(r"[a-z0-9']+")


def role_accuracy_words(reference: list[tuple[str, str]], hypothesis: list[tuple[str, str]]) -> dict[str, float]:
    """Align hypothesis words to reference words (each labelled with a role); share of matched words whose
    roles agree. ``reference``/``hypothesis``: (role, text) turns in order."""
    ref = [(w, role) for role, text in reference for w in _WORD.findall(text.lower())]
    hyp = [(w, role) for role, text in hypothesis for w in _WORD.findall(text.lower())]
    matcher = difflib.SequenceMatcher(a=[w for w, _ in ref], b=[w for w, _ in hyp], autojunk=False)
    matched = right = 0
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            matched += 1
            right += ref[block.a + k][1] == hyp[block.b + k][1]
    return {"role_accuracy_words": right / max(matched, 1), "matched_words": matched, "reference_words": len(ref)}


# ---------------------------------------------------------------- reference from separate channels
def channel_segments(samples: np.ndarray, *, label: str, floor_dbfs: float = -45.0, fill_s: float = 0.3) -> list[Segment]:
    """Speech of one isolated channel (synthesized, no noise): voiced 10 ms frames, gaps < ``fill_s`` filled."""
    hop = int(SAMPLE_RATE * STEP)
    n = len(samples) // hop
    frames = samples[: n * hop].reshape(n, hop).astype(np.float64)
    voiced = 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-10) > floor_dbfs
    out: list[Segment] = []
    for i in np.flatnonzero(voiced):
        t = i * STEP
        if out and t - out[-1][1] <= fill_s:
            out[-1] = (out[-1][0], t + STEP, label)
        else:
            out.append((t, t + STEP, label))
    return out


# ---------------------------------------------------------------- recordings
def sample_recording() -> tuple[np.ndarray, list[Segment]]:
    from shared.audio import load_audio

    audio = load_audio(REPO / "samples" / "encounter.wav")
    x = np.frombuffer(audio.pcm, dtype="<i2").reshape(-1, 2).astype(np.float32) / 32768.0
    ref = channel_segments(x[:, 0], label="clinician") + channel_segments(x[:, 1], label="patient")
    return np.clip(x.sum(axis=1), -1, 1), ref


_INTERVAL = re.compile(r'xmin = ([\d.]+)\s*\n\s*xmax = ([\d.]+)\s*\n\s*text = "((?:[^"]|"")*)"', re.MULTILINE)
VOICES = {"doctor": ("en-gb", "clinician"), "patient": ("en-us+f3", "patient")}


def _speak(text: str, *, voice: str, wpm: int) -> np.ndarray:
    import soundfile
    from scipy.signal import resample_poly

    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", tmp.name, text], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        samples, rate = soundfile.read(tmp.name, dtype="float32")
    ratio = Fraction(SAMPLE_RATE, rate)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)


def primock_recording(stem: str) -> tuple[np.ndarray, list[Segment]]:
    """Synthesize (once, cached) a consultation: each TextGrid interval spoken at its time, one voice each."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{stem}.npy"
    if not cached.exists():
        tracks = []
        for who, (voice, _) in VOICES.items():
            grid = (DATA / "primock57" / "transcripts" / f"{stem}_{who}.TextGrid").read_text(encoding="utf-8")
            track = np.zeros(0, dtype=np.float32)
            for start, end, text in _INTERVAL.findall(grid):
                words = re.sub(r"</?[A-Za-z]+/?>", " ", text.replace('""', '"')).strip()
                if not re.search(r"[A-Za-z0-9]", words):
                    continue
                wpm = int(np.clip(len(words.split()) / max(float(end) - float(start), 0.5) * 60, 130, 230))
                speech = 0.6 * _speak(words, voice=voice, wpm=wpm)
                at = int(float(start) * SAMPLE_RATE)
                if len(track) < at + len(speech):
                    track = np.pad(track, (0, at + len(speech) - len(track)))
                # Never run into the same speaker's next interval: later intervals overwrite the tail.
                track[at : at + len(speech)] = speech
            tracks.append(track)
        n = max(len(t) for t in tracks) + SAMPLE_RATE
        np.save(cached, np.stack([np.pad(t, (0, n - len(t))) for t in tracks]))
    both = np.load(cached)
    ref = [s for k, (_, role) in enumerate(VOICES.values()) for s in channel_segments(both[k], label=role)]
    return np.clip(both.sum(axis=0), -1, 1), ref


def primock_turns(stem: str) -> list[tuple[float, float, str, str]]:
    """(start, end, role, text) of every non-empty TextGrid interval of both speakers, in time order."""
    turns = []
    for who, (_, role) in VOICES.items():
        grid = (DATA / "primock57" / "transcripts" / f"{stem}_{who}.TextGrid").read_text(encoding="utf-8")
        for start, end, text in _INTERVAL.findall(grid):
            words = re.sub(r"</?[A-Za-z]+/?>", " ", text.replace('""', '"')).strip()
            if re.search(r"[A-Za-z0-9]", words):
                turns.append((float(start), float(end), role, words))
    return sorted(turns)


def primock_stems() -> list[str]:
    return sorted({p.name.rsplit("_", 1)[0] for p in (DATA / "primock57" / "transcripts").glob("*.TextGrid")})


def osce_reference(path: Path) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*([DP])\s*[:;]\s*(.*)", raw)
        if m:
            turns.append(("clinician" if m.group(1) == "D" else "patient", m.group(2)))
        elif raw.strip() and turns:
            turns[-1] = (turns[-1][0], turns[-1][1] + " " + raw.strip())
    return turns


def osce_timed_reference(path: Path, samples: np.ndarray) -> list[Segment]:
    """Speaker times for a transcript without times, by forced alignment through the recognizer: an
    offline faster-whisper decode of the whole file with word timestamps (tiny.en, beam 5, VAD; not the
    streaming path under test, so its timing is independent of the diarizer's cuts), its words aligned to
    the D:/P: transcript words (difflib on normalized words); each reference turn spans its first to last
    matched word. Turns with no matched word are left out (their speech is then not scored). Cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{path.stem}.aligned.json"
    if cached.exists():
        return [tuple(s) for s in json.loads(cached.read_text(encoding="utf-8"))]  # type: ignore[misc]
    from faster_whisper import WhisperModel

    from services.asr.models import resolve_model

    model_path, _ = resolve_model("tiny.en")
    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=2, local_files_only=True)
    segments, _ = model.transcribe(samples, language="en", beam_size=5, vad_filter=True, word_timestamps=True)
    timed = [(w.start, w.end, t) for seg in segments for w in seg.words or [] for t in _WORD.findall(w.word.lower())]
    ref = [(k, role, w) for k, (role, text) in enumerate(osce_reference(path)) for w in _WORD.findall(text.lower())]
    matcher = difflib.SequenceMatcher(a=[w for _, _, w in ref], b=[w for _, _, w in timed], autojunk=False)
    spans: dict[int, list[float]] = {}
    roles: dict[int, str] = {}
    for block in matcher.get_matching_blocks():
        for i in range(block.size):
            k, role, _ = ref[block.a + i]
            start, end, _ = timed[block.b + i]
            span = spans.setdefault(k, [start, end])
            span[0], span[1] = min(span[0], start), max(span[1], end)
            roles[k] = role
    out: list[Segment] = [(round(a, 2), round(b, 2), roles[k]) for k, (a, b) in sorted(spans.items()) if b > a]
    cached.write_text(json.dumps(out), encoding="utf-8")
    return out


# ---------------------------------------------------------------- oracle recognizer (diarization in isolation)
class OracleTranscriber:
    """Stands in for Whisper to measure diarization and roles without recognition errors or its CPU cost:
    finds where the decoded samples lie in the recording (exact match, the stage hands out slices of the
    same PCM) and returns the reference words timed inside them. Words are spread evenly over their
    interval (the TextGrid gives interval times, not word times), or over the part of it the synthesized
    voice actually spoke when ``reference`` (per-speaker speech) is given."""

    def __init__(self, samples: np.ndarray, turns: list[tuple[float, float, str, str]],
                 reference: list[Segment] | None = None) -> None:  # fmt: skip
        self._pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
        self._cursor = 0
        self._words: list[tuple[float, str]] = []
        for start, end, role, text in turns:
            words = text.split()
            spoken = [e for s, e, r in reference or [] if r == role and start - 0.05 <= s < end]
            end = max(spoken) if spoken else end
            self._words += [(start + (end - start) * (i + 0.5) / len(words), w) for i, w in enumerate(words)]
        self._times = np.array([t for t, _ in self._words])

    def _locate(self, region: np.ndarray) -> int | None:
        pcm = np.round(region * 32768).astype(np.int16)
        nonzero = np.flatnonzero(pcm)  # synthesized audio is exactly 0 between utterances: probe from speech
        if not len(nonzero) or len(pcm) - int(nonzero[0]) < 64:
            return None
        j = int(nonzero[0])
        probe = pcm[j : j + 64]
        for lo in (max(0, self._cursor - 5 * SAMPLE_RATE), 0):
            for c in np.flatnonzero(self._pcm[lo + j :] == probe[0]):
                at = lo + int(c)
                if np.array_equal(self._pcm[at + j : at + j + 64], probe):
                    return at
        return None

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None):
        from services.asr.domain import Segment

        at = self._locate(samples)
        if at is None:
            return []
        self._cursor = at
        t0, t1 = at / SAMPLE_RATE, (at + len(samples)) / SAMPLE_RATE
        inside = np.flatnonzero((self._times >= t0) & (self._times < t1))
        if not len(inside):
            return []
        text = " ".join(self._words[i][1] for i in inside)
        return [Segment(text=text, start=0.0, end=len(samples) / SAMPLE_RATE, avg_logprob=-0.1,
                        no_speech_prob=0.01, compression_ratio=1.2)]  # fmt: skip


# ---------------------------------------------------------------- the stage
async def transcribe_mono(samples: np.ndarray, stage) -> list[Turn]:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    enc = f"bench-{uuid.uuid4().hex[:10]}"
    step = SAMPLE_RATE // 5 * 2
    events = []
    count = 0
    for seq, offset in enumerate(range(0, len(pcm), step)):
        events += await stage.handle(AudioChunkReceived(event_id=f"{enc}-{seq}", encounter_id=enc, seq=seq,
                                                        channels=1, pcm=pcm[offset : offset + step]))  # fmt: skip
        count += 1
    events += await stage.handle(AudioEnded(event_id=f"{enc}-end", encounter_id=enc, chunk_count=count))
    return [e.turn for e in events if isinstance(e, TurnTranscribed)]


def build_stage(*, transcriber=None):
    """The service's ASR stage (tiny.en int8, 2 threads, bundled d-vector diarizer); with ``transcriber``
    the same stage and diarizer around that recognizer instead (the oracle)."""
    from services.asr.stage import AsrStage, _mono_diarizer, build_asr_stage
    from shared.state import MemoryStateStore

    if transcriber is None:
        return build_asr_stage(state=MemoryStateStore(), cpu_threads=2)
    return AsrStage(state=MemoryStateStore(), transcriber=transcriber, model_name="oracle", diarizer=_mono_diarizer())


def score_timed(turns: list[Turn], reference: list[Segment]) -> dict[str, float]:
    hyp = [(t.start, t.end, t.speaker.value) for t in turns]
    out = der(reference, hyp)
    out.update(role_accuracy_time(reference, hyp))
    out["turns"] = len(turns)
    out["clinician_turns"] = sum(t.speaker is Role.CLINICIAN for t in turns)
    out["patient_turns"] = sum(t.speaker is Role.PATIENT for t in turns)
    return out


# ---------------------------------------------------------------- roles from reference text alone
def _aci_dialogues() -> list[list[tuple[str, str]]]:
    import csv

    out = []
    for split in ("train", "valid"):
        with (DATA / "aci-bench" / f"{split}.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                turns: list[tuple[str, str]] = []
                for line in row["dialogue"].splitlines():
                    m = re.match(r"\s*\[(doctor|patient)\]\s*(.*)", line)
                    if m:
                        turns.append(("clinician" if m.group(1) == "doctor" else "patient", m.group(2)))
                    elif line.strip() and turns:
                        turns[-1] = (turns[-1][0], turns[-1][1] + " " + line.strip())
                out.append(turns)
    return out


def role_text_scores(dialogues: list[list[tuple[str, str]]]) -> dict[str, float]:
    """Roles from words alone, with perfect speaker identity: speaker numbers by order of first turn, each
    turn's evidence added as it is spoken (as the live path does). ``online``: share of turns whose
    speaker had the right role right after the turn; ``first10``: the same over each visit's first ten
    turns; ``final``: share of visits whose map is right at the end (no lock)."""
    from services.asr.roles import assign_roles, role_evidence

    final = online = early = n = n_early = 0
    for turns in dialogues:
        order = list(dict.fromkeys(role for role, _ in turns))
        index = {role: k for k, role in enumerate(order)}
        evidence = [0.0] * len(order)
        locked = None
        for k, (role, text) in enumerate(turns):
            evidence[index[role]] += role_evidence(text)
            roles, lock = assign_roles(evidence, locked=locked)
            locked = roles if lock and locked is None else locked
            right = roles[index[role]].value == role
            online += right
            n += 1
            if k < 10:
                early += right
                n_early += 1
        roles, _ = assign_roles(evidence)
        final += all(roles[k].value == role for role, k in index.items())
    return {"visits": len(dialogues), "online": online / max(n, 1), "first10": early / max(n_early, 1),
            "final": final / max(len(dialogues), 1)}  # fmt: skip


def roles_text() -> None:
    sets = {
        "aci-bench train+valid": _aci_dialogues(),
        "primock57 days 1-3": [[(r, t) for _, _, r, t in primock_turns(s)] for s in primock_stems()],
        "osce": [osce_reference(p) for p in sorted((DATA / "osce").glob("*.txt"))],
    }
    for name, dialogues in sets.items():
        row = {k: round(v, 4) if isinstance(v, float) else v for k, v in role_text_scores(dialogues).items()}
        print(json.dumps({"set": name, **row}), flush=True)


# ---------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=["sample", "primock", "osce", "roles-text"], default="sample")
    parser.add_argument("--limit", type=int, default=3, help="PriMock57 consultations (sorted by name)")
    parser.add_argument("--skip", type=int, default=0, help="PriMock57: start after this many consultations")
    parser.add_argument("--asr", choices=["whisper", "oracle"], default="whisper",
                        help="oracle (PriMock57 only): reference words instead of Whisper, diarization in isolation")
    parser.add_argument("--out", type=Path, help="write the per-recording results as JSON")
    args = parser.parse_args()
    if args.set == "roles-text":
        roles_text()
        return
    if args.asr == "oracle" and args.set != "primock":
        parser.error("--asr oracle needs timed reference words: --set primock")
    stage = build_stage() if args.asr == "whisper" else None
    results = []
    if args.set == "sample":
        items = [("encounter.wav", sample_recording)]
    elif args.set == "primock":
        stems = primock_stems()[args.skip : args.skip + args.limit]
        items = [(s, lambda s=s: primock_recording(s)) for s in stems]
    else:
        items = [(p.name, p) for p in sorted((DATA / "osce").glob("*.mp3"))]
    for name, source in items:
        if args.set == "osce":
            from shared.audio import load_audio

            audio = load_audio(source)
            samples = np.frombuffer(audio.pcm, dtype="<i2").astype(np.float32) / 32768.0
        else:
            samples, reference = source()
        if args.asr == "oracle":
            stage = build_stage(transcriber=OracleTranscriber(samples, primock_turns(name), reference))
        started, cpu = time.perf_counter(), time.process_time()
        turns = asyncio.run(transcribe_mono(samples, stage))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        if args.set == "osce":
            row: dict = role_accuracy_words(osce_reference(source.with_suffix(".txt")),
                                            [(t.speaker.value, t.text) for t in turns])  # fmt: skip
            row.update(score_timed(turns, osce_timed_reference(source.with_suffix(".txt"), samples)))
        else:
            row = score_timed(turns, reference)
        seconds = len(samples) / SAMPLE_RATE
        row.update({"recording": name, "audio_s": round(seconds, 1), "rtf": round(wall / seconds, 3),
                    "cpu_rtf": round(cpu / seconds, 3)})  # fmt: skip
        results.append(row)
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    if len(results) > 1:
        import statistics

        summary = {k: round(statistics.median(r[k] for r in results), 4)
                   for k in ("der", "missed", "false_alarm", "confusion", "role_accuracy")}  # fmt: skip
        print(json.dumps({"recordings": len(results), "median": summary}), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
