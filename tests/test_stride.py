"""Frame striding (issue 11): a video analysed at about 15 frames/s (every k-th frame, k = fps // ~15, and
every frame while nobody is found or around a pose that jumps) gives the same counts, good reps, holds
(within 0.1 s) and faults as every frame, on every labelled clip: the stress corpus (tracks, whose frames are picked exactly as the pipeline picks a video's),
the sample clips and the real development clips (real MediaPipe: the video run through the model
at both rates). The checkers time everything in seconds of video; where one cannot (the pelvic
tilt's resting jitter is measured per frame) the pipeline analyses every frame, as here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import REALDEV, REALDEV_SKIP, SAMPLES, analyses_of, report_outcome

from formcheck.core.exercise import get_exercise
from formcheck.core.session import Session
from formcheck.media.pipeline import DEFAULT_MAX_FPS, analyze, exercise_max_fps
from formcheck.media.tracks import header_number, iter_track
from formcheck.media.video import FramePicker, stride_for

CORPUS = Path(__file__).resolve().parent / "corpus"
HOLD_TOL_S = 0.1


def assert_same(every, strided, what: str) -> None:
    assert report_outcome(strided) == report_outcome(every), what
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


def as_the_pipeline_picks(frames, fps: float, max_fps: float | None) -> list:
    """The frames of an every-frame track that the pipeline analyses at ``max_fps``: its frame picker's, and
    those :class:`~formcheck.media.pipeline.StridedAnalysis` adds (while nobody is found, around a jump).
    With the default pose estimator a frame's landmarks do not depend on the frames analysed before it, so
    these are exactly the pipeline's on the video."""
    from formcheck.media.pipeline import StridedAnalysis
    from formcheck.media.video import Decoded

    pick = FramePicker(fps, max_fps)
    pose_at = dict(frames)
    image = np.zeros((1, 1, 3), np.uint8)
    run = StridedAnalysis(lambda img, t: pose_at[t], lambda: lambda img, t: pose_at[t]).run
    return [(d.t_s, pose) for d, pose in run(Decoded(t, pick(t), image=image) for t, _ in frames)]


@pytest.mark.skipif(not CORPUS_CLIPS, reason="tests/corpus holds no tracks")
def test_corpus_counts_holds_and_faults_are_the_same_at_the_default_rate():
    """Every one of the 120 corpus clips, subsampled as the pipeline does (its frame picker, and every frame
    while nobody is found or around a jump)."""
    checked = strided = 0
    for clip in CORPUS_CLIPS:
        label = json.loads(clip.with_suffix(".json").read_text())
        head, it = iter_track(clip)
        frames = list(it)
        fps = header_number(head, "fps")
        for ex in [label["exercise"]] if label.get("exercise") else label.get("analyse_as", ["bridge"]):
            sub = as_the_pipeline_picks(frames, fps, exercise_max_fps(get_exercise(ex), DEFAULT_MAX_FPS))
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
#: (k2c_fitbod_oblique was one until the pipeline analysed every frame around a pose that jumps and while nobody
#: is found: its knee read 2 torso lengths off on the frame before a 2-s loss, and at every third frame the
#: checkers' running median had too few frames to outvote it; see StridedAnalysis.)
NOT_YET_EXACT: dict[tuple[str, str], str] = {}


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


# ---------------------------------------------------------------- where striding analyses every frame
def _stub_pose(t: float, knee_dx: float = 0.0):
    """A person lying side-on (tests/test_live_processor.bridge_pose), the near knee moved by ``knee_dx`` px."""
    from test_live_processor import bridge_pose

    from formcheck.core.landmarks import INDEX

    p = bridge_pose(t, 0.0)
    p.xyz[INDEX["left_knee"], 0] += knee_dx / p.width
    return p


def _strided(times, detect, fps: float = 30.0):
    """Run :class:`StridedAnalysis` over frames at ``times`` picked at the default rate; returns the analysed
    times going forward, the times analysed by the ``between`` estimator, and the analysis."""
    from formcheck.media.pipeline import StridedAnalysis
    from formcheck.media.video import Decoded

    pick = FramePicker(fps, DEFAULT_MAX_FPS)
    image = np.zeros((4, 4, 3), np.uint8)
    behind: list[float] = []

    def between():
        return lambda img, t: (behind.append(t), detect(img, t))[1]

    sa = StridedAnalysis(detect, between)
    got = [d.t_s for d, _ in sa.run(Decoded(t, pick(t), image=image) for t in times)]
    return got, behind, sa


