"""Runs the HAPI FHIR R4 JPA server that infra/install.sh builds (infra/fhir), for tests, benchmarks and
trying the FHIR mode locally: in-memory H2, loopback only, any free port. Not used in production, where
the EHR's own FHIR server is the destination.

    python -m services.ehr_sink.fhir_test_server      # prints the base URL, serves until Ctrl-C
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LIB_DIR = REPO_ROOT / "infra" / "fhir" / "lib"
MAIN_CLASS = "dev.scribestream.fhir.FhirTestServer"
READY = "FHIR_SERVER_READY "

# A small heap and the client compiler: the server holds a few hundred test notes, and on a 2-core machine
# the C2 compiler's warm-up costs more start time than it saves.
JVM_OPTS = ("-Xms256m", "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")


CDS_ARCHIVE = LIB_DIR / "hapi-cds.jsa"  # written by infra/install.sh; optional


def _cds_opts() -> list[str]:
    # The archive only matches the exact jars and JVM it was recorded with; -Xshare:auto makes the JVM
    # ignore a stale one instead of failing.
    return [f"-XX:SharedArchiveFile={CDS_ARCHIVE}"] if CDS_ARCHIVE.exists() else []


class FhirServerError(RuntimeError):
    pass


@contextmanager
def running_fhir_server(*, log_dir: Path, start_timeout_s: float = 240.0) -> Iterator[str]:
    """Start the server, yield its base URL once it answers, and stop it (SIGTERM, then SIGKILL)."""
    if not (LIB_DIR / "scribestream-fhir-server.jar").exists():
        raise FhirServerError(f"HAPI FHIR server not built: run `bash infra/install.sh` ({LIB_DIR} missing)")
    java = shutil.which("java")
    if java is None:
        raise FhirServerError("java not found: run `bash infra/install.sh`")
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "hapi-fhir.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [java, *JVM_OPTS, *_cds_opts(), "-cp", f"{LIB_DIR}{os.sep}*", MAIN_CLASS, "0"],
            stdout=subprocess.PIPE, stderr=log, cwd=REPO_ROOT,
        )
        try:
            base = _await_ready(proc, timeout_s=start_timeout_s, log_path=log_path)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()


def _await_ready(proc: subprocess.Popen[bytes], *, timeout_s: float, log_path: Path) -> str:
    import selectors

    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buffered = b""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise FhirServerError(f"HAPI FHIR server exited with {proc.returncode}; see {log_path}")
        if sel.select(timeout=0.5):
            buffered += os.read(proc.stdout.fileno(), 4096)
            *lines, buffered = buffered.split(b"\n")  # only whole lines: the port may not have arrived yet
            for line in lines:
                text = line.decode(errors="replace")
                if text.startswith(READY):
                    return text[len(READY):].split()[0]
    raise FhirServerError(f"HAPI FHIR server not ready after {timeout_s:.0f} s; see {log_path}")


def main() -> None:  # pragma: no cover - manual use
    started = time.perf_counter()
    with running_fhir_server(log_dir=REPO_ROOT / ".run" / "fhir") as base:
        print(f"{base} (ready in {time.perf_counter() - started:.1f} s)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    sys.exit(0)


if __name__ == "__main__":
    main()
