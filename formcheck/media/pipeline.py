"""Video or track in, report out: the I/O edge around the pure :class:`~formcheck.core.session.Session`.

Decoding runs on a background thread (:func:`formcheck.media.video.prefetch`) so it overlaps pose
inference. Nothing is written to disk unless an annotated video or a track is asked for.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from formcheck.core.exercise import ExerciseSpec, get_exercise
from formcheck.core.fileio import (
    UnsafePathError,
    atomic_output,
    refuse_overwrite,
    require_regular_file,
)
from formcheck.core.landmarks import PoseFrame
from formcheck.core.posture import torso_length_px
from formcheck.core.report import Report
from formcheck.core.session import Session
from formcheck.media.overlay import draw_overlay
from formcheck.media.tracks import (
    TRACK_SUFFIX,
    Track,
    TrackError,
    header_number,
    is_track_file,
    iter_track,
    save_track,
)
from formcheck.media.video import Decoded, VideoWriter

if TYPE_CHECKING:
    from formcheck.media.pose import PoseEstimator, SelfCheck

log = logging.getLogger(__name__)

#: Longest image side given to the model, in pixels (a 4K video is scaled down to this).
MODEL_MAX_SIDE = 1280

#: Frames analysed per second of a video by default (``--max-fps``): a 30 fps video is analysed every
#: second frame. The checkers time everything in seconds of video time (reps, holds, dropouts, rests,
#: running medians), so counts, holds and faults do not depend on it (tests/test_stride.py holds that
#: on every labelled clip); below ~10 frames/s a fast movement's top could fall between two frames.
DEFAULT_MAX_FPS = 15.0


def exercise_max_fps(spec: ExerciseSpec, max_fps: float | None) -> float | None:
    """The analysed rate for ``spec``: ``max_fps``, or None (every frame) for a checker that says it
    needs every frame (a class attribute ``full_rate = True``: its decisions depend on how many
    frames a filter holds, not only on seconds)."""
    from formcheck.core.exercise import load_checker_class

    return None if getattr(load_checker_class(spec), "full_rate", False) else max_fps


def exercise_fast(spec: ExerciseSpec, fast: bool) -> bool:
    """Whether ``spec`` is analysed with the pose estimator's one-person fast path when ``fast`` is asked
    for: not for a checker that needs every frame (``full_rate``, the pelvic tilt). Its cues are a few
    degrees, compared with their resting jitter measured frame by frame, and one-person tracking has other
    jitter than the per-frame detection (on a rendered pelvic tilt, a third of it): with the fast path one
    sample clip lost a correct rep (pelvic_tilt_lift_f55_left_C, 3 -> 2)."""
    return bool(fast) and exercise_max_fps(spec, DEFAULT_MAX_FPS) is not None


def exercise_self_check(spec: ExerciseSpec) -> SelfCheck:
    """Which joint angles the fast path's self-check compares for ``spec`` (see
    :class:`~formcheck.media.pose.SelfCheck`): what its checker reads. A checker class may say so itself
    (a class attribute ``self_check``, a :class:`SelfCheck` or its value ``"near"``/``"both"``); otherwise
    a side-view exercise that is not done per side (the bridge: its checker measures the side nearer to
    the camera, :func:`formcheck.core.sides.best_side`) compares the nearer side only, and every other
    exercise both sides (the bird-dog and the knee-to-chest read the far limbs: a held far-leg knee hug is
    what the self-check is for)."""
    from formcheck.core.exercise import load_checker_class
    from formcheck.media.pose import SelfCheck

    declared = getattr(load_checker_class(spec), "self_check", None)
    if declared is not None:
        return SelfCheck(declared)
    if spec.camera.view == "side" and not spec.dosage.per_side:
        return SelfCheck.NEAR_SIDE
    return SelfCheck.BOTH_SIDES


#: Striding analyses every frame where skipping frames could change what the checkers see
#: (:class:`StridedAnalysis`): while nobody is found (the person is found again on the first frame they are
#: back, as at every frame), and around a pose that jumps, by more than this many torso lengths for a limb
#: joint between two analysed frames (a landmark glitch, or a move too fast for the stride). A real
#: knee-to-chest at 59.94 fps read its knee 2 torso lengths off on the one frame before the person was
#: lost for 2 s: at every frame the checkers' 0.2 s running median outvoted it with 11 other frames, at
#: every third frame it had 3, started a rep on it, and the rep was lost (issue 11). Between analysed
#: frames a limb moves under 0.6 torso lengths on the labelled clips at the default rate.
JUMP_TORSOS = 0.75
#: After such a jump every frame is analysed for this long (s): the checkers' running medians span 0.2 s.
DENSE_AFTER_JUMP_S = 0.25


def _jump_ids() -> list[int]:
    from formcheck.core.landmarks import INDEX

    return [
        INDEX[f"{s}_{j}"] for s in ("left", "right") for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
    ]


_JUMP_IDS = _jump_ids()


def _px(pose: PoseFrame) -> np.ndarray:
    """All landmarks of ``pose`` in pixels, (33, 2)."""
    return pose.xyz[:, :2] * np.array([pose.width, pose.height], dtype=np.float64)


def pose_jumped(a: PoseFrame, b: PoseFrame) -> bool:
    """Did a limb joint (shoulders, elbows, wrists, hips, knees, ankles) move by more than
    :data:`JUMP_TORSOS` of ``a``'s torso length from ``a`` to ``b`` (in pixels)?"""
    pa, pb = _px(a)[_JUMP_IDS], _px(b)[_JUMP_IDS]
    move = float(np.linalg.norm(pb - pa, axis=1).max())
    return move > JUMP_TORSOS * max(torso_length_px(a), 1.0)


