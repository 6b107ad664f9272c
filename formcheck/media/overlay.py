"""Draws the coaching overlay on a BGR frame: skeleton, key angle, rep/hold panel, cue banner.

Pure OpenCV, in place, about a millisecond per 640x480 frame (the live processor draws on every
webcam frame). Sizes scale with the frame so text stays readable from 320 to 1920 pixels wide.
Meaning is always carried by text (``"HOLD 2.1 / 3.0 s"``), colour only reinforces it.

What does not change from frame to frame is worked out once: the bones' colours, the shading's
lookup tables, the sizes of texts and the lines a cue wraps into (small bounded caches keyed by the
text and its size); the pixels are the same as drawing everything afresh.
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

from formcheck.core.events import CheckerStatus
from formcheck.core.landmarks import INDEX, SKELETON, PoseFrame

FONT = cv2.FONT_HERSHEY_SIMPLEX
# BGR colours
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREEN = (80, 200, 60)
AMBER = (0, 190, 255)
CYAN = (230, 200, 40)
GREY = (150, 150, 150)
LEFT_COLOUR = (255, 160, 60)  # blueish for the left side of the body
RIGHT_COLOUR = (60, 140, 255)  # orange for the right side
MID_COLOUR = (220, 220, 220)

#: Landmarks at or above this visibility are drawn solid; between LOW and this, dashed and dim.
VIS_SOLID = 0.5
VIS_LOW = 0.2

_BONES = [(INDEX[a], INDEX[b]) for a, b in SKELETON]
_JOINTS = sorted({i for bone in _BONES for i in bone})

_PHASE_LABEL = {
    "setup": "SET UP",
    "calibrating": "CALIBRATING - KEEP STILL",
    "rest": "REST",
    "moving": "MOVING",
    "hold": "HOLD",
}


def _scale(w: int, h: int) -> float:
    """Drawing scale: 1.0 at 640x480, proportional to the frame size, clamped."""
    return float(np.clip(min(w / 640.0, h / 480.0), 0.45, 3.0))


def _bone_colour(i: int, j: int) -> tuple[int, int, int]:
    names = (_name(i), _name(j))
    if all(n.startswith("left") for n in names):
        return LEFT_COLOUR
    if all(n.startswith("right") for n in names):
        return RIGHT_COLOUR
    return MID_COLOUR


_NAMES_BY_INDEX = {v: k for k, v in INDEX.items()}


def _name(i: int) -> str:
    return _NAMES_BY_INDEX[i]


def _dim(c: tuple[int, int, int]) -> tuple[int, int, int]:
    return (c[0] // 2, c[1] // 2, c[2] // 2)


#: Each bone of :data:`_BONES` with its colour and its dimmed colour (for a dashed bone), worked out once.
_BONE_STYLE = [(i, j, _bone_colour(i, j), _dim(_bone_colour(i, j))) for i, j in _BONES]


def _dashed_line(img: np.ndarray, p: tuple[int, int], q: tuple[int, int], colour, thickness: int, dash: int) -> None:
    length = math.hypot(q[0] - p[0], q[1] - p[1])
    n = max(1, int(length // (2 * dash)))
    for k in range(n + 1):
        a = (2 * k * dash) / max(length, 1e-6)
        b = min(1.0, (2 * k + 1) * dash / max(length, 1e-6))
        if a >= 1.0:
            break
        pa = (int(p[0] + (q[0] - p[0]) * a), int(p[1] + (q[1] - p[1]) * a))
        pb = (int(p[0] + (q[0] - p[0]) * b), int(p[1] + (q[1] - p[1]) * b))
        cv2.line(img, pa, pb, colour, thickness, cv2.LINE_AA)


@lru_cache(maxsize=16)
def _shade_table(alpha: float) -> np.ndarray:
    """The 256 values a pixel channel takes when darkened by ``alpha`` (0..1): ``v * (1 - alpha)``
    rounded down, computed as a float multiplication of the channel would be."""
    table = np.empty(256, np.uint8)
    np.multiply(np.arange(256, dtype=np.uint8), 1.0 - alpha, out=table, casting="unsafe")
    table.setflags(write=False)
    return table


def _shade(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = 0.55) -> None:
    """Darken a rectangle in place (a text background that works on any video): every channel times
    ``1 - alpha``, rounded down, through a lookup table (the same pixels as multiplying, in a third less time)."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    roi[...] = cv2.LUT(roi, _shade_table(float(alpha)))


@lru_cache(maxsize=256)
def _text_size(text: str, fs: float, th: int) -> tuple[tuple[int, int], int]:
    """``cv2.getTextSize`` of ``text`` in :data:`FONT` (pixels), remembered: the panel's and the cue's texts
    repeat from frame to frame."""
    (tw, tht), base = cv2.getTextSize(text, FONT, fs, th)
    return (int(tw), int(tht)), int(base)


