"""One JSON logging setup for every service.

PHI rule: a log record carries a fixed message and whitelisted id/count/duration fields only. Anything
passed under another name is dropped, so a careless ``extra={"text": ...}`` cannot leak a transcript.
"""

from __future__ import annotations

import json
import logging
import sys
import time

SAFE_FIELDS = frozenset(
    {
        "service", "stage", "topic", "partition", "offset", "event_id", "encounter_id", "schema", "outcome",
        "error_class", "attempt", "count", "duration_ms", "turns", "statements", "codes", "seconds", "port",
        "bootstrap", "key_id", "resource_count", "status_code",
    }
)
_STD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def _message(record: logging.LogRecord) -> str:
    if not isinstance(record.msg, str):
        return type(record.msg).__name__
    # Interpolate only numeric arguments (ports, pids, counts); a string argument may be content.
    args = record.args if isinstance(record.args, tuple) else ()
    if args and all(isinstance(a, (int, float)) for a in args):
        try:
            return record.msg % args
        except (TypeError, ValueError):
            pass
    return record.msg


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": _message(record),
        }
        for key, value in vars(record).items():
            if key in SAFE_FIELDS and key not in _STD:
                out[key] = value if isinstance(value, (int, float, bool)) or value is None else str(value)
        if record.exc_info and record.exc_info[0] is not None:
            # Class name only: exception messages from libraries may quote payload content.
            out["error_class"] = record.exc_info[0].__name__
        return json.dumps(out, separators=(",", ":"))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Library loggers that may echo payloads at debug level stay at WARNING.
    for noisy in ("aiokafka", "faststream", "httpx", "faster_whisper", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"scribestream.{name}")
