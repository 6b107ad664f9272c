"""End-to-end: the real app in headless Chromium with a fake camera fed from a sample clip.

Marked ``browser``. They never skip: without /usr/bin/chromium they fail with a clear message
(the CI script installs it). Playwright drives the Debian Chromium; no browser is downloaded.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import browser_helpers as bh
import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_present():
    if not Path(bh.CHROMIUM).is_file():
        pytest.fail(f"{bh.CHROMIUM} is missing: install the Debian 'chromium' package to run the browser tests")


@pytest.fixture
def server(tmp_path, chromium_present):
    db = tmp_path / "history.sqlite3"
    with bh.streamlit_server({"FORMCHECK_DB": str(db)}, tmp_path / "streamlit.log") as url:
        yield url, db, tmp_path


def _fail_with_log(tmp_path: Path, page, msg: str):
    shot = tmp_path / "failure.png"
    try:
        page.screenshot(path=str(shot), full_page=True)
    except Exception:
        pass
    log = (tmp_path / "streamlit.log").read_text(errors="replace")[-2000:]
    pytest.fail(f"{msg} (screenshot: {shot})\n--- streamlit log tail ---\n{log}")


ROUTINE_DOSES = [
    {"exercise": "bridge", "reps": 1, "hold_s": 3.0, "sides": "none", "paced": False},
    {"exercise": "knee_to_chest", "reps": 1, "hold_s": 2.0, "sides": "each", "paced": True},
    {"exercise": "pelvic_tilt", "enabled": False},
    {"exercise": "bird_dog", "enabled": False},
]

#: What the coach view's counter must be, read from the page: large (CSS px) and high contrast (WCAG ratio).
MIN_COUNTER_PX, MIN_CONTRAST = 64, 7.0

COUNTER_STYLE = """() => {
  const el = document.querySelector("[data-testid='fc-reps']");
  const panel = el.closest('.fc-coach');
  const r = el.getBoundingClientRect();
  const lum = (c) => { const v = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(x => x / 255)
      .map(x => x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const fg = lum(getComputedStyle(el).color), bg = lum(getComputedStyle(panel).backgroundColor);
  const scrolled = [...document.querySelectorAll('*')].some(e => e.scrollTop > 0) || window.scrollY > 0;
  return {top: r.top, bottom: r.bottom, scrolled: scrolled, innerHeight: window.innerHeight,
          size: parseFloat(getComputedStyle(el).fontSize),
          contrast: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)};
}"""


def _shots_dir(tmp: Path) -> Path:
    import os

    d = Path(os.environ.get("FORMCHECK_SCREENSHOTS") or tmp)
    d.mkdir(parents=True, exist_ok=True)
    return d


def _check_counter(page, tmp: Path, what: str) -> None:
    """The counter is inside the 1280x720 window as the person left it (the app brings the coach view
    into the window when the camera starts), large and high contrast."""
    page.locator("[data-testid='fc-reps']").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # the app's own scroll to the coach view
    m = page.evaluate(COUNTER_STYLE)
    if not (0 <= m["top"] and m["bottom"] <= m["innerHeight"]):
        _fail_with_log(tmp, page, f"{what}: the counter is not visible without scrolling: {m}")
    assert m["size"] >= MIN_COUNTER_PX and m["contrast"] >= MIN_CONTRAST, (what, m)


def _wait_text(page, tmp: Path, text: str, timeout_s: float, what: str) -> None:
    try:
        page.get_by_text(text).first.wait_for(timeout=timeout_s * 1000)
    except Exception:
        _fail_with_log(tmp, page, f"{what}: '{text}' did not appear within {timeout_s:g} s")


def test_routine_of_two_exercises_with_a_rest_and_a_side_switch(server):
    """Today's routine in the real app: a bridge counted by the camera (the fake camera plays the bridge
    clip), a rest, then a paced knee-to-chest on the left side, 'now the other side', the right side, and
    the summary. The coach view's counter is checked in a 1280x720 window, in the light and dark theme."""
    from playwright.sync_api import sync_playwright

    from formcheck.app.history import History

    url, db, tmp = server
    h = History(db)
    h.set_pref("doses", ROUTINE_DOSES)
    h.set_pref("rest_s", 3)
    shots = _shots_dir(tmp)
    fake_cam = bh.to_y4m(bh.sample_clip(), tmp)  # Chromium loops this file as the webcam
    with sync_playwright() as pw:
        browser = bh.launch_chromium(pw, fake_cam)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url)
            bh.wait_for_app(page)
            bh.pass_safety_check(page)
            bh.choose_radio(page, "How much does your back hurt right now", "3")
            page.get_by_role("button", name="Start today's routine").click()
            _wait_text(page, tmp, "1 of 2: Glute bridge", 30, "routine start")
            page.wait_for_selector("iframe[title*='webrtc_streamer']", timeout=30_000)
            for attempt in range(2):  # streamlit-webrtc may reset a fresh connection: one retry of START
                bh.click_start(page)
                t0 = time.monotonic()
                while time.monotonic() - t0 < 30 and bh.frames_analysed(page) == 0:
                    time.sleep(0.5)
                if bh.frames_analysed(page) > 0:
                    break
                if attempt == 0:
                    page.reload()
                    bh.wait_for_app(page)
                    page.wait_for_selector("iframe[title*='webrtc_streamer']", timeout=30_000)
            if bh.frames_analysed(page) == 0:
                _fail_with_log(tmp, page, "no frames reached the app after two STARTs")
            _check_counter(page, tmp, "bridge set (light)")
            page.screenshot(path=str(shots / "coach_light.png"))
            # the bridge is counted, the set ends by itself and the rest counts down
            _wait_text(page, tmp, "Rest. Next: Knee-to-chest, left side.", 45, "rest after the bridge")
            rows = History(db).list_sets()
            assert rows and rows[0]["exercise"] == "bridge" and rows[0]["reps"] >= 1 and rows[0]["pain_before"] == 3
            _wait_text(page, tmp, "2 of 2: Knee-to-chest, left side", 15, "knee-to-chest after the rest")
            page.get_by_text("Settings", exact=True).click()
            page.get_by_text("Dark coach screen (white on black)").click()
            page.locator(".fc-coach.dark [data-testid='fc-reps']").first.wait_for(timeout=15_000)
            page.get_by_text("Settings", exact=True).click()  # folded again: the coach view moves back up
            _check_counter(page, tmp, "paced set (dark)")
            try:  # the paced hold counting down
                page.get_by_text(re.compile(r"^\d s to go$")).first.wait_for(timeout=30_000)
            except Exception:
                _fail_with_log(tmp, page, "the paced hold did not count down")
            _check_counter(page, tmp, "paced hold (dark)")
            page.screenshot(path=str(shots / "coach_dark.png"))
            _wait_text(page, tmp, "Now the other side: Knee-to-chest on your right side", 40, "side switch")
            page.screenshot(path=str(shots / "coach_rest_dark.png"))
            _wait_text(page, tmp, "2 of 2: Knee-to-chest, right side", 15, "right side")
            _wait_text(page, tmp, "Today's routine is done", 60, "summary")
            table = page.locator("[data-testid='stTable']").first.inner_text()
            page.screenshot(path=str(shots / "routine_summary.png"))
            assert table.count("Knee-to-chest") == 2 and "Glute bridge" in table and "led (paced)" in table
            sets = History(db).list_sets()
            assert [(s["exercise"], s["paced"], s["finished"]) for s in sets] == [
                ("knee_to_chest", True, True),
                ("knee_to_chest", True, True),
                ("bridge", False, True),
            ]
            assert all(s["reps"] == 1 for s in sets[:2])
        finally:
            browser.close()


