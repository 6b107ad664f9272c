"""What the app's pages share: constants, page style, the history handle, the daily safety gate."""

from __future__ import annotations

import html
import logging
from typing import Any

import streamlit as st

from formcheck.app import MAX_UPLOAD_MB  # noqa: F401 (MAX_UPLOAD_MB: for the pages)
from formcheck.app import support as sup
from formcheck.app.history import History, HistoryError, default_db_path, today
from formcheck.app.live_processor import one_line
from formcheck.core import safety
from formcheck.core.exercise import ExerciseError, all_exercises
from formcheck.environment import checkout_samples_dir, packaged_samples_dir

log = logging.getLogger("formcheck.app")

#: Where the one-click sample clips are found: in a source checkout ``sample_videos/`` (all 15),
#: and always the two shipped in the package (``formcheck/samples``; the same file is listed once).
SAMPLE_DIRS = tuple(d for d in (checkout_samples_dir(), packaged_samples_dir()) if d is not None)
PAGES = ("Exercise", "Analyse a video", "History", "Safety & about")
UPLOAD_TYPES = [s.lstrip(".") for s in sup.UPLOAD_SUFFIXES]
#: Streamlit's own control flow (st.rerun, st.stop): BaseExceptions that must pass through untouched.
CONTROL_FLOW = sup.streamlit_control_flow()
WEBRTC_KEY = "formcheck-live"
SOURCE_WORDS = {"live": "Live camera", "upload": "Uploaded video", "sample": "Sample clip"}
STOP_WORDS = {
    "pain": "Stopped: it hurt",
    "finished": "Finished",
    "camera stopped": "Camera stopped",
    "exercise changed": "Exercise changed",
    "restarted": "Restarted",
    "closed": "Closed",
}

CSS = """
<style>
.fc-big {font-size: 3.2rem; font-weight: 700; line-height: 1.1; margin: 0.1rem 0 0.2rem 0;}
.fc-mid {font-size: 1.6rem; font-weight: 600; line-height: 1.2;}
.fc-label {font-size: 0.95rem; opacity: 0.8; margin-top: 0.4rem;}
.fc-card {border: 1px solid rgba(128,128,128,0.35); border-radius: 0.6rem; padding: 0.6rem 0.9rem; margin-bottom: 0.6rem;}
.fc-cue {font-size: 1.35rem; font-weight: 600;}
</style>
"""


# ============================================================================ shared helpers
def get_history() -> History | None:
    """The history database (cached per path). When it cannot be used (read-only, another program's
    database, ...) the page says why and what to do, and None is returned: the person can still
    exercise, nothing is saved. Opening is tried again on every run, so a fix takes effect at once."""
    path = str(default_db_path())
    cache = st.session_state.setdefault("_history", {})
    if path not in cache:
        try:
            cache[path] = History(path)
        except HistoryError as e:
            st.error(
                f"Your history cannot be used: {one_line(e)}. You can still exercise; nothing is saved until then."
            )
            return None
    return cache[path]


def history_note(hist: History | None) -> None:
    """The visible reminder, next to the exercise, that nothing is being kept."""
    if hist is None:
        st.warning(
            "Your history is not being saved: this set, your pain ratings and today's safety check are "
            "kept only until you close this page.",
            icon=None,
        )


def todays_memory_check() -> dict | None:
    """Today's safety check kept in this browser session (when the history could not store it)."""
    mem = st.session_state.get("_safety_check_mem")
    return mem if mem is not None and mem.get("day") == today() else None


@st.cache_data(show_spinner=False, ttl=60)
def exercise_catalogue() -> dict[str, str]:
    """{id: display name} of the exercises formcheck knows."""
    return {k: v.name for k, v in all_exercises().items()}


def exercise_names() -> dict[str, str]:
    try:
        return exercise_catalogue()
    except ExerciseError as e:
        st.error(f"The exercise definitions could not be read: {one_line(e)}")
        return {}


def dosage_line(spec) -> str:
    d = spec.dosage
    parts = [f"{d.reps} reps" + (" on each side" if d.per_side else "")]
    if d.hold_s:
        parts.append(f"hold {d.hold_s:g} s")
    return ", ".join(parts)


