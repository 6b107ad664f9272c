"""End-to-end: the real app in headless Chromium with a fake camera fed from a sample clip.

Marked ``browser``. They never skip: without /usr/bin/chromium they fail with a clear message
(the CI script installs it). Playwright drives the Debian Chromium; no browser is downloaded.
"""

from __future__ import annotations

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


def test_live_bridge_session_counts_a_rep(server):
    from playwright.sync_api import sync_playwright

    from formcheck.app.history import History

    url, db, tmp = server
    fake_cam = bh.to_y4m(bh.sample_clip(), tmp)  # Chromium loops this file as the webcam
    with sync_playwright() as pw:
        browser = bh.launch_chromium(pw, fake_cam)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(url)
            bh.wait_for_app(page)
            bh.pass_safety_check(page)
            bh.choose_radio(page, "How much does your back hurt right now", "3")
            page.wait_for_selector("iframe[title*='webrtc_streamer']", timeout=30_000)
            reps = -1
            for attempt in range(2):  # streamlit-webrtc may reset a fresh connection: one retry of START
                bh.click_start(page)
                t0 = time.monotonic()
                frames = 0
                while time.monotonic() - t0 < 45:
                    frames = bh.frames_analysed(page)
                    reps = bh.reps_shown(page)
                    if reps >= 1:
                        break
                    time.sleep(0.5)
                if reps >= 1:
                    break
                if frames > 0:  # frames flowed but no rep: a real failure, not a reset
                    _fail_with_log(tmp, page, f"{frames} frames were analysed but no rep was counted")
                if attempt == 0:
                    page.reload()
                    bh.wait_for_app(page)
                    bh.choose_radio(page, "How much does your back hurt right now", "3")
                    page.wait_for_selector("iframe[title*='webrtc_streamer']", timeout=30_000)
            if reps < 1:
                _fail_with_log(tmp, page, "no frames reached the app after two STARTs")
            assert bh.frames_analysed(page) > 0
            # the set is saved while it runs
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not History(db).list_sets():
                time.sleep(0.3)
            rows = History(db).list_sets()
            assert rows and rows[0]["source"] == "live" and rows[0]["pain_before"] == 3
            page.get_by_role("button", name="Stop — this hurts").click()
            page.get_by_text("Summary of your set").wait_for(timeout=20_000)
            page.screenshot(path=str(tmp / "live_summary.png"), full_page=True)
            row = History(db).list_sets()[0]
            assert row["stop_reason"] == "pain" and row["reps"] >= 1
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
            page.wait_for_function("() => [...document.querySelectorAll('button')].some("
                                   "b => b.innerText.includes('Analyse my video') && !b.disabled)", timeout=30_000)
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
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
