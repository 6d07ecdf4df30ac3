"""The deployment files agree with the code: compose, Dockerfile and every kustomize overlay.

Offline and fast: no Docker engine, no cluster. Overlays are rendered with a kustomize binary (``kustomize``
on PATH, ``$KUSTOMIZE``, ``$(go env GOPATH)/bin/kustomize``, or ``kubectl kustomize``); without one those
tests skip and say so. Built-in kinds are validated against the Kubernetes JSON schemas that
``kubernetes-validate`` ships; the CRDs (KEDA, Strimzi) are checked field by field below.
"""

from __future__ import annotations

import functools
import http.server
import importlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.contracts import ALL_TOPICS, Topic
from shared.settings import ServiceSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
HEALTHCHECK = ROOT / "deploy" / "docker" / "healthcheck.py"
OVERLAYS = ("base", "overlays/dev", "overlays/prod")
K8S_VERSION = "1.32.0"
PARTITIONS = 6

# python module -> (Kubernetes object name, topic it consumes). Kubernetes names cannot hold "_".
SERVICES: dict[str, tuple[str, Topic]] = {
    "asr": ("asr", Topic.AUDIO_CHUNKS),
    "notegen": ("notegen", Topic.TRANSCRIPT_TURNS),
    "coding": ("coding", Topic.SOAP_DRAFT),
    "ehr_sink": ("ehr-sink", Topic.SOAP_CODED),
}
CRD_KINDS = {"ScaledObject": "keda.sh/v1alpha1", "KafkaTopic": "kafka.strimzi.io/v1beta2"}


# --- helpers -------------------------------------------------------------------------------------------


def settings_class(module: str) -> type[ServiceSettings]:
    """The service's settings class (the ServiceSettings subclass its config.py defines)."""
    config = importlib.import_module(f"services.{module}.config")
    found = [
        value
        for value in vars(config).values()
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value is not ServiceSettings
    ]
    assert len(found) == 1, f"services/{module}/config.py should define exactly one settings class"
    return found[0]


def unknown_env_names(names: set[str], cls: type[ServiceSettings]) -> set[str]:
    valid = {f"SCRIBESTREAM_{field.upper()}" for field in cls.model_fields}
    return names - valid


