"""Several files at once: tasks in worker processes (``--jobs N``), results in input order.

MediaPipe keeps about one core busy per frame whatever its thread setting, and decoding runs on a
second thread, so one analysis leaves much of a multi-core machine idle; ``N`` worker processes
each analyse a whole file. A file of a batch is analysed in one process. One file alone is split by
``formcheck analyze VIDEO --jobs N`` (:mod:`formcheck.media.chunks`): only its pose estimation, the
checkers, which learn the person's resting position with hindsight over the whole clip (see
``core/checker.py``), run once over the stitched stream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def run_tasks(fn: Callable[..., Any], arg_tuples: list[tuple], jobs: int = 1) -> Iterator[Any]:
    """``fn(*args)`` for each of ``arg_tuples``, yielded in order; with ``jobs`` > 1 in that many
    worker processes (spawned: a fresh interpreter each, nothing of MediaPipe shared with this one;
    ``fn`` and its arguments must be picklable). An exception in a task is raised here, in order."""
    if jobs <= 1 or len(arg_tuples) <= 1:
        for args in arg_tuples:
            yield fn(*args)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(arg_tuples)), mp_context=ctx, initializer=_quiet_worker) as pool:
        futures = [pool.submit(fn, *args) for args in arg_tuples]
        try:
            for f in futures:
                yield f.result()
        finally:
            for f in futures:
                f.cancel()


def _quiet_worker() -> None:
    """A worker logs warnings and errors only (one line each), as the command line does."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@dataclass
class FileResult:
    """One file of a batch: its report, or the user error that stopped it (``code`` as in ``--json``)."""

    source: str
    report: Any = None
    error_code: str | None = None
    error: str | None = None


def analyze_one(
    source: str, exercise: str, model: str, max_fps: float | None, kind: str, fast: bool = False
) -> FileResult:
    """Analyse one file (a worker task); a user error (bad video, no person...) is returned, not raised."""
    from formcheck.media.pipeline import analyze
    from formcheck.tools.cli import _user_errors

    errors = _user_errors()
    try:
        report = analyze(source, exercise, model=model, max_fps=max_fps, kind=kind, fast=fast).report
    except tuple(errors) as e:
        code = next(c for cls, c in errors.items() if isinstance(e, cls))
        return FileResult(source=str(source), error_code=code, error=str(e))
    return FileResult(source=str(source), report=report)


def analyze_files(
    sources: list[str | Path],
    exercise: str,
    model: str = "full",
    max_fps: float | None = None,
    kind: str = "auto",
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    fast: bool = False,
) -> list[FileResult]:
    """Analyse each of ``sources`` as ``exercise``, ``jobs`` files at a time; results in input order."""
    from formcheck.media.pipeline import DEFAULT_MAX_FPS

    rate = DEFAULT_MAX_FPS if max_fps is None else max_fps
    out = []
    for i, res in enumerate(
        run_tasks(analyze_one, [(str(s), exercise, model, rate, kind, fast) for s in sources], jobs), 1
    ):
        out.append(res)
        if progress:
            progress(i, len(sources))
    return out
