"""``scribestream eval asr --manifest FILE.jsonl``: WER, medical-term and drug-name errors, RTF, latency,
speaker attribution, on any manifest.

Manifest: one JSON object per line, paths relative to the manifest's folder:
  {"audio": "a.wav", "reference": "plain text"}                                   text only
  {"audio": "a.wav", "reference": [{"speaker": "D", "text": "..."}, ...]}        turns with speakers
  {"audio": "a.wav", "reference": ..., "channels": ["clinician", "patient"]}    channel -> role map
Speakers may be D/doctor/clinician and P/patient (or any label, compared as given).

``--mode stream`` runs the product path: the ASR stage fed 200 ms chunks as fast as it takes them, with the
same settings as the service. ``--mode offline`` is the anchor: raw faster-whisper on the whole file
(per channel), library defaults except beam size and VAD. The JSON names the normalizer, so figures are
comparable only with figures that state the same one.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import typer

from services.asr.config import (
    DEFAULT_ENCODER_MIN_FRAMES,
    DEFAULT_ENCODER_PAD_FRAMES,
    DEFAULT_ENCODER_TAIL_RATIO,
)

NORMALIZER = (
    "whisper_normalizer.english.EnglishTextNormalizer (PyPI whisper-normalizer), markup <...> removed; "
    "'wer' also merges ok/okay, alright/all right and uhh/uhm/umm fillers; 'wer_whisper_normalizer' does not"
)


@dataclass
class Recording:
    audio: Path
    turns: list[tuple[str | None, str]]  # (speaker or None, text) in spoken order
    roles: dict[int, str] = field(default_factory=dict)


def read_manifest(path: Path) -> list[Recording]:
    from services.asr.scoring import canonical_speaker

    recordings: list[Recording] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            audio = (path.parent / item["audio"]).resolve()
            ref = item["reference"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise typer.BadParameter(f"manifest line {number}: needs 'audio' and 'reference'") from None
        if isinstance(ref, str):
            turns = [(None, ref)]
        else:
            turns = [(canonical_speaker(t.get("speaker")), str(t.get("text", ""))) for t in ref]
        roles = {i: canonical_speaker(r) or "other" for i, r in enumerate(item.get("channels") or [])}
        recordings.append(Recording(audio=audio, turns=turns, roles=roles))
    return recordings


@dataclass
class Hypothesis:
    turns: list[tuple[float, str | None, str]]  # (start s, speaker or None, text)
    wall_s: float
    cpu_s: float
    latencies_s: list[float] = field(default_factory=list)
    speculation: dict[str, int] = field(default_factory=dict)  # speculative decodes started / used / unused


# ---------------------------------------------------------------- runners
def _engine(opts: dict[str, Any]):
    from services.asr.config import DEFAULT_VOCABULARY
    from services.asr.engine import FasterWhisperTranscriber

    engine = FasterWhisperTranscriber(
        model_path=opts["model"],
        device=opts["device"],
        compute_type=opts["compute_type"],
        cpu_threads=opts["threads"],
        beam_size=opts["beam_size"],
        vocabulary=list(DEFAULT_VOCABULARY),
        vocabulary_prompt=opts["prompt"],
        correction=opts["correction"],
        lexicon_path=str(opts["lexicon"]) if opts["lexicon"] else None,
        encoder_pad_frames=opts["encoder_pad_frames"],
        encoder_min_frames=opts["encoder_min_frames"],
        encoder_tail_ratio=opts["encoder_tail_ratio"],
    )
    engine.load()
    return engine, engine, engine.correction_stats


def _diarizer(enabled: bool):
    """The service's mono-audio diarizer (speaker turns + roles) when asked for and available."""
    if not enabled:
        return None
    from services.asr import stage

    build = getattr(stage, "_mono_diarizer", None)
    return build() if build is not None else None


