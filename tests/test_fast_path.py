"""The one-person fast path (issue 11, opt-in ``--fast``): with one person in view its landmarks are
exactly MediaPipe's one-person tracking on every frame; with two people it follows the exerciser,
counts their rep and warns ``multiple_people`` once; the several-people landmarker runs only on a
fraction of the frames. Real MediaPipe; no timing is asserted."""

from __future__ import annotations

import numpy as np
import pytest
from test_two_people import BRIDGE, EMPTY_S, FPS, STANDING, _hip_x
from test_two_people import composite as composite  # noqa: F401 - the module's fixture, reused here

from formcheck.core.session import Session
from formcheck.media.pose import CHECK_EVERY_S, PoseEstimator
from formcheck.media.video import open_video

pytestmark = [
    pytest.mark.mediapipe,
    pytest.mark.skipif(not (BRIDGE.is_file() and STANDING.is_file()), reason="sample clips missing"),
]


def test_one_person_in_view_gives_exactly_the_one_person_landmarks():
    frames = list(open_video(BRIDGE))
    with PoseEstimator("full", check_every_s=CHECK_EVERY_S) as fast, PoseEstimator("full", num_poses=1) as one:
        got = [(fast.detect(f, t), one.detect(f, t)) for t, f in frames]
        multi = fast.frames_multi
    assert all(a is not None and b is not None for a, b in got)
    assert all(np.array_equal(a.xyz, b.xyz) and np.array_equal(a.visibility, b.visibility) for a, b in got)
    assert all(a.num_people == 1 for a, _ in got)
    assert multi <= len(frames) / (FPS * CHECK_EVERY_S) + 2  # a check about once a second


def test_two_people_the_fast_path_follows_the_exerciser_and_warns_once(composite):  # noqa: F811
    session = Session("bridge", offline=True)
    followed = []
    with PoseEstimator("full", check_every_s=CHECK_EVERY_S) as est:
        for t, frame in composite:
            pose = est.detect(frame, t)
            session.update(t, pose)
            if pose is not None and t >= EMPTY_S + 0.5:
                followed.append(_hip_x(pose))
    session.finish()
    report = session.report("composite", fps=FPS)
    assert followed and all(x < 0.5 for x in followed)  # only the exerciser (left half) once they are in view
    assert len(report.reps) == 1 and report.good_reps == 1
    assert [w.code for w in report.warnings].count("multiple_people") == 1
