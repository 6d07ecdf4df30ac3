"""Where de-identification keeps what it derives from installed packages once (name lists, the name-likeness
table): ``$SCRIBESTREAM_CACHE`` or ``~/.cache/scribestream``; written atomically, so a concurrent reader never
sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """Where derived word lists and models are kept between runs."""
    return Path(os.environ.get("SCRIBESTREAM_CACHE") or Path.home() / ".cache" / "scribestream")


def write_text_atomic(path: Path, text: str) -> None:
    """Write then rename (OSError when the folder cannot be written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)
