"""The committed sample clips of ``sample_videos/``: their specs, so they can be re-rendered.

``python -m formcheck.synth.samples OUT_DIR [NAME ...]`` renders them one after another (one
process, one GL context; ~0.1 s per frame on a 2-core CPU).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from .generate import ClipSpec, write_clip

log = logging.getLogger(__name__)

SAMPLES: dict[str, ClipSpec] = {
    "bridge_clean_f35_right_A": ClipSpec(
        "bridge", reps=4, body="female_35_avg", look="A", camera_side="right", cam_height_m=0.6
    ),
    "bridge_low_arch_m50_left_B": ClipSpec(
        "bridge",
        reps=5,
        body="male_50_heavy",
        look="B",
        camera_side="left",
        yaw_deg=12.0,
        cam_height_m=0.8,
        faults={2: ["hips_too_low"], 4: ["hips_overarched"]},
    ),
    "bridge_short_sag_f55_right_C": ClipSpec(
        "bridge",
        reps=4,
        body="female_55_heavy",
        look="C",
        camera_side="right",
        yaw_deg=-10.0,
        cam_height_m=0.45,
        hold_s=3.0,
        faults={1: ["hold_too_short"], 3: ["hips_sagging"]},
    ),
    "bird_dog_clean_m28_left_C": ClipSpec(
        "bird_dog", reps=4, body="male_28_slim", look="C", camera_side="left", cam_height_m=0.7
    ),
    "bird_dog_above_same_f35_right_B": ClipSpec(
        "bird_dog",
        reps=4,
        body="female_35_avg",
        look="B",
        camera_side="right",
        yaw_deg=10.0,
        cam_height_m=0.6,
        faults={2: ["limb_above_horizontal"], 3: ["same_side_limbs"]},
    ),
    "bird_dog_bent_tilt_short_m50_left_A": ClipSpec(
        "bird_dog",
        reps=4,
        body="male_50_heavy",
        look="A",
        camera_side="left",
        yaw_deg=-12.0,
        cam_height_m=0.8,
        faults={1: ["limb_not_extended"], 2: ["torso_tilted"], 4: ["hold_too_short"]},
    ),
    "pelvic_tilt_clean_f35_left_D": ClipSpec(
        "pelvic_tilt", reps=4, body="female_35_avg", look="D", camera_side="left", cam_height_m=0.5
    ),
    "pelvic_tilt_lift_short_m50_right_A": ClipSpec(
        "pelvic_tilt",
        reps=4,
        body="male_50_heavy",
        look="A",
        camera_side="right",
        yaw_deg=10.0,
        cam_height_m=0.7,
        faults={2: ["hips_lifted"], 3: ["hold_too_short"]},
    ),
    "pelvic_tilt_lift_f55_left_C": ClipSpec(
        "pelvic_tilt",
        reps=3,
        body="female_55_heavy",
        look="C",
        camera_side="left",
        yaw_deg=-8.0,
        faults={1: ["hips_lifted"], 3: ["hips_lifted"]},
    ),
    "knee_to_chest_clean_m28_right_B": ClipSpec(
        "knee_to_chest", reps=2, body="male_28_slim", look="B", camera_side="right", cam_height_m=0.6, hold_s=16.0
    ),
    "knee_to_chest_other_short_f35_left_A": ClipSpec(
        "knee_to_chest",
        reps=3,
        body="female_35_avg",
        look="A",
        camera_side="left",
        yaw_deg=8.0,
        hold_s=16.0,
        sides=["left", "right", "both"],
        faults={1: ["other_leg_lifted"], 2: ["hold_too_short"]},
    ),
    "knee_to_chest_head_short_m50_right_D": ClipSpec(
        "knee_to_chest",
        reps=2,
        body="male_50_heavy",
        look="D",
        camera_side="right",
        yaw_deg=-10.0,
        cam_height_m=0.75,
        hold_s=16.0,
        sides=["right", "left"],
        faults={1: ["head_lifted"], 2: ["hold_too_short"]},
    ),
}


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "sample_videos")
    names = argv[1:] or list(SAMPLES)
    out.mkdir(parents=True, exist_ok=True)
    for n in names:
        t = time.time()
        write_clip(SAMPLES[n], out / f"{n}.mp4")
        log.info("%s: %.0f s", n, time.time() - t)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
