"""Exercise definitions and the registry that finds them. Pure module (tomllib + importlib).

An exercise is one TOML file (data: texts, camera set-up, dosage, thresholds, faults and
their cues, safety notes) plus a small Python checker named by its ``checker`` key as
``"file.py:ClassName"`` (relative to the TOML file) or ``"package.module:ClassName"``.
The built-in four live in the top-level ``exercises/`` folder. More are found in any folder
passed to :func:`register_directory` or listed in the ``FORMCHECK_EXERCISE_PATH``
environment variable (``os.pathsep``-separated): adding an exercise never needs an edit
of the engine.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checker import ExerciseChecker

log = logging.getLogger(__name__)

VALID_POSTURES = ("supine", "all_fours", "standing")


class ExerciseError(Exception):
    """A definition that cannot be used, or an exercise name that does not exist."""


@dataclass(frozen=True)
class FaultSpec:
    """A fault: stable ``code``, the short kind ``cue`` shown/spoken to the person, and what it ``means``."""

    code: str
    cue: str
    meaning: str
    min_duration_s: float = 0.0


@dataclass(frozen=True)
class Dosage:
    """How much to do, from the guide. ``hold_s`` is the target hold (seconds), ``min_hold_s``
    the shortest hold that is not flagged ``hold_too_short``."""

    reps: int
    hold_s: float
    min_hold_s: float
    per_side: bool = False
    text: str = ""


@dataclass(frozen=True)
class CameraSetup:
    """Where the camera goes and what must be in frame (landmark names or ``either:<joint>``)."""

    view: str
    required: tuple[str, ...]
    advice: tuple[str, ...]


@dataclass(frozen=True)
class ExerciseSpec:
    """One exercise definition (see ``exercises/*.toml``)."""

    id: str
    name: str
    summary: str
    posture: str
    kind: str  # "reps" (move and hold at the top) or "hold" (every hold is a rep)
    instructions: tuple[str, ...]
    camera: CameraSetup
    dosage: Dosage
    key_angle_name: str
    thresholds: dict[str, float]
    faults: dict[str, FaultSpec]
    safety: tuple[str, ...]
    limitations: tuple[str, ...]
    checker_ref: str
    source: Path
    aliases: tuple[str, ...] = ()
    #: the checker reads the body outline from a person segmentation mask (the pose model is asked for it)
    needs_segmentation: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def threshold(self, name: str) -> float:
        try:
            return float(self.thresholds[name])
        except KeyError:
            raise ExerciseError(f"{self.source.name}: threshold '{name}' is missing") from None

    def cue(self, code: str) -> str:
        f = self.faults.get(code)
        return f.cue if f else code.replace("_", " ")

    def make_checker(self) -> "ExerciseChecker":
        """A fresh checker for one stream of frames."""
        return load_checker_class(self)(self)


def _req(d: dict, key: str, src: Path) -> Any:
    if key not in d:
        raise ExerciseError(f"{src.name}: required key '{key}' is missing")
    return d[key]


def load_spec(path: str | Path) -> ExerciseSpec:
    """Read one exercise TOML file; any problem with it is an :class:`ExerciseError`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ExerciseError(f"{path}: cannot read exercise definition ({e})") from None
    try:
        return _spec_from_data(data, path)
    except ExerciseError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ExerciseError(f"{path.name}: malformed exercise definition ({e.__class__.__name__}: {e})") from None


def _spec_from_data(data: dict, path: Path) -> ExerciseSpec:
    posture = _req(data, "posture", path)
    if posture not in VALID_POSTURES:
        raise ExerciseError(f"{path.name}: posture must be one of {VALID_POSTURES}, not '{posture}'")
    cam = _req(data, "camera", path)
    dose = _req(data, "dosage", path)
    faults = {
        code: FaultSpec(code=code, cue=str(f["cue"]), meaning=str(f.get("meaning", "")), min_duration_s=float(f.get("min_duration_s", 0.0)))
        for code, f in data.get("faults", {}).items()
    }
    kind = data.get("kind", "reps")
    if kind not in ("reps", "hold"):
        raise ExerciseError(f"{path.name}: kind must be 'reps' or 'hold'")
    return ExerciseSpec(
        id=str(_req(data, "id", path)),
        name=str(_req(data, "name", path)),
        summary=str(data.get("summary", "")),
        posture=posture,
        kind=kind,
        instructions=tuple(data.get("instructions", ())),
        camera=CameraSetup(view=str(cam.get("view", "side")), required=tuple(cam.get("required", ())), advice=tuple(cam.get("advice", ()))),
        dosage=Dosage(
            reps=int(dose.get("reps", 10)),
            hold_s=float(dose.get("hold_s", 0.0)),
            min_hold_s=float(dose.get("min_hold_s", dose.get("hold_s", 0.0))),
            per_side=bool(dose.get("per_side", False)),
            text=str(dose.get("text", "")),
        ),
        key_angle_name=str(data.get("key_angle", "")),
        thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()},
        faults=faults,
        safety=tuple(data.get("safety", ())),
        limitations=tuple(data.get("limitations", ())),
        checker_ref=str(_req(data, "checker", path)),
        source=path,
        aliases=tuple(data.get("aliases", ())),
        needs_segmentation=bool(data.get("needs_segmentation", False)),
        extra={k: v for k, v in data.items() if k not in {
            "id", "name", "summary", "posture", "kind", "instructions", "camera", "dosage", "key_angle",
            "thresholds", "faults", "safety", "limitations", "checker", "aliases", "needs_segmentation"}},
    )


_class_cache: dict[tuple[str, str], type] = {}


def load_checker_class(spec: ExerciseSpec) -> type["ExerciseChecker"]:
    """Import the checker class named by ``spec.checker_ref``."""
    from .checker import ExerciseChecker

    key = (str(spec.source), spec.checker_ref)
    if key in _class_cache:
        return _class_cache[key]
    ref, _, cls_name = spec.checker_ref.partition(":")
    if not cls_name:
        raise ExerciseError(f"{spec.source.name}: checker must look like 'file.py:ClassName'")
    try:
        if ref.endswith(".py"):
            file = (spec.source.parent / ref).resolve()
            mod_name = f"formcheck_exercise_{spec.id}_{abs(hash(str(file)))}"
            module_spec = importlib.util.spec_from_file_location(mod_name, file)
            if module_spec is None or module_spec.loader is None:
                raise ExerciseError(f"{spec.source.name}: cannot load checker file {file}")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[mod_name] = module
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(ref)
    except ExerciseError:
        raise
    except Exception as e:  # a broken plug-in must not take the app down
        raise ExerciseError(f"{spec.source.name}: cannot import checker '{spec.checker_ref}': {e}") from e
    cls = getattr(module, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, ExerciseChecker)):
        raise ExerciseError(f"{spec.source.name}: '{cls_name}' is not an ExerciseChecker subclass")
    _class_cache[key] = cls
    return cls


def builtin_directory() -> Path:
    """The folder holding the built-in exercise definitions."""
    import exercises  # the top-level package next to formcheck/

    return Path(exercises.__file__).resolve().parent


_extra_dirs: list[Path] = []


def register_directory(path: str | Path) -> list[str]:
    """Add a folder of exercise definitions; returns the ids found there."""
    p = Path(path).resolve()
    if not p.is_dir():
        raise ExerciseError(f"{path}: not a folder of exercise definitions")
    if p not in _extra_dirs:
        _extra_dirs.append(p)
    return [load_spec(f).id for f in sorted(p.glob("*.toml"))]


def unregister_directory(path: str | Path) -> None:
    """Forget a folder added with :func:`register_directory` (no error if it was not added)."""
    p = Path(path).resolve()
    if p in _extra_dirs:
        _extra_dirs.remove(p)


def _directories() -> list[Path]:
    dirs = [builtin_directory()]
    env = os.environ.get("FORMCHECK_EXERCISE_PATH", "")
    dirs += [Path(d) for d in env.split(os.pathsep) if d]
    dirs += _extra_dirs
    return dirs


def all_exercises() -> dict[str, ExerciseSpec]:
    """Every known exercise by id, built-ins first (a later folder may override an id)."""
    out: dict[str, ExerciseSpec] = {}
    for d in _directories():
        if not d.is_dir():
            log.warning("exercise folder %s does not exist", d)
            continue
        builtin = d == builtin_directory()
        for f in sorted(d.glob("*.toml")):
            try:
                spec = load_spec(f)
            except ExerciseError as e:
                if builtin:
                    raise
                log.warning("skipping a broken exercise definition: %s", e)  # an add-on must not take the rest down
                continue
            out[spec.id] = spec
    return out


def normalise_name(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def get_exercise(name: str) -> ExerciseSpec:
    """Look an exercise up by id or alias (``bird-dog``, ``bird_dog`` and ``Bird dog`` all work)."""
    key = normalise_name(name)
    specs = all_exercises()
    for spec in specs.values():
        if key == spec.id or key in (normalise_name(a) for a in spec.aliases):
            return spec
    raise ExerciseError(f"unknown exercise '{name}'. Choose one of: {', '.join(specs)}")
