"""``formcheck bench --live``: a clip replayed at its own frame rate through the live processor.

A camera thread hands each frame over at the time it would arrive from a webcam (frame ``i`` at
``i / fps`` seconds after the start, stamped with that time) into a one-frame slot; the processing
thread always takes the newest frame, and a frame still in the slot when the next one arrives is
dropped, never queued — as streamlit-webrtc does for the app (it passes only the newest of the
frames that queued up while the previous one was analysed). A short clip is looped until
``seconds`` of stream have been replayed.

Reported: per-frame processing time (p50, p95), end-to-end lag from the frame's timestamp to its
overlay (p50, p95), the share of frames dropped, and the process's resident memory after the
first minute and at the end (growth over a long replay); which landmarker ran on how many frames
(the live default's one-person fast path, or the detection of everyone in view on every frame) and
the machine's load average at the start and the end (the machine may be shared: say it with the figures).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from formcheck.app.latency import percentile


class NewestFrameSlot:
    """A one-frame mailbox: ``put`` replaces a frame not yet taken (counted in ``dropped``);
    ``take`` waits for a frame and returns the newest. ``close`` wakes the taker for good."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: tuple | None = None
        self._closed = False
        self.put_count = 0
        self.dropped = 0

    def put(self, item: tuple) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self.put_count += 1
            self._cond.notify()

    def take(self) -> tuple | None:
        with self._cond:
            while self._item is None and not self._closed:
                self._cond.wait()
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def load_average() -> float | None:
    """The machine's 1-minute load average, or None where the OS does not say."""
    try:
        return float(os.getloadavg()[0])
    except (OSError, AttributeError):
        return None


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux ``/proc``; else the peak from getrusage)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class LiveBenchResult:
    video: str
    model: str
    width: int
    height: int
    fps: float
    seconds: float
    offered: int
    analysed: int
    dropped: int
    proc_ms: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)
    rss_first_min_mb: float | None = None
    rss_end_mb: float = 0.0
    reps: int = 0
    lost_seen: int = 0  # frames the processor itself saw missing (gaps in the frame times)
    #: frames each landmarker ran on ({"single", "multi", "disagreements"}, see LiveProcessor.estimator_counts)
    estimator: dict | None = None
    #: 1-minute load average of the machine when the replay started and when it ended (None: unknown)
    load_start: float | None = None
    load_end: float | None = None

    @property
    def dropped_share(self) -> float:
        return self.dropped / self.offered if self.offered else 0.0


def run_live_bench(
    video: str | Path,
    exercise: str = "bridge",
    model: str = "full",
    seconds: float = 30.0,
    max_side: int | None = 640,
    progress=None,
    fast: bool | None = None,
) -> LiveBenchResult:
    """Replay ``video`` at its frame rate for ``seconds`` of stream through a :class:`LiveProcessor`
    (full drawing, no history, no automatic model switch) and measure it (see the module doc).
    ``fast``: the processor's fast path (None: the live default for ``exercise``)."""
    from formcheck.app.live_processor import LiveProcessor
    from formcheck.media.video import open_video

    with open_video(video, max_side=max_side) as reader:
        info = reader.info
        frames = [f for _, f in reader]
    if not frames:
        raise ValueError(f"{video}: no frames to replay")
    fps = info.fps or 30.0
    total = max(1, int(round(seconds * fps)))
    slot = NewestFrameSlot()
    proc = LiveProcessor(exercise, model=model, draw=True, latency_budget_ms=None, fast=fast)
    proc_ms: list[float] = []
    lag_ms: list[float] = []
    rss_first: list[float] = []
    say = progress or (lambda msg: None)
    # load the model before the clock starts (a camera is not streaming while the page loads it)
    proc.process(frames[0].copy(), 0.0)
    load_start = load_average()
    start = time.monotonic() + 0.2

    def camera() -> None:
        try:
            for i in range(total):
                t = i / fps
                delay = start + t - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                slot.put((t, i))
        finally:
            slot.close()

    cam = threading.Thread(target=camera, name="formcheck-replay-camera", daemon=True)
    cam.start()
    analysed = 0
    next_note = 10.0
    try:
        while True:
            item = slot.take()
            if item is None:
                break
            t, i = item
            image = frames[i % len(frames)].copy()
            t_arrive = time.monotonic()
            proc.process(image, t + 1.0)  # after the warm-up frame's time
            t_done = time.monotonic()
            analysed += 1
            proc_ms.append(1000.0 * (t_done - t_arrive))
            lag_ms.append(1000.0 * (t_done - (start + t)))
            if not rss_first and t >= min(60.0, seconds / 2):
                rss_first.append(rss_mb())
            if t >= next_note:
                say(f"{t:.0f} s replayed, {analysed} frames analysed, {slot.dropped} dropped")
                next_note += 10.0
    finally:
        slot.close()
        cam.join()
        snap = proc.snapshot()
        counts = proc.estimator_counts()
        proc.close()
    return LiveBenchResult(
        video=str(video),
        model=model,
        width=frames[0].shape[1],
        height=frames[0].shape[0],
        fps=fps,
        seconds=total / fps,
        offered=slot.put_count,
        analysed=analysed,
        dropped=slot.dropped,
        proc_ms=proc_ms,
        lag_ms=lag_ms,
        rss_first_min_mb=rss_first[0] if rss_first else None,
        rss_end_mb=rss_mb(),
        reps=snap.reps,
        lost_seen=snap.lost,
        estimator=counts,
        load_start=load_start,
        load_end=load_average(),
    )


def format_live_bench(r: LiveBenchResult) -> str:
    """The replay's figures; the last three lines are latency, lag and the share dropped."""
    lines = [
        f"video: {r.video} ({r.width}x{r.height}, replayed at {r.fps:g} fps for {r.seconds:.0f} s, looped)",
        f"model: {r.model}; frames offered {r.offered}, analysed {r.analysed}, dropped {r.dropped} "
        f"(the processor saw {r.lost_seen} missing); reps counted {r.reps}",
    ]
    if r.estimator is not None:
        e = r.estimator
        lines.append(
            f"pose estimator: one-person tracking on {e['single']} frames, detection of everyone in view on "
            f"{e['multi']} (self-check disagreed {e['disagreements']} times)"
        )
    if r.load_start is not None and r.load_end is not None:
        lines.append(f"load average (1 min): {r.load_start:.2f} at the start, {r.load_end:.2f} at the end")
    if r.rss_first_min_mb is not None:
        lines.append(
            f"resident memory: {r.rss_first_min_mb:.0f} MB after {min(60, r.seconds / 2):.0f} s, "
            f"{r.rss_end_mb:.0f} MB at the end ({r.rss_end_mb - r.rss_first_min_mb:+.0f} MB)"
        )
    lines += [
        f"per-frame latency (ms): p50 {percentile(r.proc_ms, 50):.1f}  p95 {percentile(r.proc_ms, 95):.1f}",
        f"end-to-end lag, frame time to overlay (ms): p50 {percentile(r.lag_ms, 50):.1f}  "
        f"p95 {percentile(r.lag_ms, 95):.1f}",
        f"frames dropped: {100 * r.dropped_share:.1f} %",
    ]
    return "\n".join(lines)
