"""``scribestream`` command line: the embedded run (``run``, ``demo``) and the distributed tools
(``publish``, ``tail``, ``up``, ``down``, ``asyncapi``). Errors are one line on stderr: exit 1 for a command's own
error, 2 for a usage error (click's code)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from shared.contracts import (
    AudioChunkReceived,
    EncounterContext,
    Event,
    NoteCoded,
    NoteDrafted,
    NoteSubmitted,
    Role,
    Topic,
    TranscriptClosed,
    TurnTranscribed,
)

console = Console()
err_console = Console(stderr=True)


class _OneLineErrors(TyperGroup):
    """Usage and parameter errors (a missing file, an unknown option, a bad value) as one line on stderr, like the
    commands' own errors, instead of click's boxed usage panel; exit code 2 as click gives them. No arguments still
    prints the help."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except typer.Abort:
            err_console.print("error: aborted", highlight=False)
            sys.exit(1)
        except typer.TyperException as err:  # click's ClickException family: format_message, exit_code, ctx
            if type(err).__name__ == "NoArgsIsHelpError":
                err.show()  # type: ignore[attr-defined]
            else:
                ctx = getattr(err, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                message = err.format_message()  # type: ignore[attr-defined]
                err_console.print(f"error: {message}{hint}", highlight=False, soft_wrap=True)
            sys.exit(getattr(err, "exit_code", 1))
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, cls=_OneLineErrors,
                  help="Event-driven clinical documentation: visit audio → grounded, coded SOAP note → FHIR R4.")
REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "encounter.wav"


class CliError(Exception):
    """A one-line, PHI-free error for the user."""


