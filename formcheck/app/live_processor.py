"""The live-webcam frame processor behind the app's guided session (no Streamlit import).

streamlit-webrtc calls :meth:`LiveProcessor.callback` (or :meth:`LiveProcessor.process`) from its
worker thread for every webcam frame; the Streamlit script polls :meth:`LiveProcessor.snapshot`,
which returns the latest immutable :class:`LiveSnapshot` the worker swapped in (no lock). A lock
guards the set's state for short book-keeping only: it is never held while the pose model loads
or runs, so "Stop — this hurts" and the page's refresh never wait for MediaPipe.

Frames are timed by their own timestamps (``av.VideoFrame.time``), never by the wall clock or by
counting frames, so dropped frames do not disturb rep and hold timing. The pose estimator is
created lazily in the worker thread (one per stream) and closed when the set or stream ends. What it is
made for (the exercise's person mask, posture, the fast path and its self-check) is chosen once when a set
starts. By default it is MediaPipe's one-person tracking, checked once a second against a fresh detection
of everyone in view (:func:`live_fast`: the frame's model time without the detector, which a two-person
landmarker runs on every frame), except for the pelvic tilt, which is analysed by the detection on every frame.

A *set* starts with the first frame after :meth:`arm` and ends with :meth:`stop` (the person's
choice, the "this hurts" button, a change of exercise) or :meth:`end_stream` (camera stopped).
While a set runs, ``saver(payload)`` is called on every new rep or fault, every
:data:`SAVE_EVERY_S` seconds of stream time and when the set ends, so the history holds what was
done even if the browser tab is closed. Every payload carries a sequence number ``seq``; the
history ignores a save older than the one it has, so a late periodic save never undoes the final one.
"""

from __future__ import annotations

import copy
import logging
import sqlite3
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from formcheck.app.history import HistoryError
from formcheck.app.latency import LatencyMeter
from formcheck.core.events import FaultEvent, HoldEvent, RepEvent, WarningEvent
from formcheck.core.session import Session

log = logging.getLogger(__name__)

#: Save the running set at least this often (seconds of stream time).
SAVE_EVERY_S = 5.0
#: A timestamp this far behind the previous one means the stream restarted (new clock).
RESTART_JUMP_S = 1.0
#: How many recent events a snapshot carries.
RECENT_EVENTS = 30
#: Frames of the key-angle trace a live set keeps (a minute at 30 fps): a long session stays flat in memory.
LIVE_TRACE_FRAMES = 1800
#: Per-frame processing budget (ms, 95th percentile over the last 10 s) for the automatic switch to the lite
#: model. It guards the counting, not the smoothness: under it at least ~20 frames a second are analysed,
#: and the checkers give the same counts, holds and faults down to 15 frames/s (below ~14 their running
#: medians hold too few frames, README "Frame striding"). It is deliberately not the issue's smoothness
#: target of 30 ms (every frame of a 30 fps camera): the full model alone needs 25-28 ms a frame on a
#: 2-core machine, so a 30-ms budget would put such machines on the less accurate lite model for frames
#: the checkers do not need; between 33 and 50 ms frames are skipped (newest wins) and counted the same.
LATENCY_BUDGET_MS = 50.0
#: ... and how long (seconds of stream time) the full model may stay above it before the processor
#: switches to the lite model by itself (a moment of load elsewhere on the machine does not count).
SWITCH_AFTER_S = 10.0
#: Exercises whose live default is the detection path on every frame (no one-person fast path) although
#: they allow it (see :func:`live_fast`). None so far: every frame of every sample and real development
#: clip replayed through this processor (issue 11) gave the same counts and good reps with the fast path as
#: without for the bridge, the bird-dog and the knee-to-chest (one real oblique bird-dog gained a
#: same_side_limbs fault on a rep that was already faulty). An exercise whose live counts the fast path
#: worsens (a rep lost that the detection path counts) goes here.
LIVE_DETECTION_ONLY: frozenset[str] = frozenset()
#: What a pose estimator raises for a frame or a model it cannot handle (MediaPipe: RuntimeError, ValueError).
ESTIMATOR_ERRORS: tuple[type[Exception], ...] = (RuntimeError, ValueError, OSError)
#: What a saver raises when the history cannot take a save (disk full, read-only or locked database).
SAVE_ERRORS: tuple[type[Exception], ...] = (HistoryError, OSError, sqlite3.Error)

