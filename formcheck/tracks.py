"""Landmark tracks: the per-frame landmarks of a video saved to a file and loaded back.

A track lets checkers be re-run and tested without running the pose model. Format: gzip'd
JSON lines. Line 1 is a header ``{"format": "formcheck-track", "version": 1, "source": ...,
"fps": ..., "width": ..., "height": ..., "model": ..., "duration_s": ..., "segmentation": bool}``;
every following line is one frame ``{"t_s": seconds, "pose": <PoseFrame.to_dict()> | null}``. With
``"segmentation": true`` the poses also carry the torso ``outline`` measured on the person mask
(older tracks have neither key and read as without it).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .landmarks import PoseFrame

TRACK_FORMAT = "formcheck-track"
TRACK_VERSION = 1
TRACK_SUFFIX = ".fctrack"


class TrackError(Exception):
    """A file that is not a readable formcheck track."""


@dataclass
class Track:
    """A header plus ``(t_s, PoseFrame | None)`` per frame."""

    source: str
    fps: float
    width: int
    height: int
    model: str = ""
    duration_s: float = 0.0
    segmentation: bool = False  # frames carry the torso outline from a person mask
    frames: list[tuple[float, PoseFrame | None]] = field(default_factory=list)

    def header(self) -> dict:
        return {"format": TRACK_FORMAT, "version": TRACK_VERSION, "source": self.source, "fps": self.fps,
                "width": self.width, "height": self.height, "model": self.model, "duration_s": self.duration_s,
                "frames": len(self.frames), "segmentation": self.segmentation}


def save_track(track: Track, path: str | Path) -> Path:
    """Write ``track`` to ``path`` (gzip JSON lines)."""
    path = Path(path)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps(track.header()) + "\n")
        for t, frame in track.frames:
            f.write(json.dumps({"t_s": round(t, 6), "pose": None if frame is None else frame.to_dict()}) + "\n")
    return path


def is_track_file(path: str | Path) -> bool:
    """True when ``path`` starts like a formcheck track (cheap sniff, no exception)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            head = json.loads(f.readline())
        return isinstance(head, dict) and head.get("format") == TRACK_FORMAT
    except (OSError, EOFError, ValueError, UnicodeDecodeError):
        return False


def iter_track(path: str | Path) -> tuple[dict, Iterator[tuple[float, PoseFrame | None]]]:
    """The header and a lazy iterator over the frames of a track file."""
    path = Path(path)
    try:
        f = gzip.open(path, "rt", encoding="utf-8")
        head = json.loads(f.readline())
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as e:
        raise TrackError(f"{path}: not a formcheck track ({e.__class__.__name__})") from None
    if not isinstance(head, dict) or head.get("format") != TRACK_FORMAT:
        f.close()
        raise TrackError(f"{path}: not a formcheck track")
    try:
        version = int(head.get("version", 0))
        for key in ("fps", "duration_s"):
            float(head.get(key, 0.0))
    except (TypeError, ValueError):
        f.close()
        raise TrackError(f"{path}: the track's header is damaged") from None
    if version > TRACK_VERSION:
        f.close()
        raise TrackError(f"{path}: track version {head.get('version')} is newer than this formcheck understands")

    def frames() -> Iterator[tuple[float, PoseFrame | None]]:
        with f:
            n = 1
            while True:
                try:
                    line = f.readline()  # reading can fail too: a cut-off gzip stream
                except (OSError, EOFError, UnicodeDecodeError):
                    raise TrackError(f"{path}: the file is truncated after line {n}") from None
                if not line:
                    return
                n += 1
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                    pose = d.get("pose")
                    item = float(d["t_s"]), (None if pose is None else PoseFrame.from_dict(pose))
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    raise TrackError(f"{path}: line {n} is damaged ({e.__class__.__name__})") from None
                yield item

    return head, frames()


def load_track(path: str | Path) -> Track:
    """Read a whole track file into memory."""
    head, frames = iter_track(path)
    tr = Track(source=str(head.get("source", "")), fps=float(head.get("fps", 0.0)), width=int(head.get("width", 0)),
               height=int(head.get("height", 0)), model=str(head.get("model", "")), duration_s=float(head.get("duration_s", 0.0)),
               segmentation=bool(head.get("segmentation", False)))
    tr.frames = list(frames)
    return tr
