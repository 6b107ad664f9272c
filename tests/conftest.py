"""Shared fixtures. Media fixtures are generated at test time (see conftest_media.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
SHARED_CLIPS = ROOT.parent / "shared" / "clips"


def report_outcome(report) -> dict:
    """What must not change between two ways of analysing a clip (analysed rate, processes): reps,
    good reps, each rep's side, verdict and faults, the report's faults and how many holds."""
    return {
        "reps": len(report.reps),
        "good_reps": report.good_reps,
        "per_rep": [(r.side, r.good, sorted(r.faults)) for r in report.reps],
        "faults": sorted((f.code, f.rep) for f in report.faults),
        "holds": len(report.holds),
    }


def clip_path(name: str) -> Path:
    """A sample clip: ``sample_videos/NAME`` (committed), else the shared copy."""
    for d in (SAMPLES, SHARED_CLIPS):
        if (d / name).is_file():
            return d / name
    pytest.fail(f"sample clip {name} is missing from {SAMPLES}")


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``formcheck`` command in a subprocess, as a user would."""
    env = dict(os.environ)
    env.pop("FORMCHECK_NATIVE_LOGS", None)
    return subprocess.run(
        [sys.executable, "-m", "formcheck", *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
    )


# ---------------------------------------------------------------- landmark tracks, made once per session
class TrackCache:
    """Landmark tracks of real clips (MediaPipe, full model), made once per test session and shared by
    every test that needs them: the eval of the sample clips, the wrong-exercise tests, the real
    development clips and the striding exactness tests read the same files instead of each running
    the model again. Tracks are named as :func:`formcheck.tools.evaluate.cached_track` names them,
    so ``formcheck eval --track-cache`` finds them too; missing ones are made two at a time in
    worker processes (MediaPipe keeps about one core busy).

    A track made with the person mask holds exactly the landmarks of one made without it (only the
    torso outline is added, which only the pelvic tilt reads), so :meth:`get` serves a request
    without the mask from a track with it when there is one.
    """

    def __init__(self, folder: Path, jobs: int = 2) -> None:
        self.folder = Path(folder)
        self.jobs = jobs

    def _path(self, video: Path, segmentation: bool, max_fps: float | None) -> Path:
        from formcheck.tools.evaluate import track_cache_path

        return track_cache_path(Path(video), self.folder, "full", segmentation, max_fps)

    def prepare(self, exact=(), flexible=()) -> None:
        """Make the missing tracks of ``exact`` and ``flexible`` ((video, segmentation, max_fps)
        triples); a ``flexible`` request without the mask is left out when the same clip and rate is
        asked for with it (:meth:`get` serves it from that one)."""
        from formcheck.tools.batch import run_tasks
        from formcheck.tools.evaluate import cached_track

        wanted: dict[Path, tuple] = {self._path(v, seg, rate): (Path(v), seg, rate) for v, seg, rate in exact}
        flex = {self._path(v, seg, rate): (Path(v), seg, rate) for v, seg, rate in flexible}
        masked = set(wanted) | {p for p, r in flex.items() if r[1]}
        for p, r in flex.items():
            if r[1] or self._path(r[0], True, r[2]) not in masked:
                wanted.setdefault(p, r)
        todo = [(r[0], self.folder, "full", r[1], r[2]) for p, r in wanted.items() if not p.is_file()]
        for _ in run_tasks(cached_track, todo, jobs=self.jobs):
            pass

    def get(self, video: Path, segmentation: bool = False, max_fps: float | None = None) -> Path:
        """The track of ``video`` (made now if missing): with the person mask or, when asked without
        it, with or without (see the class doc)."""
        if not segmentation:
            with_mask = self._path(video, True, max_fps)
            if with_mask.is_file():
                return with_mask
        path = self._path(video, segmentation, max_fps)
        if not path.is_file():
            self.prepare(exact=[(video, segmentation, max_fps)])
        return path


@pytest.fixture(scope="session")
def track_cache(tmp_path_factory) -> TrackCache:
    """The session's :class:`TrackCache` (in a temporary folder)."""
    return TrackCache(tmp_path_factory.mktemp("tracks"))


def analyses_of(folder: Path) -> list[tuple[Path, str]]:
    """(clip, exercise) for every analysis a labelled folder's labels ask for (a negative: every
    exercise of its ``analyse_as``)."""
    import json

    from formcheck.tools.evaluate import find_clips

    out = []
    for video, label_path in find_clips(folder):
        label = json.loads(label_path.read_text())
        exercises = [label["exercise"]] if label.get("exercise") else label.get("analyse_as", ["bridge"])
        out += [(video, ex) for ex in exercises]
    return out


def product_requests(analyses, max_fps: float | None):
    """The tracks the product's own analysis of each (clip, exercise) reads: the exercise's person
    mask and analysed rate (the pelvic tilt: every frame)."""
    from formcheck.core.exercise import get_exercise
    from formcheck.media.pipeline import exercise_max_fps

    out = []
    for video, ex in analyses:
        spec = get_exercise(ex)
        out.append((video, spec.needs_segmentation, exercise_max_fps(spec, max_fps)))
    return out


REALDEV = ROOT.parent / "shared" / "realdev"
REALDEV_SKIP = f"{REALDEV} is absent: the real clips are not redistributable (see issue 8 and its README)"


@pytest.fixture(scope="session")
def real_tracks(track_cache) -> TrackCache:
    """:func:`track_cache` with every track the MediaPipe tests of labelled clips read made up front,
    two at a time: the sample clips and the real development clips (when present), each analysis at
    the product's default rate and, for the striding test, at every frame."""
    from formcheck.media.pipeline import DEFAULT_MAX_FPS

    samples = analyses_of(SAMPLES)
    real = analyses_of(REALDEV) if REALDEV.is_dir() else []
    track_cache.prepare(
        exact=product_requests(samples, DEFAULT_MAX_FPS),  # as `formcheck eval --track-cache` names them
        flexible=product_requests(real, DEFAULT_MAX_FPS) + product_requests(samples + real, None),
    )
    return track_cache
