"""One long video's pose estimation split across processes (issue 11, parallel analysis): the plan, the seam
check, and, through MediaPipe, that the stitched stream is bitwise the one-process stream (so the report is
the one-process report) on a sample clip cut into three chunks, also when a seam does not reproduce."""

from __future__ import annotations

import logging
import math
from fractions import Fraction

import av
import numpy as np
import pytest
from conftest import clip_path, report_outcome

import formcheck.media.chunks as chunks
from formcheck.core.landmarks import PoseFrame
from formcheck.media.chunks import Chunk, plan_chunks, same_pose, seam_mismatch
from formcheck.media.pipeline import analyze, iter_pose_frames
from formcheck.tools.bench import BenchResult, StreamFigures, format_bench

BRIDGE = "bridge_side_physiocore.mp4"  # 3.0 s, 30 fps: analysed every second frame
PELVIC = "pelvic_tilt_clean_f35_left_D.mp4"  # 15 fps, every frame, with the segmentation outline
HOLD_TOL_S = 0.1


# ---------------------------------------------------------------- the plan (pure)
def test_no_split_for_one_job_a_short_or_unknown_video():
    whole = [Chunk(0, 0.0, 0.0, math.inf)]
    assert plan_chunks(600.0, 1) == whole
    assert plan_chunks(24.0, 2) == whole  # (24 - 2 - 3) / 2 = 9.5 s < 10 s per worker chunk
    assert len(plan_chunks(25.0, 2)) == 2
    assert plan_chunks(float("nan"), 2) == whole
    assert plan_chunks(0.0, 4) == whole


def test_two_jobs_split_a_minute_so_that_both_end_together():
    first, second = plan_chunks(60.0, 2, warmup_s=2.0, worker_start_s=1.5, min_chunk_s=4.0)
    # the worker's chunk: (60 - 2 - 1.5) / 2 = 28.25 s; the first is longer by the warm-up and the start
    assert first == Chunk(0, 0.0, 0.0, pytest.approx(31.75))
    assert second.start_s == first.end_s and second.end_s == math.inf
    assert second.warm_s == pytest.approx(second.start_s - 2.0)
    assert first.end_s - first.start_s == pytest.approx(28.25 + 2.0 + 1.5)


def test_chunks_are_contiguous_and_fewer_when_the_video_is_short():
    plan = plan_chunks(600.0, 4)
    assert len(plan) == 4
    assert [c.index for c in plan] == [0, 1, 2, 3]
    for a, b in zip(plan, plan[1:]):
        assert a.end_s == b.start_s
        assert b.warm_s == pytest.approx(b.start_s - chunks.WARMUP_S)
    lengths = [b.end_s - b.start_s for b in plan[1:-1]]
    assert lengths == pytest.approx([lengths[0]] * len(lengths))
    assert len(plan_chunks(30.0, 4)) == 2  # 3 or 4 chunks would be under 10 s each


# ---------------------------------------------------------------- the seam check (pure)
def _pose(t: float, shift: float = 0.0, outline=None) -> PoseFrame:
    xyz = np.linspace(0.1, 0.9, 99).reshape(33, 3) + shift
    return PoseFrame(t, 640, 480, xyz, np.full(33, 0.9), np.full(33, 0.95), outline=outline)


def test_a_seam_continues_only_bitwise_the_same_poses_and_person():
    state = (np.array([0.5, 0.5]), 1.0, 120.0, True, False)
    before = [(0.9, _pose(0.9)), (1.0, None), (1.1, _pose(1.1, outline={"up": [1.0, float("nan")], "torso_px": 9}))]
    same = [(0.9, _pose(0.9)), (1.0, None), (1.1, _pose(1.1, outline={"up": [1.0, float("nan")], "torso_px": 9}))]
    assert seam_mismatch(before, same, state, (np.array([0.5, 0.5]), 1.0, 120.0, True, False)) is None
    nudged = [same[0], same[1], (1.1, _pose(1.1, 1e-12, outline={"up": [1.0, float("nan")], "torso_px": 9}))]
    assert "different pose" in seam_mismatch(before, nudged, state, state)
    outline = [same[0], same[1], (1.1, _pose(1.1, outline={"up": [1.5, float("nan")], "torso_px": 9}))]
    assert "different pose" in seam_mismatch(before, outline, state, state)
    assert "different frames" in seam_mismatch(before, same[1:], state, state)
    found = [same[0], (1.0, _pose(1.0)), same[2]]
    assert "different pose" in seam_mismatch(before, found, state, state)
    other = (np.array([0.5, 0.6]), 1.0, 120.0, True, False)
    assert "different person" in seam_mismatch(before, same, state, other)
    assert same_pose(None, None) and not same_pose(None, _pose(0.0))


