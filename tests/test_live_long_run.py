"""A 30-minute live session replayed through the live processor's per-frame path (issue 9).

54,000 frames at 30 fps of scripted landmarks (glute bridges, one every 6 s) go through
:meth:`LiveProcessor.process` with a stub pose estimator (no model) and a real history database.
What is asserted is growth, not speed: the process's resident memory grows by less than 50 MB,
the per-frame time and the time to read a snapshot over the last minutes stay within a small
factor of the first minutes' (each the quietest minute's median of five, so another process
loading the machine for a while does not count as growth), and everything a snapshot carries is bounded.
"""

from __future__ import annotations

import dataclasses
import gc
import resource
import time
from pathlib import Path

import numpy as np
from test_live_processor import bridge_pose, lift_at

from formcheck.app.history import History
from formcheck.app.live_processor import LIVE_TRACE_FRAMES, RECENT_EVENTS, LiveProcessor
from formcheck.app.support import history_saver

FPS = 30
MINUTES = 30
FRAMES = MINUTES * 60 * FPS  # 54,000
PERIOD_S = 6.0  # one bridge every 6 s (lift_at's period)
MAX_RSS_GROWTH_MB = 50.0
#: last minutes vs first minutes (quietest per-minute medians): linear growth over 30 minutes would be ~10x
MAX_SLOWDOWN = 3.0
#: minutes compared at each end
ENDS = 5


def rss_mb() -> float:
    """Resident set size of this process now (MB), from /proc/self/status (else the peak, from getrusage)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class ScriptedEstimator:
    """Stub pose estimator: the scripted bridge pose for each frame's time (the image is ignored)."""

    def __init__(self) -> None:
        start = int(1.5 * FPS)  # lift_at rests for 1.5 s, then repeats its 6 s cycle
        self.rest = bridge_pose(0.0, 0.0)
        self.cycle = [bridge_pose(0.0, lift_at(1.5 + i / FPS)) for i in range(int(PERIOD_S * FPS))]
        self.start = start

    def detect(self, image, t_s: float):
        i = int(round(t_s * FPS))
        frame = self.rest if i < self.start else self.cycle[(i - self.start) % len(self.cycle)]
        return dataclasses.replace(frame, t_s=t_s)

    def close(self) -> None:
        pass


def _minute(proc: LiveProcessor, image: np.ndarray, first: int) -> tuple[list[float], list[float]]:
    """Feed one minute of frames from frame ``first``; return per-frame and per-snapshot times (s)."""
    frame_s, snap_s = [], []
    for i in range(first, first + 60 * FPS):
        t0 = time.perf_counter()
        proc.process(image, i / FPS)
        t1 = time.perf_counter()
        if i % 15 == 0:  # the page polls twice a second
            proc.snapshot()
            snap_s.append(time.perf_counter() - t1)
        frame_s.append(t1 - t0)
    return frame_s, snap_s


def test_thirty_minute_live_replay_keeps_memory_and_snapshot_time_flat(tmp_path, record_property):
    hist = History(tmp_path / "h.sqlite3")
    proc = LiveProcessor("bridge", estimator_factory=ScriptedEstimator, draw=False, saver=history_saver(hist))
    image = np.zeros((48, 64, 3), np.uint8)
    _minute(proc, image, 0)  # warm-up: imports, caches, the first save
    gc.collect()
    rss0 = rss_mb()
    frame_med, snap_med = [], []  # per-minute medians (s)
    for m in range(1, MINUTES):
        frame_s, snap_s = _minute(proc, image, m * 60 * FPS)
        frame_med.append(float(np.median(frame_s)))
        snap_med.append(float(np.median(snap_s)))
    gc.collect()
    growth = rss_mb() - rss0
    snap = proc.snapshot()
    first_f, last_f = min(frame_med[:ENDS]), min(frame_med[-ENDS:])
    first_s, last_s = min(snap_med[:ENDS]), min(snap_med[-ENDS:])
    ratio_frame, ratio_snap = last_f / first_f, last_s / first_s
    for k, v in {
        "rss_growth_mb": round(growth, 1),
        "frame_ms_first": round(1e3 * first_f, 3),
        "frame_ms_last": round(1e3 * last_f, 3),
        "snapshot_us_first": round(1e6 * first_s, 2),
        "snapshot_us_last": round(1e6 * last_s, 2),
    }.items():
        record_property(k, v)
        print(f"{k}: {v}")
    assert snap.frames == FRAMES
    assert snap.reps == 299  # rep k starts at 1.5 + 6k s and is back at rest 5.1 s later: k = 0..298 by 1800 s
    assert growth < MAX_RSS_GROWTH_MB
    assert ratio_frame < MAX_SLOWDOWN and ratio_snap < MAX_SLOWDOWN
    # what a snapshot carries is bounded whatever the session's length
    assert len(snap.events) <= RECENT_EVENTS and "trace" not in (snap.report or {})
    assert len(proc._session.checker.trace) == LIVE_TRACE_FRAMES
    assert proc.stop("finished")
    row = hist.list_sets()[0]
    assert row["finished"] and row["reps"] == 300  # the rep held at the end is closed by the stop
