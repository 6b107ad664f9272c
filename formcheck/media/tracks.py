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
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from formcheck.core.fileio import TRACK_SUFFIX as TRACK_SUFFIX  # defined once there; imported from here too
from formcheck.core.fileio import UnsafePathError, atomic_output, require_regular_file
from formcheck.core.landmarks import PoseFrame
from formcheck.core.report import finite_json

TRACK_FORMAT = "formcheck-track"
TRACK_VERSION = 1

#: Largest track file accepted, in bytes (a 30-minute session at 30 fps with outlines is ~60 MB).
MAX_TRACK_BYTES = 1 << 30
#: Longest line accepted, in characters (one frame is ~3 kB; the header is smaller).
MAX_LINE_CHARS = 256 * 1024
#: Most lines accepted (a 9-hour session at 30 fps): bounds the time spent on a file of blank lines.
MAX_LINES = 1_000_000


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
        return {
            "format": TRACK_FORMAT,
            "version": TRACK_VERSION,
            "source": self.source,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "model": self.model,
            "duration_s": self.duration_s,
            "frames": len(self.frames),
            "segmentation": self.segmentation,
        }


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def save_track(track: Track, path: str | Path) -> Path:
    """Write ``track`` to ``path`` (gzip JSON lines), through a temporary file beside it that is
    renamed into place only when complete. Non-finite numbers are written as ``null``."""
    path = Path(path)
    head = track.header()
    for key in ("fps", "duration_s"):
        head[key] = _finite_or_none(float(head[key])) or 0.0
    with atomic_output(path) as tmp, gzip.open(tmp, "wt", encoding="utf-8") as f:
        f.write(json.dumps(head, allow_nan=False) + "\n")
        for t, frame in track.frames:
            if not math.isfinite(t):
                continue  # a frame without a usable time cannot be replayed
            pose = None if frame is None else frame.to_dict()
            try:
                line = json.dumps({"t_s": round(t, 6), "pose": pose}, allow_nan=False)
            except ValueError:  # NaN/inf coordinates: written as null, read back as "not seen"
                line = json.dumps({"t_s": round(t, 6), "pose": finite_json(pose)}, allow_nan=False)
            f.write(line + "\n")
    return path


def _read_line(f, path: Path, n: int) -> str:
    """One line of at most :data:`MAX_LINE_CHARS` characters; memory stays bounded whatever the
    file decompresses to."""
    line = f.readline(MAX_LINE_CHARS + 1)
    if len(line) > MAX_LINE_CHARS:
        raise TrackError(f"{path}: line {n} is longer than {MAX_LINE_CHARS} characters: not a formcheck track")
    return line


def _open_checked(path: Path):
    try:
        require_regular_file(path, "track", max_bytes=MAX_TRACK_BYTES)
    except (FileNotFoundError, UnsafePathError) as e:
        raise TrackError(str(e)) from None
    return gzip.open(path, "rt", encoding="utf-8")


def is_track_file(path: str | Path) -> bool:
    """True when ``path`` is a regular file that starts like a formcheck track (bounded sniff, no
    exception). Used to say what a misnamed file really is, never to decide alone."""
    try:
        with _open_checked(Path(path)) as f:
            head = json.loads(_read_line(f, Path(path), 1))
        return isinstance(head, dict) and head.get("format") == TRACK_FORMAT
    except (OSError, EOFError, ValueError, UnicodeDecodeError, TrackError):
        return False


def iter_track(path: str | Path) -> tuple[dict, Iterator[tuple[float, PoseFrame | None]]]:
    """The header and a lazy iterator over the frames of a track file."""
    path = Path(path)
    f = _open_checked(path)
    try:
        head = json.loads(_read_line(f, path, 1))
    except (OSError, EOFError, ValueError, UnicodeDecodeError, TrackError) as e:
        f.close()
        if isinstance(e, TrackError):
            raise
        raise TrackError(f"{path}: not a formcheck track ({e.__class__.__name__})") from None
    if not isinstance(head, dict) or head.get("format") != TRACK_FORMAT:
        f.close()
        raise TrackError(f"{path}: not a formcheck track")
    try:
        version = int(head.get("version", 0))
        for key in ("fps", "duration_s"):
            float(head.get(key, 0.0) or 0.0)
    except (TypeError, ValueError, OverflowError):
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
                    line = _read_line(f, path, n + 1)  # reading can fail too: a cut-off gzip stream
                except (OSError, EOFError, UnicodeDecodeError):
                    raise TrackError(f"{path}: the file is truncated after line {n}") from None
                if not line:
                    return
                n += 1
                if n > MAX_LINES:
                    raise TrackError(f"{path}: more than {MAX_LINES} lines: not a formcheck track")
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                    pose = d.get("pose")
                    t = d["t_s"]
                    item = (math.nan if t is None else float(t)), (None if pose is None else PoseFrame.from_dict(pose))
                except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as e:
                    raise TrackError(f"{path}: line {n} is damaged ({e.__class__.__name__})") from None
                yield item

    return head, frames()


def load_track(path: str | Path) -> Track:
    """Read a whole track file into memory."""
    head, frames = iter_track(path)
    tr = Track(
        source=str(head.get("source", "")),
        fps=header_number(head, "fps"),
        width=int(header_number(head, "width")),
        height=int(header_number(head, "height")),
        model=str(head.get("model", "")),
        duration_s=header_number(head, "duration_s"),
        segmentation=bool(head.get("segmentation", False)),
    )
    tr.frames = list(frames)
    return tr


def header_number(head: dict, key: str) -> float:
    """A non-negative finite number from a track header; 0.0 when missing, null, NaN, infinite,
    negative or not a number (0 means "unknown" for fps, duration and size)."""
    try:
        x = float(head.get(key) or 0.0)
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return x if math.isfinite(x) and x > 0 else 0.0
