"""Choosing which side of the body to measure. Pure module."""

from __future__ import annotations

from formcheck.core.landmarks import PoseFrame

#: A side must beat the current one by this much mean visibility to take over (hysteresis).
SWITCH_MARGIN = 0.15


def side_visibility(frame: PoseFrame, side: str, joints: tuple[str, ...]) -> float:
    """Mean visibility (0..1) of ``joints`` (names without side prefix) on ``side``."""
    return sum(frame.vis(f"{side}_{j}") for j in joints) / len(joints)


def best_side(
    frame: PoseFrame, joints: tuple[str, ...], previous: str | None = None, min_visibility: float = 0.5
) -> str | None:
    """The side (``"left"``/``"right"``) whose ``joints`` are best seen, or ``None`` if neither
    side has all of them at ``min_visibility`` on average.

    Sticky: the ``previous`` side is kept unless the other beats it by ``SWITCH_MARGIN``, so a
    side-on view does not flip sides from frame to frame.
    """
    scores = {s: side_visibility(frame, s, joints) for s in ("left", "right")}
    best = max(scores, key=lambda s: scores[s])
    if previous in scores and scores[previous] >= min_visibility and scores[best] - scores[previous] < SWITCH_MARGIN:
        best = previous
    return best if scores[best] >= min_visibility else None
