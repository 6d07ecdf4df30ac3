"""`scribestream bench pipeline`: encounter synthesis from a tiny TextGrid fixture, the CLI wiring, and
the report math on synthetic timings. No stack is started here (the benchmark itself is in bench/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from scribestream.benchmark.encounters import DataError, build_encounters, end_at_pause, fit_length
from scribestream.benchmark.primock import RATE, intervals, spoken
from scribestream.benchmark.report import (
    EncounterTimes,
    lag_trend,
    latency_summary,
    percentile,
    plot,
    render_table,
    throughput,
)
from scribestream.cli import app

pytestmark = pytest.mark.unit
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")


def _textgrid(items: list[tuple[float, float, str]], *, total: float) -> str:
    rows = "".join(
        f'        intervals [{i}]:\n            xmin = {a} \n            xmax = {b} \n            text = "{t}" \n'
        for i, (a, b, t) in enumerate(items, start=1))
    return ('File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0 \nxmax = {total} \ntiers? <exists> \n'
            'size = 1 \nitem []: \n    item [1]:\n        class = "IntervalTier" \n        name = "X" \n'
            f'        xmin = 0 \n        xmax = {total} \n        intervals: size = {len(items)} \n{rows}')


@pytest.fixture()
def tiny_primock(tmp_path: Path) -> Path:
    """One 4-second consultation: the doctor speaks at 0.2-1.6 s, the patient at 2.2-3.6 s."""
    folder = tmp_path / "tiny" / "transcripts"
    folder.mkdir(parents=True)
    (folder / "day9_consultation01_doctor.TextGrid").write_text(
        _textgrid([(0, 0.2, ""), (0.2, 1.6, "Good morning, how can I help?"), (1.6, 4.0, "")], total=4.0))
    (folder / "day9_consultation01_patient.TextGrid").write_text(
        _textgrid([(0, 2.2, ""), (2.2, 3.6, 'I have a <UNSURE>cough</UNSURE> <UNIN/> ""dry"".'), (3.6, 4.0, "")],
                  total=4.0))
    return tmp_path / "tiny"


def _energy(channel: np.ndarray, start: float, end: float) -> float:
    return float(np.abs(channel[int(start * RATE) : int(end * RATE)]).mean())


def test_textgrid_intervals_and_markup(tiny_primock: Path) -> None:
    found = intervals(tiny_primock / "transcripts" / "day9_consultation01_patient.TextGrid")
    assert [(a, b) for a, b, _ in found] == [(2.2, 3.6)]  # empty intervals dropped
    said = spoken(found[0][2])
    assert said.split() == ["I", "have", "a", "cough", '"dry".']  # unsure words kept, <UNIN/> dropped


@needs_espeak
def test_stereo_encounter_puts_each_speaker_on_its_channel_at_its_time(tiny_primock: Path, tmp_path: Path) -> None:
    [enc] = build_encounters(data=tiny_primock, count=1, seconds=6.0, mono=False, cache_dir=tmp_path / "cache",
                             ending="cut")
    assert enc.audio.channels == 2 and enc.seconds == pytest.approx(6.0, abs=1 / RATE)
    [natural] = build_encounters(data=tiny_primock, count=1, seconds=6.0, mono=False, cache_dir=tmp_path / "cache")
    tail = np.frombuffer(natural.audio.pcm, dtype="<i2")[-int(1.6 * RATE) :]
    assert natural.seconds < 6.0 and not tail.any()  # ends after a complete utterance and a pause
    assert natural.audio.pcm == enc.audio.pcm[: len(natural.audio.pcm)]
    pcm = np.frombuffer(enc.audio.pcm, dtype="<i2").reshape(-1, 2).T.astype(np.float32) / 32768
    doctor, patient = pcm
    assert _energy(doctor, 0.3, 1.2) > 20 * max(_energy(doctor, 2.4, 3.4), 1e-5)  # doctor speaks, then silent
    assert _energy(patient, 2.4, 3.4) > 20 * max(_energy(patient, 0.3, 1.2), 1e-5)  # patient only later


@needs_espeak
def test_mono_and_cache(tiny_primock: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build_encounters(data=tiny_primock, count=3, seconds=2.0, mono=True, cache_dir=cache)
    assert {e.audio.channels for e in first} == {1} and len({e.path for e in first}) == 1  # one consultation, reused
    stamp = first[0].path.stat().st_mtime_ns
    again = build_encounters(data=tiny_primock / "transcripts", count=1, seconds=2.0, mono=True, cache_dir=cache)
    assert again[0].path == first[0].path and again[0].path.stat().st_mtime_ns == stamp  # served from the cache
    assert again[0].audio.pcm == first[0].audio.pcm


def test_no_consultation_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "day1_consultation01_doctor.TextGrid").write_text("")  # no patient file
    with pytest.raises(DataError):
        build_encounters(data=tmp_path, count=1, seconds=1.0, mono=False, cache_dir=tmp_path / "c")


def test_fit_length_loops_with_a_gap_and_cuts() -> None:
    audio = np.ones((2, 3), dtype=np.float32)
    looped = fit_length(audio, samples=8, gap=2)
    assert looped.shape == (2, 8)
    assert looped[0].tolist() == [1, 1, 1, 0, 0, 1, 1, 1]
    assert fit_length(audio, samples=2, gap=2).shape == (2, 2)


def test_a_visit_cut_inside_speech_ends_after_its_last_complete_utterance_and_a_pause() -> None:
    # channel 0 speaks [0, 3) and [9, 12) (cut at 12 mid-word); channel 1 speaks [4, 6)
    audio = np.zeros((2, 12), dtype=np.float32)
    audio[0, 0:3] = audio[0, 9:12] = audio[1, 4:6] = 0.5
    ended = end_at_pause(audio, pause=2)
    assert ended.shape == (2, 8)  # last speech before a 2-sample silence on both channels ends at 6, + 2 of silence
    assert not ended[:, 6:].any()
    # already ends in a long enough silence, or no pause that long: unchanged
    assert end_at_pause(audio[:, :8], pause=2).shape == (2, 8)
    assert end_at_pause(np.full((1, 5), 0.5, dtype=np.float32), pause=2).shape == (1, 5)


def test_percentiles_interpolate_like_numpy() -> None:
    values = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6]
    for q in (0, 50, 95, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile([], 50) is None


def test_latency_summary_per_stage_and_end_to_end() -> None:
    times = [
        EncounterTimes("a", closed=100.0, transcribed=101.0, drafted=101.5, coded=101.6, submitted=102.0),
        EncounterTimes("b", closed=200.0, transcribed=204.0, drafted=204.2, coded=204.3, submitted=205.0),
        EncounterTimes("c", closed=300.0, transcribed=302.0),  # never submitted
    ]
    summary = latency_summary(times)
    assert summary["e2e_s"] == {"n": 2, "p50": 3.5, "p95": pytest.approx(4.85), "max": 5.0}
    assert summary["stage_after_close_s"]["asr"]["n"] == 3
    assert summary["stage_after_close_s"]["asr"]["p50"] == 2.0
    assert summary["stage_after_close_s"]["ehr_sink"]["max"] == pytest.approx(0.7)
    thr = throughput(times=times, audio_seconds={"a": 60.0, "b": 60.0, "c": 60.0}, started=95.0)
    assert thr == {"submitted": 2, "wall_s": 110.0, "encounters_per_min": pytest.approx(60 * 2 / 110, abs=1e-3),
                   "audio_s_per_wall_s": pytest.approx(120 / 110, abs=1e-3)}


def _series(lag_of, *, until: float = 120, rate: float = 20.0) -> list[dict]:
    return [{"t": float(t), "lag": {"asr": lag_of(t)}, "end": {"asr": rate * min(t, 100)}} for t in range(0, int(until), 2)]


def test_lag_that_grows_while_audio_arrives_is_flagged() -> None:
    # Input at 20 records/s, the consumer takes 15/s: lag climbs 5/s until the last close at t=100.
    growing = _series(lambda t: 5 * min(t, 100) - max(0, t - 100) * 15)
    trend = lag_trend(growing, group="asr", live_from=0, live_to=100)
    assert trend["verdict"] == "growing"
    assert trend["slope_per_s"] == pytest.approx(5, rel=0.01)
    assert trend["input_per_s"] == pytest.approx(20, rel=0.01)
    assert trend["kept_up_share"] == pytest.approx(0.75, abs=0.01)


def test_lag_that_stays_flat_is_bounded_and_drain_time_is_measured() -> None:
    flat = _series(lambda t: (3 if t % 4 else 6) if t <= 100 else max(0, 6 - 2 * (t - 100)))
    trend = lag_trend(flat, group="asr", live_from=0, live_to=100)
    assert trend["verdict"] == "bounded"
    assert trend["max"] == 6 and trend["drain_s"] == pytest.approx(4.0)
    assert lag_trend([], group="asr", live_from=0, live_to=10)["verdict"] == "no samples"


def _result() -> dict:
    times = [EncounterTimes("a", closed=10.0, transcribed=11.0, drafted=11.2, coded=11.3, submitted=11.5)]
    series = _series(lambda t: 1, until=20)
    return {
        "label": "synthetic", "config": {"encounters": 1, "concurrency": 1, "realtime": True, "mono": False,
                                          "asr_replicas": 1},
        "audio_s_per_encounter": 10.0, "latency": latency_summary(times),
        "throughput": throughput(times=times, audio_seconds={"a": 10.0}, started=0.0),
        "lag": {"asr": lag_trend(series, group="asr", live_from=0, live_to=10)},
        "resources": {"asr": {"processes": 1, "cpu_s": 4.0, "mean_cores": 0.3, "peak_rss_mib": 500}},
        "stage_metrics": {"asr": {"mean_ms_per_input": 80.0, "busy_share": 0.4}},
        "load_avg_1m": {"start": 1.0, "mean": 2.0, "max": 3.0}, "commit": "abc1234", "dirty_files": [],
        "cpu_count": 2, "live_window_s": [0, 10], "lag_series": series,
        "resource_series": [{"t": p["t"], "cpu_cores": {"asr": 0.3}, "rss_mib": {"asr": 500}} for p in series],
    }


def test_table_and_plot_render(tmp_path: Path) -> None:
    from rich.console import Console

    console = Console(record=True, width=140)
    console.print(render_table(_result()))
    text = console.export_text()
    assert "e2e p50 / p95 / max s" in text and "1.5 / 1.5 / 1.5" in text and "abc1234" in text
    pytest.importorskip("matplotlib")
    plot(_result(), tmp_path / "lag.png")
    assert (tmp_path / "lag.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_registers_bench_pipeline() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["bench", "pipeline", "--help"])
    assert result.exit_code == 0
    for option in ("--encounters", "--concurrency", "--realtime", "--minutes", "--asr-replicas", "--out",
                   "--mono", "--data", "--stack-dir"):
        assert option in result.output


def test_cli_reports_a_data_folder_without_consultations(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "pipeline", "--data", str(tmp_path), "--cache-dir", str(tmp_path / "c"),
                                      "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert not (tmp_path / "o" / "result.json").exists()
    json.dumps(result.output)  # printable


def test_summary_table_has_one_row_per_result(tmp_path: Path) -> None:
    from scribestream.benchmark.report import SUMMARY_COLUMNS, markdown_summary

    table = markdown_summary([_result(), {**_result(), "label": "second"}])
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].count("|") == len(SUMMARY_COLUMNS) + 1
    assert lines[2].startswith("| synthetic | real time, C=1 | 1 x 10 s stereo | 1 | 1/1 | 1.5 | 1.5 | 1.5 |")
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "result.json").write_text(json.dumps(_result()))
    result = CliRunner().invoke(app, ["bench", "summary", str(tmp_path / "r")])
    assert result.exit_code == 0 and "| synthetic |" in result.output
    assert CliRunner().invoke(app, ["bench", "summary", str(tmp_path / "none")]).exit_code == 1
