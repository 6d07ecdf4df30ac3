"""EHR sink settings: auth selection, TLS trust, SMART completeness."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from services.ehr_sink.auth import NoAuth, SmartBackendAuth, StaticBearer
from services.ehr_sink.config import EhrSinkSettings
from services.ehr_sink.stage import authenticator, http_client

pytestmark = pytest.mark.unit
BASE = {"kafka_bootstrap": "k:9092", "redis_url": "redis://r:6379/0"}


def test_outbox_is_the_default_and_auth_follows_the_settings():
    assert EhrSinkSettings(**BASE).mode == "outbox"
    assert isinstance(authenticator(EhrSinkSettings(**BASE, fhir_base_url="https://ehr.test/r4")), NoAuth)
    bearer = authenticator(EhrSinkSettings(**BASE, fhir_base_url="https://ehr.test/r4", fhir_token="t"))
    assert isinstance(bearer, StaticBearer)


def test_smart_needs_a_client_id_and_a_key(tmp_path):
    with pytest.raises(ValidationError):
        EhrSinkSettings(**BASE, fhir_base_url="https://ehr.test/r4", smart_token_url="https://ehr.test/token")
    key = ec.generate_private_key(ec.SECP384R1())
    path = tmp_path / "key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    settings = EhrSinkSettings(**BASE, fhir_base_url="https://ehr.test/r4", smart_token_url="https://ehr.test/token",
                               smart_client_id="c1", smart_private_key_file=path, smart_alg="ES384", fhir_token="t")
    assert isinstance(authenticator(settings), SmartBackendAuth)  # SMART wins over a static token


async def test_custom_ca_bundle_is_trusted_and_verification_stays_on(tmp_path):
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scribestream test CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA384()))
    ca = tmp_path / "ca.pem"
    ca.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    client = http_client(EhrSinkSettings(**BASE, fhir_base_url="https://ehr.test/r4", fhir_ca_bundle=ca))
    try:
        context = client._transport._pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert any(dict(c["subject"][0]).get("commonName") == "scribestream test CA" for c in context.get_ca_certs())
    finally:
        await client.aclose()
