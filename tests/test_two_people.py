"""Two people side by side (issue 9): the pose estimator follows the exerciser, counting goes on,
and the session warns ``multiple_people`` once. Real MediaPipe on a composite of two real clips.

The composite is made here from the sample clips: on the left the glute-bridge clip (one rep), on
the right a person standing and moving in a lab (pose2sim). The standing person is in view from the
first frame; the exerciser's half shows an empty grey floor for the first 0.7 s, then the exerciser
lying still for 2 s, then the bridge. So the first person anyone could follow is the wrong one.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.core.landmarks import INDEX
from formcheck.core.session import Session
from formcheck.media.pose import PoseEstimator
from formcheck.media.video import open_video

ROOT = Path(__file__).resolve().parents[1] / "sample_videos"
BRIDGE = ROOT / "bridge_side_physiocore.mp4"
STANDING = ROOT / "standing_pose2sim_cam01.mp4"
FPS = 30
EMPTY_S = 0.7  # the exerciser is not in view yet
STILL_S = 2.0  # the exerciser lying still before the rep (live counting starts after a still moment)

pytestmark = [
    pytest.mark.mediapipe,
    pytest.mark.skipif(not (BRIDGE.is_file() and STANDING.is_file()), reason="sample clips missing"),
]


def _frames(path: Path) -> list[np.ndarray]:
    with open_video(path) as r:
        return [f for _, f in r]


@pytest.fixture(scope="module")
def composite() -> list[tuple[float, np.ndarray]]:
    """(t_s, BGR frame) of the side-by-side clip, 30 fps."""
    bridge = _frames(BRIDGE)  # 640x480, 30 fps, one bridge from 0.35 s
    h = bridge[0].shape[0]
    standing = []
    for f in _frames(STANDING)[::2]:  # 60 fps -> 30 fps; portrait 1080x1920: keep the person, scale to 480 high
        crop = f[200:1500]
        standing.append(cv2.resize(crop, (round(crop.shape[1] * h / crop.shape[0]), h), interpolation=cv2.INTER_AREA))
    standing = standing + standing[-2:0:-1]  # played forwards then backwards, looped
    grey = np.full_like(bridge[0], 128)
    left = [grey] * round(EMPTY_S * FPS) + [bridge[0]] * round(STILL_S * FPS) + bridge
    return [(i / FPS, np.hstack([f, standing[i % len(standing)]])) for i, f in enumerate(left)]


def _hip_x(pose) -> float:
    return float((pose.xyz[INDEX["left_hip"], 0] + pose.xyz[INDEX["right_hip"], 0]) / 2)


def test_composite_clip_counts_the_exercisers_rep_and_warns_once(composite):
    session = Session("bridge", offline=True)  # as formcheck analyze runs a file
    followed, both = [], 0
    with PoseEstimator("full") as est:  # default: follow someone lying down or on all fours
        for t, frame in composite:
            pose = est.detect(frame, t)
            session.update(t, pose)
            if pose is not None and t >= EMPTY_S + 0.5:
                followed.append(_hip_x(pose))
                both += pose.num_people == 2
    session.finish()
    report = session.report("composite", fps=FPS)
    assert both >= 0.5 * len(followed)  # the model really saw two people most of the time
    assert all(x < 0.5 for x in followed)  # once the exerciser is in view, only they are followed (left half)
    assert len(report.reps) == 1 and report.good_reps == 1
    codes = [w.code for w in report.warnings]
    assert codes.count("multiple_people") == 1 and "setup_not_met" not in codes


def test_live_processor_follows_the_exerciser(composite):
    from formcheck.app.live_processor import LiveProcessor

    proc = LiveProcessor("bridge", model="full", draw=False)
    try:
        for t, frame in composite:
            proc.process(frame.copy(), t)
        assert proc.stop("finished")
        snap = proc.snapshot()
    finally:
        proc.close()
    assert snap.error is None
    assert snap.report["reps"] == 1
    assert [w["code"] for w in snap.report["warnings"]].count("multiple_people") == 1