EstimatorFactory = Callable[[], Any]  # returns an object with detect(bgr, t_s) and close()
Saver = Callable[[dict], None]


def frame_time(frame: Any) -> float | None:
    """Seconds of a video frame's presentation time (``frame.time``, else pts × time_base), or None."""
    t = getattr(frame, "time", None)
    if t is not None:
        return float(t)
    pts, tb = getattr(frame, "pts", None), getattr(frame, "time_base", None)
    if pts is not None and tb is not None:
        return float(pts * tb)
    return None


def side_advice(reps_by_side: dict[str, int], target_per_side: int, current_side: str | None = None) -> str | None:
    """For exercises done on each side: when to switch, in plain words (None when nothing to say)."""
    if target_per_side <= 0:
        return None
    done = {s: n for s, n in reps_by_side.items() if s in ("left", "right")}
    if not done:
        return None
    finished = [s for s in ("left", "right") if done.get(s, 0) >= target_per_side]
    if len(finished) == 2:
        return "Both sides done. Well done: take a rest."
    if len(finished) == 1:
        other = "right" if finished[0] == "left" else "left"
        if current_side == other and done.get(other, 0) > 0:
            return None
        return f"That's {done[finished[0]]} on the {finished[0]} side. Switch now to your {other} side."
    return None


@dataclass(frozen=True)
class LiveSnapshot:
    """The live state for the page, published by the frame thread; never changed once published.

    ``report`` is the set's report as last saved (at most :data:`SAVE_EVERY_S` seconds of stream
    time old while the set runs; complete once it is finished). ``stream_t_s``: seconds of stream
    time; ``fps``: frames analysed per second of stream time. ``latency_ms`` / ``latency_p95_ms``:
    median and 95th percentile of the time from a frame reaching the processor to its overlay being
    ready, over the last 10 s; ``lag_p95_ms``: the same from the frame's own timestamp (what the
    user feels, see :mod:`formcheck.app.latency`); ``lost``: frames of the set that were never
    analysed (gaps in the frame times: dropped while a frame was in the model, newest wins);
    ``model``: the pose model in use; ``model_note``: why it changed by itself, for the page.
    """

    set_key: str | None
    exercise: str
    status: dict
    events: list[dict] = field(default_factory=list)
    event_seq: int = 0
    frames: int = 0
    frames_with_pose: int = 0
    dropped: int = 0
    fps: float = 0.0
    stream_t_s: float = 0.0
    active: bool = False
    armed: bool = False
    finished: bool = False
    stop_reason: str | None = None
    error: str | None = None
    report: dict | None = None
    side_message: str | None = None
    meta: dict = field(default_factory=dict)
    last_frame_wall: float | None = None
    latency_ms: float | None = None
    latency_p95_ms: float | None = None
    lag_p95_ms: float | None = None
    lost: int = 0
    model: str = ""
    model_note: str | None = None

    @property
    def reps(self) -> int:
        return int(self.status.get("reps", 0))


def _event_dict(ev: Any) -> dict:
    kind = {RepEvent: "rep", HoldEvent: "hold", FaultEvent: "fault", WarningEvent: "warning"}.get(type(ev), "event")
    d = ev.to_dict() if hasattr(ev, "to_dict") else {}
    d["type"] = kind
    return d


@dataclass
class _FrameJob:
    """What the frame thread needs outside the lock for one frame (made under the lock)."""

    t: float
    session: Session | None = None
    estimator: Any = None
    model_key: tuple = ()
    idle_status: Any = None
    old_estimator: Any = None
    new_estimator: Any = None
    failed: bool = False


