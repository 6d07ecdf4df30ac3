"""Given names and surnames of 105 countries, from the ``names-dataset`` package (MIT; name frequencies per
country, 730k first and 983k last names). Only names ranked among the most frequent of at least one country are
kept: the long tail of that list is mostly noise (typos, nicknames, English words).

The package ships its tables as pickles that take ~1 GB of memory and several seconds to read, so the short
lists are derived once in a child process (the parent never holds the big tables) and kept in a small cache file
in ``shared.files.cache_root()`` (``$SCRIBESTREAM_CACHE``, ``$XDG_CACHE_HOME/scribestream`` or
``~/.cache/scribestream``); where no cache can be written they are derived on each load. Nothing is downloaded: the
tables come with the installed package.

    python -m scribestream.deid.worldnames OUT_DIR    # write the derived lists (what the child process runs)
"""

from __future__ import annotations

import gzip
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import unicodedata
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path

from shared.files import cache_root, write_atomic

# Per-country rank cut-offs. Given names: the 2,000 most frequent of each country cover most people there;
# surnames are more spread out, so the cut is wider, and surnames only complete a name after a given name.
GIVEN_MAX_RANK = 2000
SURNAME_MAX_RANK = 3000
_VERSION = 1  # of the derivation below: bump to invalidate caches

logger = logging.getLogger(__name__)


def _plain_word(name: str) -> str | None:
    """A one-word name in lower case, letters (any script with Latin letters), inner apostrophes or hyphens."""
    low = unicodedata.normalize("NFC", name.strip().lower())
    if len(low) < 2 or " " in low or not all(c.isalpha() or c in "'-" for c in low) or not low[0].isalpha():
        return None
    if not any("a" <= c <= "z" for c in low):
        return None  # Arabic, Cyrillic, CJK script: speech transcripts here are in Latin letters
    return low


def _derive(table: str, max_rank: int) -> list[str]:
    path = resources.files("names_dataset") / "v3" / table
    with path.open("rb") as raw, gzip.open(raw) as handle:
        data = pickle.load(handle)  # the installed package's own data file
    out = set()
    for name, info in data.items():
        ranks = (info or {}).get("rank") or {}
        if ranks and min(ranks.values()) <= max_rank and (word := _plain_word(name)):
            out.add(word)
    return sorted(out)


def _cache_file() -> Path:
    version = metadata.version("names-dataset")
    return cache_root() / f"deid-worldnames-v{_VERSION}-{version}-{GIVEN_MAX_RANK}-{SURNAME_MAX_RANK}.txt"


def _read(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    given: set[str] = set()
    surnames: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        kind, _, word = line.partition("\t")
        (given if kind == "G" else surnames).add(word)
    return frozenset(given), frozenset(surnames)


def _write(path: Path) -> None:
    lines = [f"G\t{w}" for w in _derive("first_names.pkl.gz", GIVEN_MAX_RANK)]
    lines += [f"S\t{w}" for w in _derive("last_names.pkl.gz", SURNAME_MAX_RANK)]
    write_atomic(path, "\n".join(lines) + "\n")


@lru_cache(maxsize=1)
def world_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), lower case, of the most frequent names of 105 countries."""
    path = _cache_file()
    if not path.exists():
        target = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # read-only home (a locked-down container): derive into a temporary file each time
            target = Path(tempfile.mkdtemp()) / path.name
        # the child finds this package even when it is run from a checkout that is not installed
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        subprocess.run([sys.executable, "-m", "scribestream.deid.worldnames", str(target)], check=True, env=env)
        path = target
        logger.info("deid: world name lists derived", extra={"path": str(path)})
    return _read(path)


if __name__ == "__main__":
    _write(Path(sys.argv[1]))
