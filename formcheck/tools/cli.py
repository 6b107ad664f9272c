"""The ``formcheck`` command line. Errors are one line on stderr with exit code 2; never a traceback
(``--debug`` shows one for bug reports). With ``--json`` a failure also prints one JSON object
``{"error": {"code": ..., "message": ...}}`` on stdout, with the same exit code. An internal
error's traceback goes to the log file (see :func:`log_file`), never to the terminal.

Conventions: ``-q/--quiet`` (errors only, no progress bar), ``-v/--verbose`` (more log lines;
``-vv`` debug), before or after the command; a closed pipe (``| head``) ends quietly with exit
code 0; ``--csv -`` writes the CSV to stdout; a missing optional extra names the ``pip install``
that adds it; two OpenCV packages fighting over ``cv2`` are named with the fix before any work."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from formcheck import __version__
from formcheck import environment as env
from formcheck.core.fileio import one_line

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
            self.stream.write(
                f"\r{self.label} [{bar:<30}] {frac * 100:5.1f}%  {done}/{total} {self.unit}  {rate:5.1f}/s"
            )
        else:
            self.stream.write(f"\r{self.label} {done} {self.unit}  {rate:5.1f}/s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _user_errors() -> dict[type[BaseException], str]:
    """User-facing errors (exit code 2) and their stable ``--json`` error codes."""
    from formcheck.core.exercise import ExerciseError
    from formcheck.media.pipeline import AnalysisError
    from formcheck.media.pose import ModelError
    from formcheck.media.tracks import TrackError
    from formcheck.media.video import VideoError

    return {
        VideoError: "bad_video",
        TrackError: "bad_track",
        ModelError: "bad_model",
        AnalysisError: "cannot_analyse",
        ExerciseError: "bad_exercise",
        env.MissingExtraError: "missing_extra",
        _OpenCVConflict: "opencv_conflict",
    }


class _OpenCVConflict(RuntimeError):
    """Two OpenCV distributions overwrite each other's cv2 (see :func:`formcheck.environment.opencv_conflict`)."""


def _missing_extra(e: ModuleNotFoundError, command: str) -> env.MissingExtraError | None:
    """A module of an optional extra that failed to import, as the error that names the extra."""
    extra = env.extra_for_module(e.name)
    return env.MissingExtraError(extra, f"'formcheck {command}'", [e.name or "?"]) if extra else None


def _check_paths(outputs: list[str | None], inputs: list[str | None]) -> None:
    """Before any work: no output may be an input (same file, hard link, symlink) or another output."""
    from formcheck.core.fileio import UnsafePathError, refuse_overwrite
    from formcheck.media.pipeline import AnalysisError

    try:
        refuse_overwrite(outputs, inputs)
    except UnsafePathError as e:
        raise AnalysisError(str(e)) from None


def _model_input(model: str) -> str | None:
    """The model file given with ``--model PATH`` (an input too), or None for lite/full. A
    FIFO, device or socket is refused here, before anything opens it."""
    if model in ("lite", "full"):
        return None
    from formcheck.core.fileio import UnsafePathError, require_regular_file
    from formcheck.media.pipeline import AnalysisError

    if os.path.lexists(model):
        try:
            require_regular_file(model, "model")
        except (FileNotFoundError, UnsafePathError) as e:
            raise AnalysisError(str(e)) from None
    return model


