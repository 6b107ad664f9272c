"""A clip of one exercise analysed as another gives 0 reps and a warning saying what was seen
(real MediaPipe landmarks, computed once per clip and reused)."""

from __future__ import annotations

import pytest
from conftest import SAMPLES

from formcheck.media.pipeline import DEFAULT_MAX_FPS, analyze

pytestmark = pytest.mark.mediapipe

CLIPS = {
    "bird_dog": "bird_dog_clean_m28_left_C.mp4",
    "bridge": "bridge_clean_f35_right_A.mp4",
    "knee_to_chest": "knee_to_chest_clean_m28_right_B.mp4",
    "walking": "walking_sports2d_demo.mp4",
}


@pytest.fixture(scope="module")
def tracks(real_tracks):
    """The clips' landmarks at the default analysed rate, from the session's shared track cache."""
    return {k: real_tracks.get(SAMPLES / v, False, DEFAULT_MAX_FPS) for k, v in CLIPS.items()}


@pytest.mark.parametrize(
    "clip, exercise, code, seen",
    [
        ("bird_dog", "bridge", "wrong_exercise", "hands and knees"),
        ("bird_dog", "pelvic_tilt", "wrong_exercise", "bird-dog"),
        ("bridge", "bird_dog", "wrong_exercise", "lying on your back"),
        ("knee_to_chest", "bridge", "wrong_exercise", "knee-to-chest"),
        ("bridge", "knee_to_chest", "wrong_exercise", "bridge"),
        ("walking", "knee_to_chest", "no_exercise_posture", "standing"),
        ("walking", "bird_dog", "no_exercise_posture", "standing"),
    ],
)
def test_other_position_gives_no_reps_and_names_it(tracks, clip, exercise, code, seen):
    report = analyze(tracks[clip], exercise).report
    assert len(report.reps) == 0
    warnings = {w.code: w.message for w in report.warnings}
    assert code in warnings, warnings
    assert seen in warnings[code]


@pytest.mark.parametrize(
    "clip, exercise, seen", [("bridge", "pelvic_tilt", "bridge"), ("knee_to_chest", "pelvic_tilt", "knee")]
)
def test_other_lying_exercise_gives_no_reps_and_names_it(tracks, clip, exercise, seen):
    """Bridges (hips high) and knees drawn up are not pelvic tilts: 0 reps, and the warning says what they looked like."""
    report = analyze(tracks[clip], exercise).report
    assert len(report.reps) == 0
    warnings = {w.code: w.message for w in report.warnings}
    assert "wrong_exercise" in warnings, warnings
    assert seen in warnings["wrong_exercise"]
