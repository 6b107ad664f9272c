"""Learning a person's own resting position, on video time. Pure module (numpy only).

Every checker compares the person with themselves: the resting level of its signal (and how
much that signal jitters at rest) is measured from a still period before counting starts, and
followed slowly between repetitions. Everything here runs on timestamps, so the same clip gives
the same result at 15, 24, 30 or 60 frames per second.

>>> f = Follower(tau_s=1.0)
>>> f.update(0.0, 10.0)
10.0
>>> round(f.update(1.0, 20.0), 2)   # one time constant later: 63 % of the way
16.32
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

#: Robust standard deviation from the median absolute deviation (normal data).
MAD_TO_SD = 1.4826


def follow_weight(dt_s: float, tau_s: float) -> float:
    """Weight of a new sample in an exponential follower with time constant ``tau_s`` seconds,
    ``dt_s`` seconds after the previous sample (0 for a non-positive or non-finite step)."""
    if not (math.isfinite(dt_s) and dt_s > 0.0):
        return 0.0
    if not tau_s > 0.0:
        return 1.0
    return 1.0 - math.exp(-dt_s / tau_s)


class Follower:
    """An exponential moving average on video time: ``tau_s`` seconds to move 63 % of the way.

    Non-finite samples are ignored, so garbage never enters the value.
    """

    def __init__(self, tau_s: float, value: float | None = None, t_s: float | None = None):
        self.tau_s = float(tau_s)
        self.value = value
        self.last_t = t_s

    def update(self, t_s: float, x: float) -> float | None:
        """Follow sample ``x`` at ``t_s`` seconds; returns the new value."""
        if not math.isfinite(x) or not math.isfinite(t_s):
            return self.value
        if self.value is None or self.last_t is None:
            self.value = float(x)
        else:
            self.value += follow_weight(min(t_s - self.last_t, 0.5), self.tau_s) * (float(x) - self.value)
        self.last_t = t_s
        return self.value


@dataclass(frozen=True)
class RestEstimate:
    """A signal's resting level and its jitter at rest, in the signal's own units."""

    level: float
    noise: float  # robust standard deviation (1.4826 x median absolute deviation)
    t_s: float  # when the estimate was made (video time, seconds)


def robust_rest(values: np.ndarray | list[float], t_s: float = 0.0) -> RestEstimate | None:
    """Median and robust standard deviation of ``values`` (non-finite ones dropped)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    med = float(np.median(v))
    return RestEstimate(med, MAD_TO_SD * float(np.median(np.abs(v - med))), t_s)


class StillWindow:
    """Finds a still period in a signal: ``window_s`` seconds of samples whose spread (10th to
    90th percentile) is at most ``max_spread`` (signal units), with no gap over ``max_gap_s``.

    :meth:`add` returns the :class:`RestEstimate` of the window once it is still, else ``None``.
    """

    def __init__(self, window_s: float, max_spread: float, max_gap_s: float = 0.5):
        self.window_s = float(window_s)
        self.max_spread = float(max_spread)
        self.max_gap_s = float(max_gap_s)
        self._buf: deque[tuple[float, float]] = deque()

    def reset(self) -> None:
        self._buf.clear()

    def add(self, t_s: float, x: float) -> RestEstimate | None:
        if not (math.isfinite(x) and math.isfinite(t_s)):
            return None
        if self._buf and t_s - self._buf[-1][0] > self.max_gap_s:
            self._buf.clear()  # not continuous: start again
        self._buf.append((t_s, float(x)))
        while len(self._buf) > 2 and t_s - self._buf[1][0] >= self.window_s:
            self._buf.popleft()
        if t_s - self._buf[0][0] < 0.95 * self.window_s:
            return None
        vals = np.fromiter((v for _, v in self._buf), dtype=float)
        lo, hi = np.percentile(vals, [10, 90])
        if hi - lo > self.max_spread:
            return None
        return robust_rest(vals, t_s)
