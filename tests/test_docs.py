"""The README stays true: its exercise section matches the definitions and lists every code."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

from formcheck.core.exercise import all_exercises


def test_readme_exercise_section_is_up_to_date():
    proc = subprocess.run(
        [sys.executable, "scripts/exercise_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_readme_lists_every_fault_code_and_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    for spec in all_exercises().values():
        for code in spec.faults:
            assert f"`{code}`" in readme, code
    assert "make run" in readme and "make test" in readme