#: ``detect(image_bgr, t_s)``: a pose estimator's landmarks of the person followed, or None.
DetectFn = Callable[[np.ndarray, float], PoseFrame | None]


def behind_estimator(stack: contextlib.ExitStack, main: PoseEstimator, model, **options) -> Callable[[], DetectFn]:
    """:class:`StridedAnalysis`'s ``between``: the detection path for frames before the last one ``main``
    analysed. A second estimator (``model``, ``options``; made on first use and closed with ``stack``) that
    starts afresh at every call and follows whom ``main`` followed before that frame."""
    from formcheck.media.pose import PoseEstimator

    made: list[PoseEstimator] = []

    def between() -> DetectFn:
        if not made:
            made.append(stack.enter_context(PoseEstimator(model, **options)))
        made[0].restart()
        made[0].follow_as(main)
        return made[0].detect

    return between


class StridedAnalysis:
    """Pose estimation on the decoded frames of a strided video: the frames the picker chose
    (``Decoded.picked``), and every frame where striding could change what the checkers see.

    - **While nobody is found** (the last analysed frame had no pose), every frame is analysed, until
      someone is found again: at the same frame as at every frame, not up to a stride later.
    - **When the person is lost, or their pose jumps** (:func:`pose_jumped`) between two analysed frames,
      the frames skipped between the two are analysed too, before the later one is handed on, and every
      frame is analysed for :data:`DENSE_AFTER_JUMP_S` after a jump.

    ``detect`` analyses the frames in order. Frames before one already analysed go to the estimator
    ``between()`` returns (called once per batch of such frames, so that it can start afresh and take over
    whom the main estimator follows): MediaPipe's VIDEO mode takes only increasing times. It is first given
    the last frame analysed before them (its result is not used), as the main estimator had it: MediaPipe's
    several-people landmarker detects the person afresh on every frame, so its landmarks of a frame where
    the detector finds them do not depend on the frames before, but where the detector misses them (a body
    curled up) it still follows them from the previous frame's landmarks. :meth:`run` yields
    ``(decoded, pose)`` in time order; ``dense`` and ``between_frames`` count the frames analysed off the
    stride going forward and back.
    """

    def __init__(self, detect: DetectFn, between: Callable[[], DetectFn]) -> None:
        self.detect = detect
        self.between = between
        self.dense = 0
        self.between_frames = 0

    def run(self, frames: Iterable[Decoded]) -> Generator[tuple[Decoded, PoseFrame | None], None, None]:
        """The analysed frames of ``frames`` (in decoding order) with their poses (see the class doc)."""
        skipped: list[Decoded] = []  # frames skipped since the last analysed one
        last: PoseFrame | None = None  # the last analysed pose
        last_frame: Decoded | None = None  # ... and its frame
        lost = False  # the last analysed frame found nobody
        dense_until = -np.inf
        for d in frames:
            if not (d.picked or lost or d.t_s < dense_until):
                skipped.append(d)
                continue
            if not d.picked:
                self.dense += 1
            pose = self.detect(d.image(), d.t_s)
            jumped = last is not None and pose is not None and pose_jumped(last, pose)
            if skipped and last is not None and last_frame is not None and (pose is None or jumped):
                detect_between = self.between()
                detect_between(last_frame.image(), last_frame.t_s)  # where the person was, as the main estimator saw it
                for e in skipped:
                    self.between_frames += 1
                    yield e, detect_between(e.image(), e.t_s)
            skipped = []
            if jumped:
                dense_until = d.t_s + DENSE_AFTER_JUMP_S
            lost = pose is None
            last, last_frame = pose, d
            yield d, pose


