"""One long video's pose estimation split across processes (``formcheck analyze VIDEO --jobs N``).

Only the pose estimation is split. The checkers run once, in this process, over the stitched stream of
``(t_s, PoseFrame | None)``, so their state (a rest learnt with hindsight over the whole clip) is exact by
construction; what has to be exact is the stream. It is, by this reasoning, checked at every seam:

- The default pose estimator looks for two people, so MediaPipe detects the person afresh on every frame
  and keeps no smoothing: started in the middle of a clip it gives, from its first frame, bitwise the
  landmarks (and segmentation outline) of a run from the start, except where its detector misses the person
  and it follows them from the previous frame (someone walking, a body curled up), or where whom the
  estimator follows depends on the frames before (:meth:`~formcheck.media.pose.PoseEstimator.person_state`).
- So each chunk after the first starts :data:`WARMUP_S` before its seam, at a frame the single-process
  stride picks (then it picks the same frames: :class:`~formcheck.media.video.FramePicker` goes by the
  frames' own times, counted from the file's first frame), and its frames before the seam are dropped.
- **Each seam is checked**: the frames analysed in the last :data:`VERIFY_S` before it must be the same
  frames with bitwise the same poses (landmarks, visibility, presence, people, outline) in the chunk before
  and in the warm-up of the chunk after, and whom the estimator follows must be the same at the seam.
  Then the two runs are in the same state there (MediaPipe's track is the last frame's landmarks; the
  striding's dense stretches last at most 0.25 s), and the chunk after continues the single-process stream.
  When a check fails (or a worker cannot start in the middle of the file), the first seam is carried on in
  this process (the first chunk's estimator simply goes on: the single-process stream and its cost), and
  a later seam raises :class:`ChunkError`, after which :func:`formcheck.media.pipeline.analyze` analyses
  the file again in one process. Every frame's times are checked against a scan of the file's packets.

The first chunk runs here, without a process start or a warm-up, so it is longer than the others by
:data:`WARMUP_S` + :data:`WORKER_START_S` of video; the others run in spawned worker processes that send
back only what the checkers read (``PoseFrame`` without the mask). Their streams are held here until the
chunk before is consumed (about 1.5 kB per analysed frame).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue as queue_mod
import signal
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.landmarks import PoseFrame

log = logging.getLogger(__name__)

#: Each chunk after the first starts this many seconds of video before its seam; those frames are estimated and
#: dropped. On the sample and real development clips a run started in the middle gave bitwise the landmarks of
#: a run from the start from its first frame on, except where the person was lost or followed from the previous
#: frame; 2 s is :data:`formcheck.media.pose._TRACK_TIMEOUT_S`, after which the estimator forgets whom it followed.
WARMUP_S = 2.0
#: A seam is accepted when the frames analysed in this many seconds of video before it are the same, with
#: bitwise the same poses, in both chunks (more than the striding's dense stretch after a jump, 0.25 s).
VERIFY_S = 0.5
#: Wall seconds for a worker process to start and load the model (spawned interpreter, imports, MediaPipe):
#: 2.4 s for the imports and the model load alone on the 2-core development machine under load. The first chunk
#: is longer by this much video (at about one second of video per wall second) so that all chunks end together.
WORKER_START_S = 3.0
#: No chunk after the first is shorter than this (seconds of video). On the 720p bridge clip (2 jobs, shared
#: machine) the 12-s clip split into a 4.3-s worker chunk was slower than one process (real-time factor 0.94-1.02
#: vs 1.40), the 60-s clip 1.6 times faster (mean of 2, 1, 1, 2 processes); 10 s is a cautious guess between the
#: two, not measured. With 2 jobs a video is split from 25 s on.
MIN_CHUNK_S = 10.0
#: Frames per message from a worker, and the longest a finished frame waits in the worker (s).
_BATCH = 32
_BATCH_WAIT_S = 0.5
#: How long to wait for a worker's message before checking that it is still alive (s).
_POLL_S = 0.5


class ChunkError(Exception):
    """Chunked pose estimation could not be kept exact (a seam did not reproduce, a worker failed, the file
    cannot be started in the middle): the file is analysed in one process instead."""


@dataclass(frozen=True)
class Chunk:
    """One part of a video, in seconds of video time from its first frame.

    Attributes:
        index: 0 for the first (run in the calling process), 1.. for worker processes.
        warm_s: decoding and estimation start here (the warm-up; equal to ``start_s`` for the first chunk).
        start_s: the first time this chunk's frames are used (its seam with the chunk before).
        end_s: the first time they are not (the next chunk's ``start_s``; ``inf`` for the last chunk).
    """

    index: int
    warm_s: float
    start_s: float
    end_s: float


def plan_chunks(
    duration_s: float,
    jobs: int,
    warmup_s: float = WARMUP_S,
    worker_start_s: float = WORKER_START_S,
    min_chunk_s: float = MIN_CHUNK_S,
) -> list[Chunk]:
    """Split a ``duration_s``-second video into at most ``jobs`` chunks that end at about the same wall time.

    The first chunk runs in the calling process at once; each other one first starts a worker
    (``worker_start_s``) and estimates ``warmup_s`` before its seam. With ``n`` chunks each worker chunk is
    ``L = (duration_s - warmup_s - worker_start_s) / n`` seconds and the first ``L + warmup_s +
    worker_start_s``. Fewer chunks are used while ``L`` would be under ``min_chunk_s``; one chunk (no split)
    for ``jobs`` <= 1, an unknown duration or a short video. All times in seconds of video.
    """
    whole = [Chunk(0, 0.0, 0.0, math.inf)]
    if jobs <= 1 or not math.isfinite(duration_s) or duration_s <= 0:
        return whole
    n, length = 1, 0.0
    for n in range(int(jobs), 1, -1):
        length = (duration_s - warmup_s - worker_start_s) / n
        if length >= min_chunk_s:
            break
    else:
        return whole
    first = length + warmup_s + worker_start_s
    bounds = [0.0, *(first + k * length for k in range(n - 1)), math.inf]
    return [Chunk(k, max(0.0, bounds[k] - warmup_s) if k else 0.0, bounds[k], bounds[k + 1]) for k in range(n)]


@dataclass
class FrameTimes:
    """Every frame of a video from its packets (no decoding): ``pts`` in the stream's time base units,
    ascending, and ``t_s`` in seconds from the first frame, computed as the reader computes a frame's time."""

    pts: np.ndarray
    t_s: np.ndarray


def scan_frame_times(path: str | Path) -> FrameTimes | None:
    """The frame times of ``path`` from its packets' timestamps, or None when they cannot be trusted to be
    the decoded frames' (a packet without a timestamp, two with the same one). The decoding checks them."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            tb = stream.time_base
            pts = [p.pts for p in container.demux(stream) if p.pts is not None or p.size]
    except (av.error.FFmpegError, IndexError, OSError):
        return None
    if not pts or tb is None or any(p is None for p in pts):
        return None
    ordered = sorted(int(p) for p in pts if p is not None)
    if len(set(ordered)) != len(ordered):
        return None
    t0 = float(ordered[0] * tb)
    return FrameTimes(np.array(ordered, dtype=np.int64), np.array([float(p * tb) - t0 for p in ordered]))


@dataclass(frozen=True)
class ChunkTask:
    """What a process needs to estimate one chunk (picklable).

    ``model``: the resolved ``.task`` path; ``fps``: the rate the frame picker assumes (the reader's nominal
    fps, or 30); ``max_fps``: the analysed rate (None: every frame); ``seek_pts``: the warm-up's first frame
    (stream time base units; None from the start); ``expected_t``: the scanned times of the frames from there
    on (s), which every decoded frame must match.
    """

    path: str
    model: str
    segmentation: bool
    fps: float
    max_fps: float | None
    chunk: Chunk
    seek_pts: int | None
    expected_t: np.ndarray
    #: the seams (s) at which whom the estimator follows is recorded (after its last estimation before each)
    seams: tuple[float, ...]


class ChunkRun:
    """The single-process pose estimation (:func:`formcheck.media.pipeline.iter_pose_frames`'s default path:
    two people looked for on every frame, the strided frames and every frame where striding could change what
    the checkers see) from ``task``'s warm-up start on. :meth:`frames` yields ``(t_s, pose)`` in time order
    without end; ``seam_states[s]`` is whom the estimator followed after its last estimation before the seam
    ``s`` (each of ``task.seams``); ``decoded_from_start`` counts the frames decoded from ``task.chunk.start_s``
    on. Every decoded frame's time must be the scanned one (else :class:`ChunkError`)."""

    def __init__(self, task: ChunkTask) -> None:
        self.task = task
        self.seam_states: dict[float, tuple | None] = dict.fromkeys(task.seams)
        self.decoded_from_start = 0

    def _checked(self, frames: Iterator[Any]) -> Generator[Any, None, None]:
        expected = self.task.expected_t
        count = 0
        for d in frames:
            if count >= len(expected) or d.t_s != expected[count]:
                want = f"{expected[count]:.6f} s" if count < len(expected) else "none"
                raise ChunkError(f"a decoded frame's time ({d.t_s:.6f} s) is not the scanned one ({want})")
            count += 1
            if d.t_s >= self.task.chunk.start_s:
                self.decoded_from_start += 1
            yield d
        if count < len(expected):
            raise ChunkError(f"the video ended after {count} of the {len(expected)} frames its packets announce")

    def frames(self) -> Generator[tuple[float, PoseFrame | None], None, None]:
        """``(t_s, pose)`` of the analysed frames from the warm-up start on (see the class doc)."""
        from formcheck.media.pipeline import MODEL_MAX_SIDE, StridedAnalysis, behind_estimator
        from formcheck.media.pose import PoseEstimator
        from formcheck.media.video import FramePicker, open_video, prefetch

        task = self.task
        picker = FramePicker(task.fps, task.max_fps)
        with contextlib.ExitStack() as stack:
            reader = stack.enter_context(open_video(task.path, max_side=MODEL_MAX_SIDE))
            options: dict[str, Any] = dict(max_side=MODEL_MAX_SIDE, segmentation=task.segmentation, keep_mask=False)
            estimator = stack.enter_context(PoseEstimator(task.model, **options))

            def detect(image: np.ndarray, t_s: float) -> PoseFrame | None:
                pose = estimator.detect(image, t_s)
                for seam in task.seams:
                    if t_s < seam:
                        self.seam_states[seam] = estimator.person_state()
                return pose

            strided = StridedAnalysis(detect, behind_estimator(stack, estimator, task.model, **options))
            decoded = reader.decoded(picker, keep_skipped=picker.stride > 1, seek_pts=task.seek_pts)
            src = prefetch(self._checked(decoded))
            stack.callback(src.close)
            for d, pose in strided.run(src):
                yield d.t_s, pose


def _worker_main(task: ChunkTask, out: Any) -> None:
    """A worker process: estimate ``task``'s chunk and put its frames on the queue ``out``:
    ``("frames", k, [(t_s, pose), ...], decoded)`` (the frames of the last :data:`VERIFY_S` before the seam,
    then the chunk's own), ``("state", k, seam_s, person_state)`` once past each seam (its start and end),
    ``("done", k, decoded)`` or ``("error", k, message)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's: it ends the workers
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    chunk = task.chunk
    k = chunk.index
    parent = os.getppid()
    try:
        run = ChunkRun(task)
        batch: list[tuple[float, PoseFrame | None]] = []
        past_seam = False
        sent = time.monotonic()

        def flush() -> None:
            nonlocal batch, sent
            if batch:
                out.put(("frames", k, batch, run.decoded_from_start))
                batch, sent = [], time.monotonic()

        with contextlib.closing(run.frames()) as frames:
            for t_s, pose in frames:
                if os.getppid() != parent:  # the parent is gone (killed): nobody reads this chunk
                    return
                if t_s >= chunk.end_s:
                    flush()
                    out.put(("state", k, chunk.end_s, run.seam_states[chunk.end_s]))
                    break
                if not past_seam and t_s >= chunk.start_s:
                    flush()
                    out.put(("state", k, chunk.start_s, run.seam_states[chunk.start_s]))
                    past_seam = True
                if t_s >= chunk.start_s - VERIFY_S:
                    batch.append((t_s, pose))
                if len(batch) >= _BATCH or (batch and time.monotonic() - sent > _BATCH_WAIT_S):
                    flush()
        flush()
        if not past_seam:
            out.put(("state", k, chunk.start_s, run.seam_states[chunk.start_s]))
        out.put(("done", k, run.decoded_from_start))
    except Exception as e:  # noqa: BLE001 - every failure goes to the parent, which falls back to one process
        from formcheck.core.fileio import one_line

        log.debug("chunk %d failed", k, exc_info=True)
        out.put(("error", k, one_line(f"{type(e).__name__}: {e}")))


def same_pose(a: PoseFrame | None, b: PoseFrame | None) -> bool:
    """Bitwise the same pose (landmarks, visibility, presence, people, frame size, outline), or both None."""
    if a is None or b is None:
        return a is None and b is None
    return (
        a.t_s == b.t_s
        and (a.width, a.height, a.num_people) == (b.width, b.height, b.num_people)
        and np.array_equal(a.xyz, b.xyz)
        and np.array_equal(a.visibility, b.visibility)
        and np.array_equal(a.presence, b.presence)
        and _same_value(a.outline, b.outline)
    )


def _same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    try:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return bool(a == b)
    return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=True))


def _same_state(a: tuple | None, b: tuple | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))


def seam_mismatch(
    before: list[tuple[float, PoseFrame | None]],
    after: list[tuple[float, PoseFrame | None]],
    state_before: tuple | None,
    state_after: tuple | None,
) -> str | None:
    """Why a seam does not continue the stream exactly, or None when it does: ``before`` and ``after`` are the
    ``(t_s, pose)`` both chunks analysed in the last :data:`VERIFY_S` before the seam, the states whom their
    estimators followed there (:meth:`~formcheck.media.pose.PoseEstimator.person_state`)."""
    if [t for t, _ in before] != [t for t, _ in after]:
        return f"different frames analysed before it ({len(before)} vs {len(after)})"
    for t_s, (_, a), (_, b) in zip([t for t, _ in before], before, after):
        if not same_pose(a, b):
            return f"a different pose at {t_s:.3f} s"
    if not _same_state(state_before, state_after):
        return "a different person followed"
    return None


ProgressFn = Callable[[int, int], None]


class ChunkedEstimation:
    """The stitched stream of one video's chunks (see the module doc); :meth:`run` yields ``(t_s, pose)`` in time
    order, as :func:`formcheck.media.pipeline.iter_pose_frames` does in one process.

    ``seams_checked`` and ``carried_on`` (the first seam failed and this process went on) say what happened;
    ``fallback_reason`` why."""

    def __init__(
        self,
        path: str | Path,
        model: str,
        segmentation: bool,
        fps: float,
        max_fps: float | None,
        chunks: list[Chunk],
        times: FrameTimes,
        frame_count: int = 0,
        progress: ProgressFn | None = None,
    ) -> None:
        from formcheck.media.video import FramePicker

        self.path, self.chunks, self.progress = str(path), chunks, progress
        self.total = frame_count or len(times.t_s)
        picker = FramePicker(fps, max_fps)
        picked = np.array([picker(float(t)) for t in times.t_s], dtype=bool)
        self.tasks: list[ChunkTask] = []
        for c in chunks:
            if c.index == 0:
                first, seek = 0, None
            else:  # the last frame the stride picks at or before the warm-up start
                first = int(np.flatnonzero(picked & (times.t_s <= c.warm_s + 1e-9))[-1])
                seek = int(times.pts[first])
                c = Chunk(c.index, float(times.t_s[first]), c.start_s, c.end_s)
            seams = tuple(s for s in (c.start_s, c.end_s) if 0 < s < math.inf)
            self.tasks.append(
                ChunkTask(self.path, model, segmentation, fps, max_fps, c, seek, times.t_s[first:], seams)
            )
        self.seams_checked = 0
        self.carried_on = False
        self.fallback_reason: str | None = None
        self._queue: Any = None
        self._buffers: dict[int, deque] = {}
        self._states: dict[tuple[int, float], tuple | None] = {}
        self._done: set[int] = set()
        self._errors: dict[int, str] = {}
        self._decoded: dict[int, int] = {}
        self._procs: dict[int, Any] = {}
        self._own: ChunkRun | None = None

    # -- messages from the workers ------------------------------------------------------
    def _handle(self, msg: tuple) -> None:
        kind, k = msg[0], msg[1]
        if kind == "frames":
            self._buffers[k].extend(msg[2])
            self._decoded[k] = msg[3]
        elif kind == "state":
            self._states[(k, msg[2])] = msg[3]
        elif kind == "done":
            self._decoded[k] = msg[2]
            self._done.add(k)
        elif kind == "error":
            self._errors[k] = msg[2]
            self._done.add(k)

    def _drain(self) -> None:
        while True:
            try:
                self._handle(self._queue.get_nowait())
            except queue_mod.Empty:
                return

    def _wait(self) -> None:
        """Handle the next message from a worker, waiting for it; a worker that died without a word is an error."""
        while True:
            try:
                self._handle(self._queue.get(timeout=_POLL_S))
                return
            except queue_mod.Empty:
                pass
            for k, p in self._procs.items():
                if k not in self._done and not p.is_alive():
                    self._drain()
                    if k not in self._done:
                        self._errors[k] = f"the worker process stopped (exit code {p.exitcode})"
                        self._done.add(k)
                        return

    def _report(self, own_decoded: int) -> None:
        if self.progress:
            done = own_decoded + sum(self._decoded.values())
            self.progress(min(done, self.total) if self.total else done, self.total)

    # -- the stream --------------------------------------------------------------------
    def _check_seam(self, k: int, before: list, state_before: tuple | None) -> str | None:
        """Wait for chunk ``k``'s warm-up end and say why its seam is not exact (None: it is)."""
        start = self.chunks[k].start_s
        while (k, start) not in self._states and k not in self._errors:
            self._wait()
        if (k, start) not in self._states:
            return f"its process failed ({self._errors[k]})"
        buf = self._buffers[k]
        after = []
        while buf and buf[0][0] < start:
            after.append(buf.popleft())
        return seam_mismatch(before, after, state_before, self._states[(k, start)])

    def _owned(self, k: int) -> Generator[tuple[float, PoseFrame | None], None, None]:
        buf = self._buffers[k]
        while True:
            while buf:
                yield buf.popleft()
            if k in self._errors:
                raise ChunkError(f"chunk {k} failed: {self._errors[k]}")
            if k in self._done:
                return
            self._wait()

    def run(self) -> Generator[tuple[float, PoseFrame | None], None, None]:
        """The stitched ``(t_s, pose)`` stream (see the class doc). Raises :class:`ChunkError` when a seam after
        the first does not continue the stream exactly, or a worker failed after the first seam."""
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._queue = ctx.Queue()
        n = len(self.chunks)
        for task in self.tasks[1:]:
            k = task.chunk.index
            self._buffers[k], self._decoded[k] = deque(), 0
            p = ctx.Process(target=_worker_main, args=(task, self._queue), name=f"formcheck-chunk-{k}", daemon=True)
            p.start()
            self._procs[k] = p
        try:
            own = self._own = ChunkRun(self.tasks[0])
            seam = self.chunks[1].start_s
            recent: deque = deque()
            held = None
            frames = own.frames()
            with contextlib.closing(frames):
                for t_s, pose in frames:
                    self._drain()
                    if t_s >= seam:
                        held = (t_s, pose)
                        break
                    if t_s >= seam - VERIFY_S:
                        recent.append((t_s, pose))
                    self._report(own.decoded_from_start)
                    yield t_s, pose
                if held is None:  # the video ended before the first seam
                    return
                reason = self._check_seam(1, list(recent), own.seam_states[seam])
                if reason is not None:
                    self.fallback_reason = f"the seam at {seam:.2f} s: {reason}"
                    log.info(
                        "%s: %s; the rest is estimated in this process", Path(self.path).name, self.fallback_reason
                    )
                    self.carried_on = True
                    self._stop_workers()
                    yield held
                    for item in frames:
                        if item[0] >= self.chunks[-1].end_s:
                            break
                        self._report(own.decoded_from_start)
                        yield item
                    return
            self.seams_checked += 1
            own_decoded = own.decoded_from_start
            for k in range(1, n):
                nxt = self.chunks[k].end_s
                recent = deque()
                for t_s, pose in self._owned(k):
                    if t_s >= nxt:  # (the last chunk of a run that stops early)
                        break
                    if nxt - VERIFY_S <= t_s < nxt:
                        recent.append((t_s, pose))
                    self._drain()
                    self._report(own_decoded)
                    yield t_s, pose
                if k + 1 < n:
                    while (k, nxt) not in self._states and k not in self._errors:
                        self._wait()
                    reason = self._check_seam(k + 1, list(recent), self._states.get((k, nxt)))
                    if reason is not None:
                        self.fallback_reason = f"the seam at {self.chunks[k].end_s:.2f} s: {reason}"
                        raise ChunkError(self.fallback_reason)
                    self.seams_checked += 1
        finally:
            self._stop_workers()

    def _stop_workers(self) -> None:
        for p in self._procs.values():
            if p.is_alive():
                p.terminate()
        for p in self._procs.values():
            p.join(timeout=5)
        if self._queue is not None:
            self._queue.close()
            self._queue.cancel_join_thread()


def chunked_estimation(
    path: str | Path,
    model: str | Path,
    segmentation: bool,
    fps: float,
    max_fps: float | None,
    jobs: int,
    frame_count: int = 0,
    progress: ProgressFn | None = None,
    until_s: float | None = None,
) -> ChunkedEstimation | None:
    """The chunked pose estimation of the video ``path`` in ``jobs`` processes (this one and ``jobs - 1``
    workers), or None when it is not split: ``jobs`` <= 1, too short (:func:`plan_chunks`), or its packets'
    timestamps cannot say where its frames are (:func:`scan_frame_times`). ``fps``: the frame picker's rate
    (the reader's nominal fps, or 30); ``max_fps``: the analysed rate; ``until_s``: only the video before this
    time (s; the bench's first frames). The plan reads :data:`WARMUP_S`, :data:`WORKER_START_S` and
    :data:`MIN_CHUNK_S` when called (a test may set them to force seams into a short clip)."""
    if jobs <= 1:
        return None
    times = scan_frame_times(path)
    if times is None:
        log.info("%s: its frames' timestamps cannot be read ahead, so it is analysed in one process", Path(path).name)
        return None
    duration_s = float(times.t_s[-1]) + 1.0 / (fps or 30.0)
    if until_s is not None:
        duration_s = min(duration_s, until_s)
    chunks = plan_chunks(duration_s, jobs, warmup_s=WARMUP_S, worker_start_s=WORKER_START_S, min_chunk_s=MIN_CHUNK_S)
    if len(chunks) == 1:
        return None
    if until_s is not None:
        last = chunks[-1]
        chunks[-1] = Chunk(last.index, last.warm_s, last.start_s, float(until_s))
    log.debug("%s: pose estimation in %d chunks: %s", Path(path).name, len(chunks), chunks)
    return ChunkedEstimation(path, str(model), segmentation, fps, max_fps, chunks, times, frame_count, progress)
