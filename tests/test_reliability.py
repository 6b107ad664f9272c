"""Reliability: one test per cause found by the hostile-input review (issue 9, part A).

Each test replays the exact command (``formcheck ...`` in a subprocess, or ``formcheck.tools.cli.main``)
or its library equivalent, and failed before the fix. Only one test runs MediaPipe (on a tiny
clip); the others are refused or answered before the model is loaded.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import textwrap
import time
from fractions import Fraction
from pathlib import Path

import av
import conftest_media as media
import numpy as np
import pytest
from conftest import ROOT, clip_path, run_cli
from streams import Rep, bridge_top, make_stream, run

from formcheck.core import exercise as ex
from formcheck.core.fileio import atomic_output, one_line
from formcheck.core.session import Session
from formcheck.media.pipeline import AnalysisError, analyze
from formcheck.media.tracks import (
    MAX_LINE_CHARS,
    Track,
    TrackError,
    load_track,
    save_track,
)
from formcheck.media.video import VideoError, open_video
from formcheck.tools import cli

BRIDGE = "bridge_side_physiocore.mp4"


def _strict_json(text: str):
    """``json.loads`` that refuses NaN and Infinity, as strict parsers (browsers, jq) do."""

    def bad(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=bad)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert err.count("\n") == 0 and err.startswith("formcheck"), err
    for n in needles:
        assert n.lower() in err.lower(), err


@pytest.fixture()
def video(tmp_path: Path) -> Path:
    """A copy of the real bridge clip that the tests may try to overwrite."""
    dst = tmp_path / "a.mp4"
    shutil.copyfile(clip_path(BRIDGE), dst)
    return dst


def _bridge_stream():
    """12 s of scripted bridge, two reps (the checker's first one may go to calibration)."""
    return make_stream("supine", [Rep(1.0, bridge_top(4.0)), Rep(7.0, bridge_top(4.0))], 12.0, fps=15.0)


def _track_file(path: Path, frames, fps: float = 15.0) -> Path:
    return save_track(
        Track(source="scripted", fps=fps, width=640, height=480, model="scripted", frames=list(frames)), path
    )


# ------------------------------------------------------------------- 1. outputs never overwrite inputs
@pytest.mark.parametrize(
    "args",
    [
        ("analyze", "{v}", "-e", "bridge", "--annotate", "{v}"),
        ("analyze", "{v}", "-e", "bridge", "--csv", "{v}"),
        ("track", "{v}", "-o", "{v}"),
        ("analyze", "{v}", "-e", "bridge", "--annotate", "{hard}"),
        ("analyze", "{v}", "-e", "bridge", "--csv", "{sym}"),
        ("track", "{v}", "-o", "{hard}"),
    ],
    ids=["annotate-same", "csv-same", "track-same", "annotate-hardlink", "csv-symlink", "track-hardlink"],
)
def test_output_onto_input_is_refused_and_input_untouched(video: Path, args) -> None:
    hard, sym = video.with_name("hard.mp4"), video.with_name("sym.mp4")
    os.link(video, hard)
    sym.symlink_to(video.name)
    before = _md5(video)
    argv = [a.format(v=video, hard=hard, sym=sym) for a in args]
    proc = run_cli(*argv, timeout=60)
    _one_line_error(proc, "would overwrite the input")
    assert _md5(video) == before
    assert sorted(p.name for p in video.parent.iterdir()) == ["a.mp4", "hard.mp4", "sym.mp4"]


def test_two_outputs_on_one_file_are_refused(video: Path) -> None:
    out = video.with_name("out.mp4")
    _one_line_error(
        run_cli("analyze", str(video), "-e", "bridge", "--annotate", str(out), "--csv", str(out)), "two outputs"
    )
    assert not out.exists()


def test_library_refuses_annotating_onto_the_input(video: Path) -> None:
    with pytest.raises(AnalysisError, match="overwrite the input"):
        analyze(video, "bridge", annotate=video)


@pytest.mark.mediapipe
def test_failed_run_keeps_the_old_output_and_leaves_no_partial_file(tmp_path: Path) -> None:
    """Outputs are renamed into place only when complete: a clip with nobody in it fails after
    the annotated video was started, and the video and CSV of an earlier run are still there,
    whole (before: the old video was truncated, then deleted)."""
    clip = media.make_synthetic_mp4(tmp_path, n_frames=20)
    old_video, old_csv = tmp_path / "annotated.mp4", tmp_path / "out.csv"
    shutil.copyfile(clip_path(BRIDGE), old_video)
    old_csv.write_text("the previous run\n")
    before = _md5(old_video)
    proc = run_cli(
        "analyze", str(clip), "-e", "bridge", "--annotate", str(old_video), "--csv", str(old_csv), timeout=120
    )
    _one_line_error(proc, "no person")
    assert _md5(old_video) == before and old_csv.read_text() == "the previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([clip.name, "annotated.mp4", "out.csv"])


def test_atomic_output_never_shows_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half")
            assert target.read_text() == "old"
            raise RuntimeError("writer crashed")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["r.json"]
    save_track(Track("s", 15.0, 1, 1, frames=[(0.0, None)]), target)  # tracks go through it too
    assert load_track(target).frames == [(0.0, None)]


# ------------------------------------------------------------------- 2. inputs: regular files, bounded
@pytest.mark.parametrize("name", ["fifo.mp4", "fifo.fctrack"])
def test_fifo_input_is_refused_at_once(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    t = time.monotonic()
    proc = run_cli("analyze", str(fifo), "-e", "bridge", timeout=60)  # hung forever before
    _one_line_error(proc, "named pipe")
    assert time.monotonic() - t < 30


def test_fifo_model_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "model.task"
    os.mkfifo(fifo)
    _one_line_error(
        run_cli("analyze", str(clip_path(BRIDGE)), "-e", "bridge", "--model", str(fifo), timeout=60), "named pipe"
    )


def test_device_input_is_refused() -> None:
    _one_line_error(run_cli("analyze", "/dev/zero", "-e", "bridge", timeout=60), "device")
    with pytest.raises(VideoError, match="device"):
        open_video("/dev/zero")


def _gzip_bomb(path: Path, gigabytes: float = 2.0) -> Path:
    """~1 MB of gzip whose first line decompresses to ``gigabytes`` GB: one small gzip member of
    1 MB of ``0`` repeated (concatenated members read as one stream)."""
    member = gzip.compress(b'{"format": "formcheck-track", "x": "' + b"0" * (1 << 20), compresslevel=9)
    tail = gzip.compress(b"0" * (1 << 20), compresslevel=9)
    with open(path, "wb") as f:
        f.write(member)
        for _ in range(int(gigabytes * 1024)):
            f.write(tail)
    return path


@pytest.mark.parametrize("name", ["bomb.fctrack", "bomb.mp4"])
def test_gzip_bomb_track_is_refused_quickly_with_bounded_memory(tmp_path: Path, name: str) -> None:
    bomb = _gzip_bomb(tmp_path / name)
    assert bomb.stat().st_size < 4_000_000
    code = (
        "import resource, sys; from formcheck.tools.cli import main; rc = main(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.__stdout__); sys.exit(rc)"
    )
    # no wall-clock assertion (shared machines are noisy): the timeout only catches a hang, the RSS bound is the check

    def peak_rss_mb(path: Path) -> tuple[subprocess.CompletedProcess, float]:
        proc = subprocess.run(
            [sys.executable, "-c", code, "analyze", str(path), "-e", "bridge"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        return proc, int(proc.stdout.strip().splitlines()[-1]) / 1024

    proc, bomb_mb = peak_rss_mb(bomb)
    _one_line_error(proc, "track" if name.endswith(".fctrack") else "not a video")
    # measured side by side with the same command on a small valid track (whatever the imports cost here)
    _, plain_mb = peak_rss_mb(_track_file(tmp_path / "small.fctrack", _bridge_stream()))
    assert bomb_mb < plain_mb + 300, (bomb_mb, plain_mb)  # the bomb decompresses to 2 GB; it took 2.2 GB before


def test_track_line_length_is_limited(tmp_path: Path) -> None:
    path = tmp_path / "long.fctrack"
    head = {"format": "formcheck-track", "version": 1, "fps": 15.0}
    with gzip.open(path, "wt") as f:
        f.write(json.dumps(head) + "\n" + '{"t_s": 0.0, "pose": null, "pad": "' + "x" * (MAX_LINE_CHARS + 10) + '"}\n')
    with pytest.raises(TrackError, match="longer than"):
        load_track(path)


def test_a_track_named_mp4_is_explained_not_sniffed(tmp_path: Path) -> None:
    """A track is a track by its .fctrack name or an explicit --input track; a misnamed file gets
    a clear message instead of being silently read by its content."""
    track = _track_file(tmp_path / "t.fctrack", _bridge_stream())
    as_mp4 = tmp_path / "t.mp4"
    shutil.copyfile(track, as_mp4)
    with pytest.raises(AnalysisError, match="landmark track, not a video"):
        analyze(as_mp4, "bridge")
    assert analyze(as_mp4, "bridge", kind="track").report.reps  # the explicit choice works
    proc = run_cli("analyze", str(as_mp4), "-e", "bridge", "--input", "track", "--json", timeout=60)
    assert proc.returncode == 0 and _strict_json(proc.stdout)["reps"] >= 1


def test_a_video_named_fctrack_is_explained(tmp_path: Path) -> None:
    fake = tmp_path / "v.fctrack"
    shutil.copyfile(clip_path(BRIDGE), fake)
    with pytest.raises(AnalysisError, match="video, not a formcheck landmark track"):
        analyze(fake, "bridge")


# ------------------------------------------------------------------- 3. add-ons in isolation
GOOD_TOML = """
id = "{id}"
name = "Test add-on"
summary = "An add-on for the tests."
posture = "supine"
checker = "good.py:GoodChecker"
instructions = ["Lie down.", "Lift.", "Lower."]
aliases = {aliases}
[camera]
required = ["either:hip"]
advice = ["Side view."]
[dosage]
reps = {reps}
hold_s = {hold}
[thresholds]
rest_enter = -38.0
"""
GOOD_PY = """
from formcheck.core.checker import ExerciseChecker, Measurement


class GoodChecker(ExerciseChecker):
    def measure(self, frame):
        return Measurement(None)
"""

BROKEN = {
    "non_utf8": lambda d: (d / "bad.toml").write_bytes(b'id = "caf\xe9"\n'),
    "bad_toml": lambda d: (d / "bad.toml").write_text("id = [unclosed\n"),
    "reps_inf": lambda d: (d / "bad.toml").write_text(
        GOOD_TOML.format(id="bad_one", aliases="[]", reps="inf", hold="2.0")
    ),
    "reps_negative": lambda d: (d / "bad.toml").write_text(
        GOOD_TOML.format(id="bad_one", aliases="[]", reps="-3", hold="2.0")
    ),
    "hold_nan": lambda d: (d / "bad.toml").write_text(
        GOOD_TOML.format(id="bad_one", aliases="[]", reps="5", hold="nan")
    ),
    "string_not_list": lambda d: (d / "bad.toml").write_text(
        GOOD_TOML.format(id="bad_one", aliases='"abc"', reps="5", hold="2.0")
    ),
    "checker_import_fails": lambda d: (
        (d / "bad.toml").write_text(
            GOOD_TOML.format(id="bad_one", aliases="[]", reps="5", hold="2.0").replace(
                "good.py:GoodChecker", "broken.py:X"
            )
        ),
        (d / "broken.py").write_text("import no_such_module_anywhere\n"),
    ),
}


@pytest.fixture()
def addon_dir(tmp_path: Path, monkeypatch):
    d = tmp_path / "addons"
    d.mkdir()
    (d / "good.toml").write_text(GOOD_TOML.format(id="good_addon", aliases="[]", reps="5", hold="2.0"))
    (d / "good.py").write_text(GOOD_PY)
    monkeypatch.setenv("FORMCHECK_EXERCISE_PATH", str(d))
    monkeypatch.delenv("FORMCHECK_EXERCISE_OVERRIDE", raising=False)
    monkeypatch.setattr(ex, "_warned", set(), raising=False)
    return d


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_one_broken_addon_is_skipped_with_a_warning(addon_dir: Path, kind: str, caplog) -> None:
    BROKEN[kind](addon_dir)
    with caplog.at_level(logging.WARNING, logger="formcheck.core.exercise"):
        specs = ex.all_exercises()
    assert {"bridge", "bird_dog", "pelvic_tilt", "knee_to_chest", "good_addon"} <= set(specs)
    assert "bad_one" not in specs
    assert any("bad.toml" in r.getMessage() for r in caplog.records), caplog.text
    assert ex.get_exercise("bridge").id == "bridge"


def test_broken_addons_do_not_break_the_command(addon_dir: Path) -> None:
    for make in BROKEN.values():  # all at once, one file name each
        sub = addon_dir / f"sub{len(list(addon_dir.iterdir()))}"
        sub.mkdir()
        make(sub)
    env_dirs = os.pathsep.join([str(addon_dir), *(str(p) for p in addon_dir.iterdir() if p.is_dir())])
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "exercises"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "FORMCHECK_EXERCISE_PATH": env_dirs},
    )
    assert proc.returncode == 0, proc.stderr
    assert "good_addon" in proc.stdout and "bridge" in proc.stdout
    assert proc.stderr.count("skipping the exercise add-on") == len(BROKEN), proc.stderr
    assert "Traceback" not in proc.stderr


def test_addon_cannot_replace_a_builtin_unless_asked(addon_dir: Path, monkeypatch) -> None:
    (addon_dir / "good.toml").write_text(GOOD_TOML.format(id="bridge", aliases="[]", reps="5", hold="2.0"))
    (addon_dir / "alias.toml").write_text(
        GOOD_TOML.format(id="other_addon", aliases='["bird-dog"]', reps="5", hold="2.0")
    )
    specs = ex.all_exercises()
    assert specs["bridge"].source.parent == ex.builtin_directory()
    assert "other_addon" not in specs and ex.get_exercise("bird-dog").id == "bird_dog"
    monkeypatch.setenv("FORMCHECK_EXERCISE_OVERRIDE", "1")
    assert ex.all_exercises()["bridge"].source.parent == addon_dir


# ------------------------------------------------------------------- 4. time
def test_backwards_timestamps_are_retimed_and_warned() -> None:
    """Two recordings joined: the second starts again at 0 s. Before: its frames were dropped
    (1 rep instead of 2) without a word. Now it counts as if the second followed on."""
    first, second = _bridge_stream(), _bridge_stream()
    shift = first[-1][0] + 1 / 15
    following = first + [
        (t + shift, None if f is None else dataclasses.replace(f, t_s=f.t_s + shift)) for t, f in second
    ]
    expected = run("bridge", following)
    s = Session("bridge")
    for t, f in first + second:
        s.update(t, f)
    s.finish()
    report = s.report("joined", fps=15.0)
    assert s.frames == len(first) + len(second)
    assert len(report.reps) == len(expected.reps) > len(run("bridge", first).reps)
    assert [r.start_s for r in report.reps] == pytest.approx([r.start_s for r in expected.reps], abs=1e-6)
    warn = [w for w in report.warnings if w.code == "timestamps_reset"]
    assert len(warn) == 1 and f"{len(second)} frames" in warn[0].message


def test_joined_recordings_in_a_track_count_both(tmp_path: Path) -> None:
    single = analyze(_track_file(tmp_path / "one.fctrack", _bridge_stream()), "bridge").report
    track = _track_file(tmp_path / "joined.fctrack", _bridge_stream() + _bridge_stream())
    proc = run_cli("analyze", str(track), "-e", "bridge", "--json", timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = _strict_json(proc.stdout)
    assert report["reps"] > len(single.reps) >= 1  # the second recording was ignored before
    assert report["frames"] == 2 * single.frames
    assert "timestamps_reset" in [w["code"] for w in report["warnings"]]


def test_nan_and_inf_timestamps_and_fps_give_valid_json(tmp_path: Path) -> None:
    path = tmp_path / "nan.fctrack"
    frames = _bridge_stream()
    with gzip.open(path, "wt") as f:  # Python's json writes NaN/Infinity: what a hostile track holds
        f.write(
            json.dumps(
                {
                    "format": "formcheck-track",
                    "version": 1,
                    "fps": float("nan"),
                    "duration_s": float("inf"),
                    "width": 640,
                    "height": 480,
                    "frames": float("inf"),
                }
            )
            + "\n"
        )
        for i, (t, fr) in enumerate(frames):
            t_out = float("nan") if i % 17 == 3 else float("inf") if i % 23 == 5 else t
            f.write(json.dumps({"t_s": t_out, "pose": None if fr is None else fr.to_dict()}) + "\n")
    proc = run_cli("analyze", str(path), "-e", "bridge", "--json", "--trace", timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = _strict_json(proc.stdout)  # NaN/Infinity in the output before
    assert report["frames"] == len(frames)
    assert report["fps"] in (0.0, None) and math.isfinite(report["duration_s"])
    assert "timestamps_reset" in [w["code"] for w in report["warnings"]]


def test_raw_h264_is_timed_at_its_own_rate(tmp_path: Path) -> None:
    path = tmp_path / "raw.h264"
    with av.open(str(path), "w", format="h264") as c:
        s = c.add_stream("libx264", rate=15)
        s.width, s.height, s.pix_fmt, s.options = 64, 48, "yuv420p", {"preset": "ultrafast"}
        for i in range(30):
            fr = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 8, np.uint8), format="bgr24")
            fr.pts, fr.time_base = i, Fraction(1, 15)
            for p in s.encode(fr):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    reader = open_video(path)
    times = [t for t, _ in reader]
    assert reader.info.fps == pytest.approx(15.0)  # 25 (FFmpeg's assumption) before
    assert len(times) == 30 and times[-1] == pytest.approx(29 / 15)


# ------------------------------------------------------------------- 5. errors never hidden
def test_app_keeps_streamlit_errors_and_drops_only_mediapipe_noise(capfd) -> None:
    child = textwrap.dedent("""
        import sys
        sys.stderr.write("INFO: [environment.cc:36] Creating LiteRT environment with options\\n")
        sys.stderr.write("W0000 00:00:1796003680.883403    6472 inference_runner_litert.cc:1433] Input tensor\\n")
        sys.stderr.write("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
        sys.stderr.write("2026-11-30 01:00:00.000 Uncaught app exception\\nTraceback (most recent call last):\\n")
        sys.stderr.write("E0000 00:00:1796003680.883403    6472 calculator_graph.cc:1] a native error\\n")
    """)
    assert cli.run_filtered([sys.executable, "-c", child]) == 0
    err = capfd.readouterr().err
    assert "Uncaught app exception" in err and "Traceback" in err and "a native error" in err
    assert "LiteRT" not in err and "Input tensor" not in err and "XNNPACK" not in err


def test_app_command_does_not_discard_stderr(monkeypatch) -> None:
    seen = {}

    def fake_run(cmd, env=None):
        seen["cmd"], seen["stderr_fd_ok"] = (
            cmd,
            os.path.samefile(f"/proc/self/fd/{sys.stderr.fileno()}", "/proc/self/fd/2"),
        )
        return 0

    monkeypatch.setattr(cli, "run_filtered", fake_run)
    assert cli.main(["app", "--port", "8599"]) == 0
    assert "streamlit" in seen["cmd"] and seen["stderr_fd_ok"]
    assert os.stat("/dev/null").st_ino != os.fstat(2).st_ino  # fd 2 was not pointed at /dev/null


def test_internal_error_goes_to_the_log_with_traceback_not_the_terminal(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    def boom(args):
        raise ZeroDivisionError("a plain bug")

    monkeypatch.setattr(cli, "cmd_exercises", boom)
    try:
        assert cli.main(["exercises"]) == cli.EXIT_FAIL
    finally:
        logging.getLogger().handlers = [h for h in logging.getLogger().handlers if not getattr(h, "_formcheck", False)]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: ZeroDivisionError: a plain bug" in err and "Traceback" not in err
    log_text = (tmp_path / "formcheck" / "formcheck.log").read_text()
    assert "Traceback" in log_text and "ZeroDivisionError" in log_text


# ------------------------------------------------------------------- 6. smaller
def test_control_characters_in_the_exercise_name_stay_one_line() -> None:
    proc = run_cli("analyze", "x.mp4", "-e", "bridge\nX", timeout=60)
    _one_line_error(proc, "unknown exercise", "bridge\\nX")
    assert one_line("a\x1b[31mb\r\n") == "a\\x1b[31mb\\r\\n"


@pytest.mark.parametrize(
    "args", [("exercises",), ("exercises", "--json"), ("analyze", "{track}", "-e", "bridge", "--json")]
)
def test_closed_pipe_ends_quietly(tmp_path: Path, args) -> None:
    """``formcheck ... | head -0``: the reader is gone before anything is written."""
    track = _track_file(tmp_path / "t.fctrack", _bridge_stream())
    argv = [a.format(track=track) for a in args]
    p = subprocess.Popen(
        [sys.executable, "-m", "formcheck", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 0
    assert err == "", err


def test_closed_pipe_after_the_first_line_ends_quietly(tmp_path: Path) -> None:
    track = _track_file(tmp_path / "t.fctrack", _bridge_stream())
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{sys.executable} -m formcheck analyze {track} -e bridge --json | head -1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.stdout == "{\n" and proc.stderr == "", proc.stderr
    assert proc.returncode == 0


@pytest.mark.parametrize(
    "args,code",
    [
        (("analyze", "missing.mp4", "-e", "bridge", "--json"), "bad_video"),
        (("analyze", "x.mp4", "-e", "nope", "--json"), "bad_exercise"),
        (("analyze", "--json", "-e", "bridge"), "usage"),
    ],
)
def test_json_failures_print_one_json_error_object(args, code: str) -> None:
    proc = run_cli(*args, timeout=60)
    assert proc.returncode == 2
    out = _strict_json(proc.stdout)
    assert set(out) == {"error"} and out["error"]["code"] == code and out["error"]["message"]


def test_eval_labels_are_bounded_and_regular_files(tmp_path: Path) -> None:
    """A label that is a FIFO, or far larger than any label, is reported as that clip's error
    (eval goes on); it is never opened (a FIFO would hang) nor read whole."""
    from formcheck.tools.evaluate import MAX_LABEL_BYTES, evaluate_directory

    track = _track_file(tmp_path / "a.fctrack", _bridge_stream())
    big = tmp_path / "a.json"
    big.write_text('{"exercise": "bridge", "pad": "' + "x" * (MAX_LABEL_BYTES + 10) + '"}')
    _track_file(tmp_path / "b.fctrack", _bridge_stream())
    os.mkfifo(tmp_path / "b.json")
    result = evaluate_directory(tmp_path)
    errors = {c.clip: c.error for c in result.clips}
    assert "too large" in errors[track.name] and "FIFO" in errors["b.fctrack"], errors
