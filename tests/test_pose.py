"""Pose estimation: model resolution and the real MediaPipe landmarker on a real clip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import conftest_media as cm
import numpy as np
import pytest

from formcheck.core.landmarks import INDEX, PoseFrame
from formcheck.media.pose import MODELS_DIR, ModelError, PoseEstimator, resolve_model
from formcheck.media.video import open_video

#: The bridge clip: sample_videos/ copy when present, else the shared folder.
BRIDGE_CLIP = cm.bridge_clip() or Path("/work/shared/clips/bridge_side_physiocore.mp4")


def _one_line(e: pytest.ExceptionInfo) -> str:
    msg = str(e.value)
    assert "\n" not in msg
    return msg


# -- resolve_model -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lite", "full", "FULL"])
def test_bundled_models(name: str) -> None:
    p = resolve_model(name)
    assert p.parent == MODELS_DIR and p.is_file() and zipfile.is_zipfile(p)
    assert p.name == f"pose_landmarker_{name.lower()}.task"


def test_heavy_not_bundled() -> None:
    with pytest.raises(ModelError) as e:
        resolve_model("heavy")
    msg = _one_line(e)
    assert "not bundled" in msg and "path" in msg


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as e:
        resolve_model(tmp_path / "mine.task")
    assert "mine.task" in _one_line(e) and "not found" in str(e.value)


def test_directory_path(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as e:
        resolve_model(tmp_path)
    assert "not a MediaPipe .task model file" in _one_line(e)


def test_non_zip_file(tmp_path: Path) -> None:
    p = tmp_path / "model.task"
    p.write_text("definitely not a model")
    with pytest.raises(ModelError) as e:
        resolve_model(p)
    msg = _one_line(e)
    assert "model.task" in msg and "is not a MediaPipe .task model file" in msg


def test_explicit_path_accepted() -> None:
    full = MODELS_DIR / "pose_landmarker_full.task"
    assert resolve_model(str(full)) == full


@pytest.mark.mediapipe
@pytest.mark.parametrize("broken", ["wrong_members", "truncated_members"])
def test_corrupt_zip_becomes_model_error(tmp_path: Path, broken: str) -> None:
    p = tmp_path / f"{broken}.task"
    src = zipfile.ZipFile(MODELS_DIR / "pose_landmarker_lite.task")
    with zipfile.ZipFile(p, "w") as z:
        if broken == "wrong_members":
            z.writestr("something.tflite", b"garbage" * 100)
        else:
            for n in src.namelist():
                z.writestr(n, src.read(n)[:1000])
    with pytest.raises(ModelError) as e:
        PoseEstimator(p)
    assert p.name in _one_line(e)


# -- PoseEstimator on real video ----------------------------------------------------------
@pytest.fixture(scope="module")
def bridge_frames() -> list[tuple[float, np.ndarray]]:
    if not BRIDGE_CLIP.is_file():
        pytest.skip("bridge clip not available")
    with open_video(BRIDGE_CLIP) as r:
        return list(r)


@pytest.mark.mediapipe
def test_finds_pose_in_bridge_clip(bridge_frames) -> None:
    found = []
    with PoseEstimator("full") as est:
        for t, f in bridge_frames:
            pf = est.detect(f, t)
            found.append(pf)
    hits = [p for p in found if p is not None]
    assert len(hits) >= 0.9 * len(bridge_frames)
    p = hits[0]
    assert isinstance(p, PoseFrame)
    assert (p.width, p.height) == (640, 480)
    assert p.xyz.shape == (33, 3)
    assert np.all((p.visibility >= 0) & (p.visibility <= 1))
    assert p.num_people == 1
    # a side-view person lying down: hips well inside the image
    assert 0.1 < p.xyz[INDEX["left_hip"], 0] < 0.9
    assert [q.t_s for q in hits] == sorted(q.t_s for q in hits)


@pytest.mark.mediapipe
def test_repeated_and_backwards_timestamps(bridge_frames) -> None:
    f = bridge_frames[0][1]
    with PoseEstimator("lite", num_poses=1) as est:
        a = est.detect(f, 1.0)
        b = est.detect(f, 1.0)  # repeated
        c = est.detect(f, 0.5)  # backwards
        d = est.detect(f, 1.0004)  # same millisecond after rounding
    assert all(x is not None for x in (a, b, c, d))
    assert c.t_s == 0.5  # the caller's time is kept


@pytest.mark.mediapipe
def test_blank_frame_gives_none() -> None:
    with PoseEstimator("lite", num_poses=1) as est:
        assert est.detect(np.zeros((480, 640, 3), np.uint8), 0.0) is None
        assert est.detect(np.full((480, 640, 3), 255, np.uint8), 0.033) is None


@pytest.mark.mediapipe
def test_segmentation_mask(bridge_frames) -> None:
    t, f = bridge_frames[40]
    with PoseEstimator("lite", num_poses=1, segmentation=True) as est:
        p = est.detect(f, t)
    assert p is not None and p.segmentation is not None
    m = p.segmentation
    assert m.dtype == np.float32 and m.ndim == 2
    assert 0.0 <= m.min() and m.max() <= 1.0 and m.max() > 0.5


@pytest.mark.mediapipe
def test_downscales_large_frames(bridge_frames) -> None:
    import cv2

    t, f = bridge_frames[10]
    big = cv2.resize(f, (1920, 1440))
    with PoseEstimator("lite", num_poses=1, max_side=960) as est:
        p = est.detect(big, t)
    assert p is not None and max(p.width, p.height) == 960


@pytest.mark.mediapipe
def test_two_people_tracked_consistently(bridge_frames) -> None:
    """Two copies of the clip side by side: both found, and the same one followed."""
    xs = []
    counts = []
    with PoseEstimator("full", num_poses=2) as est:
        for t, f in bridge_frames[:30]:
            p = est.detect(np.hstack([f, f]), t)
            if p is None:
                continue
            counts.append(p.num_people)
            hip = (p.xyz[INDEX["left_hip"], 0] + p.xyz[INDEX["right_hip"], 0]) / 2
            xs.append(hip)
    assert len(counts) >= 25
    assert sum(c == 2 for c in counts) >= 0.9 * len(counts)
    xs = np.array(xs)
    # every frame is on the same half of the doubled image as the first one
    assert np.all((xs < 0.5) == (xs[0] < 0.5))


# -- whom to follow when several people are in view (no model: the choice on landmark arrays) --
def _chooser() -> PoseEstimator:
    from formcheck.media.pose import EXERCISE_POSITIONS

    est = PoseEstimator.__new__(PoseEstimator)  # the choice needs no model
    est.positions = EXERCISE_POSITIONS
    est._track, est._track_t, est._track_torso_px, est._track_in_position = None, None, 0.0, False
    est._track_new = True
    return est


def _people(w: int = 1280, h: int = 480):
    """A person lying on their back (left half) and a bigger person standing (right half), as arrays."""
    from test_live_processor import bridge_pose

    from formcheck.core.landmarks import frame_from_points
    from formcheck.core.posture import classify_posture

    lying = bridge_pose(0.0, 0.0)  # drawn on a 640x480 image: the left half of this one
    lying_xyz = lying.xyz.copy()
    lying_xyz[:, 0] *= 640 / w
    cx = 0.8 * w
    pts = {
        "nose": (cx, 40),
        "left_ear": (cx + 5, 38),
        "right_ear": (cx - 5, 38),
        "left_shoulder": (cx + 30, 100),
        "right_shoulder": (cx - 30, 100),
        "left_elbow": (cx + 40, 170),
        "right_elbow": (cx - 40, 170),
        "left_wrist": (cx + 45, 230),
        "right_wrist": (cx - 45, 230),
        "left_hip": (cx + 20, 240),
        "right_hip": (cx - 20, 240),
        "left_knee": (cx + 22, 340),
        "right_knee": (cx - 22, 340),
        "left_ankle": (cx + 24, 440),
        "right_ankle": (cx - 24, 440),
        "left_heel": (cx + 20, 450),
        "right_heel": (cx - 20, 450),
        "left_foot_index": (cx + 40, 455),
        "right_foot_index": (cx - 40, 455),
    }
    standing = frame_from_points(0.0, pts, w, h)
    assert classify_posture(standing) == "standing"
    return (lying_xyz, lying.visibility), (standing.xyz, standing.visibility), w, h


def test_at_the_start_the_person_in_the_exercise_position_is_followed_not_the_largest() -> None:
    from formcheck.media.pose import _bbox_area

    (ly, lv), (sx, sv), w, h = _people()
    assert _bbox_area(sx) > _bbox_area(ly)  # the standing partner is the larger one
    est = _chooser()
    assert est._choose([sx, ly], [sv, lv], w, h, 0.0) == 1
    assert est._choose([ly, sx], [lv, sv], w, h, 0.0) == 0


def test_the_exerciser_out_of_sight_for_a_moment_is_not_swapped_for_the_partner() -> None:
    (ly, lv), (sx, sv), w, h = _people()
    est = _chooser()
    est._remember(ly, lv, w, h, 0.0)
    assert est._choose([sx], [sv], w, h, 0.1) is None  # only the partner found: not them
    assert est._choose([sx, ly], [sv, lv], w, h, 0.2) == 1
    assert est._choose([sx], [sv], w, h, 5.0) == 0  # gone for longer than the timeout: start again


def test_a_partner_followed_first_gives_way_to_the_exerciser() -> None:
    (ly, lv), (sx, sv), w, h = _people()
    est = _chooser()
    assert est._choose([sx], [sv], w, h, 0.0) == 0  # only the partner in view yet: followed (set-up advice)
    est._remember(sx, sv, w, h, 0.0)
    assert est._choose([sx, ly], [sv, lv], w, h, 0.1) == 1  # the exerciser lies down beside them
    est._remember(ly, lv, w, h, 0.1)
    assert est._choose([sx, ly], [sv, lv], w, h, 0.2) == 1


def test_the_exerciser_is_kept_when_their_posture_is_misread_for_a_moment() -> None:
    (ly, lv), (sx, sv), w, h = _people()
    est = _chooser()
    est._remember(ly, lv, w, h, 0.0)  # the exerciser, lying down
    odd = ly.copy()
    odd[:, 1] = 0.5 + (odd[:, 1] - 0.5) * 0.2  # flattened: no recognisable posture for a frame
    est._remember(odd, lv, w, h, 0.1)
    assert est._track_in_position  # once in position, always the exerciser
    lying_partner = ly.copy()
    lying_partner[:, 0] += 0.5  # someone else lying on the right
    assert est._choose([lying_partner, odd], [lv, lv], w, h, 0.2) == 1
