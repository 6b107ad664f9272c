"""Bird-dog checker: one arm reaches forward, the opposite leg back, held, then the sides swap.

Signal: for each arm and leg, its *rise* = elevation above hanging, in degrees (upper arm
shoulder->elbow, thigh hip->knee; 0 hanging, 90 level). Every arm+leg pair scores the rise of
its less-raised limb; the best pair drives the rep/hold machine and names the side (the
side of the raised arm). A pair whose arm and leg carry the same left/right label is
counted but flagged ``same_side_limbs``.

Which side is which is cross-checked with what the camera sees. On all fours (back up) the side
facing the camera follows from the picture alone: with the head towards the right of the image
the camera sees the person's right side, with the head towards the left their left side. The
pose model names a near side too (the side it places nearer and sees better); when the two
disagree for most of the last second, the model has swapped its left and right labels, and the
sides are reported the other way round (the arm and leg labels swap together, so
``same_side_limbs`` is unaffected). Limbs seen too poorly are left out and reported as
not judged rather than guessed.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from formcheck.core.calibration import Follower
from formcheck.core.checker import ExerciseChecker, Measurement, Sample
from formcheck.core.events import Event, WarningEvent
from formcheck.core.geometry import angle_deg, elevation_deg
from formcheck.core.landmarks import INDEX, PoseFrame
from formcheck.core.posture import facing_side
from formcheck.core.reps import RepRecord
from formcheck.core.sides import best_side

SIDES = ("left", "right")

OTHER = {"left": "right", "right": "left"}
LIMBS = {"arm": ("shoulder", "elbow", "wrist"), "leg": ("hip", "knee", "ankle")}


def _median(vals: list[float], default: float) -> float:
    """The (upper) median of ``vals``, or ``default`` when there are none."""
    v = sorted(vals)
    return v[len(v) // 2] if v else default


@dataclass
class Limb:
    """One arm or leg as seen in one frame (degrees)."""

    rise: float  # root->middle joint elevation + 90 (0 hanging, 90 level)
    elev: float  # root->tip elevation (tip = hand/foot, or the middle joint if the tip is unseen)
    straight: float | None  # angle at the middle joint (180 straight), None if the tip is unseen


def limb_state(frame: PoseFrame, side: str, kind: str, min_vis: float) -> Limb | None:
    """The arm or leg ``kind`` of ``side``, or ``None`` when its root or middle joint is unseen."""
    root, mid, tip = (f"{side}_{j}" for j in LIMBS[kind])
    if not (frame.is_visible(root, min_vis) and frame.is_visible(mid, min_vis)):
        return None
    r, m = frame.px(root), frame.px(mid)
    rise = elevation_deg(r, m) + 90.0
    if frame.is_visible(tip, min_vis):
        tp = frame.px(tip)
        return Limb(rise, elevation_deg(r, tp), angle_deg(r, m, tp))
    return Limb(rise, elevation_deg(r, m), None)


def body_turn_deg(frame: PoseFrame) -> float | None:
    """How far the body's long axis turns towards or away from the camera, in degrees, from the pose
    model's depth ``z`` (same scale as ``x``): positive when the shoulders are further from the camera
    than the hips (the feet end is nearer: the legs reach towards the camera), negative when the head
    end is nearer. ``None`` when the torso has no length in the picture. The model's depth is rough
    (it reads a body turned 25-45 degrees from side-on as 37-73 degrees), so only its sign and a
    clear size are used."""
    z = frame.xyz[:, 2]
    sh = (frame.px("left_shoulder") + frame.px("right_shoulder")) / 2
    hip = (frame.px("left_hip") + frame.px("right_hip")) / 2
    length = float(math.hypot(*(sh - hip)))
    dz = ((z[INDEX["left_shoulder"]] + z[INDEX["right_shoulder"]]) - (z[INDEX["left_hip"]] + z[INDEX["right_hip"]])) / 2
    if not (length > 1.0 and math.isfinite(dz)):
        return None
    return math.degrees(math.atan2(dz * frame.width, length))


def picture_near_side(frame: PoseFrame, min_vis: float = 0.5) -> str | None:
    """The side of a person on all fours (back up) that faces the camera, from the picture alone:
    ``"right"`` when the head (nose) is to the right of the hips in the image, ``"left"`` when to
    the left; ``None`` when the nose or both hips are not seen or the head is right above the hips."""
    hips = [frame.px(f"{s}_hip") for s in SIDES if frame.is_visible(f"{s}_hip", min_vis)]
    if not hips or not frame.is_visible("nose", min_vis):
        return None
    dx = float(frame.px("nose")[0] - sum(h[0] for h in hips) / len(hips))
    if not math.isfinite(dx) or abs(dx) < 1.0:
        return None
    return "right" if dx > 0 else "left"


class BirdDogChecker(ExerciseChecker):
    """Counts bird-dogs per side; faults: limb_above_horizontal, limb_not_extended,
    same_side_limbs, torso_tilted, hold_too_short; warning unbalanced_sides at the end."""

    key_joints = None  # the key value is a limb's rise, not an angle at one joint: no arc is drawn

    def __init__(self, spec):
        self._torso_base: float | None = None
        self._torso_follower = Follower(spec.threshold("rest_follow_s"))  # the resting torso angle, on video time
        self._torso_side: str | None = None
        #: the body's turn towards the camera at rest (:func:`body_turn_deg`), followed on video time
        self._turn = Follower(spec.threshold("rest_follow_s"))
        #: share of recent frames (time constant ``label_check_s``) in which the pose model's near
        #: side disagreed with the side the picture shows; above one half, its labels are swapped
        self._swapped = Follower(spec.threshold("label_check_s"))
        super().__init__(spec)
        # the hold is how long the arm and leg were held out: a reach held under the top zone after
        # a moment past it (or a limb the pose model reads low) is still held (see
        # RepHoldMachine.pause_is_hold); whether it was high enough is limb_not_extended's business
        self.machine.pause_is_hold = True

    # ------------------------------------------------------------------ measurement
    def measure(self, frame: PoseFrame) -> Measurement:
        t = self.spec.threshold
        min_vis = t("min_limb_visibility")
        limbs = {(kind, s): limb_state(frame, s, kind, min_vis) for kind in LIMBS for s in SIDES}
        best = None  # (score, arm_side, leg_side, partial)
        for a in SIDES:
            for leg in SIDES:
                arm_l, leg_l = limbs[("arm", a)], limbs[("leg", leg)]
                if arm_l is None and leg_l is None:
                    continue
                if arm_l is not None and leg_l is not None:
                    score, partial = min(arm_l.rise, leg_l.rise), False
                else:
                    seen = arm_l if arm_l is not None else leg_l
                    assert seen is not None  # (both None was skipped above)
                    score, partial = seen.rise - t("partial_pair_penalty_deg"), True
                # on an exact tie prefer fully seen pairs, then opposite-side pairs
                key = (score, not partial, a != leg)
                if best is None or key > best[0]:
                    best = (key, a, leg, partial)
        if best is None:
            return Measurement(None, unjudged=("the arms and legs",))
        (score, _, _), arm_side, leg_side, partial = best
        single = self._single_limb(limbs, score)
        if single is not None:  # the beginner's form the guide suggests: only an arm, or only a leg
            score, kind, side = single
            arm_limb = limbs[("arm", side)] if kind == "arm" else None
            leg_limb = limbs[("leg", side)] if kind == "leg" else None
            extras, unjudged = self._limb_extras(frame, arm_limb, leg_limb)
            extras.update({"same_side": 0.0, "single_limb": 1.0 if kind == "arm" else 2.0})
            # the side of a rep is the side of the reaching arm; a leg alone names the opposite arm's side
            named = side if kind == "arm" else ("left" if side == "right" else "right")
            return Measurement(
                value=score,
                angle_deg=score,
                side=self._seen_side(frame, named),
                extras=extras,
                unjudged=tuple(unjudged),
            )
        arm_limb, leg_limb = limbs[("arm", arm_side)], limbs[("leg", leg_side)]
        extras, unjudged = self._limb_extras(frame, arm_limb, leg_limb)
        extras["same_side"] = float(arm_side == leg_side)
        if partial and score >= t("raised_rise_deg"):
            unjudged.append("the arm or leg on the far side from the camera")
        return Measurement(
            value=score, angle_deg=score, side=self._seen_side(frame, arm_side), extras=extras, unjudged=tuple(unjudged)
        )

    def _seen_side(self, frame: PoseFrame, labelled: str) -> str:
        """``labelled`` (a side by the pose model's labels), or the other side while the model's
        labels are swapped (see the module docstring)."""
        pictured = picture_near_side(frame)
        model = facing_side(frame)
        if pictured is not None and model != "front":
            swapped = self._swapped.update(frame.t_s, 1.0 if model != pictured else 0.0)
        else:
            swapped = self._swapped.value
        return OTHER[labelled] if swapped is not None and swapped > 0.5 else labelled

    def _limb_extras(self, frame: PoseFrame, arm: Limb | None, leg: Limb | None) -> tuple[dict[str, float], list[str]]:
        """The raised arm's and leg's elevations and straightness (degrees), the torso angle, and
        what could not be judged (a raised limb whose hand or foot is not seen)."""
        raised = self.spec.threshold("raised_rise_deg")
        extras: dict[str, float] = {}
        unjudged: list[str] = []
        for limb, kind, straight, what in (
            (arm, "arm", "elbow_deg", "whether the reaching arm was straight (hand not seen)"),
            (leg, "leg", "knee_deg", "whether the stretched leg was straight (foot not seen)"),
        ):
            if limb is None:
                continue
            extras[f"{kind}_elev"] = limb.elev
            extras[f"{kind}_root_elev"] = limb.rise - 90.0  # upper arm / thigh above level
            if limb.straight is not None:
                extras[straight] = limb.straight
            elif limb.rise >= raised:
                unjudged.append(what)
        torso = self._torso_angle(frame)
        if torso is not None:
            extras["torso_deg"] = torso
        turn = body_turn_deg(frame)
        if turn is not None:
            extras["turn_deg"] = turn
        return extras, unjudged

    def _single_limb(self, limbs: dict, pair_score: float) -> tuple[float, str, str] | None:
        """``(rise, "arm"|"leg", side)`` when one limb alone is raised (at least ``top_enter``)
        while every other seen limb stays near hanging (below ``rest_exit``), and the best pair
        does not already reach the top; else ``None``."""
        t = self.spec.threshold
        seen = {k: v for k, v in limbs.items() if v is not None}
        raised = [(v.rise, k) for k, v in seen.items() if v.rise >= t("single_limb_min_rise_deg")]
        if len(raised) != 1 or pair_score >= t("top_enter"):
            return None
        rise, (kind, side) = raised[0]
        if any(v.rise >= t("rest_exit") for k, v in seen.items() if k != (kind, side)):
            return None
        return rise - t("single_limb_penalty_deg"), kind, side

    def rep_variant(self, rep: RepRecord, samples: list[Sample]) -> str | None:
        top = [s for s in samples if s.phase == "hold"] or samples
        kinds = Counter(int(s.m.extras.get("single_limb", 0.0)) for s in top)
        kind = kinds.most_common(1)[0][0] if kinds else 0
        return {1: "arm only", 2: "leg only"}.get(kind)

    def _torso_angle(self, frame: PoseFrame) -> float | None:
        side = best_side(frame, ("shoulder", "hip"), previous=self._torso_side, min_visibility=0.5)
        if side is None:
            return None
        self._torso_side = side
        return elevation_deg(frame.px(f"{side}_hip"), frame.px(f"{side}_shoulder"))

    def on_rest_sample(self, t_s: float, m: Measurement) -> None:
        turn = m.extras.get("turn_deg")
        if turn is not None:
            self._turn.update(t_s, turn)
        torso = m.extras.get("torso_deg")
        if torso is None or not math.isfinite(torso):
            return
        self._torso_base = self._torso_follower.update(t_s, torso)

    # ------------------------------------------------------------------ faults
    def frame_faults(self, sample: Sample) -> list[str]:
        t = self.spec.threshold
        x = sample.m.extras
        faults: list[str] = []
        value = sample.m.value if sample.m.value is not None else 0.0
        raised = value >= t("attempt")
        if raised and self._held_above_level(sample):
            faults.append("limb_above_horizontal")
        if raised and x.get("same_side") == 1.0:
            faults.append("same_side_limbs")
        if (
            self._torso_base is not None
            and "torso_deg" in x
            and abs(x["torso_deg"] - self._torso_base) > t("torso_tilt_deg")
        ):
            faults.append("torso_tilted")
        return faults

    def _held_above_level(self, sample: Sample) -> bool:
        """During a hold: the median height of the arm or of the leg above the horizontal, over
        the hold so far (at least ``above_level_min_s`` of it), is more than ``above_horizontal_deg``.
        A median over the held reach, because the pose model's error on a raised limb is 15-20
        degrees and comes in runs of frames, and a moment's overshoot is not an arched back."""
        if sample.phase != "hold":
            return False
        return self._above_level([s for s in self._samples if s.phase == "hold"])

    def _above_level(self, held: list[Sample]) -> bool:
        """Over ``held`` (at least ``above_level_min_s`` of it), the median height of the arm or of
        the leg above the horizontal is more than ``above_horizontal_deg``. A limb whose elbow or
        knee stays clearly bent (median under ``elbow_min_deg`` / ``knee_min_deg``) is measured on
        its upper arm or thigh: with a bent knee the foot rises as the shin swings up, which says
        how the knee bends (``limb_not_extended``'s business), not how high the leg was lifted."""
        t = self.spec.threshold
        if not held or held[-1].t_s - held[0].t_s < t("above_level_min_s"):
            return False
        top = [s.m.extras for s in held]
        for kind, joint, straight_min in (("arm", "elbow_deg", "elbow_min_deg"), ("leg", "knee_deg", "knee_min_deg")):
            bent = _median([x[joint] for x in top if joint in x], 180.0) < t(straight_min)
            key = f"{kind}_root_elev" if bent else f"{kind}_elev"
            vals = [x[key] for x in top if key in x]
            if vals and _median(vals, 0.0) > t("above_horizontal_deg") + self._perspective_margin(kind):
                return True
        return False

    def _perspective_margin(self, kind: str, away: bool = False) -> float:
        """Degrees of leeway for the ``"arm"`` or ``"leg"``: ``oblique_margin_deg`` when the body was
        turned at least ``oblique_turn_deg`` at rest with that limb's end nearer the camera (the legs
        when the feet end is nearer, the arms when the head end is), or with ``away`` further from
        it; else 0. From a camera below the back (the common set-up: a phone on the floor) a limb
        reaching towards the camera that far off side-on is lifted in the picture by perspective
        (added to ``above_horizontal_deg``), and the one reaching away is lowered (added to
        ``below_horizontal_deg``)."""
        t = self.spec.threshold
        turn = self._turn.value
        if turn is None or abs(turn) < t("oblique_turn_deg"):
            return 0.0
        towards = "leg" if turn > 0 else "arm"
        return t("oblique_margin_deg") if (kind == towards) != away else 0.0

    def rep_faults(self, rep: RepRecord, samples: list[Sample]) -> list[str]:
        # the reach is judged on the whole arm and leg over the held pause (_not_extended), also for
        # a rep whose upper arm or thigh stayed under the top zone: the elbow and knee are the
        # landmarks the pose model places worst (an oblique camera reads a level, straight arm's
        # upper arm 20-30 degrees low), and the shoulder-wrist and hip-ankle lines and the joint
        # angles say whether the limb was extended; only a rep with no pause at all is not extended
        no_pause = not rep.reached_top and rep.main_hold is None
        faults = ["limb_not_extended"] if no_pause or self._not_extended(rep, samples) else []
        # a rep whose pair never entered the top zone (the other limb read low from an oblique camera,
        # or held lower) had no hold to watch for a limb held too high (frame_faults): it is judged
        # over its held pause at the end of the rep; a rep that reached the top was judged in its hold
        hold = rep.main_hold
        if (
            not rep.reached_top
            and hold is not None
            and self._above_level([s for s in samples if hold.start_s <= s.t_s <= hold.end_s])
        ):
            faults.append("limb_above_horizontal")
        return faults + super().rep_faults(rep, samples)

    def _not_extended(self, rep: RepRecord, samples: list[Sample]) -> bool:
        """Over the main hold (the settled top, not the way in or out), the median elbow or knee
        stayed clearly bent, or the median arm or leg stayed well below the horizontal. Medians,
        because one frame of pose noise on a raised limb can be 15-20 degrees off."""
        t = self.spec.threshold
        hold = rep.main_hold
        top = [s.m.extras for s in samples if hold is not None and hold.start_s <= s.t_s <= hold.end_s]
        if not top:
            return False

        def med(key: str, default: float) -> float:
            return _median([x[key] for x in top if key in x], default)

        bent = med("elbow_deg", 180.0) < t("elbow_min_deg") or med("knee_deg", 180.0) < t("knee_min_deg")
        # a limb reaching away from an oblique camera may read up to oblique_margin_deg lower (the
        # same perspective that lifts the limb reaching towards it)
        low = any(
            med(f"{kind}_elev", 0.0) < -t("below_horizontal_deg") - self._perspective_margin(kind, away=True)
            for kind in ("arm", "leg")
        )
        return bent or low

    # ------------------------------------------------------------------ end of set
    def finish(self) -> list[Event]:
        events = super().finish()
        w = self.balance_warning()
        if w is not None:
            self.warnings.append(w)
            events.append(w)
        return events

    def balance_warning(self) -> WarningEvent | None:
        """``unbalanced_sides`` when one side got fewer than ``unbalanced_ratio`` of the other's
        reps and at least ``unbalanced_min_diff`` fewer."""
        t = self.spec.threshold
        n = {s: sum(r.side == s for r in self.reps) for s in SIDES}
        few, many = sorted(SIDES, key=lambda s: n[s])
        if n[few] < t("unbalanced_ratio") * n[many] and n[many] - n[few] >= t("unbalanced_min_diff"):
            return WarningEvent(
                "unbalanced_sides",
                f"Most reps were seen with the {many} arm ({n[many]}) and few with the {few} arm ({n[few]}): "
                "alternate sides so both get the same work. If you did alternate, the camera mixed up your left "
                "and right: it tells them apart by which way your head points and by the pose model's labels, "
                "and a camera facing you rather than your side can fool both.",
            )
        return None