# ---------------------------------------------------------------------------- commands
def cmd_exercises(args: argparse.Namespace) -> int:
    from formcheck.core.exercise import all_exercises

    specs = all_exercises()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": s.id,
                        "name": s.name,
                        "summary": s.summary,
                        "posture": s.posture,
                        "kind": s.kind,
                        "dosage": s.dosage.text,
                        "faults": sorted(s.faults),
                    }
                    for s in specs.values()
                ],
                indent=2,
            )
        )
        return EXIT_OK
    width = max(len(i) for i in specs)
    for s in specs.values():
        print(f"{s.id:<{width}}  {s.name}: {s.summary}")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from formcheck.core.exercise import get_exercise
    from formcheck.core.fileio import atomic_output
    from formcheck.media.pipeline import AnalysisError, analyze, check_output_path

    spec = get_exercise(args.exercise)  # unknown exercise: fail before decoding anything
    if len(args.source) > 1:
        return _analyze_many(args, spec)
    args.source = args.source[0]
    csv_stdout = args.csv == "-"
    if csv_stdout and args.json:
        raise AnalysisError("--csv - and --json both write to stdout: give --csv a file name, or leave out --json")
    csv_file = None if csv_stdout else args.csv
    _check_paths([args.annotate, csv_file], [args.source, _model_input(args.model)])
    if csv_file:
        check_output_path(csv_file)  # a bad output path: fail before the work, not after
    bar = ProgressBar(f"analysing {one_line(Path(args.source).name)}", enabled=args.progress)
    try:
        result = analyze(
            args.source,
            spec,
            model=args.model,
            annotate=args.annotate,
            progress=bar,
            kind=args.input,
            max_fps=args.max_fps,
            fast=args.fast,
            jobs=args.jobs,
        )
    finally:
        bar.close()
    report = result.report
    if csv_file:
        with atomic_output(csv_file) as tmp:
            tmp.write_text(report.to_csv(), encoding="utf-8")
    if csv_stdout:  # the CSV is the output; the summary would only get in its way
        sys.stdout.write(report.to_csv())
    elif args.json:
        print(report.to_json(include_trace=args.trace))
    else:
        print(report.summary())
        if args.annotate:
            print(f"annotated video: {args.annotate}")
    return EXIT_OK


def _analyze_many(args: argparse.Namespace, spec) -> int:
    """``formcheck analyze A B C``: each file analysed (``--jobs`` at a time), reported in the order
    given. A file that cannot be analysed gets its one-line error (and, with ``--json``, an entry
    ``{"source": ..., "error": {"code", "message"}}``); the others are still reported; exit code 2
    if any failed."""
    from formcheck.media.pipeline import AnalysisError
    from formcheck.tools.batch import analyze_files

    if args.annotate or args.csv:
        raise AnalysisError("--annotate and --csv take one input file; analyse the files one at a time to write them")
    _check_paths([], [*args.source, _model_input(args.model)])
    bar = ProgressBar("analysing", enabled=args.progress, unit="files")
    try:
        results = analyze_files(
            args.source,
            spec.id,
            model=args.model,
            max_fps=args.max_fps,
            kind=args.input,
            jobs=args.jobs,
            progress=bar,
            fast=args.fast,
        )
    finally:
        bar.close()
    failed = [r for r in results if r.report is None]
    for r in failed:
        print(f"formcheck: error: {one_line(r.error or '')}", file=sys.stderr)
    if args.json:
        items = [
            r.report.to_dict(include_trace=args.trace)
            if r.report is not None
            else {"source": r.source, "error": {"code": r.error_code, "message": one_line(r.error or "")}}
            for r in results
        ]
        print(json.dumps({"reports": items}, indent=1))
    else:
        for r in results:
            print(f"== {one_line(r.source)}")
            print(r.report.summary() if r.report is not None else f"error: {one_line(r.error or '')}")
    return EXIT_USAGE if failed else EXIT_OK


