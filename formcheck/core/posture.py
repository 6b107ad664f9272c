"""Posture, camera view and framing from one :class:`PoseFrame`. Pure module.

These feed set-up guidance ("lie on your back, side-on to the camera", "move back so your
feet are in view") and the wrong-exercise warnings. Image y points down and the camera is
assumed upright (the video reader applies rotation metadata).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.core.geometry import distance, inclination_deg, midpoint
from formcheck.core.landmarks import PoseFrame

SUPINE = "supine"  # lying on the back
PRONE = "prone"  # lying on the front (face down)
SIDE_LYING = "side_lying"  # lying on one side
ALL_FOURS = "all_fours"  # hands and knees
STANDING = "standing"
UNKNOWN = "unknown"

POSTURE_WORDS = {
    SUPINE: "lying on your back",
    PRONE: "lying on your front",
    SIDE_LYING: "lying on your side",
    ALL_FOURS: "on your hands and knees",
    STANDING: "standing",
    UNKNOWN: "in a position formcheck cannot recognise",
}

#: Torso within this many degrees of horizontal counts as lying or on all fours.
TORSO_HORIZONTAL_MAX_DEG = 35.0
#: Torso within this many degrees of vertical counts as upright.
TORSO_VERTICAL_MIN_DEG = 55.0
#: All fours: knees below the hips by at least this fraction of torso length (image y).
KNEES_BELOW_HIPS_MIN = 0.45
#: Side view: left and right shoulders (and hips) closer than this fraction of torso length.
#: A shoulder width is about 0.8 torso lengths, and turning the camera by ``yaw`` away from the
#: pure side view spreads the shoulders to ~0.8 sin(yaw) while the torso shortens to ~cos(yaw):
#: a spread of 0.9 torso lengths is a camera about 48 degrees off the side view. Within that the
#: checkers count (they calibrate to the projected rest); beyond it formcheck asks to turn the camera.
SIDE_VIEW_MAX_SPREAD = 0.9
#: Lying face down: the nose lower than the ears by at least this fraction of torso length
#: (lying on the back, the face points up and the nose is ~0.15 torso lengths above the ears).
FACE_DOWN_MIN = 0.05
#: Lying on one side: left and right shoulders, and left and right hips, stacked one above the
#: other by at least this fraction of torso length (lying on the back or front they overlap).
SIDE_LYING_MIN_STACK = 0.4


def _visible_mean(frame: PoseFrame, names: tuple[str, ...], min_vis: float = 0.3) -> np.ndarray | None:
    pts = [frame.px(n) for n in names if frame.vis(n) >= min_vis]
    if not pts:
        return None
    return np.mean(pts, axis=0)


def torso_length_px(frame: PoseFrame) -> float:
    """Distance from mid-shoulders to mid-hips in pixels."""
    sh = midpoint(frame.px("left_shoulder"), frame.px("right_shoulder"))
    hip = midpoint(frame.px("left_hip"), frame.px("right_hip"))
    return distance(sh, hip)


def classify_posture(frame: PoseFrame | None) -> str:
    """``"supine"``, ``"prone"``, ``"side_lying"``, ``"all_fours"``, ``"standing"`` or ``"unknown"`` for one frame.

    Rules (image y down, t = torso length in pixels):
    - unknown if no shoulder or no hip is seen, or the torso is shorter than 2% of the image
      (midpoints are taken over the shoulders and hips that are seen);
    - torso inclination >= 55 degrees and knees below hips -> standing;
    - torso inclination <= 35 degrees: the lower seen knee below the hips by >= 0.45 t -> all fours;
      else lying: shoulders and hips stacked vertically (>= 0.4 t) -> on the side; the nose below
      the ears by >= 0.05 t (face down) -> prone; otherwise supine;
    - torso at 35-55 degrees with the hips above the shoulders and the knees above the hips:
      lying with the hips lifted high (a bridge's top) -> as lying.
    """
    if frame is None:
        return UNKNOWN
    # midpoints of the shoulders and hips that are seen (a side view may hide the far ones)
    sh = _visible_mean(frame, ("left_shoulder", "right_shoulder"))
    hip = _visible_mean(frame, ("left_hip", "right_hip"))
    if sh is None or hip is None:
        return UNKNOWN
    t = distance(sh, hip)
    if not t >= 0.02 * max(frame.width, frame.height):  # also catches NaN
        return UNKNOWN
    incl = inclination_deg(hip, sh)
    seen_knees = [frame.px(n) for n in ("left_knee", "right_knee") if frame.vis(n) >= 0.2]
    knees = np.mean(seen_knees, axis=0) if seen_knees else None
    # all fours: the lower of the seen knees (one leg may be extended back, as in a bird-dog)
    low_knee_y = max((k[1] for k in seen_knees), default=None)
    if incl >= TORSO_VERTICAL_MIN_DEG:
        if sh[1] < hip[1] and (knees is None or knees[1] > hip[1]):
            return STANDING
        return UNKNOWN
    if incl <= TORSO_HORIZONTAL_MAX_DEG:
        if low_knee_y is not None and low_knee_y - hip[1] >= KNEES_BELOW_HIPS_MIN * t:
            return ALL_FOURS
        return _lying_posture(frame, t)
    if incl < TORSO_VERTICAL_MIN_DEG and hip[1] < sh[1] and knees is not None and knees[1] < hip[1]:
        # hips above the shoulders and knees above the hips, torso at 35-55 degrees: lying on the
        # back with the hips lifted high (the top of a bridge with the feet near the buttocks)
        return _lying_posture(frame, t)
    return UNKNOWN


def _lying_posture(frame: PoseFrame, t: float) -> str:
    """Supine, prone or side-lying for a lying person with torso length ``t`` pixels."""

    def stack(joint: str) -> float | None:
        a, b = f"left_{joint}", f"right_{joint}"
        if frame.vis(a) < 0.3 or frame.vis(b) < 0.3:
            return None
        return abs(float(frame.px(a)[1] - frame.px(b)[1])) / t

    sh, hp = stack("shoulder"), stack("hip")
    if sh is not None and hp is not None and min(sh, hp) >= SIDE_LYING_MIN_STACK:
        return SIDE_LYING
    ears = [frame.px(n)[1] for n in ("left_ear", "right_ear") if frame.vis(n) >= 0.3]
    if ears and frame.vis("nose") >= 0.3:
        nose_above_ears = (float(np.mean(ears)) - float(frame.px("nose")[1])) / t
        if nose_above_ears <= -FACE_DOWN_MIN:
            return PRONE
    return SUPINE


def facing_side(frame: PoseFrame) -> str:
    """Which side of the body faces the camera: ``"left"``, ``"right"`` or ``"front"``.

    ``front`` when the shoulders (or hips) are spread apart horizontally by more than
    ``SIDE_VIEW_MAX_SPREAD`` x torso length (the camera looks at the chest, back, head or
    feet). Otherwise the nearer side: smaller MediaPipe depth ``z`` (plus visibility) wins.
    """
    t = max(torso_length_px(frame), 1e-6)
    spread = max(
        distance(frame.px("left_shoulder"), frame.px("right_shoulder")),
        distance(frame.px("left_hip"), frame.px("right_hip")),
    )
    if spread > SIDE_VIEW_MAX_SPREAD * t:
        return "front"
    from formcheck.core.landmarks import INDEX

    def score(side: str) -> float:
        idx = [INDEX[f"{side}_{j}"] for j in ("shoulder", "hip", "knee", "elbow")]
        return float(-np.mean(frame.xyz[idx, 2]) + 0.5 * np.mean(frame.visibility[idx]))

    return "left" if score("left") >= score("right") else "right"


@dataclass(frozen=True)
class FramingIssue:
    """A set-up problem with a stable code and a plain-language request."""

    code: str
    message: str


def check_framing(
    frame: PoseFrame | None, required: tuple[str, ...], min_visibility: float = 0.5
) -> FramingIssue | None:
    """Are the landmarks an exercise needs inside the image and visible? ``None`` when all is well.

    ``required`` holds landmark names or ``"either:<joint>"`` meaning the left or the right one
    (e.g. ``"either:ankle"``): side views hide the far limbs, so an exercise usually needs one
    side, not both. Other people in view are not a framing problem: the pose estimator follows
    one person and the session warns ``multiple_people`` once.
    """
    if frame is None:
        return FramingIssue("no_person", "No one is in view. Step into the picture so your whole body can be seen.")
    missing: list[str] = []
    for req in required:
        if req.startswith("either:"):
            joint = req.split(":", 1)[1]
            if not (
                frame.is_visible(f"left_{joint}", min_visibility) or frame.is_visible(f"right_{joint}", min_visibility)
            ):
                missing.append(joint)
        elif not frame.is_visible(req, min_visibility):
            missing.append(req.replace("left_", "").replace("right_", ""))
    if not missing:
        return None
    m = set(missing)
    if m & {"ankle", "heel", "foot_index", "knee"}:
        return FramingIssue("feet_out_of_frame", "Move back or turn the camera so your feet and knees are in view.")
    if m & {"nose", "ear", "eye"}:
        return FramingIssue("head_out_of_frame", "Move so that your head is in view too.")
    if m & {"wrist", "elbow"}:
        return FramingIssue("hands_out_of_frame", "Move back so your hands are in view.")
    return FramingIssue("body_out_of_frame", "Move so your whole body is in view.")
