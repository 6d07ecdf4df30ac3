"""Write-then-rename: the target holds the old content or the new, never a half, and no temporary file stays.
The one cache folder: its environment variables, in order."""

from __future__ import annotations

import os
import stat

import pytest

from services.asr.models import default_cache_dir
from shared.files import cache_root, replacing, write_atomic

pytestmark = pytest.mark.unit


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("data", [b"\x00bytes\xff", "text é\n"])
def test_writes_bytes_and_text_and_leaves_only_the_target(tmp_path, data):
    target = tmp_path / "sub" / "out.json"  # missing folders are created
    write_atomic(target, data, durable=True)
    assert target.read_bytes() == (data.encode("utf-8") if isinstance(data, str) else data)
    assert os.listdir(target.parent) == ["out.json"]


def test_replaces_an_existing_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"), replacing(target) as tmp:
        tmp.write_bytes(b"half of it")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.bin"]


def test_a_failed_first_write_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt), replacing(tmp_path / "a.wav"):
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_the_temporary_file_is_hidden_unique_and_keeps_the_suffix(tmp_path):
    # Writers that pick a format by extension (soundfile) need the target's suffix.
    target = tmp_path / "take.wav"
    with replacing(target) as first, replacing(target) as second:
        assert first != second and first.parent == second.parent == tmp_path
        assert first.name.startswith(".") and first.suffix == ".wav"
        assert first.exists() and mode_of(first) == 0o600  # private while it is being written
        first.write_bytes(b"1")
        second.write_bytes(b"2")
    assert target.read_bytes() == b"1"  # the last rename wins: the outer block exits last
    assert os.listdir(tmp_path) == ["take.wav"]


def test_private_by_default_exact_mode_on_request(tmp_path):
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "note.json", b"{}")
        write_atomic(tmp_path / "shared.bin", b"x", mode=0o644)  # exact: the umask does not narrow it
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "note.json") == 0o600
    assert mode_of(tmp_path / "shared.bin") == 0o644


def test_mode_none_is_what_open_would_create(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "state.json", "{}", mode=None)
        (tmp_path / "plain.json").write_text("{}")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "state.json") == mode_of(tmp_path / "plain.json") == 0o640


@pytest.fixture
def cache_env(monkeypatch, tmp_path):
    for name in ("SCRIBESTREAM_CACHE", "SCRIBESTREAM_MODEL_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def test_cache_root_precedence(cache_env, tmp_path):
    assert cache_root() == tmp_path / "home" / ".cache" / "scribestream"
    cache_env.setenv("XDG_CACHE_HOME", "relative/xdg")  # invalid by the XDG spec: ignored
    assert cache_root() == tmp_path / "home" / ".cache" / "scribestream"
    cache_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "scribestream"
    cache_env.setenv("SCRIBESTREAM_CACHE", str(tmp_path / "ours"))
    assert cache_root() == tmp_path / "ours"
    cache_env.setenv("SCRIBESTREAM_CACHE", "")  # set but empty counts as unset
    assert cache_root() == tmp_path / "xdg" / "scribestream"


def test_models_live_under_the_cache_root_unless_the_older_setting_says_otherwise(cache_env, tmp_path):
    cache_env.setenv("SCRIBESTREAM_CACHE", str(tmp_path / "ours"))
    assert default_cache_dir() == tmp_path / "ours" / "models"
    cache_env.setenv("SCRIBESTREAM_MODEL_CACHE", str(tmp_path / "models-elsewhere"))
    assert default_cache_dir() == tmp_path / "models-elsewhere"
    assert cache_root() == tmp_path / "ours"  # the model setting moves the model folder only
