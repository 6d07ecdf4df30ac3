"""Connection security from settings against the REAL servers, with certificates generated here:

- a Kafka 4 broker (KRaft, jars from infra/kafka/lib) with a mutual-TLS listener (client certificate
  required) and a SASL_SSL listener with SCRAM-SHA-512 credentials created at storage format time;
  events are produced and consumed through clients built by ``shared.security`` from settings, and a
  client without a certificate or with a wrong password is refused;
- a redis-server with TLS only (``--port 0 --tls-port``) and AUTH, reached through ``open_redis``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scribestream import devstack
from shared.security import kafka_client_kwargs, open_redis
from shared.settings import SecuritySettings

pytestmark = pytest.mark.integration
LOOPBACK = "127.0.0.1"


# ------------------------------------------------------------------ certificates
def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key, *, issuer: str, issuer_key, ca: bool, server: bool = False) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK)),
                                                                     x509.DNSName("localhost")]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write_pair(folder: Path, name: str, cert: x509.Certificate, key) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("scribestream-test-ca", ca_key, issuer="scribestream-test-ca", issuer_key=ca_key, ca=True)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    out = {"ca": folder / "ca.pem"}
    for name, server in (("server", True), ("client", False)):
        key = ec.generate_private_key(ec.SECP256R1())
        out[f"{name}_cert"], out[f"{name}_key"] = _write_pair(
            folder, name, _cert(f"scribestream-{name}", key, issuer="scribestream-test-ca", issuer_key=ca_key,
                                ca=False, server=server), key)
        # Kafka's PEM keystore: the private key followed by its certificate.
        (folder / f"{name}-keystore.pem").write_bytes(out[f"{name}_key"].read_bytes() + out[f"{name}_cert"].read_bytes())
    out["server_keystore"] = folder / "server-keystore.pem"
    return out


# ------------------------------------------------------------------ a secured Kafka broker
@pytest.fixture(scope="module")
def secure_kafka(pki, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("tls-kafka")
    internal, controller, mtls, scram = devstack.free_ports(4)
    props = {
        "process.roles": "broker,controller", "node.id": "1",
        "listeners": f"INTERNAL://{LOOPBACK}:{internal},CONTROLLER://{LOOPBACK}:{controller},"
                     f"SSL://{LOOPBACK}:{mtls},SASL_SSL://{LOOPBACK}:{scram}",
        "advertised.listeners": f"INTERNAL://{LOOPBACK}:{internal},SSL://{LOOPBACK}:{mtls},"
                                f"SASL_SSL://{LOOPBACK}:{scram}",
        "listener.security.protocol.map": "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL",
        "controller.listener.names": "CONTROLLER", "inter.broker.listener.name": "INTERNAL",
        "controller.quorum.bootstrap.servers": f"{LOOPBACK}:{controller}",
        "log.dirs": str(run_dir / "data"), "num.partitions": "1",
        "offsets.topic.replication.factor": "1", "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1", "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1", "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "ssl.keystore.type": "PEM", "ssl.keystore.location": str(pki["server_keystore"]),
        "ssl.truststore.type": "PEM", "ssl.truststore.location": str(pki["ca"]),
        "listener.name.ssl.ssl.client.auth": "required",  # mutual TLS on the SSL listener
        "sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config":
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    }
    props_path = run_dir / "server.properties"
    props_path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    subprocess.run([devstack._java(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                    devstack._kafka_classpath(), "kafka.tools.StorageTool", "format", "-t", "tls-test-cluster-1a",
                    "-c", str(props_path), "--standalone",
                    "--add-scram", "SCRAM-SHA-512=[name=scribestream,password=s3cret-pw]"],
                   check=True, capture_output=True, timeout=120)
    log_path = run_dir / "kafka.log"
    proc = devstack._spawn([devstack._java(), *devstack._jvm_args(), "-cp", devstack._kafka_classpath(), "kafka.Kafka",
                            str(props_path)], log_path=log_path, cwd=run_dir)
    try:
        devstack.run_blocking(lambda: devstack._wait_kafka(bootstrap=f"{LOOPBACK}:{internal}", proc=proc,
                                                           log_path=log_path, timeout_s=90))

        async def create_topic() -> None:
            admin = AIOKafkaAdminClient(bootstrap_servers=f"{LOOPBACK}:{internal}")
            await admin.start()
            try:
                await admin.create_topics([NewTopic("tls.check", num_partitions=1, replication_factor=1)])
            finally:
                await admin.close()

        devstack.run_blocking(create_topic)
        yield {"mtls": f"{LOOPBACK}:{mtls}", "scram": f"{LOOPBACK}:{scram}"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _round_trip(bootstrap: str, settings: SecuritySettings, payload: bytes) -> bytes:
    kwargs = kafka_client_kwargs(settings)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=10000, **kwargs)
    await asyncio.wait_for(producer.start(), 20)
    try:
        meta = await producer.send_and_wait("tls.check", payload, key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **kwargs)
    await asyncio.wait_for(consumer.start(), 20)
    try:
        from aiokafka import TopicPartition

        tp = TopicPartition("tls.check", meta.partition)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        record = await asyncio.wait_for(consumer.getone(), 20)
        return record.value
    finally:
        await consumer.stop()


def _settings(**values) -> SecuritySettings:
    return SecuritySettings.model_validate(values)


async def test_kafka_mutual_tls_from_settings(secure_kafka, pki):
    settings = _settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(pki["ca"]),
                         kafka_ssl_certfile=str(pki["client_cert"]), kafka_ssl_keyfile=str(pki["client_key"]))
    assert await _round_trip(secure_kafka["mtls"], settings, b"over mTLS") == b"over mTLS"
    # Without a client certificate the broker refuses the handshake.
    no_cert = _settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(pki["ca"]))
    with pytest.raises(Exception):  # noqa: B017 - aiokafka surfaces this as KafkaConnectionError or a timeout
        await asyncio.wait_for(_round_trip(secure_kafka["mtls"], no_cert, b"x"), 30)


async def test_kafka_sasl_ssl_scram_from_settings(secure_kafka, pki):
    base = {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-512",
            "kafka_ssl_cafile": str(pki["ca"]), "kafka_sasl_username": "scribestream"}
    good = _settings(**base, kafka_sasl_password="s3cret-pw")
    assert await _round_trip(secure_kafka["scram"], good, b"over SCRAM") == b"over SCRAM"
    with pytest.raises(Exception):  # noqa: B017 - authentication failure
        await asyncio.wait_for(_round_trip(secure_kafka["scram"], _settings(**base, kafka_sasl_password="wrong"), b"x"), 30)


# ------------------------------------------------------------------ Redis TLS + AUTH
async def test_redis_tls_and_auth_from_settings(pki, tmp_path):
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        pytest.skip("redis-server not installed")
    [port] = devstack.free_ports(1)
    proc = subprocess.Popen([redis_bin, "--port", "0", "--tls-port", str(port), "--bind", LOOPBACK,
                             "--tls-cert-file", str(pki["server_cert"]), "--tls-key-file", str(pki["server_key"]),
                             "--tls-ca-cert-file", str(pki["ca"]), "--tls-auth-clients", "optional",
                             "--requirepass", "r3dis-pw", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        settings = _settings(redis_ssl_cafile=str(pki["ca"]), redis_password="r3dis-pw")
        client = open_redis(f"redis://{LOOPBACK}:{port}/0", settings)  # CA file upgrades the scheme to TLS
        deadline = time.monotonic() + 10
        while True:
            try:
                assert await client.ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        await client.set("k", b"v", ex=60)
        assert await client.get("k") == b"v"
        await client.aclose()
        wrong = open_redis(f"redis://{LOOPBACK}:{port}/0", _settings(redis_ssl_cafile=str(pki["ca"]),
                                                                      redis_password="wrong"))
        with pytest.raises(Exception):  # noqa: B017 - AuthenticationError (WRONGPASS)
            await wrong.ping()
        await wrong.aclose()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
