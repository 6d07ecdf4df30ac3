"""The real local stack for development, tests and demos: one Apache Kafka 4 broker (KRaft, combined
broker+controller) and one redis-server, both on free loopback ports, plus the four services as separate
processes.

Everything a stack owns lives in one run directory: configs, data, logs and ``stack.json``, which records
the ports, URLs and the PIDs (with their kernel start times). ``stop_stack`` signals exactly those PIDs and
nothing else, and skips a PID whose start time no longer matches (the number was reused by another
process after a reboot or a crash).

Each service may run as several replicas (``--replicas N``): processes ``asr``, ``asr-2`` … ``asr-N`` in the
same consumer group, so Kafka splits the topic's partitions between them and a replica that dies hands its
partitions to the others (its uncommitted input is redelivered; per-encounter state lives in Redis).

CLI: ``python -m scribestream.devstack up|down|status [--run-dir .run] [--partitions 6] [--services]
[--replicas 1]``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from shared.files import write_atomic

REPO_ROOT = Path(__file__).resolve().parents[1]
KAFKA_LIB = Path(os.environ.get("SCRIBESTREAM_KAFKA_LIB", REPO_ROOT / "infra" / "kafka" / "lib"))
STACK_FILE = "stack.json"
SERVICE_NAMES: tuple[str, ...] = ("asr", "notegen", "coding", "ehr_sink")
INFRA_NAMES: tuple[str, ...] = ("kafka", "redis")
LOOPBACK = "127.0.0.1"

_T = TypeVar("_T")


class StackError(RuntimeError):
    """The stack could not be started, reached or stopped. Messages hold ports, PIDs and paths only."""


@dataclass(frozen=True)
class StackInfo:
    bootstrap: str
    redis_url: str
    pids: dict[str, int] = field(default_factory=dict)
    run_dir: Path | None = None


# --------------------------------------------------------------------------------------------- stack.json


def _stack_path(run_dir: Path) -> Path:
    return Path(run_dir) / STACK_FILE


def read_state(run_dir: Path) -> dict[str, Any]:
    path = _stack_path(run_dir)
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def _write_state(run_dir: Path, state: Mapping[str, Any]) -> None:
    # Write-then-rename so a reader (or a crash) never sees half a file.
    write_atomic(_stack_path(run_dir), json.dumps(state, indent=2, sort_keys=True), mode=None)


def load_stack(run_dir: Path) -> StackInfo:
    state = read_state(run_dir)
    if "bootstrap" not in state:
        raise StackError(f"no stack recorded in {_stack_path(run_dir)}")
    pids = {name: rec["pid"] for name, rec in state.get("processes", {}).items()}
    return StackInfo(
        bootstrap=state["bootstrap"], redis_url=state["redis_url"], pids=pids, run_dir=Path(run_dir)
    )


# ------------------------------------------------------------------------------------------- processes


def _proc_start_time(pid: int) -> int | None:
    """Kernel start time of a PID (clock ticks since boot), to tell our process from a reused PID."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; fields after the closing parenthesis are fixed.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def _is_alive(pid: int, start_time: int | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # An exited child nobody has reaped yet (a zombie) still answers kill(pid, 0). It is not reaped here:
    # its exit status belongs to whoever holds its Popen.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    if start_time is not None:
        current = _proc_start_time(pid)
        if current is not None and current != start_time:
            return False  # the number now belongs to someone else
    return True


def _terminate(pid: int, *, start_time: int | None, timeout_s: float) -> None:
    """SIGTERM, wait up to ``timeout_s``, then SIGKILL. Only if the PID is still the process we started."""
    if not _is_alive(pid, start_time):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _is_alive(pid, start_time):
            return
        time.sleep(0.1)
    if _is_alive(pid, start_time):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        kill_deadline = time.monotonic() + 5
        while _is_alive(pid, start_time) and time.monotonic() < kill_deadline:
            time.sleep(0.05)


