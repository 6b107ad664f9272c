"""Overlay drawing on frames of several sizes (real OpenCV drawing, no mocks)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from formcheck.events import CheckerStatus
from formcheck.landmarks import frame_from_points
from formcheck.overlay import draw_overlay

KEY = ("left_shoulder", "left_hip", "left_knee")


def _pose(w: int, h: int, vis: float = 0.95):
    pts = {
        "nose": (0.15 * w, 0.70 * h), "left_ear": (0.17 * w, 0.68 * h), "right_ear": (0.17 * w, 0.69 * h),
        "left_shoulder": (0.25 * w, 0.72 * h), "right_shoulder": (0.25 * w, 0.73 * h),
        "left_elbow": (0.35 * w, 0.78 * h), "right_elbow": (0.35 * w, 0.79 * h),
        "left_wrist": (0.45 * w, 0.80 * h), "right_wrist": (0.45 * w, 0.81 * h),
        "left_hip": (0.50 * w, 0.60 * h), "right_hip": (0.50 * w, 0.61 * h),
        "left_knee": (0.65 * w, 0.45 * h), "right_knee": (0.65 * w, 0.46 * h),
        "left_ankle": (0.70 * w, 0.75 * h), "right_ankle": (0.70 * w, 0.76 * h),
        "left_heel": (0.69 * w, 0.78 * h), "right_heel": (0.69 * w, 0.79 * h),
        "left_foot_index": (0.76 * w, 0.78 * h), "right_foot_index": (0.76 * w, 0.79 * h),
    }
    # the far side dim: exercised as dashed bones
    visd = {n: (vis if n.startswith("left") or n == "nose" else 0.3) for n in pts}
    return frame_from_points(1.0, pts, width=w, height=h, visibility=visd)


def _status(**kw) -> CheckerStatus:
    base = dict(exercise="bridge", t_s=1.0, phase="hold", reps=3, good_reps=2, target_reps=10,
                hold_s=2.1, target_hold_s=3.0, side="left", key_angle_deg=171.0,
                cue="Lift your hips a little higher", pose_found=True)
    base.update(kw)
    return CheckerStatus(**base)


SIZES = [(320, 240), (640, 480), (1280, 720), (1920, 1080), (480, 854)]


@pytest.mark.parametrize("w,h", SIZES)
@pytest.mark.parametrize("with_pose", [True, False])
@pytest.mark.parametrize("status_kind", ["none", "hold", "setup"])
def test_draws_in_place(w: int, h: int, with_pose: bool, status_kind: str) -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    before = frame.copy()
    pose = _pose(w, h) if with_pose else None
    status = {"none": None, "hold": _status(),
              "setup": _status(phase="setup", cue=None, setup_message="Move so your whole body is in view",
                               hold_s=0.0, target_hold_s=0.0)}[status_kind]
    out = draw_overlay(frame, pose, status, key_joints=KEY)
    assert out is frame
    assert out.shape == (h, w, 3) and out.dtype == np.uint8
    if pose is None and status is None:
        assert np.array_equal(out, before)
    else:
        assert (out != before).any(axis=2).mean() > 0.005


def test_pose_from_smaller_model_image_is_drawn_at_frame_size() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    draw_overlay(frame, _pose(640, 360), None)  # normalised coords: lands on the 1280x720 frame
    ys, xs = np.nonzero(frame.any(axis=2))
    assert xs.max() > 900  # would be < 640 if drawn at the model's pixel size


def test_long_cue_and_missing_angle() -> None:
    frame = np.zeros((240, 320, 3), np.uint8)
    st = _status(key_angle_deg=None, cue="Keep both knees bent and press through your heels while you lift your hips "
                                          "slowly until your body makes a straight line from shoulders to knees")
    draw_overlay(frame, _pose(320, 240), st, key_joints=KEY)
    assert frame[-5:].any()


def test_overlay_is_fast() -> None:
    frame0 = np.full((480, 640, 3), 90, np.uint8)
    pose, st = _pose(640, 480), _status()
    times = []
    for _ in range(50):
        frame = frame0.copy()
        t0 = time.perf_counter()
        draw_overlay(frame, pose, st, key_joints=KEY)
        times.append(time.perf_counter() - t0)
    assert np.median(times) < 0.005  # < 2 ms on a quiet machine; slack for a loaded CI box
