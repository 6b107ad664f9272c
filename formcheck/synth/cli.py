"""``formcheck synth``: render a synthetic exercise clip and its ground-truth JSON.

Example::

    formcheck synth --exercise bridge --reps 5 --hold 2 --fault hips_too_low@3 \\
        --look B --camera-side right --fps 15 -o clip.mp4

    formcheck synth corpus --seed 1 --count 60 --out tests/corpus/dev   # randomized stress corpus

Needs the ``synth`` extra (``pip install formcheck[synth]``: moderngl + EGL, PyAV).
"""

from __future__ import annotations

import argparse
import logging
import sys

from .motions import DEFAULT_HOLD_S, EXERCISES, FAULTS

HELP = "render a synthetic exercise clip (mp4) with ground-truth JSON"


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    from .body import BODIES_DIR
    from .render import LOOKS  # no GL import at module level in render.py

    bodies = sorted(x.stem for x in BODIES_DIR.glob("*.npz"))
    faults = "; ".join(f"{e}: {', '.join(f)}" for e, f in FAULTS.items())
    p.description = __doc__
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--exercise", choices=EXERCISES, help="exercise (required unless 'corpus')")
    p.add_argument("--reps", type=int, default=5, help="number of reps (default 5)")
    p.add_argument(
        "--hold",
        type=float,
        default=None,
        help="hold at the top, seconds (default: " + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_HOLD_S.items()) + ")",
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="CODE@REP[,REP]",
        help=f"inject a fault into 1-based rep(s); repeatable. Codes: {faults}",
    )
    p.add_argument(
        "--sides",
        default=None,
        help="comma list of rep sides cycled over the reps (left,right,both); "
        "default alternates left/right for bird_dog and knee_to_chest",
    )
    p.add_argument("--body", default="female_35_avg", choices=bodies)
    p.add_argument("--look", default="A", choices=sorted(LOOKS), help="skin tone / clothing / floor / wall colours")
    p.add_argument(
        "--camera-side", default="right", choices=("left", "right"), help="side of the body facing the camera"
    )
    p.add_argument(
        "--yaw", type=float, default=0.0, help="oblique camera angle away from the pure side view, degrees (|yaw| ≤ 20)"
    )
    p.add_argument("--cam-height", type=float, default=0.6, help="camera height, metres")
    p.add_argument(
        "--distance", type=float, default=1.0, help="camera distance factor (1 = auto framing of the whole motion)"
    )
    p.add_argument("--rest", type=float, default=1.5, help="rest between reps, seconds")
    p.add_argument("--fps", type=float, default=15.0)
    p.add_argument("--size", default="640x480", help="WIDTHxHEIGHT pixels")
    p.add_argument("--crf", type=int, default=28, help="x264 quality (lower = bigger file)")
    p.add_argument("-o", "--output", help="output .mp4 (JSON written beside it; required unless 'corpus')")
    p.set_defaults(func=run, synth_parser=p)
    sub = p.add_subparsers(dest="synth_command", metavar="{corpus}")
    c = sub.add_parser(
        "corpus", help="render a randomized, seeded stress corpus (tracks + labels)", description=_corpus_doc()
    )
    c.formatter_class = argparse.RawDescriptionHelpFormatter
    c.add_argument("--seed", type=int, required=True, help="corpus seed (clip i has seed SEED*1000+i)")
    c.add_argument("--count", type=int, required=True, help="number of clips (balanced over the exercises)")
    c.add_argument("--out", required=True, help="folder for NAME.fctrack + NAME.json")
    c.add_argument("--only", metavar="NAME", help="only clips whose name contains NAME (re-render one clip)")
    c.add_argument("--keep-video", action="store_true", help="keep the rendered NAME.mp4 too")
    c.add_argument(
        "--plan", action="store_true", help="only print the drawn clips and the estimated CPU time; render nothing"
    )
    c.add_argument("--log", metavar="FILE", help="append per-clip progress lines to FILE")
    c.set_defaults(func=run_corpus)
    return p


def _corpus_doc() -> str:
    from . import corpus

    return corpus.__doc__ or ""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``synth`` sub-command on an argparse subparsers object."""
    return _configure(subparsers.add_parser("synth", help=HELP))


def run(args) -> int:
    """Run the ``synth`` sub-command; returns the exit status."""
    from .generate import ClipSpec, parse_fault, write_clip

    if not args.exercise or not args.output:
        args.synth_parser.error("--exercise and -o/--output are required")

    faults: dict[int, list[str]] = {}
    try:
        for f in args.fault:
            code, reps = parse_fault(f)
            for k in reps:
                faults.setdefault(k, []).append(code)
        w, h = (int(x) for x in args.size.lower().split("x"))
        spec = ClipSpec(
            args.exercise,
            reps=args.reps,
            hold_s=args.hold,
            faults=faults,
            sides=args.sides.split(",") if args.sides else None,
            body=args.body,
            look=args.look,
            camera_side=args.camera_side,
            yaw_deg=args.yaw,
            cam_height_m=args.cam_height,
            distance_scale=args.distance,
            fps=args.fps,
            width=w,
            height=h,
            rest_s=args.rest,
            crf=args.crf,
        )
        gt = write_clip(spec, args.output)
    except (ValueError, FileNotFoundError) as e:
        print(f"formcheck synth: error: {e}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.output}: {gt['duration_s']} s, {gt['expected']['reps']} reps ({gt['expected']['good_reps']} good)"
    )
    return 0


def run_corpus(args) -> int:
    """Run ``formcheck synth corpus``; returns the exit status."""
    from .corpus import draw, plan, render_corpus

    try:
        clips = [c for c in plan(args.seed, args.count) if not args.only or args.only in c.name]
    except ValueError as e:
        print(f"formcheck synth corpus: error: {e}", file=sys.stderr)
        return 2
    if args.plan:
        total = 0.0
        for c in clips:
            d = draw(c)
            p = d.params
            total += p["estimated_cost_s"]
            print(
                f"{c.name:<40} {p['reps']} reps faults={p['faults']} {p['width']}x{p['height']}@{p['fps']} "
                f"yaw={p['yaw_deg']:+.0f} h={p['cam_height_m']:.2f} body={p['body']} ~{p['estimated_cost_s']:.0f} s"
            )
        print(f"{len(clips)} clips, estimated {total / 60:.1f} CPU minutes")
        return 0
    if args.log:
        h = logging.FileHandler(args.log)
        h.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        lg = logging.getLogger("formcheck.synth.corpus")
        lg.addHandler(h)
        lg.setLevel(logging.INFO)
    from formcheck.tools.cli import ProgressBar

    bar = ProgressBar("rendering corpus", unit="clips")
    try:
        names = render_corpus(args.seed, args.count, args.out, only=args.only, keep_video=args.keep_video, progress=bar)
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"formcheck synth corpus: error: {e}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    print(f"wrote {len(names)} clips to {args.out}")
    return 0


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    p = _configure(argparse.ArgumentParser(prog="formcheck synth"))
    return run(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
