"""The body outline around the torso, measured on a person segmentation mask. Pure module: numpy only.

Pose landmarks are joint centres; some movements change the body's *outline* without moving
any joint (a pelvic tilt flattens the lower belly and the small of the back while the hip
joint stays put). :func:`torso_outline` reduces one frame's person mask to a few numbers:
the extent of the mask on either side of the shoulder-hip line, measured perpendicular to
that line at :data:`OUTLINE_FRACS` of the way from the hip (0) to the shoulder (1).

The line runs between the (visibility-weighted) midpoints of the two shoulders and of the
two hips (image pixels). ``up`` is the extent on the side of the line that faces the top of the image (for
a person lying on their back seen from the side: the belly and chest), ``down`` the other
side (towards the floor). Both are pixels, with sub-pixel edges from the soft mask; ``NaN``
where the line itself is not on the mask. The result is small enough to store with every
frame of a landmark track (:meth:`formcheck.core.landmarks.PoseFrame.to_dict`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Where along the shoulder-hip line the outline is measured (0 = hip, 1 = shoulder).
OUTLINE_FRACS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Rays stop after this many torso lengths (an outline further out is not the torso).
MAX_REACH = 0.8
#: Sampling step along a ray, pixels.
STEP_PX = 0.5
#: Mask values at or above this are the person.
MASK_LEVEL = 0.5


def _bilinear(mask: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    x = np.clip(x, 0.0, w - 1.0)
    y = np.clip(y, 0.0, h - 1.0)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2 if w > 1 else 0)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2 if h > 1 else 0)
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx, fy = x - x0, y - y0
    top = mask[y0, x0] * (1 - fx) + mask[y0, x1] * fx
    bot = mask[y1, x0] * (1 - fx) + mask[y1, x1] * fx
    return top * (1 - fy) + bot * fy


def _reach(mask: np.ndarray, start: np.ndarray, direction: np.ndarray, max_px: float) -> float:
    """Distance (px) from ``start`` along ``direction`` to where the mask first drops below
    :data:`MASK_LEVEL` (linearly interpolated); NaN if ``start`` is off the mask, ``max_px`` if
    the mask never ends within reach."""
    s = np.arange(0.0, max_px + STEP_PX, STEP_PX)
    v = _bilinear(mask, start[0] + s * direction[0], start[1] + s * direction[1])
    if v[0] < MASK_LEVEL:
        return float("nan")
    below = np.flatnonzero(v < MASK_LEVEL)
    if len(below) == 0:
        return float(max_px)
    i = int(below[0])
    a, b = float(v[i - 1]), float(v[i])
    frac = (a - MASK_LEVEL) / (a - b) if a != b else 0.0
    return float(s[i - 1] + frac * STEP_PX)


def torso_outline(mask: np.ndarray, shoulder_px: np.ndarray, hip_px: np.ndarray) -> dict[str, Any] | None:
    """The mask's extent either side of the hip-to-shoulder line (see the module docstring).

    Args:
        mask: (H, W) person mask, 0..1 (float) or 0..255 (uint8), same image as the points.
        shoulder_px, hip_px: the line's ends in pixels ``[x, y]`` (y down).

    Returns ``{"up": [...], "down": [...], "torso_px": length}`` (pixels, one value per
    :data:`OUTLINE_FRACS`), or ``None`` when the line is degenerate or the mask unusable.
    """
    m = np.asarray(mask)
    if m.ndim == 3:
        m = m[:, :, 0]
    if m.ndim != 2 or m.size == 0:
        return None
    m = m.astype(np.float32) / 255.0 if m.dtype == np.uint8 else m.astype(np.float32, copy=False)
    sh = np.asarray(shoulder_px, dtype=np.float64)
    hip = np.asarray(hip_px, dtype=np.float64)
    axis = sh - hip
    length = float(np.hypot(*axis))
    if not (np.isfinite(length) and length > 4.0):
        return None
    u = axis / length
    normal = np.array([-u[1], u[0]])
    if normal[1] > 0 or (normal[1] == 0 and normal[0] < 0):
        normal = -normal  # "up": towards the top of the image
    reach = MAX_REACH * length
    up, down = [], []
    for f in OUTLINE_FRACS:
        p = hip + f * axis
        up.append(round(_reach(m, p, normal, reach), 2))
        down.append(round(_reach(m, p, -normal, reach), 2))
    return {"up": up, "down": down, "torso_px": round(length, 2)}


def frame_outline(
    mask: np.ndarray, xyz: np.ndarray, width: int, height: int, visibility: np.ndarray | None = None
) -> dict[str, list[float]] | None:
    """:func:`torso_outline` on the line from the hips to the shoulders of landmarks ``xyz``
    (normalised, (33, 3)): each end is the mean of the left and right joint, weighted by their
    ``visibility`` when given (the far side of a side view is a guess and jitters more)."""
    from formcheck.core.landmarks import INDEX

    xy = np.asarray(xyz, dtype=np.float64)[:, :2] * np.array([width, height], dtype=np.float64)
    vis = np.ones(len(xy)) if visibility is None else np.clip(np.asarray(visibility, dtype=np.float64), 0.01, 1.0)

    def mid(joint: str) -> np.ndarray:
        a, b = INDEX[f"left_{joint}"], INDEX[f"right_{joint}"]
        return (xy[a] * vis[a] + xy[b] * vis[b]) / (vis[a] + vis[b])

    sh, hip = mid("shoulder"), mid("hip")
    if not (np.all(np.isfinite(sh)) and np.all(np.isfinite(hip))):
        return None
    mh, mw = np.asarray(mask).shape[:2]
    if (mh, mw) != (height, width):  # a mask of another size: scale the points to it
        s = np.array([mw / width, mh / height])
        sh, hip = sh * s, hip * s
        out = torso_outline(mask, sh, hip)
        if out is None:
            return None
        k = 1.0 / float(np.sqrt(s[0] * s[1]))
        return {
            key: ([round(v * k, 2) for v in val] if isinstance(val, list) else round(val * k, 2))
            for key, val in out.items()
        }
    return torso_outline(mask, sh, hip)
