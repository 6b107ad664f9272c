"""Video in and out: decoding files (PyAV), webcams (OpenCV), writing annotated video.

Frames are BGR ``uint8`` arrays (H, W, 3), upright (container rotation applied).
Timestamps are seconds of video time: from each frame's pts for files (the first frame
is 0.0, variable frame rate preserved), from ``time.monotonic()`` for cameras.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import av
import cv2
import numpy as np

log = logging.getLogger(__name__)

T = TypeVar("T")

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".heic"}
_IMAGE_CODECS = {"png", "mjpeg", "jpegls", "bmp", "gif", "webp", "tiff", "jpeg2000", "apng"}
#: Elementary streams without container timing: FFmpeg's demuxer assumes 25 fps for them, so
#: they are timed at the rate the codec itself declares (e.g. H.264's VUI timing).
_RAW_STREAM_FORMATS = {"h264", "hevc", "m4v", "mpegvideo", "cavsvideo", "vc1", "obu", "av1", "rawvideo", "mjpeg"}
#: Give up on a file after this many undecodable packets in a row.
_MAX_CONSECUTIVE_ERRORS = 50


class VideoError(Exception):
    """A video could not be opened, read or written. The message is one line naming the file."""


@dataclass
class VideoInfo:
    """What we know about a video before decoding all of it.

    Attributes:
        path: the file (or ``"camera:N"``).
        width, height: frame size in pixels as yielded (after rotation and any downscale).
        fps: nominal frame rate (frames per second); actual frames may be irregular.
        frame_count: estimated number of frames, 0 if unknown.
        duration_s: estimated duration in seconds, 0.0 if unknown.
        rotation_deg: clockwise rotation applied to make frames upright: 0, 90, 180 or 270.
        codec: decoder name, e.g. ``"h264"``.
    """

    path: str
    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float
    rotation_deg: int
    codec: str


def _err(path: Path | str, what: str) -> VideoError:
    from formcheck.core.fileio import one_line

    msg = f"{one_line(Path(path).name)}: {what}"
    return VideoError(" ".join(msg.split()))  # guarantee one line


def _check_file(path: Path) -> None:
    """Raise VideoError for things that are plainly not a video file. A FIFO, device or socket
    is refused before it is opened (opening one can block forever)."""
    from formcheck.core.fileio import UnsafePathError, require_regular_file

    if not path.exists() and not path.is_symlink():
        raise _err(path, "file not found")
    if path.is_dir():
        raise _err(path, "is a directory, not a video file")
    try:
        require_regular_file(path, "video")
    except (FileNotFoundError, UnsafePathError) as e:
        raise VideoError(str(e)) from None
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as e:
        raise _err(path, f"cannot be read ({e.strerror or e})") from e
    if size == 0:
        raise _err(path, "is an empty file (0 bytes), not a video")
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            raise _err(path, f"is an image ({kind}), not a video")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise _err(path, "is an image (WebP), not a video")


def _codec_rate(stream: av.video.stream.VideoStream) -> Fraction | None:
    """The frame rate the codec declares (frames per second), or None."""
    try:
        rate = stream.codec_context.framerate
    except (AttributeError, ValueError):  # pragma: no cover
        return None
    return rate if rate and rate > 0 else None


def _rotate_code(rotation_ccw: int) -> tuple[int, int | None]:
    """From a display-matrix angle (degrees counter-clockwise) to (clockwise degrees, cv2 rotate code)."""
    cw = (-int(round(rotation_ccw / 90.0)) * 90) % 360
    code = {
        0: None,
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }[cw]
    return cw, code


def _set_threads(stream: av.video.stream.VideoStream) -> None:
    """One decoder thread up to 1080p (leaves the other core to MediaPipe; threads cost
    more CPU in total), frame+slice threads for bigger videos."""
    try:
        if (stream.width or 0) * (stream.height or 0) > 1920 * 1088:
            stream.thread_type = "AUTO"
        else:
            stream.codec_context.thread_count = 1
    except (AttributeError, ValueError, av.error.FFmpegError):  # pragma: no cover
        log.debug("could not set decoder threads", exc_info=True)


def _scaled_size(w: int, h: int, max_side: int | None) -> tuple[int, int]:
    """Size (w, h) in pixels with the longest side at most ``max_side``, aspect kept, even numbers."""
    if not max_side or max(w, h) <= max_side:
        return w, h
    s = max_side / max(w, h)
    nw = max(2, int(round(w * s / 2)) * 2)
    nh = max(2, int(round(h * s / 2)) * 2)
    return nw, nh


class VideoReader:
    """Decodes a video file with PyAV. Use :func:`open_video`.

    Iterating yields ``(t_s, frame_bgr)``: ``t_s`` in seconds from the first frame's pts
    (as stored: may repeat or go backwards in broken files), ``frame_bgr`` upright
    uint8 (H, W, 3), downscaled so its longest side is at most ``max_side`` pixels.
    Each iteration decodes the file from the start.
    """

    def __init__(self, path: str | os.PathLike, max_side: int | None = None) -> None:
        self.path = Path(path)
        self.max_side = max_side
        self.frames_decoded = 0
        _check_file(self.path)
        self._container: av.container.InputContainer | None = None
        self._first: tuple[tuple[int, av.VideoFrame], Iterator[tuple[int, av.VideoFrame]]] | None = None
        self._rot_ccw = 0
        self.t0_s: float | None = None
        container = self._open_container()
        try:
            self.info = self._probe(container)
        except BaseException:
            container.close()
            raise
        self._container = container

    # -- opening ----------------------------------------------------------------------
    def _open_container(self) -> av.container.InputContainer:
        try:
            return av.open(str(self.path), mode="r")
        except av.error.FFmpegError as e:
            raise _err(self.path, "not a video file, or it is damaged (could not read its format)") from e

    def _probe(self, container: av.container.InputContainer) -> VideoInfo:
        path = self.path
        fmt = container.format.name or ""
        if not container.streams.video:
            if container.streams.audio:
                raise _err(path, "has no video stream (it contains only audio)")
            raise _err(path, "not a video file (no video stream found)")
        stream = container.streams.video[0]
        codec = stream.codec_context.name if stream.codec_context else "unknown"
        if (
            fmt.endswith("_pipe")
            or fmt == "image2"
            or (codec in _IMAGE_CODECS and path.suffix.lower() in _IMAGE_SUFFIXES)
        ):
            raise _err(path, "is an image, not a video")
        _set_threads(stream)
        # Decode the first frame now: it proves the file decodes and carries the rotation.
        gen = self._decode_frames(container, stream)
        first = next(gen, None)
        if first is None:
            raise _err(path, "no video frames could be decoded (the file is damaged or truncated)")
        self._first = (first, gen)
        frame0 = first[1]
        #: the first frame's presentation time (s, as stored), from which ``t_s`` counts; None without timestamps
        self.t0_s = float(frame0.pts * frame0.time_base) if frame0.pts is not None and frame0.time_base else None
        rot = int(getattr(frame0, "rotation", 0) or 0)
        if rot == 0:
            tag = stream.metadata.get("rotate")  # old-style tag, clockwise degrees
            if tag:
                try:
                    rot = -int(float(tag))
                except ValueError:
                    rot = 0
        self._rot_ccw = rot
        cw, _ = _rotate_code(rot)
        sw, sh = _scaled_size(frame0.width, frame0.height, self.max_side)
        w, h = (sh, sw) if cw in (90, 270) else (sw, sh)
        if fmt in _RAW_STREAM_FORMATS:  # no container timing: the codec's own rate, not the demuxer's 25 fps
            rate = _codec_rate(stream) or stream.guessed_rate or stream.average_rate or stream.base_rate
            log.info("%s: a raw %s stream without container timing, timed at %s fps", path.name, fmt, rate)
        else:
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if not (0 < fps < 10_000):  # absurd or unknown: frames without timestamps fall back to 30 fps
            fps = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        else:
            duration = 0.0
        count = int(stream.frames or 0)
        if count == 0 and duration > 0 and fps > 0:
            count = int(round(duration * fps))
        if fps <= 0 and count > 0 and duration > 0:
            fps = count / duration
        return VideoInfo(str(path), int(w), int(h), fps, count, duration, cw, codec)

    def _decode_frames(
        self, container: av.container.InputContainer, stream: av.video.stream.VideoStream
    ) -> Iterator[tuple[int, av.VideoFrame]]:
        """Yield (index, frame), skipping undecodable packets with a warning."""
        idx = 0
        consecutive = 0
        demux = container.demux(stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                break
            except av.error.FFmpegError as e:
                log.warning("%s: stopped reading at a damaged part of the file (%s)", self.path.name, e)
                break
            try:
                frames = packet.decode()
            except av.error.FFmpegError as e:
                consecutive += 1
                log.warning("%s: skipped a damaged packet (%s)", self.path.name, e)
                if consecutive >= _MAX_CONSECUTIVE_ERRORS:
                    log.warning("%s: too many damaged packets in a row; stopping", self.path.name)
                    break
                continue
            consecutive = 0
            for frame in frames:
                yield idx, frame
                idx += 1

    # -- iteration ----------------------------------------------------------------------
    def _to_bgr(self, frame: av.VideoFrame) -> np.ndarray:
        w, h = _scaled_size(frame.width, frame.height, self.max_side)
        img: np.ndarray
        if (w, h) != (frame.width, frame.height):
            img = frame.to_ndarray(format="bgr24", width=w, height=h, interpolation="AREA")
        elif frame.format.name == "yuv420p" and w % 2 == 0 and h % 2 == 0:
            # 3x faster than swscale's bgr24 (0.17 vs 0.5 ms at 640x480); same BT.601 maths
            img = cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
        else:
            img = frame.to_ndarray(format="bgr24")
        _, code = _rotate_code(self._rot_ccw)
        if code is not None:
            img = cv2.rotate(img, code)
        return np.ascontiguousarray(img)

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        return self.frames()

    def frames(self, pick: Callable[[float], bool] | None = None) -> Iterator[tuple[float, np.ndarray]]:
        """Like iterating the reader, but only the frames for which ``pick(t_s)`` is true are
        converted to BGR and yielded (every frame is still decoded: a compressed frame needs the
        ones before it). ``frames_decoded`` counts all of them."""
        for d in self.decoded(pick, keep_skipped=False):
            yield d.t_s, d.image()

    def decoded(
        self,
        pick: Callable[[float], bool] | None = None,
        keep_skipped: bool = True,
        seek_pts: int | None = None,
    ) -> Iterator[Decoded]:
        """Every decoded frame as a :class:`Decoded`, in order: those for which ``pick(t_s)`` is true
        converted to BGR here (on the thread iterating, e.g. :func:`prefetch`'s), the others (with
        ``keep_skipped``; else they are not yielded) converted only if their ``image()`` is asked for,
        so a caller can still analyse a frame the stride skipped (see
        :class:`formcheck.media.pipeline.StridedAnalysis`). ``frames_decoded`` counts all of them.

        ``seek_pts``: start at the frame with this presentation timestamp (in the video stream's time
        base units), decoding from the key frame before it; frames before it are decoded (counted) but not
        yielded, and ``t_s`` is still counted from the file's first frame, to the same float as from the
        start (:mod:`formcheck.media.chunks`). Raises :class:`VideoError` if the file's frames carry no
        timestamps, or the seek lands after that frame."""
        container = self._container
        first = self._first
        self._container, self._first = None, None
        if container is None:
            container = self._open_container()
            first = None
        try:
            stream = container.streams.video[0]
            if first is None:
                _set_threads(stream)
            fps = self.info.fps or 30.0
            t0: float | None = None
            frames: Iterable[tuple[int, av.VideoFrame]]
            if seek_pts is not None:
                if self.t0_s is None:
                    raise _err(self.path, "cannot start in the middle: its frames carry no timestamps")
                container.seek(int(seek_pts), stream=stream, backward=True, any_frame=False)
                frames = self._decode_frames(container, stream)
                t0 = self.t0_s
            elif first is not None:
                frames = _chain_first(first[0], first[1])
            else:
                frames = self._decode_frames(container, stream)
            for idx, frame in frames:
                if seek_pts is not None:
                    if frame.pts is None or frame.time_base is None:
                        raise _err(self.path, "cannot start in the middle: a frame carries no timestamp")
                    if idx == 0 and frame.pts > seek_pts:
                        raise _err(self.path, "cannot start in the middle: the seek landed after the frame asked for")
                    if frame.pts < seek_pts:
                        self.frames_decoded += 1
                        continue
                if frame.pts is not None and frame.time_base is not None:
                    t = float(frame.pts * frame.time_base)
                else:
                    t = idx / fps if t0 is None else t0 + idx / fps
                if t0 is None:
                    t0 = t
                self.frames_decoded += 1
                if pick is None or pick(t - t0):
                    yield Decoded(t - t0, True, image=self._to_bgr(frame))
                elif keep_skipped:
                    yield Decoded(t - t0, False, frame=frame, convert=self._to_bgr)
        finally:
            container.close()

    def close(self) -> None:
        """Release the file."""
        if self._container is not None:
            self._container.close()
            self._container = None
            self._first = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:  # noqa: BLE001 - during garbage collection nothing can be raised, and at
            pass  # interpreter exit logging may be gone: close() is called explicitly everywhere


class Decoded:
    """One decoded video frame: its time ``t_s`` (seconds from the first frame), whether the frame
    picker chose it (``picked``), and its BGR image, converted on the first call of :meth:`image` when
    it was not converted already (a frame the stride skipped costs only its decoding unless it is
    analysed after all)."""

    __slots__ = ("t_s", "picked", "_image", "_frame", "_convert")

    def __init__(
        self,
        t_s: float,
        picked: bool,
        image: np.ndarray | None = None,
        frame: av.VideoFrame | None = None,
        convert: Callable[[av.VideoFrame], np.ndarray] | None = None,
    ) -> None:
        self.t_s, self.picked = float(t_s), bool(picked)
        self._image, self._frame, self._convert = image, frame, convert

    def image(self) -> np.ndarray:
        """The frame as a uint8 BGR array (converted once, then kept)."""
        if self._image is None:
            if self._convert is None or self._frame is None:
                raise ValueError("a Decoded frame needs an image or a frame and its converter")
            self._image = self._convert(self._frame)
            self._frame = None
        return self._image


def _chain_first(first: T, rest: Iterable[T]) -> Iterator[T]:
    yield first
    yield from rest


def open_video(path: str | os.PathLike, max_side: int | None = None) -> VideoReader:
    """Open a video file for decoding; raises :class:`VideoError` with a one-line message.

    ``max_side``: downscale at decode so the longest side is at most this many pixels.
    """
    return VideoReader(path, max_side=max_side)


# -- frame striding ----------------------------------------------------------------------
#: A video analysed every ``k``-th frame keeps at least ``max_fps`` frames a second. (Tried: keeping 95 % of
#: it, so that 29.97 and 59.94 fps video strides like 30 and 60; at 59.94 fps every fourth frame, real
#: clips' holds moved by up to 1.4 s and a fault appeared, while every third frame gives the same results.)
STRIDE_SLACK = 1.0


def stride_for(fps: float, max_fps: float | None) -> int:
    """Analyse every ``stride``-th frame of a ``fps`` video: the largest whole number that still
    leaves at least ``max_fps`` frames of each second (``fps // max_fps``), at least 1. A 30 fps
    video at ``max_fps`` 15 is analysed every second frame, a 60 fps one every fourth, a 25 fps one
    at every frame: the checkers were tuned and tested on 15-60 fps, and below that a filter over a
    fifth of a second holds too few frames to steady the pose noise the same way. ``max_fps`` None
    or 0 (or an unknown ``fps``): every frame."""
    if not max_fps or max_fps <= 0 or not fps or fps <= 0 or not np.isfinite(fps):
        return 1
    return max(1, int(fps / (STRIDE_SLACK * max_fps) + 1e-6))


class FramePicker:
    """Chooses, from their timestamps (seconds), the frames to analyse: one every ``stride / fps``
    seconds. Call it with each decoded frame's time in order; True means analyse this one.

    By time, not by index, so a variable-frame-rate video keeps an even analysed rate; a frame whose
    time goes backwards (two recordings joined) is always kept, so the re-timing downstream sees it.
    With ``stride`` 1 every frame is kept.
    """

    def __init__(self, fps: float, max_fps: float | None) -> None:
        self.stride = stride_for(fps, max_fps)
        self.period_s = self.stride / fps if self.stride > 1 else 0.0
        self._tol_s = 0.5 / fps if self.stride > 1 else 0.0  # half a frame: pts rounding never skips one too many
        self._last: float | None = None

    def __call__(self, t_s: float) -> bool:
        if self.stride == 1:
            return True
        last = self._last
        if last is None or not np.isfinite(t_s) or t_s < last or t_s >= last + self.period_s - self._tol_s:
            self._last = t_s if np.isfinite(t_s) else last
            return True
        return False


# -- background decode ------------------------------------------------------------------
class _Done:
    pass


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(iterable: Iterable[T], maxsize: int = 8) -> Generator[T, None, None]:
    """Iterate ``iterable`` on a background thread, ``maxsize`` items ahead.

    Exceptions raised by the source are re-raised in the consumer. Closing the
    generator early (``break``, ``close()``) stops and joins the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=maxsize)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def worker() -> None:
        it = iter(iterable)
        try:
            for item in it:
                if not put(item):
                    break
            else:
                put(_Done())
                return
        except BaseException as e:  # noqa: BLE001 - forwarded to the consumer
            put(_Raised(e))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # pragma: no cover - a bug in a source: logged, the consumer carries on
                    log.error("closing the prefetched iterator failed", exc_info=True)

    thread = threading.Thread(target=worker, name="formcheck-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                while True:
                    q.get_nowait()
            except queue.Empty:
                pass
            thread.join(timeout=0.05)


# -- writing ----------------------------------------------------------------------------
class VideoWriter:
    """Writes BGR frames to a video that plays in a browser's ``<video>``.

    ``.mp4`` → H.264 (libx264, yuv420p, crf 23, preset veryfast, faststart);
    ``.webm`` → VP9 (libvpx-vp9, realtime). ``size`` is (width, height) in pixels; odd
    sizes are cropped by one pixel to even. ``fps`` is frames per second; frames are
    timed from their index unless ``write(frame, t_s)`` passes a time in seconds.
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int], crf: int = 23) -> None:
        self.path = Path(path)
        ext = self.path.suffix.lower()
        if ext not in (".mp4", ".webm"):
            raise _err(self.path, "cannot write this format: use .mp4 or .webm")
        if fps <= 0:
            raise _err(self.path, f"frame rate must be positive, got {fps}")
        w, h = int(size[0]), int(size[1])
        if w < 2 or h < 2:
            raise _err(self.path, f"frame size {w}x{h} is too small")
        self.size = (w, h)
        self._enc_size = (w - w % 2, h - h % 2)
        self.fps = float(fps)
        self.frames_written = 0
        self._last_pts = -1
        rate = Fraction(self.fps).limit_denominator(1001)
        try:
            if ext == ".mp4":
                self._container = av.open(str(self.path), mode="w", options={"movflags": "+faststart"})
                stream = self._container.add_stream("libx264", rate=rate)
                stream.options = {"crf": str(crf), "preset": "veryfast"}
            else:
                self._container = av.open(str(self.path), mode="w")
                stream = self._container.add_stream("libvpx-vp9", rate=rate)
                stream.options = {
                    "crf": str(max(crf, 31)),
                    "b": "0",
                    "deadline": "realtime",
                    "cpu-used": "8",
                    "row-mt": "1",
                }
        except (av.error.FFmpegError, OSError) as e:
            raise _err(self.path, f"cannot be written ({e})") from e
        stream.width, stream.height = self._enc_size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        self._stream = stream
        self._closed = False

    def write(self, frame_bgr: np.ndarray, t_s: float | None = None) -> None:
        """Encode one BGR uint8 frame of ``size``; ``t_s`` optional presentation time in seconds."""
        if self._closed:
            raise _err(self.path, "writer is already closed")
        h, w = frame_bgr.shape[:2]
        if (w, h) != self.size:
            frame_bgr = cv2.resize(frame_bgr, self.size, interpolation=cv2.INTER_AREA)
        ew, eh = self._enc_size
        if (ew, eh) != self.size:
            frame_bgr = frame_bgr[:eh, :ew]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_bgr), format="bgr24")
        t = self.frames_written / self.fps if t_s is None else float(t_s)
        pts = int(round(t * 1000))
        if pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = Fraction(1, 1000)
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except av.error.FFmpegError as e:
            raise _err(self.path, f"writing failed ({e})") from e
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        if self._closed:
            return
        self._closed = True
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- cameras ----------------------------------------------------------------------------
class CameraReader:
    """A webcam via ``cv2.VideoCapture``; iterating yields ``(t_s, frame_bgr)``.

    ``t_s`` is seconds of ``time.monotonic()`` since the camera was opened.
    """

    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None) -> None:
        self.index = index
        cap = cv2.VideoCapture(index)
        if not cap.isOpened():
            cap.release()
            raise VideoError(f"No camera found at index {index}")
        if width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise VideoError(f"No camera found at index {index} (it opened but gave no picture)")
        self._cap: cv2.VideoCapture | None = cap
        self._t0 = time.monotonic()
        self._first: np.ndarray | None = frame
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        h, w = frame.shape[:2]
        self.info = VideoInfo(f"camera:{index}", w, h, fps, 0, 0.0, 0, "camera")

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        if self._first is not None:
            frame, self._first = self._first, None
            yield 0.0, frame
        while self._cap is not None:
            ok, frame = self._cap.read()
            if not ok or frame is None:
                log.warning("camera %d stopped giving frames", self.index)
                return
            yield time.monotonic() - self._t0, frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __enter__(self) -> CameraReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_camera(index: int = 0, width: int | None = None, height: int | None = None) -> CameraReader:
    """Open webcam ``index``; raises ``VideoError("No camera found at index N")``."""
    return CameraReader(index, width, height)
