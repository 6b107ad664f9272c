"""A reusable rep/hold state machine on video time. Pure module.

It reads one scalar *activation* signal per frame (higher = further into the exercise,
e.g. minus the hip's bend for a bridge, in degrees) with the frame's timestamp in seconds,
and turns it into repetitions with a hold at the top. All thresholds have hysteresis::

    activation ^
     top_enter |- - - - - - ######## - - - -    hold starts when >= top_enter
     top_exit  |- - - - - -#        #- - - -    hold ends when < top_exit (longer than hold_dropout_s)
     attempt   |- - - - - # - - - - -# - - -    a rep counts only if its peak reached attempt
     rest_exit |- - - - -#- - - - - - #- - -    rep starts when > rest_exit
     rest_enter|- - - - # - - - - - - -#- - -   rep ends when < rest_enter
               +--------------------------------> time (s)

With ``still_speed`` set, a hold also needs the signal to be still (its rate of change over
the last ``speed_window_s`` at most ``still_speed`` units per second, and leaving the hold
needs more than 1.5x that): the hold then times the pause at the top, not the last part of
the way up and the first part of the way down.

Time always comes from timestamps, never from frame counts, so dropped frames and variable
frame rates do not change durations. Missing samples (``None``: no person, or the exercise's
joints not visible) shorter than ``max_gap_s`` are bridged; a longer gap abandons the rep.
"""

from __future__ import annotations

import logging
from bisect import insort
from collections import deque
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

#: Seconds of the centred running median a rep's own pause is found on (see ``_settle``): five frames at 30 fps.
SETTLE_MEDIAN_S = 0.17
#: A still pause (``pause_is_hold``) bridges a brief move only when it comes back to within this share of
#: the rep's own range (rest_enter to its peak) of the level it left: farther is another position.
PAUSE_LEVEL_SHARE = 0.5


@dataclass
class RepThresholds:
    """Activation thresholds (units of the signal). Must satisfy
    ``rest_enter <= rest_exit <= attempt <= top_exit <= top_enter``."""

    rest_enter: float
    rest_exit: float
    attempt: float
    top_exit: float
    top_enter: float

    def validate(self) -> None:
        seq = [self.rest_enter, self.rest_exit, self.attempt, self.top_exit, self.top_enter]
        if any(b < a for a, b in zip(seq, seq[1:])):
            raise ValueError(
                f"thresholds must be ordered rest_enter <= rest_exit <= attempt <= top_exit <= top_enter: {self}"
            )


