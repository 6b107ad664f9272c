"""Today's routine: the guide's exercises in order, with their doses, rests and sides. Pure module.

A :class:`Routine` is a small state machine the app drives and saves after every change, so a
reload resumes it. Time is passed in (seconds, any clock), never read here.

Phases: ``set`` (a set of the current step and side is due or running), ``rest`` (a countdown
before the next set; ``prompt`` is ``"other_side"`` or ``"next"``: :meth:`Routine.announcement`
words it), ``done`` and
``stopped``. Sides: a dose's ``sides`` is ``"none"`` (both legs work together), ``"each"`` (one
set per side: left, then right, with a short rest and "now the other side" between) or
``"alternate"`` (one set, the sides take turns, as the guide says for bird-dog).

Example:
    >>> from formcheck.core.routine import Dose, Routine
    >>> r = Routine([Dose("bridge", 10, 3.0), Dose("knee_to_chest", 1, 20.0, sides="each")], rest_s=30)
    >>> r.label({"bridge": "Glute bridge", "knee_to_chest": "Knee-to-chest"})
    '1 of 2: Glute bridge'
    >>> r.set_done({"reps": 10}, now=100.0); r.phase, r.rest_left(110.0)
    ('rest', 20.0)
    >>> _ = r.tick(130.0); r.label({"knee_to_chest": "Knee-to-chest"})
    '2 of 2: Knee-to-chest, left side'
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

#: The guide's order: the gentlest first.
GUIDE_ORDER = ("pelvic_tilt", "bird_dog", "bridge", "knee_to_chest")
SIDES = ("none", "each", "alternate")
PHASES = ("set", "rest", "done", "stopped")
#: Rest between two exercises, and between the two sides of one (seconds; editable).
REST_S = 30.0
SIDE_REST_S = 10.0
#: Bounds a saved or typed dose is held to.
MAX_REPS, MAX_HOLD_S, MAX_REST_S = 100, 120.0, 600.0


@dataclass(frozen=True)
class Dose:
    """How much of one exercise: ``reps`` (per side for ``sides="each"``/``"alternate"``),
    ``hold_s`` seconds at the top, ``sides``, ``paced`` (None: the app decides) and ``enabled``."""

    exercise: str
    reps: int
    hold_s: float
    sides: str = "none"
    paced: bool | None = None
    enabled: bool = True

    def checked(self) -> Dose:
        """This dose with its numbers checked; raises ValueError (one line) when one is unusable."""
        try:
            reps, hold = int(self.reps), float(self.hold_s)
        except (TypeError, ValueError):
            raise ValueError(f"{self.exercise}: reps and hold must be numbers") from None
        if not 1 <= reps <= MAX_REPS:
            raise ValueError(f"{self.exercise}: reps must be 1 to {MAX_REPS}, not {reps}")
        if not (math.isfinite(hold) and 0 <= hold <= MAX_HOLD_S):
            raise ValueError(f"{self.exercise}: hold must be 0 to {MAX_HOLD_S:g} s")
        if self.sides not in SIDES:
            raise ValueError(f"{self.exercise}: sides must be one of {', '.join(SIDES)}")
        if self.paced not in (None, True, False) or self.enabled not in (True, False):
            raise ValueError(f"{self.exercise}: paced and enabled must be true or false")
        return replace(self, reps=reps, hold_s=hold)

    def text(self) -> str:
        each = {"each": " on each side", "alternate": " on each side, alternating"}.get(self.sides, "")
        return f"{self.reps} reps{each}" + (f", hold {self.hold_s:g} s" if self.hold_s else "")


def guide_doses(specs: dict[str, Any]) -> list[Dose]:
    """The guide's doses from the exercise definitions (``{id: ExerciseSpec}``), in the guide's order;
    exercises beyond the four follow, switched off."""
    out = []
    for ex in [e for e in GUIDE_ORDER if e in specs] + sorted(e for e in specs if e not in GUIDE_ORDER):
        d = specs[ex].dosage
        sides = "none"
        if d.per_side:
            sides = "alternate" if ex == "bird_dog" else "each"
        out.append(Dose(ex, int(d.reps), float(d.hold_s), sides, None, ex in GUIDE_ORDER))
    return out


def doses_to_json(doses: list[Dose]) -> list[dict]:
    return [asdict(d) for d in doses]


def doses_from_json(data: Any, defaults: list[Dose]) -> list[Dose]:
    """Saved doses merged over ``defaults`` (unknown exercises and unusable entries are ignored,
    the saved order is kept, exercises missing from it keep their default at the end)."""
    by_id = {d.exercise: d for d in defaults}
    out: list[Dose] = []
    if isinstance(data, list):
        for item in data:
            if (
                not isinstance(item, dict)
                or item.get("exercise") not in by_id
                or any(d.exercise == item["exercise"] for d in out)
            ):
                continue
            try:
                out.append(
                    replace(
                        by_id[item["exercise"]],
                        **{k: item[k] for k in ("reps", "hold_s", "sides", "paced", "enabled") if k in item},
                    ).checked()
                )
            except (ValueError, TypeError):
                out.append(by_id[item["exercise"]])
    return out + [d for d in defaults if all(o.exercise != d.exercise for o in out)]


@dataclass
class Routine:
    """The routine's state (see the module docstring). ``results``: one dict per set done or
    skipped (``exercise``, ``side``, ``skipped`` and whatever the app passed, e.g. ``key``, ``reps``)."""

    doses: list[Dose]
    rest_s: float = REST_S
    side_rest_s: float = SIDE_REST_S
    index: int = 0
    side: str | None = None
    phase: str = "set"
    rest_until: float | None = None
    prompt: str | None = None
    results: list[dict] = field(default_factory=list)
    day: str = ""

    def __post_init__(self) -> None:
        self.doses = [d.checked() for d in self.doses if d.enabled]
        if not self.doses:
            raise ValueError("the routine has no exercises: switch at least one on")
        self.rest_s = _bounded(self.rest_s, MAX_REST_S)
        self.side_rest_s = _bounded(self.side_rest_s, MAX_REST_S)
        if self.phase not in PHASES or not 0 <= self.index <= len(self.doses):
            raise ValueError("the saved routine is damaged")
        if self.index == len(self.doses) and self.phase in ("set", "rest"):
            raise ValueError("the saved routine is damaged")
        if self.side is None and self.phase in ("set", "rest") and self.current.sides == "each":
            self.side = "left"

    # ------------------------------------------------------------------ reading
    @property
    def current(self) -> Dose:
        return self.doses[min(self.index, len(self.doses) - 1)]

    @property
    def total(self) -> int:
        return len(self.doses)

    @property
    def over(self) -> bool:
        return self.phase in ("done", "stopped")

    def rest_left(self, now: float) -> float:
        if self.phase != "rest" or self.rest_until is None:
            return 0.0
        return max(0.0, self.rest_until - now)

    def label(self, names: dict[str, str]) -> str:
        """The progress strip: "2 of 4: Bird-dog, left side"."""
        if self.phase == "done":
            return f"Routine finished: {self.total} of {self.total}"
        d = self.current
        side = f", {self.side} side" if self.side else (", sides alternating" if d.sides == "alternate" else "")
        return f"{min(self.index, self.total - 1) + 1} of {self.total}: {names.get(d.exercise, d.exercise)}{side}"

    def announcement(self, names: dict[str, str]) -> str:
        """What the coach says at this point (for the screen and the voice)."""
        if self.phase == "done":
            return "That's the whole routine. Well done."
        if self.phase == "stopped":
            return "Routine stopped."
        d = self.current
        name = names.get(d.exercise, d.exercise)
        if self.phase == "rest":
            if self.prompt == "other_side":
                return f"Now the other side: {name} on your {self.side} side. Rest a moment first."
            return f"Rest. Next: {name}" + (f", {self.side} side" if self.side else "") + "."
        side = f" on your {self.side} side" if self.side else ""
        return f"{names.get(d.exercise, d.exercise)}{side}: {d.text()}."

    # ------------------------------------------------------------------ changing
    def set_done(self, result: dict | None = None, now: float = 0.0, skipped: bool = False) -> None:
        """The current set ended (or was skipped): record it and go to the rest before the next one."""
        if self.phase != "set":
            return
        self.results.append(
            {**(result or {}), "exercise": self.current.exercise, "side": self.side or "none", "skipped": bool(skipped)}
        )
        d = self.current
        if d.sides == "each" and self.side == "left":
            self.side = "right"
            self._rest(now, self.side_rest_s, "other_side")
            return
        self.index += 1
        if self.index >= len(self.doses):
            self.phase, self.side, self.rest_until, self.prompt = "done", None, None, None
            return
        nxt = self.current
        self.side = "left" if nxt.sides == "each" else None
        self._rest(now, self.rest_s, "next")

    def _rest(self, now: float, seconds: float, prompt: str) -> None:
        self.phase, self.prompt = "rest", prompt
        self.rest_until = now + seconds

    def skip(self, now: float = 0.0) -> None:
        """Skip the current set (recorded as skipped), or the rest of a rest."""
        if self.phase == "set":
            self.set_done(None, now, skipped=True)
        elif self.phase == "rest":
            self.phase, self.rest_until = "set", None

    def tick(self, now: float) -> bool:
        """The rest is over at ``now``: the next set is due. True when the phase changed."""
        if self.phase == "rest" and self.rest_until is not None and now >= self.rest_until:
            self.phase, self.rest_until = "set", None
            return True
        return False

    def stop(self) -> None:
        if not self.over:
            self.phase, self.rest_until = "stopped", None

    # ------------------------------------------------------------------ saving
    def to_dict(self) -> dict:
        return {
            "doses": doses_to_json(self.doses),
            "rest_s": self.rest_s,
            "side_rest_s": self.side_rest_s,
            "index": self.index,
            "side": self.side,
            "phase": self.phase,
            "rest_until": self.rest_until,
            "prompt": self.prompt,
            "results": list(self.results),
            "day": self.day,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Routine:
        """A saved routine; raises ValueError (one line) when it cannot be used."""
        if not isinstance(data, dict) or not isinstance(data.get("doses"), list):
            raise ValueError("the saved routine is damaged")
        try:
            doses = [
                Dose(**{k: d[k] for k in ("exercise", "reps", "hold_s", "sides", "paced", "enabled") if k in d})
                for d in data["doses"]
            ]
            results = [dict(r) for r in data.get("results") or []]
            rest_until = data.get("rest_until")
            return cls(
                doses,
                float(data.get("rest_s", REST_S)),
                float(data.get("side_rest_s", SIDE_REST_S)),
                int(data.get("index", 0)),
                data.get("side"),
                str(data.get("phase", "set")),
                None if rest_until is None else float(rest_until),
                data.get("prompt"),
                results,
                str(data.get("day", "")),
            )
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f"the saved routine is damaged ({e})") from None


def _bounded(x: Any, hi: float) -> float:
    x = float(x)
    if not (math.isfinite(x) and 0 <= x <= hi):
        raise ValueError(f"a rest must be 0 to {hi:g} s")
    return x