def cmd_track(args: argparse.Namespace) -> int:
    from formcheck.media.pipeline import write_track

    _check_paths([args.output], [args.video, _model_input(args.model)])
    bar = ProgressBar(f"tracking {one_line(Path(args.video).name)}", enabled=args.progress)
    try:
        track = write_track(
            args.video,
            args.output,
            model=args.model,
            progress=bar,
            segmentation=args.segmentation,
            max_fps=args.max_fps,
            fast=args.fast,
        )
    finally:
        bar.close()
    seen = sum(f is not None for _, f in track.frames)
    print(f"{one_line(args.output)}: {len(track.frames)} frames, person found in {seen}")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from formcheck.core.session import Session
    from formcheck.media.pipeline import exercise_fast, exercise_max_fps, exercise_self_check
    from formcheck.tools.bench import format_bench, run_bench

    _model_input(args.model)  # a FIFO model never hangs the bench
    show = sys.stderr.isatty() if args.progress is None else args.progress
    if args.live:
        from formcheck.tools.live_bench import format_live_bench, run_live_bench

        live = run_live_bench(
            args.video,
            exercise=args.exercise,
            model=args.model,
            seconds=args.seconds,
            progress=(lambda line: print(line, file=sys.stderr)) if show else None,
        )
        print(format_live_bench(live))
        return EXIT_OK
    current = {"session": Session(args.exercise)}

    def process(frame):
        s = current["session"]
        t = frame.t_s if frame is not None else (s.last_t or 0.0) + 1e-3
        if s.last_t is not None and t <= s.last_t:  # the bench starts another pass over the clip
            s = current["session"] = Session(s.spec)
        s.update(t, frame)
        return s.status

    def progress(line: str) -> None:
        if show:
            print(line, file=sys.stderr)

    checker = current["session"].checker
    result = run_bench(
        args.video,
        model=args.model,
        max_frames=args.frames,
        progress=progress,
        process_hook=process,
        key_joints=checker.key_landmarks(),
        segmentation=checker.spec.needs_segmentation,
        max_fps=exercise_max_fps(checker.spec, args.max_fps or None),
        fast=exercise_fast(checker.spec, args.fast),
        self_check=exercise_self_check(checker.spec),
        jobs=args.jobs,
    )
    print(format_bench(result))
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from formcheck.tools.evaluate import evaluate_directory, format_eval

    if args.directory is None:  # the labelled clips shipped in the package
        args.directory = str(env.packaged_samples_dir())
    bar = ProgressBar("evaluating", enabled=args.progress, unit="clips")
    try:
        result = evaluate_directory(
            args.directory,
            model=args.model,
            progress=bar,
            track_cache=args.track_cache,
            only=args.only,
            jobs=args.jobs,
            max_fps=args.max_fps,
            fast=args.fast,
        )
    finally:
        bar.close()
    if args.write_baseline:  # metrics per exercise under the folder's name, e.g. "heldout"
        from formcheck.tools.evaluate import write_baseline

        write_baseline(result, args.write_baseline, Path(args.directory).resolve().name)
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
        print(
            "formcheck: error: no display found: 'formcheck live' opens a window. "
            "On a machine without a screen use the web app instead: formcheck app",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from formcheck.tools.live_window import run_live

    return run_live(args.exercise, camera=args.camera, model=args.model)


#: MediaPipe/LiteRT/TFLite native log lines at INFO or WARNING level: progress chatter, not
#: errors. Their ERROR/FATAL lines, and everything else (Streamlit, Python logging,
#: tracebacks), are kept.
_NATIVE_NOISE = re.compile(
    r"^(?:(?:INFO|WARNING|VERBOSE\d*): (?:\[[\w.]+:\d+\]|Created TensorFlow Lite|Logging before InitGoogle)"
    r"|[IW]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] )"
)


def is_native_noise(line: str) -> bool:
    """True for one of MediaPipe's native INFO/WARNING log lines (safe to drop)."""
    return bool(_NATIVE_NOISE.match(line))


def _forward_filtered(src, dst) -> None:
    """Copy lines from the binary stream ``src`` to ``dst`` (binary), dropping native noise."""
    for raw in iter(src.readline, b""):
        if not is_native_noise(raw.decode("utf-8", "replace")):
            try:
                dst.write(raw)
                dst.flush()
            except (OSError, ValueError):  # our own stderr is gone: keep draining the child
                pass


def run_filtered(cmd: list[str], env: dict[str, str] | None = None) -> int:
    """Run ``cmd`` with its stdout as ours and its stderr forwarded to ours minus MediaPipe's
    native INFO/WARNING lines; returns its exit code. Ctrl+C (or SIGINT/SIGTERM sent to us
    alone) is passed on to the child and we wait for it to finish; a second Ctrl+C kills it."""
    import signal

    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, env=env)
    old_term = None
    if threading.current_thread() is threading.main_thread():
        old_term = signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    out = getattr(sys.stderr, "buffer", None)
    if out is None:  # pragma: no cover - a text-only stderr (a test runner)

        class _Text:
            def write(self, b: bytes) -> None:
                sys.stderr.write(b.decode("utf-8", "replace"))

            def flush(self) -> None:
                sys.stderr.flush()

        out = _Text()
    pump = threading.Thread(target=_forward_filtered, args=(proc.stderr, out), name="formcheck-stderr", daemon=True)
    pump.start()
    interrupted = False
    try:
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:
                if interrupted:
                    proc.kill()
                elif proc.poll() is None:
                    proc.send_signal(signal.SIGINT)  # a terminal's Ctrl+C reached it already; a kill -INT did not
                interrupted = True
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    pump.join(timeout=5)
    return code