#: ``progress(done_frames, total_frames_or_0)``
ProgressFn = Callable[[int, int], None]


class AnalysisError(Exception):
    """The input was readable but holds nothing to analyse (e.g. no person at all), or an
    output path cannot be used."""


#: How an input file is read: ``"auto"`` (by its name: ``.fctrack`` is a track, anything else a
#: video), ``"video"`` or ``"track"`` (the caller's explicit choice).
INPUT_KINDS = ("auto", "video", "track")


def check_input(source: str | Path) -> Path:
    """Refuse, before opening it, an input that is not a regular file (a FIFO, device or socket
    would block or never end). Raises VideoError (the one-line user error of inputs)."""
    from formcheck.media.video import VideoError

    try:
        require_regular_file(source)
    except (FileNotFoundError, UnsafePathError) as e:
        raise VideoError(str(e)) from None
    return Path(source)


def input_kind(source: str | Path, kind: str = "auto") -> str:
    """``"video"`` or ``"track"`` for ``source``: the explicit ``kind``, else by the file name
    (``.fctrack`` is a track). Content is never sniffed to decide; it is only used to explain a
    failure (see :func:`_explain_misnamed`)."""
    if kind not in INPUT_KINDS:
        raise AnalysisError(f"input kind must be one of {', '.join(INPUT_KINDS)}, not {kind!r}")
    if kind != "auto":
        return kind
    return "track" if Path(source).suffix.lower() == TRACK_SUFFIX else "video"


