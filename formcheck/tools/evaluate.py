"""``formcheck eval``: score the checkers on labelled clips (video or landmark track + ground-truth JSON).

Each clip ``NAME.mp4`` (or .webm/.mov, or a ``NAME.fctrack`` landmark track, which re-runs the
checkers in a fraction of a second without the model) has a label file ``NAME.json``::

    {"clip": "NAME.mp4", "exercise": "bridge" | null, "expected": {"reps": 5, "good_reps": 4},
     "reps": [{"index": 1, "start_s": .., "top_s": .., "end_s": .., "hold_s": .., "side": "left",
               "good": true, "faults": ["hold_too_short"]}],
     "expected_warning": "no_exercise_posture"}      # optional; for clips of no exercise

A clip with ``"exercise": null`` is a negative: it is analysed as every exercise given in
``"analyse_as"`` (default: bridge) and must give 0 reps.

Labels may be partial (e.g. hand-counted real videos): a labelled rep without ``start_s``/``end_s``
cannot be matched (the count is still scored), ``hold_s_approx`` is not a hold to score against,
and a rep without ``good``/``faults`` has no verdict to compare.

Detected reps are matched to labelled reps by time overlap (greedy, largest overlap first).
Metrics:
- exact count: clips whose rep count equals the label; rep MAE = mean |detected - labelled|;
  off-by-one accuracy = share of clips with |difference| <= 1;
- good-rep accuracy = share of labelled reps (matched) whose good/faulty verdict agrees;
- hold error = mean |detected hold_s - labelled hold_s| over matched reps (seconds);
- fault recall = labelled faults found in the matched rep / labelled faults;
- false cues per minute = detected faults not in the matched rep's labels (or on unmatched reps),
  per minute of video; ``false_cues_per_min_clean`` counts only clips whose labelled reps are all
  good (clean clips, including negatives).

Metrics are given overall and per exercise (the label's exercise; negatives as ``negative``).
A baseline file (:func:`write_baseline`) keeps them per exercise for a folder, so a test can
fail when a change makes any of them worse (:func:`compare_to_baseline`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.core.fileio import TRACK_SUFFIX, VIDEO_SUFFIXES, one_line, require_regular_file
from formcheck.media.pipeline import (
    DEFAULT_MAX_FPS,
    ProgressFn,
    analyze,
    exercise_fast,
    exercise_max_fps,
    exercise_self_check,
)
from formcheck.tools.batch import run_tasks

if TYPE_CHECKING:
    from formcheck.media.pose import SelfCheck

log = logging.getLogger(__name__)

CLIP_SUFFIXES = VIDEO_SUFFIXES + (TRACK_SUFFIX,)

#: Metrics where a larger value is better; the others (errors, false cues) are better smaller.
HIGHER_IS_BETTER = ("exact_count_share", "off_by_one_accuracy", "good_rep_accuracy", "fault_recall")
LOWER_IS_BETTER = ("rep_mae", "hold_mae_s", "false_cues_per_min", "false_cues_per_min_clean")


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
    judged: int = 0  # matched reps whose label gives a verdict (good / faults)
    missed_faults: list[str] = field(default_factory=list)
    false_cues: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    warnings: list[str] = field(default_factory=list)
    expected_warning: str | None = None
    error: str | None = None
    group: str = ""  # the label's exercise, or "negative"
    clean: bool = False  # every labelled rep is good (or a negative)

    @property
    def count_ok(self) -> bool:
        return self.error is None and self.reps == self.expected_reps

    @property
    def warning_ok(self) -> bool:
        return self.expected_warning is None or self.expected_warning in self.warnings

    def to_dict(self) -> dict:
        return {
            "clip": self.clip,
            "exercise": self.exercise,
            "expected_reps": self.expected_reps,
            "reps": self.reps,
            "expected_good_reps": self.expected_good,
            "good_reps": self.good_reps,
            "count_ok": self.count_ok,
            "hold_mae_s": None if not self.hold_errors else round(sum(self.hold_errors) / len(self.hold_errors), 3),
            "faults_expected": self.faults_expected,
            "faults_caught": self.faults_caught,
            "missed_faults": self.missed_faults,
            "false_cues": self.false_cues,
            "warnings": self.warnings,
            "expected_warning": self.expected_warning,
            "warning_ok": self.warning_ok,
            "error": self.error,
            "group": self.group,
            "duration_s": round(self.duration_s, 3),
        }


@dataclass
class EvalResult:
    clips: list[ClipResult]

    @property
    def all_counts_exact(self) -> bool:
        return bool(self.clips) and all(c.count_ok and c.warning_ok for c in self.clips)

    def aggregates(self) -> dict:
        """The metrics over every clip (see the module docstring)."""
        return aggregate(self.clips)

    def by_exercise(self) -> dict[str, dict]:
        """The metrics per group (the label's exercise, or ``negative``), in a fixed order."""
        groups: dict[str, list[ClipResult]] = {}
        for c in self.clips:
            groups.setdefault(c.group or c.exercise, []).append(c)
        order = ("bridge", "bird_dog", "pelvic_tilt", "knee_to_chest", "negative")
        keys = [k for k in order if k in groups] + sorted(k for k in groups if k not in order)
        return {k: aggregate(groups[k]) for k in keys}

    def to_dict(self) -> dict:
        return {
            "aggregates": self.aggregates(),
            "by_exercise": self.by_exercise(),
            "clips": [c.to_dict() for c in self.clips],
            "all_counts_exact": self.all_counts_exact,
        }


def aggregate(clips: list[ClipResult]) -> dict:
    """Metrics over ``clips``: shares in 0..1, errors in reps and seconds, cues per minute."""
    n = len(clips) or 1
    ok = [c for c in clips if c.error is None]
    diffs = [abs(c.reps - c.expected_reps) for c in ok]
    holds = [e for c in ok for e in c.hold_errors]
    judged = sum(c.judged for c in ok)
    fexp = sum(c.faults_expected for c in ok)
    minutes = sum(c.duration_s for c in ok) / 60.0
    clean = [c for c in ok if c.clean]
    clean_minutes = sum(c.duration_s for c in clean) / 60.0
    return {
        "clips": len(clips),
        "exact_count": sum(c.count_ok for c in clips),
        "exact_count_share": round(sum(c.count_ok for c in clips) / n, 3),
        "rep_mae": round(sum(diffs) / len(diffs), 3) if diffs else None,
        "off_by_one_accuracy": round(sum(d <= 1 for d in diffs) / len(diffs), 3) if diffs else None,
        "good_rep_accuracy": round(sum(c.verdicts_agree for c in ok) / judged, 3) if judged else None,
        "hold_mae_s": round(sum(holds) / len(holds), 3) if holds else None,
        "hold_max_error_s": round(max(holds), 3) if holds else None,
        "faults_expected": fexp,
        "fault_recall": round(sum(c.faults_caught for c in ok) / fexp, 3) if fexp else None,
        "false_cues_per_min": round(sum(len(c.false_cues) for c in ok) / minutes, 3) if minutes > 0 else None,
        "false_cues_per_min_clean": (
            round(sum(len(c.false_cues) for c in clean) / clean_minutes, 3) if clean_minutes > 0 else None
        ),
        "warnings_ok": sum(c.warning_ok for c in clips),
    }


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _timed(g: dict) -> bool:
    return isinstance(g.get("start_s"), (int, float)) and isinstance(g.get("end_s"), (int, float))


def match_reps(detected: list[dict], labelled: list[dict]) -> list[tuple[int, int]]:
    """Pairs ``(i_detected, i_labelled)`` matched greedily by time overlap (seconds > 0).

    A labelled rep without ``start_s``/``end_s`` is never matched."""
    cand = sorted(
        (
            (_overlap(d["start_s"], d["end_s"], g["start_s"], g["end_s"]), i, j)
            for i, d in enumerate(detected)
            for j, g in enumerate(labelled)
            if _timed(g)
        ),
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


#: A label is a few kilobytes of JSON; anything larger than this is not one (and is not read whole).
MAX_LABEL_BYTES = 1_000_000


def read_label(path: Path) -> dict:
    """A label file's JSON: regular files only (a FIFO is never opened) and at most
    ``MAX_LABEL_BYTES``. Raises OSError (UnsafePathError) or ValueError with a one-line message."""
    require_regular_file(path, "label", max_bytes=MAX_LABEL_BYTES)
    return json.loads(path.read_text(encoding="utf-8"))


def find_clips(directory: str | Path) -> list[tuple[Path, Path]]:
    """``(clip, label)`` pairs in ``directory``: every ``*.json`` with a video or a ``.fctrack``
    landmark track of the same stem.  When both exist, the file the label's ``clip`` names
    wins, else the video."""
    d = Path(directory)
    out = []
    for label in sorted(d.glob("*.json")):
        named = None
        try:
            named = read_label(label).get("clip")
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            pass
        found = [label.with_suffix(suf) for suf in CLIP_SUFFIXES if label.with_suffix(suf).is_file()]
        if not found:
            continue
        pick = next((f for f in found if isinstance(named, str) and f.name == named), found[0])
        out.append((pick, label))
    return out


def cached_track(
    video: Path,
    cache_dir: str | Path,
    model: str = "full",
    segmentation: bool = False,
    max_fps: float | None = DEFAULT_MAX_FPS,
    fast: bool = False,
    self_check: SelfCheck | None = None,
) -> Path:
    """The landmark track of ``video`` in ``cache_dir`` (made with the pose model on first use).

    Tuning a checker then re-runs in seconds without the model. The cache is keyed by clip
    name, model, whether the person mask's outline is in it (``segmentation``, for exercises
    that need it), the analysed rate (``max_fps``, see :func:`formcheck.media.pipeline.analyze`),
    the fast path and what its self-check compares (``fast``, ``self_check``; default both sides)
    and the video's size and modification time.
    """
    from formcheck.media.pipeline import write_track

    path = track_cache_path(video, cache_dir, model, segmentation, max_fps, fast, self_check)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_track(
            video, path, model=model, segmentation=segmentation, max_fps=max_fps, fast=fast, self_check=self_check
        )
    return path


def track_cache_path(
    video: Path,
    cache_dir: str | Path,
    model: str = "full",
    segmentation: bool = False,
    max_fps: float | None = DEFAULT_MAX_FPS,
    fast: bool = False,
    self_check: SelfCheck | None = None,
) -> Path:
    """Where :func:`cached_track` keeps the track of ``video`` made with these settings."""
    from formcheck.media.pose import SelfCheck

    st = video.stat()
    seg = ".seg" if segmentation else ""
    # "d": strided tracks analyse every frame around a lost person or a jumping pose (older ones do not)
    rate = ".every" if analysed_stride(video, max_fps) == 1 else f".fps{max_fps:g}d"
    if fast:
        # 2: the fast path checks itself against the detector (older fast tracks differ); the side(s) it compares
        rate += ".fast2" + ("near" if self_check == SelfCheck.NEAR_SIDE else "")
    return Path(cache_dir) / f"{video.stem}.{Path(model).stem}{seg}{rate}.{st.st_size}.{int(st.st_mtime)}.fctrack"


def analysed_stride(video: Path, max_fps: float | None) -> int:
    """Every how many frames ``video`` is analysed at ``max_fps`` (1: every frame, the same track as
    without striding). Opens the video to read its frame rate."""
    if not max_fps:
        return 1
    from formcheck.media.video import open_video, stride_for

    with open_video(video) as reader:
        return stride_for(reader.info.fps, max_fps)


def evaluate_clip(
    video: Path,
    label: dict,
    model: str = "full",
    exercise: str | None = None,
    track_cache: str | Path | None = None,
    max_fps: float | None = DEFAULT_MAX_FPS,
    fast: bool = False,
) -> ClipResult:
    """Analyse one clip as ``exercise`` (default: the label's) and compare with its label.

    With ``track_cache`` the clip's landmarks are computed once and reused (see :func:`cached_track`).
    ``max_fps``: a video's analysed rate, as for :func:`formcheck.media.pipeline.analyze`.
    """
    ex = exercise or label.get("exercise") or "bridge"
    expected = label.get("expected", {})
    is_negative = label.get("exercise") is None or (exercise is not None and exercise != label.get("exercise"))
    exp_reps = 0 if is_negative else int(expected.get("reps", len(label.get("reps", []))))
    exp_good = None if is_negative else expected.get("good_reps")
    truth = [] if is_negative else label.get("reps", [])
    res = ClipResult(
        clip=video.name,
        exercise=ex,
        expected_reps=exp_reps,
        reps=0,
        expected_good=exp_good,
        good_reps=0,
        expected_warning=label.get("expected_warning") if label.get("exercise") is None else None,
        group="negative" if is_negative else ex,
        clean=all(g.get("good", not g.get("faults")) for g in truth),
    )
    try:
        if video.suffix == TRACK_SUFFIX:
            source = video
        elif track_cache:
            from formcheck.core.exercise import get_exercise

            spec = get_exercise(ex)
            source = cached_track(
                video,
                track_cache,
                model,
                segmentation=spec.needs_segmentation,
                max_fps=exercise_max_fps(spec, max_fps),
                fast=exercise_fast(spec, fast),  # never for the pelvic tilt, as analyze
                self_check=exercise_self_check(spec),  # what the exercise reads, as analyze
            )
        else:
            source = video
        report = analyze(source, ex, model=model, max_fps=max_fps, fast=fast).report
    except Exception as e:  # a clip that cannot be analysed is a failed clip, not a crashed eval
        res.error = str(e)
        return res
    d = report.to_dict()
    res.reps, res.good_reps, res.duration_s = d["reps"], d["good_reps"], report.duration_s
    res.warnings = [w["code"] for w in d["warnings"]]
    detected = d["rep_events"]
    pairs = match_reps(detected, truth)
    res.matched = len(pairs)
    matched_d = {i for i, _ in pairs}
    for i, j in pairs:
        det, gt = detected[i], truth[j]
        if "good" in gt or "faults" in gt:
            res.judged += 1
            res.verdicts_agree += bool(det["good"]) == bool(gt.get("good", not gt.get("faults")))
        if isinstance(gt.get("hold_s"), (int, float)):
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


def evaluate_directory(
    directory: str | Path,
    model: str = "full",
    progress: ProgressFn | None = None,
    track_cache: str | Path | None = None,
    only: str | None = None,
    jobs: int = 1,
    max_fps: float | None = DEFAULT_MAX_FPS,
    fast: bool = False,
) -> EvalResult:
    """Evaluate every labelled clip in ``directory`` (or those whose name contains ``only``).

    ``jobs`` > 1 runs the clips in that many worker processes (one clip, with every exercise its
    label asks for, per task); the results are the same and in the same order as with one.
    ``max_fps``: a video's analysed rate (see :func:`formcheck.media.pipeline.analyze`).
    """
    pairs = find_clips(directory)
    if not pairs:
        from formcheck.media.video import VideoError

        raise VideoError(f"{directory}: no labelled clips found (expected NAME.mp4 next to NAME.json)")
    results = []
    analyses: list[tuple[Path, dict, str | None]] = []
    for video, label_path in pairs:
        if only and only not in video.name:
            continue
        try:
            label = read_label(label_path)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            label = {"_error": f"{label_path.name}: unreadable label ({e.__class__.__name__}: {one_line(str(e))})"}
        if not isinstance(label, dict):
            label = {"_error": f"{label_path.name}: a label must be a JSON object"}
        if "_error" in label:
            results.append(
                ClipResult(
                    clip=video.name,
                    exercise="?",
                    expected_reps=0,
                    reps=0,
                    expected_good=None,
                    good_reps=0,
                    error=label["_error"],
                )
            )
            continue
        if label.get("exercise") is None:
            for ex in label.get("analyse_as", ["bridge"]):
                analyses.append((video, label, ex))
        else:
            analyses.append((video, label, None))
    if not analyses and not results:
        from formcheck.media.video import VideoError

        raise VideoError(f"{directory}: no labelled clip name contains '{only}'")
    with contextlib.ExitStack() as stack:
        if track_cache is None:  # a clip analysed as several exercises runs the model once
            track_cache = stack.enter_context(tempfile.TemporaryDirectory(prefix="formcheck-eval-"))
        groups: dict[Path, list[int]] = {}  # one task per clip: its analyses share the clip's track
        for i, (video, _, _) in enumerate(analyses):
            groups.setdefault(video, []).append(i)
        tasks = [([analyses[i] for i in idx], model, str(track_cache), max_fps, fast) for idx in groups.values()]
        done: dict[int, ClipResult] = {}
        for idx, clip_results in zip(groups.values(), run_tasks(_evaluate_group, tasks, jobs)):
            for i, r in zip(idx, clip_results):
                done[i] = r
                if progress:
                    progress(len(done), len(analyses))
        results += [done[i] for i in sorted(done)]
    return EvalResult(results)


def _evaluate_group(
    items: list[tuple[Path, dict, str | None]], model: str, track_cache: str, max_fps: float | None, fast: bool = False
) -> list[ClipResult]:
    """One clip's analyses (a worker task)."""
    return [
        evaluate_clip(video, label, model=model, exercise=ex, track_cache=track_cache, max_fps=max_fps, fast=fast)
        for video, label, ex in items
    ]


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
        rows.append(
            f"{c.clip:<40} {c.exercise:<14} {c.reps:>4}/{c.expected_reps:<4} {good:>9} {hold:>9} {faults:>7}  {'; '.join(notes)}"
        )
    rows.append("")
    rows.append(format_by_exercise(result))
    a = result.aggregates()
    rows.append("")
    rows.append("overall:")
    rows.append(
        f"clips with exact rep count: {a['exact_count']}/{a['clips']}   rep MAE: {a['rep_mae']}   "
        f"off-by-one accuracy: {a['off_by_one_accuracy']}"
    )
    rows.append(
        f"good-rep accuracy: {a['good_rep_accuracy']}   mean hold error: {a['hold_mae_s']} s "
        f"(max {a['hold_max_error_s']} s)"
    )
    rows.append(
        f"injected faults caught at their rep: {a['fault_recall']}   false cues per minute: {a['false_cues_per_min']} "
        f"(on clean clips: {a['false_cues_per_min_clean']})"
    )
    rows.append(
        "PASS: every clip's rep count is exact" if result.all_counts_exact else "FAIL: some clip's rep count is wrong"
    )
    return "\n".join(rows)


def _fmt(v, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v * 100:.0f}%" if pct else f"{v:g}"


def format_by_exercise(result: EvalResult) -> str:
    """One row of metrics per exercise (and ``negative``) plus ``overall``."""
    head = (
        f"{'exercise':<14} {'clips':>5} {'exact':>6} {'MAE':>6} {'off-1':>6} {'good-rep':>8} "
        f"{'hold err':>8} {'faults':>9} {'cues/min':>8} {'clean':>6}"
    )
    rows = [head]
    groups = dict(result.by_exercise())
    groups["overall"] = result.aggregates()
    for name, a in groups.items():
        faults = "-" if not a["faults_expected"] else f"{_fmt(a['fault_recall'], True)} of {a['faults_expected']}"
        hold = "-" if a["hold_mae_s"] is None else f"{a['hold_mae_s']:.2f}s"
        rows.append(
            f"{name:<14} {a['clips']:>5} {_fmt(a['exact_count_share'], True):>6} {_fmt(a['rep_mae']):>6} "
            f"{_fmt(a['off_by_one_accuracy'], True):>6} {_fmt(a['good_rep_accuracy'], True):>8} {hold:>8} "
            f"{faults:>9} {_fmt(a['false_cues_per_min']):>8} {_fmt(a['false_cues_per_min_clean']):>6}"
        )
    rows.append(
        "(exact: clips with the exact rep count; off-1: within one rep; good-rep: matched reps with the right "
        "good/faulty verdict; faults: injected faults caught at their rep; cues/min: false cues per minute, "
        "all clips and clean clips)"
    )
    return "\n".join(rows)


# ---------------------------------------------------------------- baseline (accuracy with a memory)
def baseline_metrics(result: EvalResult) -> dict[str, dict]:
    """The baseline-tracked metrics (:data:`HIGHER_IS_BETTER`, :data:`LOWER_IS_BETTER`) per
    exercise and ``overall``."""
    keys = ("clips",) + HIGHER_IS_BETTER + LOWER_IS_BETTER
    groups = dict(result.by_exercise())
    groups["overall"] = result.aggregates()
    return {g: {k: a.get(k) for k in keys} for g, a in groups.items()}


def write_baseline(result: EvalResult, path: str | Path, key: str) -> dict:
    """Store ``result``'s metrics under ``key`` (e.g. the folder name ``dev``) in the JSON file
    ``path``, keeping the other keys.  Returns the whole baseline."""
    path = Path(path)
    data = {}
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
    data[key] = baseline_metrics(result)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return data


def compare_to_baseline(
    current: dict[str, dict], baseline: dict[str, dict], tolerance: dict[str, float] | None = None
) -> list[str]:
    """Every metric of ``current`` worse than ``baseline`` by more than its tolerance
    (default :data:`BASELINE_TOLERANCE`), as readable lines; empty when nothing got worse.  A
    metric that had a value and now has none counts as worse."""
    tol = dict(BASELINE_TOLERANCE, **(tolerance or {}))
    worse = []
    for group, base in baseline.items():
        cur = current.get(group)
        if cur is None:
            worse.append(f"{group}: missing (baseline has {base.get('clips')} clips)")
            continue
        for k in HIGHER_IS_BETTER + LOWER_IS_BETTER:
            b, c = base.get(k), cur.get(k)
            if b is None:
                continue
            if c is None:
                worse.append(f"{group} {k}: {b} -> none")
            elif (k in HIGHER_IS_BETTER and c < b - tol[k]) or (k in LOWER_IS_BETTER and c > b + tol[k]):
                worse.append(f"{group} {k}: {b} -> {c} (tolerance {tol[k]})")
    return worse


#: How much worse than the baseline a metric may get before the corpus test fails: about one
#: clip or rep in ~30 for the shares, a tenth of a rep / second for the errors.
BASELINE_TOLERANCE = {
    "exact_count_share": 0.02,
    "off_by_one_accuracy": 0.02,
    "good_rep_accuracy": 0.02,
    "fault_recall": 0.02,
    "rep_mae": 0.05,
    "hold_mae_s": 0.05,
    "false_cues_per_min": 0.1,
    "false_cues_per_min_clean": 0.1,
}
