"""Landmark frames: the one data type that flows from pose estimation to the checkers.

A :class:`PoseFrame` holds the 33 BlazePose landmarks of one person in one video frame.
Coordinates are *normalised image coordinates* (x right, y down, both 0..1 across the
image), ``z`` is MediaPipe's relative depth (same scale as x, smaller is nearer the
camera).

Pure module: numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

#: MediaPipe BlazePose landmark names, in model order (33).
LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
NUM_LANDMARKS = len(LANDMARK_NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}

#: Bones drawn by the overlay, as pairs of landmark names.
SKELETON: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("nose", "left_ear"),
    ("nose", "right_ear"),
)

#: ``to_dict`` rounding of compact tracks: 1e-4 of the frame (0.2 px at 1920 px), visibility to
#: 0.01, the outline to 0.1 px -- far below MediaPipe's own jitter.
COMPACT_ROUNDING = {"ndigits": 4, "vis_ndigits": 2, "outline_ndigits": 1}

#: A landmark whose visibility is at least this is treated as seen (0..1).
DEFAULT_MIN_VISIBILITY = 0.5


def other_side(side: str) -> str:
    """``"left"`` <-> ``"right"``; anything else is returned unchanged."""
    return {"left": "right", "right": "left"}.get(side, side)


@dataclass(frozen=True)
class PoseFrame:
    """One person's landmarks in one frame.

    Attributes:
        t_s: frame timestamp in seconds of video time (from the container or camera clock).
        width, height: frame size in pixels (of the image the model saw).
        xyz: (33, 3) normalised image coordinates x, y (0..1) and relative depth z.
        visibility: (33,) probability that the landmark is visible (not occluded), 0..1.
        presence: (33,) probability that the landmark is inside the image, 0..1.
        num_people: how many people the model found in this frame (this frame is one of them).
        segmentation: optional (H, W) float mask of the person, 0..1 (only if asked for).
        outline: optional torso outline measured on that mask (:func:`formcheck.core.outline.torso_outline`:
            ``{"up": [...], "down": [...], "torso_px": ...}``, pixels); small, so it is kept in tracks.
    """

    t_s: float
    width: int
    height: int
    xyz: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    num_people: int = 1
    segmentation: np.ndarray | None = field(default=None, compare=False, repr=False)
    outline: dict | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        xyz = np.asarray(self.xyz, dtype=np.float64)
        if xyz.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"xyz must have shape (33, 3), got {xyz.shape}")
        object.__setattr__(self, "xyz", xyz)
        object.__setattr__(self, "visibility", np.asarray(self.visibility, dtype=np.float64).reshape(NUM_LANDMARKS))
        object.__setattr__(self, "presence", np.asarray(self.presence, dtype=np.float64).reshape(NUM_LANDMARKS))

    # -- access -------------------------------------------------------------------------
    def px(self, name: str) -> np.ndarray:
        """Landmark ``name`` in pixels, as a float array ``[x, y]`` (y down)."""
        i = INDEX[name]
        return np.array([self.xyz[i, 0] * self.width, self.xyz[i, 1] * self.height])

    def norm(self, name: str) -> np.ndarray:
        """Landmark ``name`` in normalised image coordinates ``[x, y]``."""
        return self.xyz[INDEX[name], :2].copy()

    def vis(self, name: str) -> float:
        """Visibility of landmark ``name`` (0..1)."""
        return float(self.visibility[INDEX[name]])

    def is_visible(self, name: str, min_visibility: float = DEFAULT_MIN_VISIBILITY) -> bool:
        """True when the landmark is both visible and inside the image."""
        i = INDEX[name]
        x, y = self.xyz[i, 0], self.xyz[i, 1]
        inside = -0.02 <= x <= 1.02 and -0.02 <= y <= 1.02
        return bool(self.visibility[i] >= min_visibility and inside)

    def pixels(self) -> np.ndarray:
        """All landmarks in pixels, (33, 2)."""
        return self.xyz[:, :2] * np.array([self.width, self.height], dtype=np.float64)

    def with_xyz(self, xyz: np.ndarray) -> PoseFrame:
        """A copy with new landmark coordinates (used by smoothing)."""
        return replace(self, xyz=xyz)

    # -- (de)serialisation ----------------------------------------------------------------
    def to_dict(self, ndigits: int = 5, *, vis_ndigits: int = 4, outline_ndigits: int | None = None) -> dict:
        """Plain-JSON form (no segmentation mask; the torso outline measured on it, if any).

        Rounding: ``ndigits`` decimals for the normalised coordinates ``xyz`` (5 = 0.02 px on a
        1920 px frame), ``vis_ndigits`` for visibility and presence, ``outline_ndigits`` for the
        outline in pixels (default: unrounded). Compact tracks (the committed stress corpus) use
        :data:`COMPACT_ROUNDING`; reading back works at any precision. MediaPipe's world
        landmarks are not kept (nothing reads them); a ``world`` entry in an older track is ignored.
        """
        d = {
            "t_s": round(float(self.t_s), 6),
            "width": int(self.width),
            "height": int(self.height),
            "xyz": np.round(self.xyz, ndigits).tolist(),
            "visibility": np.round(self.visibility, vis_ndigits).tolist(),
            "presence": np.round(self.presence, vis_ndigits).tolist(),
            "num_people": int(self.num_people),
        }
        if self.outline is not None:  # plain JSON has no NaN: store null

            def r(x):
                return float(x) if outline_ndigits is None else round(float(x), outline_ndigits)

            d["outline"] = {
                k: (
                    [None if not np.isfinite(x) else r(x) for x in v]
                    if isinstance(v, list)
                    else (r(v) if isinstance(v, (int, float)) and np.isfinite(v) else v)
                )
                for k, v in self.outline.items()
            }
        return d

    @classmethod
    def from_dict(cls, d: dict) -> PoseFrame:
        return cls(
            t_s=float(d["t_s"]),
            width=int(d["width"]),
            height=int(d["height"]),
            xyz=np.asarray(d["xyz"], dtype=np.float64),
            visibility=np.asarray(d["visibility"], dtype=np.float64),
            presence=np.asarray(d.get("presence", d["visibility"]), dtype=np.float64),
            num_people=int(d.get("num_people", 1)),
            outline=_outline_from(d.get("outline")),
        )


def _outline_from(o) -> dict | None:
    """A stored outline back to floats (JSON has no NaN: a missing value may come back as null)."""
    if not isinstance(o, dict):
        return None
    out: dict = {}
    for k, v in o.items():
        if isinstance(v, list):
            out[k] = [float("nan") if x is None else float(x) for x in v]
        elif isinstance(v, (int, float)):
            out[k] = float(v)
    return out


def frame_from_points(
    t_s: float,
    points: dict[str, tuple[float, float]],
    width: int = 640,
    height: int = 480,
    visibility: float | dict[str, float] = 0.99,
    default_visibility: float = 0.0,
    num_people: int = 1,
) -> PoseFrame:
    """Build a :class:`PoseFrame` from pixel positions of some named landmarks.

    Landmarks not in ``points`` sit at the image centre with ``default_visibility``.
    Handy for scripted landmark streams in tests and for synthetic data.
    """
    xyz = np.zeros((NUM_LANDMARKS, 3))
    xyz[:, 0] = 0.5
    xyz[:, 1] = 0.5
    vis = np.full(NUM_LANDMARKS, float(default_visibility))
    for name, (x, y) in points.items():
        i = INDEX[name]
        xyz[i, 0] = x / width
        xyz[i, 1] = y / height
        vis[i] = visibility.get(name, 0.99) if isinstance(visibility, dict) else float(visibility)
    return PoseFrame(
        t_s=t_s, width=width, height=height, xyz=xyz, visibility=vis, presence=vis.copy(), num_people=num_people
    )