def _fail(message: str) -> None:
    err_console.print(f"error: {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _parse_roles(roles: Optional[str]) -> dict[int, Role] | None:
    if not roles:
        return None
    try:
        return {i: Role(r.strip()) for i, r in enumerate(roles.split(","))}
    except ValueError:
        raise CliError(f"--roles takes a comma list of {', '.join(r.value for r in Role)}") from None


# ------------------------------------------------------------------ embedded run
async def _run_embedded(audio, *, encounter_id: str, specialty: str, outbox: Path, roles, model_path):
    from scribestream.embedded import InProcessBus, build_stages, ephemeral_keyring
    from scribestream.encounter import encounter_events

    events = list(encounter_events(audio, encounter_id=encounter_id, channel_roles=roles,
                                   context=EncounterContext(specialty=specialty)))
    chunks = sum(isinstance(e, AudioChunkReceived) for e in events)
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as progress:
        task = progress.add_task("loading models", total=chunks)
        keyring = ephemeral_keyring()  # in memory only: the embedded run needs no key configuration
        stages = await asyncio.to_thread(build_stages, outbox_dir=outbox, model_path=model_path, keyring=keyring)
        progress.update(task, description="transcribing")

        def on_event(event: Event) -> None:
            if isinstance(event, AudioChunkReceived):
                progress.advance(task)
            elif isinstance(event, TranscriptClosed):
                progress.update(task, description="drafting and coding")

        return await InProcessBus(stages, keyring=keyring).run(events, on_event=on_event)


def _write_outputs(out: Path, produced: dict[Topic, list[Event]]) -> dict[str, Path]:
    """Write the four files into a staging folder, then move them in: never half-written."""
    turns = [e for e in produced.get(Topic.TRANSCRIPT_TURNS, []) if isinstance(e, TurnTranscribed)]
    closed = next(e for e in produced[Topic.TRANSCRIPT_TURNS] if isinstance(e, TranscriptClosed))
    draft = next(e for e in produced[Topic.SOAP_DRAFT] if isinstance(e, NoteDrafted) and e.final)
    coded = next(e for e in produced[Topic.SOAP_CODED] if isinstance(e, NoteCoded))
    submitted = next(e for e in produced[Topic.EHR_SUBMITTED] if isinstance(e, NoteSubmitted))

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(out, f".staging-{uuid.uuid4().hex}")
    staging.mkdir()
    try:
        files = {
            "transcript.json": json.dumps({"encounter_id": closed.encounter_id, "turn_count": closed.turn_count,
                                           "audio_seconds": closed.audio_seconds, "asr_model": closed.asr_model,
                                           "turns": [t.turn.model_dump(mode="json") for t in turns]}, indent=2),
            "note.json": draft.model_dump_json(indent=2),
            "coded.json": coded.model_dump_json(indent=2),
        }
        if submitted.status == "no_note":
            files["bundle.json"] = json.dumps({"status": "no_note", "encounter_id": submitted.encounter_id})
        else:
            files["bundle.json"] = Path(submitted.destination).read_text()
        for name, text in files.items():
            (staging / name).write_text(text)
        written = {}
        for name in files:
            os.replace(staging / name, out / name)
            written[name] = out / name
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _print_results(produced: dict[Topic, list[Event]], written: dict[str, Path], seconds: float) -> None:
    turns = [e.turn for e in produced.get(Topic.TRANSCRIPT_TURNS, []) if isinstance(e, TurnTranscribed)]
    table = Table(title="Transcript", show_lines=False)
    for col in ("turn", "speaker", "start", "end", "conf", "text"):
        table.add_column(col)
    for t in sorted(turns, key=lambda t: (t.start, t.seq)):
        flags = f" [{','.join(t.flags)}]" if t.flags else ""
        table.add_row(str(t.seq), t.speaker.value, f"{t.start:.1f}", f"{t.end:.1f}", f"{t.confidence:.2f}", t.text + flags)
    console.print(table)

    draft = next(e for e in produced[Topic.SOAP_DRAFT] if isinstance(e, NoteDrafted) and e.final)
    seq_of = {t.turn_id: t.seq for t in turns}
    if draft.status == "no_note":
        console.print("[bold]SOAP note:[/bold] no note — the encounter has no clinical content.")
    else:
        for section in ("subjective", "objective", "assessment", "plan"):
            console.print(f"[bold]{section.upper()}[/bold]")
            for s in getattr(draft.note, section):
                cites = ",".join(str(seq_of.get(t, "?")) for t in s.evidence_turn_ids)
                mark = "" if s.supported else " [red](unsupported)[/red]"
                console.print(f"  - {s.text} [dim](turns {cites})[/dim]{mark}", highlight=False)
        if draft.needs_review:
            console.print(f"[yellow]needs review:[/yellow] {len(draft.unsupported_statement_ids)} unsupported statement(s)")
        if draft.missing_elements:
            console.print(f"[yellow]missing:[/yellow] {', '.join(draft.missing_elements)}")

    coded = next(e for e in produced[Topic.SOAP_CODED] if isinstance(e, NoteCoded))
    codes = Table(title="Suggested codes")
    for col in ("rank", "code", "display", "category", "confidence"):
        codes.add_column(col)
    for c in coded.codes:
        codes.add_row(str(c.rank), c.code, c.display, c.category, f"{c.confidence:.2f}")
    console.print(codes if coded.codes else "[bold]Suggested codes:[/bold] none (nothing codable)")
    for name, path in written.items():
        console.print(f"wrote {path}", highlight=False)
    console.print(f"done in {seconds:.1f} s", highlight=False)


def _embedded(audio_path: Path, out: Path, specialty: str, encounter_id: Optional[str], roles: Optional[str],
              model_path: Optional[str]) -> None:
    from shared.audio import AudioError, load_audio

    started = time.perf_counter()
    try:
        channel_roles = _parse_roles(roles)
        audio = load_audio(audio_path)
        enc = encounter_id or f"enc-{uuid.uuid4().hex[:12]}"
        outbox = out / ".outbox"
        produced = asyncio.run(_run_embedded(audio, encounter_id=enc, specialty=specialty, outbox=outbox,
                                             roles=channel_roles, model_path=model_path))
        written = _write_outputs(out, produced)
        shutil.rmtree(outbox, ignore_errors=True)
    except (AudioError, CliError) as err:
        _fail(str(err))
    _print_results(produced, written, time.perf_counter() - started)


@app.command()
def run(
    audio: Path = typer.Argument(..., help="WAV, MP3 or FLAC file of the visit"),
    out: Path = typer.Option(..., "--out", help="folder for transcript.json, note.json, coded.json, bundle.json"),
    specialty: str = typer.Option("primary_care", help="note template"),
    encounter_id: Optional[str] = typer.Option(None, help="encounter id (default: a random one)"),
    roles: Optional[str] = typer.Option(None, help="channel roles, e.g. clinician,patient (stereo default)"),
    model_path: Optional[str] = typer.Option(None, help="CTranslate2 Whisper model folder (default: bundled tiny.en)"),
) -> None:
    """Run the whole pipeline in-process on one file: no Kafka, Redis, network or API key."""
    _embedded(audio, out, specialty, encounter_id, roles, model_path)


@app.command()
def demo(out: Path = typer.Option(Path("out/demo"), "--out")) -> None:
    """Run the embedded pipeline on the bundled sample encounter."""
    _embedded(SAMPLE, out, "primary_care", "demo-encounter-1", None, None)


# ------------------------------------------------------------------ distributed tools
def _bootstrap(value: Optional[str]) -> str:
    bootstrap = value or os.environ.get("SCRIBESTREAM_KAFKA_BOOTSTRAP")
    if not bootstrap:
        stack = REPO / ".run" / "stack.json"
        if stack.exists():
            bootstrap = json.loads(stack.read_text()).get("bootstrap")
    if not bootstrap:
        _fail("no Kafka bootstrap: pass --bootstrap, set SCRIBESTREAM_KAFKA_BOOTSTRAP, or run `make up`")
    return bootstrap  # type: ignore[return-value]


_FROM_ENV: Any = object()  # sentinel: resolve the key ring from the environment / local stack


def _client_security(*, resolve_ring: bool = True) -> tuple[Any, dict[str, Any]]:
    """(key ring or None, aiokafka security kwargs) for the CLI's own Kafka clients, from the same
    SCRIBESTREAM_* variables the services read; a local stack (`make up`) lends its dev key ring."""
    from shared.crypto import KeyRing, KeyRingError
    from shared.security import kafka_client_kwargs, load_keyring
    from shared.settings import SecuritySettings

    settings = SecuritySettings()
    kwargs = kafka_client_kwargs(settings)
    if not resolve_ring:  # the caller brings its own key ring
        return None, kwargs
    configured = settings.keys or settings.keyring_file or settings.keyring_dir
    local = REPO / ".run" / "keyring.json"
    if settings.encryption and not configured and local.exists():
        return KeyRing.from_json(local.read_text()), kwargs
    try:
        return load_keyring(settings, component="cli"), kwargs
    except KeyRingError as err:
        raise CliError(str(err)) from None


async def _publish(audio, *, bootstrap: str, encounter_id: str, realtime: bool, context: EncounterContext,
                   roles, keyring: Any = _FROM_ENV) -> int:
    from aiokafka import AIOKafkaProducer
    from opentelemetry import propagate

    from scribestream.encounter import encounter_events
    from shared.contracts import encode, topic_of
    from shared.telemetry import make_tracer_provider

    ring, security = _client_security(resolve_ring=keyring is _FROM_ENV)
    keyring = ring if keyring is _FROM_ENV else keyring
    provider = make_tracer_provider("publisher", exporter=os.environ.get("SCRIBESTREAM_OTEL_EXPORTER", "none"))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", enable_idempotence=True,
                                client_id="scribestream-publish", **security)
    await producer.start()
    sent = 0
    try:
        # One span for the whole encounter: every chunk carries its context, so one visit = one trace.
        with provider.get_tracer("scribestream.publish").start_as_current_span("encounter.publish"):
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            started = time.monotonic()
            for event in encounter_events(audio, encounter_id=encounter_id, context=context, channel_roles=roles):
                value, headers = encode(event, keyring=keyring)
                headers.update(carrier)
                await producer.send_and_wait(topic_of(event).value, value, key=encounter_id.encode(),
                                             headers=[(k, v.encode()) for k, v in headers.items()])
                sent += 1
                if realtime and isinstance(event, AudioChunkReceived):
                    lag = started + sent * event.seconds - time.monotonic()
                    if lag > 0:
                        await asyncio.sleep(lag)
    finally:
        await producer.stop()
        provider.shutdown()
    return sent


