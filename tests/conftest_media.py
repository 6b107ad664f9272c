"""Makers of fixture media (real files written with PyAV / OpenCV into a directory).

Each ``make_*`` takes a directory and returns the path it wrote. Pure helpers: the
conftest wraps them in fixtures. Frames show moving shapes, never a person.
"""

from __future__ import annotations

import math
import wave
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

#: The real clip of a person doing a glute bridge (640x480, 30 fps, 3.1 s, ~91 frames).
_CLIP_CANDIDATES = (
    Path(__file__).resolve().parents[1] / "sample_videos" / "bridge_side_physiocore.mp4",
    Path("/work/shared/clips/bridge_side_physiocore.mp4"),
)


def bridge_clip() -> Path | None:
    """Path of the bridge clip (sample_videos/ preferred), or None if neither copy exists."""
    for p in _CLIP_CANDIDATES:
        if p.is_file():
            return p
    return None


def synthetic_frame(i: int, width: int = 320, height: int = 240) -> np.ndarray:
    """A BGR frame with a moving circle and rectangle (deterministic in ``i``)."""
    img = np.full((height, width, 3), 40, np.uint8)
    img[:, :, 0] = np.linspace(30, 120, width, dtype=np.uint8)[None, :]
    cx = int((0.1 + 0.8 * ((i * 7) % 100) / 100) * width)
    cy = int(height / 2 + height / 4 * math.sin(i / 5))
    r = max(4, min(width, height) // 10)
    cv2.circle(img, (cx, cy), r, (0, 200, 255), -1)
    cv2.rectangle(img, (width - cx - r, height // 5), (width - cx + r, height // 5 + r), (255, 255, 255), -1)
    return img


def write_mp4(
    path: Path,
    n_frames: int = 30,
    fps: int = 30,
    width: int = 320,
    height: int = 240,
    pts: list[int] | None = None,
    time_base: Fraction | None = None,
    rotation_ccw: int = 0,
    faststart: bool = False,
    codec: str = "libx264",
) -> Path:
    """Encode a synthetic clip; ``pts`` (in ``time_base`` units) makes it variable frame rate.

    ``rotation_ccw``: display-matrix rotation in degrees counter-clockwise (PyAV convention).
    """
    opts = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), mode="w", options=opts) as c:
        s = c.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"preset": "ultrafast"} if codec == "libx264" else {}
        tb = time_base or Fraction(1, fps)
        s.codec_context.time_base = tb
        if rotation_ccw:
            s.set_display_rotation(rotation_ccw)
        for i in range(n_frames):
            f = av.VideoFrame.from_ndarray(synthetic_frame(i, width, height), format="bgr24")
            f.pts = pts[i] if pts is not None else i
            f.time_base = tb
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


def make_synthetic_mp4(d: Path, name: str = "synthetic.mp4", n_frames: int = 30, fps: int = 30) -> Path:
    """A 320x240 H.264 mp4 of moving shapes, ``n_frames`` at ``fps``."""
    return write_mp4(d / name, n_frames=n_frames, fps=fps)


def make_zero_byte(d: Path, name: str = "empty.mp4") -> Path:
    p = d / name
    p.write_bytes(b"")
    return p


def make_text_mp4(d: Path, name: str = "notes.mp4") -> Path:
    p = d / name
    p.write_text("This is not a video.\nJust some text pretending to be one.\n" * 20)
    return p


def make_truncated_mp4(
    d: Path, name: str = "truncated.mp4", keep: float = 0.3, faststart: bool = False, n_frames: int = 60
) -> Path:
    """The first ``keep`` fraction of a valid mp4's bytes.

    Without faststart the index (moov) sits at the end and is lost; with faststart it is at
    the front, so the frames that survive can still be decoded.
    """
    full = write_mp4(d / ("full_" + name), n_frames=n_frames, faststart=faststart)
    data = full.read_bytes()
    p = d / name
    p.write_bytes(data[: int(len(data) * keep)])
    full.unlink()
    return p


def make_png(d: Path, name: str = "picture.png") -> Path:
    p = d / name
    cv2.imwrite(str(p), synthetic_frame(0))
    return p


def make_jpg(d: Path, name: str = "photo.jpg") -> Path:
    p = d / name
    cv2.imwrite(str(p), synthetic_frame(0))
    return p


def make_png_named_mp4(d: Path, name: str = "image_in_disguise.mp4") -> Path:
    p = d / name
    ok, buf = cv2.imencode(".png", synthetic_frame(0))
    assert ok
    p.write_bytes(buf.tobytes())
    return p


def make_audio_m4a(d: Path, name: str = "sound.m4a", seconds: float = 1.0, rate: int = 44100) -> Path:
    """An AAC audio-only .m4a (a 440 Hz tone)."""
    p = d / name
    n = int(seconds * rate)
    with av.open(str(p), mode="w") as c:
        s = c.add_stream("aac", rate=rate)
        s.layout = "mono"
        t = np.arange(n) / rate
        samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        chunk = 1024
        for k in range(0, n, chunk):
            block = samples[k : k + chunk][None, :]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = k
            for pkt in s.encode(frame):
                c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    return p


def make_audio_wav(d: Path, name: str = "sound.wav", seconds: float = 0.5, rate: int = 16000) -> Path:
    p = d / name
    t = np.arange(int(seconds * rate)) / rate
    pcm = (10000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return p


def make_rotated_mp4(d: Path, name: str = "rotated.mp4", rotation_ccw: int = 90) -> Path:
    """A 320x240 clip stored sideways with a display-matrix rotation (like a phone video).

    The stored frames have a white marker in the top-left corner; shown upright (rotated
    ``rotation_ccw`` degrees counter-clockwise) the marker is bottom-left for 90.
    """
    p = d / name
    w, h = 320, 240
    with av.open(str(p), mode="w") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": "ultrafast"}
        s.set_display_rotation(rotation_ccw)
        for i in range(10):
            img = np.zeros((h, w, 3), np.uint8)
            img[:40, :60] = 255
            f = av.VideoFrame.from_ndarray(img, format="bgr24")
            f.pts = i
            for pkt in s.encode(f):
                c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    return p


#: Presentation times (ms) of the VFR fixture: irregular gaps from 10 to 120 ms.
VFR_PTS_MS: tuple[int, ...] = (0, 33, 66, 176, 186, 200, 320, 353, 400, 410, 530, 563)


def make_vfr_mp4(d: Path, name: str = "vfr.mp4") -> Path:
    """A variable frame rate clip whose frames sit at :data:`VFR_PTS_MS` milliseconds."""
    return write_mp4(d / name, n_frames=len(VFR_PTS_MS), fps=30, pts=list(VFR_PTS_MS), time_base=Fraction(1, 1000))


def make_4k_mp4(d: Path, name: str = "uhd.mp4", n_frames: int = 3) -> Path:
    """A 3840x2160 clip of a few frames."""
    return write_mp4(d / name, n_frames=n_frames, fps=30, width=3840, height=2160)
