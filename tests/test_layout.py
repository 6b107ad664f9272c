"""The architecture as a test: the core (and the built-in checkers) stay pure.

``formcheck.core`` and ``formcheck.exercises`` take landmarks in and give events out with numpy
and the standard library only; camera, video, model and browser code lives in
``formcheck.media`` / ``formcheck.app`` / ``formcheck.tools``. Every import statement is checked,
including imports inside functions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_DIRS = {"formcheck.core": ROOT / "formcheck" / "core", "formcheck.exercises": ROOT / "exercises"}
ALLOWED_THIRD_PARTY = {"numpy"}


def _imports(path: Path, package: str) -> list[tuple[int, str]]:
    """Every module a file imports (absolute names; relative imports resolved against ``package``)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            out.append((node.lineno, name))
    return out


def _pure_violations() -> list[str]:
    bad = []
    for package, folder in PURE_DIRS.items():
        for f in sorted(folder.glob("*.py")):
            for line, name in _imports(f, package):
                top = name.split(".")[0]
                if top == "__future__" or top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY:
                    continue
                if name == "formcheck.core" or name.startswith("formcheck.core."):
                    continue
                bad.append(f"{f.parent.name}/{f.name}:{line} imports {name}")
    return bad


def test_core_and_checkers_import_only_numpy_stdlib_and_core():
    assert _pure_violations() == []


def test_the_purity_check_catches_a_forbidden_import(tmp_path, monkeypatch):
    """The checker above is not vacuous: a core module importing cv2 (even lazily) is reported."""
    fake = tmp_path / "core"
    fake.mkdir()
    (fake / "ok.py").write_text("import numpy as np\nfrom formcheck.core import events\nfrom . import geometry\n")
    (fake / "bad.py").write_text("def f():\n    import cv2\n    from formcheck.media.pose import PoseEstimator\n")
    monkeypatch.setitem(PURE_DIRS, "formcheck.core", fake)
    monkeypatch.setitem(PURE_DIRS, "formcheck.exercises", tmp_path / "none")
    assert _pure_violations() == ["core/bad.py:2 imports cv2", "core/bad.py:3 imports formcheck.media.pose"]


def test_importing_the_core_loads_no_camera_model_or_browser_library():
    code = (
        "import sys, formcheck.core.session, formcheck.core.report, formcheck.core.exercise as e\n"
        "[e.load_checker_class(s) for s in e.all_exercises().values()]\n"
        "heavy = sorted(m for m in ('cv2', 'mediapipe', 'streamlit', 'av', 'streamlit_webrtc') if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("pkg", ["core", "media", "app", "tools", "synth", "models"])
def test_every_sub_package_is_listed_for_the_wheel(pkg):
    text = (ROOT / "pyproject.toml").read_text()
    assert f'"formcheck.{pkg}"' in text
