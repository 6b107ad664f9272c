"""Check that MediaPipe tracks sample clips and that its key angles follow the ground truth.

``python -m formcheck.synth.verify [CLIP.mp4 ...]`` (default: every clip in ``sample_videos/``)
prints, per clip, the fraction of frames with a pose and a per-second trace of the key angle,
annotated with the ground-truth phase (``.`` rest, ``/`` rising, ``#`` top/hold, ``\\``
lowering) and rep number.  Key angles (degrees, on the camera-side landmarks):

* bridge, pelvic_tilt: shoulder–hip–knee angle (straight = 180);
* bird_dog: elevation of the raised arm (shoulder→wrist) and the raised leg (hip→ankle) above
  horizontal, for the limbs whose wrist/ankle is highest; plus the shoulder–hip line tilt;
* knee_to_chest: hip flexion of each leg = 180 − shoulder–hip–knee angle, and nose height.

Uses the MediaPipe Tasks PoseLandmarker in VIDEO mode with the full model shipped in
``formcheck/models``.  Angles are computed in pixel space (x right, y down).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

MODEL = Path(__file__).resolve().parents[1] / "models" / "pose_landmarker_full.task"
L = dict(
    nose=0, l_sh=11, r_sh=12, l_el=13, r_el=14, l_wr=15, r_wr=16, l_hip=23, r_hip=24, l_kn=25, r_kn=26, l_an=27, r_an=28
)


def track(path: str | Path):
    """Run the landmarker over a clip: returns (fps, list of (t_s, (33,3) px landmarks | None),
    width, height)."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import (
        PoseLandmarker,
        PoseLandmarkerOptions,
        RunningMode,
    )

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 15.0
    opts = PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(MODEL)), running_mode=RunningMode.VIDEO, num_poses=1
    )
    out = []
    with PoseLandmarker.create_from_options(opts) as lm:
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            h, w = frame.shape[:2]
            img = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            res = lm.detect_for_video(img, int(round(i * 1000 / fps)) + 1)
            t = i / fps
            if res.pose_landmarks:
                p = res.pose_landmarks[0]
                arr = np.array([[q.x * w, q.y * h, q.visibility or 0.0] for q in p])
                out.append((t, arr))
            else:
                out.append((t, None))  # type: ignore[arg-type]  # no person in this frame
            i += 1
    cap.release()
    return fps, out, w, h


def ang(a, b, c) -> float:
    """Angle at b (degrees) in the image plane."""
    u, v = a[:2] - b[:2], c[:2] - b[:2]
    cosv = u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9)
    return math.degrees(math.acos(max(-1, min(1, cosv))))


def elev(a, b) -> float:
    """Elevation (degrees) of a→b above the image horizontal (y down)."""
    d = b[:2] - a[:2]
    return math.degrees(math.atan2(-d[1], abs(d[0]) + 1e-9))


def key_values(ex: str, side: str, P: np.ndarray) -> dict:
    """Key angles for one frame (see module docstring)."""
    s = "l" if side == "left" else "r"
    g = lambda n: P[L[n]]
    if ex in ("bridge", "pelvic_tilt"):
        return {"SHK": ang(g(f"{s}_sh"), g(f"{s}_hip"), g(f"{s}_kn")), "hip_y": g(f"{s}_hip")[1]}
    if ex == "knee_to_chest":
        return {
            "flexL": 180 - ang(g("l_sh"), g("l_hip"), g("l_kn")),
            "flexR": 180 - ang(g("r_sh"), g("r_hip"), g("r_kn")),
            "nose_y": g("nose")[1],
        }
    if ex == "bird_dog":
        return {
            "armL": elev(g("l_sh"), g("l_wr")),
            "armR": elev(g("r_sh"), g("r_wr")),
            "legL": elev(g("l_hip"), g("l_an")),
            "legR": elev(g("r_hip"), g("r_an")),
            "kneeL": ang(g("l_hip"), g("l_kn"), g("l_an")),
            "kneeR": ang(g("r_hip"), g("r_kn"), g("r_an")),
            "torso": elev(g(f"{s}_hip"), g(f"{s}_sh")),
        }
    return {}


def phase(gt: dict, t: float) -> str:
    for r in gt.get("reps", []):
        if r["start_s"] <= t <= r["end_s"]:
            if t < r["top_s"]:
                return f"/{r['index']}"
            if t <= r["top_s"] + r["hold_s"]:
                return f"#{r['index']}"
            return f"\\{r['index']}"
    return "."


def verify(path: Path) -> float:
    gt_path = path.with_suffix(".json")
    gt = json.loads(gt_path.read_text()) if gt_path.exists() else {}
    ex = gt.get("exercise")
    fps, frames, w, h = track(path)
    rate = sum(f is not None for f in frames) / max(len(frames), 1)
    print(
        f"\n== {path.name}: {ex} side={gt.get('camera_side')} body={gt.get('body')} "
        f"frames={len(frames)} detected={rate:.1%}"
    )
    for r in gt.get("reps", []):
        print(
            f"   rep {r['index']}: {r['start_s']}-{r['top_s']} hold {r['hold_s']} end "
            f"{r['end_s']} side={r['side']} faults={r['faults']}"
        )
    if not ex:
        return rate
    sec = int(math.ceil(len(frames) / fps))
    for k in range(sec):
        sel = [f for f in frames if k <= f[0] < k + 1 and f[1] is not None]
        if not sel:
            print(f"  {k:3d}s  (no pose)")
            continue
        vals = [key_values(ex, gt.get("camera_side", "right"), f[1]) for f in sel]
        med = {n: float(np.median([v[n] for v in vals])) for n in vals[0]}
        txt = " ".join(f"{n}={v:6.1f}" for n, v in med.items())
        print(f"  {k:3d}s {phase(gt, k + 0.5):>4} {txt}")
    return rate


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in argv] or sorted((Path(__file__).resolve().parents[2] / "sample_videos").glob("*.mp4"))
    rates = {p.name: verify(p) for p in paths}
    print("\nDetection rates:")
    for n, r in rates.items():
        print(f"  {r:6.1%}  {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
