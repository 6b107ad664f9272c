"""Plane geometry on 2-D points (pixels, y down). Angles are degrees. Pure numpy.

All functions accept ``array-like`` points ``[x, y]`` and return plain floats.
"""

from __future__ import annotations

import math

import numpy as np


def angle_deg(a, b, c) -> float:
    """Interior angle ABC at vertex ``b`` in degrees, 0..180.

    ``acos( (a-b)·(c-b) / (|a-b| |c-b|) )``; 180 when the three points are collinear with ``b``
    between them. Degenerate (zero-length) arms give ``nan``.
    """
    v1 = np.asarray(a, dtype=float)[:2] - np.asarray(b, dtype=float)[:2]
    v2 = np.asarray(c, dtype=float)[:2] - np.asarray(b, dtype=float)[:2]
    n = float(np.linalg.norm(v1) * np.linalg.norm(v2))
    if n < 1e-9:
        return float("nan")
    return math.degrees(math.acos(max(-1.0, min(1.0, float(v1 @ v2) / n))))


def signed_height_above_line(p, a, b) -> float:
    """How far point ``p`` sits above the line through ``a`` and ``b``, in pixels (image up is +).

    Measured vertically: ``line_y(p.x) - p.y``. Positive means ``p`` is higher in the image
    than the line. If the line is vertical, returns 0.
    """
    p = np.asarray(p, dtype=float)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    dx = b[0] - a[0]
    if abs(dx) < 1e-9:
        return 0.0
    line_y = a[1] + (b[1] - a[1]) * (p[0] - a[0]) / dx
    return float(line_y - p[1])


def line_deviation_deg(a, b, c) -> float:
    """Signed bend at ``b`` away from the straight line ``a``–``c``, in degrees.

    ``180 - angle_deg(a, b, c)``, positive when ``b`` lies *below* the line from ``a`` to ``c``
    (image y down: the joint sags or is flexed), negative when ``b`` is pushed *above* it.
    Example: shoulder–hip–knee of a person lying flat with knees bent gives about +40..+60;
    a straight bridge gives about 0; an over-arched bridge gives a negative value.
    """
    bend = 180.0 - angle_deg(a, b, c)
    if math.isnan(bend):
        return bend
    return -bend if signed_height_above_line(b, a, c) > 0 else bend


def elevation_deg(frm, to) -> float:
    """Angle of the segment ``frm -> to`` above the horizontal, in degrees (-90..90).

    Positive when ``to`` is higher in the image than ``frm``; independent of left/right
    direction: ``atan2(-(to.y - frm.y), |to.x - frm.x|)``.
    """
    d = np.asarray(to, dtype=float)[:2] - np.asarray(frm, dtype=float)[:2]
    return math.degrees(math.atan2(-d[1], abs(d[0])))


def inclination_deg(frm, to) -> float:
    """Angle of the segment ``frm -> to`` from the horizontal, ignoring direction, 0..90 degrees."""
    return abs(elevation_deg(frm, to))


def distance(a, b) -> float:
    """Euclidean distance between two points (same units as the points)."""
    d = np.asarray(a, dtype=float)[:2] - np.asarray(b, dtype=float)[:2]
    return float(math.hypot(d[0], d[1]))


def midpoint(a, b) -> np.ndarray:
    """Midpoint of two points."""
    return (np.asarray(a, dtype=float)[:2] + np.asarray(b, dtype=float)[:2]) / 2.0