def _spawn(
    argv: list[str], *, log_path: Path, env: Mapping[str, str] | None = None, cwd: Path
) -> subprocess.Popen[bytes]:
    # A new session, so Ctrl-C in the caller's terminal does not reach the stack, and `make up` can exit
    # while the stack keeps running.
    with log_path.open("ab") as log:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )


def _record(state: dict[str, Any], name: str, proc: subprocess.Popen[bytes], **extra: Any) -> None:
    state.setdefault("processes", {})[name] = {
        "pid": proc.pid,
        "start_time": _proc_start_time(proc.pid),
        **extra,
    }


def _log_tail(path: Path, lines: int = 20) -> str:
    # Broker/redis/service logs carry ids and infrastructure events only, never PHI (see logging rules).
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ----------------------------------------------------------------------------------------------- ports


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports. All sockets stay open until every port is chosen, so none repeats."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((LOOPBACK, port)) == 0


def run_blocking(factory: Callable[[], Awaitable[_T]]) -> _T:
    """Run a coroutine to completion on a private loop in its own thread, so the sync API also works when
    the caller already has an event loop (pytest-asyncio, an async CLI)."""
    result: list[_T] = []
    error: list[BaseException] = []

    def target() -> None:
        import asyncio

        try:
            result.append(asyncio.run(factory()))  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target, name="devstack-async", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


# ----------------------------------------------------------------------------------------------- kafka


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise StackError("java not found; run `make install` (infra/install.sh)")
    return java


def _kafka_classpath() -> str:
    if not any(KAFKA_LIB.glob("kafka_2.13-*.jar")):
        raise StackError(f"Kafka jars missing in {KAFKA_LIB}; run `make install` (infra/install.sh)")
    return f"{KAFKA_LIB}/*"