@app.command()
def publish(
    audio: Path = typer.Argument(..., help="WAV, MP3 or FLAC file of the visit"),
    encounter_id: str = typer.Option(..., "--encounter-id"),
    realtime: bool = typer.Option(False, "--realtime", help="pace chunks at real time (a live visit)"),
    bootstrap: Optional[str] = typer.Option(None, help="Kafka bootstrap servers"),
    specialty: str = typer.Option("primary_care"),
    roles: Optional[str] = typer.Option(None, help="channel roles, e.g. clinician,patient"),
    patient_ref: Optional[str] = typer.Option(None, help="FHIR reference, e.g. Patient/123"),
    telehealth: bool = typer.Option(False),
) -> None:
    """Stream an audio file into audio.chunks in 200 ms chunks, then an end-of-encounter event."""
    from pydantic import ValidationError

    from shared.audio import AudioError, load_audio

    try:
        channel_roles = _parse_roles(roles)
        audio_data = load_audio(audio)
        context = EncounterContext(specialty=specialty, patient_ref=patient_ref, telehealth=telehealth)
        from shared.contracts import AudioEnded, derive_id

        AudioEnded(event_id=derive_id(encounter_id, "end"), encounter_id=encounter_id, chunk_count=0)  # validates id
        sent = asyncio.run(_publish(audio_data, bootstrap=_bootstrap(bootstrap), encounter_id=encounter_id,
                                    realtime=realtime, context=context, roles=channel_roles))
    except (AudioError, CliError) as err:
        _fail(str(err))
    except ValidationError:
        _fail("invalid --encounter-id: use 1-128 characters of letters, digits, '.', '_', ':' or '-'")
    except Exception as err:  # noqa: BLE001 - broker errors: class name only
        _fail(f"publish failed: {type(err).__name__}")
    console.print(f"published {sent} events for encounter {encounter_id}", highlight=False)


