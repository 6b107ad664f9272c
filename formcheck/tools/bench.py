"""Throughput benchmark: MediaPipe alone versus the whole formcheck pipeline on one clip.

Method (both measured in the same run, on the same frames):

* **(a) MediaPipe alone**: the clip is decoded into memory first (untimed); then
  :meth:`PoseEstimator.detect` is timed on each frame.
* **(b) pipeline**: decode (PyAV on a background thread through :func:`prefetch`) +
  pose + ``process_hook`` (smoothing + checker, supplied by the caller) + overlay, timed
  end to end from opening the file to the last overlay; per-stage times are measured
  inside this run.

The machine is shared and its speed drifts, so the two are run as whole passes in the
order A B B A (``repeats`` = 2 gives two passes each); a linear drift then cancels out.
Each stream has its own :class:`PoseEstimator`; each pass shifts its timestamps past the
previous one so VIDEO mode keeps accepting them. Throughput is frames / total time of
all passes of a stream.
"""

from __future__ import annotations

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
from formcheck.media.pose import PoseEstimator
from formcheck.media.video import open_video, prefetch

log = logging.getLogger(__name__)

ProcessHook = Callable[[PoseFrame | None], Any]


def _default_hook(pose: PoseFrame | None) -> CheckerStatus:
    """Stand-in for smoothing + checker: a fixed status so the overlay draws everything."""
    return CheckerStatus(
        exercise="bench", t_s=pose.t_s if pose else 0.0, phase="hold", reps=3, good_reps=2,
        hold_s=1.5, target_hold_s=3.0, target_reps=10, side="left", key_angle_deg=170.0,
        cue="Keep your hips level", pose_found=pose is not None,
    )


@dataclass
class BenchResult:
    """Benchmark figures. Times are milliseconds per frame unless named ``_s``/``fps``."""

    video: str
    model: str
    frames: int
    width: int
    height: int
    passes: int
    mediapipe_fps: float
    pipeline_fps: float
    mediapipe_ms: float
    pipeline_ms: float
    stage_ms: dict[str, float] = field(default_factory=dict)
    pose_found_frac: float = 0.0
    num_poses: int = 2

    @property
    def ratio(self) -> float:
        """Pipeline throughput divided by MediaPipe-alone throughput."""
        return self.pipeline_fps / self.mediapipe_fps if self.mediapipe_fps > 0 else 0.0


