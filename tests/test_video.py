"""Video I/O on real files generated at test time (no mocks of PyAV / OpenCV)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import av
import conftest_media as cm
import numpy as np
import pytest

from formcheck.media.video import (
    VideoError,
    VideoInfo,
    VideoWriter,
    open_camera,
    open_video,
    prefetch,
)


def _assert_one_line_naming(err: pytest.ExceptionInfo, path: Path, *fragments: str) -> None:
    msg = str(err.value)
    assert "\n" not in msg
    assert path.name in msg
    for frag in fragments:
        assert frag in msg, msg


# -- bad inputs ---------------------------------------------------------------------------
def test_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "nope.mp4"
    with pytest.raises(VideoError) as e:
        open_video(p)
    _assert_one_line_naming(e, p, "not found")


def test_directory(tmp_path: Path) -> None:
    d = tmp_path / "clips.mp4"
    d.mkdir()
    with pytest.raises(VideoError) as e:
        open_video(d)
    _assert_one_line_naming(e, d, "directory")


def test_zero_byte(tmp_path: Path) -> None:
    p = cm.make_zero_byte(tmp_path)
    with pytest.raises(VideoError) as e:
        open_video(p)
    _assert_one_line_naming(e, p, "empty")


def test_text_named_mp4(tmp_path: Path) -> None:
    p = cm.make_text_mp4(tmp_path)
    with pytest.raises(VideoError) as e:
        open_video(p)
    _assert_one_line_naming(e, p, "not a video file")


def test_truncated_mp4_without_index(tmp_path: Path) -> None:
    p = cm.make_truncated_mp4(tmp_path)
    with pytest.raises(VideoError) as e:
        open_video(p)
    _assert_one_line_naming(e, p, "damaged")


def test_truncated_mp4_decodes_what_survives(tmp_path: Path) -> None:
    p = cm.make_truncated_mp4(tmp_path, "trunc_faststart.mp4", faststart=True, n_frames=60)
    with open_video(p) as r:
        frames = list(r)
    assert 0 < len(frames) < 60
    ts = [t for t, _ in frames]
    assert ts[0] == 0.0 and all(b > a for a, b in zip(ts, ts[1:]))


def test_truncated_with_nothing_decodable(tmp_path: Path) -> None:
    p = cm.make_truncated_mp4(tmp_path, "tiny_faststart.mp4", keep=0.02, faststart=True)
    with pytest.raises(VideoError) as e:
        open_video(p)
    _assert_one_line_naming(e, p)


@pytest.mark.parametrize("maker", [cm.make_png, cm.make_jpg, cm.make_png_named_mp4])
def test_image_files(tmp_path: Path, maker) -> None:
    p = maker(tmp_path)
    with pytest.raises(VideoError) as e:
        open_video(p)
    _assert_one_line_naming(e, p, "is an image", "not a video")


@pytest.mark.parametrize("maker", [cm.make_audio_m4a, cm.make_audio_wav])
def test_audio_only(tmp_path: Path, maker) -> None:
    p = maker(tmp_path)
    with pytest.raises(VideoError) as e:
        open_video(p)
    _assert_one_line_naming(e, p, "has no video stream")


# -- good inputs --------------------------------------------------------------------------
def test_synthetic_counts_and_timestamps(tmp_path: Path) -> None:
    p = cm.make_synthetic_mp4(tmp_path, n_frames=30, fps=30)
    with open_video(p) as r:
        info = r.info
        frames = list(r)
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(30.0)
    assert info.frame_count == 30
    assert info.duration_s == pytest.approx(1.0, abs=0.05)
    assert info.rotation_deg == 0 and info.codec == "h264"
    assert len(frames) == 30
    ts = np.array([t for t, _ in frames])
    np.testing.assert_allclose(ts, np.arange(30) / 30, atol=1e-6)
    f = frames[0][1]
    assert f.dtype == np.uint8 and f.shape == (240, 320, 3) and f.flags["C_CONTIGUOUS"]


def test_iterating_twice_decodes_again(tmp_path: Path) -> None:
    p = cm.make_synthetic_mp4(tmp_path, n_frames=10)
    r = open_video(p)
    assert len(list(r)) == 10
    assert len(list(r)) == 10
    r.close()


def test_rotation_respected(tmp_path: Path) -> None:
    p = cm.make_rotated_mp4(tmp_path, rotation_ccw=90)
    with open_video(p) as r:
        info = r.info
        frames = list(r)
    assert info.rotation_deg in (90, 270)
    assert (info.width, info.height) == (240, 320)
    img = frames[0][1]
    assert img.shape == (320, 240, 3)
    # stored marker at top-left; displayed 90 degrees counter-clockwise it is bottom-left
    assert img[-10, 10].mean() > 200
    assert img[10, 10].mean() < 50 and img[10, -10].mean() < 50 and img[-10, -10].mean() < 50


def test_vfr_timestamps_preserved(tmp_path: Path) -> None:
    p = cm.make_vfr_mp4(tmp_path)
    with open_video(p) as r:
        ts = [t for t, _ in r]
    np.testing.assert_allclose(ts, np.array(cm.VFR_PTS_MS) / 1000.0, atol=1e-3)


def test_4k_downscaled(tmp_path: Path) -> None:
    p = cm.make_4k_mp4(tmp_path, n_frames=3)
    with open_video(p, max_side=1280) as r:
        assert (r.info.width, r.info.height) == (1280, 720)
        frames = list(r)
    assert len(frames) == 3
    assert all(f.shape == (720, 1280, 3) for _, f in frames)


def test_real_clip_if_present() -> None:
    clip = cm.bridge_clip()
    if clip is None:
        pytest.skip("bridge clip not available")
    with open_video(clip) as r:
        assert (r.info.width, r.info.height) == (640, 480)
        ts = [t for t, _ in r]
    assert len(ts) == r.info.frame_count == 91
    assert ts[-1] == pytest.approx(3.0, abs=0.01)


# -- prefetch -------------------------------------------------------------------------------
def test_prefetch_yields_everything_in_order() -> None:
    assert list(prefetch(range(100), maxsize=3)) == list(range(100))


def test_prefetch_propagates_exceptions() -> None:
    def gen():
        yield 1
        yield 2
        raise RuntimeError("decoder blew up")

    got = []
    with pytest.raises(RuntimeError, match="decoder blew up"):
        for x in prefetch(gen()):
            got.append(x)
    assert got == [1, 2]


def test_prefetch_stops_thread_when_consumer_stops() -> None:
    closed = threading.Event()
    produced = []

    def endless():
        try:
            i = 0
            while True:
                produced.append(i)
                yield i
                i += 1
        finally:
            closed.set()

    before = threading.active_count()
    it = prefetch(endless(), maxsize=4)
    for x in it:
        if x == 5:
            break
    it.close()
    assert closed.wait(2.0), "source generator was not closed"
    deadline = time.monotonic() + 2.0
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before
    assert len(produced) < 20  # bounded queue: it did not run away


def test_prefetch_with_video_reader(tmp_path: Path) -> None:
    p = cm.make_synthetic_mp4(tmp_path, n_frames=20)
    with open_video(p) as r:
        out = [t for t, _ in prefetch(r)]
    assert len(out) == 20


# -- writer ---------------------------------------------------------------------------------
@pytest.mark.parametrize("ext,codecs", [(".mp4", {"h264"}), (".webm", {"vp8", "vp9"})])
def test_writer_roundtrip(tmp_path: Path, ext: str, codecs: set[str]) -> None:
    p = tmp_path / f"out{ext}"
    with VideoWriter(p, fps=15, size=(321, 241)) as w:  # odd size: cropped to even
        for i in range(12):
            w.write(cm.synthetic_frame(i, 321, 241))
    assert p.stat().st_size > 0
    with open_video(p) as r:
        assert r.info.codec in codecs
        assert (r.info.width, r.info.height) == (320, 240)
        frames = list(r)
    assert len(frames) == 12
    np.testing.assert_allclose([t for t, _ in frames], np.arange(12) / 15, atol=2e-3)
    with av.open(str(p)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"


def test_writer_with_timestamps(tmp_path: Path) -> None:
    p = tmp_path / "vfr_out.mp4"
    times = [0.0, 0.05, 0.2, 0.21, 0.5]
    with VideoWriter(p, fps=30, size=(160, 120)) as w:
        for i, t in enumerate(times):
            w.write(cm.synthetic_frame(i, 160, 120), t_s=t)
    with open_video(p) as r:
        ts = [t for t, _ in r]
    np.testing.assert_allclose(ts, times, atol=2e-3)


def test_writer_rejects_other_extensions(tmp_path: Path) -> None:
    p = tmp_path / "out.avi"
    with pytest.raises(VideoError) as e:
        VideoWriter(p, fps=30, size=(64, 48))
    _assert_one_line_naming(e, p, "use .mp4 or .webm")


# -- camera ---------------------------------------------------------------------------------
def test_missing_camera_message() -> None:
    with pytest.raises(VideoError, match="No camera found at index 97"):
        open_camera(97)