async def _tail(topic: str, *, bootstrap: str, from_beginning: bool, max_events: Optional[int],
                timeout_s: Optional[float], keyring: Any = _FROM_ENV) -> None:
    from aiokafka import AIOKafkaConsumer

    from shared.contracts import ContractViolation, decode

    ring, security = _client_security(resolve_ring=keyring is _FROM_ENV)
    keyring = ring if keyring is _FROM_ENV else keyring
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap.split(","), group_id=None,
                                auto_offset_reset="earliest" if from_beginning else "latest",
                                enable_auto_commit=False, **security)
    await consumer.start()
    seen = 0
    deadline = time.monotonic() + timeout_s if timeout_s else None
    try:
        while max_events is None or seen < max_events:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            batch = await consumer.getmany(timeout_ms=int(min(remaining or 1, 1) * 1000))
            for records in batch.values():
                for record in records:
                    headers = {k: v for k, v in (record.headers or [])}
                    if record.value is None and not headers:
                        print(json.dumps({"offset": record.offset, "tombstone": True}), flush=True)
                        continue
                    try:
                        event = decode(topic, record.value, headers, keyring=keyring) if not topic.endswith(".dlq") else None
                    except ContractViolation as err:
                        event = None
                        print(json.dumps({"offset": record.offset, "invalid": str(err)}), flush=True)
                        continue
                    if event is None:
                        print(json.dumps({"offset": record.offset, "headers": {k: v.decode(errors="replace") for k, v in headers.items()}}), flush=True)
                    elif isinstance(event, AudioChunkReceived):
                        print(json.dumps({"schema": event.name(), "encounter_id": event.encounter_id, "seq": event.seq,
                                          "bytes": len(event.pcm), "channels": event.channels}), flush=True)
                    else:
                        print(event.model_dump_json(), flush=True)
                    seen += 1
    finally:
        await consumer.stop()


@app.command()
def tail(
    topic: str = typer.Argument(..., help=f"one of: {', '.join(t.value for t in Topic)} (or a .dlq topic)"),
    bootstrap: Optional[str] = typer.Option(None),
    from_beginning: bool = typer.Option(False, "--from-beginning"),
    max_events: Optional[int] = typer.Option(None, "--max", help="stop after N events"),
    timeout: Optional[float] = typer.Option(None, help="stop after N seconds"),
) -> None:
    """Print events of a topic as they arrive (one JSON line each)."""
    valid = {t.value for t in Topic} | {t.dlq for t in Topic}
    if topic not in valid:
        _fail(f"unknown topic {topic!r}")
    try:
        asyncio.run(_tail(topic, bootstrap=_bootstrap(bootstrap), from_beginning=from_beginning,
                          max_events=max_events, timeout_s=timeout))
    except KeyboardInterrupt:
        pass
    except CliError as err:
        _fail(str(err))
    except Exception as err:  # noqa: BLE001
        _fail(f"tail failed: {type(err).__name__}")


@app.command()
def asyncapi(out: Path = typer.Option(Path("docs/asyncapi.yaml"), "--out")) -> None:
    """Write the AsyncAPI 3 document generated from the four FastStream apps."""
    from scribestream.asyncapi import render

    out.write_text(render())
    console.print(f"wrote {out}", highlight=False)


def _register_forget() -> None:
    from scribestream.forget import command

    app.command("forget")(command)


_register_forget()


def _register_deid() -> None:
    from scribestream.deid.cli import command

    app.command("deid")(command)


_register_deid()


eval_app = typer.Typer(no_args_is_help=True, help="Measure accuracy and speed on any dataset of the given format.")
app.add_typer(eval_app, name="eval")


def _register_evals() -> None:
    """Each evaluation lives in its own module under scribestream/evals and exposes ``command``."""
    import importlib

    for name in ("asr", "notes", "coding"):
        try:
            module = importlib.import_module(f"scribestream.evals.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"scribestream.evals.{name}":
                raise
            continue
        eval_app.command(name)(module.command)


_register_evals()


def _register_bench() -> None:
    from scribestream.benchmark.command import app as bench_app

    app.add_typer(bench_app, name="bench")


_register_bench()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
