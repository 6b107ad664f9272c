"""``formcheck eval`` on the committed sample clips (real MediaPipe), plus its matching logic."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLES, run_cli
from formcheck.evaluate import find_clips, match_reps


def test_match_reps_by_overlap():
    det = [{"start_s": 0.0, "end_s": 2.0}, {"start_s": 5.0, "end_s": 7.0}, {"start_s": 20.0, "end_s": 21.0}]
    gt = [{"start_s": 4.8, "end_s": 7.2}, {"start_s": 0.2, "end_s": 2.2}, {"start_s": 10.0, "end_s": 12.0}]
    assert match_reps(det, gt) == [(0, 1), (1, 0)]


def test_every_clip_is_labelled_and_small():
    pairs = find_clips(SAMPLES)
    assert len(pairs) >= 15
    exercises = {}
    for video, label in pairs:
        assert video.stat().st_size <= 1.6e6, video
        d = json.loads(label.read_text())
        assert d.get("licence"), label
        exercises.setdefault(d["exercise"], []).append(d)
        if d["exercise"] is not None:
            assert d["expected"]["reps"] == len(d["reps"])
            assert d["expected"]["good_reps"] == sum(r["good"] for r in d["reps"])
            for r in d["reps"]:
                assert r["good"] == (not r["faults"])
    for ex in ("bridge", "bird_dog", "pelvic_tilt", "knee_to_chest"):
        clips = exercises.get(ex, [])
        assert sum(1 for c in clips if all(r["good"] for r in c["reps"])) >= 1, f"{ex}: no clean clip"
        assert sum(1 for c in clips if any(not r["good"] for r in c["reps"])) >= 2, f"{ex}: fewer than 2 fault clips"
    assert len(exercises.get(None, [])) >= 2  # walking and standing negatives


@pytest.mark.mediapipe
def test_formcheck_eval_passes_on_sample_videos():
    proc = run_cli("eval", str(SAMPLES), "--json", timeout=900)
    result = json.loads(proc.stdout)
    bad = [c for c in result["clips"] if not (c["count_ok"] and c["warning_ok"])]
    assert not bad, json.dumps(bad, indent=1)
    assert proc.returncode == 0
    agg = result["aggregates"]
    assert agg["exact_count"] == agg["clips"]
    assert agg["fault_recall"] == 1.0, [c["missed_faults"] for c in result["clips"] if c["missed_faults"]]
    for c in result["clips"]:
        assert c["hold_mae_s"] is None or c["hold_mae_s"] <= 0.5, c


def test_a_broken_label_is_a_failed_clip_not_a_crash(tmp_path):
    import shutil

    shutil.copy(SAMPLES / "standing_pose2sim_cam01.mp4", tmp_path / "clip.mp4")
    (tmp_path / "clip.json").write_text("{not json")
    proc = run_cli("eval", str(tmp_path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "ERROR clip.json: unreadable label" in proc.stdout


def test_eval_with_no_matching_clip_is_a_usage_error():
    proc = run_cli("eval", str(SAMPLES), "--only", "no-such-clip")
    assert proc.returncode == 2 and "no labelled clip name contains" in proc.stderr
