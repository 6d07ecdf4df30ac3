"""Container HEALTHCHECK: exit 0 when the service's /health/live answers 200, 1 otherwise.

Python rather than curl so the image needs no extra packages; standard library only so it starts fast
and works even if the service's own imports are broken (that is what the check should catch, not crash on).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("SCRIBESTREAM_HTTP_PORT", "8080")
    path = sys.argv[1] if len(sys.argv) > 1 else "/health/live"
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