def _explain_misnamed(path: Path, kind: str, error: Exception) -> Exception:
    """A clearer error when a file named as a video is really a track, or the other way round."""
    if kind == "video" and is_track_file(path):
        return AnalysisError(
            f"{path.name}: this is a formcheck landmark track, not a video: name it "
            f"*{TRACK_SUFFIX} or pass --input track"
        )
    if kind == "track" and not is_track_file(path):
        from formcheck.media.video import VideoError, open_video

        try:
            open_video(path).close()
        except (VideoError, OSError):
            return error
        return AnalysisError(
            f"{path.name}: this is a video, not a formcheck landmark track: "
            "pass --input video or name it for its format (.mp4, .webm, ...)"
        )
    return error


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
    kind: str = "auto",
    max_fps: float | None = DEFAULT_MAX_FPS,
    fast: bool = False,
    self_check: SelfCheck | None = None,
    jobs: int = 1,
) -> tuple[dict, Generator[tuple[float, PoseFrame | None], None, None]]:
    """Header info and an iterator of ``(t_s, PoseFrame | None)`` for a video or a track file.

    ``on_frame(t_s, image_bgr, pose)`` is called for each decoded video frame (not for tracks),
    e.g. to draw and write an annotated video. ``segmentation``: also run the model's person
    mask and keep the torso outline measured on it in each frame (videos only; a track has
    the outline if it was recorded with it). The header says whether frames carry it.
    ``kind``: see :data:`INPUT_KINDS`. ``fps`` and ``duration_s`` in the header are finite and
    non-negative (0 means unknown). ``max_fps``: a video is analysed at about this many frames per
    second of video (every ``stride``-th frame, chosen by the frames' own timestamps, see
    :class:`~formcheck.media.video.FramePicker`); None or 0 analyses every frame. A track is read
    as it was recorded. The header gives ``stride`` and ``analysed_fps``. ``fast``: the pose
    estimator's one-person fast path (see :class:`~formcheck.media.pose.PoseEstimator`,
    ``check_every_s``; opt-in: its landmarks are other landmarks, and hold times move). ``self_check``: the
    joint angles its self-check compares (:class:`~formcheck.media.pose.SelfCheck`, default both sides;
    :func:`analyze` chooses it from the exercise with :func:`exercise_self_check`). ``jobs``: with more than
    one, a long video's pose estimation is split into that many overlapping chunks estimated in parallel
    processes and stitched back in time order, checked at every seam to be the single-process stream
    (:mod:`formcheck.media.chunks`; it may raise :class:`~formcheck.media.chunks.ChunkError`, after which the
    caller runs it in one process). Not with ``on_frame`` (the images stay in the workers) nor ``fast`` (the
    one-person landmarker follows the person from frame to frame: its landmarks depend on all frames before).
    """
    path = check_input(source)
    kind = input_kind(path, kind)
    if kind == "track":
        try:
            head, frames = iter_track(path)
        except TrackError as e:
            raise _explain_misnamed(path, kind, e) from None
        total = int(header_number(head, "frames"))

        def from_track():
            for i, item in enumerate(frames, start=1):
                if progress:
                    progress(i, total)
                yield item

        return {
            "fps": header_number(head, "fps"),
            "duration_s": header_number(head, "duration_s"),
            "width": int(header_number(head, "width")),
            "height": int(header_number(head, "height")),
            "model": str(head.get("model", "")),
            "frames": total,
            "segmentation": bool(head.get("segmentation", False)),
            "stride": 1,
            "analysed_fps": header_number(head, "fps"),
        }, from_track()

    from formcheck.media.pose import CHECK_EVERY_S, PoseEstimator, SelfCheck, resolve_model
    from formcheck.media.video import FramePicker, VideoError, open_video, prefetch

    model_path = resolve_model(model)  # fail fast on a bad model, before decoding anything
    try:
        reader = open_video(path, max_side=MODEL_MAX_SIDE)
    except VideoError as e:
        raise _explain_misnamed(path, kind, e) from None
    info = reader.info
    picker = FramePicker(info.fps or 30.0, max_fps)
    head = {
        "fps": info.fps,
        "duration_s": info.duration_s,
        "width": info.width,
        "height": info.height,
        "model": model if model in ("lite", "full") else Path(model).name,
        "frames": info.frame_count,
        "segmentation": bool(segmentation),
        "stride": picker.stride,
        "analysed_fps": (info.fps or 30.0) / picker.stride,
    }
    if jobs > 1 and (on_frame is not None or fast):
        why = "an annotated video needs every image here" if on_frame is not None else "--fast tracks frame to frame"
        log.info("%s: analysed in one process (%s)", path.name, why)
    elif jobs > 1:
        from formcheck.media.chunks import chunked_estimation

        chunked = chunked_estimation(
            path, model_path, segmentation, info.fps or 30.0, max_fps, jobs, info.frame_count, progress
        )
        if chunked is not None:
            reader.close()
            return head, chunked.run()

    def from_video():
        with contextlib.ExitStack() as stack:
            stack.enter_context(reader)
            options = dict(max_side=MODEL_MAX_SIDE, segmentation=segmentation, keep_mask=False)
            estimator = stack.enter_context(
                PoseEstimator(
                    model_path,
                    check_every_s=CHECK_EVERY_S if fast else 0.0,
                    self_check=self_check or SelfCheck.BOTH_SIDES,
                    **options,
                )
            )
            strided = StridedAnalysis(estimator.detect, behind_estimator(stack, estimator, model_path, **options))
            for d, pose in strided.run(prefetch(reader.decoded(picker, keep_skipped=picker.stride > 1))):
                if on_frame is not None:
                    on_frame(d.t_s, d.image(), pose)
                if progress:
                    progress(reader.frames_decoded, info.frame_count)
                yield d.t_s, pose
            if strided.dense or strided.between_frames:
                log.debug(
                    "%s: %d frames analysed besides every %d. one (%d while nobody was found or after a jump, %d before)",
                    path.name,
                    strided.dense + strided.between_frames,
                    picker.stride,
                    strided.dense,
                    strided.between_frames,
                )

    return head, from_video()