def test_frames_are_analysed_densely_while_nobody_is_found():
    """Nobody in view from 1.0 to 2.0 s in a 30 fps clip analysed every second frame: every frame of the gap
    is analysed (the person is found again on the first frame they are back, as at every frame), the skipped
    frame before the first empty one is analysed too, and then every second frame again."""
    times = [round(i / 30, 6) for i in range(90)]
    gap = (1.0, 2.0)
    got, behind, sa = _strided(times, lambda img, t: None if gap[0] <= t < gap[1] else _stub_pose(t))
    assert got == sorted(got)  # handed on in time order
    in_gap = [t for t in times if gap[0] - 0.04 <= t < gap[1]]
    assert set(in_gap) <= set(got)  # the whole gap, and the frame just before it
    assert 2.0 in got  # found again on its first frame
    after = [t for t in got if t > 2.0]
    assert np.allclose(np.diff(after), 2 / 30)  # back to every second frame
    before = [t for t in got if t < 0.95]
    assert np.allclose(np.diff(before), 2 / 30)
    assert sa.dense > 0


def test_a_pose_that_jumps_between_analysed_frames_gets_the_frames_between_and_after():
    """A knee reading two torso lengths off from 1.0 s (a glitch, or a move too fast for the stride): the
    skipped frame before it is analysed (by the estimator for earlier frames, given the last analysed frame
    first), then every frame for DENSE_AFTER_JUMP_S."""
    from formcheck.media.pipeline import DENSE_AFTER_JUMP_S

    times = [round(i / 30, 6) for i in range(90)]
    got, behind, sa = _strided(times, lambda img, t: _stub_pose(t, 400.0 if t >= 1.0 else 0.0))
    assert got == sorted(got)
    assert behind == [round(28 / 30, 6), round(29 / 30, 6)]  # from 0.933 s (as the main estimator saw it) on
    dense = [t for t in times if 1.0 <= t < 1.0 + DENSE_AFTER_JUMP_S]
    assert set(dense) <= set(got)
    later = [t for t in got if t > 1.0 + DENSE_AFTER_JUMP_S + 0.1]
    assert later and np.allclose(np.diff(later), 2 / 30)


def test_a_steady_person_is_analysed_every_kth_frame_only():
    times = [round(i / 30, 6) for i in range(90)]
    got, behind, sa = _strided(times, lambda img, t: _stub_pose(t, 30.0 * t))  # the knee moves 1 px a frame
    assert got == times[::2] and behind == [] and sa.dense == 0


def test_the_pipeline_analyses_a_video_densely_while_nobody_is_found(monkeypatch):
    """Through the real decoder (a 30 fps sample clip, analysed every second frame) with a stub estimator that
    finds nobody from 1.0 to 2.0 s: every decoded frame of that second is analysed."""
    from formcheck.media import pose as pose_mod
    from formcheck.media.pipeline import iter_pose_frames

    clip = SAMPLES / "bridge_side_physiocore.mp4"
    if not clip.is_file():
        pytest.skip("sample clip missing")
    seen: list[float] = []

    class Stub:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def follow_as(self, other):
            pass

        def restart(self):
            pass

        def detect(self, image, t):
            assert image.ndim == 3 and image.shape[2] == 3  # a converted frame, skipped or not
            seen.append(t)
            return None if 1.0 <= t < 2.0 else _stub_pose(t)

    monkeypatch.setattr(pose_mod, "PoseEstimator", Stub)
    head, frames = iter_pose_frames(clip, "full")
    got = [t for t, _ in frames]
    assert head["stride"] == 2
    every = [t for t, _ in iter_pose_frames(clip, "full", max_fps=None)[1]]
    in_gap = [t for t in every if 1.0 <= t < 2.0]
    assert set(in_gap) <= set(got) and got == sorted(got)
    assert len(got) < len(every)  # strided elsewhere