def test_bench_says_which_figures_use_several_processes_and_keeps_its_last_two_lines():
    def fig(frames: int, wall: float, video: float, stride: int = 2) -> StreamFigures:
        return StreamFigures(stride=stride, frames=frames, video_s=video, wall_s=wall, found=frames)

    r = BenchResult(
        video="clip.mp4",
        model="full",
        frames=364,
        width=1280,
        height=720,
        fps=30.0,
        passes=2,
        mediapipe_fps=36.0,
        every=fig(728, 36.0, 24.2, 1),
        default=fig(364, 20.0, 24.2),
        jobs=2,
        chunked=fig(364, 12.1, 24.2),
        chunks=2,
    )
    lines = format_bench(r).splitlines()
    assert "order a b c d d c b a" in lines[0]
    assert lines[-2] == "real-time factor (video seconds per wall second): 2.00"
    assert lines[-1] == "throughput ratio (pipeline / mediapipe alone): 0.56"
    assert "real-time factor in one process (c): 1.21; in 2 processes (d): 2.00" in lines[-3]
    assert any(line.startswith("(d) pipeline") and "in 2 processes (this one and 1 worker;" in line for line in lines)
    one = format_bench(BenchResult(**{**r.__dict__, "jobs": 1, "chunked": None, "chunks": 0})).splitlines()
    assert one[-2] == "real-time factor (video seconds per wall second): 1.21"
    assert not any("(d)" in line for line in one)


# ---------------------------------------------------------------- through MediaPipe
@pytest.fixture
def small_chunks(monkeypatch):
    """Seams in a 3-s clip: 1 s of warm-up, chunks from 0.5 s, no allowance for a worker's start."""
    monkeypatch.setattr(chunks, "WARMUP_S", 1.0)
    monkeypatch.setattr(chunks, "MIN_CHUNK_S", 0.5)
    monkeypatch.setattr(chunks, "WORKER_START_S", 0.0)


def assert_same_stream(one, split) -> None:
    assert [t for t, _ in split] == [t for t, _ in one]
    assert sum(p is not None for _, p in one) > 0.9 * len(one)
    assert all(same_pose(a, b) for (_, a), (_, b) in zip(one, split))  # bitwise: tolerance 0


@pytest.mark.mediapipe
def test_three_chunks_give_the_one_process_stream_and_report(small_chunks):
    path = clip_path(BRIDGE)
    head, frames = iter_pose_frames(path)
    one = list(frames)
    est = chunks.chunked_estimation(path, "full", False, head["fps"], 15.0, jobs=3)
    assert est is not None and len(est.chunks) == 3
    assert head["stride"] == 2 and est.chunks[1].warm_s < est.chunks[1].start_s
    split = list(est.run())
    assert est.seams_checked == 2 and not est.carried_on, est.fallback_reason
    assert_same_stream(one, split)

    single = analyze(path, "bridge")
    chunked = analyze(path, "bridge", jobs=3)
    assert report_outcome(chunked.report) == report_outcome(single.report)
    assert report_outcome(single.report)["reps"] == 1
    for a, b in zip(single.report.holds, chunked.report.holds):
        assert abs(a.duration_s - b.duration_s) <= HOLD_TOL_S


@pytest.mark.mediapipe
def test_the_segmentation_outline_is_stitched_too(small_chunks, tmp_path):
    """The pelvic tilt's frames (every frame, the torso outline on the person mask), on a 5-s cut."""
    cut = tmp_path / "pelvic_5s.mp4"
    with av.open(str(clip_path(PELVIC))) as src, av.open(str(cut), "w") as dst:
        stream = dst.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.options = {"crf": "12", "g": "15"}
        for i, frame in enumerate(src.decode(video=0)):
            if i >= 75:
                break
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, 15)
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    head, frames = iter_pose_frames(cut, segmentation=True, max_fps=None)
    one = list(frames)
    est = chunks.chunked_estimation(cut, "full", True, head["fps"], None, jobs=2)
    assert est is not None and len(est.chunks) == 2
    split = list(est.run())
    assert est.seams_checked == 1 and not est.carried_on, est.fallback_reason
    assert_same_stream(one, split)
    assert sum(p is not None and p.outline is not None for _, p in split) > 0.5 * len(split)


@pytest.mark.mediapipe
def test_a_seam_that_does_not_reproduce_is_estimated_in_one_process(small_chunks, monkeypatch, caplog):
    """The first seam: this process goes on past it. A later one: analyze analyses the clip again."""
    path = clip_path(BRIDGE)
    head, frames = iter_pose_frames(path)
    one = list(frames)
    monkeypatch.setattr(chunks, "seam_mismatch", lambda *a: "forced")
    est = chunks.chunked_estimation(path, "full", False, head["fps"], 15.0, jobs=2)
    assert est is not None
    split = list(est.run())
    assert est.carried_on and "forced" in (est.fallback_reason or "")
    assert_same_stream(one, split)

    calls = []
    monkeypatch.setattr(chunks, "seam_mismatch", lambda *a: calls.append(1) or ("forced" if len(calls) == 2 else None))
    with caplog.at_level(logging.WARNING, logger="formcheck.media.pipeline"):
        again = analyze(path, "bridge", jobs=3, keep_track=True)
    assert len(calls) == 2 and "analysing it again in one process" in caplog.text
    assert_same_stream(one, again.track.frames)
    assert report_outcome(again.report) == report_outcome(analyze(path, "bridge").report)
