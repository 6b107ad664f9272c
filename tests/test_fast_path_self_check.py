"""The fast path's self-check compares what the exercise reads (issue 11): for the bridge (its checker
measures the side nearer to the camera) only the nearer side's joint angles, so the hidden far hip, which the
one-person tracking and a fresh detection read 11-18 degrees apart on a real held bridge, no longer sends it
to the detection path; a disagreement on the nearer side still does. Exercises that read the far limbs
(bird-dog, knee-to-chest) compare both sides. MediaPipe's landmarkers are replaced by scripted stubs: the
estimator's own logic runs, no model."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from test_live_processor import bridge_pose

from formcheck.core.exercise import get_exercise
from formcheck.core.landmarks import INDEX
from formcheck.media import pose as pose_mod
from formcheck.media.pipeline import analyze, exercise_self_check
from formcheck.media.pose import CHECK_EVERY_S, PoseEstimator, SelfCheck, _compared_sides

W, H, FPS = 640, 480, 30.0
NEAR_VIS, FAR_VIS = 0.99, 0.6  # bridge_pose: the left side faces the camera


def lying() -> tuple[np.ndarray, np.ndarray]:
    """A held bridge seen from its left side: landmarks (normalised xyz) and visibility."""
    p = bridge_pose(0.0, 1.0)
    return p.xyz.copy(), p.visibility.copy()


def knee_turned(xyz: np.ndarray, side: str, deg: float) -> np.ndarray:
    """``xyz`` with ``side``'s knee turned by ``deg`` about its hip (in pixels): its shoulder-hip-knee angle
    changes by ``deg``."""
    out = xyz.copy()
    scale = np.array([W, H], dtype=np.float64)
    hip, knee = out[INDEX[f"{side}_hip"], :2] * scale, out[INDEX[f"{side}_knee"], :2] * scale
    a = np.radians(deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    out[INDEX[f"{side}_knee"], :2] = (hip + rot @ (knee - hip)) / scale
    return out


def _landmarks(xyz: np.ndarray, vis: np.ndarray) -> list:
    return [SimpleNamespace(x=x, y=y, z=z, visibility=v, presence=1.0) for (x, y, z), v in zip(xyz, vis)]


class Script:
    """What the stub landmarkers see: the fresh detection (several-people landmarker) and the one-person
    tracking, as (xyz, visibility) of one person."""

    def __init__(self, detection: tuple[np.ndarray, np.ndarray], tracking: tuple[np.ndarray, np.ndarray]):
        self.detection, self.tracking = detection, tracking


class StubLandmarker:
    """Stands in for MediaPipe's PoseLandmarker: returns the script's person (nobody on the blank frame the
    estimator uses to reset one-person tracking)."""

    def __init__(self, script: Script, num_poses: int) -> None:
        self.script, self.num_poses = script, num_poses

    def detect_for_video(self, image, ms: int):
        if not image.numpy_view().any():  # the reset frame
            return SimpleNamespace(pose_landmarks=[], segmentation_masks=None)
        xyz, vis = self.script.tracking if self.num_poses == 1 else self.script.detection
        return SimpleNamespace(pose_landmarks=[_landmarks(xyz, vis)], segmentation_masks=None)

    def close(self) -> None:
        pass


@pytest.fixture
def stub(monkeypatch):
    """``stub(script, self_check)``: a fast-path estimator whose landmarkers follow ``script``."""
    from mediapipe.tasks.python import vision

    current: dict[str, Script] = {}
    monkeypatch.setattr(
        vision.PoseLandmarker,
        "create_from_options",
        lambda options: StubLandmarker(current["script"], options.num_poses),
    )

    def make(script: Script, self_check: SelfCheck) -> PoseEstimator:
        current["script"] = script
        return PoseEstimator("full", check_every_s=CHECK_EVERY_S, self_check=self_check)

    return make


def run(est: PoseEstimator, seconds: float = 3.0) -> list:
    image = np.full((H, W, 3), 128, np.uint8)
    with est:
        return [est.detect(image, i / FPS) for i in range(int(seconds * FPS))]


def test_near_side_check_ignores_the_far_side(stub):
    det = lying()
    far_off = (knee_turned(det[0], "right", 20.0), det[1])  # the hidden far hip read 20 degrees apart
    est = stub(Script(det, far_off), SelfCheck.NEAR_SIDE)
    got = run(est)
    assert est.disagreements == 0
    assert all(p is not None and np.array_equal(p.xyz, far_off[0]) for p in got)  # one-person tracking throughout
    assert est.frames_multi == 3  # only the once-a-second check (t = 0, 1, 2 s)


@pytest.mark.parametrize(
    "side, check",
    [
        ("right", SelfCheck.BOTH_SIDES),  # the same far-side difference, when both sides are compared
        ("left", SelfCheck.NEAR_SIDE),  # the near-side check still catches a near-side disagreement
    ],
)
def test_a_difference_on_a_compared_side_hands_over_to_the_detection(stub, side, check):
    det = lying()
    off = (knee_turned(det[0], side, 20.0), det[1])
    est = stub(Script(det, off), check)
    got = run(est)
    assert est.disagreements >= 1
    assert np.array_equal(got[0].xyz, det[0])  # the first check disagreed: the detection's landmarks
    assert est.frames_multi > len(got) / 2  # and the detection path ran for most frames


def test_a_small_near_side_difference_is_agreement(stub):
    det = lying()
    near_close = (knee_turned(det[0], "left", 5.0), det[1])  # within AGREE_DEG
    est = stub(Script(det, near_close), SelfCheck.NEAR_SIDE)
    run(est)
    assert est.disagreements == 0 and est.frames_multi == 3


def test_the_nearer_side_is_the_better_seen_one(stub):
    """The same pose seen from its right side (the right side's visibility high): the right knee is now the
    near one, and a difference there is a disagreement."""
    xyz, vis = lying()
    vis = vis.copy()
    left = [INDEX[n] for n in INDEX if n.startswith("left_")]
    right = [INDEX[n] for n in INDEX if n.startswith("right_")]
    vis[left], vis[right] = FAR_VIS, NEAR_VIS
    est = stub(Script((xyz, vis), (knee_turned(xyz, "right", 20.0), vis)), SelfCheck.NEAR_SIDE)
    run(est)
    assert est.disagreements >= 1


def test_sides_seen_about_as_well_are_both_compared(stub):
    """A camera nearer the head or feet end sees both sides about equally: either may be the one a checker
    measures, so both are compared."""
    xyz, vis = lying()
    vis = np.full_like(vis, 0.9)
    est = stub(Script((xyz, vis), (knee_turned(xyz, "right", 20.0), vis)), SelfCheck.NEAR_SIDE)
    run(est)
    assert est.disagreements >= 1


def test_compared_sides() -> None:
    _, vis = lying()  # left near
    swapped = vis.copy()
    left = [INDEX[n] for n in INDEX if n.startswith("left_")]
    right = [INDEX[n] for n in INDEX if n.startswith("right_")]
    swapped[left], swapped[right] = vis[right], vis[left]
    assert _compared_sides(SelfCheck.NEAR_SIDE, vis, vis) == ("left",)
    assert _compared_sides(SelfCheck.NEAR_SIDE, swapped, swapped) == ("right",)
    assert _compared_sides(SelfCheck.NEAR_SIDE, vis, swapped) == ("left", "right")  # they see different sides
    assert _compared_sides(SelfCheck.BOTH_SIDES, vis, vis) == ("left", "right")


# ---------------------------------------------------------------- from the exercise to the estimator
@pytest.mark.parametrize(
    "exercise, check",
    [
        ("bridge", SelfCheck.NEAR_SIDE),  # measures the side nearer to the camera (core.sides.best_side)
        ("bird_dog", SelfCheck.BOTH_SIDES),  # the far arm or leg is raised on every other rep
        ("knee_to_chest", SelfCheck.BOTH_SIDES),  # the far-leg knee hug
    ],
)
def test_the_exercise_chooses_the_self_check(exercise, check):
    assert exercise_self_check(get_exercise(exercise)) is check


class _Built(Exception):
    pass


@pytest.mark.parametrize("exercise, check", [("bridge", SelfCheck.NEAR_SIDE), ("bird_dog", SelfCheck.BOTH_SIDES)])
def test_analyze_gives_the_estimator_the_exercise_s_self_check(monkeypatch, exercise, check):
    from conftest import SAMPLES

    made: list[dict] = []

    def fake(*args, **kwargs):
        made.append(kwargs)
        raise _Built

    monkeypatch.setattr(pose_mod, "PoseEstimator", fake)
    clip = SAMPLES / "bridge_side_physiocore.mp4"
    if not clip.is_file():
        pytest.skip("sample clip missing")
    with pytest.raises(_Built):
        analyze(clip, exercise, fast=True)
    assert made[0]["self_check"] is check and made[0]["check_every_s"] == CHECK_EVERY_S