def disclaimer() -> None:
    st.caption("Please note: " + safety.DISCLAIMER)


def big(label: str, value: str, testid: str, extra: str = "") -> None:
    st.markdown(
        f"<div class='fc-label'>{html.escape(label)}</div>"
        f"<div class='fc-big' data-testid='{testid}'>{html.escape(value)}</div>{extra}",
        unsafe_allow_html=True,
    )


def goto(page: str) -> None:
    st.session_state["page"] = page


# ============================================================================ safety gate
def safety_gate(hist: History | None, compact: bool = False) -> bool:
    """Today's safety check. Returns True when the person may exercise. ``compact``: once passed,
    say so in one small line (the coach view keeps the screen for the counter)."""
    # without a usable history the check still has to be answered; it is kept for this browser session.
    # The session's copy also wins when the history failed to store it (or its acknowledgement), so
    # the form never comes back after every rerun.
    mem = todays_memory_check()
    check = None
    if hist is not None:
        try:
            check = hist.safety_check_for()
        except HistoryError as e:
            st.error(one_line(e))
    if mem is not None and (check is None or mem.get("id") in (None, check.get("id"))):
        check = mem
    if check is not None and (not check["blocked"] or check["acknowledged"]):
        note = (
            "all answers were no" if not check["blocked"] else "you confirmed a professional has checked your symptoms"
        )
        (st.caption if compact else st.success)(f"Today's safety check is done ({note}).")
        return True
    if check is not None and check["blocked"]:
        show_blocked(hist, check)
        return False
    st.header("Before you start: a quick safety check")
    st.write(
        "Some symptoms need a doctor rather than exercise. Please answer each question "
        "honestly; it takes less than a minute and is asked once a day."
    )
    with st.form("safety_form"):
        for flag in safety.RED_FLAGS:
            st.radio(flag.question, ["No", "Yes"], index=None, horizontal=True, key=f"rf_{flag.code}")
        submitted = st.form_submit_button("Check my answers", type="primary")
    if submitted:
        answers = {
            f.code: (
                None if st.session_state.get(f"rf_{f.code}") is None else st.session_state.get(f"rf_{f.code}") == "Yes"
            )
            for f in safety.RED_FLAGS
        }
        try:
            result = safety.evaluate(answers)
        except safety.IncompleteAnswers:
            st.warning("Please answer every question with Yes or No before going on.")
            return False
        record: dict[str, Any] = {
            "id": None,
            "day": today(),
            "answers": result.answers,
            "blocked": result.blocked,
            "acknowledged": False,
        }
        if hist is not None:
            try:
                record["id"] = hist.record_safety_check(result.answers, result.blocked)
            except HistoryError as e:
                log.warning("safety check not stored: %s", e)  # kept in this session (see todays_memory_check)
        st.session_state["_safety_check_mem"] = record
        st.rerun()
    return False


def show_blocked(hist: History | None, check: dict) -> None:
    result = safety.evaluate(check["answers"])
    st.header("Please don't exercise today")
    st.error(result.message())
    st.write(
        "formcheck will not start an exercise session today because of your answers. "
        "This is a precaution: only a doctor can tell what is causing these symptoms."
    )
    with st.expander("A doctor or physiotherapist has already checked these symptoms"):
        st.write(
            "Only use this if a professional has examined you for exactly these symptoms and told you "
            "that exercising is safe. It is recorded in your history."
        )
        ok = st.checkbox(safety.ACKNOWLEDGEMENT_TEXT, key="ack_checkbox")
        if st.button("Record my confirmation and continue", disabled=not ok, key="ack_button"):
            if hist is not None and check.get("id") is not None:
                try:
                    hist.acknowledge_safety_check(int(check["id"]))
                except HistoryError as e:  # kept for this browser session instead
                    log.warning("safety acknowledgement not stored: %s", e)
            mem = dict(check)
            mem["acknowledged"] = True
            mem["day"] = today()
            st.session_state["_safety_check_mem"] = mem
            st.rerun()