def _server_properties(*, kafka_port: int, controller_port: int, data_dir: Path, partitions: int) -> str:
    props = {
        # Single node, KRaft combined mode: this process is both the broker and the only controller.
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": f"PLAINTEXT://{LOOPBACK}:{kafka_port},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{kafka_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.quorum.bootstrap.servers": f"{LOOPBACK}:{controller_port}",
        "log.dirs": str(data_dir),
        "num.partitions": str(partitions),
        # One broker: every internal topic must accept replication factor 1.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Fewer internal partitions than the defaults (50) keeps startup and memory small on 2 cores.
        "offsets.topic.num.partitions": "6",
        "transaction.state.log.num.partitions": "6",
        # Consumers join immediately instead of waiting 3 s for more members.
        "group.initial.rebalance.delay.ms": "0",
        # Topics are created explicitly with the right partition count; a typo must fail, not create one.
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{k}={v}\n" for k, v in props.items())


def _jvm_args() -> list[str]:
    return [
        "-Xms128m",
        "-Xmx512m",
        "-XX:+UseSerialGC",  # 2 cores: a parallel collector only competes with the services
        "-Djava.awt.headless=true",
        # slf4j-simple writes to stderr, which _spawn sends to the log file in the run dir.
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
    ]


def new_cluster_id() -> str:
    """A random KRaft cluster id (22 url-safe base64 characters). Never one that starts with "-": the storage
    tool's argument parser would read it as an option (1 in 64 ids; Kafka's own Uuid.randomUuid skips them too)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _format_storage(*, props_path: Path, run_dir: Path) -> None:
    cluster_id = new_cluster_id()
    log_path = run_dir / "kafka-format.log"
    with log_path.open("wb") as log:
        proc = subprocess.run(
            [
                _java(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                _kafka_classpath(),
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                "-c",
                str(props_path),
                "--standalone",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    if proc.returncode != 0:
        raise StackError(
            f"kafka storage format failed (exit {proc.returncode}); see {log_path}:\n{_log_tail(log_path)}"
        )


async def _wait_kafka(
    *, bootstrap: str, proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    port = int(bootstrap.rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(
                f"kafka exited with {proc.returncode} during startup; see {log_path}:\n{_log_tail(log_path)}"
            )
        if _port_open(port):
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
            try:
                await asyncio.wait_for(admin.start(), 10)
                await asyncio.wait_for(admin.describe_cluster(), 10)
                return
            except Exception:  # noqa: BLE001 - not ready yet; retried until the deadline
                pass
            finally:
                with contextlib.suppress(Exception):
                    await admin.close()
        await asyncio.sleep(0.25)
    raise StackError(
        f"kafka not ready on {bootstrap} within {timeout_s:.0f}s; see {log_path}:\n{_log_tail(log_path)}"
    )


def topic_names() -> list[str]:
    """Every pipeline topic and its dead-letter topic."""
    from shared.contracts import ALL_TOPICS

    names: list[str] = []
    for topic in ALL_TOPICS:
        names += [topic.value, topic.dlq]
    return names


_TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(*, bootstrap: str, partitions: int, timeout_s: float = 30.0) -> None:
    """Create every pipeline topic and its DLQ (idempotent: existing topics are left as they are), then
    wait until the broker's metadata shows all of them and the group coordinator answers, so the first
    consumer does not race topic creation or the creation of ``__consumer_offsets``."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    names = topic_names()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await asyncio.wait_for(admin.start(), timeout_s)
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            response = await admin.create_topics(
                [NewTopic(name=n, num_partitions=partitions, replication_factor=1) for n in missing],
                timeout_ms=int(timeout_s * 1000),
            )
            for topic_error in response.topic_errors:
                name, code = topic_error[0], topic_error[1]
                if code not in (0, _TOPIC_ALREADY_EXISTS):
                    raise StackError(f"creating topic {name} failed with Kafka error code {code}")
        deadline = time.monotonic() + timeout_s
        while True:
            described = await admin.describe_topics(names)
            ready = [t for t in described if t["error_code"] == 0 and t["partitions"]]
            if len(ready) == len(names):
                break
            if time.monotonic() > deadline:
                raise StackError(f"topics not visible in metadata within {timeout_s:.0f}s")
            await asyncio.sleep(0.1)
        while True:
            try:
                await admin.find_coordinator("scribestream-devstack-warmup")
                break
            except Exception:  # noqa: BLE001 - coordinator loading; retried until the deadline
                if time.monotonic() > deadline:
                    raise StackError("group coordinator not available") from None
                await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def describe_partitions(*, bootstrap: str) -> dict[str, int]:
    """Partition count of every topic the broker knows (tests and `status`)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        described = await admin.describe_topics(await admin.list_topics())
        return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}
    finally:
        await admin.close()


# ----------------------------------------------------------------------------------------------- redis


async def _wait_redis(
    *, redis_url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    import asyncio

    import redis.asyncio as aioredis

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(
                f"redis exited with {proc.returncode} during startup; see {log_path}:\n{_log_tail(log_path)}"
            )
        client = aioredis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
        try:
            if await client.ping():
                return
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        finally:
            await client.aclose()
        await asyncio.sleep(0.1)
    raise StackError(
        f"redis not ready at {redis_url} within {timeout_s:.0f}s; see {log_path}:\n{_log_tail(log_path)}"
    )


# ------------------------------------------------------------------------------------------ public API


def start_stack(
    *,
    run_dir: Path,
    kafka_port: int | None = None,
    redis_port: int | None = None,
    partitions: int = 6,
    timeout_s: float = 90.0,
) -> StackInfo:
    """Start Kafka (KRaft) and Redis into ``run_dir`` and create every topic with ``partitions`` partitions.

    Refuses to start over a stack that is still running in the same ``run_dir``. On any failure, whatever
    was started is stopped again before the error is raised.
    """
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    if running_processes(run_dir):
        raise StackError(f"a stack is already running in {run_dir}; stop it first (`make down`)")
    if partitions < 1:
        raise StackError("partitions must be >= 1")

    controller_port, *extra = free_ports(3)
    kafka_port = kafka_port or extra[0]
    redis_port = redis_port or extra[1]
    bootstrap = f"{LOOPBACK}:{kafka_port}"
    redis_url = f"redis://{LOOPBACK}:{redis_port}/0"
    state: dict[str, Any] = {
        "bootstrap": bootstrap,
        "redis_url": redis_url,
        "kafka_port": kafka_port,
        "controller_port": controller_port,
        "redis_port": redis_port,
        "partitions": partitions,
        "processes": {},
    }
    started = time.monotonic()
    _write_state(run_dir, state)
    try:
        # Redis first: it is ready in milliseconds and is then up while the JVM starts.
        redis_log = run_dir / "redis.log"
        redis_bin = shutil.which("redis-server")
        if redis_bin is None:
            raise StackError("redis-server not found; run `make install` (infra/install.sh)")
        redis_proc = _spawn(
            [
                redis_bin,
                "--port",
                str(redis_port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(run_dir),
                "--logfile",
                "",
            ],
            log_path=redis_log,
            cwd=run_dir,
        )
        _record(state, "redis", redis_proc, port=redis_port)
        _write_state(run_dir, state)

        data_dir = run_dir / "kafka-data"
        shutil.rmtree(data_dir, ignore_errors=True)  # a dev stack starts empty every time
        props_path = run_dir / "server.properties"
        props_path.write_text(
            _server_properties(
                kafka_port=kafka_port,
                controller_port=controller_port,
                data_dir=data_dir,
                partitions=partitions,
            )
        )
        _format_storage(props_path=props_path, run_dir=run_dir)
        timings = {"format_s": round(time.monotonic() - started, 2)}
        kafka_log = run_dir / "kafka.log"
        kafka_proc = _spawn(
            [_java(), *_jvm_args(), "-cp", _kafka_classpath(), "kafka.Kafka", str(props_path)],
            log_path=kafka_log,
            cwd=run_dir,
        )
        _record(state, "kafka", kafka_proc, port=kafka_port)
        _write_state(run_dir, state)

        async def ready() -> None:
            await _wait_redis(
                redis_url=redis_url, proc=redis_proc, log_path=redis_log, timeout_s=min(timeout_s, 20)
            )
            await _wait_kafka(bootstrap=bootstrap, proc=kafka_proc, log_path=kafka_log, timeout_s=timeout_s)
            timings["kafka_ready_s"] = round(time.monotonic() - started, 2)
            await ensure_topics(bootstrap=bootstrap, partitions=partitions)

        run_blocking(ready)
    except BaseException:
        stop_stack(run_dir)
        raise
    state["startup_s"] = round(time.monotonic() - started, 2)
    state["startup_breakdown_s"] = timings  # cumulative marks: where a slow start spent its time
    _write_state(run_dir, state)
    return load_stack(run_dir)


def running_processes(run_dir: Path) -> dict[str, int]:
    """Recorded processes that are still alive (and still the processes that were started)."""
    procs = read_state(run_dir).get("processes", {})
    return {name: rec["pid"] for name, rec in procs.items() if _is_alive(rec["pid"], rec.get("start_time"))}


def _stop(run_dir: Path, names: Iterable[str], *, timeout_s: float) -> list[str]:
    state = read_state(run_dir)
    procs: dict[str, Any] = state.get("processes", {})
    stopped = []
    for name in names:
        rec = procs.get(name)
        if rec is None:
            continue
        _terminate(rec["pid"], start_time=rec.get("start_time"), timeout_s=timeout_s)
        procs.pop(name)
        stopped.append(name)
    if state:
        _write_state(run_dir, state)
    return stopped


def replica_names(name: str, *, replicas: int) -> list[str]:
    """Process names of a service's replicas: the first keeps the plain service name (so callers that know
    one process per service keep working), the others are ``<name>-2`` … ``<name>-N``."""
    return [name if i == 1 else f"{name}-{i}" for i in range(1, replicas + 1)]


def _with_replicas(names: Iterable[str], recorded: Iterable[str]) -> list[str]:
    # Service names use underscores, never "-<digits>", so the suffix cannot be mistaken for part of a name.
    recorded = list(recorded)
    expanded: list[str] = []
    for name in names:
        suffixed = sorted(r for r in recorded if r.startswith(f"{name}-") and r[len(name) + 1 :].isdigit())
        for candidate in [name, *suffixed]:
            if candidate not in expanded:
                expanded.append(candidate)
    return expanded


def stop_services(
    run_dir: Path, *, names: Iterable[str] = SERVICE_NAMES, timeout_s: float = 15.0
) -> list[str]:
    """Stop the recorded service processes, every replica of each named service (``asr`` also stops
    ``asr-2`` …); returns the process names that were stopped."""
    recorded = read_state(Path(run_dir)).get("processes", {})
    return _stop(Path(run_dir), _with_replicas(names, recorded), timeout_s=timeout_s)


def stop_stack(run_dir: Path, *, timeout_s: float = 20.0) -> list[str]:
    """Stop services first (they flush to Kafka and Redis on shutdown), then Kafka, then Redis. Only the
    PIDs recorded in ``run_dir/stack.json`` are signalled."""
    run_dir = Path(run_dir)
    stopped = stop_services(run_dir, timeout_s=timeout_s)
    stopped += _stop(run_dir, ["kafka", "redis"], timeout_s=timeout_s)
    return stopped


KEY_ENV = ("SCRIBESTREAM_KEYS", "SCRIBESTREAM_KEYRING_FILE", "SCRIBESTREAM_KEYRING_DIR", "SCRIBESTREAM_ENCRYPTION")


def dev_keyring_env(run_dir: Path, *, env: Mapping[str, str]) -> dict[str, str]:
    """A local stack's services encrypt like production ones: without key settings, they get a dev key ring
    created once in ``run_dir/keyring.json`` (mode 0600), which ``scribestream publish/tail`` find there too."""
    if any(name in env for name in KEY_ENV):
        return {}
    from shared.crypto import KeyRing

    path = Path(run_dir) / "keyring.json"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(KeyRing.generate("dev-1").to_json())
    return {"SCRIBESTREAM_KEYRING_FILE": str(path)}


def start_services(
    *,
    run_dir: Path,
    stack: StackInfo | None = None,
    names: Iterable[str] = SERVICE_NAMES,
    python: str | Path = sys.executable,
    extra_env: Mapping[str, str] | None = None,
    ready_timeout_s: float | None = 60.0,
    replicas: int = 1,
) -> dict[str, int]:
    """Launch each service as ``<python> -m services.<name>`` with the stack's
    addresses in the environment and a free port for its health/metrics endpoint.

    ``replicas`` processes per service (see ``replica_names``), all in the service's consumer group; the
    returned mapping and ``stack.json`` name each process.

    ``stack`` defaults to the one recorded in ``run_dir``. With ``ready_timeout_s`` set, waits until every
    service answers ``GET /health/ready`` with 200 (or raises, naming the services and their logs).
    """
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    stack = stack or load_stack(run_dir)
    state = read_state(run_dir) or {
        "bootstrap": stack.bootstrap,
        "redis_url": stack.redis_url,
        "processes": {},
    }
    if replicas < 1:
        raise StackError("replicas must be >= 1")
    services = list(names)
    names = [instance for name in services for instance in replica_names(name, replicas=replicas)]
    ports = free_ports(len(names))
    extra_env = {**dev_keyring_env(run_dir, env={**os.environ, **(extra_env or {})}), **(extra_env or {})}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for name, http_port in zip(names, ports, strict=True):
        if name in running_processes(run_dir):
            raise StackError(f"service {name} is already running in {run_dir}")
        module = name.rsplit("-", 1)[0] if "-" in name else name
        env = {
            **os.environ,
            "SCRIBESTREAM_KAFKA_BOOTSTRAP": stack.bootstrap,
            "SCRIBESTREAM_REDIS_URL": stack.redis_url,
            "SCRIBESTREAM_HTTP_HOST": LOOPBACK,
            "SCRIBESTREAM_HTTP_PORT": str(http_port),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        proc = _spawn(
            [str(python), "-m", f"services.{module}"],
            log_path=run_dir / f"{name}.log",
            env=env,
            cwd=REPO_ROOT,
        )
        procs[name] = proc
        _record(state, name, proc, http_port=http_port, service=module)
        _write_state(run_dir, state)
    if ready_timeout_s is not None:
        try:
            _wait_services(
                run_dir=run_dir,
                procs=procs,
                ports=dict(zip(names, ports, strict=True)),
                timeout_s=ready_timeout_s,
            )
        except BaseException:
            # Exactly the processes started here: no half-started pipeline left behind, and a replica that
            # was already running (a restart of one killed replica) keeps running. The stack stays.
            _stop(run_dir, names, timeout_s=15.0)
            raise
    return {name: proc.pid for name, proc in procs.items()}


def _wait_services(
    *, run_dir: Path, procs: Mapping[str, subprocess.Popen[bytes]], ports: Mapping[str, int], timeout_s: float
) -> None:
    pending = set(procs)
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            if procs[name].poll() is not None:
                log = run_dir / f"{name}.log"
                raise StackError(
                    f"service {name} exited with {procs[name].returncode}; see {log}:\n{_log_tail(log)}"
                )
            try:
                with urllib.request.urlopen(
                    f"http://{LOOPBACK}:{ports[name]}/health/ready", timeout=1
                ) as resp:
                    if resp.status == 200:
                        pending.discard(name)
            except OSError:
                pass
        if pending:
            time.sleep(0.25)
    if pending:
        logs = ", ".join(str(run_dir / f"{n}.log") for n in sorted(pending))
        raise StackError(f"services not ready within {timeout_s:.0f}s: {sorted(pending)}; see {logs}")


# -------------------------------------------------------------------------------------------------- CLI


def _status(run_dir: Path) -> dict[str, Any]:
    state = read_state(run_dir)
    alive = running_processes(run_dir)
    return {
        "run_dir": str(run_dir),
        "bootstrap": state.get("bootstrap"),
        "redis_url": state.get("redis_url"),
        "processes": {
            name: {**rec, "alive": name in alive} for name, rec in state.get("processes", {}).items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scribestream.devstack", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--run-dir", type=Path, default=Path(".run"))
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--kafka-port", type=int, default=None)
    parser.add_argument("--redis-port", type=int, default=None)
    parser.add_argument("--services", action="store_true", help="also start the four services")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the services' /health/ready")
    parser.add_argument(
        "--replicas", type=int, default=1, help="processes per service, in one consumer group (<= partitions)"
    )
    args = parser.parse_args(argv)

    try:
        if args.command == "up":
            info = start_stack(
                run_dir=args.run_dir,
                kafka_port=args.kafka_port,
                redis_port=args.redis_port,
                partitions=args.partitions,
            )
            print(
                f"kafka  {info.bootstrap}\nredis  {info.redis_url}\n"
                f"started in {read_state(args.run_dir).get('startup_s')} s; logs in {info.run_dir}"
            )
            if args.services:
                try:
                    pids = start_services(
                        run_dir=args.run_dir,
                        ready_timeout_s=None if args.no_wait else 90.0,
                        replicas=args.replicas,
                    )
                except BaseException:
                    stop_stack(args.run_dir)  # so a second `up` after the fix does not find a stale stack
                    raise
                print("services " + " ".join(f"{n}={p}" for n, p in pids.items()))
        elif args.command == "down":
            stopped = stop_stack(args.run_dir)
            print("stopped " + (" ".join(stopped) if stopped else "nothing"))
        else:
            print(json.dumps(_status(args.run_dir), indent=2))
    except StackError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
