"""Landmark smoothing: a One Euro filter per coordinate, gated by visibility.

The One Euro filter (Casiez, Roussel & Vogel, CHI 2012) is a low-pass filter whose cutoff
rises with speed, so slow holds are steady and fast moves lag little::

    alpha(fc, dt) = 1 / (1 + 1 / (2 pi fc dt))
    dx_hat  = lowpass(dx, alpha(d_cutoff, dt))
    fc      = min_cutoff + beta * |dx_hat|
    x_hat   = lowpass(x, alpha(fc, dt))

``dt`` comes from the frames' timestamps (seconds), so dropped frames are handled. Units:
``min_cutoff`` and ``d_cutoff`` in Hz, ``beta`` in 1/(normalised image units per second).
Pure module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from formcheck.core.landmarks import PoseFrame

log = logging.getLogger(__name__)


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray:
    tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff_hz, dtype=float))
    return 1.0 / (1.0 + tau / dt_s)


@dataclass
class OneEuroParams:
    """Tuning of :class:`OneEuroFilter`.

    Defaults suit slow exercise movement at 10–60 fps in normalised image coordinates:
    a still landmark jittering by ~0.003 is steadied to well under that, while a hip moving
    at 0.5 image-heights per second lags by about one frame.
    """

    min_cutoff_hz: float = 1.5
    beta: float = 8.0
    d_cutoff_hz: float = 1.0


class OneEuroFilter:
    """Vectorised One Euro filter over an array of any shape; see module docstring."""

    def __init__(self, params: OneEuroParams | None = None):
        self.params = params or OneEuroParams()
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._x = self._dx = None
        self._t = None

    def __call__(self, t_s: float, x: np.ndarray, update_mask: np.ndarray | None = None) -> np.ndarray:
        """Filter sample ``x`` taken at ``t_s`` seconds.

        Where ``update_mask`` is False the state is left untouched and the raw value passes
        through (used to keep unreliable landmarks out of the filter's memory).
        """
        x = np.asarray(x, dtype=float)
        if self._x is None or self._dx is None or self._t is None:  # (set together)
            # remember only trusted values; untrusted coordinates start when first trusted
            self._x = x.copy() if update_mask is None else np.where(update_mask, x, np.nan)
            self._dx, self._t = np.zeros_like(x), t_s
            return x.copy()
        if t_s <= self._t:  # repeated or backwards timestamp: no time passed, keep state
            if update_mask is None:
                return self._x.copy()
            return np.where(np.asarray(update_mask, dtype=bool) & np.isfinite(self._x), self._x, x)
        if update_mask is not None:
            fresh = np.asarray(update_mask, dtype=bool) & ~np.isfinite(self._x)
            if fresh.any():  # first trusted value of these coordinates: start from it
                self._x = np.where(fresh, x, self._x)
                self._dx = np.where(fresh, 0.0, self._dx)
        p = self.params
        dt = t_s - self._t
        dx = (x - self._x) / dt
        a_d = _alpha(p.d_cutoff_hz, dt)
        dx_hat = a_d * dx + (1 - a_d) * self._dx
        a = _alpha(p.min_cutoff_hz + p.beta * np.abs(dx_hat), dt)
        x_hat = a * x + (1 - a) * self._x
        if update_mask is not None:
            m = np.asarray(update_mask, dtype=bool)
            x_hat = np.where(m, x_hat, x)
            self._x = np.where(m, x_hat, self._x)
            self._dx = np.where(m, dx_hat, self._dx)
        else:
            self._x, self._dx = x_hat, dx_hat
        self._t = t_s
        return x_hat


class LandmarkSmoother:
    """Smooths the landmarks of a stream of :class:`PoseFrame` (one smoother per stream).

    Landmarks with visibility below ``min_visibility`` bypass the filter (their raw, unreliable
    positions never enter its memory). After a gap longer than ``reset_after_s`` seconds (person
    lost) the filter starts afresh so that it does not drag the old position in.
    """

    def __init__(self, params: OneEuroParams | None = None, min_visibility: float = 0.3, reset_after_s: float = 0.5):
        self.filter = OneEuroFilter(params)
        self.min_visibility = min_visibility
        self.reset_after_s = reset_after_s
        self._last_t: float | None = None

    def reset(self) -> None:
        self.filter.reset()
        self._last_t = None

    def __call__(self, frame: PoseFrame | None) -> PoseFrame | None:
        if frame is None:
            return None
        if not np.isfinite(frame.t_s):
            return frame
        if self._last_t is not None and frame.t_s - self._last_t > self.reset_after_s:
            self.filter.reset()
        self._last_t = frame.t_s if self._last_t is None else max(self._last_t, frame.t_s)
        vis = np.nan_to_num(frame.visibility, nan=0.0, posinf=1.0, neginf=0.0)
        # non-finite coordinates never enter the filter's memory (one bad frame must not poison it)
        mask = (vis >= self.min_visibility)[:, None] & np.isfinite(frame.xyz)
        xyz = self.filter(frame.t_s, frame.xyz, mask)
        return frame.with_xyz(xyz)
