"""Events and status that checkers emit: plain dataclasses, JSON-ready via ``to_dict``.

Times are seconds of video time. Sides are ``"left"``, ``"right"``, ``"both"`` or ``"none"``.
Pure module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


@dataclass
class RepEvent:
    """One finished repetition (for hold exercises: one hold)."""

    index: int
    start_s: float
    top_s: float | None
    end_s: float
    hold_s: float
    side: str
    good: bool
    faults: list[str] = field(default_factory=list)
    #: the checker's own signal at the top (its unit depends on the exercise: degrees for most,
    #: resting jitters for the pelvic tilt); internal, not in the JSON (``key_angle_deg`` is)
    peak: float | None = None
    variant: str | None = None  # an easier form the guide allows, e.g. bird-dog "arm only" / "leg only"
    #: the exercise's key angle (degrees) at the top: its median over the hold (set by the report)
    key_angle_deg: float | None = None

    def to_dict(self) -> dict:
        d = {
            "index": self.index,
            "start_s": _r(self.start_s),
            "top_s": _r(self.top_s),
            "end_s": _r(self.end_s),
            "hold_s": _r(self.hold_s),
            "side": self.side,
            "good": bool(self.good),
            "faults": list(self.faults),
            "key_angle_deg": _r(self.key_angle_deg, 1),
        }
        if self.variant:
            d["variant"] = self.variant
        return d


@dataclass
class HoldEvent:
    """A time span held at the top of a rep."""

    start_s: float
    end_s: float
    side: str
    rep: int | None = None

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)

    def to_dict(self) -> dict:
        return {
            "start_s": _r(self.start_s),
            "end_s": _r(self.end_s),
            "duration_s": _r(self.duration_s),
            "side": self.side,
            "rep": self.rep,
        }


@dataclass
class FaultEvent:
    """A form fault: stable snake_case ``code``, a kind plain-language cue in ``message``."""

    code: str
    t_s: float
    rep: int | None
    message: str
    side: str = "none"

    def to_dict(self) -> dict:
        return {"code": self.code, "t_s": _r(self.t_s), "rep": self.rep, "message": self.message, "side": self.side}


@dataclass
class WarningEvent:
    """Something about the recording rather than the form (framing, posture, people in view)."""

    code: str
    message: str
    t_s: float | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "t_s": _r(self.t_s)}


Event = RepEvent | HoldEvent | FaultEvent | WarningEvent


@dataclass
class CheckerStatus:
    """What the overlay and the app show right now. Updated after every frame.

    ``phase`` is one of ``"setup"`` (not ready: wrong posture/view/framing; see ``setup_message``),
    ``"calibrating"`` (in position, learning the person's resting position: keep still),
    ``"rest"``, ``"moving"``, ``"hold"``.
    """

    exercise: str
    t_s: float = 0.0
    phase: str = "setup"
    reps: int = 0
    good_reps: int = 0
    reps_by_side: dict[str, int] = field(default_factory=dict)
    hold_s: float = 0.0
    target_hold_s: float = 0.0
    target_reps: int = 0
    side: str = "none"
    key_angle_name: str = ""
    key_angle_deg: float | None = None
    cue: str | None = None
    cue_code: str | None = None
    setup_message: str | None = None
    posture: str = "unknown"
    pose_found: bool = False

    def to_dict(self) -> dict:
        return asdict(self)