def analyze(
    source: str | Path,
    exercise: str | ExerciseSpec,
    model: str = "full",
    annotate: str | Path | None = None,
    keep_track: bool = False,
    progress: ProgressFn | None = None,
    kind: str = "auto",
    max_fps: float | None = DEFAULT_MAX_FPS,
    fast: bool = False,
    jobs: int = 1,
) -> Analysis:
    """Run one video (or saved track) through pose estimation and the exercise checker.

    Args:
        source: a video file or a ``.fctrack`` landmark track.
        exercise: exercise id/alias or spec.
        model: ``"lite"``, ``"full"`` or a path to a ``.task`` file (ignored for tracks).
        annotate: write an annotated video here (``.mp4`` H.264 or ``.webm``), or ``None``.
        keep_track: also return the landmark track (for ``formcheck track``).
        progress: called as ``progress(frames_done, frames_total_or_0)``.
        kind: ``"auto"`` (by file name), ``"video"`` or ``"track"``.
        max_fps: analyse a video at about this many frames per second (default
            :data:`DEFAULT_MAX_FPS`; None or 0: every frame). Counts, holds and faults are the same
            as with every frame; the report's ``frames`` are the frames analysed.
        fast: the one-person fast path of the pose estimator (opt-in, see :func:`iter_pose_frames`;
            never for the pelvic tilt, see :func:`exercise_fast`), its self-check comparing what the
            exercise's checker reads (:func:`exercise_self_check`).
        jobs: split a long video's pose estimation into this many chunks estimated in parallel processes
            (:mod:`formcheck.media.chunks`; the checkers run here over the whole stitched stream). Each seam is
            checked to continue the single-process stream exactly; where one does not, the rest is estimated
            in one process, so the report is always the single-process one. Not with ``annotate`` or
            ``fast`` (see :func:`iter_pose_frames`).

    With ``annotate`` every frame is analysed whatever ``max_fps`` (the annotated video keeps the
    clip's frame rate; the results are the same).

    The annotated video is written to a temporary file beside ``annotate`` and renamed into place
    only when the analysis succeeded; ``annotate`` may never be the input (same file, hard link
    or symlink).

    Raises:
        VideoError, ModelError, TrackError: unreadable input (one-line messages).
        AnalysisError: no person in the whole video.
    """
    spec = exercise if isinstance(exercise, ExerciseSpec) else get_exercise(exercise)
    session = Session(spec, offline=True)
    annotate_path = Path(annotate) if annotate else None
    check_input(source)
    if annotate_path is not None:
        check_output_path(annotate_path, suffixes=(".mp4", ".webm"), inputs=(source,))
        if input_kind(source, kind) == "track":
            raise AnalysisError(f"{source}: --annotate needs the video itself, not a landmark track")
    with contextlib.ExitStack() as stack:
        tmp_video = stack.enter_context(atomic_output(annotate_path)) if annotate_path is not None else None
        rate = None if annotate_path is not None else max_fps  # an annotated video keeps every frame
        from formcheck.media.chunks import ChunkError

        try:
            return _analyze(source, spec, session, model, tmp_video, keep_track, progress, kind, rate, fast, jobs)
        except ChunkError as e:
            log.warning("%s: splitting it across processes failed (%s); analysing it again in one process", source, e)
        session = Session(spec, offline=True)
        return _analyze(source, spec, session, model, tmp_video, keep_track, progress, kind, rate, fast)


