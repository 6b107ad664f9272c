"""The checker base class: landmarks in, events out. Pure module.

An exercise's checker subclasses :class:`ExerciseChecker` and implements

- :meth:`~ExerciseChecker.measure` — one frame's :class:`Measurement` (the activation signal
  for the rep/hold machine, the key angle to show, the side, extra values);
- :meth:`~ExerciseChecker.frame_faults` — fault codes visible in this frame (the base class
  emits a fault once per rep when it persists for the fault's ``min_duration_s``);
- :meth:`~ExerciseChecker.rep_faults` — fault codes judged when a rep ends;
- optionally :meth:`~ExerciseChecker.rep_thresholds` (thresholds relative to :attr:`rest`),
  :meth:`~ExerciseChecker.on_rest_sample` (follow resting values between reps),
  :meth:`~ExerciseChecker.looks_like` (a finished movement that is really another exercise
  is not counted; the checker then says which exercise it looked like) and
  :meth:`~ExerciseChecker.rep_variant` (an easier form the guide allows, reported);
- the calibration hooks: :meth:`~ExerciseChecker.calibration_value` (what is learnt at rest),
  :meth:`~ExerciseChecker.accept_rest` (is a still moment a resting position?),
  :meth:`~ExerciseChecker.on_calibrated`, :meth:`~ExerciseChecker.remeasure` and
  :meth:`~ExerciseChecker.rest_from_clip`.

Self-calibration is the base class's: once the person is in position, nothing is counted until
a still moment of ``calibrate_s`` seconds (spread within ``calibrate_still``) teaches the resting
level and its jitter (:attr:`rest`, phase ``"calibrating"``); every later still moment at rest
re-learns it. With :attr:`offline` (a file), frames seen before that are replayed once it is
known, and a clip with no still moment learns its rest from its most rested quarter.

Everything else — the set-up gate (posture, view, framing), the rep/hold machine on video
time, holds, sides, pacing of cues, per-side counts, the status for the overlay — lives here.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from dataclasses import dataclass, field

from formcheck.core.calibration import RestEstimate, StillWindow, robust_rest
from formcheck.core.events import (
    CheckerStatus,
    Event,
    FaultEvent,
    HoldEvent,
    RepEvent,
    WarningEvent,
)
from formcheck.core.exercise import ExerciseSpec
from formcheck.core.landmarks import PoseFrame
from formcheck.core.posture import (
    POSTURE_WORDS,
    check_framing,
    classify_posture,
    facing_side,
)
from formcheck.core.reps import MachineUpdate, RepHoldMachine, RepRecord, RepThresholds

log = logging.getLogger(__name__)

#: Seconds the right posture and framing must last before counting starts.
READY_AFTER_S = 0.5
#: Seconds of wrong posture (while at rest) before the checker goes back to set-up.
UNREADY_AFTER_S = 2.0
#: Seconds a cue stays on screen at least, and the pause before another cue may replace it.
CUE_MIN_S = 2.5
#: Seconds of stillness in position that teach the checker the person's resting level (default).
CALIBRATE_S = 1.0
#: Files: the most seconds of frames kept while waiting for a still resting period; then the rest
#: is learnt from the frames kept (their most rested quarter) and counting goes on.
PENDING_MAX_S = 120.0
#: A different posture (or none) read for less than this many seconds between two readings of the
#: exercise's own posture is the pose model losing the body for a moment, not the person moving:
#: nobody gets up and lies down again within two seconds.
POSTURE_FLICKER_S = 2.0
#: Tracking is called unsteady when such flickers come at least this often (per minute in view),
#: at least UNSTEADY_MIN_FLICKERS times, and other postures fill at least UNSTEADY_SHARE of the frames
#: (counted from the first reading of the exercise's posture: getting into position is not a flicker);
UNSTEADY_FLICKERS_PER_MIN = 6.0
UNSTEADY_MIN_FLICKERS = 5
UNSTEADY_SHARE = 0.1
#: ...or when other postures fill at least UNSTEADY_LONG_SHARE of those frames, in stretches of any
#: length that went back to the exercise's posture at least UNSTEADY_MIN_RETURNS times (a person
#: doing one floor exercise does not keep changing position; the model misreads the body).
UNSTEADY_LONG_SHARE = 0.3
UNSTEADY_MIN_RETURNS = 2
#: ...or, when nothing was counted, when the model found the person in under UNSTEADY_FOUND_SHARE of the
#: frames after it first found them and lost and found them again at least UNSTEADY_MIN_REFOUND times
#: (someone who walks off once is "left the picture"; a body found a moment at a time, and then often in
#: another position, is a view the model cannot follow, not a wrong exercise).
UNSTEADY_FOUND_SHARE = 0.5
UNSTEADY_MIN_REFOUND = 3
#: Live: once this many flickers came within the last UNSTEADY_LIVE_WINDOW_S seconds, a misread posture
#: is shown as the camera's problem (what to change), not as "get into position".
UNSTEADY_LIVE_FLICKERS = 3
UNSTEADY_LIVE_WINDOW_S = 60.0
UNSTEADY_LIVE_MESSAGE = (
    "The camera keeps losing your position: film your side, 2 to 3 metres away, with your whole body in view."
)
UNSTEADY_FOUND_MESSAGE = (
    "The pose model found you in only {share:.0%} of the frames from this camera, losing you {n} times, "
    "so nothing could be counted reliably. "
    "Film your side, within about 45 degrees of side-on, 2 to 3 metres away, with your whole body "
    "in the picture, good light and a plain background."
)
UNSTEADY_MESSAGE = (
    "The pose model kept losing your position from this camera (it read you in another position, or "
    "none, {n} times, {share:.0%} of the time), so the count is unreliable. "
    "Film your side, within about 45 degrees of side-on, 2 to 3 metres away, with your whole body "
    "in the picture, good light and a plain background."
)
TURN_CAMERA_MESSAGE = "Turn the camera (or yourself) so it sees you from the side, within about 45 degrees of side-on."
CALIBRATING_MESSAGE = "Keep still for a moment in the starting position: learning your resting position."


@dataclass
class Measurement:
    """One frame as an exercise sees it.

    Attributes:
        value: activation for the rep/hold machine (higher = further into the movement), or
            ``None`` when the needed joints are not visible in this frame.
        angle_deg: the exercise's key angle for display (degrees), or ``None``.
        side: ``"left"``, ``"right"``, ``"both"`` or ``"none"`` — who is moving.
        extras: other named values (degrees, normalised units) for fault rules and plots.
        unjudged: things that could not be judged in this frame, as short plain phrases.
    """

    value: float | None
    angle_deg: float | None = None
    side: str = "none"
    extras: dict[str, float] = field(default_factory=dict)
    unjudged: tuple[str, ...] = ()


@dataclass
class Sample:
    """A measured frame kept while a rep is in progress."""

    t_s: float
    m: Measurement
    phase: str


class ExerciseChecker:
    """Base class; see the module docstring. One instance per stream of frames."""

    #: landmark triple (names without side prefix) whose angle the overlay draws, e.g. ("shoulder", "hip", "knee").
    key_joints: tuple[str, str, str] | None = None
    #: the body side the checker measured last (``"left"``/``"right"``), set by ``measure``.
    measured_side: str | None = None

    def key_landmarks(self) -> tuple[str, str, str] | None:
        """Full landmark names of the key angle on the side being measured, for the overlay."""
        if self.key_joints is None:
            return None
        side = self.measured_side or "left"
        a, b, c = (f"{side}_{j}" for j in self.key_joints)
        return a, b, c

    def __init__(self, spec: ExerciseSpec):
        self.spec = spec
        #: files: the whole clip is at hand, so frames seen before calibration are replayed after it
        self.offline = False
        #: the person's resting level of :meth:`calibration_value` (None until learnt)
        self.rest: RestEstimate | None = None
        th = spec.thresholds
        self._still = StillWindow(float(th.get("calibrate_s", CALIBRATE_S)), float(th.get("calibrate_still", 1e9)))
        self._pending: deque[tuple[float, Measurement | None]] = deque()
        self._recent_values: deque[tuple[float, float]] = deque()
        self.machine = RepHoldMachine(self.rep_thresholds(), **self.machine_options())
        self.status = CheckerStatus(
            exercise=spec.id,
            target_hold_s=spec.dosage.hold_s,
            target_reps=spec.dosage.reps,
            key_angle_name=spec.key_angle_name,
        )
        self.reps: list[RepEvent] = []
        self.holds: list[HoldEvent] = []
        self.faults: list[FaultEvent] = []
        self.warnings: list[WarningEvent] = []
        self.unjudged: Counter[str] = Counter()
        self.postures: Counter[str] = Counter()
        self.lookalikes: Counter[str] = Counter()  # other exercises' movements seen (not counted)
        self._rearm = False  # a rep was lost to a tracking gap: wait for rest before the next one
        self._front_frames = 0  # frames seen from the front / head / feet end (too far off the side view)
        self.posture_flickers = 0  # brief readings of another posture between readings of the exercise's own
        self._flicker_times: deque[float] = deque()  # when the recent flickers ended (live message)
        self.posture_returns = 0  # readings of another posture, of any length, between readings of the exercise's own
        self._frames_since_own = 0  # frames with a person since the exercise's posture was first read
        self._other_since_own = 0  # ...of which read as another posture (or none)
        self._away_since: float | None = None  # when the posture last stopped being the exercise's own
        self._seen_own_posture = False
        self._in_view_s = 0.0  # seconds with a person in view
        self._frames_since_found = 0  # frames since a person was first found...
        self._found_frames = 0  # ...of which with a person
        self._refound = 0  # times the person was found again after a frame without them
        self._lost = False
        self._last_seen_t: float | None = None
        self._measure_errors_logged: set[type] = set()  # measure() error kinds already logged
        self.ready = False
        self.ever_ready = False
        self._ready_since: float | None = None
        self._unready_since: float | None = None
        self._samples: list[Sample] = []
        self._rep_fault_codes: list[str] = []
        self._active_since: dict[str, float] = {}
        self._cue_since = -1e9
        self._last_t: float | None = None
        #: (t_s, key angle, activation) per frame, for plots; bounded with :meth:`limit_trace` for live use
        self.trace: deque[tuple[float, float | None, float | None]] = deque()

    def limit_trace(self, max_frames: int) -> None:
        """Keep only the last ``max_frames`` frames of :attr:`trace` (a long live session must not grow)."""
        self.trace = deque(self.trace, maxlen=max(1, int(max_frames)))

    # ---------------------------------------------------------------- hooks for subclasses
    def rep_thresholds(self) -> RepThresholds:
        """Activation thresholds for the machine; default reads them from the spec."""
        t = self.spec.threshold
        return RepThresholds(t("rest_enter"), t("rest_exit"), t("attempt"), t("top_exit"), t("top_enter"))

    def machine_options(self) -> dict:
        th = self.spec.thresholds
        keys = (
            "min_rep_s",
            "hold_dropout_s",
            "max_gap_s",
            "still_speed",
            "speed_window_s",
            "end_share_of_peak",
            "hold_exit_share",
            "release_share_of_hold",
        )
        return {k: float(th[k]) for k in keys if k in th}

    def measure(self, frame: PoseFrame) -> Measurement:  # pragma: no cover - abstract
        raise NotImplementedError

    def frame_faults(self, sample: Sample) -> list[str]:
        """Fault codes visible in this frame of a rep in progress."""
        return []

    def rep_faults(self, rep: RepRecord, samples: list[Sample]) -> list[str]:
        """Fault codes judged on a finished rep. Default: ``hold_too_short`` if defined."""
        faults = []
        # for hold exercises (kind "hold") every counted rep is a hold, even one that never reached the top
        judged = rep.reached_top or self.spec.kind == "hold"
        if "hold_too_short" in self.spec.faults and judged and rep.hold_s < self.spec.dosage.min_hold_s:
            faults.append("hold_too_short")
        return faults

    def looks_like(self, rep: RepRecord, samples: list[Sample]) -> str | None:
        """The name of another exercise this finished movement looks like, or ``None``.

        A movement that looks like another exercise (e.g. a bridge seen by the pelvic-tilt
        checker) is not counted; :meth:`finish` then warns which exercise it looked like.
        """
        return None

    def on_rest_sample(self, t_s: float, m: Measurement) -> None:
        """Called for every measured frame at rest (ready, no rep in progress): calibration hook."""

    def rep_variant(self, rep: RepRecord, samples: list[Sample]) -> str | None:
        """An easier form of the exercise this rep was done in (reported, still counted), or ``None``."""
        return None

    def rep_side(self, rep: RepRecord, samples: list[Sample]) -> str:
        """Side of a finished rep: the most common side among its top (else all) samples."""
        top = [s.m.side for s in samples if s.phase == "hold"] or [s.m.side for s in samples]
        return Counter(top).most_common(1)[0][0] if top else "none"

    def required_landmarks(self) -> tuple[str, ...]:
        return self.spec.camera.required

    # ---------------------------------------------------------------- main loop
    def update(self, t_s: float, frame: PoseFrame | None) -> list[Event]:
        """Feed one frame (``None`` when no person was found) at video time ``t_s`` seconds."""
        events: list[Event] = []
        if self._last_t is not None and t_s <= self._last_t:
            return events
        self._last_t = t_s
        st = self.status
        st.t_s = t_s
        st.pose_found = frame is not None
        posture = classify_posture(frame)
        st.posture = posture
        if frame is not None:
            self.postures[posture] += 1
            self._follow_posture(t_s, posture)
            self._refound += self._lost
            self._found_frames += 1
        self._lost = frame is None and self._found_frames > 0
        self._frames_since_found += self._found_frames > 0
        self._update_ready(t_s, frame, posture)

        m = None
        if frame is not None:
            try:
                m = self.measure(frame)
            except (ValueError, ZeroDivisionError, FloatingPointError) as e:  # degenerate geometry
                if type(e) not in self._measure_errors_logged:  # once per error kind
                    self._measure_errors_logged.add(type(e))
                    log.error(
                        "%s.measure failed at %.2f s (%s: %s); such frames count as not judged, further %s errors "
                        "are not logged",
                        type(self).__name__,
                        t_s,
                        type(e).__name__,
                        e,
                        type(e).__name__,
                        exc_info=e,
                    )
                m = None
        if m is not None and m.value is not None:
            m.value = self._median(t_s, m.value)
        if m is not None:
            st.key_angle_deg = m.angle_deg
            for u in m.unjudged:
                self.unjudged[u] += 1
        else:
            st.key_angle_deg = None
        self.trace.append((t_s, None if m is None else m.angle_deg, None if m is None else m.value))

        if self.rest is None:
            events += self._calibrate(t_s, m)
        else:
            events += self._feed(t_s, m)
        self._update_status(t_s)
        return events

    def _follow_posture(self, t_s: float, posture: str) -> None:
        """Count flickers: another posture (or none) read for less than POSTURE_FLICKER_S between
        two readings of the exercise's own posture."""
        if self._last_seen_t is not None:
            self._in_view_s += min(t_s - self._last_seen_t, 0.5)
        self._last_seen_t = t_s
        if posture == self.spec.posture:
            if self._seen_own_posture and self._away_since is not None:
                self.posture_returns += 1
                if t_s - self._away_since < POSTURE_FLICKER_S:
                    self.posture_flickers += 1
                    self._flicker_times.append(t_s)
            self._away_since = None
            self._seen_own_posture = True
        else:
            if self._away_since is None:
                self._away_since = t_s
            if self._seen_own_posture:
                self._other_since_own += 1
        if self._seen_own_posture:
            self._frames_since_own += 1

    def _found_badly(self) -> bool:
        """Nothing counted, and the person was found only now and then (see UNSTEADY_FOUND_SHARE)."""
        found = self._found_frames / max(1, self._frames_since_found)
        return not self.reps and found < UNSTEADY_FOUND_SHARE and self._refound >= UNSTEADY_MIN_REFOUND

    def unsteady_tracking(self) -> WarningEvent | None:
        """A warning when the pose model kept losing the person's position (see POSTURE_FLICKER_S), else None."""
        if self._found_badly():
            found = self._found_frames / max(1, self._frames_since_found)
            return WarningEvent("unsteady_tracking", UNSTEADY_FOUND_MESSAGE.format(share=found, n=self._refound))
        if not self._frames_since_own:
            return None
        share = self._other_since_own / self._frames_since_own
        per_min = self.posture_flickers / max(self._in_view_s / 60.0, 1e-9)
        flickering = (
            self.posture_flickers >= UNSTEADY_MIN_FLICKERS
            and per_min >= UNSTEADY_FLICKERS_PER_MIN
            and share >= UNSTEADY_SHARE
        )
        misread = self.posture_returns >= UNSTEADY_MIN_RETURNS and share >= UNSTEADY_LONG_SHARE
        if not (flickering or misread):
            return None
        return WarningEvent("unsteady_tracking", UNSTEADY_MESSAGE.format(n=self.posture_returns, share=share))

    # ---------------------------------------------------------------- calibration
    def calibration_value(self, m: Measurement) -> float | None:
        """The value whose resting level and jitter are learnt before counting. Default: the activation."""
        return m.value

    def accept_rest(self, rest: RestEstimate) -> bool:
        """Is this still period a resting position (and not, e.g., a pause at the top)? Default: yes."""
        return True

    def on_calibrated(self) -> None:
        """Called once :attr:`rest` is known; the machine's thresholds are re-read right after."""

    def _calibrate(self, t_s: float, m: Measurement | None) -> list[Event]:
        """Before counting: wait for ``calibrate_s`` seconds of stillness in position. Files
        (``offline``) keep the frames seen meanwhile and replay them once the rest is known, so
        a clip that starts with a repetition loses nothing."""
        value = None if m is None else self.calibration_value(m)
        # a file looks back: the moments in position before the ready confirmation (READY_AFTER_S)
        # are lying still too, so a clip whose first rep starts soon after it begins still calibrates
        in_position = self.ready or (self.offline and self._ready_since is not None)
        if not in_position or value is None or value != value:
            if not in_position:
                self._still.reset()
            return []
        if self.offline:
            self._pending.append((t_s, m))
            if self._pending[0][0] < t_s - PENDING_MAX_S:
                # no still rest in PENDING_MAX_S of frames: learn it from the clip so far (its most
                # rested quarter) and count on, rather than dropping the oldest frames
                events = self._calibrate_from_clip()
                if self.rest is not None:
                    return events
                while self._pending and self._pending[0][0] < t_s - PENDING_MAX_S:
                    self._pending.popleft()
        est = self._still.add(t_s, value)
        if est is None or not self.accept_rest(est):
            return []
        log.debug("%s: resting level %.2f (noise %.2f) at %.2f s", self.spec.id, est.level, est.noise, t_s)
        return self._start_counting(est)

    def _start_counting(self, est: RestEstimate) -> list[Event]:
        """The rest is known: set the thresholds and replay the frames kept meanwhile (files)."""
        self.rest = est
        self.on_calibrated()
        self.machine.set_thresholds(self.rep_thresholds())
        events: list[Event] = []
        pending, self._pending = self._pending, deque()
        for tp, mp in pending:
            events += self._feed(tp, None if mp is None else self.remeasure(mp))
        return events

    def remeasure(self, m: Measurement) -> Measurement:
        """A frame measured before the rest was known, as it reads now that it is (files replay
        them). Default: unchanged; a checker whose activation is relative to the rest recomputes it."""
        return m

    def rest_from_clip(self, measured: list[Measurement]) -> RestEstimate | None:
        """Files only, when the person never kept still: the resting level from the whole clip —
        the calibration values of the quarter of frames with the lowest activation (the most
        rested moments). Subclasses may override."""
        raw = [(m.value, self.calibration_value(m)) for m in measured if m is not None and m.value is not None]
        pairs = [(a, c) for a, c in raw if c is not None and a == a and c == c]
        if len(pairs) < 4:
            return None
        pairs.sort(key=lambda p: p[0])
        return robust_rest([c for _, c in pairs[: max(2, len(pairs) // 4)]], self._last_t or 0.0)

    def _calibrate_from_clip(self) -> list[Event]:
        """End of a file that never showed a still resting moment: learn the rest from the clip
        and count the frames seen so far with it."""
        if not self.offline or self.rest is not None or not self._pending:
            return []
        est = self.rest_from_clip([m for _, m in self._pending if m is not None])
        if est is None or not self.accept_rest(est):
            return []
        log.debug("%s: no still rest; resting level %.2f from the whole clip", self.spec.id, est.level)
        return self._start_counting(est)

    def _median(self, t_s: float, value: float) -> float:
        """The running median of the activation over the last ``value_median_s`` seconds (0: off):
        one wild frame of pose noise neither starts a rep nor ends a hold."""
        window = self.spec.thresholds.get("value_median_s", 0.0)
        if not window or value != value:
            return value
        buf = self._recent_values
        if buf and t_s - buf[-1][0] > 2 * window:
            buf.clear()
        buf.append((t_s, value))
        while buf and buf[0][0] < t_s - window:
            buf.popleft()
        vals = sorted(v for _, v in buf)
        n = len(vals)
        return vals[n // 2] if n % 2 else 0.5 * (vals[n // 2 - 1] + vals[n // 2])

    def _feed(self, t_s: float, m: Measurement | None) -> list[Event]:
        """One measured frame into the rep/hold machine, its faults and the rest follower."""
        events: list[Event] = []
        in_rep = self.machine.current is not None
        value = m.value if (m is not None and (self.ready or in_rep)) else None
        if self._rearm and not in_rep and value is not None:
            # after a rep lost to a tracking gap, wait for rest: a movement whose start was not seen is not counted
            if value < self.machine.th.rest_enter:
                self._rearm = False
            else:
                value = None
        upd = self.machine.update(t_s, value)
        events += self._handle(upd, t_s)

        if m is None or m.value is None:
            self._active_since.clear()  # a fault's duration never spans frames that were not judged
        if self.machine.current is not None and m is not None and m.value is not None:
            sample = Sample(t_s, m, self.machine.phase)
            self._samples.append(sample)
            events += self._persisting_faults(t_s, self.frame_faults(sample))
        elif self.machine.current is None and self.ready and value is not None and m is not None:
            self.on_rest_sample(t_s, m)
            self._relearn_rest(t_s, m)
            self.machine.set_thresholds(self.rep_thresholds())
        else:
            self._still.reset()  # a resting level is only ever learnt from frames at rest
        return events

    def _relearn_rest(self, t_s: float, m: Measurement) -> None:
        """Between repetitions, every new still moment at rest re-learns the resting level (a
        person who resettles, moves the feet or shifts on the mat is followed)."""
        value = self.calibration_value(m)
        if value is None or value != value or m.value is None or m.value >= self.machine.th.rest_enter:
            self._still.reset()  # only frames clearly at rest (below where a rep would end) teach the rest
            return
        est = self._still.add(t_s, value)
        if est is not None and self.accept_rest(est):
            self.rest = est
            self.on_calibrated()

    def _update_status(self, t_s: float) -> None:
        st = self.status
        if not self.ready and self.machine.current is None:
            st.phase = "setup"
        elif self.rest is None:
            st.phase = "calibrating"
            st.setup_message = CALIBRATING_MESSAGE
        else:
            st.phase = self.machine.phase
        st.hold_s = self.machine.hold_elapsed(t_s)
        if self.machine.current is not None and self._samples:
            st.side = self._samples[-1].m.side
        if st.cue is not None and t_s - self._cue_since > 2 * CUE_MIN_S:
            st.cue = st.cue_code = None

    def finish(self) -> list[Event]:
        """End of the stream: close a rep in progress and add the recording's warnings."""
        events = self._calibrate_from_clip()
        events += self._handle(self.machine.finish(self._last_t), self._last_t or 0.0)
        if self.lookalikes:
            other, n = self.lookalikes.most_common(1)[0]
            name = self.spec.name.lower()
            if not self.reps:
                w = WarningEvent("wrong_exercise", f"No {name} found: the movements look like {other}, not {name}.")
            else:
                w = WarningEvent(
                    "other_movement", f"{n} movement(s) looked like {other} rather than {name} and were not counted."
                )
            self.warnings.append(w)
            events.append(w)
        unsteady = self.unsteady_tracking()
        if not self.reps and not self.lookalikes:
            no_reps = self._no_rep_warning()
            if unsteady is not None and (
                no_reps is None or no_reps.code in ("no_reps", "setup_not_met") or self._found_badly()
            ):
                no_reps = None  # the reason nothing was counted is the tracking: say that instead
            if no_reps is not None:
                self.warnings.append(no_reps)
                events.append(no_reps)
        if unsteady is not None:
            self.warnings.append(unsteady)
            events.append(unsteady)
        if self.unjudged:
            n = sum(self.postures.values()) or 1
            for what, count in self.unjudged.most_common(3):
                if count / n > 0.2:
                    w = WarningEvent(
                        "could_not_judge",
                        f"Could not judge {what} in much of the video (not visible from this camera).",
                    )
                    self.warnings.append(w)
                    events.append(w)
        return events

    # ---------------------------------------------------------------- internals
    def _update_ready(self, t_s: float, frame: PoseFrame | None, posture: str) -> None:
        st = self.status
        issue = check_framing(frame, self.required_landmarks())
        while self._flicker_times and self._flicker_times[0] < t_s - UNSTEADY_LIVE_WINDOW_S:
            self._flicker_times.popleft()
        if frame is not None and posture != self.spec.posture and len(self._flicker_times) >= UNSTEADY_LIVE_FLICKERS:
            msg = UNSTEADY_LIVE_MESSAGE  # the person did not move: the camera keeps misreading them
        elif frame is not None and posture != self.spec.posture and posture != "unknown":
            msg = f"Please get into position: {POSTURE_WORDS[self.spec.posture]}. You seem to be {POSTURE_WORDS[posture]}."
        elif frame is not None and posture == "unknown":
            msg = f"Please get into position: {POSTURE_WORDS[self.spec.posture]}, side-on to the camera."
        elif issue is not None:
            msg = issue.message
        elif self.spec.camera.view == "side" and frame is not None and facing_side(frame) == "front":
            msg = TURN_CAMERA_MESSAGE
            self._front_frames += 1
        else:
            msg = None
        ok = msg is None
        if ok:
            self._unready_since = None
            if self._ready_since is None:
                self._ready_since = t_s
            if not self.ready and t_s - self._ready_since >= READY_AFTER_S:
                self.ready = self.ever_ready = True
        else:
            self._ready_since = None
            if self.ready and self.machine.current is None:
                if self._unready_since is None:
                    self._unready_since = t_s
                if t_s - self._unready_since >= UNREADY_AFTER_S:
                    self.ready = False
        st.setup_message = None if (ok or self.machine.current is not None) else msg

    def _persisting_faults(self, t_s: float, codes: list[str]) -> list[Event]:
        events: list[Event] = []
        for code in list(self._active_since):
            if code not in codes:
                del self._active_since[code]
        for code in codes:
            since = self._active_since.setdefault(code, t_s)
            spec = self.spec.faults.get(code)
            need = spec.min_duration_s if spec else 0.0
            if t_s - since >= need and code not in self._rep_fault_codes:
                events.append(self._emit_fault(code, t_s))
        return events

    def _emit_fault(self, code: str, t_s: float) -> FaultEvent:
        self._rep_fault_codes.append(code)
        side = self._samples[-1].m.side if self._samples else "none"
        ev = FaultEvent(code=code, t_s=t_s, rep=len(self.reps) + 1, message=self.spec.cue(code), side=side)
        self.faults.append(ev)
        self._show_cue(t_s, code, ev.message)
        return ev

    def _show_cue(self, t_s: float, code: str, text: str) -> None:
        st = self.status
        if st.cue is None or t_s - self._cue_since >= CUE_MIN_S:
            st.cue, st.cue_code = text, code
            self._cue_since = t_s

    def _handle(self, upd: MachineUpdate, t_s: float) -> list[Event]:
        events: list[Event] = []
        if upd.started is not None:
            self._samples = []
            self._rep_fault_codes = []
            self._active_since = {}
        rep = upd.finished or upd.discarded
        if upd.discarded is not None:
            n = len(self.reps) + 1
            self.faults = [f for f in self.faults if f.rep != n]
            self._samples, self._rep_fault_codes, self._active_since = [], [], {}
            if upd.discarded.abandoned:
                self._rearm = True
                w = WarningEvent(
                    "lost_tracking", "Lost sight of you in the middle of a rep; that rep was not counted.", t_s
                )
                self.warnings.append(w)
                events.append(w)
        if upd.finished is not None and rep is not None:
            other = self.looks_like(rep, self._samples)
            if other:
                self.lookalikes[other] += 1
                self.faults = [f for f in self.faults if f.rep != len(self.reps) + 1]
                self._samples, self._rep_fault_codes, self._active_since = [], [], {}
                return events
            index = len(self.reps) + 1
            late = [c for c in self.rep_faults(rep, self._samples) if c not in self._rep_fault_codes]
            for code in late:
                events.append(self._emit_fault(code, rep.end_s if rep.end_s is not None else t_s))
            side = self.rep_side(rep, self._samples)
            ev = RepEvent(
                index=index,
                start_s=rep.start_s,
                top_s=rep.top_s,
                end_s=rep.end_s if rep.end_s is not None else t_s,
                hold_s=rep.hold_s,
                side=side,
                good=not self._rep_fault_codes,
                faults=list(self._rep_fault_codes),
                peak=rep.peak,
                variant=self.rep_variant(rep, self._samples),
            )
            self.reps.append(ev)
            events.append(ev)
            for h in rep.holds:
                hev = HoldEvent(h.start_s, h.end_s, side, rep=index)
                self.holds.append(hev)
                events.append(hev)
            st = self.status
            st.reps = len(self.reps)
            st.good_reps = sum(r.good for r in self.reps)
            st.reps_by_side[side] = st.reps_by_side.get(side, 0) + 1
            if ev.good:
                self._show_cue(t_s, "good_rep", "Nice one. Rest a moment, then go again.")
            self._samples, self._rep_fault_codes, self._active_since = [], [], {}
        return events

    def _no_rep_warning(self) -> WarningEvent | None:
        seen = [(p, c) for p, c in self.postures.most_common() if p != "unknown"]
        want = self.spec.posture
        if not self.postures:
            return None  # the session reports "no person"
        if not seen or all(p != want for p, _ in seen[:1]):
            top = seen[0][0] if seen else "unknown"
            guess = {
                "all_fours": "bird-dog",
                "supine": "one of the lying exercises (bridge, pelvic tilt, knee-to-chest)",
                "prone": "an exercise done face down (such as a superman), which formcheck does not coach",
                "side_lying": "an exercise done lying on the side (such as a clamshell), which formcheck does not coach",
            }.get(top)
            msg = f"No {self.spec.name.lower()} found: you appear to be {POSTURE_WORDS[top]}"
            if guess and top != want:
                msg += f"; this looks like {guess}, not {self.spec.name.lower()}."
                return WarningEvent("wrong_exercise", msg)
            msg += f". This exercise is done {POSTURE_WORDS[want]}."
            return WarningEvent("no_exercise_posture", msg)
        if not self.ever_ready:
            if self._front_frames > 0.5 * sum(self.postures.values()):
                return WarningEvent(
                    "camera_angle",
                    "Nothing was counted: the camera looked at you from the front, the head or the "
                    "feet end. Turn the camera (or yourself) so it sees you from the side, within about 45 degrees.",
                )
            return WarningEvent(
                "setup_not_met", "The camera never saw the whole exercise position: check the camera set-up advice."
            )
        return WarningEvent("no_reps", f"You were in position, but no {self.spec.name.lower()} repetition was seen.")
