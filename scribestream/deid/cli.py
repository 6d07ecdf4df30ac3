"""``scribestream deid INPUT.jsonl --out OUTPUT.jsonl``: a de-identified copy of transcripts or notes.

Each input line is a JSON object with ``text`` and optionally ``encounter_id`` (and any ``id``). Each output line
keeps the id fields (``id``, ``encounter_id``, any ``*_id``), and adds the de-identified ``text`` and ``spans``
(type, start and end in the ORIGINAL text, replacement). Other fields are dropped: they may hold PHI.

Dates shift by a per-encounter offset derived from a key: ``--key-file`` or ``SCRIBESTREAM_DEID_KEY``. Without
one, a random key is used for this run only (shifts are consistent within the run, not across runs).
Errors are one line naming the line number, never its text; the output appears whole or not at all."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from scribestream.jsonl import JsonlError, records

KEY_ENV = "SCRIBESTREAM_DEID_KEY"


class DeidInputError(Exception):
    """A PHI-free description of what is wrong with the input."""


def _key(key_file: Path | None) -> tuple[bytes, bool]:
    if key_file is not None:
        try:
            key = key_file.read_bytes().strip()
        except OSError:
            raise DeidInputError("the key file cannot be read") from None
        if not key:
            raise DeidInputError("the key file is empty")
        return key, True
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return env.encode(), True
    return secrets.token_bytes(32), False


def _records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    out = []
    try:
        for number, record in records(path):
            if not isinstance(record.get("text"), str):
                raise DeidInputError(f"line {number}: expected a JSON object with a string 'text'")
            encounter = record.get("encounter_id", "")
            if encounter is not None and not isinstance(encounter, (str, int)):
                raise DeidInputError(f"line {number}: 'encounter_id' must be a string")
            out.append((number, record))
    except JsonlError as err:
        raise DeidInputError(f"input {err}") from None
    return out


def _id_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items()
            if (k in ("id", "encounter_id") or k.endswith("_id")) and isinstance(v, (str, int)) and k != "text"}


def command(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.jsonl", help="one JSON object per line with 'text'")],
    out: Annotated[Path, typer.Option("--out", help="where to write the de-identified JSONL")],
    key_file: Annotated[Path | None, typer.Option("--key-file", help=f"date-shift key (or ${KEY_ENV})")] = None,
) -> None:
    """De-identify transcripts or notes (names, dates shifted per encounter, ages over 89, phone, fax, e-mail,
    addresses, ZIP, MRN and other ids, SSN, URL, IP) for dataset building. Offline."""
    from scribestream.deid import Deidentifier

    try:
        key, stable = _key(key_file)
        records = _records(input_path)
    except DeidInputError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    if not stable:
        typer.echo(f"note: no key given (--key-file or {KEY_ENV}); date shifts hold for this run only", err=True)
    deid = Deidentifier(key=key)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    spans = 0
    with partial.open("w", encoding="utf-8") as handle:
        for number, record in records:
            encounter = str(record.get("encounter_id") or "")
            try:
                result = deid.deidentify(record["text"], encounter_id=encounter)
            except Exception as err:  # noqa: BLE001  -- a traceback could quote the text: line and class only
                handle.close()
                partial.unlink(missing_ok=True)
                typer.echo(f"error: line {number}: de-identification failed ({type(err).__name__})", err=True)
                raise typer.Exit(1) from None
            spans += len(result.spans)
            line = _id_fields(record) | {"text": result.text, "spans": [s.as_dict() for s in result.spans]}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    partial.replace(out)
    print(f"wrote {len(records)} lines, {spans} identifiers replaced -> {out}", file=sys.stderr)