def _quiet_env() -> dict[str, str]:
    """Environment for a child process with native log levels turned down where a library reads them."""
    env = dict(os.environ)
    env.setdefault("GLOG_minloglevel", "2")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def app_command(address: str = "127.0.0.1", port: int = 8501) -> list[str]:
    """The ``streamlit run`` command line of ``formcheck app``: the app script shipped in the
    package and every server setting on the command line (:data:`formcheck.app.SERVER_SETTINGS`),
    so no ``.streamlit/config.toml`` in the current folder is needed and none can open the app
    to the network or turn usage statistics on."""
    from formcheck.app import SERVER_SETTINGS

    script = Path(__file__).resolve().parent.parent / "app" / "run.py"  # shipped in the package
    settings = dict(SERVER_SETTINGS, **{"server.address": address, "server.port": str(port)})
    if address in ("0.0.0.0", "::", ""):  # serving on purpose: the browser keeps the address it used
        settings.pop("browser.serverAddress")
    else:
        settings["browser.serverAddress"] = address
    cmd = [sys.executable, "-m", "streamlit", "run", str(script)]
    for key, value in settings.items():
        cmd += [f"--{key}", value]
    return cmd


def cmd_app(args: argparse.Namespace) -> int:
    env.require_extra("app", "'formcheck app'")
    cmd = app_command(args.address, args.port)
    if not args.quiet:
        print(f"formcheck app: open http://{args.address}:{args.port} in your browser (Ctrl+C to stop)", flush=True)
    # Streamlit's and the app's own log output (errors and tracebacks included) reach this
    # terminal; only MediaPipe's native INFO/WARNING chatter is filtered out.
    if os.environ.get("FORMCHECK_NATIVE_LOGS") == "1":
        return subprocess.call(cmd)
    return run_filtered(cmd, env=_quiet_env())


