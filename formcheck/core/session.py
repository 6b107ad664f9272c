"""A session: one stream of frames through smoothing and one exercise checker. Pure module.

Adds the recording-level warnings a checker cannot know about: nobody in view, several
people, the person leaving the frame, timestamps that went backwards.

Time: checkers need strictly increasing, finite timestamps. A frame whose time is not finite,
repeats, or goes backwards (two recordings joined, a camera clock reset) is re-timed here to
follow on from the previous frame, so nothing is dropped, and the report warns
``timestamps_reset`` with how many frames were re-timed.
"""

from __future__ import annotations

import dataclasses
import logging
import math

from formcheck.core.checker import ExerciseChecker
from formcheck.core.events import Event, WarningEvent
from formcheck.core.exercise import ExerciseSpec, get_exercise
from formcheck.core.landmarks import PoseFrame
from formcheck.core.report import Report
from formcheck.core.smoothing import LandmarkSmoother, OneEuroParams

log = logging.getLogger(__name__)

#: The person is reported as having left the frame after this many seconds unseen.
LEFT_FRAME_AFTER_S = 1.0
#: Timestamps beyond this many seconds (about 31 years) are treated as broken, like NaN.
MAX_TIME_S = 1e9
#: Frame interval assumed before two good frames give one (seconds; 30 fps).
DEFAULT_FRAME_S = 1 / 30
#: A re-timed frame follows the previous one by the last interval, kept within these bounds (s).
MIN_FRAME_S, MAX_FRAME_S = 0.001, 1.0


class Retimer:
    """Makes a stream's timestamps finite and strictly increasing, dropping nothing.

    A backwards jump starts a new segment: that frame and every later one are shifted to follow
    on by one frame interval. A repeated, slightly-early or non-finite time is moved just after
    the previous frame. ``retimed`` counts the frames whose time was changed.
    """

    def __init__(self) -> None:
        self.offset_s = 0.0
        self.last_t: float | None = None
        self.step_s = DEFAULT_FRAME_S
        self.retimed = 0

    def __call__(self, t_s: float) -> float:
        """The time (seconds) to use for a frame stamped ``t_s``."""
        try:
            raw = float(t_s)
        except (TypeError, ValueError):
            raw = math.nan
        ok = math.isfinite(raw) and abs(raw) <= MAX_TIME_S
        t = raw + self.offset_s if ok else math.nan
        last = self.last_t
        if last is None:
            if not ok:
                self.retimed += 1
                t = 0.0
        elif not ok:
            self.retimed += 1
            t = last + self.step_s
        elif t <= last:
            self.retimed += 1
            if last - t > 2 * self.step_s:  # a real jump back: a new segment, later frames follow on
                self.offset_s += last + self.step_s - t
                t = last + self.step_s
            else:  # a repeat or jitter: this frame only
                t = last + min(self.step_s, MIN_FRAME_S)
        else:
            if self.offset_s:
                self.retimed += 1
            self.step_s = min(MAX_FRAME_S, max(MIN_FRAME_S, t - last))
        self.last_t = t
        return t