async def _stream(rec: Recording, audio, transcriber, *, model_name: str, chunk_ms: int, diarizer=None,
                  context_chars: int = 200, min_pause_s: float | None = None,
                  early_pause_s: float | None = None) -> Hypothesis:
    from services.asr.domain import SegmenterConfig
    from services.asr.stage import AsrStage
    from shared.audio import chunk_pcm
    from shared.contracts import (
        SAMPLE_RATE,
        AudioChunkReceived,
        AudioEnded,
        Role,
        TurnTranscribed,
    )
    from shared.state import MemoryStateStore

    extra = {"diarizer": diarizer} if diarizer is not None else {}
    config = SegmenterConfig(context_chars=context_chars).overridden(min_pause_s=min_pause_s,
                                                                    early_pause_s=early_pause_s)
    stage = AsrStage(state=MemoryStateStore(), transcriber=transcriber, model_name=model_name, config=config, **extra)
    enc = f"eval-{uuid.uuid4().hex[:12]}"
    roles = {i: Role(r) for i, r in rec.roles.items() if r in {x.value for x in Role}} or None
    turns: list[tuple[float, str | None, str]] = []
    latencies: list[float] = []
    # Simulated real-time server: chunk k arrives when its audio has been spoken; the worker takes it
    # when it is free, and emits the chunk's turns when done. Latency = emit time - end of the speech.
    server = 0.0
    wall = time.perf_counter()
    cpu = time.process_time()
    seq = -1
    frames_per_chunk = SAMPLE_RATE * chunk_ms // 1000
    for seq, pcm in enumerate(chunk_pcm(audio, ms=chunk_ms)):
        arrival = (seq * frames_per_chunk + len(pcm) // audio.frame_bytes) / SAMPLE_RATE
        began = time.perf_counter()
        events = await stage.handle(
            AudioChunkReceived(event_id=f"{enc}-{seq}", encounter_id=enc, seq=seq, channels=audio.channels,
                               channel_roles=roles if seq == 0 else None, pcm=pcm)
        )
        server = max(server, arrival) + (time.perf_counter() - began)
        for e in events:
            if isinstance(e, TurnTranscribed):
                latencies.append(server - e.turn.end)
                turns.append(_turn(e.turn))
    events = await stage.handle(AudioEnded(event_id=f"{enc}-end", encounter_id=enc, chunk_count=seq + 1))
    turns += [_turn(e.turn) for e in events if isinstance(e, TurnTranscribed)]
    return Hypothesis(turns=sorted(turns, key=lambda t: t[0]), wall_s=time.perf_counter() - wall,
                      cpu_s=time.process_time() - cpu, latencies_s=latencies, speculation=dict(stage.speculation))


def _turn(turn) -> tuple[float, str | None, str]:
    speaker = turn.speaker.value if turn.speaker.value != "other" else None
    return (turn.start, speaker, turn.text)


def anchor_model(model: str, *, device: str = "cpu", compute_type: str = "int8", threads: int = 2):
    """The issue's anchor: raw faster-whisper (library defaults) on the same model files; (model, name)."""
    from faster_whisper import WhisperModel

    from services.asr.models import resolve_model

    path, name = resolve_model(model)
    return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads,
                        local_files_only=True), name


def offline(audio, model, *, beam_size: int = 5, roles: dict[int, str] | None = None) -> Hypothesis:
    """Transcribe each channel of ``audio`` whole with the anchor model (beam ``beam_size``, VAD on)."""
    from services.asr.domain import split_channels, to_float

    turns: list[tuple[float, str | None, str]] = []
    wall = time.perf_counter()
    cpu = time.process_time()
    for channel, pcm in enumerate(split_channels(audio.pcm, channels=audio.channels)):
        segments, _ = model.transcribe(to_float(pcm), language="en", beam_size=beam_size, vad_filter=True)
        speaker = (roles or {}).get(channel)
        turns += [(s.start, speaker if speaker != "other" else None, s.text) for s in segments]
    return Hypothesis(turns=sorted(turns, key=lambda t: t[0]), wall_s=time.perf_counter() - wall,
                      cpu_s=time.process_time() - cpu)