# ---------------------------------------------------------------------------- parser
def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _non_negative_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not (x >= 0 and x < float("inf")):
        raise argparse.ArgumentTypeError("must be a number of at least 0")
    return x


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="formcheck",
        description="Coaches the form of four lower-back-pain exercises (bridge, bird-dog, pelvic tilt, "
        "knee-to-chest) from a video or webcam. Runs offline on the CPU. Not a diagnosis.",
    )
    p.add_argument("--version", action="version", version=f"formcheck {__version__}")
    p.add_argument("--debug", action="store_true", help="verbose logging and full tracebacks")
    _verbosity_args(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def model_arg(sp):
        sp.add_argument("--model", default="full", help="pose model: lite, full (default) or the path of a .task file")

    def max_fps_arg(sp):
        sp.add_argument(
            "--max-fps",
            type=_non_negative_float,
            default=15.0,
            metavar="N",
            help="analyse a video at about N frames per second (default 15): every k-th frame, the largest k "
            "that keeps at least N (30 fps: every second frame; 60: every fourth; 25: every frame); 0 = every frame. "
            "Counts, holds and faults are the same; the pelvic tilt is always analysed at every frame",
        )
        sp.add_argument(
            "--fast",
            action="store_true",
            help="one-person pose tracking, checked against a fresh detection of everyone once a second "
            "(less model time per frame; experimental: of 33 labelled analyses 30 gave the same counts, good "
            "reps and faults, a real oblique knee hug lost its rep, a real bird-dog gained a fault and a sample "
            "bridge's hold fell under its limit; the pelvic tilt never uses it; see the README's Speed section)",
        )

    def jobs_arg(sp, one_file: bool = False, help: str | None = None):
        """``--jobs N``: files at a time in worker processes (with ``one_file``, also one video split), or
        ``help`` for a command whose N means something else."""
        split = (
            "; one video longer than about 25 s is split into N overlapping parts whose pose estimation runs "
            "at once (the checkers run once over the whole clip, and every seam is checked to give exactly the "
            "one-process poses, else that part is estimated in one process: the report is always the "
            "one-process report; not with --annotate or --fast)"
            if one_file
            else ""
        )
        sp.add_argument(
            "--jobs",
            "-j",
            type=_positive_int,
            default=1,
            metavar="N",
            help=help
            or f"analyse N files at a time in worker processes{split}. Default 1, also on a machine with "
            "more cores: each process loads its own model (about 300 MB more memory each) and takes a core "
            "that other work on a shared machine may need, where a second process can be slower than one; "
            "2 uses both cores of a 2-core machine",
        )

    def progress_arg(sp):
        sp.add_argument(
            "--progress",
            dest="progress",
            action="store_true",
            default=None,
            help="always show the progress bar on stderr (default: only on a terminal)",
        )
        sp.add_argument("--no-progress", dest="progress", action="store_false", help="never show the progress bar")

    sp = sub.add_parser(
        "analyze",
        help="analyse a video (or a saved landmark track) of one exercise",
        description="Analyse a video file or a .fctrack landmark track and report reps, holds and form faults.",
    )
    sp.add_argument(
        "source",
        nargs="+",
        help="video file (mp4, webm, mov, ...) or .fctrack track from 'formcheck track'; "
        'several files are reported one after another (with --json: one object {"reports": [...]})',
    )
    sp.add_argument(
        "-e",
        "--exercise",
        required=True,
        help="bridge, bird_dog, pelvic_tilt or knee_to_chest (see 'formcheck exercises')",
    )
    model_arg(sp)
    sp.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    sp.add_argument("--trace", action="store_true", help="with --json: include the key angle over time")
    sp.add_argument(
        "--annotate",
        metavar="OUT",
        help="write an annotated video (.mp4 H.264 or .webm) with skeleton, angle, counter and cues",
    )
    sp.add_argument("--csv", metavar="OUT", help="also write one CSV row per rep")
    sp.add_argument(
        "--input",
        choices=("auto", "video", "track"),
        default="auto",
        help="how to read SOURCE: auto (default: a .fctrack file is a landmark track, anything else a video), "
        "video or track",
    )
    max_fps_arg(sp)
    jobs_arg(sp, one_file=True)
    progress_arg(sp)
    sp.set_defaults(func=cmd_analyze)

    sp = sub.add_parser(
        "track",
        help="save the per-frame landmarks of a video to a track file",
        description="Run pose estimation once and save the landmarks, so checkers can be re-run without the model.",
    )
    sp.add_argument("video")
    sp.add_argument("-o", "--output", required=True, help="output track file (gzip JSON lines; .fctrack by convention)")
    sp.add_argument(
        "--segmentation",
        action="store_true",
        help="also run the person mask and keep the torso outline measured on it (needed by the pelvic tilt)",
    )
    max_fps_arg(sp)
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
    sp.add_argument(
        "--frames",
        type=_positive_int,
        default=300,
        help="use at most this many frames (default 300: the clip is held in memory)",
    )
    sp.add_argument(
        "--live",
        action="store_true",
        help="replay the clip at its frame rate through the live processor (newest frame wins) and "
        "print p50/p95 per-frame latency, end-to-end lag and the share of frames dropped",
    )
    sp.add_argument(
        "--seconds",
        type=_positive_int,
        default=30,
        help="with --live: seconds of stream to replay, looping the clip (default 30)",
    )
    jobs_arg(
        sp,
        help="also measure (d): the default rate with the pose estimation split across N processes, as "
        "'analyze VIDEO --jobs N' runs it (default 1: not measured; the clip must be long enough to split, "
        "about 25 s with N = 2). The real-time factor line is then (d)'s; (c)'s is printed before it",
    )
    max_fps_arg(sp)
    model_arg(sp)
    progress_arg(sp)
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser(
        "eval",
        help="run the checkers on labelled sample clips and score them",
        description="Run every labelled clip (video + ground-truth .json) of a folder through the real pipeline "
        "and print accuracy. Exit code 1 when any clip's rep count is wrong.",
    )
    sp.add_argument(
        "directory",
        nargs="?",
        default=None,
        help="folder of clips and labels (default: the two sample clips shipped with formcheck)",
    )
    sp.add_argument("--json", action="store_true")
    sp.add_argument(
        "--track-cache",
        metavar="DIR",
        help="keep each clip's landmarks here and reuse them next time "
        "(re-runs the checkers in seconds, without the model)",
    )
    sp.add_argument("--only", metavar="TEXT", help="only clips whose file name contains TEXT")
    sp.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="also store the per-exercise metrics in FILE under the "
        "folder's name (e.g. tests/corpus/baseline.json; the corpus test compares against it)",
    )
    model_arg(sp)
    max_fps_arg(sp)
    jobs_arg(sp)
    progress_arg(sp)
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("app", help="start the Streamlit app on this machine")
    sp.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    sp.add_argument("--port", type=int, default=8501)
    sp.set_defaults(func=cmd_app)

    from formcheck.tools.report_cmd import add_parser as add_report

    add_report(sub, model_arg, progress_arg)

    from formcheck.synth.cli import add_parser as add_synth  # numpy only: its extra is checked when it runs

    add_synth(sub)
    for sp in sub.choices.values():  # -q / -v also after the command (formcheck analyze ... -q)
        _verbosity_args(sp, after_command=True)
    return p


