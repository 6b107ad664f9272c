"""Overlay drawing on frames of several sizes (real OpenCV drawing, no mocks)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from formcheck.core.events import CheckerStatus
from formcheck.core.landmarks import INDEX, frame_from_points
from formcheck.media.overlay import AMBER, GREEN, draw_overlay

KEY = ("left_shoulder", "left_hip", "left_knee")


def _pose(w: int, h: int, vis: float = 0.95):
    pts = {
        "nose": (0.15 * w, 0.70 * h),
        "left_ear": (0.17 * w, 0.68 * h),
        "right_ear": (0.17 * w, 0.69 * h),
        "left_shoulder": (0.25 * w, 0.72 * h),
        "right_shoulder": (0.25 * w, 0.73 * h),
        "left_elbow": (0.35 * w, 0.78 * h),
        "right_elbow": (0.35 * w, 0.79 * h),
        "left_wrist": (0.45 * w, 0.80 * h),
        "right_wrist": (0.45 * w, 0.81 * h),
        "left_hip": (0.50 * w, 0.60 * h),
        "right_hip": (0.50 * w, 0.61 * h),
        "left_knee": (0.65 * w, 0.45 * h),
        "right_knee": (0.65 * w, 0.46 * h),
        "left_ankle": (0.70 * w, 0.75 * h),
        "right_ankle": (0.70 * w, 0.76 * h),
        "left_heel": (0.69 * w, 0.78 * h),
        "right_heel": (0.69 * w, 0.79 * h),
        "left_foot_index": (0.76 * w, 0.78 * h),
        "right_foot_index": (0.76 * w, 0.79 * h),
    }
    # the far side dim: exercised as dashed bones
    visd = {n: (vis if n.startswith("left") or n == "nose" else 0.3) for n in pts}
    return frame_from_points(1.0, pts, width=w, height=h, visibility=visd)


def _status(**kw) -> CheckerStatus:
    base = dict(
        exercise="bridge",
        t_s=1.0,
        phase="hold",
        reps=3,
        good_reps=2,
        target_reps=10,
        hold_s=2.1,
        target_hold_s=3.0,
        side="left",
        key_angle_deg=171.0,
        cue="Lift your hips a little higher",
        pose_found=True,
    )
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
    status = {
        "none": None,
        "hold": _status(),
        "setup": _status(
            phase="setup", cue=None, setup_message="Move so your whole body is in view", hold_s=0.0, target_hold_s=0.0
        ),
    }[status_kind]
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
    st = _status(
        key_angle_deg=None,
        cue="Keep both knees bent and press through your heels while you lift your hips "
        "slowly until your body makes a straight line from shoulders to knees",
    )
    draw_overlay(frame, _pose(320, 240), st, key_joints=KEY)
    assert frame[-5:].any()


def test_joints_are_drawn_where_the_landmarks_are() -> None:
    """Visible joints are white dots on their landmark's pixel; dimly seen ones only a grey ring."""
    w, h = 640, 480
    frame = np.full((h, w, 3), 90, np.uint8)
    pose = _pose(w, h)
    draw_overlay(frame, pose, None)

    def white_near(name: str) -> int:
        x, y = (pose.xyz[INDEX[name], :2] * (w, h)).astype(int)
        return int(np.all(frame[y - 2 : y + 3, x - 2 : x + 3] >= 245, axis=2).sum())

    for name in ("left_shoulder", "left_hip", "left_knee", "left_ankle"):  # visibility 0.95
        assert white_near(name) >= 8, name
    assert white_near("right_elbow") == 0  # visibility 0.3: a grey ring on a dashed bone


@pytest.mark.parametrize("hold_s,colour", [(1.5, AMBER), (3.0, GREEN)])
def test_hold_bar_fills_in_proportion_to_the_hold(hold_s: float, colour) -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    draw_overlay(frame, None, _status(hold_s=hold_s, target_hold_s=3.0, cue=None))
    fill = np.all(frame == colour, axis=2)
    ys, xs = np.nonzero(fill)
    assert len(xs) > 0 and ys.max() < 200  # in the panel at the top left
    empty = np.zeros((480, 640, 3), np.uint8)
    draw_overlay(empty, None, _status(hold_s=3.0, target_hold_s=3.0, cue=None))
    full_w = np.ptp(np.nonzero(np.all(empty == GREEN, axis=2))[1]) + 1
    assert (np.ptp(xs) + 1) / full_w == pytest.approx(hold_s / 3.0, abs=0.03)


def test_drawing_keeps_no_memory_from_frame_to_frame() -> None:
    """In place, nothing cached per frame: 300 more frames retain (almost) nothing. Speed is `formcheck bench`'s."""
    frame0 = np.full((480, 640, 3), 90, np.uint8)
    frame = frame0.copy()
    pose, st = _pose(640, 480), _status()
    for _ in range(20):  # warm-up: OpenCV's and Python's own one-off allocations
        draw_overlay(frame, pose, st, key_joints=KEY)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(300):
            np.copyto(frame, frame0)
            assert draw_overlay(frame, pose, st, key_joints=KEY) is frame
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(d.size_diff for d in after.compare_to(before, "filename") if d.size_diff > 0)
    assert grown < 64 * 1024  # a frame is 900 kB: keeping even one would show
