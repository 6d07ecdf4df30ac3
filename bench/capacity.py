"""Capacity of the distributed pipeline: now ``scribestream bench pipeline`` (scribestream/benchmark/).

This path is kept so older notes keep working; it passes its arguments through, e.g.

    .venv/bin/python bench/capacity.py --encounters 4 --concurrency 4 --realtime --minutes 10
"""

from __future__ import annotations

import sys

from scribestream.cli import app

if __name__ == "__main__":
    sys.exit(app(["bench", "pipeline", *sys.argv[1:]]))