def _verbosity_args(p: argparse.ArgumentParser, after_command: bool = False) -> None:
    """``-q/--quiet`` and ``-v/--verbose`` on the main parser, and on each command without
    overriding a value given before the command."""
    if any(a.dest in ("quiet", "verbose") for a in p._actions):
        return
    quiet_default = argparse.SUPPRESS if after_command else False
    verbose_default = argparse.SUPPRESS if after_command else 0
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=quiet_default,
        help="print only results and errors: no progress bar, no warnings",
    )
    p.add_argument(
        "-v", "--verbose", action="count", default=verbose_default, help="more log lines on stderr (-vv: debug)"
    )


class _Parser(argparse.ArgumentParser):
    """argparse with one-line, sanitised usage errors (a ``-e`` value with a newline stays one
    line) and, when ``--json`` was asked for, the JSON error object on stdout too."""

    json_errors = False

    def error(self, message: str):
        msg = one_line(message)
        if _Parser.json_errors:
            _print_json_error("usage", msg)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {msg} (see {self.prog.split()[0]} --help)\n")


def _print_json_error(code: str, message: str) -> None:
    try:
        print(json.dumps({"error": {"code": code, "message": message}}), flush=True)
    except (BrokenPipeError, ValueError):
        _silence_stdout()


def _silence_stdout() -> None:
    """After a closed pipe (``| head -1``): point stdout at /dev/null so that the final flush
    at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no real stdout
        pass


class NativeLogFilter:
    """Keeps MediaPipe's native INFO/WARNING lines (written by C++ straight to file descriptor 2)
    off the terminal without hiding anything else: fd 2 becomes a pipe that a thread copies to
    the real stderr, dropping only :func:`is_native_noise` lines. Native errors, crash reports
    (faulthandler) and Python's own stderr all still reach the terminal."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._saved: int | None = None

    def start(self) -> NativeLogFilter:
        try:
            sys.stderr.flush()
            real = os.dup(2)
            r, w = os.pipe()
            os.dup2(w, 2)
            os.close(w)
        except (OSError, ValueError, AttributeError):  # no real fd 2 (e.g. under a test runner capture)
            return self
        self._saved = real
        # Python's own stderr writes straight to the real stderr (no detour through the thread)
        sys.stderr = os.fdopen(
            os.dup(real), "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="replace"
        )
        src = os.fdopen(r, "rb", buffering=0)
        dst = os.fdopen(os.dup(real), "wb", buffering=0)
        self._thread = threading.Thread(target=self._pump, args=(src, dst), name="formcheck-native-log", daemon=True)
        self._thread.start()
        return self

    @staticmethod
    def _pump(src, dst) -> None:
        with src, dst:
            _forward_filtered(src, dst)

    def stop(self) -> None:
        """Give fd 2 back and let the thread copy what is left."""
        if self._saved is None:
            return
        try:
            os.dup2(self._saved, 2)  # closes the pipe's write end: the thread sees the end
            os.close(self._saved)
        except OSError:  # pragma: no cover
            pass
        self._saved = None
        if self._thread is not None:
            self._thread.join(timeout=2)