class Session:
    """Feeds :class:`PoseFrame` s (or ``None``) to a smoother and an exercise checker.

    Args:
        exercise: an exercise id/alias or an :class:`ExerciseSpec`.
        smoothing: One Euro parameters, or ``False`` to use raw landmarks.
        offline: the frames come from a file (not a live camera): the checker may look back at
            frames seen before it learnt the resting position and count them.
    """

    def __init__(self, exercise: str | ExerciseSpec, smoothing: OneEuroParams | bool = True, offline: bool = False):
        self.spec = exercise if isinstance(exercise, ExerciseSpec) else get_exercise(exercise)
        self.checker: ExerciseChecker = self.spec.make_checker()
        self.checker.offline = offline  # a file: frames before calibration are replayed, nothing is lost
        params = smoothing if isinstance(smoothing, OneEuroParams) else None
        self.smoother = LandmarkSmoother(params) if smoothing is not False else None
        self.frames = 0
        self.frames_with_pose = 0
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.warnings: list[WarningEvent] = []
        self._warned: set[str] = set()
        self._last_seen_t: float | None = None
        self._away_reported = False
        self.last_frame: PoseFrame | None = None
        self.finished = False
        self._retimer = Retimer()

    @property
    def retimed_frames(self) -> int:
        """How many frames were re-timed because their timestamp was broken or went backwards."""
        return self._retimer.retimed

    @property
    def status(self):
        return self.checker.status

    def _warn(self, code: str, message: str, t_s: float | None, once: bool = True) -> list[Event]:
        if once and code in self._warned:
            return []
        self._warned.add(code)
        w = WarningEvent(code, message, t_s)
        self.warnings.append(w)
        return [w]

    def update(self, t_s: float, frame: PoseFrame | None) -> list[Event]:
        """One frame at video time ``t_s`` seconds. Returns the events it produced.

        Every frame is used: broken or backwards times are re-timed first (see :class:`Retimer`),
        so ``last_t`` and all reported times are on the re-timed clock."""
        t_new = self._retimer(t_s)
        if t_new != t_s:
            t_s = t_new
            if frame is not None:
                frame = dataclasses.replace(frame, t_s=t_s)
        events: list[Event] = []
        self.frames += 1
        self.first_t = t_s if self.first_t is None else self.first_t
        self.last_t = t_s
        if frame is not None:
            self.frames_with_pose += 1
            if frame.num_people > 1:
                events += self._warn(
                    "multiple_people",
                    "More than one person was in view; formcheck followed the person doing the exercise and kept counting.",
                    t_s,
                )
            if self._away_reported:
                self._away_reported = False
            self._last_seen_t = t_s
            if self.smoother is not None:
                frame = self.smoother(frame)
        elif (
            self._last_seen_t is not None and not self._away_reported and t_s - self._last_seen_t >= LEFT_FRAME_AFTER_S
        ):
            self._away_reported = True
            events += self._warn(
                "left_frame", "You left the picture for a while; counting paused until you came back.", t_s, once=False
            )
        self.last_frame = frame
        events += self.checker.update(t_s, frame)
        return events

    def finish(self) -> list[Event]:
        """End of the stream (call once)."""
        if self.finished:
            return []
        self.finished = True
        events: list[Event] = []
        if self.frames and self.frames_with_pose == 0:
            events += self._warn("no_person", "No person was found in the video.", None)
        if self.retimed_frames:
            n = self.retimed_frames
            events += self._warn(
                "timestamps_reset",
                f"The video's timestamps went backwards, repeated or were missing "
                f"in {n} frame{'s' if n != 1 else ''} (for example two recordings joined together); "
                "formcheck re-timed them to follow on and analysed every frame.",
                None,
            )
        events += self.checker.finish()
        return events

    def report(self, source: str, fps: float, duration_s: float | None = None, model: str = "") -> Report:
        """The report so far (call :meth:`finish` first for a complete one)."""
        c = self.checker
        fps = fps if isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0 else 0.0
        if duration_s is None or not math.isfinite(duration_s) or duration_s < 0:
            first, last = self.first_t, self.last_t
            duration_s = 0.0 if first is None or last is None else (last - first) + (1.0 / fps if fps else 0.0)
        return Report(
            exercise=self.spec.id,
            source=source,
            duration_s=duration_s,
            fps=fps,
            frames=self.frames,
            frames_with_pose=self.frames_with_pose,
            reps=list(c.reps),
            holds=list(c.holds),
            faults=list(c.faults),
            warnings=self.warnings + c.warnings,
            target_reps=self.spec.dosage.reps,
            target_hold_s=self.spec.dosage.hold_s,
            model=model,
            trace=list(c.trace),
            key_angle_name=self.spec.key_angle_name,
        )
