"""The ``formcheck`` command end to end (subprocesses, real MediaPipe, real files)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import conftest_media as media
import cv2
import numpy as np
import pytest
from conftest import clip_path, run_cli

pytestmark = pytest.mark.mediapipe

BRIDGE = "bridge_side_physiocore.mp4"


def _one_line_error(proc, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr
    assert err.count("\n") == 0, err
    assert err.startswith("formcheck: error:"), err
    for n in needles:
        assert n.lower() in err.lower(), err
    if proc.stdout:  # with --json: exactly one JSON error object, the same message
        out = json.loads(proc.stdout)
        assert set(out) == {"error"} and out["error"]["code"] and out["error"]["message"] in err, proc.stdout


def _frames(path: Path) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    out = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        out.append(f)
    cap.release()
    return out, fps


def _encode(path: Path, frames: list[np.ndarray], pts_ms: list[int], rotation_ccw: int = 0) -> Path:
    h, w = frames[0].shape[:2]
    with av.open(str(path), mode="w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": "ultrafast", "crf": "28"}
        s.codec_context.time_base = Fraction(1, 1000)
        if rotation_ccw:
            s.set_display_rotation(rotation_ccw)
        for img, t in zip(frames, pts_ms):
            f = av.VideoFrame.from_ndarray(img, format="bgr24")
            f.pts, f.time_base = t, Fraction(1, 1000)
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


def _analyze_json(path: Path, exercise: str = "bridge") -> dict:
    proc = run_cli("analyze", str(path), "--exercise", exercise, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)  # exactly one JSON object on stdout


REQUIRED_KEYS = {
    "exercise",
    "source",
    "duration_s",
    "fps",
    "frames",
    "frames_with_pose",
    "reps",
    "good_reps",
    "rep_events",
    "holds",
    "faults",
    "warnings",
}


def test_real_bridge_clip_counts_one_good_rep():
    report = _analyze_json(clip_path(BRIDGE))
    assert REQUIRED_KEYS <= set(report)
    assert report["exercise"] == "bridge"
    assert report["reps"] == 1 and report["good_reps"] == 1
    assert report["frames"] == report["frames_with_pose"] > 40  # 91 frames at 30 fps, analysed at 15 frames/s
    (rep,) = report["rep_events"]
    assert set(rep) >= {"index", "start_s", "top_s", "end_s", "hold_s", "side", "good", "faults"}
    assert 1.5 <= rep["hold_s"] <= 2.3  # labelled: about 1.9 s at the top
    assert rep["faults"] == [] and rep["good"] is True
    assert len(report["holds"]) == 1 and report["holds"][0]["duration_s"] == pytest.approx(rep["hold_s"], abs=0.01)
    assert rep["top_s"] == pytest.approx(report["holds"][0]["start_s"], abs=1e-3)  # the top is where the hold begins
    assert 0.45 <= rep["top_s"] <= 0.8  # labelled: top reached at 0.6 s


def test_walking_clip_gives_no_reps_and_a_warning():
    report = _analyze_json(clip_path("walking_sports2d_demo.mp4"))
    assert report["reps"] == 0
    codes = [w["code"] for w in report["warnings"]]
    assert "no_exercise_posture" in codes
    assert any("standing" in w["message"] for w in report["warnings"])


def test_readable_summary_by_default_and_annotated_video(tmp_path):
    out = tmp_path / "annotated.webm"
    proc = run_cli(
        "analyze", str(clip_path(BRIDGE)), "-e", "bridge", "--annotate", str(out), "--csv", str(tmp_path / "r.csv")
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 reps, 1 with good form" in proc.stdout
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name in ("vp8", "vp9")
        n = sum(1 for _ in c.decode(s))
    assert n >= 85
    rows = (tmp_path / "r.csv").read_text().strip().splitlines()
    assert len(rows) == 2 and rows[1].split(",")[2] == "1"


def test_track_then_analyze_track_gives_same_report(tmp_path):
    track = tmp_path / "bridge.fctrack"
    proc = run_cli("track", str(clip_path(BRIDGE)), "-o", str(track))
    assert proc.returncode == 0, proc.stderr
    from_track = _analyze_json(track)
    from_video = _analyze_json(clip_path(BRIDGE))
    assert from_track["rep_events"] == from_video["rep_events"]
    assert from_track["frames"] == from_video["frames"]


def test_rotated_phone_video_is_turned_upright(tmp_path):
    frames, fps = _frames(clip_path(BRIDGE))
    sideways = [cv2.rotate(f, cv2.ROTATE_90_CLOCKWISE) for f in frames]
    # stored sideways; the display matrix says "turn 90 degrees counter-clockwise to view"
    path = _encode(
        tmp_path / "phone.mp4", sideways, [round(i * 1000 / fps) for i in range(len(frames))], rotation_ccw=90
    )
    report = _analyze_json(path)
    assert report["reps"] == 1


def test_variable_frame_rate_video_keeps_real_times(tmp_path):
    frames, fps = _frames(clip_path(BRIDGE))
    rng = np.random.default_rng(3)
    keep = [i for i in range(len(frames)) if i % 7 != 3 and rng.random() > 0.15]  # drop frames irregularly
    path = _encode(tmp_path / "vfr.mp4", [frames[i] for i in keep], [round(i * 1000 / fps) for i in keep])
    report = _analyze_json(path)
    assert report["reps"] == 1
    assert 1.4 <= report["rep_events"][0]["hold_s"] <= 2.4  # hold still measured in real seconds
    assert report["duration_s"] == pytest.approx(3.0, abs=0.2)


def test_4k_video_works_downscaled(tmp_path):
    frames, fps = _frames(clip_path(BRIDGE))
    big = [cv2.resize(f, (3840, 2160), interpolation=cv2.INTER_NEAREST) for f in frames[::2]]
    path = _encode(tmp_path / "uhd.mp4", big, [round(i * 2000 / fps) for i in range(len(big))])
    report = _analyze_json(path)
    assert report["reps"] == 1


@pytest.mark.parametrize(
    "maker, needles",
    [
        (lambda d: d / "missing.mp4", ["missing.mp4"]),
        (media.make_zero_byte, ["empty.mp4"]),
        (media.make_text_mp4, ["notes.mp4"]),
        (media.make_png, ["picture.png", "image"]),
        (media.make_audio_m4a, ["sound.m4a", "no video"]),
        (lambda d: d, []),  # a folder
    ],
    ids=["missing", "zero-byte", "text-named-mp4", "image", "audio-only", "directory"],
)
def test_bad_inputs_give_one_line_error(tmp_path, maker, needles):
    path = maker(tmp_path)
    _one_line_error(run_cli("analyze", str(path), "-e", "bridge", "--json"), *needles)


def test_truncated_mp4_is_an_error_or_a_partial_analysis(tmp_path):
    good = tmp_path / "whole.mp4"
    frames, fps = _frames(clip_path(BRIDGE))
    _encode(good, frames, [round(i * 1000 / fps) for i in range(len(frames))])
    cut = tmp_path / "truncated.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size * 3 // 10])
    proc = run_cli("analyze", str(cut), "-e", "bridge", "--json")
    if proc.returncode == 0:  # moov up front: the frames before the cut are analysed
        report = json.loads(proc.stdout)
        assert report["frames"] < len(frames)
    else:
        _one_line_error(proc, "truncated.mp4")


def test_video_with_no_person(tmp_path):
    path = media.make_synthetic_mp4(tmp_path, n_frames=20)
    _one_line_error(run_cli("analyze", str(path), "-e", "bridge", "--json"), "no person")


@pytest.mark.parametrize(
    "model, needles", [("heavy", ["heavy", "not bundled"]), ("/nope/model.task", ["model.task", "not found"])]
)
def test_bad_model_names_the_file(model, needles):
    _one_line_error(run_cli("analyze", str(clip_path(BRIDGE)), "-e", "bridge", "--model", model), *needles)


def test_corrupt_model_file(tmp_path):
    bad = tmp_path / "broken.task"
    bad.write_text("not a model")
    _one_line_error(run_cli("analyze", str(clip_path(BRIDGE)), "-e", "bridge", "--model", str(bad)), "broken.task")


def test_unknown_exercise():
    _one_line_error(run_cli("analyze", str(clip_path(BRIDGE)), "-e", "squat"), "squat", "bridge")


def test_lite_model_also_counts_the_bridge():
    proc = run_cli("analyze", str(clip_path(BRIDGE)), "-e", "bridge", "--model", "lite", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["reps"] == 1


def test_exercises_lists_all_four():
    proc = run_cli("exercises")
    assert proc.returncode == 0
    for ex in ("bridge", "bird_dog", "pelvic_tilt", "knee_to_chest"):
        assert ex in proc.stdout


def test_live_without_display_says_so(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    proc = run_cli("live", "-e", "bridge")
    assert proc.returncode == 2 and "no display" in proc.stderr and "Traceback" not in proc.stderr


def test_bench_prints_ratio_last_line():
    proc = run_cli("bench", str(clip_path(BRIDGE)), "--frames", "40")
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("throughput ratio (pipeline / mediapipe alone): ")
    ratio = float(last.rsplit(":", 1)[1])
    assert ratio > 0  # a speed figure, never asserted against wall-clock thresholds here
    for stage in ("decode", "pose", "checker", "overlay"):
        assert stage in proc.stdout


def test_help_mentions_every_command():
    proc = run_cli("--help")
    for cmd in ("analyze", "track", "live", "exercises", "bench", "eval", "app"):
        assert cmd in proc.stdout


def test_live_loop_with_a_camera_that_plays_the_bridge_clip(monkeypatch, capsys, caplog):
    """``formcheck live`` end to end without a screen: the camera is the bridge clip, the window is faked."""
    import formcheck.media.video as video
    import formcheck.tools.live_window as live

    frames, fps = _frames(clip_path(BRIDGE))

    class ClipCamera:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def __iter__(self):
            # the person lies still for 2 s first, as the live session asks (it learns the resting position)
            still = [frames[0]] * int(2 * fps)
            for i, f in enumerate(still + frames):
                yield i / fps, f
            raise video.VideoError("camera 0 stopped giving frames")  # the camera disappears

    shown = []
    monkeypatch.setattr(video, "open_camera", lambda index: ClipCamera())
    monkeypatch.setattr(cv2, "imshow", lambda name, img: shown.append(img.shape))
    monkeypatch.setattr(cv2, "waitKey", lambda ms: -1)
    monkeypatch.setattr(cv2, "getWindowProperty", lambda name, prop: 1.0)
    monkeypatch.setattr(cv2, "destroyAllWindows", lambda: None)
    assert live.run_live("bridge", camera=0, model="full") == 0
    out, err = capsys.readouterr()
    assert len(shown) == len(frames) + int(2 * fps)
    assert "1 reps, 1 with good form" in out
    assert "camera stopped" in caplog.text  # a warning logged (the CLI's handler shows it on stderr)


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--csv", "/nonexistent/x.csv"], ["/nonexistent", "does not exist"]),
        (["--annotate", "out.avi"], ["out.avi", ".mp4 or .webm"]),
        (["--annotate", "/nonexistent/a.mp4"], ["/nonexistent", "does not exist"]),
    ],
    ids=["csv-folder", "annotate-extension", "annotate-folder"],
)
def test_bad_output_paths_fail_before_any_work(args, needles):
    _one_line_error(run_cli("analyze", str(clip_path(BRIDGE)), "-e", "bridge", *args), *needles)


def test_track_output_folder_missing():
    _one_line_error(run_cli("track", str(clip_path(BRIDGE)), "-o", "/nonexistent/d/x.fctrack"), "does not exist")


def test_failed_analysis_leaves_no_annotated_video(tmp_path):
    path = media.make_synthetic_mp4(tmp_path, n_frames=20)
    out = tmp_path / "annotated.mp4"
    _one_line_error(run_cli("analyze", str(path), "-e", "bridge", "--annotate", str(out)), "no person")
    assert not out.exists()
