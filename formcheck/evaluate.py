"""``formcheck eval``: score the checkers on labelled clips (video + ground-truth JSON).

Each clip ``NAME.mp4`` (or .webm/.mov) has a label file ``NAME.json``::

    {"clip": "NAME.mp4", "exercise": "bridge" | null, "expected": {"reps": 5, "good_reps": 4},
     "reps": [{"index": 1, "start_s": .., "top_s": .., "end_s": .., "hold_s": .., "side": "left",
               "good": true, "faults": ["hold_too_short"]}],
     "expected_warning": "no_exercise_posture"}      # optional; for clips of no exercise

A clip with ``"exercise": null`` is a negative: it is analysed as every exercise given in
``"analyse_as"`` (default: bridge) and must give 0 reps.

Detected reps are matched to labelled reps by time overlap (greedy, largest overlap first).
Metrics:
- exact count: clips whose rep count equals the label; rep MAE = mean |detected - labelled|;
  off-by-one accuracy = share of clips with |difference| <= 1;
- good-rep accuracy = share of labelled reps (matched) whose good/faulty verdict agrees;
- hold error = mean |detected hold_s - labelled hold_s| over matched reps (seconds);
- fault recall = labelled faults found in the matched rep / labelled faults;
- false cues per minute = detected faults not in the matched rep's labels (or on unmatched reps),
  per minute of video.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .pipeline import ProgressFn, analyze

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv")


@dataclass
class ClipResult:
    clip: str
    exercise: str
    expected_reps: int
    reps: int
    expected_good: int | None
    good_reps: int
    matched: int = 0
    verdicts_agree: int = 0
    hold_errors: list[float] = field(default_factory=list)
    faults_expected: int = 0
    faults_caught: int = 0
    missed_faults: list[str] = field(default_factory=list)
    false_cues: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    warnings: list[str] = field(default_factory=list)
    expected_warning: str | None = None
    error: str | None = None

    @property
    def count_ok(self) -> bool:
        return self.error is None and self.reps == self.expected_reps

    @property
    def warning_ok(self) -> bool:
        return self.expected_warning is None or self.expected_warning in self.warnings

    def to_dict(self) -> dict:
        return {
            "clip": self.clip, "exercise": self.exercise, "expected_reps": self.expected_reps, "reps": self.reps,
            "expected_good_reps": self.expected_good, "good_reps": self.good_reps, "count_ok": self.count_ok,
            "hold_mae_s": None if not self.hold_errors else round(sum(self.hold_errors) / len(self.hold_errors), 3),
            "faults_expected": self.faults_expected, "faults_caught": self.faults_caught,
            "missed_faults": self.missed_faults, "false_cues": self.false_cues, "warnings": self.warnings,
            "expected_warning": self.expected_warning, "warning_ok": self.warning_ok, "error": self.error,
        }


@dataclass
class EvalResult:
    clips: list[ClipResult]

    @property
    def all_counts_exact(self) -> bool:
        return bool(self.clips) and all(c.count_ok and c.warning_ok for c in self.clips)

    def aggregates(self) -> dict:
        n = len(self.clips) or 1
        ok = [c for c in self.clips if c.error is None]
        diffs = [abs(c.reps - c.expected_reps) for c in ok]
        holds = [e for c in ok for e in c.hold_errors]
        matched = sum(c.matched for c in ok)
        fexp = sum(c.faults_expected for c in ok)
        minutes = sum(c.duration_s for c in ok) / 60.0
        return {
            "clips": len(self.clips),
            "exact_count": sum(c.count_ok for c in self.clips),
            "exact_count_share": round(sum(c.count_ok for c in self.clips) / n, 3),
            "rep_mae": round(sum(diffs) / len(diffs), 3) if diffs else None,
            "off_by_one_accuracy": round(sum(d <= 1 for d in diffs) / len(diffs), 3) if diffs else None,
            "good_rep_accuracy": round(sum(c.verdicts_agree for c in ok) / matched, 3) if matched else None,
            "hold_mae_s": round(sum(holds) / len(holds), 3) if holds else None,
            "hold_max_error_s": round(max(holds), 3) if holds else None,
            "fault_recall": round(sum(c.faults_caught for c in ok) / fexp, 3) if fexp else None,
            "false_cues_per_min": round(sum(len(c.false_cues) for c in ok) / minutes, 3) if minutes > 0 else None,
            "warnings_ok": sum(c.warning_ok for c in self.clips),
        }

    def to_dict(self) -> dict:
        return {"aggregates": self.aggregates(), "clips": [c.to_dict() for c in self.clips],
                "all_counts_exact": self.all_counts_exact}


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def match_reps(detected: list[dict], labelled: list[dict]) -> list[tuple[int, int]]:
    """Pairs ``(i_detected, i_labelled)`` matched greedily by time overlap (seconds > 0)."""
    cand = sorted(
        ((_overlap(d["start_s"], d["end_s"], g["start_s"], g["end_s"]), i, j)
         for i, d in enumerate(detected) for j, g in enumerate(labelled)),
        reverse=True,
    )
    used_d: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for ov, i, j in cand:
        if ov <= 0 or i in used_d or j in used_g:
            continue
        used_d.add(i)
        used_g.add(j)
        pairs.append((i, j))
    return sorted(pairs)


def find_clips(directory: str | Path) -> list[tuple[Path, Path]]:
    """``(video, label)`` pairs in ``directory``: every ``*.json`` with a video of the same stem."""
    d = Path(directory)
    out = []
    for label in sorted(d.glob("*.json")):
        for suf in VIDEO_SUFFIXES:
            v = label.with_suffix(suf)
            if v.is_file():
                out.append((v, label))
                break
    return out


def cached_track(video: Path, cache_dir: str | Path, model: str = "full", segmentation: bool = False) -> Path:
    """The landmark track of ``video`` in ``cache_dir`` (made with the pose model on first use).

    Tuning a checker then re-runs in seconds without the model. The cache is keyed by clip
    name, model, whether the person mask's outline is in it (``segmentation``, for exercises
    that need it) and the video's size and modification time.
    """
    from .pipeline import write_track

    st = video.stat()
    seg = ".seg" if segmentation else ""
    path = Path(cache_dir) / f"{video.stem}.{Path(model).stem}{seg}.{st.st_size}.{int(st.st_mtime)}.fctrack"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_track(video, path, model=model, segmentation=segmentation)
    return path


def evaluate_clip(video: Path, label: dict, model: str = "full", exercise: str | None = None,
                  track_cache: str | Path | None = None) -> ClipResult:
    """Analyse one clip as ``exercise`` (default: the label's) and compare with its label.

    With ``track_cache`` the clip's landmarks are computed once and reused (see :func:`cached_track`).
    """
    ex = exercise or label.get("exercise") or "bridge"
    expected = label.get("expected", {})
    is_negative = label.get("exercise") is None or (exercise is not None and exercise != label.get("exercise"))
    exp_reps = 0 if is_negative else int(expected.get("reps", len(label.get("reps", []))))
    exp_good = None if is_negative else expected.get("good_reps")
    res = ClipResult(clip=video.name, exercise=ex, expected_reps=exp_reps, reps=0, expected_good=exp_good, good_reps=0,
                     expected_warning=label.get("expected_warning") if label.get("exercise") is None else None)
    try:
        if track_cache:
            from .exercise import get_exercise

            source = cached_track(video, track_cache, model, segmentation=get_exercise(ex).needs_segmentation)
        else:
            source = video
        report = analyze(source, ex, model=model).report
    except Exception as e:  # a clip that cannot be analysed is a failed clip, not a crashed eval
        res.error = str(e)
        return res
    d = report.to_dict()
    res.reps, res.good_reps, res.duration_s = d["reps"], d["good_reps"], report.duration_s
    res.warnings = [w["code"] for w in d["warnings"]]
    detected = d["rep_events"]
    truth = [] if is_negative else label.get("reps", [])
    pairs = match_reps(detected, truth)
    res.matched = len(pairs)
    matched_d = {i for i, _ in pairs}
    for i, j in pairs:
        det, gt = detected[i], truth[j]
        res.verdicts_agree += bool(det["good"]) == bool(gt.get("good", not gt.get("faults")))
        if gt.get("hold_s") is not None:
            res.hold_errors.append(abs(float(det["hold_s"]) - float(gt["hold_s"])))
        for code in gt.get("faults", []):
            res.faults_expected += 1
            if code in det["faults"]:
                res.faults_caught += 1
            else:
                res.missed_faults.append(f"rep {gt.get('index', j + 1)}: {code}")
        res.false_cues += [f"rep {det['index']}: {c}" for c in det["faults"] if c not in gt.get("faults", [])]
    for i, det in enumerate(detected):
        if i not in matched_d:
            res.false_cues += [f"rep {det['index']} (unmatched): {c}" for c in det["faults"]]
    for j, gt in enumerate(truth):
        if j not in {jj for _, jj in pairs}:
            for code in gt.get("faults", []):
                res.faults_expected += 1
                res.missed_faults.append(f"rep {gt.get('index', j + 1)} (not detected): {code}")
    return res


def evaluate_directory(directory: str | Path, model: str = "full", progress: ProgressFn | None = None,
                       track_cache: str | Path | None = None, only: str | None = None) -> EvalResult:
    """Evaluate every labelled clip in ``directory`` (or those whose name contains ``only``)."""
    pairs = find_clips(directory)
    if not pairs:
        from .video import VideoError

        raise VideoError(f"{directory}: no labelled clips found (expected NAME.mp4 next to NAME.json)")
    results = []
    jobs = []
    for video, label_path in pairs:
        if only and only not in video.name:
            continue
        try:
            label = json.loads(label_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            label = {"_error": f"{label_path.name}: unreadable label ({e.__class__.__name__})"}
        if not isinstance(label, dict):
            label = {"_error": f"{label_path.name}: a label must be a JSON object"}
        if "_error" in label:
            results.append(ClipResult(clip=video.name, exercise="?", expected_reps=0, reps=0, expected_good=None,
                                      good_reps=0, error=label["_error"]))
            continue
        if label.get("exercise") is None:
            for ex in label.get("analyse_as", ["bridge"]):
                jobs.append((video, label, ex))
        else:
            jobs.append((video, label, None))
    if not jobs and not results:
        from .video import VideoError

        raise VideoError(f"{directory}: no labelled clip name contains '{only}'")
    with contextlib.ExitStack() as stack:
        if track_cache is None:  # a clip analysed as several exercises runs the model once
            track_cache = stack.enter_context(tempfile.TemporaryDirectory(prefix="formcheck-eval-"))
        for n, (video, label, ex) in enumerate(jobs, start=1):
            results.append(evaluate_clip(video, label, model=model, exercise=ex, track_cache=track_cache))
            if progress:
                progress(n, len(jobs))
    return EvalResult(results)


def format_eval(result: EvalResult) -> str:
    """A per-clip table and the aggregates."""
    rows = [f"{'clip':<40} {'exercise':<14} {'reps':>9} {'good':>9} {'hold err':>9} {'faults':>7}  notes"]
    for c in result.clips:
        hold = "-" if not c.hold_errors else f"{sum(c.hold_errors) / len(c.hold_errors):.2f}s"
        good = f"{c.good_reps}/{c.expected_good}" if c.expected_good is not None else f"{c.good_reps}/-"
        faults = f"{c.faults_caught}/{c.faults_expected}"
        notes = []
        if c.error:
            notes.append("ERROR " + c.error)
        elif not c.count_ok:
            notes.append("COUNT WRONG")
        if not c.warning_ok:
            notes.append(f"missing warning {c.expected_warning}")
        if c.missed_faults:
            notes.append("missed " + ", ".join(c.missed_faults))
        if c.false_cues:
            notes.append("extra " + ", ".join(c.false_cues))
        rows.append(f"{c.clip:<40} {c.exercise:<14} {c.reps:>4}/{c.expected_reps:<4} {good:>9} {hold:>9} {faults:>7}  {'; '.join(notes)}")
    a = result.aggregates()
    rows.append("")
    rows.append(f"clips with exact rep count: {a['exact_count']}/{a['clips']}   rep MAE: {a['rep_mae']}   "
                f"off-by-one accuracy: {a['off_by_one_accuracy']}")
    rows.append(f"good-rep accuracy: {a['good_rep_accuracy']}   mean hold error: {a['hold_mae_s']} s "
                f"(max {a['hold_max_error_s']} s)")
    rows.append(f"injected faults caught at their rep: {a['fault_recall']}   false cues per minute: {a['false_cues_per_min']}")
    rows.append("PASS: every clip's rep count is exact" if result.all_counts_exact else "FAIL: some clip's rep count is wrong")
    return "\n".join(rows)
