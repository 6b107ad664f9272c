"""The randomized stress corpus: seeded clip specs → rendered video → MediaPipe track + label.

``formcheck synth corpus --seed S --count N --out DIR`` renders clips ``0..N-1``.  Clip ``i``
is exercise ``EXERCISES[i % 4]`` (a balanced share each) and has the seed
``S * 1000 + i``; every parameter of the clip is drawn from that seed alone
(:func:`formcheck.synth.randomize.draw_clip`), and the seed is in the label, so one clip can be
re-rendered exactly with ``--only NAME``.  Within an exercise every third clip is clean
(``j % 3 == 0`` for the exercise's ``j``-th clip); the others get faults cycling through the
exercise's fault codes.

Each clip is rendered to ``DIR/NAME.mp4``, tracked with the body outline (the same as
``formcheck track NAME.mp4 -o NAME.fctrack --segmentation``) and the video is deleted
(unless ``keep_video``).  ``DIR/NAME.json`` is the label (sample-clip schema plus a
``generator`` block with every drawn parameter).  Clips whose track and label exist are
skipped, so an interrupted run resumes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .motions import EXERCISES
from .randomize import Drawn, draw_clip

log = logging.getLogger(__name__)

#: Clip seeds are ``corpus_seed * SEED_STRIDE + index``.
SEED_STRIDE = 1000


@dataclass(frozen=True)
class PlannedClip:
    """One clip of a corpus: its index, exercise, seed and file stem."""

    index: int
    exercise: str
    seed: int
    fault_index: int | None

    @property
    def name(self) -> str:
        kind = "clean" if self.fault_index is None else "fault"
        return f"{self.exercise}_{kind}_s{self.seed}"


def plan(seed: int, count: int) -> list[PlannedClip]:
    """The clips of corpus ``seed`` with ``count`` clips (balanced over the four exercises)."""
    if not 0 < count <= SEED_STRIDE:
        raise ValueError(f"count must be 1..{SEED_STRIDE}")
    out = []
    for i in range(count):
        ex = EXERCISES[i % len(EXERCISES)]
        j = i // len(EXERCISES)  # the exercise's j-th clip
        fault_index = None if j % 3 == 0 else j - j // 3 - 1
        out.append(PlannedClip(i, ex, seed * SEED_STRIDE + i, fault_index))
    return out


def draw(c: PlannedClip) -> Drawn:
    """The drawn spec of a planned clip."""
    return draw_clip(c.seed, c.exercise, c.fault_index, name=c.name)


def render_clip(d: Drawn, out_dir: Path, keep_video: bool = False, model: str = "full") -> dict:
    """Render one drawn clip, track it with the outline, write its label; returns the label."""
    import shutil
    import tempfile

    from formcheck.media.pipeline import write_track

    from .generate import write_clip

    track = out_dir / f"{d.name}.fctrack"
    label_path = out_dir / f"{d.name}.json"
    # work in a scratch folder: a clip half-way through never looks finished to `formcheck eval`
    with tempfile.TemporaryDirectory(prefix=".rendering-", dir=out_dir) as tmp:
        video = Path(tmp) / f"{d.name}.mp4"
        gt = write_clip(d.spec, video)
        tr = write_track(video, Path(tmp) / track.name, model=model, segmentation=True)
        tr.source = video.name
        save_compact_track(tr, track)
        if keep_video:
            shutil.move(str(video), out_dir / video.name)
    gt["clip"] = track.name
    gt["video"] = video.name if keep_video else None
    gt["licence"] = gt["licence"] + "; landmark track by MediaPipe Pose Landmarker (full)"
    label_path.write_text(json.dumps(gt, indent=1) + "\n")
    return gt


def save_compact_track(track, path: str | Path) -> Path:
    """Write a track like :func:`formcheck.media.tracks.save_track`, with the compact rounding of
    :data:`formcheck.core.landmarks.COMPACT_ROUNDING` (what keeps the committed corpus small)."""
    import gzip

    from formcheck.core.landmarks import COMPACT_ROUNDING

    path = Path(path)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps(track.header()) + "\n")
        for t, frame in track.frames:
            pose = None if frame is None else frame.to_dict(**COMPACT_ROUNDING)
            f.write(json.dumps({"t_s": round(t, 6), "pose": pose}) + "\n")
    return path


def render_corpus(
    seed: int,
    count: int,
    out_dir: str | Path,
    only: str | None = None,
    keep_video: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Render the corpus (see the module docstring).  Returns the names written this run."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clips = [c for c in plan(seed, count) if not only or only in c.name]
    if not clips:
        raise ValueError(f"no clip of corpus seed {seed} (count {count}) is named like '{only}'")
    done: list[str] = []
    failed: list[str] = []
    t_all = time.monotonic()
    for n, c in enumerate(clips, start=1):
        if not only and (out / f"{c.name}.fctrack").is_file() and (out / f"{c.name}.json").is_file():
            log.info("[%d/%d] %s: already there, skipped", n, len(clips), c.name)
        else:
            d = draw(c)
            t0 = time.monotonic()
            try:
                gt = render_clip(d, out, keep_video=keep_video)
            except Exception as e:  # one bad clip must not stop an hour-long run
                log.error("[%d/%d] %s: FAILED %s: %s", n, len(clips), c.name, e.__class__.__name__, e)
                failed.append(c.name)
                continue
            dt = time.monotonic() - t0
            log.info(
                "[%d/%d] %s: %d frames %dx%d@%g fps, %.1f s clip, %d reps (%d good) in %.0f s "
                "(estimate %.0f s); %.0f s so far",
                n,
                len(clips),
                c.name,
                gt.get("frames", 0),
                gt["width"],
                gt["height"],
                gt["fps"],
                gt["duration_s"],
                gt["expected"]["reps"],
                gt["expected"]["good_reps"],
                dt,
                d.params["estimated_cost_s"],
                time.monotonic() - t_all,
            )
            done.append(c.name)
        if progress:
            progress(n, len(clips))
    if failed:
        raise RuntimeError(f"{len(failed)} clip(s) failed: {', '.join(failed)}")
    return done
