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


# ---------------------------------------------------------------------------- issue 11: the same pixels, faster
#: sha256 (first 16 hex digits) of the frames drawn by the overlay of e2d2fdd, before the live speed-ups
#: (precomputed bone colours, shading through a lookup table, remembered text sizes and cue lines): the
#: speed-ups must not move a pixel. Made with the pinned OpenCV of constraints.txt (another OpenCV version
#: may anti-alias differently: then re-make them from e2d2fdd's overlay, not from the current one).
DIGESTS_E2D2FDD = {
    "1280x720-dim": "aa5af227b7822540",
    "1280x720-full": "5e882209e72fcb43",
    "1280x720-hold": "9c566fc0ca5c6152",
    "1280x720-long": "3581e77e87d1f7f8",
    "1280x720-noangle": "97bbc50d3530bbb6",
    "1280x720-none": "2c80e775de8a9521",
    "1280x720-setup": "80b780078e8a5553",
    "320x240-dim": "46a58fde0dd33599",
    "320x240-full": "ccd76ad137a4addd",
    "320x240-hold": "a8eecc9e0d4877e4",
    "320x240-long": "6cd2e489828595c9",
    "320x240-noangle": "03ace36bac75a999",
    "320x240-none": "df766c175b60003d",
    "320x240-setup": "99fa00b46133638f",
    "480x854-dim": "23c26c335010d138",
    "480x854-full": "3c8b983297b4c2d7",
    "480x854-hold": "2c45b57400c7d361",
    "480x854-long": "58fc991f190cc8a1",
    "480x854-noangle": "d504418987f2eae2",
    "480x854-none": "79859135447efba6",
    "480x854-setup": "dd06d6c5dda092d9",
    "640x480-dim": "e878eedba0fcc98e",
    "640x480-full": "308e6a3dfabe6a66",
    "640x480-hold": "6aef803d2e2fd41e",
    "640x480-long": "1baeb506b4667f44",
    "640x480-noangle": "53e514c58dec8887",
    "640x480-none": "9b5c7f33d5ca4b11",
    "640x480-setup": "9da8f56500951546",
}
LONG_CUE = (
    "Keep both knees bent and press through your heels while you lift your hips slowly until your body "
    "makes a straight line from shoulders to knees"
)


def _case(kind: str, w: int, h: int):
    pose = None if kind == "none" else _pose(w, h, vis=0.35 if kind == "dim" else 0.95)
    status = {
        "setup": lambda: _status(
            phase="setup", cue=None, setup_message="Move so your whole body is in view", hold_s=0.0, target_hold_s=0.0
        ),
        "long": lambda: _status(cue=LONG_CUE),
        "noangle": lambda: _status(key_angle_deg=None),
        "dim": lambda: _status(phase="calibrating", side="none"),
        "full": lambda: _status(hold_s=3.4, target_hold_s=3.0, target_reps=0),
    }.get(kind, _status)()
    return pose, status


@pytest.mark.parametrize("case", sorted(DIGESTS_E2D2FDD))
def test_the_faster_drawing_gives_the_same_pixels(case: str) -> None:
    import hashlib

    size, kind = case.split("-")
    w, h = (int(v) for v in size.split("x"))
    pose, status = _case(kind, w, h)
    for _ in range(2):  # drawn afresh, then from what the first drawing remembered
        frame = np.random.default_rng(w).integers(0, 255, (h, w, 3), dtype=np.uint8)
        draw_overlay(frame, pose, status, key_joints=KEY)
        assert hashlib.sha256(frame.tobytes()).hexdigest()[:16] == DIGESTS_E2D2FDD[case]


@pytest.mark.parametrize("alpha", [0.5, 0.55, 0.6, 0.65, 0.0, 1.0])
def test_shading_through_the_lookup_table_is_the_multiplication(alpha: float) -> None:
    from formcheck.media.overlay import _shade

    frame = np.random.default_rng(3).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    want = frame.copy()
    roi = want[10:90, 20:150]
    np.multiply(roi, 1.0 - alpha, out=roi, casting="unsafe")  # what _shade did before (every value 0..255 occurs)
    _shade(frame, 20, 10, 150, 90, alpha)
    assert np.array_equal(frame, want)
    _shade(frame, 200, 10, 300, 90, alpha)  # outside the frame: nothing
    assert np.array_equal(frame, want)


def test_remembered_cue_lines_are_the_ones_worked_out_afresh() -> None:
    from formcheck.media.overlay import _text_size, _wrap

    _wrap.cache_clear()
    _text_size.cache_clear()
    first = _wrap(LONG_CUE, 0.7, 2, 600)
    assert _wrap(LONG_CUE, 0.7, 2, 600) is first and _wrap.cache_info().hits == 1
    _wrap.cache_clear()
    _text_size.cache_clear()
    assert _wrap(LONG_CUE, 0.7, 2, 600) == first and 1 < len(first) <= 3
    assert _wrap(LONG_CUE, 0.7, 2, 300) != first  # the width is part of what is remembered