def _text(img: np.ndarray, text: str, org: tuple[int, int], fs: float, colour, th: int) -> None:
    """Text; callers put it on a shaded background (OpenCV 5's font advance depends on
    thickness, so an outline drawn thicker would not line up)."""
    cv2.putText(img, text, org, FONT, fs, colour, th, cv2.LINE_AA)


@lru_cache(maxsize=64)
def _wrap(text: str, fs: float, th: int, max_w: int) -> tuple[str, ...]:
    """``text`` in at most three lines of at most ``max_w`` pixels (remembered: a cue stays up for many frames)."""
    words = text.split()
    lines: list[str] = []
    cur = ""
    for word in words:
        cand = f"{cur} {word}".strip()
        if _text_size(cand, fs, th)[0][0] <= max_w or not cur:
            cur = cand
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return tuple(lines[:3])


def _draw_skeleton(img: np.ndarray, pose: PoseFrame, s: float) -> np.ndarray:
    h, w = img.shape[:2]
    pts = pose.xyz[:, :2] * np.array([w, h], dtype=np.float64)
    # whole pixels as int() gives them (towards zero), and the visibilities, as Python numbers once
    xy = [(int(x), int(y)) for x, y in pts.tolist()]
    vis = pose.visibility.tolist()
    th = max(1, int(round(3 * s)))
    dash = max(3, int(round(6 * s)))
    for i, j, colour, dim in _BONE_STYLE:
        v = min(vis[i], vis[j])
        if v < VIS_LOW:
            continue
        if v >= VIS_SOLID:
            cv2.line(img, xy[i], xy[j], colour, th, cv2.LINE_AA)
        else:
            _dashed_line(img, xy[i], xy[j], dim, max(1, th - 1), dash)
    r = max(2, int(round(4 * s)))
    for i in _JOINTS:
        v = vis[i]
        if v < VIS_LOW:
            continue
        c = xy[i]
        if v >= VIS_SOLID:
            cv2.circle(img, c, r, WHITE, -1, cv2.LINE_AA)
            cv2.circle(img, c, r, BLACK, 1, cv2.LINE_AA)
        else:
            cv2.circle(img, c, r, GREY, 1, cv2.LINE_AA)
    return pts


def _draw_key_angle(
    img: np.ndarray,
    pts: np.ndarray,
    pose: PoseFrame,
    key_joints: tuple[str, str, str],
    angle_deg: float | None,
    s: float,
) -> None:
    try:
        ia, ib, ic = (INDEX[n] for n in key_joints)
    except KeyError:
        return
    if min(pose.visibility[ia], pose.visibility[ib], pose.visibility[ic]) < VIS_LOW:
        return
    a, b, c = pts[ia], pts[ib], pts[ic]
    ang_a = math.degrees(math.atan2(a[1] - b[1], a[0] - b[0]))
    ang_c = math.degrees(math.atan2(c[1] - b[1], c[0] - b[0]))
    diff = (ang_c - ang_a + 540.0) % 360.0 - 180.0  # signed shortest sweep
    if angle_deg is None:
        angle_deg = abs(diff)
    radius = max(8, int(round(28 * s)))
    centre = (int(b[0]), int(b[1]))
    th = max(1, int(round(2 * s)))
    cv2.ellipse(img, centre, (radius, radius), 0.0, ang_a, ang_a + diff, CYAN, th, cv2.LINE_AA)
    label = f"{angle_deg:.0f} deg"
    fs = 0.6 * max(s, 0.7)
    tth = max(1, int(round(1.6 * s)))
    (tw, tht), base = _text_size(label, fs, tth)
    # put the label on the outside of the angle (opposite the bisector)
    bis = math.radians(ang_a + diff / 2.0)
    off = radius + 6 * s
    lx = int(b[0] - math.cos(bis) * off - tw / 2)
    ly = int(b[1] - math.sin(bis) * off + tht / 2)
    h, w = img.shape[:2]
    lx = int(np.clip(lx, 2, max(2, w - tw - 2)))
    ly = int(np.clip(ly, tht + 2, max(tht + 2, h - base - 2)))
    _shade(img, lx - 3, ly - tht - 3, lx + tw + 3, ly + base + 2, 0.5)
    _text(img, label, (lx, ly), fs, CYAN, tth)


