"""``formcheck live``: webcam coaching in an OpenCV window (needs a display)."""

from __future__ import annotations

import logging
import sys

from formcheck.core.session import Session

log = logging.getLogger(__name__)

WINDOW = "formcheck - press q to stop"


def run_live(exercise: str, camera: int = 0, model: str = "full") -> int:
    """Coach ``exercise`` from camera ``camera`` until the user presses q/Esc or closes the window.

    Returns the process exit code. Frames are timed with the camera clock (seconds), so a slow
    machine that drops frames still times holds correctly.
    """
    import cv2

    from formcheck.app.live_processor import LIVE_TRACE_FRAMES
    from formcheck.media.overlay import draw_overlay
    from formcheck.media.pose import PoseEstimator
    from formcheck.media.video import VideoError, open_camera

    session = Session(exercise)
    session.checker.limit_trace(LIVE_TRACE_FRAMES)  # a long session must not grow in memory
    try:
        cam = open_camera(camera)
    except VideoError as e:
        print(f"formcheck: error: {e}", file=sys.stderr)
        return 2
    frames = 0
    with cam, PoseEstimator(model, segmentation=session.spec.needs_segmentation, keep_mask=False,
                            positions=(session.spec.posture,)) as estimator:
        try:
            for t_s, image in cam:
                frames += 1
                pose = estimator.detect(image, t_s)
                session.update(t_s, pose)
                draw_overlay(image, session.last_frame, session.status, key_joints=session.checker.key_landmarks())
                cv2.imshow(WINDOW, image)
                key = cv2.waitKey(1) & 0xFF
                if key in (ord("q"), 27) or cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                    break
        except VideoError as e:  # the camera disappeared
            print(f"formcheck: the camera stopped: {e}. What was done so far is summarised below.", file=sys.stderr)
        finally:
            cv2.destroyAllWindows()
    session.finish()
    if frames == 0:
        print("formcheck: error: the camera gave no picture", file=sys.stderr)
        return 2
    print(session.report(f"camera {camera}", fps=0.0).summary())
    return 0
