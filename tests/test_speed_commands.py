"""The speed commands of issue 11 end to end: ``bench`` and ``bench --live`` print their figures (never
judged against wall-clock thresholds), ``analyze`` of several files and ``eval --jobs 2`` give the same
results in worker processes as one at a time, in the order given."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import clip_path, run_cli

from formcheck.tools.evaluate import evaluate_directory

CORPUS = Path(__file__).resolve().parent / "corpus" / "dev"
BRIDGE = "bridge_side_physiocore.mp4"


def test_eval_with_two_workers_gives_the_same_results_in_the_same_order(tmp_path):
    for track in sorted(CORPUS.glob("bridge_*.fctrack"))[:4] + sorted(CORPUS.glob("bird_dog_*.fctrack"))[:2]:
        shutil.copy(track, tmp_path / track.name)
        shutil.copy(track.with_suffix(".json"), tmp_path / track.with_suffix(".json").name)
    one = evaluate_directory(tmp_path, jobs=1).to_dict()
    two = evaluate_directory(tmp_path, jobs=2).to_dict()
    assert [c["clip"] for c in two["clips"]] == sorted(p.name for p in tmp_path.glob("*.fctrack"))
    assert two == one


@pytest.mark.mediapipe
def test_bench_prints_the_real_time_factor_and_the_ratio_last():
    proc = run_cli("bench", str(clip_path(BRIDGE)), "--frames", "30")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert re.fullmatch(r"real-time factor \(video seconds per wall second\): \d+\.\d\d", lines[-2]), lines[-2]
    assert re.fullmatch(r"throughput ratio \(pipeline / mediapipe alone\): \d+\.\d\d", lines[-1]), lines[-1]
    assert "mediapipe alone, one person" in proc.stdout and "every 2. frame" in proc.stdout


@pytest.mark.mediapipe
def test_bench_live_prints_latency_and_drops():
    proc = run_cli("bench", str(clip_path(BRIDGE)), "--live", "--seconds", "2")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"per-frame latency \(ms\): p50 \d+\.\d  p95 \d+\.\d", out), out
    assert re.search(r"frames dropped: \d+\.\d %", out), out
    offered = int(re.search(r"frames offered (\d+)", out).group(1))
    assert offered == 60  # 2 s at 30 fps, whatever the machine's speed


@pytest.mark.mediapipe
def test_analyze_several_files_with_two_workers(tmp_path):
    a = shutil.copy(clip_path(BRIDGE), tmp_path / "a.mp4")
    walking = clip_path("walking_sports2d_demo.mp4")
    proc = run_cli(
        "analyze", str(a), str(walking), str(tmp_path / "missing.mp4"), "-e", "bridge", "--jobs", "2", "--json"
    )
    assert proc.returncode == 2, proc.stderr
    reports = json.loads(proc.stdout)["reports"]
    assert [r.get("source") for r in reports] == [str(a), str(walking), str(tmp_path / "missing.mp4")]
    assert reports[0]["reps"] == 1 and reports[1]["reps"] == 0
    assert reports[2]["error"]["code"] == "bad_video" and "missing.mp4" in proc.stderr
    single = json.loads(run_cli("analyze", str(a), "-e", "bridge", "--json").stdout)
    assert [e["hold_s"] for e in single["rep_events"]] == [e["hold_s"] for e in reports[0]["rep_events"]]


def test_the_pelvic_tilt_is_never_analysed_with_the_fast_path(monkeypatch):
    """Its cues are compared with their frame-by-frame resting jitter, which one-person tracking changes
    (a sample clip lost a correct rep with it): ``--fast`` leaves the pelvic tilt on the detection path."""
    from formcheck.core.exercise import get_exercise
    from formcheck.media import pipeline

    assert pipeline.exercise_fast(get_exercise("bridge"), True) is True
    assert pipeline.exercise_fast(get_exercise("bridge"), False) is False
    assert pipeline.exercise_fast(get_exercise("pelvic_tilt"), True) is False
    asked = []

    def fake_frames(*args, **kwargs):
        asked.append(kwargs["fast"])
        raise pipeline.AnalysisError("stop here")

    monkeypatch.setattr(pipeline, "iter_pose_frames", fake_frames)
    for exercise in ("pelvic_tilt", "knee_to_chest"):
        with pytest.raises(pipeline.AnalysisError):
            pipeline.analyze(clip_path(BRIDGE), exercise, fast=True)
    assert asked == [False, True]
