"""Exercise definitions and the registry that finds them. Pure module (tomllib + importlib).

An exercise is one TOML file (data: texts, camera set-up, dosage, thresholds, faults and
their cues, safety notes) plus a small Python checker named by its ``checker`` key as
``"file.py:ClassName"`` (relative to the TOML file) or ``"package.module:ClassName"``.
The built-in four live in the top-level ``exercises/`` folder. More are found in any folder
passed to :func:`register_directory` or listed in the ``FORMCHECK_EXERCISE_PATH``
environment variable (``os.pathsep``-separated): adding an exercise never needs an edit
of the engine.

Add-ons are code: a folder's checkers are imported and run with the user's rights. Each add-on
is loaded on its own: a broken one (unreadable, bad TOML, invalid doses or thresholds, a
checker that fails to import) is skipped with a warning naming its file, and the built-ins and
the other add-ons keep working. An add-on cannot take the id or alias of a built-in exercise
unless the user sets ``FORMCHECK_EXERCISE_OVERRIDE=1``; between add-ons the first folder wins.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import math
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from formcheck.core.checker import ExerciseChecker

log = logging.getLogger(__name__)

VALID_POSTURES = ("supine", "all_fours", "standing")
#: ``FORMCHECK_EXERCISE_OVERRIDE=1`` lets add-ons replace built-in exercises of the same id.
OVERRIDE_ENV = "FORMCHECK_EXERCISE_OVERRIDE"
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
#: Largest exercise definition read, in bytes.
MAX_SPEC_BYTES = 256 * 1024


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

    def make_checker(self) -> ExerciseChecker:
        """A fresh checker for one stream of frames."""
        return load_checker_class(self)(self)


def _req(d: dict, key: str, src: Path) -> Any:
    if key not in d:
        raise ExerciseError(f"{src.name}: required key '{key}' is missing")
    return d[key]


def load_spec(path: str | Path) -> ExerciseSpec:
    """Read one exercise TOML file; any problem with it is an :class:`ExerciseError`."""
    from formcheck.core.fileio import UnsafePathError, one_line, require_regular_file

    path = Path(path)
    try:
        st = require_regular_file(path, "exercise definition", max_bytes=MAX_SPEC_BYTES)
        key = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
        if key in _spec_cache:  # the registry is read often (every lookup); the file has not changed
            return _spec_cache[key]
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ExerciseError(f"{one_line(path)}: cannot read exercise definition (not UTF-8 text)") from None
    except (OSError, UnsafePathError, tomllib.TOMLDecodeError) as e:
        raise ExerciseError(one_line(f"{path}: cannot read exercise definition ({e})")) from None
    try:
        spec = _spec_from_data(data, path)
    except ExerciseError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as e:
        raise ExerciseError(
            one_line(f"{path.name}: malformed exercise definition ({e.__class__.__name__}: {e})")
        ) from None
    if len(_spec_cache) > 256:
        _spec_cache.clear()
    _spec_cache[key] = spec
    return spec


#: Parsed definitions by (path, inode, mtime, size): a changed file is read again.
_spec_cache: dict[tuple, ExerciseSpec] = {}


def _bad(path: Path, what: str) -> ExerciseError:
    from formcheck.core.fileio import one_line

    return ExerciseError(one_line(f"{path.name}: {what}"))


def _number(value: Any, path: Path, key: str, minimum: float | None = None, positive: bool = False) -> float:
    """A finite number (TOML int or float, not a bool or string), optionally >= ``minimum`` or > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(path, f"'{key}' must be a number, not {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x):
        raise _bad(path, f"'{key}' must be a finite number, not {value}")
    if positive and x <= 0:
        raise _bad(path, f"'{key}' must be greater than 0, not {value}")
    if minimum is not None and x < minimum:
        raise _bad(path, f"'{key}' must be at least {minimum:g}, not {value}")
    return x


def _text(value: Any, path: Path, key: str) -> str:
    if not isinstance(value, str):
        raise _bad(path, f"'{key}' must be text, not {type(value).__name__}")
    return value


def _texts(value: Any, path: Path, key: str) -> tuple[str, ...]:
    """A list of strings; a single string is refused (it would be split into characters)."""
    if not isinstance(value, (list, tuple)):
        raise _bad(path, f"'{key}' must be a list of texts, not {type(value).__name__}")
    return tuple(_text(v, path, f"{key}[{i}]") for i, v in enumerate(value))


def _table(value: Any, path: Path, key: str) -> dict:
    if not isinstance(value, dict):
        raise _bad(path, f"'{key}' must be a table, not {type(value).__name__}")
    return value


def _flag(value: Any, path: Path, key: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(path, f"'{key}' must be true or false, not {value!r}")
    return value


def _dosage(dose: dict, path: Path) -> Dosage:
    reps = _number(dose.get("reps", 10), path, "dosage.reps", positive=True)
    if reps != int(reps) or reps > 1000:
        raise _bad(path, f"'dosage.reps' must be a whole number from 1 to 1000, not {dose.get('reps')}")
    hold_s = _number(dose.get("hold_s", 0.0), path, "dosage.hold_s", minimum=0.0)
    min_hold_s = _number(dose.get("min_hold_s", hold_s), path, "dosage.min_hold_s", minimum=0.0)
    if hold_s > 3600 or min_hold_s > 3600:
        raise _bad(path, "'dosage.hold_s' and 'dosage.min_hold_s' must be at most 3600 seconds")
    return Dosage(
        reps=int(reps),
        hold_s=hold_s,
        min_hold_s=min_hold_s,
        per_side=_flag(dose.get("per_side", False), path, "dosage.per_side"),
        text=_text(dose.get("text", ""), path, "dosage.text"),
    )


def _fault(code: str, f: Any, path: Path) -> FaultSpec:
    f = _table(f, path, f"faults.{code}")
    if not _ID.match(code):
        raise _bad(path, f"fault code '{code}' must be snake_case")
    return FaultSpec(
        code=code,
        cue=_text(_req(f, "cue", path), path, f"faults.{code}.cue"),
        meaning=_text(f.get("meaning", ""), path, f"faults.{code}.meaning"),
        min_duration_s=_number(f.get("min_duration_s", 0.0), path, f"faults.{code}.min_duration_s", minimum=0.0),
    )


def _spec_from_data(data: dict, path: Path) -> ExerciseSpec:
    """Validate every field: texts are texts, lists are lists, numbers are finite (doses and
    durations non-negative, reps a positive whole number); the first problem is raised."""
    posture = _req(data, "posture", path)
    if posture not in VALID_POSTURES:
        raise _bad(path, f"posture must be one of {VALID_POSTURES}, not '{posture}'")
    eid = _text(_req(data, "id", path), path, "id")
    if not _ID.match(eid):
        raise _bad(path, f"id must be snake_case letters, digits and '_' (at most 64), not '{eid}'")
    cam = _table(_req(data, "camera", path), path, "camera")
    dose = _table(_req(data, "dosage", path), path, "dosage")
    faults = {code: _fault(code, f, path) for code, f in _table(data.get("faults", {}), path, "faults").items()}
    kind = data.get("kind", "reps")
    if kind not in ("reps", "hold"):
        raise _bad(path, "kind must be 'reps' or 'hold'")
    thresholds = {
        k: _number(v, path, f"thresholds.{k}")
        for k, v in _table(data.get("thresholds", {}), path, "thresholds").items()
    }
    return ExerciseSpec(
        id=eid,
        name=_text(_req(data, "name", path), path, "name"),
        summary=_text(data.get("summary", ""), path, "summary"),
        posture=posture,
        kind=kind,
        instructions=_texts(data.get("instructions", ()), path, "instructions"),
        camera=CameraSetup(
            view=_text(cam.get("view", "side"), path, "camera.view"),
            required=_texts(cam.get("required", ()), path, "camera.required"),
            advice=_texts(cam.get("advice", ()), path, "camera.advice"),
        ),
        dosage=_dosage(dose, path),
        key_angle_name=_text(data.get("key_angle", ""), path, "key_angle"),
        thresholds=thresholds,
        faults=faults,
        safety=_texts(data.get("safety", ()), path, "safety"),
        limitations=_texts(data.get("limitations", ()), path, "limitations"),
        checker_ref=_text(_req(data, "checker", path), path, "checker"),
        source=path,
        aliases=_texts(data.get("aliases", ()), path, "aliases"),
        needs_segmentation=_flag(data.get("needs_segmentation", False), path, "needs_segmentation"),
        extra={
            k: v
            for k, v in data.items()
            if k
            not in {
                "id",
                "name",
                "summary",
                "posture",
                "kind",
                "instructions",
                "camera",
                "dosage",
                "key_angle",
                "thresholds",
                "faults",
                "safety",
                "limitations",
                "checker",
                "aliases",
                "needs_segmentation",
            }
        },
    )


_class_cache: dict[tuple[str, str], type] = {}


def load_checker_class(spec: ExerciseSpec) -> type[ExerciseChecker]:
    """Import the checker class named by ``spec.checker_ref``."""
    from formcheck.core.checker import ExerciseChecker

    key = (str(spec.source), spec.checker_ref)
    if key in _class_cache:
        return _class_cache[key]
    ref, _, cls_name = spec.checker_ref.partition(":")
    mod_name = ""
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
    except (Exception, SystemExit) as e:  # a broken plug-in must not take the app down
        from formcheck.core.fileio import one_line

        if mod_name:
            sys.modules.pop(mod_name, None)  # no half-imported module left behind
        # the traceback for the add-on's author: in the log (the CLI's log file), never on the terminal
        log.error("importing the checker of %s failed", spec.source, exc_info=True, extra={"file_only": True})
        raise ExerciseError(
            one_line(f"{spec.source.name}: cannot import checker '{spec.checker_ref}': {e.__class__.__name__}: {e}")
        ) from e
    cls = getattr(module, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, ExerciseChecker)):
        raise ExerciseError(f"{spec.source.name}: '{cls_name}' is not an ExerciseChecker subclass")
    _class_cache[key] = cls
    return cls


def builtin_directory() -> Path:
    """The folder holding the built-in exercise definitions: the package ``formcheck.exercises``
    (the top-level ``exercises/`` folder of a source checkout, installed under formcheck)."""
    return Path(str(resources.files("formcheck.exercises"))).resolve()


#: Entry-point group through which an installed package adds exercises: each entry point names a
#: package (``myaddon.exercises``) whose folder holds ``*.toml`` definitions and their checkers.
ENTRY_POINT_GROUP = "formcheck.exercises"


def entry_point_directories() -> list[Path]:
    """Folders of the exercise add-ons installed as packages (entry-point group
    :data:`ENTRY_POINT_GROUP`). A broken entry point is skipped with a warning naming it."""
    from importlib.metadata import entry_points

    out: list[Path] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = ep.load()
            where = Path(str(resources.files(target))).resolve()
        except (Exception, SystemExit) as e:  # a broken add-on package must not take formcheck down
            _warn_once(
                f"skipping the exercise add-on entry point '{ep.name} = {ep.value}': {e.__class__.__name__}: {e}"
            )
            continue
        if where not in out:
            out.append(where)
    return out


_extra_dirs: list[Path] = []


def register_directory(path: str | Path) -> list[str]:
    """Add a folder of exercise definitions; returns the ids of the usable ones found there
    (broken ones are skipped with a warning, see :func:`all_exercises`).

    The folder's checkers are Python code, imported and run with your rights: add only folders
    you trust.
    """
    p = Path(path).resolve()
    if not p.is_dir():
        raise ExerciseError(f"{path}: not a folder of exercise definitions")
    if p not in _extra_dirs:
        _extra_dirs.append(p)
    return [spec.id for spec in all_exercises().values() if spec.source.parent == p]


def unregister_directory(path: str | Path) -> None:
    """Forget a folder added with :func:`register_directory` (no error if it was not added)."""
    p = Path(path).resolve()
    if p in _extra_dirs:
        _extra_dirs.remove(p)


def _directories() -> list[Path]:
    dirs = [builtin_directory()]
    env = os.environ.get("FORMCHECK_EXERCISE_PATH", "")
    dirs += [Path(d) for d in env.split(os.pathsep) if d]
    dirs += entry_point_directories()
    dirs += _extra_dirs
    return dirs


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    """Log an add-on problem once per process (the registry is read many times)."""
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


def _override_allowed() -> bool:
    return os.environ.get(OVERRIDE_ENV, "").strip().lower() in ("1", "true", "yes")


def _load_addon(f: Path, taken: dict[str, str], builtin_names: set[str]) -> ExerciseSpec | None:
    """One add-on definition, fully checked (its checker imported), or ``None`` with a warning."""
    try:
        spec = load_spec(f)
        load_checker_class(spec)
    except ExerciseError as e:
        _warn_once(f"skipping the exercise add-on {f}: {e}")
        return None
    names = {spec.id, *(normalise_name(a) for a in spec.aliases)}
    clash = sorted(n for n in names if n in taken)
    if clash:
        owner = taken[clash[0]]
        if owner == "built-in" and _override_allowed() and spec.id in builtin_names:
            _warn_once(f"the exercise add-on {f} replaces the built-in exercise '{spec.id}' ({OVERRIDE_ENV} is set)")
            return spec
        hint = f" (set {OVERRIDE_ENV}=1 to let add-ons replace built-ins)" if owner == "built-in" else ""
        _warn_once(f"skipping the exercise add-on {f}: the name '{clash[0]}' is already used by {owner}{hint}")
        return None
    return spec


def all_exercises() -> dict[str, ExerciseSpec]:
    """Every known exercise by id, built-ins first. Each add-on is loaded in isolation: a broken
    one is skipped with a warning naming its file. An add-on cannot reuse a built-in's id or
    alias unless ``FORMCHECK_EXERCISE_OVERRIDE=1``; between add-ons the first folder wins."""
    builtin_dir = builtin_directory()
    out: dict[str, ExerciseSpec] = {}
    for f in sorted(builtin_dir.glob("*.toml")):
        spec = load_spec(f)  # a broken built-in is a bug of formcheck itself: raise
        out[spec.id] = spec
    builtin_names = set(out)
    taken = {n: "built-in" for s in out.values() for n in (s.id, *(normalise_name(a) for a in s.aliases))}
    for d in _directories()[1:]:
        if d.resolve() == builtin_dir:
            continue
        if not d.is_dir():
            _warn_once(f"exercise folder {d} does not exist")
            continue
        for f in sorted(d.glob("*.toml")):
            addon = _load_addon(f, taken, builtin_names)
            if addon is None:
                continue
            spec = addon
            if spec.id in builtin_names:  # an allowed override: the built-in's names go to the add-on
                del out[spec.id]
            out[spec.id] = spec
            for n in (spec.id, *(normalise_name(a) for a in spec.aliases)):
                taken[n] = f"the add-on {f}"
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
    from formcheck.core.fileio import one_line

    raise ExerciseError(f"unknown exercise '{one_line(name)}'. Choose one of: {', '.join(specs)}")
