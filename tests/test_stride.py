"""Frame striding (issue 11): a video analysed at about 15 frames/s (every k-th frame, k = fps // ~15)
gives the same counts, good reps, holds (within 0.1 s) and faults as every frame, on every labelled
clip: the stress corpus (tracks, whose frames are picked exactly as the pipeline picks a video's),
the sample clips and the real development clips (real MediaPipe: the video run through the model
at both rates). The checkers time everything in seconds of video; where one cannot (the pelvic
tilt's resting jitter is measured per frame) the pipeline analyses every frame, as here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REALDEV, REALDEV_SKIP, SAMPLES, analyses_of

from formcheck.core.exercise import get_exercise
from formcheck.core.session import Session
from formcheck.media.pipeline import DEFAULT_MAX_FPS, analyze, exercise_max_fps
from formcheck.media.tracks import header_number, iter_track
from formcheck.media.video import FramePicker, stride_for

CORPUS = Path(__file__).resolve().parent / "corpus"
HOLD_TOL_S = 0.1


def outcome(report) -> dict:
    """What must not change with the analysed rate."""
    return {
        "reps": len(report.reps),
        "good_reps": report.good_reps,
        "per_rep": [(r.side, r.good, sorted(r.faults)) for r in report.reps],
        "faults": sorted((f.code, f.rep) for f in report.faults),
        "holds": len(report.holds),
    }


def assert_same(every, strided, what: str) -> None:
    assert outcome(strided) == outcome(every), what
    for a, b in zip(every.holds, strided.holds):
        assert abs(a.duration_s - b.duration_s) <= HOLD_TOL_S + 1e-9, (what, a, b)


# ---------------------------------------------------------------- choosing frames (pure)
@pytest.mark.parametrize(
    "fps, stride",
    [
        (30, 2),
        (29.97, 1),
        (29.83, 1),
        (60, 4),
        (59.94, 3),
        (50, 3),
        (25, 1),
        (24, 1),
        (15, 1),
        (120, 8),
        (0, 1),
        (float("nan"), 1),
    ],
)
def test_stride_keeps_at_least_max_fps(fps, stride):
    assert stride_for(fps, 15) == stride
    assert stride_for(fps, None) == stride_for(fps, 0) == 1


def test_picker_takes_every_kth_frame_of_a_constant_rate_video():
    pick = FramePicker(30.0, 15)
    assert [i for i in range(10) if pick(round(i / 30, 6))] == [0, 2, 4, 6, 8]


def test_picker_keeps_an_even_rate_on_variable_frame_times_and_keeps_backward_jumps():
    times = [0.0, 0.030, 0.070, 0.080, 0.140, 0.150, 0.210, 0.05, 0.083, 0.12]  # a join: time goes back at 0.05
    pick = FramePicker(30.0, 15)
    kept = [t for t in times if pick(t)]
    assert kept == [0.0, 0.070, 0.140, 0.210, 0.05, 0.12]
    assert all(FramePicker(30.0, None)(t) for t in times)


# ---------------------------------------------------------------- the stress corpus (tracks, no model)
CORPUS_CLIPS = sorted(CORPUS.glob("*/*.fctrack"))


def _session(frames, exercise: str, fps: float):
    s = Session(exercise, offline=True)
    for t, pose in frames:
        s.update(t, pose)
    s.finish()
    return s.report("track", fps=fps)


@pytest.mark.skipif(not CORPUS_CLIPS, reason="tests/corpus holds no tracks")
def test_corpus_counts_holds_and_faults_are_the_same_at_the_default_rate():
    """Every one of the 120 corpus clips, subsampled by the pipeline's own frame picker."""
    checked = strided = 0
    for clip in CORPUS_CLIPS:
        label = json.loads(clip.with_suffix(".json").read_text())
        head, it = iter_track(clip)
        frames = list(it)
        fps = header_number(head, "fps")
        for ex in [label["exercise"]] if label.get("exercise") else label.get("analyse_as", ["bridge"]):
            pick = FramePicker(fps, exercise_max_fps(get_exercise(ex), DEFAULT_MAX_FPS))
            sub = [(t, p) for t, p in frames if pick(t)]
            checked += 1
            if len(sub) == len(frames):
                continue
            strided += 1
            assert_same(_session(frames, ex, fps), _session(sub, ex, fps), f"{clip.name} as {ex}")
    # the corpus is drawn at 15-30 fps: its 30 fps clips (but for the pelvic tilt's) are strided; 24-25 fps
    # ones are not (k = fps // 15 = 1: at 12 frames/s a bird-dog's hold lost 0.6 s on one clip)
    assert checked >= len(CORPUS_CLIPS) and strided >= 5


# ---------------------------------------------------------------- real video through MediaPipe
#: Real clips where striding is not yet exact, with what differs (strict: the test says when one passes).
NOT_YET_EXACT = {
    ("k2c_fitbod_oblique", "knee_to_chest"): "59.94 fps, oblique view, every third frame (20 frames/s): the same count "
    "and fault, but the 3.2 s hold of every frame is not found (reported to the accuracy lead, issue 11)",
}


def _video_cases():
    cases = [pytest.param(v, ex, id=f"{v.stem}-{ex}") for v, ex in analyses_of(SAMPLES)]
    if REALDEV.is_dir():
        cases += [
            pytest.param(
                v,
                ex,
                id=f"realdev-{v.stem}-{ex}",
                marks=[pytest.mark.xfail(strict=True, reason=NOT_YET_EXACT[(v.stem, ex)])]
                if (v.stem, ex) in NOT_YET_EXACT
                else [],
            )
            for v, ex in analyses_of(REALDEV)
        ]
    else:
        cases.append(pytest.param(None, None, id="realdev", marks=pytest.mark.skip(reason=REALDEV_SKIP)))
    return cases


@pytest.mark.mediapipe
@pytest.mark.parametrize("video, exercise", _video_cases())
def test_video_at_the_default_rate_matches_every_frame(real_tracks, video, exercise):
    spec = get_exercise(exercise)
    rate = exercise_max_fps(spec, DEFAULT_MAX_FPS)
    default = analyze(real_tracks.get(video, spec.needs_segmentation, rate), exercise).report
    every = analyze(real_tracks.get(video, spec.needs_segmentation, None), exercise).report
    assert_same(every, default, f"{video.name} as {exercise}")