def log_file() -> Path:
    """Where the command line writes tracebacks of internal errors: ``formcheck.log`` in the
    per-user state folder (:func:`formcheck.environment.state_dir`; on Linux
    ``$XDG_STATE_HOME/formcheck/formcheck.log``, usually ``~/.local/state/formcheck/formcheck.log``)."""
    return env.state_dir() / "formcheck.log"


class _NoTraceback(logging.Formatter):
    """One line per record on the terminal: the traceback goes to the log file only."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return one_line(super().format(record))
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _setup_logging(debug: bool, verbosity: int = 0) -> None:
    """Terminal: WARNING and up, one line each; ``verbosity`` -1 (``-q``): ERROR and up, 1
    (``-v``): INFO, 2 (``-vv``): DEBUG; DEBUG and tracebacks with ``--debug``. Log file: ERROR and
    up with tracebacks, opened only when such a record comes."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_formcheck", False):
            root.removeHandler(h)
    console = logging.StreamHandler(sys.stderr)
    level = (
        logging.DEBUG
        if debug
        else {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    )
    console.setLevel(level)
    fmt = "%(levelname)s %(name)s: %(message)s"
    console.setFormatter(logging.Formatter(fmt) if debug else _NoTraceback(fmt))
    console.addFilter(lambda record: debug or not getattr(record, "file_only", False))
    handlers: list[logging.Handler] = [console]
    try:
        path = log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(path, delay=True, encoding="utf-8")
        to_file.setLevel(logging.ERROR)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(to_file)
    except OSError:  # no writable state folder: the terminal line still says what happened
        pass
    for h in handlers:
        h._formcheck = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(min(level, logging.ERROR))


def _fail(args: argparse.Namespace, code: str, message: str, exit_code: int) -> int:
    message = one_line(message)
    if getattr(args, "json", False):
        _print_json_error(code, message)
    if code == "interrupted":
        print("formcheck: interrupted", file=sys.stderr)
    else:
        print(f"formcheck: {'error' if exit_code == EXIT_USAGE else 'internal error'}: {message}", file=sys.stderr)
    return exit_code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _Parser.json_errors = "--json" in argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quiet:
        args.verbose = -1
        if getattr(args, "progress", None) is None and hasattr(args, "progress"):
            args.progress = False  # no progress bar either (unless --progress asks for it)
    native = None
    if (
        not args.debug
        and sys.stderr is sys.__stderr__
        and os.environ.get("FORMCHECK_NATIVE_LOGS") != "1"
        and args.command != "app"
    ):
        native = NativeLogFilter().start()
    _setup_logging(args.debug, args.verbose)
    try:
        code = _run(parser, args)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        return code
    finally:
        if native is not None:
            native.stop()


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    user_errors = _user_errors()
    try:
        if args.command not in _NO_OPENCV_COMMANDS and (conflict := env.opencv_conflict()):
            raise _OpenCVConflict(conflict)
        return int(args.func(args) or 0)
    except ModuleNotFoundError as e:  # an optional extra that is not installed, or a bug
        missing = _missing_extra(e, args.command)
        if missing is None or args.debug:
            return _internal_error(args, e)
        return _fail(args, "missing_extra", str(missing), EXIT_USAGE)
    except BrokenPipeError:  # the reader went away (``| head -1``): end quietly
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        return _fail(args, "interrupted", "interrupted", 130)
    except tuple(user_errors) as e:
        if args.debug:
            raise
        code = next(c for cls, c in user_errors.items() if isinstance(e, cls))
        return _fail(args, code, str(e), EXIT_USAGE)
    except Exception as e:  # a bug: the traceback goes to the log file, one line to the user
        return _internal_error(args, e)


#: Commands that never load cv2 (no need to check the OpenCV installation first).
_NO_OPENCV_COMMANDS = {"exercises"}


def _internal_error(args: argparse.Namespace, e: BaseException) -> int:
    if args.debug:
        raise e
    log.error("internal error in 'formcheck %s'", args.command, exc_info=True, extra={"file_only": True})
    return _fail(
        args,
        "internal_error",
        f"{e.__class__.__name__}: {e} (details in {log_file()}; run with --debug to see them here)",
        EXIT_FAIL,
    )


if __name__ == "__main__":
    sys.exit(main())
