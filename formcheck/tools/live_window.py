"""``formcheck live``: webcam coaching in an OpenCV window (needs a display)."""

from __future__ import annotations

import logging

from formcheck.core.report import Report
from formcheck.core.session import Session

log = logging.getLogger(__name__)

WINDOW = "formcheck - press q to stop"


def run_live(exercise: str, camera: int = 0, model: str = "full") -> int:
    """``formcheck live``: coach in a window, then print the summary; returns the exit code."""
    print(coach_live(exercise, camera=camera, model=model).summary())
    return 0


def coach_live(exercise: str, camera: int = 0, model: str = "full") -> Report:
    """Coach ``exercise`` from camera ``camera`` until the user presses q/Esc or closes the
    window; returns the report of what was done. Frames are timed with the camera clock
    (seconds), so a slow machine that drops frames still times holds correctly.

    Raises:
        VideoError: no camera at ``camera``, or it gave no picture. A camera that stops midway
            is logged as a warning and ends the session (the report covers what was done).
    """
    import cv2

    from formcheck.app.live_processor import LIVE_TRACE_FRAMES
    from formcheck.media.overlay import draw_overlay
    from formcheck.media.pose import PoseEstimator
    from formcheck.media.video import VideoError, open_camera

    session = Session(exercise)
    session.checker.limit_trace(LIVE_TRACE_FRAMES)  # a long session must not grow in memory
    cam = open_camera(camera)
    frames = 0
    with (
        cam,
        PoseEstimator(
            model, segmentation=session.spec.needs_segmentation, keep_mask=False, positions=(session.spec.posture,)
        ) as estimator,
    ):
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
            log.warning("the camera stopped: %s. What was done so far is summarised below.", e)
        finally:
            cv2.destroyAllWindows()
    session.finish()
    if frames == 0:
        raise VideoError(f"camera {camera} gave no picture")
    return session.report(f"camera {camera}", fps=0.0)