@dataclass
class HoldSpan:
    """A continuous time at the top (seconds), brief dips bridged."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


@dataclass
class RepRecord:
    """What the machine knows of one repetition (in progress or finished)."""

    start_s: float
    end_s: float | None = None
    top_s: float | None = None  # first time the top was reached (and, with still_speed, held still)
    zone_s: float | None = None  # first time the signal reached top_enter
    peak: float = float("-inf")
    peak_s: float | None = None
    holds: list[HoldSpan] = field(default_factory=list)
    counted: bool = False  # reached ``attempt``: a real rep, not a twitch
    samples: list[tuple[float, float]] = field(default_factory=list, repr=False)  # (t_s, value)
    abandoned: bool = False  # tracking lost too long

    @property
    def reached_top(self) -> bool:
        return self.zone_s is not None

    @property
    def hold_s(self) -> float:
        """The longest hold of this rep, in seconds."""
        return max((h.duration_s for h in self.holds), default=0.0)

    @property
    def main_hold(self) -> HoldSpan | None:
        return max(self.holds, key=lambda h: h.duration_s, default=None)


@dataclass
class MachineUpdate:
    """What changed with one sample."""

    started: RepRecord | None = None
    top_entered: bool = False
    hold_ended: HoldSpan | None = None
    finished: RepRecord | None = None  # a counted rep that just ended
    discarded: RepRecord | None = None  # a twitch or an abandoned rep


class RepHoldMachine:
    """Counts reps and times holds from an activation signal; see the module docstring.

    Args:
        thresholds: activation levels (may be changed later with :meth:`set_thresholds`,
            e.g. after calibrating to a person's resting position).
        min_rep_s: a rep shorter than this (seconds, start to end) is a twitch, not a rep.
        hold_dropout_s: a dip below ``top_exit`` shorter than this does not end a hold.
        max_gap_s: missing samples for longer than this abandon the rep in progress.
        still_speed: if set, a hold also needs the signal to change by at most this many units
            per second (see the module docstring); ``None`` times the whole time at the top.
        speed_window_s: the time over which that rate of change is measured (seconds).
        end_share_of_peak: for a signal that rests at 0, the rep also ends once the signal falls
            below this share of the rep's own peak (a person who settles a little off the first
            resting position still ends the rep); ``None``: only ``rest_enter`` ends it.
        hold_exit_share: once holding, the hold also lasts while the signal stays above this share
            of the way from ``rest_enter`` to the level held so far (the median over the hold): a
            person whose held level sits just above ``top_exit`` is not timed out by a few units of
            pose noise or settling. Only ever lowers ``top_exit``; ``None``: off.
        pause_is_hold: for an exercise that *is* a held position (a stretch), a rep's hold is also
            its longest still pause when that is longer than its time in the
            top zone (see :meth:`_longest_pause`; needs ``still_speed``).
        zone_is_hold: for a stretch held for many seconds, once holding, moving within the top
            zone (re-gripping, easing a little closer) does not end the hold: only leaving the zone
            does (below ``top_exit``, or the ``hold_exit_share`` level). ``still_speed`` still
            decides when the hold starts.
        release_share_of_hold: for a signal that rests at 0, once a rep has been held its end level
            ``rest_enter`` is lowered to this share of the level held (the median of the signal over the
            rep's holds so far) when that is lower: a rep held only a little above ``attempt`` that dips
            to ``rest_enter`` is still in the upper part of the person's own range (0 to the held
            level), not back at rest. Only ever lowers ``rest_enter``; ``end_share_of_peak`` still
            applies; ``None``: off.
    """

    def __init__(
        self,
        thresholds: RepThresholds,
        min_rep_s: float = 0.5,
        hold_dropout_s: float = 0.35,
        max_gap_s: float = 1.0,
        still_speed: float | None = None,
        speed_window_s: float = 0.2,
        end_share_of_peak: float | None = None,
        hold_exit_share: float | None = None,
        pause_is_hold: bool = False,
        zone_is_hold: bool = False,
        release_share_of_hold: float | None = None,
    ):
        thresholds.validate()
        self.release_share_of_hold = release_share_of_hold
        self.pause_is_hold = pause_is_hold
        self.zone_is_hold = zone_is_hold
        self.end_share_of_peak = end_share_of_peak
        self.hold_exit_share = hold_exit_share
        self.th = thresholds
        self.min_rep_s = min_rep_s
        self.hold_dropout_s = hold_dropout_s
        self.max_gap_s = max_gap_s
        self.still_speed = still_speed
        self.speed_window_s = speed_window_s
        self._recent: deque[tuple[float, float]] = deque()
        self.current: RepRecord | None = None
        self._in_top = False
        self._below_top_since: float | None = None  # the hold's last still moment before the signal moved or dropped
        self._out_since: float | None = None  # zone_is_hold: below the hold's exit level since
        self._hold_start: float | None = None
        self._hold_values: list[float] = []  # the signal during the current hold
        self._rep_held: list[float] = []  # the signal during all of the current rep's holds, sorted
        self._last_t: float | None = None
        self._last_seen_t: float | None = None

    # -- state ----------------------------------------------------------------------------
    @property
    def phase(self) -> str:
        """``"rest"``, ``"moving"`` or ``"hold"``."""
        if self.current is None:
            return "rest"
        return "hold" if self._in_top else "moving"

    def hold_elapsed(self, t_s: float) -> float:
        """Seconds in the current hold at time ``t_s`` (0 when not holding)."""
        if not self._in_top or self._hold_start is None:
            return 0.0
        return max(0.0, t_s - self._hold_start)

    def set_thresholds(self, thresholds: RepThresholds) -> None:
        thresholds.validate()
        self.th = thresholds

    def reset(self) -> None:
        self.current = None
        self._rep_held = []
        self._in_top = False
        self._below_top_since = self._hold_start = self._out_since = None
        self._last_t = self._last_seen_t = None
        self._recent.clear()

    def speed(self) -> float:
        """Rate of change of the signal over the last ``speed_window_s`` (units per second)."""
        if len(self._recent) < 2:
            return 0.0
        (t0, v0), (t1, v1) = self._recent[0], self._recent[-1]
        return (v1 - v0) / (t1 - t0) if t1 > t0 else 0.0

    # -- update ---------------------------------------------------------------------------
    def update(self, t_s: float, value: float | None) -> MachineUpdate:
        """Feed one sample (``value`` None when it cannot be measured in this frame)."""
        out = MachineUpdate()
        if self._last_t is not None and t_s <= self._last_t:
            return out  # repeated or backwards timestamp: ignore the sample
        self._last_t = t_s
        if value is None or value != value:  # None or NaN
            if self.current is not None and self._last_seen_t is not None and t_s - self._last_seen_t > self.max_gap_s:
                self._abandon(self._last_seen_t, out)
            return out
        if self._last_seen_t is not None and t_s - self._last_seen_t > self.max_gap_s:
            # a jump in time nobody saw (camera stall, dropped frames): never credit it as a hold
            self._recent.clear()
            if self.current is not None:
                self._abandon(self._last_seen_t, out)
                self._last_seen_t = t_s
                return out
        self._last_seen_t = t_s
        self._recent.append((t_s, value))
        while len(self._recent) > 2 and t_s - self._recent[1][0] >= self.speed_window_s:
            self._recent.popleft()
        th = self.th
        rep = self.current
        if rep is None:
            if value > th.rest_exit:
                self._rep_held = []
                rep = self.current = RepRecord(start_s=t_s)
                out.started = rep
            else:
                return out
        rep.samples.append((t_s, value))
        if value > rep.peak:
            rep.peak, rep.peak_s = value, t_s
        if value >= th.attempt:
            rep.counted = True
        # hold at the top, with hysteresis and dropout bridging
        speed = abs(self.speed()) if self.still_speed is not None else 0.0
        still = self.still_speed is None or speed <= self.still_speed
        steady = self.still_speed is None or speed <= 1.5 * self.still_speed
        if value >= th.top_enter and rep.zone_s is None:
            rep.zone_s = t_s
        if value >= th.top_enter and (still or (self._in_top and steady)):
            self._below_top_since = None
            if not self._in_top:
                self._in_top = True
                self._hold_values = []
                self._hold_start = self._settled_since(t_s, value, rep)
                out.top_entered = True
                if rep.top_s is None:
                    rep.top_s = self._hold_start
        elif self._in_top:
            exit_level = self._hold_exit()
            if value >= exit_level and steady:
                self._below_top_since = self._out_since = None
            else:
                if self._below_top_since is None:
                    self._below_top_since = self._left_since(t_s)
                if self.zone_is_hold:  # moving within the zone is part of the stretch: out of it for a while ends it
                    if value >= exit_level:
                        self._out_since = None
                    elif self._out_since is None:
                        self._out_since = t_s
                    leaving = self._out_since is not None and t_s - self._out_since >= self.hold_dropout_s
                else:
                    leaving = t_s - self._below_top_since >= self.hold_dropout_s
                if leaving:  # the hold ended where the movement that left it began
                    out.hold_ended = self._close_hold(self._below_top_since)
        if self._in_top and self._below_top_since is None:
            self._hold_values.append(value)
            if self.release_share_of_hold is not None:
                insort(self._rep_held, value)
        # back to rest ends the rep (or, with end_share_of_peak, most of the way back from its own peak)
        rest_level = th.rest_enter
        if self.release_share_of_hold is not None and self._rep_held:
            held = self._rep_held[len(self._rep_held) // 2]
            rest_level = min(rest_level, self.release_share_of_hold * held)
        end_level = rest_level if self.end_share_of_peak is None else max(rest_level, self.end_share_of_peak * rep.peak)
        if value < end_level:
            self._end_rep(t_s, out)
        return out

    def finish(self, t_s: float | None = None) -> MachineUpdate:
        """End of stream: close an open hold and rep.

        A rep still in progress at the end counts if it reached ``attempt`` (the video ended
        before the person came back down); its end is the last time it was seen.
        """
        out = MachineUpdate()
        rep = self.current
        if rep is None:
            return out
        end = self._last_seen_t if self._last_seen_t is not None else (t_s if t_s is not None else rep.start_s)
        self._end_rep(end, out)
        return out

    # -- internals ------------------------------------------------------------------------
    def _end_rep(self, end_s: float, out: MachineUpdate) -> None:
        """Close the open hold (at the time the signal first left the top) and the rep at
        ``end_s``; a counted rep long enough is ``finished``, anything else ``discarded``."""
        rep = self.current
        assert rep is not None
        if self._in_top:
            out.hold_ended = self._close_hold(end_s if self._below_top_since is None else self._below_top_since)
        rep.end_s = end_s
        self._settle(rep)
        self.current = None
        if rep.counted and rep.end_s - rep.start_s >= self.min_rep_s:
            out.finished = rep
        else:
            out.discarded = rep

    def _settle(self, rep: RepRecord) -> None:
        """Finish a rep's timings. A rep that never reached the top zone but paused at its own
        peak (e.g. hips held too low) gets that pause as its hold: the longest run of samples
        within ``still_speed * speed_window_s / 2`` of the peak (needs ``still_speed``). Noise-proof:
        peak and run are taken on a running median over ``SETTLE_MEDIAN_S`` seconds, and, as for holds, dips out of the
        band shorter than ``hold_dropout_s`` do not end the run."""
        if rep.top_s is None:
            rep.top_s = rep.zone_s
        if self.pause_is_hold and self.still_speed is not None and rep.samples:
            pause = self._longest_pause(rep)
            if pause is not None and pause.duration_s > rep.hold_s:
                rep.holds = [h for h in rep.holds if h.end_s < pause.start_s or h.start_s > pause.end_s] + [pause]
                rep.holds.sort(key=lambda h: h.start_s)
                if rep.top_s is None or rep.top_s > pause.start_s:
                    rep.top_s = pause.start_s
        if rep.holds or self.still_speed is None or not rep.samples:
            return
        band = 0.5 * self.still_speed * self.speed_window_s
        med = _running_median(rep.samples)
        peak = max(med)
        best = _longest_run([(t, v) for (t, _), v in zip(rep.samples, med) if v >= peak - band], self.hold_dropout_s)
        if best is not None:
            rep.holds.append(HoldSpan(*best))
            if rep.top_s is None:
                rep.top_s = best[0]

    def _longest_pause(self, rep: RepRecord) -> HoldSpan | None:
        """The rep's longest still pause: the longest run of samples whose
        running median (over ``SETTLE_MEDIAN_S``) changes by at most ``still_speed`` per second
        over ``speed_window_s`` (centred), moves shorter than ``hold_dropout_s`` bridged when they
        come back to within ``PAUSE_LEVEL_SHARE`` of the rep's range (at least ``still_speed *
        speed_window_s``) of the level left. None when there is no such run."""
        assert self.still_speed is not None
        times = [t for t, _ in rep.samples]
        med = _running_median(rep.samples)
        half = 0.5 * self.speed_window_s
        n = len(times)
        # a brief move is bridged only back to about the level left: within half of the rep's own range
        # (pose jitter on a held position), and never less than a still signal moves over the speed window
        step = max(self.still_speed * self.speed_window_s, PAUSE_LEVEL_SHARE * (max(med) - self.th.rest_enter))
        still: list[tuple[float, float]] = []  # (t, level) of the still samples
        a = b = 0
        for i, t in enumerate(times):
            while times[a] < t - half - 1e-9:
                a += 1
            while b + 1 < n and times[b + 1] <= t + half + 1e-9:
                b += 1
            dt = times[b] - times[a]
            if (abs(med[b] - med[a]) / dt if dt > 0 else 0.0) <= self.still_speed:
                still.append((t, med[i]))
        # still again somewhere else (the pose model jumping between two readings of a limb, or a new
        # position) is another pause
        best = _longest_run(still, self.hold_dropout_s, max_step=step)
        return None if best is None else HoldSpan(*best)

    def _settled_since(self, t_s: float, value: float, rep: RepRecord) -> float:
        """When the body came to rest at the level ``value`` it now holds: the speed is measured
        over a window, and the held level may sit just under ``top_enter`` before a last creep
        takes it over, so date the hold back to the start of the run of this rep's samples
        within ``still_speed * speed_window_s / 2`` of ``value`` (the body was already still at
        this level, whether or not it had crossed ``top_enter`` yet), never before the end of the
        rep's previous hold."""
        if self.still_speed is None:
            return t_s
        band = 0.5 * self.still_speed * self.speed_window_s
        start = t_s
        after = rep.holds[-1].end_s if rep.holds else float("-inf")  # never into this rep's previous hold
        for t, v in reversed(rep.samples):
            if abs(v - value) > band or t < after:
                break
            start = t
        return start

    def _held_level(self) -> float:
        """The held level: the median of the signal over the current hold (needs ``_hold_values``)."""
        return sorted(self._hold_values)[len(self._hold_values) // 2]

    def _left_since(self, t_s: float) -> float:
        """When the hold was left. Movement is noticed late (the speed is measured over
        ``speed_window_s``, and a drop below ``top_exit`` comes well after the way down began), so
        date it back to the start of the last run of recent samples more than
        ``still_speed * speed_window_s / 2`` away from the held level (the median over the hold)."""
        if self.still_speed is None or not self._hold_values:
            return t_s
        band = 0.5 * self.still_speed * self.speed_window_s
        level = self._held_level()
        since = t_s
        for t, v in reversed(self._recent):  # the last run of samples away from the held level
            if abs(v - level) <= band or (self._hold_start is not None and t <= self._hold_start):
                break
            since = t
        return since

    def _hold_exit(self) -> float:
        """The level below which the hold is being left: ``top_exit``, or lower with ``hold_exit_share``."""
        if self.hold_exit_share is None or not self._hold_values:
            return self.th.top_exit
        level = self._held_level()
        return min(self.th.top_exit, self.th.rest_enter + self.hold_exit_share * (level - self.th.rest_enter))

    def _close_hold(self, end_s: float) -> HoldSpan | None:
        span = None
        if self._hold_start is not None and self.current is not None:
            span = HoldSpan(self._hold_start, max(self._hold_start, end_s))
            self.current.holds.append(span)
        self._in_top = False
        self._hold_start = None
        self._below_top_since = self._out_since = None
        return span

    def _abandon(self, t_s: float, out: MachineUpdate) -> None:
        rep = self.current
        if rep is None:
            return
        log.debug("tracking lost for more than %.1f s: abandoning rep started at %.2f s", self.max_gap_s, rep.start_s)
        if self._in_top:
            self._close_hold(t_s)
        rep.end_s = t_s
        rep.abandoned = True
        self.current = None
        out.discarded = rep


def _longest_run(
    inside: list[tuple[float, float]], dropout_s: float, max_step: float = float("inf")
) -> tuple[float, float] | None:
    """The longest run of ``inside`` samples ``(t, level)`` (the ones within some band, in time order):
    a gap over ``dropout_s`` seconds, or a level step over ``max_step``, between two of them starts a
    new run. ``(start_s, end_s)``, or None when no run lasts longer than an instant."""
    best: tuple[float, float] | None = None
    run_start = last_t = 0.0
    last_level = 0.0
    for i, (t, level) in enumerate(inside):
        if i == 0 or t - last_t > dropout_s or abs(level - last_level) > max_step:
            run_start = t
        last_t, last_level = t, level
        if best is None or t - run_start > best[1] - best[0]:
            best = (run_start, t)
    return best if best is not None and best[1] > best[0] else None


def _running_median(samples: list[tuple[float, float]]) -> list[float]:
    """The centred running median over ``SETTLE_MEDIAN_S`` of ``(t, value)`` samples: one noisy
    sample neither sets a level nor breaks a run; a window in seconds, so the same pause reads
    the same at 12 or 60 frames/s."""
    times = [t for t, _ in samples]
    vals = [v for _, v in samples]
    half = SETTLE_MEDIAN_S / 2.0
    med = []
    lo = hi = 0
    for ti in times:
        while times[lo] < ti - half - 1e-9:
            lo += 1
        while hi < len(times) and times[hi] <= ti + half + 1e-9:
            hi += 1
        window = sorted(vals[lo:hi])
        med.append(window[len(window) // 2])
    return med
