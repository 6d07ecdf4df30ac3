"""Hostile configuration and ids that could become paths.

Settings (shared.settings and every service's config): absurd numbers, inf/nan, NUL bytes, path tricks, huge
strings are either refused with a ValidationError at start-up or give values inside their documented ranges;
never another exception later, mid-message.

Encounter ids: the contract refuses ``../``, NUL, glob characters and overlong ids; where an id still becomes a
file name (the outbox) or a Redis match (forget) nothing outside its own place is touched, whatever the id.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from typer.testing import CliRunner

from scribestream.cli import app as cli
from scribestream.deid.anonymize import date_offset
from scribestream.forget import _names_encounter
from services.asr.config import AsrSettings
from services.coding.config import CodingSettings
from services.ehr_sink.config import EhrSinkSettings
from services.ehr_sink.destinations import OutboxDestination
from services.notegen.config import NotegenSettings
from shared.contracts import EncounterId
from shared.settings import ServiceSettings
from tests.unit.fuzzing import FUZZ as BASE_FUZZ

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

# tmp_path is only the outbox's parent here: reusing it across examples is harmless.
FUZZ = settings(BASE_FUZZ, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CLASSES = [ServiceSettings, AsrSettings, NotegenSettings, CodingSettings, EhrSinkSettings]
HOSTILE_VALUES = ["-1", "0", "65536", "99999999999999999999", "1e309", "inf", "-inf", "nan", "", " ",
                  "../../../../etc/passwd", "/dev/zero", "a\x00b", "\x00", "x" * 10_000, "true", "null", "[]", "{}",
                  "file:///etc/shadow", "http://", "redis://\x00"]
ENCOUNTER_IDS = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["../../etc/passwd", "..", ".", "/", "a/../../b", "enc\x00.json", "C:\\x", "~root", "*", "[a-z]*",
                     "enc-1", "x" * 100_000, "%2e%2e%2f", "\u202e\u0000", "enc-1/../enc-2"]),
)


@FUZZ
@given(cls=st.sampled_from(CLASSES), data=st.data())
def test_settings_refuse_absurd_values_or_stay_in_range(cls, data):
    names = sorted(n for n in cls.model_fields if n not in ("kafka_bootstrap", "redis_url"))
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
    values = {n: data.draw(st.sampled_from(HOSTILE_VALUES) | st.text(max_size=30)) for n in chosen}
    try:
        built = cls(kafka_bootstrap="127.0.0.1:9092", redis_url="redis://127.0.0.1:6379/0", **values)
    except ValidationError:
        return
    assert 0 <= built.http_port <= 65535 and 1 <= built.consumers <= 64 and 1 <= built.max_attempts <= 100
    assert built.log_level.upper() in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
    for name, value in built:
        if isinstance(value, float):
            assert math.isfinite(value), f"{name}={value}"
        if isinstance(value, (str, Path)):
            assert "\x00" not in str(value), name


@pytest.mark.parametrize("field, value", [("http_port", "70000"), ("max_attempts", "1000000"), ("consumers", "0"),
                                          ("state_ttl_s", "-5"), ("keyring_reload_s", "inf"), ("log_level", "LOUD"),
                                          ("redis_ssl_cafile", "ca\x00.pem")])
def test_specific_absurd_values_are_refused_at_start(field, value):
    with pytest.raises(ValidationError) as info:
        ServiceSettings(kafka_bootstrap="k:1", redis_url="redis://r", **{field: value})
    assert field in str(info.value)


@pytest.mark.parametrize("value", ["inf", "nan", "0", "301"])
def test_ehr_sink_timeouts_must_be_finite_and_bounded(value):
    with pytest.raises(ValidationError):
        EhrSinkSettings(kafka_bootstrap="k:1", redis_url="redis://r", fhir_timeout_s=value)


@FUZZ
@given(encounter_id=ENCOUNTER_IDS, version=st.integers(min_value=1, max_value=10**12))
def test_outbox_file_never_leaves_its_folder(tmp_path, encounter_id, version):
    outbox = OutboxDestination(tmp_path / "outbox")
    path = outbox.path_for(encounter_id=encounter_id, note_version=version)
    assert path.parent == tmp_path / "outbox" and path.resolve().is_relative_to((tmp_path / "outbox").resolve())
    assert re.fullmatch(r"note-[0-9a-f]{32}-v[0-9]+\.fhir\.json", path.name)  # the id never shows in the name


@FUZZ
@given(encounter_id=ENCOUNTER_IDS)
def test_the_contract_refuses_ids_that_could_be_path_or_glob_tricks(encounter_id):
    try:
        valid = TypeAdapter(EncounterId).validate_python(encounter_id)
    except ValidationError:
        return
    assert len(valid) <= 128 and "/" not in valid and "\\" not in valid and "\x00" not in valid
    assert not set(valid) & set("*?[]{}~% ")


@FUZZ
@given(encounter_id=ENCOUNTER_IDS, other=st.text(min_size=1, max_size=20))
def test_forget_matches_only_the_encounters_own_keys(encounter_id, other):
    if not encounter_id:
        return
    assert _names_encounter(f"ss:asr:asr:{encounter_id}:state", encounter_id)
    assert _names_encounter(f"ss:notegen:notegen:turns:{encounter_id}", encounter_id)
    neighbour = f"{encounter_id}{other}" if not other.startswith(":") and other != "#o" else f"{encounter_id}x{other}"
    assert not _names_encounter(f"ss:asr:asr:{neighbour}:state", encounter_id)


@pytest.mark.parametrize("hostile", ["../../etc/passwd", "enc*", "a" * 129, "", "enc\x01"])
def test_forget_refuses_hostile_ids_before_connecting_anywhere(hostile, monkeypatch):
    monkeypatch.setenv("SCRIBESTREAM_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens: never reached
    result = CliRunner().invoke(cli, ["forget", hostile])
    assert result.exit_code != 0 and "invalid ENCOUNTER_ID" in result.output


@FUZZ
@given(encounter_id=ENCOUNTER_IDS)
def test_deid_date_shift_takes_any_id(encounter_id):
    # The de-identified export keys its date shift on the id (HMAC), never a path: any id gives a bounded shift.
    offset = date_offset(key=b"k" * 32, encounter_id=encounter_id)
    assert isinstance(offset, int) and abs(offset) <= 3650
