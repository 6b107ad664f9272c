"""MediaPipe pose landmarker wrapper: BGR frames in, :class:`PoseFrame` out.

``import formcheck.media.pose`` is cheap: mediapipe (which pulls in matplotlib) is imported
only when a :class:`PoseEstimator` is created. Models are local ``.task`` files; nothing
is ever downloaded.
"""

from __future__ import annotations

import enum
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from formcheck.core.landmarks import INDEX, PoseFrame
from formcheck.core.outline import frame_outline
from formcheck.core.posture import ALL_FOURS, SUPINE, classify_posture
from formcheck.core.sides import SWITCH_MARGIN

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
BUNDLED_MODELS = ("lite", "full")

_CENTRE_IDS = [INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
#: Forget the tracked person after this long without a detection (seconds).
_TRACK_TIMEOUT_S = 2.0
#: The same person in the next frame: shoulder-hip centre within this many torso lengths of the
#: last one. These exercises barely move the torso's centre (a bridge lifts the hips by less than a
#: torso length), while two people side by side are at least a body width apart.
_SAME_PERSON_TORSOS = 1.0
#: ... and never less than this share of the image diagonal (a tiny or foreshortened torso).
_SAME_PERSON_MIN_FRAC = 0.05
#: Fast path (opt-in, ``check_every_s``): with ``num_poses`` > 1 the estimator tracks one person with a
#: one-person landmarker and looks for others with the several-people landmarker only now and then: every this many seconds of
#: video time (a second person costs ~60 % more inference per frame; a warning about them a second
#: late loses nothing), ...
CHECK_EVERY_S = 1.0
#: ... and, at most every :data:`RECHECK_MIN_S`, on the next frame after the one-person landmarker's
#: confidence dropped: the mean visibility of the shoulders and hips below this (0..1) means it may be
#: losing the person, or have jumped to someone else half hidden.
LOW_CONFIDENCE = 0.5
RECHECK_MIN_S = 0.25
#: The fast path checks itself on every several-people check: the joint angles the checkers read
#: (shoulder-hip-knee, hip-knee-ankle, shoulder-elbow-wrist and hip-shoulder-elbow, both sides) of the
#: one-person landmarker must be within this many degrees of the several-people landmarker's, which finds
#: the person afresh with the detector on that frame. One-person tracking follows its own last landmarks,
#: and where those are guessed (a leg hidden behind the other in a held knee hug) it can settle on another
#: pose than a fresh detection: on a rendered knee hug of the far leg its hip angle read 100-113 degrees,
#: the detection's 87, the true one 67 (held near-leg hugs and rests: within 10 degrees of each other).
AGREE_DEG = 11.0
#: When they disagree the estimator uses the detection path alone, on every frame (exactly the estimator
#: without the fast path), for this long; then it tries one-person tracking again from a fresh detection and
#: checks it on every frame for :data:`PROBE_S`. A failed try doubles the wait, up to :data:`SLOW_MAX_S`.
#: Restarting does not help in a pose where they disagree: one to three frames after a fresh detection, tracking
#: already read that far hip angle 10-30 degrees off the detection's (it is where the landmark-derived
#: region of interest puts the crop, not a slow drift); hence the long, doubling waits and the short tries
#: (both landmarkers run during a try), so that a pose where they keep disagreeing costs little more than
#: the detection path alone.
SLOW_S = 1.0
SLOW_MAX_S = 8.0
PROBE_S = 0.25
#: The angles compared by the fast path's self-check: (a, b, c) is the angle at b. Rows 0-3 are the left
#: side's, rows 4-7 the right side's (see :data:`_SIDE_ROWS`).
_AGREE_ANGLES = np.array(
    [
        [INDEX[f"{side}_{a}"], INDEX[f"{side}_{b}"], INDEX[f"{side}_{c}"]]
        for side in ("left", "right")
        for a, b, c in (
            ("shoulder", "hip", "knee"),
            ("hip", "knee", "ankle"),
            ("shoulder", "elbow", "wrist"),
            ("hip", "shoulder", "elbow"),
        )
    ]
)
_SIDE_ROWS = {"left": np.arange(0, 4), "right": np.arange(4, 8)}
#: The joints whose mean visibility says which side is nearer to the camera, as the side-view checkers
#: choose the side they measure (:func:`formcheck.core.sides.best_side`).
_SIDE_JOINTS = {side: [INDEX[f"{side}_{j}"] for j in ("shoulder", "hip", "knee")] for side in ("left", "right")}
#: A side whose mean shoulder/hip/knee visibility is within this of the better side's (0..1) may be the one a
#: checker measures (its side choice is sticky by the same margin), so it is compared too.
NEAR_MARGIN = SWITCH_MARGIN


class SelfCheck(enum.Enum):
    """Which joint angles the fast path's self-check compares (see :data:`AGREE_DEG`): the ones the
    exercise's checker reads.

    ``BOTH_SIDES``: the four angles of both sides. For exercises that read the far limbs too (bird-dog, the
    knee-to-chest's far-leg hug, the reason the self-check exists), and the default.
    ``NEAR_SIDE``: only the side nearer to the camera: the side with the higher mean shoulder/hip/knee
    visibility; both sides when the two are within :data:`NEAR_MARGIN`, or when the detection and the
    tracking see different sides as nearer (a checker could then measure either). For a side-view exercise
    whose checker measures only the nearer side (the bridge): the hidden far hip of a held bridge reads
    11-18 degrees apart in the two landmarkers, which the bridge never reads.
    """

    BOTH_SIDES = "both"
    NEAR_SIDE = "near"


#: Starting positions of the built-in exercises: whom to follow when several people are in view
#: and the caller did not say which exercise (someone lying on their back or on all fours, rather
#: than a partner standing or walking past).
EXERCISE_POSITIONS: tuple[str, ...] = (SUPINE, ALL_FOURS)


class ModelError(Exception):
    """The pose model file is missing or unusable. The message is one line naming the file."""


def resolve_model(spec: str | os.PathLike) -> Path:
    """``"lite"``/``"full"`` → the bundled ``.task`` file; anything else is a path to check.

    Raises :class:`ModelError` for ``"heavy"`` (not bundled), a missing path, a
    directory or a file that is not a ``.task`` (zip) archive.
    """
    s = str(spec)
    key = s.strip().lower()
    if key in BUNDLED_MODELS:
        p = MODELS_DIR / f"pose_landmarker_{key}.task"
        if not p.is_file():
            raise ModelError(f"{p.name}: the bundled '{key}' model is missing from {MODELS_DIR} (reinstall formcheck)")
        return p
    if key == "heavy":
        raise ModelError(
            "heavy: the heavy pose model (30 MB) is not bundled with formcheck; "
            "pass the path of your pose_landmarker_heavy.task instead (--model PATH)"
        )
    p = Path(s).expanduser()
    if not p.exists():
        raise ModelError(f"{p}: model file not found (use 'lite', 'full' or the path of a .task file)")
    if not p.is_file():
        raise ModelError(f"{p}: is a directory, not a MediaPipe .task model file")
    if not zipfile.is_zipfile(p):
        raise ModelError(f"{p}: is not a MediaPipe .task model file")
    return p


def _centre(xyz: np.ndarray) -> np.ndarray:
    """Mean of shoulders and hips in normalised image coordinates, (2,)."""
    return xyz[_CENTRE_IDS, :2].mean(axis=0)


def _torso_px(xyz: np.ndarray, w: int, h: int) -> float:
    """Distance from mid-shoulders to mid-hips in pixels."""
    sh = (xyz[INDEX["left_shoulder"], :2] + xyz[INDEX["right_shoulder"], :2]) / 2
    hip = (xyz[INDEX["left_hip"], :2] + xyz[INDEX["right_hip"], :2]) / 2
    return float(np.hypot((sh[0] - hip[0]) * w, (sh[1] - hip[1]) * h))


def _xyz(landmarks: Any) -> np.ndarray:
    return np.array([[lm.x, lm.y, lm.z] for lm in landmarks], dtype=np.float64)


def _vis(landmarks: Any) -> np.ndarray:
    return np.array([(lm.visibility if lm.visibility is not None else 0.0) for lm in landmarks], dtype=np.float64)


def _near(a: np.ndarray, b: np.ndarray, w: int, h: int) -> bool:
    """Two landmark sets of the same person (shoulder-hip centres within a tenth of a torso length)."""
    d = float(np.linalg.norm((_centre(a) - _centre(b)) * np.array([w, h], dtype=np.float64)))
    return d <= max(0.1 * _torso_px(b, w, h), 0.01 * float(np.hypot(w, h)))


def _angles(xyz: np.ndarray, w: int, h: int) -> np.ndarray:
    """The :data:`_AGREE_ANGLES` in degrees, in pixel space."""
    px = xyz[:, :2] * np.array([w, h], dtype=np.float64)
    u = px[_AGREE_ANGLES[:, 0]] - px[_AGREE_ANGLES[:, 1]]
    v = px[_AGREE_ANGLES[:, 2]] - px[_AGREE_ANGLES[:, 1]]
    cos = (u * v).sum(axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1) + 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _near_sides(vis: np.ndarray) -> set[str]:
    """The sides (``"left"``/``"right"``) that may be the nearer one by their mean shoulder/hip/knee
    visibility (0..1): the better side, and the other when it is within :data:`NEAR_MARGIN`."""
    score = {side: float(vis[ids].mean()) for side, ids in _SIDE_JOINTS.items()}
    best = max(score.values())
    return {side for side, v in score.items() if v >= best - NEAR_MARGIN}


def _compared_sides(check: SelfCheck, vis_a: np.ndarray, vis_b: np.ndarray) -> tuple[str, ...]:
    """The sides whose angles the self-check compares for two landmark sets' visibilities (0..1)."""
    if check is SelfCheck.BOTH_SIDES:
        return ("left", "right")
    return tuple(sorted(_near_sides(vis_a) | _near_sides(vis_b)))


def _agree(a: np.ndarray, b: np.ndarray, w: int, h: int, sides: tuple[str, ...] = ("left", "right")) -> bool:
    """Do two landmark sets of the same person give every compared joint angle of ``sides`` within
    :data:`AGREE_DEG` degrees?"""
    rows = np.concatenate([_SIDE_ROWS[side] for side in sides])
    return float(np.abs(_angles(a, w, h) - _angles(b, w, h))[rows].max()) <= AGREE_DEG


def _bbox_area(xyz: np.ndarray) -> float:
    """Area of the landmarks' bounding box in normalised units (0..1)."""
    pts = np.clip(xyz[:, :2], -0.5, 1.5)
    span = pts.max(axis=0) - pts.min(axis=0)
    return float(span[0] * span[1])


class PoseEstimator:
    """Runs MediaPipe's PoseLandmarker in VIDEO mode on one stream of frames.

    Args:
        model: ``"lite"``, ``"full"`` or a path to a ``.task`` file (see :func:`resolve_model`).
        num_poses: how many people the model may return (2 lets us notice a second person).
        positions: postures (:mod:`formcheck.core.posture` names) of the exercise, e.g. ``("supine",)``
            for a bridge. With several people in view the estimator follows one: the person it was
            following; at the start, the largest person in one of these positions (else the
            largest). Default: the starting positions of the built-in exercises.
        segmentation: also ask the model for a person mask, and measure the torso outline on it
            (:func:`formcheck.core.outline.frame_outline`, in ``PoseFrame.outline``).
        keep_mask: with ``segmentation``, also keep the mask itself (float32 0..1, full frame) in
            ``PoseFrame.segmentation``; ``False`` keeps only the small outline (for long videos).
        max_side: downscale frames whose longest side exceeds this (pixels) before inference.
        min_detection_confidence, min_tracking: MediaPipe thresholds (0..1).
        check_every_s: the fast path (with ``num_poses`` > 1): a one-person landmarker tracks the
            person on every frame; the ``num_poses`` landmarker also runs once every
            ``check_every_s`` seconds of video time, on the first frame, when someone new appears,
            when the one-person landmarker finds someone other than the person followed (its
            shoulder-hip centre outside the same-person gate) and soon after its confidence drops.
            Its people choose whom to follow; while the one-person landmarker is on that person and
            its joint angles agree with the check's (within :data:`AGREE_DEG`) its landmarks are the
            ones returned (with one person in view: exactly MediaPipe's one-person tracking), else
            the check's. While it tracks someone else, only the ``num_poses`` landmarker runs, for
            ``check_every_s`` at a time; when it disagrees, for :data:`SLOW_S` (doubling up to
            :data:`SLOW_MAX_S`), then it restarts from a fresh detection and is checked on every
            frame for :data:`PROBE_S`. ``PoseFrame.num_people`` is the count of the last check;
            ``disagreements`` counts the checks that disagreed.
            ``0`` (the default) runs only the ``num_poses`` landmarker, on every frame: no fast path.
        self_check: which joint angles the fast path's self-check compares (:class:`SelfCheck`): those of
            both sides (the default), or only those of the side nearer to the camera, for an exercise
            whose checker reads only that side (the pipeline chooses it from the exercise,
            :func:`formcheck.media.pipeline.exercise_self_check`).
            Opt-in (``formcheck analyze --fast``): its landmarks are as close to the true joints as
            the per-frame detection's or closer, but they are other landmarks, and hold times on the
            labelled clips moved by up to 0.34 s (README, Speed).

    Use one estimator per video stream, and close it (``with`` or :meth:`close`).
    ``frames_single`` / ``frames_multi`` count the frames each landmarker ran on.
    """

    def __init__(
        self,
        model: str | os.PathLike = "full",
        num_poses: int = 2,
        segmentation: bool = False,
        keep_mask: bool = True,
        max_side: int | None = 1280,
        min_detection_confidence: float = 0.5,
        min_tracking: float = 0.5,
        positions: tuple[str, ...] = EXERCISE_POSITIONS,
        check_every_s: float = 0.0,
        self_check: SelfCheck = SelfCheck.BOTH_SIDES,
    ) -> None:
        self.model_path = resolve_model(model)
        self.positions = tuple(positions)
        self.num_poses = int(num_poses)
        self.segmentation = bool(segmentation)
        self.keep_mask = bool(keep_mask)
        self.max_side = max_side
        self.check_every_s = max(0.0, float(check_every_s))
        self.self_check = SelfCheck(self_check)
        self.frames_single = 0  # frames the one-person landmarker ran on (fast path)
        self.frames_multi = 0  # frames the num_poses landmarker ran on
        self._track: np.ndarray | None = None  # shoulder-hip centre of the person followed (normalised x, y)
        self._track_t: float | None = None  # when they were last seen (s)
        self._track_torso_px = 0.0  # their torso length then (pixels)
        self._track_in_position = False  # have they been in one of ``positions`` since we follow them
        self._track_new = True  # the next person remembered is a new choice
        self._checked_t: float | None = None  # video time of the last several-people check
        self._people_seen = 0  # how many people that check found
        self._recheck_t: float | None = None  # low confidence: check again from this time on
        self._single_off: tuple[float, float] | None = None  # (from, until): the one-person landmarker is not used
        self._slow_s = SLOW_S  # how long the next stretch on the detection path lasts
        self._reseed = False  # the one-person landmarker starts again from a fresh detection on its next frame
        self._probe_until: float | None = None  # it is checked on every frame until then
        self.disagreements = 0  # checks where one-person tracking and the detection disagreed
        self._person_before: tuple | None = None  # whom it followed before the last frame (see follow_as)
        self._landmarker: Any = None  # num_poses people
        self._single: Any = None  # one person (the fast path), or None
        self._last_ms: dict[str, int] = {"multi": -1, "single": -1}  # per landmarker: VIDEO mode wants increasing times
        import mediapipe as mp  # lazy: heavy import
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp

        def make(n: int) -> Any:
            options = vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(self.model_path)),
                running_mode=vision.RunningMode.VIDEO,
                num_poses=n,
                min_pose_detection_confidence=min_detection_confidence,
                min_pose_presence_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking,
                output_segmentation_masks=self.segmentation,
            )
            try:
                return vision.PoseLandmarker.create_from_options(options)
            except (RuntimeError, ValueError, OSError) as e:
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise ModelError(f"{self.model_path}: MediaPipe could not load this .task model file ({first})") from e

        self._landmarker = make(self.num_poses)
        if self.num_poses > 1 and self.check_every_s > 0:
            try:
                self._single = make(1)
            except BaseException:
                self.close()
                raise

    @property
    def fast_path(self) -> bool:
        """True when a one-person landmarker tracks between several-people checks."""
        return self._single is not None

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Release the landmarkers (idempotent)."""
        single, self._single = self._single, None
        multi, self._landmarker = self._landmarker, None
        try:
            if single is not None:
                single.close()
        finally:
            if multi is not None:
                multi.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:
            pass

    # -- inference ----------------------------------------------------------------------
    def _timestamp_ms(self, t_s: float, which: str = "multi") -> int:
        last = self._last_ms[which]
        ms = int(round(float(t_s) * 1000.0))
        if ms <= last:
            log.debug("timestamp %.3f s is not after the previous frame; bumped to %d ms", t_s, last + 1)
            ms = last + 1
        self._last_ms[which] = ms
        return ms

    def _run(self, which: str, mp_image: Any, t_s: float) -> Any:
        if which == "single":
            self.frames_single += 1
            return self._single.detect_for_video(mp_image, self._timestamp_ms(t_s, "single"))
        self.frames_multi += 1
        return self._landmarker.detect_for_video(mp_image, self._timestamp_ms(t_s, "multi"))

    def _reset_single(self) -> None:
        """Make the one-person landmarker find the person afresh (its detector) on its next frame.

        MediaPipe's VIDEO mode tracks from the last frame's landmarks and runs the detector only when
        it has no person: one blank frame (nobody in it) empties its track. Its next frame's landmarks
        are then exactly a new landmarker's (and the several-people landmarker's with one person in view).
        """
        blank = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.zeros((64, 64, 3), np.uint8))
        self._single.detect_for_video(blank, self._last_ms["single"] + 1)
        self._last_ms["single"] += 1

    def _single_is_off(self, t_s: float) -> bool:
        """Is the one-person landmarker benched at ``t_s`` (see :meth:`_bench_single`)?"""
        if self._single_off is None:
            return False
        start, until = self._single_off
        return start <= t_s < until  # (a clock jumping back before the start: try it again)

    def _bench_single(self, t_s: float, seconds: float) -> None:
        """Use the several-people landmarker alone, on every frame, for ``seconds`` from ``t_s``; then the
        one-person landmarker starts again from a fresh detection and is checked on every frame for
        :data:`PROBE_S`."""
        self._single_off = (t_s, t_s + seconds)
        self._reseed = True
        self._probe_until = None

    def _check_due(self, t_s: float) -> bool:
        """Is it time for the several-people landmarker on this frame (see ``check_every_s``)?"""
        if self._single is None or self._checked_t is None:
            return True
        if t_s < self._checked_t or t_s - self._checked_t >= self.check_every_s:  # (a clock jumping back: check now)
            return True
        return self._recheck_t is not None and t_s >= self._recheck_t

    def _same_person(self, xyz: np.ndarray, w: int, h: int, t_s: float) -> bool:
        """Is the one person the fast landmarker found the person followed (within the same-person gate)?"""
        if self._track is None or self._track_t is None or t_s - self._track_t > _TRACK_TIMEOUT_S:
            return False
        d = float(np.linalg.norm((_centre(xyz) - self._track) * np.array([w, h], dtype=np.float64)))
        return d <= max(_SAME_PERSON_TORSOS * self._track_torso_px, _SAME_PERSON_MIN_FRAC * float(np.hypot(w, h)))

    def detect(self, frame_bgr: np.ndarray, t_s: float) -> PoseFrame | None:
        """Landmarks of the tracked person in ``frame_bgr`` (uint8 BGR) at ``t_s`` seconds.

        Returns None when nobody is found. Timestamps need not increase: they are made
        strictly increasing (in ms) for MediaPipe, but the returned ``t_s`` is the one given.
        """
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        self._person_before = self._person()
        img = frame_bgr
        h, w = img.shape[:2]
        if self.max_side and max(h, w) > self.max_side:
            s = self.max_side / max(h, w)
            img = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
            h, w = img.shape[:2]
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        mp_image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        use_single = self._single is not None and not self._single_is_off(t_s)
        if use_single and self._reseed:  # back from a stretch on the detection path: start from a fresh detection
            self._reset_single()
            self._single_off, self._reseed = None, False
            self._probe_until = t_s + PROBE_S
        probing = self._probe_until is not None and t_s < self._probe_until
        if self._probe_until is not None and not probing:  # a try of one-person tracking went well
            self._probe_until, self._slow_s = None, SLOW_S
        single = self._run("single", mp_image, t_s) if use_single else None
        checked = self._check_due(t_s) or probing or (self._single is not None and not use_single)
        one = None  # the one person the fast landmarker found: (landmarks, xyz, visibility)
        if single is not None and single.pose_landmarks:
            lms0 = single.pose_landmarks[0]
            one = (lms0, _xyz(lms0), _vis(lms0))
            if not checked and not self._same_person(one[1], w, h, t_s):
                checked = True  # someone new, or the tracker is on someone else: look at everyone now
        if checked:
            result = self._run("multi", mp_image, t_s)
            self._checked_t, self._recheck_t = t_s, None
            self._people_seen = len(result.pose_landmarks or [])
        else:
            result = single
        people = result.pose_landmarks or []
        if not people:
            if self._track_t is not None and t_s - self._track_t > _TRACK_TIMEOUT_S:
                self._track, self._track_t = None, None
            return None
        arrs = [_xyz(p) for p in people]
        viss = [_vis(p) for p in people]
        pick = self._choose(arrs, viss, w, h, t_s)
        if pick is None:  # the person followed is not among those found in this frame
            return None
        if checked and one is not None:
            if not _near(one[1], arrs[pick], w, h):
                # it tracks someone else: look at everyone on every frame for a while, then try it again
                self._bench_single(t_s, self.check_every_s)
            elif _agree(one[1], arrs[pick], w, h, _compared_sides(self.self_check, one[2], viss[pick])):
                # the fast landmarker is on the person chosen and agrees with the detection: keep its
                # landmarks, so that with one person in view (and while they agree) every frame's landmarks
                # are exactly MediaPipe's one-person tracking
                result, people, pick, arrs, viss = single, [one[0]], 0, [one[1]], [one[2]]
            else:  # it has drifted from a fresh detection: the detection's landmarks, on every frame for a while
                self.disagreements += 1
                self._bench_single(t_s, self._slow_s)
                if probing:
                    self._slow_s = min(2 * self._slow_s, SLOW_MAX_S)
        lms = people[pick]
        xyz = arrs[pick]
        vis = viss[pick]
        pres = np.array([(lm.presence if lm.presence is not None else 0.0) for lm in lms], dtype=np.float64)
        mask = None
        if self.segmentation and result.segmentation_masks and len(result.segmentation_masks) > pick:
            # the view is only valid during this call: copy it only when the mask is kept
            view = result.segmentation_masks[pick].numpy_view()
            mask = np.array(view, dtype=np.float32) if self.keep_mask else np.asarray(view, dtype=np.float32)
            if mask.ndim == 3:
                mask = mask[:, :, 0]
        outline = None
        if mask is not None:
            outline = frame_outline(mask, xyz, w, h, vis)
            if not self.keep_mask:
                mask = None
        self._remember(xyz, vis, w, h, t_s)
        if not checked and self._recheck_t is None and float(vis[_CENTRE_IDS].mean()) < LOW_CONFIDENCE:
            self._recheck_t = (
                t_s + RECHECK_MIN_S if self._checked_t is None else max(t_s, self._checked_t + RECHECK_MIN_S)
            )
        return PoseFrame(
            t_s=float(t_s),
            width=int(w),
            height=int(h),
            xyz=xyz,
            visibility=vis,
            presence=pres,
            num_people=len(people) if checked else max(1, self._people_seen),
            segmentation=mask,
            outline=outline,
        )

    def restart(self) -> None:
        """Make the landmarkers find the person afresh on the next frame: one blank frame empties
        MediaPipe's track (see :meth:`_reset_single`). Whom the estimator follows is kept."""
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        blank = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.zeros((64, 64, 3), np.uint8))
        self._landmarker.detect_for_video(blank, self._last_ms["multi"] + 1)
        self._last_ms["multi"] += 1
        if self._single is not None:
            self._reset_single()

    def _person(self) -> tuple:
        """Whom the estimator follows: where and when they were last seen, their torso length, whether
        they have been in an exercise position, whether the next person remembered is a new choice."""
        track = None if self._track is None else self._track.copy()
        return (track, self._track_t, self._track_torso_px, self._track_in_position, self._track_new)

    def person_state(self) -> tuple:
        """Whom the estimator follows now (see :meth:`_person`): two estimators with the same state, given the
        same frames, choose the same person (:mod:`formcheck.media.chunks` compares it at a seam)."""
        return self._person()

    def follow_as(self, other: PoseEstimator) -> None:
        """Follow the person ``other`` followed before its last frame, e.g. to analyse frames that ``other``
        skipped before that one (the last frame may have found no one, or someone else)."""
        person = other._person_before if other._person_before is not None else other._person()
        track, self._track_t, self._track_torso_px, self._track_in_position, self._track_new = person
        self._track = None if track is None else track.copy()

    def _remember(self, xyz: np.ndarray, vis: np.ndarray, w: int, h: int, t_s: float) -> None:
        """The person followed was seen at ``t_s`` with these landmarks."""
        self._track, self._track_t, self._track_torso_px = _centre(xyz), t_s, _torso_px(xyz, w, h)
        now = self._in_position(xyz, vis, w, h)
        self._track_in_position = now if self._track_new else (self._track_in_position or now)
        self._track_new = False

    def _in_position(self, xyz: np.ndarray, vis: np.ndarray, w: int, h: int) -> bool:
        """True when this person is in one of the exercise's positions (lying on the back, on all fours...)."""
        frame = PoseFrame(t_s=0.0, width=w, height=h, xyz=xyz, visibility=vis, presence=np.ones(len(vis)))
        return classify_posture(frame) in self.positions

    def _choose(self, arrs: list[np.ndarray], viss: list[np.ndarray], w: int, h: int, t_s: float) -> int | None:
        """Index of the person to follow in this frame, or None when the person followed is not in it.

        The person followed is the one whose shoulder-hip centre is within about a torso length of
        where they were. Once they have been in an exercise position they are kept for good (a
        posture misread for a moment never hands the count to someone else); before that, someone
        in an exercise position takes over (a partner was in view before the exerciser lay down).
        Otherwise, and at the start or after :data:`_TRACK_TIMEOUT_S` unseen: the largest person in
        an exercise position, else the largest.
        """
        tracking = self._track is not None and self._track_t is not None and t_s - self._track_t <= _TRACK_TIMEOUT_S
        in_pos: list[bool] | None = None
        if tracking:
            scale = np.array([w, h], dtype=np.float64)
            d = [float(np.linalg.norm((_centre(a) - self._track) * scale)) for a in arrs]
            near = int(np.argmin(d))
            gate = max(_SAME_PERSON_TORSOS * self._track_torso_px, _SAME_PERSON_MIN_FRAC * float(np.hypot(w, h)))
            if d[near] <= gate:
                if len(arrs) == 1 or self._track_in_position:
                    return near
                in_pos = [self._in_position(a, v, w, h) for a, v in zip(arrs, viss)]
                if in_pos[near] or not any(in_pos):
                    return near
            elif self._track_in_position:
                return None  # they are out of sight for a moment; someone else is not them
        elif len(arrs) == 1:
            self._track_new = True
            return 0
        if in_pos is None:
            in_pos = [self._in_position(a, v, w, h) for a, v in zip(arrs, viss)]
        candidates = [i for i, ok in enumerate(in_pos) if ok] or list(range(len(arrs)))
        self._track_new = True
        return max(candidates, key=lambda i: _bbox_area(arrs[i]))
