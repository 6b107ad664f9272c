"""Throughput benchmark: MediaPipe at its fastest versus the whole formcheck pipeline, one clip, one run.

Three streams over the same frames, measured in the same run:

* **(a) MediaPipe alone**, its fastest configuration for this job: the full model (or the one
  asked for) looking for one person, ``RunningMode.VIDEO``. The clip is decoded into memory first
  (untimed); only :meth:`PoseEstimator.detect` is timed.
* **(b) the pipeline on every frame**: decoding from the file on a background thread, the pose
  estimator as the product runs it (two people looked for on every frame; with ``fast``, the
  one-person fast path with a several-people check once a second), ``process_hook`` (smoothing +
  checker, supplied by the caller) and the overlay, timed end to end from opening the file to the
  last overlay.
* **(c) the pipeline at its default analysed rate** (``max_fps``, every ``k``-th frame, see
  :class:`~formcheck.media.video.FramePicker`): what ``formcheck analyze`` does.
* **(d) with** ``jobs`` > 1 **only: the same in** ``jobs`` **processes**, what ``formcheck analyze VIDEO
  --jobs N`` does (:mod:`formcheck.media.chunks`): the pose estimation split into overlapping chunks, this
  process estimating the first and ``jobs - 1`` worker processes the others, the checker (``process_hook``)
  here over the stitched stream; no overlay (the images stay in the workers). Timed end to end, from
  starting the workers (and their model loads) to the last frame. Not measured when the clip is too short
  to split (:func:`~formcheck.media.chunks.plan_chunks`).

The machine is shared and its speed drifts, so whole passes run in the order a b c c b a
(a b c d d c b a with ``jobs`` > 1; ``repeats`` = 2): a linear drift cancels out. Each stream has its own estimator; each pass shifts
its timestamps past the previous one so VIDEO mode keeps accepting them.

The **throughput ratio** is (b)'s frames per second over (a)'s; the **real-time factor** is the
seconds of video (c) gets through per second of wall time, or (d) when it was measured (the report says
so, and gives (c)'s too).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.core.events import CheckerStatus
from formcheck.core.landmarks import PoseFrame
from formcheck.media.overlay import draw_overlay
from formcheck.media.pipeline import DEFAULT_MAX_FPS, StridedAnalysis, behind_estimator
from formcheck.media.pose import CHECK_EVERY_S, PoseEstimator, SelfCheck
from formcheck.media.video import FramePicker, open_video, prefetch

log = logging.getLogger(__name__)

ProcessHook = Callable[[PoseFrame | None], Any]
STAGES = ("decode_thread", "decode_wait", "pose", "hook", "overlay")


def _default_hook(pose: PoseFrame | None) -> CheckerStatus:
    """Stand-in for smoothing + checker: a fixed status so the overlay draws everything."""
    return CheckerStatus(
        exercise="bench",
        t_s=pose.t_s if pose else 0.0,
        phase="hold",
        reps=3,
        good_reps=2,
        hold_s=1.5,
        target_hold_s=3.0,
        target_reps=10,
        side="left",
        key_angle_deg=170.0,
        cue="Keep your hips level",
        pose_found=pose is not None,
    )


@dataclass
class StreamFigures:
    """One pipeline stream over all its passes."""

    stride: int = 1
    frames: int = 0  # frames analysed
    video_s: float = 0.0  # seconds of video covered
    wall_s: float = 0.0
    stage_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    found: int = 0

    @property
    def fps(self) -> float:
        """Frames analysed per wall second."""
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def realtime(self) -> float:
        """Seconds of video per wall second."""
        return self.video_s / self.wall_s if self.wall_s > 0 else 0.0

    def stage_ms(self) -> dict[str, float]:
        return {k: 1000.0 * v / max(1, self.frames) for k, v in self.stage_s.items()}


@dataclass
class BenchResult:
    """Benchmark figures. Times are milliseconds per frame unless named ``_s``/``fps``."""

    video: str
    model: str
    frames: int
    width: int
    height: int
    fps: float
    passes: int
    mediapipe_fps: float
    every: StreamFigures
    default: StreamFigures
    max_fps: float | None = DEFAULT_MAX_FPS
    fast: bool = False
    self_check: SelfCheck = SelfCheck.BOTH_SIDES
    disagreements: int = 0  # (b)'s and (c)'s fast-path self-checks that disagreed, all passes
    frames_multi: int = 0  # frames (b) and (c) ran the several-people landmarker on, all passes
    frames_pose: int = 0  # frames (b) and (c) ran pose estimation on, all passes
    jobs: int = 1  # processes of stream (d)
    chunked: StreamFigures | None = None  # (d), when measured
    chunks: int = 0  # chunks of (d) (its processes: this one and chunks - 1 workers)
    chunk_notes: list[str] = field(default_factory=list)  # (d)'s seams that did not reproduce, per pass

    @property
    def mediapipe_ms(self) -> float:
        return 1000.0 / self.mediapipe_fps if self.mediapipe_fps > 0 else 0.0

    @property
    def pipeline_fps(self) -> float:
        return self.every.fps

    @property
    def ratio(self) -> float:
        """Pipeline throughput on every frame divided by MediaPipe-alone throughput."""
        return self.every.fps / self.mediapipe_fps if self.mediapipe_fps > 0 else 0.0

    @property
    def realtime(self) -> float:
        """Seconds of video per wall second at the default analysed rate: (d) in ``jobs`` processes when it
        was measured, else (c) in one."""
        return self.chunked.realtime if self.chunked is not None else self.default.realtime


def run_bench(
    video_path: str | os.PathLike,
    model: str = "full",
    max_frames: int | None = None,
    progress: Callable[[str], None] | None = None,
    process_hook: ProcessHook | None = None,
    key_joints: tuple[str, str, str] | None = ("left_shoulder", "left_hip", "left_knee"),
    repeats: int = 2,
    max_side: int = 1280,
    segmentation: bool = False,
    max_fps: float | None = DEFAULT_MAX_FPS,
    fast: bool = False,
    self_check: SelfCheck = SelfCheck.BOTH_SIDES,
    jobs: int = 1,
) -> BenchResult:
    """Measure (a), (b) and (c) on ``video_path`` (see the module doc).

    ``progress`` receives one short line per finished pass. ``process_hook`` maps each pose (or
    None) to a status for the overlay; the default is a cheap stand-in. ``segmentation`` asks every
    stream for the person mask (as the pelvic tilt needs). ``max_fps``: stream (c)'s analysed rate.
    ``fast``: (b) and (c) use the pose estimator's one-person fast path (opt-in in the product), its
    self-check comparing the angles ``self_check`` says (the exercise's, see
    :func:`formcheck.media.pipeline.exercise_self_check`). ``jobs`` > 1: also stream (d), the pipeline at
    ``max_fps`` with its pose estimation in ``jobs`` processes (not with ``fast``, which is not split).
    """
    hook = process_hook or _default_hook
    say = progress or (lambda msg: None)

    with open_video(video_path, max_side=max_side) as reader:  # (a)'s frames, in memory; not timed
        info = reader.info
        frames: list[tuple[float, np.ndarray]] = []
        for t, f in reader:
            frames.append((t, f))
            if max_frames is not None and len(frames) >= max_frames:
                break
    if not frames:
        raise ValueError(f"{video_path}: no frames to benchmark")
    n = len(frames)
    fps = info.fps or 30.0
    span_s = frames[-1][0] + 1.0  # timestamp shift between passes

    until_s = frames[-1][0] + 0.5 / fps  # (d) analyses the same frames: those before this time
    chunked_kw = dict(segmentation=segmentation, fps=fps, max_fps=max_fps, jobs=jobs, until_s=until_s)
    use_d = jobs > 1 and not fast and _chunks_of(video_path, model, chunked_kw) > 1
    order: list[str] = []
    for k in range(max(1, repeats)):
        one = ["a", "b", "c", "d"] if use_d else ["a", "b", "c"]
        order += one if k % 2 == 0 else one[::-1]
    a_time, a_frames = 0.0, 0
    streams = {"b": StreamFigures(), "c": StreamFigures(), "d": StreamFigures()}
    passes = dict.fromkeys("abcd", 0)
    notes: list[str] = []
    n_chunks = 0
    est_kw: dict[str, Any] = {"max_side": max_side, "segmentation": segmentation, "keep_mask": False}

    pipe_kw = dict(est_kw, check_every_s=CHECK_EVERY_S if fast else 0.0, self_check=self_check)
    with (
        PoseEstimator(model, num_poses=1, **est_kw) as est_a,
        PoseEstimator(model, **pipe_kw) as est_b,
        PoseEstimator(model, **pipe_kw) as est_c,
        contextlib.ExitStack() as stack,
    ):
        ests = {"b": est_b, "c": est_c}
        # per stream, as analyze: the detection path for frames before the last analysed one
        behind = {which: behind_estimator(stack, est, model, **est_kw) for which, est in ests.items()}

        for which in order:
            off = passes[which] * span_s
            passes[which] += 1
            if which == "a":
                t0 = time.perf_counter()
                for t, f in frames:
                    est_a.detect(f, t + off)
                dt = time.perf_counter() - t0
                a_time += dt
                a_frames += n
                say(f"(a) mediapipe alone, pass {passes['a']}: {n / dt:.1f} frames/s")
                continue
            if which == "d":
                fig = streams["d"]
                n_chunks, note = _chunked_pass(video_path, model, chunked_kw, hook, fps, fig)
                if note:
                    notes.append(f"pass {passes['d']}: {note}")
                say(
                    f"(d) pipeline in {n_chunks} processes, stride {fig.stride}, pass {passes['d']}: "
                    f"{fig.fps:.1f} frames/s so far, {fig.realtime:.2f} s of video per second"
                )
                continue
            fig = streams[which]
            rate = None if which == "b" else max_fps
            _pipeline_pass(
                video_path, max_side, max_frames, rate, fps, off, ests[which], hook, key_joints, fig, behind[which]
            )
            label = "every frame" if which == "b" else f"stride {fig.stride}"
            say(
                f"({which}) pipeline, {label}, pass {passes[which]}: {fig.fps:.1f} frames/s so far, "
                f"{fig.realtime:.2f} s of video per second"
            )

    h, w = frames[0][1].shape[:2]
    return BenchResult(
        video=str(video_path),
        model=str(model),
        frames=n,
        width=w,
        height=h,
        fps=fps,
        passes=passes["a"],
        mediapipe_fps=a_frames / a_time if a_time > 0 else 0.0,
        every=streams["b"],
        default=streams["c"],
        max_fps=max_fps,
        fast=fast,
        self_check=self_check,
        disagreements=est_b.disagreements + est_c.disagreements,
        frames_multi=est_b.frames_multi + est_c.frames_multi,
        frames_pose=streams["b"].frames + streams["c"].frames,
        jobs=jobs,
        chunked=streams["d"] if use_d else None,
        chunks=n_chunks,
        chunk_notes=notes,
    )


def _chunks_of(video_path, model: str, kw: dict[str, Any]) -> int:
    """How many chunks stream (d) splits the clip into (1: not split)."""
    from formcheck.media.chunks import chunked_estimation
    from formcheck.media.pose import resolve_model

    if kw["jobs"] <= 1:
        return 1
    est = chunked_estimation(video_path, resolve_model(model), **kw)
    return 1 if est is None else len(est.chunks)


def _chunked_pass(
    video_path, model: str, kw: dict[str, Any], hook: ProcessHook, fps: float, fig: StreamFigures
) -> tuple[int, str | None]:
    """One timed pass of stream (d): the pose estimation in several processes, ``hook`` here on every pose in
    time order (as ``formcheck analyze --jobs N`` runs the checker). Returns the number of chunks, and why a
    seam did not reproduce (then that pass went on in one process, or stopped: a later seam)."""
    from formcheck.media.chunks import ChunkError, chunked_estimation
    from formcheck.media.pose import resolve_model

    t0 = time.perf_counter()
    est = chunked_estimation(video_path, resolve_model(model), **kw)
    if est is None:
        return 1, "not split"
    fig.stride = FramePicker(fps, kw["max_fps"]).stride
    first = last = None
    frames = est.run()
    note = None
    try:
        for t, pose in frames:
            th = time.perf_counter()
            hook(pose)
            fig.stage_s["hook"] += time.perf_counter() - th
            first = t if first is None else first
            last = t
            fig.frames += 1
            fig.found += pose is not None
    except ChunkError as e:
        note = f"stopped: {e} (analyze would analyse the clip again in one process)"
    finally:
        frames.close()
    fig.wall_s += time.perf_counter() - t0
    if first is not None and last is not None:
        fig.video_s += last - first + 1.0 / fps
    if est.carried_on:
        note = f"{est.fallback_reason}; the rest was estimated in this process"
    return len(est.chunks), note


def _pipeline_pass(
    video_path,
    max_side: int,
    max_frames: int | None,
    max_fps: float | None,
    fps: float,
    off: float,
    est: PoseEstimator,
    hook: ProcessHook,
    key_joints,
    fig: StreamFigures,
    between: Callable[[], Callable[[np.ndarray, float], PoseFrame | None]],
) -> None:
    """One timed pass of the pipeline over the file (the same first ``max_frames`` decoded frames as (a)),
    its frames picked as :func:`formcheck.media.pipeline.analyze` picks them
    (:class:`~formcheck.media.pipeline.StridedAnalysis`; ``between()``: the detection for frames before the
    last analysed one, at the file's own times)."""
    decode_s = [0.0]
    picker = FramePicker(fps, max_fps)
    fig.stride = picker.stride
    span: list[float | None] = [None, None]

    def decoded() -> Any:
        with open_video(video_path, max_side=max_side) as r:

            def pick(t: float) -> bool:  # past max_frames: yield one more frame, which ends the pass
                return (max_frames is not None and r.frames_decoded > max_frames) or picker(t)

            it = r.decoded(pick, keep_skipped=picker.stride > 1)
            while True:
                td = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    return
                decode_s[0] += time.perf_counter() - td
                if max_frames is not None and r.frames_decoded > max_frames:
                    return
                yield item

    pose_t = [0.0]

    def timed(detect: Callable[[np.ndarray, float], PoseFrame | None]) -> Callable[[np.ndarray, float], Any]:
        def run(image: np.ndarray, t: float) -> PoseFrame | None:
            tp = time.perf_counter()
            try:
                return detect(image, t + off)
            finally:
                pose_t[0] += time.perf_counter() - tp

        return run

    def between_detect() -> Callable[[np.ndarray, float], Any]:
        return timed(between())

    t0 = time.perf_counter()
    src = prefetch(decoded(), maxsize=8)
    frames = StridedAnalysis(timed(est.detect), between_detect).run(src)  # as formcheck analyze picks frames
    wait = hook_t = ov_t = 0.0
    try:
        while True:
            t1 = time.perf_counter()
            p0 = pose_t[0]
            try:
                d, pose = next(frames)
            except StopIteration:
                wait += time.perf_counter() - t1 - (pose_t[0] - p0)
                break
            f = d.image()
            t, t2 = d.t_s, time.perf_counter()
            span[0] = t if span[0] is None else span[0]
            span[1] = t
            status = hook(pose)
            t4 = time.perf_counter()
            draw_overlay(f, pose, status if isinstance(status, CheckerStatus) else None, key_joints=key_joints)
            t5 = time.perf_counter()
            wait += t2 - t1 - (pose_t[0] - p0)
            hook_t += t4 - t2
            ov_t += t5 - t4
            fig.frames += 1
            fig.found += pose is not None
    finally:
        frames.close()
        src.close()  # stops the decode thread on any exit
    fig.wall_s += time.perf_counter() - t0
    if span[0] is not None and span[1] is not None:
        fig.video_s += span[1] - span[0] + 1.0 / fps  # the last decoded frame lasts one frame interval
    for k, v in (
        ("decode_thread", decode_s[0]),
        ("decode_wait", wait),
        ("pose", pose_t[0]),
        ("hook", hook_t),
        ("overlay", ov_t),
    ):
        fig.stage_s[k] += v


def format_bench(result: BenchResult) -> str:
    """Human-readable report; the last two lines are the real-time factor and the throughput ratio."""
    r = result
    b, c = r.every, r.default
    sb, sc = b.stage_ms(), c.stage_ms()
    rate = f"about {r.max_fps:g} frames/s" if r.max_fps else "every frame"
    lines = [
        f"video: {r.video} ({r.width}x{r.height}, {r.fps:g} fps, {r.frames} frames, "
        f"{r.passes} passes per stream, order {'a b c d d c b a' if r.chunked is not None else 'a b c c b a'})",
        f"model: {r.model}; pipeline pose estimator: "
        f"{'one-person fast path (--fast)' if r.fast else 'two people looked for on every frame (default)'}; pose found in {100 * b.found / max(1, b.frames):.0f}% of frames",
    ]
    if r.fast:
        sides = "the nearer side" if r.self_check is SelfCheck.NEAR_SIDE else "both sides"
        lines.append(
            f"fast path: self-check on the angles of {sides}; it disagreed {r.disagreements} times; the two-person "
            f"landmarker ran on {100 * r.frames_multi / max(1, r.frames_pose):.0f}% of the pipeline's frames"
        )
    lines += [
        f"(a) mediapipe alone, one person:     {r.mediapipe_fps:6.1f} frames/s  ({r.mediapipe_ms:.1f} ms/frame)",
        f"(b) pipeline, every frame:           {b.fps:6.1f} frames/s  ({1000 / max(b.fps, 1e-9):.1f} ms/frame), "
        f"real-time factor {b.realtime:.2f}",
        f"(c) pipeline, {rate} (every {c.stride}. frame): {c.fps:6.1f} frames/s analysed, "
        f"real-time factor {c.realtime:.2f}",
        "pipeline stages, ms per analysed frame:   (b) every frame   (c) default",
    ]
    names = {
        "decode_thread": "decode (background thread)",
        "decode_wait": "decode (wait on main)",
        "pose": "pose",
        "hook": "smoothing + checker",
        "overlay": "overlay",
    }
    for k in STAGES:
        lines.append(f"  {names[k]:<28} {sb.get(k, 0):14.2f} {sc.get(k, 0):13.2f}")
    d = r.chunked
    if d is not None:
        lines += [
            f"(d) pipeline, {rate}, in {r.chunks} processes (this one and {r.chunks - 1} worker"
            f"{'s' if r.chunks > 2 else ''}; pose estimation split, checker here, no overlay; from starting "
            f"the workers): {d.fps:6.1f} frames/s analysed, real-time factor {d.realtime:.2f}",
        ]
        lines += [f"  (d) {note}" for note in r.chunk_notes] or ["  (d) every seam gave the one-process poses"]
        lines.append(
            f"real-time factor in one process (c): {c.realtime:.2f}; in {r.chunks} processes (d): {d.realtime:.2f} "
            "(the next line is (d)'s; (a) and (b) are one process each)"
        )
    elif r.jobs > 1:
        lines.append(f"(d) not measured: {'--fast is not split' if r.fast else 'the clip is too short to split'}")
    lines += [
        f"real-time factor (video seconds per wall second): {r.realtime:.2f}",
        f"throughput ratio (pipeline / mediapipe alone): {r.ratio:.2f}",
    ]
    return "\n".join(lines)