def _analyze(
    source,
    spec: ExerciseSpec,
    session: Session,
    model: str,
    annotate_path: Path | None,
    keep_track: bool,
    progress: ProgressFn | None,
    kind: str,
    max_fps: float | None = DEFAULT_MAX_FPS,
    fast: bool = False,
    jobs: int = 1,
) -> Analysis:
    pending: list = []  # the decoded image of the frame being processed, for the annotator
    head, frames = iter_pose_frames(
        source,
        model,
        progress,
        on_frame=(lambda t, img, pose: pending.append(img)) if annotate_path else None,
        segmentation=spec.needs_segmentation,
        kind=kind,
        max_fps=exercise_max_fps(spec, max_fps),
        fast=exercise_fast(spec, fast),
        self_check=exercise_self_check(spec),
        jobs=jobs,
    )
    track = _empty_track(source, head) if keep_track else None
    writer = None
    key_landmarks = session.checker.key_landmarks
    try:
        with contextlib.closing(frames):  # closes the reader, the model and the decode thread on any exit
            for t_s, pose in frames:
                session.update(t_s, pose)
                if track is not None:
                    track.frames.append((t_s, pose))
                if pending and annotate_path is not None:  # (frames are kept only when annotating)
                    image = pending.pop()
                    if writer is None:
                        h, w = image.shape[:2]
                        writer = VideoWriter(
                            annotate_path, fps=head["analysed_fps"] or head["fps"] or 30.0, size=(w, h)
                        )
                    draw_overlay(image, session.last_frame, session.status, key_joints=key_landmarks())
                    writer.write(image, session.last_t)
        session.finish()
        if session.frames == 0:
            raise AnalysisError(f"{source}: no frames could be decoded")
        if session.frames_with_pose == 0:
            raise AnalysisError(f"{source}: no person was found in the video")
    finally:
        if writer is not None:
            writer.close()  # the temporary file is renamed into place (or deleted) by the caller
    duration_s = None if session.retimed_frames else (head["duration_s"] or None)  # re-timed: the frames' own span
    report = session.report(str(source), fps=head["fps"], duration_s=duration_s, model=head["model"])
    if track is not None:
        track.duration_s = report.duration_s
    return Analysis(report=report, track=track)


def _empty_track(source: str | Path, head: dict) -> Track:
    return Track(
        source=str(source),
        fps=head["fps"],
        width=head["width"],
        height=head["height"],
        model=head["model"],
        duration_s=head["duration_s"],
        segmentation=head["segmentation"],
    )


def check_output_path(
    path: str | Path, suffixes: tuple[str, ...] | None = None, inputs: tuple[str | Path | None, ...] = ()
) -> Path:
    """Fail early, before any work, when ``path`` cannot be written: its folder is missing or
    not writable, (with ``suffixes``) its extension is not one of them, or it is one of
    ``inputs`` (the same file, a hard link or a symlink to it)."""
    p = Path(path)
    try:
        refuse_overwrite([p], inputs)
    except UnsafePathError as e:
        raise AnalysisError(str(e)) from None
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


def write_track(
    source: str | Path,
    out: str | Path,
    model: str = "full",
    progress: ProgressFn | None = None,
    segmentation: bool = False,
    max_fps: float | None = DEFAULT_MAX_FPS,
    fast: bool = False,
    self_check: SelfCheck | None = None,
) -> Track:
    """Run pose estimation on a video and save its landmark track to ``out``.

    ``segmentation``: also run the person mask and store the torso outline measured on it with
    every frame (what an exercise with ``needs_segmentation``, e.g. the pelvic tilt, reads).
    ``max_fps``: the frames analysed, as for :func:`analyze` (None or 0: every frame). ``fast``,
    ``self_check``: the pose estimator's fast path and what its self-check compares (default: both
    sides; the track is not made for one exercise, see :func:`iter_pose_frames`).
    """
    check_input(source)
    check_output_path(out, inputs=(source,))
    head, frames = iter_pose_frames(
        source,
        model,
        progress,
        segmentation=segmentation,
        kind="video",
        max_fps=max_fps,
        fast=fast,
        self_check=self_check,
    )
    track = _empty_track(source, head)
    with contextlib.closing(frames):
        track.frames = list(frames)
    if not track.frames:
        raise AnalysisError(f"{source}: no frames could be decoded")
    save_track(track, out)
    return track
