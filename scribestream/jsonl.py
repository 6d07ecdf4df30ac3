"""Reading the JSONL files the command line takes (``deid``, ``eval coding``): one JSON object per line, blank lines
skipped, and every problem a one-line, PHI-free message that names the line and never quotes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class JsonlError(ValueError):
    """What is wrong with the file: its line number and the kind of problem, never its text."""


def records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of ``path``."""
    if not path.is_file():
        raise JsonlError(f"file not found: {path.name}")
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    raise JsonlError(f"line {number}: not valid JSON") from None
                if not isinstance(record, dict):
                    raise JsonlError(f"line {number}: expected a JSON object")
                yield number, record
    except UnicodeDecodeError:
        raise JsonlError("not UTF-8 text") from None