# ---------------------------------------------------------------- report
def evaluate(recordings: list[Recording], opts: dict[str, Any], *, hyp_out: Path | None = None) -> dict[str, Any]:
    from services.asr.scoring import TermCounts, score, speaker_words
    from services.asr.vocabulary import load_lexicon
    from shared.audio import load_audio

    lexicon = load_lexicon(opts["lexicon"])
    stats = None
    if opts["mode"] == "offline":
        model, name = anchor_model(opts["model"], device=opts["device"], compute_type=opts["compute_type"],
                                   threads=opts["threads"])
    else:
        engine, transcriber, stats = _engine(opts)
        name = engine.model_name
        diarizer = _diarizer(opts["diarize"])
    per_file: list[dict[str, Any]] = []
    medical, drugs = TermCounts(), TermCounts()
    totals = {"ref_words": 0, "errors": 0, "audio_s": 0.0, "wall_s": 0.0, "cpu_s": 0.0, "spk_m": 0, "spk_r": 0,
              "errors_plain": 0, "ref_words_plain": 0, "errors_spk": 0, "ref_words_spk": 0}
    latencies: list[float] = []
    speculation: dict[str, int] = {}
    hyp_lines: list[str] = []
    for rec in recordings:
        audio = load_audio(rec.audio)
        if opts["mode"] == "offline":
            hyp = offline(audio, model, beam_size=opts["beam_size"], roles=rec.roles)
        else:
            hyp = asyncio.run(_stream(rec, audio, transcriber, model_name=name, chunk_ms=opts["chunk_ms"],
                                      diarizer=diarizer, context_chars=opts["context_chars"],
                                      min_pause_s=opts["min_pause"], early_pause_s=opts["early_pause"]))
        s = score(
            reference=speaker_words(rec.turns),
            hypothesis=speaker_words((spk, text) for _, spk, text in hyp.turns),
            medical_terms=lexicon.all_terms(),
            drug_terms=lexicon.drugs,
        )
        plain = score(
            reference=speaker_words(rec.turns, variants=False),
            hypothesis=speaker_words(((spk, text) for _, spk, text in hyp.turns), variants=False),
            medical_terms=(),
            drug_terms=(),
        )
        # Per speaker: on multichannel audio, offline segments (up to 30 s) of the two channels interleave
        # coarsely, so the merged order misaligns words that were recognized right. Scoring each speaker's
        # words against that speaker's reference is order-free across speakers.
        for speaker in {spk for spk, _ in rec.turns if spk is not None}:
            mine = score(
                reference=speaker_words((spk, t) for spk, t in rec.turns if spk == speaker),
                hypothesis=speaker_words((spk, t) for _, spk, t in hyp.turns if spk == speaker),
                medical_terms=(),
                drug_terms=(),
            )
            totals["errors_spk"] += mine.errors
            totals["ref_words_spk"] += mine.ref_words
        totals["errors_plain"] += plain.errors
        totals["ref_words_plain"] += plain.ref_words
        medical.add(s.medical)
        drugs.add(s.drugs)
        latencies += hyp.latencies_s
        for key, count in hyp.speculation.items():
            speculation[key] = speculation.get(key, 0) + count
        totals["ref_words"] += s.ref_words
        totals["errors"] += s.errors
        totals["audio_s"] += audio.seconds
        totals["wall_s"] += hyp.wall_s
        totals["cpu_s"] += hyp.cpu_s
        totals["spk_m"] += s.speaker_matched
        totals["spk_r"] += s.speaker_right
        per_file.append({"audio": rec.audio.name, "wer": round(s.wer, 4), "ref_words": s.ref_words,
                         "audio_s": round(audio.seconds, 1), "rtf": round(hyp.wall_s / audio.seconds, 4),
                         "wer_whisper_normalizer": round(plain.wer, 4),
                         "drug_terms": s.drugs.total, "drug_errors": s.drugs.wrong})
        if hyp_out is not None:
            hyp_lines.append(json.dumps({"audio": rec.audio.name, "turns": hyp.turns}))
    if hyp_out is not None:
        hyp_out.write_text("\n".join(hyp_lines) + "\n", encoding="utf-8")
    audio_s = totals["audio_s"] or 1.0
    report: dict[str, Any] = {
        "mode": opts["mode"],
        "model": name,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in opts.items()},
        "normalizer": NORMALIZER,
        "files": len(recordings),
        "audio_s": round(totals["audio_s"], 1),
        "wer": round(totals["errors"] / totals["ref_words"], 4) if totals["ref_words"] else None,
        "wer_whisper_normalizer": round(totals["errors_plain"] / totals["ref_words_plain"], 4)
        if totals["ref_words_plain"] else None,
        "wer_per_speaker": round(totals["errors_spk"] / totals["ref_words_spk"], 4) if totals["ref_words_spk"] else None,
        "wer_mean_per_file": round(statistics.mean(f["wer"] for f in per_file), 4) if per_file else None,
        "medical_terms": _terms(medical),
        "drug_names": _terms(drugs),
        "rtf": round(totals["wall_s"] / audio_s, 4),
        "cpu_rtf": round(totals["cpu_s"] / audio_s, 4),
        "speaker_attribution": round(totals["spk_r"] / totals["spk_m"], 4) if totals["spk_m"] else None,
        "speaker_attributed_words": totals["spk_m"],
        "per_file": per_file,
    }
    if latencies:
        report["latency_s"] = {"median": round(statistics.median(latencies), 3),
                               "p90": round(_quantile(latencies, 0.9), 3), "turns": len(latencies)}
    if stats is not None:
        report["corrections"] = asdict(stats)
    if opts["mode"] == "stream":
        report["encoder_window_fallbacks"] = getattr(engine, "window_fallbacks", None)
        # Decodes started while a closing pause was being confirmed. The simulated clock above does not
        # credit their head start (the chunks after one are handled at once, not 200 ms apart): the latency
        # they buy is measured with real-time pacing (bench/asr_realtime.py); their CPU is in cpu_rtf.
        report["speculative_decodes"] = speculation
    return report


