"""Where de-identification keeps what it derives from installed packages once (name lists, the name-likeness
table): ``$SCRIBESTREAM_CACHE`` or ``~/.cache/scribestream``. The files are written with
``shared.files.write_atomic``, so a concurrent reader never sees half of one."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where derived word lists and models are kept between runs."""
    return Path(os.environ.get("SCRIBESTREAM_CACHE") or Path.home() / ".cache" / "scribestream")

