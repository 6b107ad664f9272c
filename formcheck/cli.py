"""The ``formcheck`` command line. Errors are one line on stderr with exit code 2; never a traceback
(``--debug`` shows one for bug reports)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from . import __version__

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class ProgressBar:
    """A one-line progress bar on stderr, shown only when stderr is a terminal (or forced)."""

    def __init__(self, label: str, enabled: bool | None = None, stream=None, unit: str = "frames"):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self.unit = unit
        self._last = 0.0
        self._start = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done != total:
            return
        self._last = now
        rate = done / max(now - self._start, 1e-6)
        if total > 0:
            frac = min(1.0, done / total)
            bar = "#" * int(frac * 30)
            self.stream.write(f"\r{self.label} [{bar:<30}] {frac * 100:5.1f}%  {done}/{total} {self.unit}  {rate:5.1f}/s")
        else:
            self.stream.write(f"\r{self.label} {done} {self.unit}  {rate:5.1f}/s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _user_errors() -> tuple[type[BaseException], ...]:
    from .exercise import ExerciseError
    from .pipeline import AnalysisError
    from .pose import ModelError
    from .tracks import TrackError
    from .video import VideoError

    return (VideoError, ModelError, TrackError, AnalysisError, ExerciseError)


# ---------------------------------------------------------------------------- commands
def cmd_exercises(args: argparse.Namespace) -> int:
    from .exercise import all_exercises

    specs = all_exercises()
    if args.json:
        print(json.dumps([{"id": s.id, "name": s.name, "summary": s.summary, "posture": s.posture, "kind": s.kind,
                           "dosage": s.dosage.text, "faults": sorted(s.faults)} for s in specs.values()], indent=2))
        return EXIT_OK
    width = max(len(i) for i in specs)
    for s in specs.values():
        print(f"{s.id:<{width}}  {s.name}: {s.summary}")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from .exercise import get_exercise
    from .pipeline import analyze, check_output_path

    spec = get_exercise(args.exercise)  # unknown exercise: fail before decoding anything
    if args.csv:
        check_output_path(args.csv)  # a bad output path: fail before the work, not after
    bar = ProgressBar(f"analysing {Path(args.source).name}", enabled=args.progress)
    try:
        result = analyze(args.source, spec, model=args.model, annotate=args.annotate, progress=bar)
    finally:
        bar.close()
    report = result.report
    if args.csv:
        Path(args.csv).write_text(report.to_csv(), encoding="utf-8")
    if args.json:
        print(report.to_json(include_trace=args.trace))
    else:
        print(report.summary())
        if args.annotate:
            print(f"annotated video: {args.annotate}")
    return EXIT_OK


def cmd_track(args: argparse.Namespace) -> int:
    from .pipeline import write_track

    bar = ProgressBar(f"tracking {Path(args.video).name}", enabled=args.progress)
    try:
        track = write_track(args.video, args.output, model=args.model, progress=bar, segmentation=args.segmentation)
    finally:
        bar.close()
    seen = sum(f is not None for _, f in track.frames)
    print(f"{args.output}: {len(track.frames)} frames, person found in {seen}")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import format_bench, run_bench
    from .session import Session

    current = {"session": Session(args.exercise)}

    def process(frame):
        s = current["session"]
        t = frame.t_s if frame is not None else (s.last_t or 0.0) + 1e-3
        if s.last_t is not None and t <= s.last_t:  # the bench starts another pass over the clip
            s = current["session"] = Session(s.spec)
        s.update(t, frame)
        return s.status

    show = sys.stderr.isatty() if args.progress is None else args.progress

    def progress(line: str) -> None:
        if show:
            print(line, file=sys.stderr)

    checker = current["session"].checker
    result = run_bench(args.video, model=args.model, max_frames=args.frames, progress=progress, process_hook=process,
                       key_joints=checker.key_landmarks(), segmentation=checker.spec.needs_segmentation)
    print(format_bench(result))
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate_directory, format_eval

    bar = ProgressBar("evaluating", enabled=args.progress, unit="clips")
    try:
        result = evaluate_directory(args.directory, model=args.model, progress=bar, track_cache=args.track_cache,
                                    only=args.only)
    finally:
        bar.close()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(format_eval(result))
    return EXIT_OK if result.all_counts_exact else EXIT_FAIL


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def cmd_live(args: argparse.Namespace) -> int:
    if not _has_display():
        print("formcheck: error: no display found: 'formcheck live' opens a window. "
              "On a machine without a screen use the web app instead: formcheck app", file=sys.stderr)
        return EXIT_USAGE
    from .live import run_live

    return run_live(args.exercise, camera=args.camera, model=args.model)


def cmd_app(args: argparse.Namespace) -> int:
    import subprocess

    app = Path(__file__).resolve().parent.parent / "app.py"
    if not app.is_file():
        print(f"formcheck: error: {app} not found: run this from a source checkout of formcheck", file=sys.stderr)
        return EXIT_USAGE
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", args.address,
           "--server.port", str(args.port), "--browser.gatherUsageStats", "false", "--server.headless", "true"]
    print(f"formcheck app: open http://{args.address}:{args.port} in your browser (Ctrl+C to stop)")
    return subprocess.call(cmd)


# ---------------------------------------------------------------------------- parser
def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="formcheck",
        description="Coaches the form of four lower-back-pain exercises (bridge, bird-dog, pelvic tilt, "
                    "knee-to-chest) from a video or webcam. Runs offline on the CPU. Not a diagnosis.",
    )
    p.add_argument("--version", action="version", version=f"formcheck {__version__}")
    p.add_argument("--debug", action="store_true", help="verbose logging and full tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def model_arg(sp):
        sp.add_argument("--model", default="full", help="pose model: lite, full (default) or the path of a .task file")

    def progress_arg(sp):
        sp.add_argument("--progress", dest="progress", action="store_true", default=None,
                        help="always show the progress bar on stderr (default: only on a terminal)")
        sp.add_argument("--no-progress", dest="progress", action="store_false", help="never show the progress bar")

    sp = sub.add_parser("analyze", help="analyse a video (or a saved landmark track) of one exercise",
                        description="Analyse a video file or a .fctrack landmark track and report reps, holds and form faults.")
    sp.add_argument("source", help="video file (mp4, webm, mov, ...) or .fctrack track from 'formcheck track'")
    sp.add_argument("-e", "--exercise", required=True, help="bridge, bird_dog, pelvic_tilt or knee_to_chest (see 'formcheck exercises')")
    model_arg(sp)
    sp.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    sp.add_argument("--trace", action="store_true", help="with --json: include the key angle over time")
    sp.add_argument("--annotate", metavar="OUT", help="write an annotated video (.mp4 H.264 or .webm) with skeleton, angle, counter and cues")
    sp.add_argument("--csv", metavar="OUT", help="also write one CSV row per rep")
    progress_arg(sp)
    sp.set_defaults(func=cmd_analyze)

    sp = sub.add_parser("track", help="save the per-frame landmarks of a video to a track file",
                        description="Run pose estimation once and save the landmarks, so checkers can be re-run without the model.")
    sp.add_argument("video")
    sp.add_argument("-o", "--output", required=True, help="output track file (gzip JSON lines; .fctrack by convention)")
    sp.add_argument("--segmentation", action="store_true",
                    help="also run the person mask and keep the torso outline measured on it (needed by the pelvic tilt)")
    model_arg(sp)
    progress_arg(sp)
    sp.set_defaults(func=cmd_track)

    sp = sub.add_parser("live", help="coach from a webcam in a desktop window")
    sp.add_argument("-e", "--exercise", required=True)
    sp.add_argument("--camera", type=int, default=0, help="camera index (default 0)")
    model_arg(sp)
    sp.set_defaults(func=cmd_live)

    sp = sub.add_parser("exercises", help="list the exercises")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_exercises)

    sp = sub.add_parser("bench", help="measure speed per stage and the pipeline/MediaPipe throughput ratio")
    sp.add_argument("video")
    sp.add_argument("-e", "--exercise", default="bridge", help="checker used in the pipeline (default bridge)")
    sp.add_argument("--frames", type=_positive_int, default=300,
                    help="use at most this many frames (default 300: the clip is held in memory)")
    model_arg(sp)
    progress_arg(sp)
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("eval", help="run the checkers on labelled sample clips and score them",
                        description="Run every labelled clip (video + ground-truth .json) of a folder through the real pipeline "
                                    "and print accuracy. Exit code 1 when any clip's rep count is wrong.")
    sp.add_argument("directory", nargs="?", default="sample_videos")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--track-cache", metavar="DIR", help="keep each clip's landmarks here and reuse them next time "
                    "(re-runs the checkers in seconds, without the model)")
    sp.add_argument("--only", metavar="TEXT", help="only clips whose file name contains TEXT")
    model_arg(sp)
    progress_arg(sp)
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("app", help="start the Streamlit app on this machine")
    sp.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    sp.add_argument("--port", type=int, default=8501)
    sp.set_defaults(func=cmd_app)

    try:
        from .synth.cli import add_parser as add_synth
    except ImportError:  # the generator is optional
        add_synth = None
    if add_synth is not None:
        add_synth(sub)
    return p


def quiet_native_logs() -> None:
    """Send the C++ log lines of MediaPipe/LiteRT (written straight to file descriptor 2) to
    /dev/null while Python's own ``sys.stderr`` keeps writing to the real stderr."""
    try:
        sys.stderr.flush()
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(real, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="replace")
    except (OSError, ValueError, AttributeError):  # no real fd (e.g. under a test runner capture)
        pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.debug and sys.stderr is sys.__stderr__ and os.environ.get("FORMCHECK_NATIVE_LOGS") != "1":
        quiet_native_logs()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("formcheck: interrupted", file=sys.stderr)
        return 130
    except _user_errors() as e:
        if args.debug:
            raise
        print(f"formcheck: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # a bug: still no traceback for users
        if args.debug:
            raise
        print(f"formcheck: internal error: {e.__class__.__name__}: {e} (run with --debug for details)", file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