def _terms(counts) -> dict[str, Any]:
    rate = counts.error_rate
    return {"occurrences": counts.total, "errors": counts.wrong,
            "error_rate": round(rate, 4) if rate is not None else None, "inserted": counts.inserted}


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def command(
    manifest: Path = typer.Option(..., exists=True, dir_okay=False, help="JSONL: audio, reference, channels?"),
    mode: str = typer.Option("stream", help="stream (the ASR stage, 200 ms chunks) or offline (raw faster-whisper)"),
    model: str = typer.Option("tiny.en", help="tiny.en, base, or a CTranslate2 Whisper directory"),
    device: str = typer.Option("cpu", help="cpu or cuda"),
    compute_type: str = typer.Option("int8", help="int8, int8_float16, float16, float32"),
    threads: int = typer.Option(2, help="CPU threads for CTranslate2"),
    beam_size: int = typer.Option(5, min=1, max=10),
    prompt: bool = typer.Option(True, help="bias decoding with the vocabulary prompt (stream mode)"),
    correction: bool = typer.Option(True, help="near-miss drug-name correction with re-scoring (stream mode)"),
    lexicon: Path | None = typer.Option(None, help="'category: term' lexicon; default: the packaged list"),
    chunk_ms: int = typer.Option(200, min=20, max=5000),
    context_chars: int = typer.Option(200, min=0, help="transcript tail given to the decoder as context"),
    min_pause: float | None = typer.Option(None, min=0.2, max=3.0,
                                           help="pause (s) that closes an utterance (stream mode; default: the service's)"),
    early_pause: float | None = typer.Option(None, min=0.0, max=3.0,
                                             help="pause (s) that starts a speculative decode; 0 = off (default: the service's)"),
    encoder_pad_frames: int = typer.Option(DEFAULT_ENCODER_PAD_FRAMES, min=0,
                                           help="encoder window = utterance + this many 10 ms frames "
                                           "(stream mode); 0 = the full 30 s window"),
    encoder_min_frames: int = typer.Option(DEFAULT_ENCODER_MIN_FRAMES, min=100, max=3000,
                                           help="shortest encoder window (frames)"),
    encoder_tail_ratio: float = typer.Option(DEFAULT_ENCODER_TAIL_RATIO, min=0.0, max=3.0,
                                             help="padding of at least this share of the utterance (stream mode)"),
    diarize: bool = typer.Option(False, help="diarize mono audio without a channel map (stream mode; adds its CPU cost)"),
    limit: int | None = typer.Option(None, min=1, help="only the first N recordings"),
    hyp_out: Path | None = typer.Option(None, help="write the hypotheses (JSONL) here for inspection"),
) -> None:
    """Score speech recognition on a manifest; prints one JSON object."""
    if mode not in ("stream", "offline"):
        raise typer.BadParameter("--mode is stream or offline")
    recordings = read_manifest(manifest)[:limit]
    opts = {"mode": mode, "model": model, "device": device, "compute_type": compute_type, "threads": threads,
            "beam_size": beam_size, "prompt": prompt and mode == "stream",
            "correction": correction and mode == "stream", "lexicon": lexicon, "chunk_ms": chunk_ms,
            "diarize": diarize and mode == "stream", "context_chars": context_chars,
            "min_pause": min_pause, "early_pause": early_pause,
            "encoder_pad_frames": encoder_pad_frames, "encoder_min_frames": encoder_min_frames,
            "encoder_tail_ratio": encoder_tail_ratio}
    typer.echo(json.dumps(evaluate(recordings, opts, hyp_out=hyp_out), indent=2))