def _draw_panel(img: np.ndarray, status: CheckerStatus, s: float) -> None:
    h, w = img.shape[:2]
    s = max(s, 0.7)  # text stays legible on small frames
    pad = int(round(8 * s))
    big = 0.85 * s
    small = 0.55 * s
    th_big = max(1, int(round(2 * s)))
    th_small = max(1, int(round(1.4 * s)))
    line_big = int(round(30 * s))
    line_small = int(round(22 * s))

    reps = f"Reps {status.reps}" + (f" / {status.target_reps}" if status.target_reps else "")
    rows: list[tuple[str, float, int, tuple[int, int, int]]] = [(reps, big, th_big, WHITE)]
    rows.append((f"Good {status.good_reps}", small, th_small, GREEN))
    phase = _PHASE_LABEL.get(status.phase, status.phase.upper())
    side = "" if status.side in ("none", "", None) else f"  Side: {status.side}"
    rows.append(
        (f"Phase: {phase}{side}", small, th_small, AMBER if status.phase in ("setup", "calibrating") else WHITE)
    )
    show_hold = status.target_hold_s > 0 or status.hold_s > 0
    if show_hold:
        hold = f"HOLD {status.hold_s:.1f}"
        if status.target_hold_s > 0:
            hold += f" / {status.target_hold_s:.1f} s"
        else:
            hold += " s"
        rows.append((hold, small, th_small, WHITE))

    text_w = max(_text_size(t, fs, th)[0][0] for t, fs, th, _ in rows)
    panel_w = min(w - 2 * pad, max(text_w, int(170 * s)) + 2 * pad)
    bar_h = max(4, int(round(10 * s))) if show_hold else 0
    panel_h = pad + line_big + line_small * (len(rows) - 1) + (bar_h + pad if show_hold else 0) + pad // 2
    x0, y0 = pad, pad
    _shade(img, x0, y0, x0 + panel_w, y0 + panel_h, 0.6)
    y = y0 + pad
    for k, (t, fs, th, col) in enumerate(rows):
        y += line_big - pad // 2 if k == 0 else line_small
        _text(img, t, (x0 + pad, y), fs, col, th)
    if show_hold:
        bx0, by0 = x0 + pad, y + pad // 2 + 2
        bx1, by1 = x0 + panel_w - pad, by0 + bar_h
        frac = 0.0
        if status.target_hold_s > 0:
            frac = float(np.clip(status.hold_s / status.target_hold_s, 0.0, 1.0))
        cv2.rectangle(img, (bx0, by0), (bx1, by1), GREY, 1)
        if frac > 0:
            fill = GREEN if frac >= 1.0 else AMBER
            cv2.rectangle(img, (bx0 + 1, by0 + 1), (bx0 + 1 + int((bx1 - bx0 - 2) * frac), by1 - 1), fill, -1)


def _draw_banner(img: np.ndarray, text: str, s: float, setup: bool) -> None:
    h, w = img.shape[:2]
    s = max(s, 0.7)
    pad = int(round(8 * s))
    fs = 0.7 * s
    th = max(1, int(round(1.8 * s)))
    lines = _wrap(text, fs, th, w - 4 * pad)
    (_, lh), base = _text_size("Ag", fs, th)
    line_h = lh + base + pad // 2
    bh = line_h * len(lines) + pad
    y0 = h - bh - pad // 2
    _shade(img, 0, y0, w, h, 0.65)
    colour = AMBER if setup else WHITE
    cv2.rectangle(img, (0, y0), (max(3, int(4 * s)), h), colour, -1)  # accent bar (not the only signal)
    y = y0 + pad // 2
    for line in lines:
        y += line_h
        tw = _text_size(line, fs, th)[0][0]
        _text(img, line, (max(pad, (w - tw) // 2), y - base), fs, colour, th)


def draw_overlay(
    frame_bgr: np.ndarray,
    pose: PoseFrame | None,
    status: CheckerStatus | None,
    *,
    key_joints: tuple[str, str, str] | None = None,
) -> np.ndarray:
    """Draw the overlay on ``frame_bgr`` (uint8 BGR, modified in place) and return it.

    ``pose`` landmarks are normalised, so they are drawn at this frame's own size even if
    the model saw a downscaled copy. ``key_joints`` names (a, b, c): the angle at b is
    drawn with ``status.key_angle_deg`` (or the angle measured in the image).
    """
    img = frame_bgr
    h, w = img.shape[:2]
    s = _scale(w, h)
    if pose is not None:
        pts = _draw_skeleton(img, pose, s)
        if key_joints is not None:
            _draw_key_angle(img, pts, pose, key_joints, status.key_angle_deg if status else None, s)
    if status is not None:
        _draw_panel(img, status, s)
        message = status.cue or status.setup_message
        if message:
            _draw_banner(img, message, s, setup=status.cue is None)
    return img