def run_bench(
    video_path: str | os.PathLike,
    model: str = "full",
    max_frames: int | None = None,
    progress: Callable[[str], None] | None = None,
    process_hook: ProcessHook | None = None,
    key_joints: tuple[str, str, str] | None = ("left_shoulder", "left_hip", "left_knee"),
    repeats: int = 2,
    num_poses: int = 2,
    max_side: int = 1280,
    segmentation: bool = False,
) -> BenchResult:
    """Measure MediaPipe-alone and whole-pipeline throughput on ``video_path`` (see module doc).

    ``progress`` receives one short line per finished pass. ``process_hook`` maps each
    pose (or None) to a status for the overlay; the default is a cheap stand-in.
    ``segmentation`` asks both streams for the person mask (as the pelvic tilt needs).
    """
    hook = process_hook or _default_hook
    say = progress or (lambda msg: None)

    # Decode once into memory for (a); not timed.
    with open_video(video_path, max_side=max_side) as reader:
        info = reader.info
        frames: list[tuple[float, np.ndarray]] = []
        for t, f in reader:
            frames.append((t, f))
            if max_frames is not None and len(frames) >= max_frames:
                break
    if not frames:
        raise ValueError(f"{video_path}: no frames to benchmark")
    n = len(frames)
    span_s = frames[-1][0] + 1.0  # timestamp shift between passes

    order = []
    for k in range(max(1, repeats)):
        order += ["a", "b"] if k % 2 == 0 else ["b", "a"]

    a_time = 0.0
    a_frames = 0
    b_time = 0.0
    b_frames = 0
    found = 0
    stage = {"decode_thread": 0.0, "decode_wait": 0.0, "pose": 0.0, "hook": 0.0, "overlay": 0.0}
    a_pass = b_pass = 0

    with PoseEstimator(model, num_poses=num_poses, max_side=max_side, segmentation=segmentation, keep_mask=False) as est_a, \
            PoseEstimator(model, num_poses=num_poses, max_side=max_side, segmentation=segmentation, keep_mask=False) as est_b:
        for which in order:
            if which == "a":
                off = a_pass * span_s
                a_pass += 1
                t0 = time.perf_counter()
                for t, f in frames:
                    est_a.detect(f, t + off)
                dt = time.perf_counter() - t0
                a_time += dt
                a_frames += n
                say(f"mediapipe alone, pass {a_pass}: {n / dt:.1f} frames/s")
            else:
                off = b_pass * span_s
                b_pass += 1
                decode_s = [0.0]

                def decoded() -> Any:
                    with open_video(video_path, max_side=max_side) as r:
                        it = iter(r)
                        k = 0
                        while max_frames is None or k < max_frames:
                            td = time.perf_counter()
                            try:
                                item = next(it)
                            except StopIteration:
                                return
                            decode_s[0] += time.perf_counter() - td
                            k += 1
                            yield item

                t0 = time.perf_counter()
                src = prefetch(decoded(), maxsize=8)
                count = 0
                wait = pose_t = hook_t = ov_t = 0.0
                while True:
                    t1 = time.perf_counter()
                    try:
                        t, f = next(src)
                    except StopIteration:
                        wait += time.perf_counter() - t1
                        break
                    except BaseException:
                        src.close()
                        raise
                    t2 = time.perf_counter()
                    pose = est_b.detect(f, t + off)
                    t3 = time.perf_counter()
                    try:
                        status = hook(pose)
                    except BaseException:
                        src.close()  # stop the decode thread before propagating
                        raise
                    t4 = time.perf_counter()
                    draw_overlay(f, pose, status if isinstance(status, CheckerStatus) else None, key_joints=key_joints)
                    t5 = time.perf_counter()
                    wait += t2 - t1
                    pose_t += t3 - t2
                    hook_t += t4 - t3
                    ov_t += t5 - t4
                    count += 1
                    found += pose is not None
                dt = time.perf_counter() - t0
                b_time += dt
                b_frames += count
                stage["decode_thread"] += decode_s[0]
                stage["decode_wait"] += wait
                stage["pose"] += pose_t
                stage["hook"] += hook_t
                stage["overlay"] += ov_t
                say(f"pipeline, pass {b_pass}: {count / dt:.1f} frames/s")

    stage_ms = {k: 1000.0 * v / max(1, b_frames) for k, v in stage.items()}
    h, w = frames[0][1].shape[:2]
    return BenchResult(
        video=str(video_path), model=str(model), frames=n, width=w, height=h, passes=a_pass,
        mediapipe_fps=a_frames / a_time if a_time > 0 else 0.0,
        pipeline_fps=b_frames / b_time if b_time > 0 else 0.0,
        mediapipe_ms=1000.0 * a_time / max(1, a_frames),
        pipeline_ms=1000.0 * b_time / max(1, b_frames),
        stage_ms=stage_ms,
        pose_found_frac=found / max(1, b_frames),
        num_poses=num_poses,
    )


def format_bench(result: BenchResult) -> str:
    """Human-readable report; the last line is ``throughput ratio (pipeline / mediapipe alone): X.XX``."""
    r = result
    s = r.stage_ms
    lines = [
        f"video: {r.video} ({r.width}x{r.height}, {r.frames} frames, {r.passes} passes per stream, A B B A order)",
        f"model: {r.model} (num_poses={r.num_poses}); pose found in {100 * r.pose_found_frac:.0f}% of frames",
        f"(a) mediapipe alone:  {r.mediapipe_fps:6.1f} frames/s  ({r.mediapipe_ms:.1f} ms/frame)",
        f"(b) whole pipeline:   {r.pipeline_fps:6.1f} frames/s  ({r.pipeline_ms:.1f} ms/frame)",
        "pipeline stages, ms/frame:",
        f"  decode (background thread) {s.get('decode_thread', 0):6.2f}",
        f"  decode (wait on main)      {s.get('decode_wait', 0):6.2f}",
        f"  pose                       {s.get('pose', 0):6.2f}",
        f"  smoothing + checker        {s.get('hook', 0):6.2f}",
        f"  overlay                    {s.get('overlay', 0):6.2f}",
        f"throughput ratio (pipeline / mediapipe alone): {r.ratio:.2f}",
    ]
    return "\n".join(lines)