class LiveProcessor:
    """Bridge between webrtc's frame thread and the Streamlit script.

    The lock guards the set's state (the session, counters, control flags) and is only ever held
    for short book-keeping: never during model loading, pose estimation, drawing or saving. After
    every frame (and every control call) a new immutable :class:`LiveSnapshot` is published by a
    single reference swap, so :meth:`snapshot` takes no lock at all.

    Args:
        exercise: exercise id for the first set.
        model: pose model (``"lite"``/``"full"``/path) used when ``estimator_factory`` is None.
        estimator_factory: makes the pose estimator (tests pass a scripted fake).
        saver: called with a payload dict ``{key, seq, exercise, report, meta, stop_reason, finished,
            started_at}`` as the set progresses (from the worker thread, or the caller of stop()).
            ``seq`` grows with every payload; the final payload of a set has the highest one.
        draw: draw the overlay on the frames (default True).
        trace_frames: how many frames of the key-angle trace a live set keeps (memory stays flat).
        latency_budget_ms: with the full model, switch to the lite one when the per-frame time's 95th
            percentile stays above this for :data:`SWITCH_AFTER_S` (None: never switch).
        fast: the pose estimator's one-person fast path (one-person tracking, a look for other people
            once a second, checked against a fresh detection; see
            :class:`~formcheck.media.pose.PoseEstimator`, ``check_every_s``). None (the default): each
            exercise's live default, :func:`live_fast`; True/False: on/off for every exercise that allows
            it (never the pelvic tilt, :func:`formcheck.media.pipeline.exercise_fast`).
    """

    def __init__(
        self,
        exercise: str,
        model: str = "full",
        estimator_factory: EstimatorFactory | None = None,
        saver: Saver | None = None,
        draw: bool = True,
        meta: dict | None = None,
        trace_frames: int = LIVE_TRACE_FRAMES,
        latency_budget_ms: float | None = LATENCY_BUDGET_MS,
        fast: bool | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._meter = LatencyMeter()  # touched by the frame thread only, under the lock
        self._latency: tuple[float | None, float | None, float | None] = (None, None, None)
        self.latency_budget_ms = latency_budget_ms
        self._over_budget_since: float | None = None
        self._model_note: str | None = None
        #: makes the Session of each new set from the exercise id (None: ``Session``); the app sets it
        #: for a routine's dose or a paced set (:class:`formcheck.core.pacer.PacedSession`)
        self.session_factory: Callable[[str], Any] | None = None
        #: the words drawn on the video between sets (None: "Set finished. Press 'Start another set' ...")
        self.idle_cue: str | None = None
        self.model = model
        self.fast = None if fast is None else bool(fast)
        self._factory = estimator_factory
        self.saver = saver
        self.draw = draw
        self.trace_frames = int(trace_frames)
        self._estimator: Any = None
        self._estimator_key: tuple = ()
        self._set_pose: tuple = ()  # what the set's estimator is made for besides the model (see _start_locked)
        self._busy = False  # the frame thread is loading the model or running it
        self._release_estimator = False  # close the estimator as soon as the frame thread is done with it
        self._model_failed: tuple | None = None  # (model, segmentation) that failed to load: not retried per frame
        self._exercise = exercise
        self._idle = _idle_status(exercise)
        self._meta: dict = dict(meta or {})
        self._armed = True
        self._session: Session | None = None
        self._last_session: Session | None = None
        self._key: str | None = None
        self._started_at: str | None = None
        self._finished = False
        self._stop_reason: str | None = None
        self._error: str | None = None
        self._error_where: str | None = None  # "model", "estimate", "checker" or "save": cleared when that works again
        self._last_report: dict | None = None
        self._events: deque[dict] = deque(maxlen=RECENT_EVENTS)
        self._seq = 0
        self._save_seq = 0  # sequence number of the last payload made
        self._saved_seq = 0  # sequence number of the last payload handed to the saver
        self._logged: set[tuple[str, str]] = set()
        self._frames = 0
        self._frames_pose = 0
        self._dropped = 0
        self._fps = 0.0
        self._last_raw: float | None = None
        self._offset = 0.0
        self._t0: float | None = None
        self._t: float = 0.0
        self._last_save_t: float | None = None
        self._last_wall: float | None = None
        self._closed = False
        self._snap: LiveSnapshot = LiveSnapshot(set_key=None, exercise=exercise, status=dict(self._idle))
        self._publish_locked()

    # ---------------------------------------------------------------- control (script thread)
    @property
    def exercise(self) -> str:
        return self._exercise

    def arm(self, exercise: str | None = None, meta: dict | None = None) -> None:
        """Prepare the next set: it starts with the next frame. A set in progress is stopped first
        (reason "exercise changed" when the exercise differs, else "restarted"). A model that
        failed to load is tried again with the next frame."""
        payload = None
        with self._lock:
            new_ex = exercise or self._exercise
            if self._session is not None and not self._finished:
                payload = self._stop_locked("exercise changed" if new_ex != self._exercise else "restarted")
            if new_ex != self._exercise:
                self._idle = _idle_status(new_ex)
            self._exercise = new_ex
            if meta is not None:
                self._meta = dict(meta)
            self._armed = True
            self._session = self._last_session = None  # the page's counter starts again
            self._finished = False
            self._stop_reason = None
            self._error = None
            self._last_report = None
            self._model_failed = None
            self._events.clear()
            est = self._detach_estimator_locked() if payload is not None else None
            self._publish_locked()
        self._close(est)
        self._save(payload)

    def set_meta(self, **meta: Any) -> None:
        """Update the metadata (e.g. ``pain_before``) of the next set and of the running one."""
        with self._lock:
            self._meta.update(meta)
            self._publish_locked()

    def stop(self, reason: str = "finished") -> bool:
        """End the running set (and save it). Returns False if no set was running.

        Never waits for the pose model: a frame being analysed right now is discarded."""
        with self._lock:
            if self._session is None or self._finished:
                self._armed = False
                self._publish_locked()
                return False
            payload = self._stop_locked(reason)
            self._armed = False
            est = self._detach_estimator_locked()
            self._publish_locked()
        self._close(est)
        self._save(payload)
        return True

    def end_stream(self, reason: str = "camera stopped") -> None:
        """The webcam stream ended: finish the set, release the estimator, arm a new set for the next stream."""
        with self._lock:
            payload = self._stop_locked(reason) if (self._session is not None and not self._finished) else None
            est = self._detach_estimator_locked()
            self._last_raw, self._t0, self._offset = None, None, 0.0
            self._armed = True
            self._publish_locked()
        self._close(est)
        self._save(payload)

    def close(self) -> None:
        """Stop everything for good (idempotent)."""
        with self._lock:
            payload = self._stop_locked("closed") if (self._session is not None and not self._finished) else None
            est = self._detach_estimator_locked()
            self._closed = True
            self._publish_locked()
        self._close(est)
        self._save(payload)

    # ---------------------------------------------------------------- frames (worker thread)
    def callback(self, frame: Any) -> Any:
        """streamlit-webrtc ``video_frame_callback``: av.VideoFrame in, annotated av.VideoFrame out."""
        import av

        image = frame.to_ndarray(format="bgr24")
        out = self.process(image, frame_time(frame))
        new = av.VideoFrame.from_ndarray(out, format="bgr24")
        new.pts, new.time_base = frame.pts, frame.time_base
        return new

    def process(self, image_bgr: np.ndarray, t_s: float | None) -> np.ndarray:
        """Run one frame at stream time ``t_s`` (seconds; None → wall clock) and return it annotated.

        The lock is taken twice, briefly: to start the frame and to hand its pose to the set. The
        model is loaded and run between the two, outside the lock.
        """
        arrived = time.monotonic()
        with self._lock:
            job = self._begin_frame_locked(t_s)
            if job is not None:
                self._meter.arrived(job.t, arrived)
        if job is None:
            return image_bgr
        if job.session is None:
            return self._draw_idle(image_bgr, job.idle_status)
        pose = self._estimate(image_bgr, job)
        payload, drawing = None, None
        with self._lock:
            if not job.failed:
                payload, drawing = self._finish_frame_locked(job, pose)
            stale = self._end_busy_locked(job)
        self._close(stale)
        self._save(payload)
        if drawing is not None and self.draw:
            self._draw(image_bgr, *drawing)
        if not job.failed:
            done = time.monotonic()
            with self._lock:
                self._frame_done_locked(job.t, arrived, done)
        return image_bgr

    def _frame_done_locked(self, t: float, arrived: float, done: float) -> None:
        """Record the frame's times; with the full model too slow for long, switch to the lite one."""
        meter = self._meter
        meter.done(t, arrived, done)
        p50, p95 = meter.proc_ms_at(50, 95)
        self._latency = (round(p50, 1), round(p95, 1), round(meter.lag_ms(95), 1))
        budget = self.latency_budget_ms
        if budget is not None and self.model == "full" and len(meter) >= 30:
            if p95 <= budget:
                self._over_budget_since = None
            elif self._over_budget_since is None:
                self._over_budget_since = t
            elif t - self._over_budget_since >= SWITCH_AFTER_S:
                self.model = "lite"  # the next frame loads it; the set goes on
                self._over_budget_since = None
                self._model_note = (
                    f"Switched to the lighter pose model: this computer needed {p95:.0f} ms per frame "
                    f"with the full one (over {budget:.0f} ms), so frames were being skipped."
                )
                log.warning("live: %s", self._model_note)
        self._publish_locked()

    # ---------------------------------------------------------------- reading (script thread)
    def snapshot(self) -> LiveSnapshot:
        """The latest published state (no lock: the frame thread swaps in a new snapshot after each frame)."""
        return self._snap

    # ---------------------------------------------------------------- frame steps
    def _begin_frame_locked(self, t_s: float | None) -> _FrameJob | None:
        """Time the frame, start a set if one is armed, and hand out the estimator (lock held)."""
        if self._closed:
            return None
        t = self._normalise_time(t_s)
        if t is None or self._busy:  # a repeated/older frame, or one overlapping a frame still in the model
            self._dropped += 1
            self._publish_locked()
            return None
        self._last_wall = time.monotonic()
        if self._session is None or self._finished:
            if not self._armed:
                last = self._last_session
                return _FrameJob(t=t, idle_status=None if last is None else copy.copy(last.status))
            self._start_locked(t)
            self._publish_locked()
        session = self._session
        assert session is not None  # started just above when it was not running
        # (model, person mask, starting posture, self-check, fast path): the estimator is made for these,
        # and made again when they change (the model may change during a set: the switch to the lite one)
        key = (self.model, *self._set_pose)
        if self._model_failed == key:
            return None  # reported once already; arm() or another model tries again
        job = _FrameJob(t=t, session=session, model_key=key)
        if self._estimator is not None and self._estimator_key != key:
            job.old_estimator, self._estimator = self._estimator, None  # model or mask changed: closed outside the lock
        job.estimator = self._estimator
        self._busy = True
        self._release_estimator = False
        return job

    def _estimate(self, image_bgr: np.ndarray, job: _FrameJob) -> Any:
        """Load the model if needed and run it (no lock held). Sets ``job.failed`` on an error."""
        self._close(job.old_estimator)
        est = job.estimator
        if est is None:
            try:
                est = job.new_estimator = self._make_estimator(job.model_key)
            except Exception as e:
                job.failed = True
                self._model_load_failed(job.model_key, e)
                return None
        try:
            return est.detect(image_bgr, job.t)
        except ESTIMATOR_ERRORS as e:  # MediaPipe refusing a frame: the page says so, the stream goes on
            job.failed = True
            self._report("estimate", "Pose estimation failed: " + one_line(e), e, bug=False)
        except Exception as e:  # a bug: logged with its traceback, one line on the page
            job.failed = True
            self._report(
                "estimate", f"Internal error in the pose estimation ({type(e).__name__}: {one_line(e)})", e, bug=True
            )
        return None

    def _finish_frame_locked(self, job: _FrameJob, pose: Any) -> tuple[dict | None, tuple | None]:
        """Feed the pose to the set (lock held). Returns (payload to save, what to draw)."""
        session = job.session
        if session is None or self._session is not session or self._finished:
            return None, None  # the set was stopped or restarted while the model ran: this frame is not counted
        t = job.t
        try:
            events = session.update(t, pose)
        except Exception as e:  # a bug in a checker: logged with its traceback, one line on the page
            self._report_locked(
                "checker", f"Internal error in the exercise checker ({type(e).__name__}: {one_line(e)})", e, bug=True
            )
            return None, None
        if self._error_where in ("estimate", "checker"):  # a passing problem: the page stops showing it
            self._error = self._error_where = None
        self._frames += 1
        if pose is not None:
            self._frames_pose += 1
        if self._t and t > self._t:
            inst = 1.0 / (t - self._t)
            self._fps = inst if self._fps == 0 else 0.9 * self._fps + 0.1 * inst
        self._t = t
        important = False
        for ev in events:
            important = self._add_event_locked(ev) or important
        payload = None
        if important or self._last_save_t is None or t - self._last_save_t >= SAVE_EVERY_S:
            payload = self._payload_locked(finished=False)
            self._last_save_t = t
        self._publish_locked()
        drawing = (
            (session.last_frame, copy.copy(session.status), session.checker.key_landmarks()) if self.draw else None
        )
        return payload, drawing

    def _end_busy_locked(self, job: _FrameJob) -> Any:
        """The frame thread is done with the model: keep a newly loaded estimator, or hand back what to close."""
        self._busy = False
        new, job.new_estimator = job.new_estimator, None
        if new is not None:
            if self._release_estimator or self._closed:  # the set ended while the model was loading
                self._release_estimator = False
                return new
            self._estimator, self._estimator_key = new, job.model_key
        if self._release_estimator:
            self._release_estimator = False
            return self._detach_estimator_locked()
        return None

    # ---------------------------------------------------------------- internals (lock held)
    def _normalise_time(self, t_s: float | None) -> float | None:
        raw = time.monotonic() if t_s is None else float(t_s)
        if self._last_raw is not None and raw <= self._last_raw:
            if raw < self._last_raw - RESTART_JUMP_S:  # a new clock (stream restarted): continue after the old one
                self._offset = (self._last_raw + self._offset) - raw + 1.0 / 30.0
            else:
                return None  # a repeated or slightly older frame: skip it
        self._last_raw = raw
        if self._t0 is None:
            self._t0 = raw
        return raw + self._offset - self._t0

    def _start_locked(self, t: float) -> None:
        self._session = (self.session_factory or Session)(self._exercise)
        self._session.checker.limit_trace(self.trace_frames)
        spec = self._session.spec
        # chosen once per set, not per frame: (person mask, starting posture, self-check, fast path)
        self._set_pose = (
            bool(getattr(spec, "needs_segmentation", False)),
            spec.posture,
            _self_check(spec),
            live_fast(spec, self.fast),
        )
        self._last_session = self._session
        self._key = uuid.uuid4().hex
        self._started_at = datetime.now().astimezone().isoformat(timespec="seconds")
        self._finished = False
        self._stop_reason = None
        self._last_report = None
        self._events.clear()
        self._frames = self._frames_pose = self._dropped = 0
        self._meter.reset()
        self._latency = (None, None, None)
        self._over_budget_since = None
        self._last_save_t = None
        self._armed = False

    def _add_event_locked(self, ev: Any) -> bool:
        """Keep an event for the page; True when it is worth saving at once (a rep or a fault)."""
        self._seq += 1
        d = _event_dict(ev)
        d["seq"] = self._seq
        self._events.append(d)
        return d["type"] in ("rep", "fault")

    def _stop_locked(self, reason: str) -> dict | None:
        if self._session is None or self._finished:
            return None
        try:
            for ev in self._session.finish():
                self._add_event_locked(ev)
        except Exception as e:  # a bug in a checker's finish(): the set still ends and is saved
            self._report_locked(
                "checker", f"Internal error in the exercise checker ({type(e).__name__}: {one_line(e)})", e, bug=True
            )
        self._finished = True
        self._stop_reason = reason
        return self._payload_locked(finished=True)

    def _payload_locked(self, finished: bool) -> dict | None:
        if self._session is None or self._key is None:
            return None
        report = self._session.report("live", fps=round(self._fps, 1))
        self._last_report = report.to_dict()
        self._save_seq += 1
        return {
            "key": self._key,
            "seq": self._save_seq,
            "exercise": self._session.spec.id,
            "report": report,
            "meta": dict(self._meta),
            "stop_reason": self._stop_reason,
            "finished": finished,
            "started_at": self._started_at,
        }

    def _publish_locked(self) -> None:
        """Swap in a new snapshot of the current state (small: the report is the one last saved)."""
        session = self._session or self._last_session
        status = _status_dict(session.status) if session is not None else dict(self._idle)
        side_msg = None
        if session is not None and session.spec.dosage.per_side:
            side_msg = side_advice(status.get("reps_by_side", {}), session.spec.dosage.reps, status.get("side"))
        self._snap = LiveSnapshot(
            set_key=self._key if session is not None else None,
            exercise=self._exercise,
            status=status,
            events=list(self._events),
            event_seq=self._seq,
            frames=self._frames,
            frames_with_pose=self._frames_pose,
            dropped=self._dropped,
            fps=round(self._fps, 1),
            stream_t_s=self._t,
            active=self._session is not None and not self._finished,
            armed=self._armed,
            finished=self._finished,
            stop_reason=self._stop_reason,
            error=self._error,
            report=self._last_report,
            side_message=side_msg,
            meta=dict(self._meta),
            last_frame_wall=self._last_wall,
            latency_ms=self._latency[0],
            latency_p95_ms=self._latency[1],
            lag_p95_ms=self._latency[2],
            lost=self._meter.lost,
            model=str(self.model),
            model_note=self._model_note,
        )

    def _make_estimator(self, key: tuple) -> Any:
        """A pose estimator for ``key`` = (model, person mask, exercise posture, self-check, fast path):
        with several people in view it follows the one in the exercise's position; with the fast path,
        one-person tracking checked once a second against a fresh detection of everyone in view, whose
        self-check compares what the exercise reads (:func:`formcheck.media.pipeline.exercise_self_check`)."""
        if self._factory is not None:
            return self._factory()
        from formcheck.media.pose import CHECK_EVERY_S, PoseEstimator, SelfCheck

        model, segmentation, posture, self_check, fast = key
        return PoseEstimator(
            model,
            segmentation=segmentation,
            keep_mask=False,
            positions=(posture,),
            check_every_s=CHECK_EVERY_S if fast else 0.0,
            self_check=self_check or SelfCheck.BOTH_SIDES,
        )

    def estimator_counts(self) -> dict[str, int] | None:
        """How often each landmarker of the current pose estimator ran (``single``: one-person tracking,
        ``multi``: the detection of everyone in view) and how often the fast path's self-check disagreed;
        None without a MediaPipe estimator. Read by ``formcheck bench --live``; racy by design (no lock)."""
        est = self._estimator
        if est is None or not hasattr(est, "frames_multi"):
            return None
        return {
            "single": int(getattr(est, "frames_single", 0)),
            "multi": int(est.frames_multi),
            "disagreements": int(getattr(est, "disagreements", 0)),
        }

    def _detach_estimator_locked(self) -> Any:
        """Take the estimator away to be closed by the caller, outside the lock; while the frame
        thread is using it, it is closed by that thread when the frame is done instead."""
        if self._busy:
            self._release_estimator = True
            return None
        est, self._estimator, self._estimator_key = self._estimator, None, ()
        return est

    def _close(self, est: Any) -> None:
        if est is None:
            return
        try:
            est.close()
        except Exception:  # closing must not break the stream, but a failure is worth a look
            log.exception("closing the pose estimator failed")

    def _model_load_failed(self, key: tuple, e: Exception) -> None:
        """Report a model that cannot be loaded once; it is not tried again for every frame."""
        from formcheck.media.pose import ModelError

        expected = isinstance(e, (ModelError, *ESTIMATOR_ERRORS))
        msg = (
            "The pose model could not be loaded: " + one_line(e)
            if expected
            else f"Internal error while loading the pose model ({type(e).__name__}: {one_line(e)})"
        )
        with self._lock:
            self._model_failed = key
        self._report(
            "model",
            msg + ". Choose another model or press 'Start another set' to try again.",
            e,
            bug=not expected,
            level=logging.ERROR,
        )

    def _report(self, where: str, message: str, e: BaseException, bug: bool, level: int = logging.WARNING) -> None:
        with self._lock:
            self._report_locked(where, message, e, bug, level)

    def _report_locked(
        self, where: str, message: str, e: BaseException, bug: bool, level: int = logging.WARNING
    ) -> None:
        """Show ``message`` (one line) on the page; log it once per place and error type, a bug at
        ERROR with its traceback."""
        self._error, self._error_where = one_line(message), where
        self._publish_locked()
        kind = (where, type(e).__name__)
        if kind in self._logged:
            return
        self._logged.add(kind)
        if bug:
            log.error("live %s: %s", where, message, exc_info=e)
        else:
            log.log(level, "live %s: %s (further %s errors here are not logged)", where, message, type(e).__name__)

    def _draw(self, image_bgr: np.ndarray, pose: Any, status: Any, key_joints: Any) -> None:
        """Draw the overlay in place; an odd frame (size, coordinates) goes out plain, logged once."""
        import cv2

        from formcheck.media.overlay import draw_overlay

        try:
            draw_overlay(image_bgr, pose, status, key_joints=key_joints)
        except (cv2.error, ValueError, OverflowError) as e:
            if ("overlay", type(e).__name__) not in self._logged:
                self._logged.add(("overlay", type(e).__name__))
                log.warning("live overlay could not be drawn: %s", one_line(e))

    def _draw_idle(self, image_bgr: np.ndarray, status: Any) -> np.ndarray:
        if self.draw and status is not None:
            status.cue = self.idle_cue or "Set finished. Press 'Start another set' when you are ready."
            self._draw(image_bgr, None, status, None)
        return image_bgr

    def _save(self, payload: dict | None) -> None:
        """Hand ``payload`` to the saver (no lock held); a payload older than one already handed over is dropped."""
        if payload is None or self.saver is None:
            return
        with self._lock:
            if payload["seq"] <= self._saved_seq:
                log.debug("dropped a stale save (seq %d <= %d)", payload["seq"], self._saved_seq)
                return
            self._saved_seq = payload["seq"]
        try:
            self.saver(payload)
            if self._error_where == "save":
                with self._lock:
                    if self._error_where == "save":
                        self._error = self._error_where = None
                        self._publish_locked()
        except SAVE_ERRORS as e:
            self._report("save", "Could not save to the history: " + one_line(e), e, bug=False)
        except Exception as e:  # a bug in the saver: logged with its traceback
            self._report(
                "save", f"Could not save to the history (internal error {type(e).__name__}: {one_line(e)})", e, bug=True
            )


def live_caption(snap: LiveSnapshot) -> str:
    """The page's one-line caption under the video: frames analysed, frames per second, the
    per-frame time (95th percentile) and, when frames are being lost, how many."""
    parts = [f"Frames analysed: {snap.frames} · person seen in {snap.frames_with_pose}"]
    if snap.fps:
        parts.append(f"{snap.fps:.0f} frames/s")
    if snap.latency_p95_ms is not None:
        parts.append(f"{snap.latency_p95_ms:.0f} ms per frame (p95)")
    if snap.lost:
        parts.append(f"{snap.lost} frames skipped to keep up")
    if snap.model:
        parts.append(f"{snap.model} model")
    return " · ".join(parts)


def _status_dict(status: Any) -> dict:
    """A copy of a :class:`CheckerStatus` as a dict (its only container, ``reps_by_side``, copied too);
    the same as ``status.to_dict()`` without ``asdict``'s recursion, which would cost every frame."""
    d = dict(vars(status))
    d["reps_by_side"] = dict(d.get("reps_by_side") or {})
    return d


def _idle_status(exercise: str) -> dict:
    """The page's status before the first frame of a set."""
    from formcheck.core.exercise import ExerciseError, get_exercise

    try:
        spec = get_exercise(exercise)
    except ExerciseError:
        return {"exercise": exercise, "phase": "setup", "reps": 0, "good_reps": 0}
    return {
        "exercise": spec.id,
        "phase": "setup",
        "reps": 0,
        "good_reps": 0,
        "reps_by_side": {},
        "hold_s": 0.0,
        "target_hold_s": spec.dosage.hold_s,
        "target_reps": spec.dosage.reps,
        "side": "none",
        "cue": None,
        "setup_message": None,
        "pose_found": False,
    }


def one_line(e: BaseException | str) -> str:
    """The first line of an error's message (or its type's name): what a user is shown."""
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def live_fast(spec: Any, fast: bool | None = None) -> bool:
    """Whether a live set of ``spec`` runs the pose estimator's one-person fast path: ``fast`` True/False
    as asked, None the live default, on except for the exercises in :data:`LIVE_DETECTION_ONLY`; never for
    an exercise whose checker needs every frame (the pelvic tilt, see
    :func:`formcheck.media.pipeline.exercise_fast`). A spec that is not an exercise's (a stub): off."""
    from formcheck.media.pipeline import exercise_fast

    wanted = (getattr(spec, "id", None) not in LIVE_DETECTION_ONLY) if fast is None else bool(fast)
    try:
        return exercise_fast(spec, wanted)
    except Exception as e:  # a stub spec in tests, or a checker that cannot be loaded: the default path
        log.debug("fast path for %r: off (%s)", getattr(spec, "id", spec), e)
        return False


def _self_check(spec: Any) -> Any:
    """What the fast path's self-check compares for ``spec`` (None for a spec that is not an exercise's:
    the estimator's default, both sides)."""
    from formcheck.media.pipeline import exercise_self_check

    try:
        return exercise_self_check(spec)
    except Exception as e:  # a stub spec in tests, or a checker that cannot be loaded: the safe default
        log.debug("self-check of %r: both sides (%s)", getattr(spec, "id", spec), e)
        return None