def test_upload_shows_rep_table_and_downloads(server):
    from playwright.sync_api import sync_playwright

    url, db, tmp = server
    clip = bh.sample_clip()
    with sync_playwright() as pw:
        browser = bh.launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(url)
            bh.wait_for_app(page)
            bh.goto_page(page, "Analyse a video")
            page.get_by_role("tab", name="Upload your own video").click()
            page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(clip))
            page.get_by_role("button", name="Suggest the exercise from the video").wait_for(timeout=30_000)
            page.locator("[data-testid='stSelectbox']:visible").last.click()
            page.get_by_role("option", name="Glute bridge").click()
            analyse = page.get_by_role("button", name="Analyse my video")
            page.wait_for_function(
                "() => [...document.querySelectorAll('button')].some("
                "b => b.innerText.includes('Analyse my video') && !b.disabled)",
                timeout=30_000,
            )
            analyse.click()
            page.get_by_text("Each repetition").wait_for(timeout=90_000)
            table = page.locator("[data-testid='stTable']").first
            table.wait_for(timeout=30_000)
            assert "Good" in table.inner_text() and "Hold (s)" in table.inner_text()
            page.get_by_role("button", name="Download report (JSON)").wait_for(timeout=30_000)
            page.get_by_role("button", name="Download repetitions (CSV)").wait_for(timeout=30_000)
            assert page.locator("video").count() >= 1
            with page.expect_download() as dl:
                page.get_by_role("button", name="Download repetitions (CSV)").click()
            csv_text = Path(dl.value.path()).read_text()
            assert csv_text.splitlines()[0].startswith("exercise,source,rep")
            assert len(csv_text.splitlines()) == 2  # exactly one rep in this clip
            page.screenshot(path=str(tmp / "upload_result.png"), full_page=True)
        finally:
            browser.close()
    from formcheck.app.history import History

    rows = History(db).list_sets()
    assert rows and rows[0]["source"] == "upload" and rows[0]["source_name"] == clip.name


def test_report_opens_in_chromium_with_table_plot_and_pictures(tmp_path, chromium_present, monkeypatch):
    """`formcheck report CLIP --thumbnails` writes one file that Chromium shows offline, pictures included."""
    from conftest import run_cli
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("FORMCHECK_DB", str(tmp_path / "none.sqlite3"))
    out = tmp_path / "report.html"
    done = run_cli("report", str(bh.sample_clip()), "-e", "bridge", "-o", str(out), "--thumbnails")
    assert done.returncode == 0, done.stderr
    with sync_playwright() as pw:
        browser = bh.launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            failed: list[str] = []
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(out.as_uri())
            rows = page.locator("table#reps tbody tr")
            assert rows.count() == 1 and "Good" in rows.first.inner_text()
            assert page.locator("#plot svg polyline").count() == 1 and page.locator("#plot svg .rep-band").count() == 1
            thumbs = page.locator("img.thumb")
            assert thumbs.count() == 1
            assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
            assert failed == []
            page.screenshot(path=str(_shots_dir(tmp_path) / "report.png"), full_page=True)
            pdf = page.pdf(format="A4")  # it prints: the browser's own PDF of the page
            assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 1
        finally:
            browser.close()
