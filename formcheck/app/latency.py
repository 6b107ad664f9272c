"""What a live user feels: per-frame processing time, end-to-end lag and frames lost. Pure, bounded.

* **processing time**: from a frame reaching the live processor to its overlay being drawn.
* **lag**: from the frame's own timestamp to its overlay being ready. The camera's clock and ours
  differ by an unknown offset, so the lag is measured against the quickest transit seen over the
  window (``arrival - frame time``): what is left is the time frames waited on their way (behind
  a slow frame, in a queue) plus their processing. A replay that stamps frames with the wall
  clock gives the true lag.
* **lost frames**: gaps in the frame timestamps longer than the stream's own frame interval (the
  shortest interval seen recently) are frames dropped before the processor saw them (streamlit-
  webrtc keeps only the newest frame while the previous one is analysed).

Everything is kept over the last :data:`WINDOW` frames only: a session of any length stays flat in
memory.
"""

from __future__ import annotations

import math
from collections import deque

#: Frames the percentiles look back over (10 s at 30 fps).
WINDOW = 300


def percentile(values, q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values`` by the nearest-rank method; NaN when empty."""
    return percentiles(values, (q,))[0]


def percentiles(values, qs) -> tuple[float, ...]:
    """The ``qs``-th percentiles (0..100) of ``values`` by the nearest-rank method, from one sort
    (the live processor asks for two on every frame); NaN when empty."""
    v = sorted(values)
    if not v:
        return tuple(math.nan for _ in qs)
    n = len(v)
    return tuple(float(v[max(0, min(n - 1, math.ceil(q / 100.0 * n) - 1))]) for q in qs)


class LatencyMeter:
    """Collects per-frame times (seconds) over the last ``window`` frames; percentiles in ms."""

    def __init__(self, window: int = WINDOW) -> None:
        self.window = int(window)
        self._proc: deque[float] = deque(maxlen=self.window)
        self._lag: deque[float] = deque(maxlen=self.window)
        self._transit: deque[float] = deque(maxlen=self.window)
        self._gaps: deque[float] = deque(maxlen=30)  # recent frame intervals (s), for the stream's own interval
        self._last_t: float | None = None
        self.frames = 0
        self.lost = 0

    def reset(self) -> None:
        self.__init__(self.window)  # type: ignore[misc]  # the same fields, freshly

    def arrived(self, t_frame: float, wall: float) -> None:
        """A frame stamped ``t_frame`` (stream seconds) reached the processor at ``wall`` (monotonic s)."""
        self._transit.append(wall - t_frame)
        last = self._last_t
        if last is not None and t_frame > last:
            dt = t_frame - last
            self._gaps.append(dt)
            step = min(self._gaps)
            if step > 0 and len(self._gaps) >= 5:
                self.lost += max(0, int(round(dt / step)) - 1)
        if last is None or t_frame > last:
            self._last_t = t_frame

    def done(self, t_frame: float, arrived_wall: float, done_wall: float) -> None:
        """The frame's overlay is ready at ``done_wall``."""
        self.frames += 1
        self._proc.append(done_wall - arrived_wall)
        base = min(self._transit) if self._transit else arrived_wall - t_frame
        self._lag.append(max(0.0, done_wall - t_frame - base))

    def proc_ms(self, q: float) -> float:
        return 1000.0 * percentile(self._proc, q)

    def proc_ms_at(self, *qs: float) -> tuple[float, ...]:
        """Several percentiles (0..100) of the processing time in ms, from one sort."""
        return tuple(1000.0 * v for v in percentiles(self._proc, qs))

    def lag_ms(self, q: float) -> float:
        return 1000.0 * percentile(self._lag, q)

    def __len__(self) -> int:
        return len(self._proc)
