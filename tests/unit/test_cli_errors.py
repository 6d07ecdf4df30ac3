"""Every scribestream command's usage errors (an unknown option, a missing file, a bad value) are one line on stderr
and a non-zero exit, as the commands' own errors; no arguments still prints the help."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from scribestream.cli import app

pytestmark = pytest.mark.unit


def _one_line(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return result.exit_code, lines[0]


def test_an_unknown_option_is_one_line_pointing_at_the_help() -> None:
    code, line = _one_line(["eval", "coding", "--frobnicate"])
    assert code == 2
    assert line.startswith("error: No such option: --frobnicate")
    assert "eval coding --help'" in line  # after the program's name as invoked


def test_a_missing_file_is_one_line(tmp_path) -> None:
    code, line = _one_line(["eval", "asr", "--manifest", str(tmp_path / "absent.jsonl")])
    assert code == 2 and line.startswith("error: Invalid value for '--manifest'") and "does not exist" in line


def test_a_commands_bad_parameter_is_one_line(tmp_path) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("not json\n")
    code, line = _one_line(["eval", "asr", "--manifest", str(manifest)])
    assert code == 2 and "manifest line 1" in line and "Traceback" not in line


def test_no_arguments_prints_the_help() -> None:
    result = CliRunner().invoke(app, [])
    assert "Usage" in result.output and "eval" in result.output and "error:" not in result.output
