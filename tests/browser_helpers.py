"""Helpers for the headless-Chromium tests: a Streamlit server, a fake camera, page actions.

Chromium is the Debian one (``/usr/bin/chromium``), driven by Playwright for Python; never run
``playwright install`` (it downloads a browser and fails offline).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
CHROMIUM = os.environ.get("FORMCHECK_CHROMIUM", "/usr/bin/chromium")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def sample_clip(name: str = "bridge_side_physiocore.mp4") -> Path:
    for p in (ROOT / "sample_videos" / name, Path("/work/shared/clips") / name):
        if p.is_file():
            return p
    raise FileNotFoundError(f"sample clip {name} not found in sample_videos/")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def to_y4m(clip: Path, out_dir: Path, fps: int = 30, still_s: float = 2.0) -> Path:
    """Convert ``clip`` to a .y4m file Chromium can use as a fake camera (looped by Chromium).

    ``still_s`` seconds of the first frame, frozen, come first: the person lying still before they
    start, as the live checker needs to learn their resting position (the bridge clip has only
    0.35 s of rest before its rep)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is needed to make the fake camera file (apt-get install ffmpeg)")
    out = out_dir / (clip.stem + ".y4m")
    pad = ["-vf", f"tpad=start_duration={still_s:g}:start_mode=clone"] if still_s > 0 else []
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-i", str(clip), *pad, "-r", str(fps), "-pix_fmt", "yuv420p", str(out)],
        check=True,
        timeout=120,
    )
    return out


@contextlib.contextmanager
def streamlit_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free 127.0.0.1 port; yields the base URL; kills it afterwards."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    full_env = {**os.environ, **env}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited early:\n{log_path.read_text(errors='replace')[-3000:]}")
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not start within 60 s")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def launch_chromium(playwright, fake_video: Path | None = None):
    if not Path(CHROMIUM).is_file():
        raise RuntimeError(f"{CHROMIUM} is missing: install the Debian 'chromium' package (the CI script does)")
    args = list(CHROMIUM_FLAGS)
    if fake_video is not None:
        args.append(f"--use-file-for-fake-video-capture={fake_video}")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    page.wait_for_selector("[data-testid='stSidebar']", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout_ms,
    )


def choose_radio(page, group_text: str, option: str) -> None:
    group = page.locator("[data-testid='stRadio']").filter(has_text=group_text).first
    group.get_by_text(option, exact=True).click()


def pass_safety_check(page) -> None:
    from formcheck.core.safety import RED_FLAGS

    page.get_by_text("Check my answers").wait_for(timeout=60_000)
    for flag in RED_FLAGS:
        choose_radio(page, flag.question, "No")
    page.get_by_role("button", name="Check my answers").click()
    page.get_by_text("Today's safety check is done").wait_for(timeout=30_000)


def goto_page(page, name: str) -> None:
    page.locator("[data-testid='stSidebar']").get_by_text(name, exact=True).click()


def click_start(page, timeout_ms: int = 30_000) -> None:
    frame = page.frame_locator("iframe[title*='webrtc_streamer']")
    frame.get_by_role("button", name="START").click(timeout=timeout_ms)


def frames_analysed(page) -> int:
    import re

    text = page.locator("[data-testid='stCaptionContainer']").filter(has_text="Frames analysed").first.inner_text()
    m = re.search(r"Frames analysed: (\d+)", text)
    return int(m.group(1)) if m else 0


def reps_shown(page) -> int:
    import re

    loc = page.locator("[data-testid='fc-reps']")
    if loc.count() == 0:
        return -1
    m = re.search(r"Reps: (\d+)", loc.first.inner_text())
    return int(m.group(1)) if m else -1
