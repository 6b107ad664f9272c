"""A session: one stream of frames through smoothing and one exercise checker. Pure module.

Adds the recording-level warnings a checker cannot know about: nobody in view, several
people, the person leaving the frame.
"""

from __future__ import annotations

import logging

from .checker import ExerciseChecker
from .events import Event, WarningEvent
from .exercise import ExerciseSpec, get_exercise
from .landmarks import PoseFrame
from .report import Report
from .smoothing import LandmarkSmoother, OneEuroParams

log = logging.getLogger(__name__)

#: The person is reported as having left the frame after this many seconds unseen.
LEFT_FRAME_AFTER_S = 1.0


class Session:
    """Feeds :class:`PoseFrame` s (or ``None``) to a smoother and an exercise checker.

    Args:
        exercise: an exercise id/alias or an :class:`ExerciseSpec`.
        smoothing: One Euro parameters, or ``False`` to use raw landmarks.
    """

    def __init__(self, exercise: str | ExerciseSpec, smoothing: OneEuroParams | bool = True):
        self.spec = exercise if isinstance(exercise, ExerciseSpec) else get_exercise(exercise)
        self.checker: ExerciseChecker = self.spec.make_checker()
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
        """One frame at video time ``t_s`` seconds. Returns the events it produced."""
        if self.last_t is not None and t_s <= self.last_t:
            return []
        events: list[Event] = []
        self.frames += 1
        self.first_t = t_s if self.first_t is None else self.first_t
        self.last_t = t_s
        if frame is not None:
            self.frames_with_pose += 1
            if frame.num_people > 1:
                events += self._warn("multiple_people", "More than one person was in view; formcheck followed the person doing the exercise and kept counting.", t_s)
            if self._away_reported:
                self._away_reported = False
            self._last_seen_t = t_s
            if self.smoother is not None:
                frame = self.smoother(frame)
        elif self._last_seen_t is not None and not self._away_reported and t_s - self._last_seen_t >= LEFT_FRAME_AFTER_S:
            self._away_reported = True
            events += self._warn("left_frame", "You left the picture for a while; counting paused until you came back.", t_s, once=False)
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
        events += self.checker.finish()
        return events

    def report(self, source: str, fps: float, duration_s: float | None = None, model: str = "") -> Report:
        """The report so far (call :meth:`finish` first for a complete one)."""
        c = self.checker
        if duration_s is None:
            duration_s = 0.0 if self.first_t is None else (self.last_t - self.first_t) + (1.0 / fps if fps else 0.0)
        return Report(
            exercise=self.spec.id, source=source, duration_s=duration_s, fps=fps, frames=self.frames,
            frames_with_pose=self.frames_with_pose, reps=list(c.reps), holds=list(c.holds), faults=list(c.faults),
            warnings=self.warnings + c.warnings, target_reps=self.spec.dosage.reps, target_hold_s=self.spec.dosage.hold_s,
            model=model, trace=list(c.trace), key_angle_name=self.spec.key_angle_name,
        )
