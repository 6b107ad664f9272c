"""Video or track in, report out: the I/O edge around the pure :class:`~formcheck.session.Session`.

Decoding runs on a background thread (:func:`formcheck.video.prefetch`) so it overlaps pose
inference. Nothing is written to disk unless an annotated video or a track is asked for.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .exercise import ExerciseSpec, get_exercise
from .landmarks import PoseFrame
from .overlay import draw_overlay
from .report import Report
from .session import Session
from .tracks import Track, is_track_file, iter_track, save_track
from .video import VideoWriter

log = logging.getLogger(__name__)

#: Longest image side given to the model, in pixels (a 4K video is scaled down to this).
MODEL_MAX_SIDE = 1280

#: ``progress(done_frames, total_frames_or_0)``
ProgressFn = Callable[[int, int], None]


class AnalysisError(Exception):
    """The input was readable but holds nothing to analyse (e.g. no person at all)."""


@dataclass
class Analysis:
    """The report plus, when asked for, the landmark track that produced it."""

    report: Report
    track: Track | None = None


def iter_pose_frames(
    source: str | Path,
    model: str = "full",
    progress: ProgressFn | None = None,
    on_frame: Callable[[float, np.ndarray, PoseFrame | None], None] | None = None,
    segmentation: bool = False,
) -> tuple[dict, Iterator[tuple[float, PoseFrame | None]]]:
    """Header info and an iterator of ``(t_s, PoseFrame | None)`` for a video or a track file.

    ``on_frame(t_s, image_bgr, pose)`` is called for each decoded video frame (not for tracks),
    e.g. to draw and write an annotated video. ``segmentation``: also run the model's person
    mask and keep the torso outline measured on it in each frame (videos only; a track has
    the outline if it was recorded with it). The header says whether frames carry it.
    """
    path = Path(source)
    if is_track_file(path):
        head, frames = iter_track(path)
        total = int(head.get("frames", 0))

        def from_track():
            for i, item in enumerate(frames, start=1):
                if progress:
                    progress(i, total)
                yield item

        return {"fps": float(head.get("fps", 0.0)), "duration_s": float(head.get("duration_s", 0.0)),
                "width": int(head.get("width", 0)), "height": int(head.get("height", 0)),
                "model": str(head.get("model", "")), "frames": total,
                "segmentation": bool(head.get("segmentation", False))}, from_track()

    from .pose import PoseEstimator, resolve_model
    from .video import open_video, prefetch

    model_path = resolve_model(model)  # fail fast on a bad model, before decoding anything
    reader = open_video(path, max_side=MODEL_MAX_SIDE)
    info = reader.info

    def from_video():
        with reader, PoseEstimator(model_path, max_side=MODEL_MAX_SIDE, segmentation=segmentation, keep_mask=False) as estimator:
            for i, (t_s, image) in enumerate(prefetch(reader), start=1):
                pose = estimator.detect(image, t_s)
                if on_frame is not None:
                    on_frame(t_s, image, pose)
                if progress:
                    progress(i, info.frame_count)
                yield t_s, pose

    return {"fps": info.fps, "duration_s": info.duration_s, "width": info.width, "height": info.height,
            "model": model if model in ("lite", "full") else Path(model).name, "frames": info.frame_count,
            "segmentation": bool(segmentation)}, from_video()


def analyze(
    source: str | Path,
    exercise: str | ExerciseSpec,
    model: str = "full",
    annotate: str | Path | None = None,
    keep_track: bool = False,
    progress: ProgressFn | None = None,
) -> Analysis:
    """Run one video (or saved track) through pose estimation and the exercise checker.

    Args:
        source: a video file or a ``.fctrack`` landmark track.
        exercise: exercise id/alias or spec.
        model: ``"lite"``, ``"full"`` or a path to a ``.task`` file (ignored for tracks).
        annotate: write an annotated video here (``.mp4`` H.264 or ``.webm``), or ``None``.
        keep_track: also return the landmark track (for ``formcheck track``).
        progress: called as ``progress(frames_done, frames_total_or_0)``.

    Raises:
        VideoError, ModelError, TrackError: unreadable input (one-line messages).
        AnalysisError: no person in the whole video.
    """
    spec = exercise if isinstance(exercise, ExerciseSpec) else get_exercise(exercise)
    session = Session(spec)
    annotate_path = Path(annotate) if annotate else None
    if annotate_path is not None:
        if is_track_file(source):
            raise AnalysisError(f"{source}: --annotate needs the video itself, not a landmark track")
        check_output_path(annotate_path, suffixes=(".mp4", ".webm"))
    pending: list = []  # the decoded image of the frame being processed, for the annotator
    head, frames = iter_pose_frames(source, model, progress,
                                    on_frame=(lambda t, img, pose: pending.append(img)) if annotate_path else None,
                                    segmentation=spec.needs_segmentation)
    track = _empty_track(source, head) if keep_track else None
    writer = None
    key_landmarks = session.checker.key_landmarks
    ok = False
    try:
        with contextlib.closing(frames):  # closes the reader, the model and the decode thread on any exit
            for t_s, pose in frames:
                session.update(t_s, pose)
                if track is not None:
                    track.frames.append((t_s, pose))
                if pending:
                    image = pending.pop()
                    if writer is None:
                        h, w = image.shape[:2]
                        writer = VideoWriter(annotate_path, fps=head["fps"] or 30.0, size=(w, h))
                    draw_overlay(image, session.last_frame, session.status, key_joints=key_landmarks())
                    writer.write(image, t_s)
        session.finish()
        if session.frames == 0:
            raise AnalysisError(f"{source}: no frames could be decoded")
        if session.frames_with_pose == 0:
            raise AnalysisError(f"{source}: no person was found in the video")
        ok = True
    finally:
        if writer is not None:
            writer.close()
        if not ok and annotate_path is not None:
            annotate_path.unlink(missing_ok=True)  # no half-written video left behind
    report = session.report(str(source), fps=head["fps"], duration_s=head["duration_s"] or None, model=head["model"])
    if track is not None:
        track.duration_s = report.duration_s
    return Analysis(report=report, track=track)


def _empty_track(source: str | Path, head: dict) -> Track:
    return Track(source=str(source), fps=head["fps"], width=head["width"], height=head["height"], model=head["model"],
                 duration_s=head["duration_s"], segmentation=head["segmentation"])


def check_output_path(path: str | Path, suffixes: tuple[str, ...] | None = None) -> Path:
    """Fail early, before any work, when ``path`` cannot be written: its folder is missing or
    not writable, or (with ``suffixes``) its extension is not one of them."""
    p = Path(path)
    if suffixes is not None and p.suffix.lower() not in suffixes:
        raise AnalysisError(f"{p}: use a file name ending in {' or '.join(suffixes)}")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise AnalysisError(f"{p}: cannot write here, the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise AnalysisError(f"{p}: cannot write here, the folder {folder} is not writable")
    if p.is_dir():
        raise AnalysisError(f"{p}: is a folder; give a file name")
    return p


def write_track(source: str | Path, out: str | Path, model: str = "full", progress: ProgressFn | None = None,
                segmentation: bool = False) -> Track:
    """Run pose estimation on a video and save its landmark track to ``out``.

    ``segmentation``: also run the person mask and store the torso outline measured on it with
    every frame (what an exercise with ``needs_segmentation``, e.g. the pelvic tilt, reads).
    """
    check_output_path(out)
    head, frames = iter_pose_frames(source, model, progress, segmentation=segmentation)
    track = _empty_track(source, head)
    with contextlib.closing(frames):
        track.frames = list(frames)
    if not track.frames:
        raise AnalysisError(f"{source}: no frames could be decoded")
    save_track(track, out)
    return track
