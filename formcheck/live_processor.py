"""The live-webcam frame processor behind the app's guided session (no Streamlit import).

streamlit-webrtc calls :meth:`LiveProcessor.callback` (or :meth:`LiveProcessor.process`) from its
worker thread for every webcam frame; the Streamlit script polls :meth:`LiveProcessor.snapshot`.
A lock guards everything shared between the two threads.

Frames are timed by their own timestamps (``av.VideoFrame.time``), never by the wall clock or by
counting frames, so dropped frames do not disturb rep and hold timing. The pose estimator is
created lazily in the worker thread (one per stream) and closed when the set or stream ends.

A *set* starts with the first frame after :meth:`arm` and ends with :meth:`stop` (the person's
choice, the "this hurts" button, a change of exercise) or :meth:`end_stream` (camera stopped).
While a set runs, ``saver(payload)`` is called on every new rep or fault, every
:data:`SAVE_EVERY_S` seconds of stream time and when the set ends, so the history holds what was
done even if the browser tab is closed.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

import numpy as np

from .events import FaultEvent, HoldEvent, RepEvent, WarningEvent
from .session import Session

log = logging.getLogger(__name__)

#: Save the running set at least this often (seconds of stream time).
SAVE_EVERY_S = 5.0
#: A timestamp this far behind the previous one means the stream restarted (new clock).
RESTART_JUMP_S = 1.0
#: How many recent events a snapshot carries.
RECENT_EVENTS = 30

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


@dataclass
class LiveSnapshot:
    """A copy of the live state for the page; safe to read without the lock."""

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

    @property
    def reps(self) -> int:
        return int(self.status.get("reps", 0))


def _event_dict(ev: Any) -> dict:
    kind = {RepEvent: "rep", HoldEvent: "hold", FaultEvent: "fault", WarningEvent: "warning"}.get(type(ev), "event")
    d = ev.to_dict() if hasattr(ev, "to_dict") else {}
    d["type"] = kind
    return d


class LiveProcessor:
    """Lock-guarded bridge between webrtc's frame thread and the Streamlit script.

    Args:
        exercise: exercise id for the first set.
        model: pose model (``"lite"``/``"full"``/path) used when ``estimator_factory`` is None.
        estimator_factory: makes the pose estimator (tests pass a scripted fake).
        saver: called with a payload dict ``{key, exercise, report, meta, stop_reason, finished,
            started_at}`` as the set progresses (from the worker thread, or the caller of stop()).
        draw: draw the overlay on the frames (default True).
    """

    def __init__(self, exercise: str, model: str = "full", estimator_factory: EstimatorFactory | None = None,
                 saver: Saver | None = None, draw: bool = True, meta: dict | None = None) -> None:
        self._lock = threading.RLock()
        self.model = model
        self._factory = estimator_factory
        self.saver = saver
        self.draw = draw
        self._estimator: Any = None
        self._exercise = exercise
        self._meta: dict = dict(meta or {})
        self._armed = True
        self._session: Session | None = None
        self._last_session: Session | None = None
        self._key: str | None = None
        self._started_at: str | None = None
        self._finished = False
        self._stop_reason: str | None = None
        self._error: str | None = None
        self._events: deque[dict] = deque(maxlen=RECENT_EVENTS)
        self._seq = 0
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

    # ---------------------------------------------------------------- control (script thread)
    @property
    def exercise(self) -> str:
        with self._lock:
            return self._exercise

    def arm(self, exercise: str | None = None, meta: dict | None = None) -> None:
        """Prepare the next set: it starts with the next frame. A set in progress is stopped first
        (reason "exercise changed" when the exercise differs, else "restarted")."""
        payload = None
        with self._lock:
            new_ex = exercise or self._exercise
            if self._session is not None and not self._finished:
                payload = self._stop_locked("exercise changed" if new_ex != self._exercise else "restarted")
            self._exercise = new_ex
            if meta is not None:
                self._meta = dict(meta)
            self._armed = True
            self._session = self._last_session = None  # the page's counter starts again
            self._finished = False
            self._stop_reason = None
            self._error = None
            self._events.clear()
        self._save(payload)

    def set_meta(self, **meta: Any) -> None:
        """Update the metadata (e.g. ``pain_before``) of the next set and of the running one."""
        with self._lock:
            self._meta.update(meta)

    def stop(self, reason: str = "finished") -> bool:
        """End the running set (and save it). Returns False if no set was running."""
        with self._lock:
            if self._session is None or self._finished:
                self._armed = False
                return False
            payload = self._stop_locked(reason)
            self._armed = False
        self._save(payload)
        return True

    def end_stream(self, reason: str = "camera stopped") -> None:
        """The webcam stream ended: finish the set, release the estimator, arm a new set for the next stream."""
        with self._lock:
            payload = self._stop_locked(reason) if (self._session is not None and not self._finished) else None
            self._close_estimator()
            self._last_raw, self._t0, self._offset = None, None, 0.0
            self._armed = True
        self._save(payload)

    def close(self) -> None:
        """Stop everything for good (idempotent)."""
        with self._lock:
            payload = self._stop_locked("closed") if (self._session is not None and not self._finished) else None
            self._close_estimator()
            self._closed = True
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
        """Run one frame at stream time ``t_s`` (seconds; None → wall clock) and return it annotated."""
        payload = None
        with self._lock:
            if self._closed:
                return image_bgr
            t = self._normalise_time(t_s)
            if t is None:
                self._dropped += 1
                return image_bgr
            self._last_wall = time.monotonic()
            if self._session is None or self._finished:
                if not self._armed:
                    return self._draw_idle(image_bgr)
                self._start_locked(t)
            session = self._session
            try:
                need_seg = bool(getattr(session.spec, "needs_segmentation", False))
                if (self._estimator is not None and self._factory is None
                        and getattr(self._estimator, "segmentation", need_seg) != need_seg):
                    self._close_estimator()  # this exercise needs (or no longer needs) the person mask
                if self._estimator is None:
                    self._estimator = self._make_estimator(need_seg)
                pose = self._estimator.detect(image_bgr, t)
            except Exception as e:  # a model problem must not kill the stream; the page shows it
                self._error = one_line(e)
                log.warning("live pose estimation failed: %s", self._error)
                return image_bgr
            events = session.update(t, pose)
            self._frames += 1
            if pose is not None:
                self._frames_pose += 1
            if self._t and t > self._t:
                inst = 1.0 / (t - self._t)
                self._fps = inst if self._fps == 0 else 0.9 * self._fps + 0.1 * inst
            self._t = t
            important = False
            for ev in events:
                self._seq += 1
                d = _event_dict(ev)
                d["seq"] = self._seq
                self._events.append(d)
                important = important or d["type"] in ("rep", "fault")
            if important or self._last_save_t is None or t - self._last_save_t >= SAVE_EVERY_S:
                payload = self._payload_locked(finished=False)
                self._last_save_t = t
            if self.draw:
                try:
                    from .overlay import draw_overlay

                    draw_overlay(image_bgr, session.last_frame, session.status, key_joints=session.checker.key_landmarks())
                except Exception as e:  # drawing is cosmetic
                    log.debug("overlay failed: %s", e)
        self._save(payload)
        return image_bgr

    # ---------------------------------------------------------------- reading (script thread)
    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            session = self._session or self._last_session
            if session is not None:
                status = copy.deepcopy(session.status.to_dict())
                report = session.report("live", fps=round(self._fps, 1)).to_dict()
            else:
                from .exercise import get_exercise

                try:
                    spec = get_exercise(self._exercise)
                    status = {"exercise": spec.id, "phase": "setup", "reps": 0, "good_reps": 0, "reps_by_side": {},
                              "hold_s": 0.0, "target_hold_s": spec.dosage.hold_s, "target_reps": spec.dosage.reps,
                              "side": "none", "cue": None, "setup_message": None, "pose_found": False}
                except Exception:
                    status = {"exercise": self._exercise, "phase": "setup", "reps": 0, "good_reps": 0}
                report = None
            side_msg = None
            if session is not None and session.spec.dosage.per_side:
                side_msg = side_advice(status.get("reps_by_side", {}), session.spec.dosage.reps, status.get("side"))
            return LiveSnapshot(
                set_key=self._key if session is not None else None, exercise=self._exercise, status=status,
                events=list(self._events), event_seq=self._seq, frames=self._frames, frames_with_pose=self._frames_pose,
                dropped=self._dropped, fps=round(self._fps, 1), stream_t_s=self._t,
                active=self._session is not None and not self._finished, armed=self._armed,
                finished=self._finished, stop_reason=self._stop_reason, error=self._error, report=report,
                side_message=side_msg, meta=dict(self._meta), last_frame_wall=self._last_wall,
            )

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
        self._session = Session(self._exercise)
        self._last_session = self._session
        self._key = uuid.uuid4().hex
        self._started_at = datetime.now().astimezone().isoformat(timespec="seconds")
        self._finished = False
        self._stop_reason = None
        self._events.clear()
        self._frames = self._frames_pose = self._dropped = 0
        self._last_save_t = None
        self._armed = False

    def _stop_locked(self, reason: str) -> dict | None:
        if self._session is None or self._finished:
            return None
        try:
            for ev in self._session.finish():
                self._seq += 1
                d = _event_dict(ev)
                d["seq"] = self._seq
                self._events.append(d)
        except Exception as e:  # pragma: no cover - defensive
            self._error = one_line(e)
        self._finished = True
        self._stop_reason = reason
        self._close_estimator()
        return self._payload_locked(finished=True)

    def _payload_locked(self, finished: bool) -> dict | None:
        if self._session is None or self._key is None:
            return None
        return {"key": self._key, "exercise": self._session.spec.id,
                "report": self._session.report("live", fps=round(self._fps, 1)), "meta": dict(self._meta),
                "stop_reason": self._stop_reason, "finished": finished, "started_at": self._started_at}

    def _make_estimator(self, segmentation: bool = False) -> Any:
        if self._factory is not None:
            return self._factory()
        from .pose import PoseEstimator

        return PoseEstimator(self.model, segmentation=segmentation, keep_mask=False)

    def _close_estimator(self) -> None:
        est, self._estimator = self._estimator, None
        if est is not None:
            try:
                est.close()
            except Exception as e:  # pragma: no cover
                log.debug("closing estimator: %s", e)

    def _draw_idle(self, image_bgr: np.ndarray) -> np.ndarray:
        if self.draw and self._last_session is not None:
            try:
                from .overlay import draw_overlay

                status = copy.copy(self._last_session.status)
                status.cue = "Set finished. Press 'Start another set' when you are ready."
                draw_overlay(image_bgr, None, status)
            except Exception:  # pragma: no cover
                pass
        return image_bgr

    def _save(self, payload: dict | None) -> None:
        if payload is None or self.saver is None:
            return
        try:
            self.saver(payload)
        except Exception as e:
            with self._lock:
                self._error = "Could not save to the history: " + one_line(e)
            log.warning("saving the live set failed: %s", e)


def one_line(e: BaseException) -> str:
    """The first line of an error's message (or its type's name): what a user is shown."""
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
