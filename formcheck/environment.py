"""Where formcheck keeps its files and what it needs installed: the per-user data and state
folders (from platformdirs, right on Linux, macOS and Windows), the packaged sample clips, the
optional extras (``app``, ``synth``) and the one OpenCV conflict that breaks ``cv2``.

Nothing here imports cv2, mediapipe or streamlit: these checks run before any of them is loaded.

Example:
    >>> from formcheck.environment import extra_for_module, install_hint
    >>> extra_for_module("streamlit_webrtc")
    'app'
    >>> install_hint("synth")
    'pip install "formcheck[synth]"'
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path

APP_NAME = "formcheck"

#: The optional extras and the top-level modules each one brings (pyproject.toml lists the packages).
EXTRAS: dict[str, tuple[str, ...]] = {
    "app": ("streamlit", "streamlit_webrtc", "altair", "pandas"),
    "synth": ("moderngl", "glcontext"),
}

#: OpenCV distributions that all install the same ``cv2`` package. mediapipe depends on
#: ``opencv-contrib-python``; any other one beside it overwrites part of ``cv2``.
OPENCV_DISTRIBUTIONS = (
    "opencv-contrib-python",
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python-headless",
)


def data_dir() -> Path:
    """The per-user data folder (history): ``~/.local/share/formcheck`` on Linux (or
    ``$XDG_DATA_HOME/formcheck``), ``~/Library/Application Support/formcheck`` on macOS,
    ``%LOCALAPPDATA%\\formcheck`` on Windows. Not created here."""
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def state_dir() -> Path:
    """The per-user state folder (the log of internal errors): ``~/.local/state/formcheck`` on
    Linux (or ``$XDG_STATE_HOME/formcheck``). Not created here."""
    import platformdirs

    return platformdirs.user_state_path(APP_NAME, appauthor=False)


def packaged_samples_dir() -> Path:
    """The sample clips shipped inside the package (``formcheck/samples``: videos with their
    ``.json`` labels and licences). Present in a wheel install and in a checkout alike."""
    return Path(__file__).resolve().parent / "samples"


def checkout_samples_dir() -> Path | None:
    """``sample_videos/`` of a source checkout (all 15 labelled clips), or None in an installed package."""
    d = Path(__file__).resolve().parent.parent / "sample_videos"
    return d if d.is_dir() and (d.parent / "pyproject.toml").is_file() else None


def install_hint(extra: str) -> str:
    return f'pip install "formcheck[{extra}]"'


def extra_for_module(module: str | None) -> str | None:
    """The optional extra that provides the top-level module of ``module`` (a dotted name), or None."""
    top = (module or "").split(".")[0]
    for extra, modules in EXTRAS.items():
        if top in modules:
            return extra
    return None


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported (found without importing them)."""
    out = []
    for m in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(m) is not None
        except (ImportError, ValueError):  # a broken or None entry in sys.modules
            found = False
        if not found:
            out.append(m)
    return out


class MissingExtraError(RuntimeError):
    """An optional extra is not installed; the message says which ``pip install`` to run."""

    def __init__(self, extra: str, what: str, modules: list[str] | None = None) -> None:
        self.extra = extra
        names = f" ({', '.join(modules)} not found)" if modules else ""
        super().__init__(f"{what} needs the optional extra '{extra}'{names}: {install_hint(extra)}")


def require_extra(extra: str, what: str) -> None:
    """Raise :class:`MissingExtraError` when a module of ``extra`` is missing."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtraError(extra, what, missing)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def opencv_conflict() -> str | None:
    """One line saying how to fix two OpenCV distributions fighting over ``cv2`` (for example
    ``opencv-python`` installed next to mediapipe's ``opencv-contrib-python``), or None when
    there is at most one. Reads package metadata only; never imports cv2."""
    if os.environ.get("FORMCHECK_SKIP_OPENCV_CHECK") == "1":
        return None
    found = {d: v for d in OPENCV_DISTRIBUTIONS if (v := _version(d)) is not None}
    if len(found) < 2:
        return None
    others = [d for d in found if d != "opencv-contrib-python"]
    listed = ", ".join(f"{d} {v}" for d, v in found.items())
    keep = "opencv-contrib-python"
    pinned = f"{keep}=={found[keep]}" if keep in found else keep
    return (
        f"several OpenCV packages are installed ({listed}) and overwrite each other's cv2; "
        f"keep only {keep}, which mediapipe needs: pip uninstall -y {' '.join(others)} && "
        f"pip install --force-reinstall --no-deps {pinned}"
    )