def _kustomize_command() -> list[str] | None:
    if os.environ.get("KUSTOMIZE"):
        return [os.environ["KUSTOMIZE"], "build"]
    found = shutil.which("kustomize")
    if found is None and shutil.which("go"):
        gopath = subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True, timeout=30).stdout.strip()
        candidate = Path(gopath, "bin", "kustomize") if gopath else None
        found = str(candidate) if candidate and candidate.is_file() else None
    if found:
        return [found, "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


@functools.cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    command = _kustomize_command()
    if command is None:
        pytest.skip("no kustomize: install with `go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0` "
                    "(or put kubectl on PATH)")
    done = subprocess.run([*command, str(K8S / overlay)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"kustomize build {overlay} failed:\n{done.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def objects(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in render(overlay) if doc["kind"] == kind}


def one(objects_by_name: dict[str, dict[str, Any]], prefix: str) -> dict[str, Any]:
    """The object whose (possibly hash-suffixed) name is ``prefix``."""
    matches = [obj for name, obj in objects_by_name.items() if re.fullmatch(rf"{re.escape(prefix)}(-[a-z0-9]{{10}})?", name)]
    assert len(matches) == 1, f"expected one {prefix!r}, found {sorted(objects_by_name)}"
    return matches[0]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def all_topic_names() -> set[str]:
    return {t.value for t in ALL_TOPICS} | {t.dlq for t in ALL_TOPICS}


# --- Kubernetes: schema ----------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_object_is_valid_kubernetes(overlay: str) -> None:
    import kubernetes_validate

    kinds = set()
    for doc in render(overlay):
        kinds.add(doc["kind"])
        if doc["kind"] in CRD_KINDS:
            assert doc["apiVersion"] == CRD_KINDS[doc["kind"]]
            continue
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # raises ValidationError with the path
    assert {"Deployment", "Service", "ServiceAccount", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy",
            "ScaledObject", "KafkaTopic"} <= kinds


def test_schema_validation_rejects_a_broken_deployment() -> None:
    """Guards the test above: the validator really checks, it is not a no-op on these objects."""
    import kubernetes_validate

    broken = yaml.safe_load(yaml.safe_dump(objects("base", "Deployment")["notegen"]))
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "eighty"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_values_are_committed(overlay: str) -> None:
    assert objects(overlay, "Secret") == {}, "Secrets are created by operators, never rendered from the repo"


# --- Kubernetes: each service ----------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("module", SERVICES)
def test_service_has_its_objects_and_selectors_match(overlay: str, module: str) -> None:
    name, _ = SERVICES[module]
    deployment = objects(overlay, "Deployment")[name]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    assert objects(overlay, "Service")[name]["spec"]["selector"].items() <= pod_labels.items()
    assert objects(overlay, "PodDisruptionBudget")[name]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert objects(overlay, "NetworkPolicy")[name]["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] in objects(overlay, "ServiceAccount")
    assert "replicas" not in deployment["spec"], "KEDA owns the replica count"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("module", SERVICES)
def test_deployment_probes_resources_and_security(overlay: str, module: str) -> None:
    name, _ = SERVICES[module]
    pod = objects(overlay, "Deployment")[name]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the image's USER
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8080}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in ("http", 8080)
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= container["resources"][bound].keys()
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "HOME and TMPDIR point at /tmp; the root filesystem is read-only"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("module", SERVICES)
def test_container_environment_names_are_settings_fields(overlay: str, module: str) -> None:
    name, _ = SERVICES[module]
    (container,) = objects(overlay, "Deployment")[name]["spec"]["template"]["spec"]["containers"]
    config_maps = objects(overlay, "ConfigMap")
    names = {env["name"] for env in container.get("env", [])}
    for source in container["envFrom"]:
        referenced = source["configMapRef"]["name"]
        assert referenced in config_maps, f"{name} reads ConfigMap {referenced}, which is not rendered"
        names |= set(config_maps[referenced]["data"])
    cls = settings_class(module)
    assert unknown_env_names(names, cls) == set(), f"not fields of {cls.__name__}"
    # Required settings (no default) must be provided, or the pod would crash-loop.
    required = {f"SCRIBESTREAM_{f.upper()}" for f, info in cls.model_fields.items() if info.is_required()}
    assert required <= names
    env = {e["name"]: e for e in container.get("env", [])}
    assert "secretKeyRef" in env["SCRIBESTREAM_REDIS_URL"]["valueFrom"], "the Redis URL may carry a password"


def test_settings_check_catches_a_misspelt_name() -> None:
    from services.asr.config import AsrSettings

    assert unknown_env_names({"SCRIBESTREAM_DEVICE", "SCRIBESTREAM_DEVICES"}, AsrSettings) == {"SCRIBESTREAM_DEVICES"}


@pytest.mark.parametrize("module", SERVICES)
def test_the_service_table_matches_the_apps(module: str) -> None:
    """SERVICES above is this test's own copy of who consumes what; it must agree with each app's spec."""
    try:
        spec = importlib.import_module(f"services.{module}.app").SPEC
    except ImportError as error:  # an app still being wired is the app's tests' concern, not this file's
        pytest.skip(f"services.{module}.app does not import: {error}")
    assert (spec.name, spec.consumes) == (module, SERVICES[module][1])


# --- Kubernetes: scaling and topics ----------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("module", SERVICES)
def test_keda_scales_on_the_service_consumer_group_lag(overlay: str, module: str) -> None:
    name, topic = SERVICES[module]
    scaled = objects(overlay, "ScaledObject")[name]
    assert scaled["spec"]["scaleTargetRef"]["name"] == name
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == module  # shared.runtime: group_id = service name
    assert trigger["metadata"]["topic"] == topic.value
    common = one(objects(overlay, "ConfigMap"), "scribestream-common")["data"]
    assert trigger["metadata"]["bootstrapServers"] == common["SCRIBESTREAM_KAFKA_BOOTSTRAP"]
    partitions = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in objects(overlay, "KafkaTopic").values()}
    assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"] <= partitions[topic.value]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_topics_are_every_contract_topic_and_its_dlq(overlay: str) -> None:
    topics = {t["spec"]["topicName"]: t for t in objects(overlay, "KafkaTopic").values()}
    assert set(topics) == all_topic_names()
    day_ms = 24 * 3600 * 1000
    for topic_name, topic in topics.items():
        assert topic["spec"]["partitions"] == PARTITIONS
        assert topic["metadata"]["labels"]["strimzi.io/cluster"]
        retention = int(topic["spec"]["config"]["retention.ms"])
        if topic_name == Topic.AUDIO_CHUNKS.value:
            assert retention <= day_ms, "raw audio is kept for a day at most"
        elif topic_name == Topic.AUDIO_CHUNKS.dlq:
            assert retention <= 3 * day_ms, "dead-lettered audio: long enough to triage over a weekend, no more"
        elif topic_name in (Topic.TRANSCRIPT_PARTIALS.value, Topic.TRANSCRIPT_PARTIALS.dlq):
            assert retention <= day_ms, "live hypotheses are for display only"
        elif topic_name == Topic.AUDIT_EVENTS.value:
            assert retention >= 6 * 365 * day_ms, "HIPAA: keep documentation of access and disclosures six years"
        else:
            assert retention >= 7 * day_ms
        replicas, min_isr = topic["spec"]["replicas"], int(topic["spec"]["config"]["min.insync.replicas"])
        assert min_isr <= replicas
        if overlay != "overlays/dev":
            assert (replicas, min_isr) == (3, 2)


def test_asr_runs_on_gpu_nodes_in_prod() -> None:
    pod = objects("overlays/prod", "Deployment")["asr"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["image"].startswith("scribestream/asr-cuda:")
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    config = one(objects("overlays/prod", "ConfigMap"), "asr-config")["data"]
    assert config["SCRIBESTREAM_DEVICE"] == "cuda"


def test_cpu_asr_component_drops_everything_gpu_in_dev() -> None:
    pod = objects("overlays/dev", "Deployment")["asr"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "nvidia.com/gpu" not in str(container["resources"])
    assert "tolerations" not in pod and "nodeSelector" not in pod
    assert container["image"].startswith("scribestream/asr:")
    config = one(objects("overlays/dev", "ConfigMap"), "asr-config")["data"]
    assert (config["SCRIBESTREAM_DEVICE"], config["SCRIBESTREAM_COMPUTE_TYPE"]) == ("cpu", "int8")


def test_prod_ehr_sink_is_in_fhir_mode_with_a_required_token() -> None:
    (container,) = objects("overlays/prod", "Deployment")["ehr-sink"]["spec"]["template"]["spec"]["containers"]
    token = {e["name"]: e for e in container["env"]}["SCRIBESTREAM_FHIR_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert token["optional"] is False
    config = one(objects("overlays/prod", "ConfigMap"), "ehr-sink-config")["data"]
    from services.ehr_sink.config import EhrSinkSettings

    settings = EhrSinkSettings(kafka_bootstrap="k:9092", redis_url="redis://r:6379/0",
                               fhir_base_url=config["SCRIBESTREAM_FHIR_BASE_URL"])
    assert settings.mode == "fhir"


# --- docker-compose ------------------------------------------------------------------------------------


def test_compose_has_the_stack_and_services_wait_for_it() -> None:
    services = compose()["services"]
    assert {"kafka", "redis", "topics", *SERVICES} <= services.keys()
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    for infra in ("kafka", "redis"):
        assert services[infra]["healthcheck"]["test"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for module in SERVICES:
        service = services[module]
        assert service["depends_on"] == {
            "kafka": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "topics": {"condition": "service_completed_successfully"},
        }
        assert "/health/live" in " ".join(service["healthcheck"]["test"])
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert service["build"]["target"] == module
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert service["user"].split(":")[0] == "10001"


def test_compose_topics_job_creates_every_topic_and_dlq() -> None:
    job = compose()["services"]["topics"]
    assert set(job["environment"]["TOPICS"].split()) == all_topic_names()
    assert int(job["environment"]["PARTITIONS"]) == PARTITIONS
    assert "--if-not-exists" in job["command"][0]


@pytest.mark.parametrize("module", SERVICES)
def test_compose_environment_names_are_settings_fields(module: str) -> None:
    environment = compose()["services"][module]["environment"]
    cls = settings_class(module)
    assert unknown_env_names(set(environment), cls) == set(), f"not fields of {cls.__name__}"
    assert environment["SCRIBESTREAM_HTTP_HOST"] == "0.0.0.0"
    assert environment["SCRIBESTREAM_HTTP_PORT"] == "8080"


def test_compose_ehr_sink_outbox_is_a_volume() -> None:
    service = compose()["services"]["ehr_sink"]
    outbox = service["environment"]["SCRIBESTREAM_OUTBOX_DIR"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
    assert mounts[outbox] in compose()["volumes"]


# --- Dockerfile -------------------------------------------------------------------------------------------


def _dockerfile_stages() -> dict[str, list[str]]:
    """Stage name -> its instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    stages: dict[str, list[str]] = {}
    current = "<global>"
    for line in (line.strip() for line in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if match:
            current = match.group(2) or f"<final:{match.group(1)}>"
        stages.setdefault(current, []).append(line)
    return stages


def test_dockerfile_has_an_exec_form_stage_per_service() -> None:
    stages = _dockerfile_stages()
    assert 'ARG BASE_IMAGE=python:3.11-slim' in stages["<global>"]
    for module in SERVICES:
        entry = [line for line in stages[module] if line.startswith("ENTRYPOINT")]
        assert entry == [f'ENTRYPOINT ["python", "-m", "services.{module}"]']


def test_dockerfile_runtime_is_non_root_with_a_python_healthcheck() -> None:
    runtime = _dockerfile_stages()["runtime"]
    assert "USER 10001:10001" in runtime
    (healthcheck,) = [line for line in runtime if line.startswith("HEALTHCHECK")]
    assert "healthcheck.py" in healthcheck and "/health/live" in healthcheck
    assert not re.search(r"\b(curl|wget)\b", DOCKERFILE.read_text())
    assert any("HOME=/tmp" in line for line in _dockerfile_stages()["python-base"])


# --- the HEALTHCHECK script itself ------------------------------------------------------------------------


@pytest.fixture
def health_server() -> Iterator[tuple[int, dict[str, int]]]:
    statuses = {"/health/live": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(statuses.get(self.path, 404))
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], statuses
    finally:
        server.shutdown()
        server.server_close()


def _healthcheck(port: int, *args: str) -> int:
    env = {**os.environ, "SCRIBESTREAM_HTTP_PORT": str(port)}
    return subprocess.run([sys.executable, str(HEALTHCHECK), *args], env=env, timeout=30).returncode


def test_healthcheck_script_passes_on_200_and_fails_otherwise(health_server: tuple[int, dict[str, int]]) -> None:
    port, statuses = health_server
    assert _healthcheck(port, "/health/live") == 0
    statuses["/health/live"] = 503
    assert _healthcheck(port, "/health/live") == 1


def test_healthcheck_script_fails_when_nothing_listens() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        assert _healthcheck(port) == 1
