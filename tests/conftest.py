"""Shared fixtures. Media fixtures are generated at test time (see conftest_media.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
SHARED_CLIPS = ROOT.parent / "shared" / "clips"


def clip_path(name: str) -> Path:
    """A sample clip: ``sample_videos/NAME`` (committed), else the shared copy."""
    for d in (SAMPLES, SHARED_CLIPS):
        if (d / name).is_file():
            return d / name
    pytest.fail(f"sample clip {name} is missing from {SAMPLES}")


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``formcheck`` command in a subprocess, as a user would."""
    env = dict(os.environ)
    env.pop("FORMCHECK_NATIVE_LOGS", None)
    return subprocess.run([sys.executable, "-m", "formcheck", *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=ROOT)
