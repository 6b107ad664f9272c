"""Paced mode: formcheck leads each repetition at a steady tempo and the camera checks only what it
can see. Pure module.

Some movements are below what a side camera can see for a given person (a pelvic tilt moves the
hip landmark by less than its own jitter for many bodies: the checker then warns
``tilt_not_seen``). Counting them from the picture would be guessing. In paced mode the app
says "tilt … hold 5, 4, 3, 2, 1 … and relax", counts the repetitions it led, and uses the camera
for what it *can* see: the person is in position (lying on the back, side-on, whole body in
view), the hips stay down (a lifted hip turns a pelvic tilt into a bridge), and the person has
not left the mat. The pacing clock only runs while the person is in position; a repetition
interrupted by leaving the position is led again from its start.

- :func:`beat_at` — pacing time (seconds) → :class:`Beat` (phase, prompt, count, seconds left).
- :class:`PacedSet` — the pacing clock driven by camera observations (in position, hip height),
  producing rep, hold and fault events on video time.
- :class:`PacedSession` — a :class:`~formcheck.core.session.Session` whose count comes from the
  pacer: the live app can use it wherever it uses a Session.

Example:
    >>> from formcheck.core.pacer import Tempo, beat_at
    >>> b = beat_at(6.0, Tempo(hold_s=5.0, move_s=2.0, relax_s=3.0, ready_s=3.0), reps=10)
    >>> b.phase, b.rep, b.count, b.say
    ('hold', 1, 0, '4')
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from statistics import median

from formcheck.core.checker import CheckerStatus
from formcheck.core.events import Event, FaultEvent, HoldEvent, RepEvent, WarningEvent
from formcheck.core.exercise import ExerciseSpec
from formcheck.core.landmarks import PoseFrame
from formcheck.core.report import Report
from formcheck.core.session import Session
from formcheck.core.sides import best_side

#: Hips this much higher than at rest (torso lengths) is a lifted hip, unless the exercise says
#: otherwise (its ``hips_lift_frac`` threshold): about 4 cm on an adult, clearly off the floor.
HIP_LIFT_FRAC = 0.08
#: A lift this large (torso lengths) is a bridge rather than a small lift (``bridge_lift_frac``).
BRIDGE_LIFT_FRAC = 0.33
#: A lifted hip must last this long to be flagged (seconds): one noisy frame is not a lift.
LIFT_MIN_S = 0.3
#: Out of position this long (seconds) pauses the pacing; a rep in progress is led again.
AWAY_AFTER_S = 1.0


@dataclass(frozen=True)
class Tempo:
    """Seconds of each part of a paced repetition. ``ready_s``: the countdown before the first one."""

    hold_s: float = 5.0
    move_s: float = 2.0
    relax_s: float = 4.0
    ready_s: float = 3.0

    @property
    def rep_s(self) -> float:
        return self.move_s + self.hold_s + self.relax_s


#: What the coach says for each part, per exercise: (move into it, let go). Plain words.
WORDS: dict[str, tuple[str, str]] = {
    "pelvic_tilt": ("Tilt: tighten your tummy and press the small of your back into the floor", "And relax"),
    "bridge": ("Lift your hips into a straight line", "And lower slowly"),
    "bird_dog": ("Reach: one arm forward, the opposite leg back", "And back to all fours"),
    "knee_to_chest": ("Draw your knee gently towards your chest", "And lower your foot"),
}
SHORT_SAY = {"pelvic_tilt": "Tilt", "bridge": "Lift", "bird_dog": "Reach", "knee_to_chest": "Knee in"}


@dataclass(frozen=True)
class Beat:
    """Where the pacing is. ``phase``: ``ready``, ``move``, ``hold``, ``relax`` or ``done``;
    ``rep``: the repetition being led (1-based; 0 while getting ready); ``count``: repetitions
    completed; ``left_s``: seconds left in this phase; ``say``: the short word for the voice at
    this moment (it changes on every phase and every second of the hold); ``prompt``: the words
    shown on screen."""

    phase: str
    rep: int
    count: int
    left_s: float
    prompt: str
    say: str


def beat_at(t_s: float, tempo: Tempo, reps: int, exercise: str = "pelvic_tilt") -> Beat:
    """The beat ``t_s`` seconds of pacing time after the start (pure function of time)."""
    move_words, relax_words = WORDS.get(exercise, ("Move into the position", "And relax"))
    short = SHORT_SAY.get(exercise, "Go")
    t = max(0.0, float(t_s)) if math.isfinite(t_s) else 0.0
    if t < tempo.ready_s:
        left = tempo.ready_s - t
        return Beat(
            "ready",
            0,
            0,
            left,
            f"Get ready: the first one starts in {math.ceil(left)}",
            f"Get ready. {math.ceil(left)}" if left > tempo.ready_s - 1 else str(math.ceil(left)),
        )
    t -= tempo.ready_s
    n = int(t // tempo.rep_s)
    if n >= reps:
        return Beat("done", reps, reps, 0.0, "All done. Well done.", "All done")
    u = t - n * tempo.rep_s
    rep = n + 1
    if u < tempo.move_s:
        return Beat("move", rep, n, tempo.move_s - u, move_words, short)
    u -= tempo.move_s
    if u < tempo.hold_s:
        left = tempo.hold_s - u
        sec = math.ceil(left - 1e-9)
        return Beat(
            "hold", rep, n, left, f"Hold … {sec}", f"Hold {sec}" if sec == math.ceil(tempo.hold_s) else str(sec)
        )
    u -= tempo.hold_s
    return Beat("relax", rep, n + 1, tempo.relax_s - u, relax_words, relax_words)


def hip_height(frame: PoseFrame | None, previous_side: str | None = None) -> tuple[float | None, str | None]:
    """How far the hip sits below the shoulder in the picture, in torso lengths (image y down), on
    the best-seen side; it drops when the hips lift off the floor. (None, None) when not seen."""
    if frame is None:
        return None, None
    side = best_side(frame, ("shoulder", "hip"), previous=previous_side)
    if side is None:
        return None, None
    sh, hip = frame.px(f"{side}_shoulder"), frame.px(f"{side}_hip")
    torso = math.hypot(float(hip[0] - sh[0]), float(hip[1] - sh[1]))
    if not (1.0 < torso < 1e6):
        return None, side
    rel = float(hip[1] - sh[1]) / torso
    return (rel if math.isfinite(rel) else None), side


@dataclass
class PacedSet:
    """The pacing clock of one set, driven by what the camera sees.

    ``update(t_s, in_position, hip_rel)`` once per frame (video time, strictly increasing). The
    clock runs only while in position. ``watch_hips``: flag ``hips_lifted`` when the hips rise
    more than ``lift_frac`` torso lengths above their resting height (learnt while getting
    ready and during every relax). ``cue`` is the fault's cue text.
    """

    exercise: str
    reps: int
    tempo: Tempo = field(default_factory=Tempo)
    side: str = "none"
    watch_hips: bool = False
    lift_frac: float = HIP_LIFT_FRAC
    bridge_frac: float = BRIDGE_LIFT_FRAC
    cue: str = "Keep your bottom on the floor; the movement is only a small tip of the pelvis."

    def __post_init__(self) -> None:
        self.clock_s = 0.0
        self.started = False
        self.paused = False
        self.note: str | None = None  # what the camera saw that matters now (hips up, left the mat)
        self.rep_events: list[RepEvent] = []
        self.holds: list[HoldEvent] = []
        self.faults: list[FaultEvent] = []
        self._last_t: float | None = None
        self._away_since: float | None = None
        self._rest_hips: list[float] = []
        self._base_hip: float | None = None
        self._lift_since: float | None = None
        self._rep_faults: list[str] = []
        self._rep_start: float | None = None
        self._hold_start: float | None = None
        self._prev = beat_at(0.0, self.tempo, self.reps, self.exercise)

    @property
    def beat(self) -> Beat:
        return self._prev

    @property
    def count(self) -> int:
        return len(self.rep_events)

    @property
    def done(self) -> bool:
        return self._prev.phase == "done"

    def update(self, t_s: float, in_position: bool, hip_rel: float | None = None) -> list[Event]:
        """Advance by one frame; returns the events it produced (reps, holds, faults)."""
        dt = 0.0 if self._last_t is None else max(0.0, min(1.0, t_s - self._last_t))
        self._last_t = t_s
        events: list[Event] = []
        if self.done:
            return events
        if not in_position:
            self._away_since = t_s if self._away_since is None else self._away_since
            if self.started and t_s - self._away_since >= AWAY_AFTER_S and not self.paused:
                self.paused = True
                self.note = "Counting paused: lie back in the starting position, side-on to the camera."
                if self._prev.phase in ("move", "hold"):  # lead this rep again, after a moment to settle
                    rep = self._prev.rep
                    self.clock_s = (
                        0.0 if rep == 1 else self.tempo.ready_s + (rep - 1) * self.tempo.rep_s - self.tempo.relax_s
                    )
                    self._rep_faults, self._rep_start, self._hold_start = [], None, None
                self._prev = beat_at(self.clock_s, self.tempo, self.reps, self.exercise)
            return events
        self._away_since = None
        if self.paused:
            self.paused, self.note = False, None
        if not self.started:
            self.started, dt = True, 0.0
        self.clock_s += dt
        beat = beat_at(self.clock_s, self.tempo, self.reps, self.exercise)
        prev, self._prev = self._prev, beat
        if beat.phase == "move" and (prev.phase != "move" or prev.rep != beat.rep):
            self._rep_start, self._rep_faults = t_s, []
            if self._rest_hips:
                self._base_hip = median(self._rest_hips)
            self._rest_hips = []
        if beat.phase == "hold" and prev.phase != "hold":
            self._hold_start = t_s
        events += self._watch(t_s, beat, hip_rel)
        if beat.count > prev.count or (
            beat.phase == "done"
            and prev.phase != "done"
            and prev.phase in ("hold", "relax")
            and len(self.rep_events) < beat.count
        ):
            events += self._close_rep(t_s, prev.rep if prev.rep else beat.rep)
        return events

    def _watch(self, t_s: float, beat: Beat, hip_rel: float | None) -> list[Event]:
        if not self.watch_hips or hip_rel is None:
            self._lift_since = None
            return []
        if beat.phase in ("ready", "relax"):
            self._rest_hips.append(hip_rel)
            if self._base_hip is None and len(self._rest_hips) >= 5:
                self._base_hip = median(self._rest_hips)
        if self._base_hip is None:
            return []
        lift = self._base_hip - hip_rel
        if lift <= self.lift_frac:
            self._lift_since = None
            if self.note and self.note.startswith("Keep your hips"):
                self.note = None
            return []
        self._lift_since = t_s if self._lift_since is None else self._lift_since
        if t_s - self._lift_since < LIFT_MIN_S:
            return []
        self.note = (
            "Keep your hips down: lifting them high makes it a bridge."
            if lift >= self.bridge_frac
            else "Keep your hips on the floor."
        )
        if beat.phase not in ("move", "hold") or "hips_lifted" in self._rep_faults:
            return []
        self._rep_faults.append("hips_lifted")
        ev = FaultEvent("hips_lifted", t_s, beat.rep, self.cue, self.side)
        self.faults.append(ev)
        return [ev]

    def _close_rep(self, t_s: float, rep: int) -> list[Event]:
        start = self._rep_start if self._rep_start is not None else t_s - self.tempo.move_s - self.tempo.hold_s
        top = self._hold_start if self._hold_start is not None else start + self.tempo.move_s
        hold_end = min(t_s, top + self.tempo.hold_s)
        ev = RepEvent(
            index=len(self.rep_events) + 1,
            start_s=start,
            top_s=top,
            end_s=t_s,
            hold_s=hold_end - top,
            side=self.side,
            good=not self._rep_faults,
            faults=list(self._rep_faults),
        )
        hold = HoldEvent(top, hold_end, self.side, rep=ev.index)
        self.rep_events.append(ev)
        self.holds.append(hold)
        self._rep_faults, self._rep_start, self._hold_start = [], None, None
        return [ev, hold]


class PacedSession:
    """A Session whose repetitions are led by a :class:`PacedSet`; the checker still runs for
    what the camera can see (position, framing, people in view, leaving the picture).

    Same interface as :class:`Session` for the live processor: ``update``, ``finish``,
    ``report``, ``status``, ``spec``, ``checker``, ``last_frame``.
    """

    paced = True

    def __init__(self, spec: ExerciseSpec, side: str = "none", tempo: Tempo | None = None):
        self.inner = Session(spec)
        self.spec = self.inner.spec
        self.checker = self.inner.checker
        th = self.spec.thresholds
        watch = "hips_lifted" in self.spec.faults
        self.pacer = PacedSet(
            self.spec.id,
            int(self.spec.dosage.reps),
            tempo or Tempo(hold_s=float(self.spec.dosage.hold_s or 5.0)),
            side=side,
            watch_hips=watch,
            lift_frac=float(th.get("hips_lift_frac", HIP_LIFT_FRAC)),
            bridge_frac=float(th.get("bridge_lift_frac", BRIDGE_LIFT_FRAC)),
            cue=self.spec.cue("hips_lifted") if watch else "",
        )
        self._hip_side: str | None = None

    @property
    def last_frame(self) -> PoseFrame | None:
        return self.inner.last_frame

    @property
    def finished(self) -> bool:
        return self.inner.finished

    @property
    def status(self) -> CheckerStatus:
        """The checker's status with the pacer's count, phase, hold time and words."""
        st = dataclasses.replace(self.inner.status)
        p, beat = self.pacer, self.pacer.beat
        st.reps = p.count
        st.good_reps = sum(r.good for r in p.rep_events)
        st.reps_by_side = {p.side: p.count} if p.count else {}
        st.target_reps = p.reps
        st.target_hold_s = p.tempo.hold_s
        in_setup = self.inner.status.phase == "setup" or p.paused or not p.started
        if not in_setup:
            st.phase = {"move": "moving", "hold": "hold"}.get(beat.phase, "rest")
            st.hold_s = (p.tempo.hold_s - beat.left_s) if beat.phase == "hold" else 0.0
            st.cue = p.note or beat.prompt
            st.cue_code = "paced"
        else:
            st.phase = "setup"
            st.hold_s = 0.0
            st.setup_message = p.note or self.inner.status.setup_message or "Lie down in the starting position."
        st.paced = True
        st.paced_phase = beat.phase if not in_setup else "setup"
        st.paced_say = beat.say if not in_setup else None
        st.paced_rep = beat.rep
        st.paced_left_s = round(beat.left_s, 1)
        st.paced_note = p.note
        return st

    def update(self, t_s: float, frame: PoseFrame | None) -> list[Event]:
        events = self.inner.update(t_s, frame)
        t = self.inner.last_t if self.inner.last_t is not None else t_s
        hip, self._hip_side = hip_height(self.inner.last_frame, self._hip_side)
        in_position = frame is not None and self.checker.ready
        out = [e for e in events if isinstance(e, WarningEvent)]
        return out + self.pacer.update(t, in_position, hip)

    def finish(self) -> list[Event]:
        return [e for e in self.inner.finish() if isinstance(e, WarningEvent)]

    def report(self, source: str, fps: float, duration_s: float | None = None, model: str = "") -> Report:
        r = self.inner.report(source, fps, duration_s=duration_s, model=model)
        camera_reps = len(r.reps)
        keep = [w for w in r.warnings if w.code not in ("no_reps", "tilt_not_seen", "wrong_exercise", "other_movement")]
        note = WarningEvent(
            "paced",
            f"Paced set: formcheck led each repetition and timed the holds; the camera checked "
            f"that you stayed in position{' with your hips down' if self.pacer.watch_hips else ''}. "
            f"(Counting from the picture alone found {camera_reps}.)",
        )
        return dataclasses.replace(
            r,
            reps=list(self.pacer.rep_events),
            holds=list(self.pacer.holds),
            faults=list(self.pacer.faults),
            warnings=[note, *keep],
            target_reps=self.pacer.reps,
            target_hold_s=self.pacer.tempo.hold_s,
        )
