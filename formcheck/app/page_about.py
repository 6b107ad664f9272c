"""The Safety & about page: warning signs, what the camera can see, licences."""

from __future__ import annotations

import streamlit as st

from formcheck.app.common import (
    exercise_names,
    get_history,
    todays_memory_check,
)
from formcheck.app.history import HistoryError
from formcheck.app.live_processor import one_line
from formcheck.core import safety
from formcheck.core.exercise import ExerciseError, get_exercise


# ============================================================================ Safety & about page
def page_about() -> None:
    st.title("Safety & about")
    st.info(safety.DISCLAIMER)
    st.markdown("#### When not to exercise")
    st.write("Get medical help instead of exercising if you notice any of these:")
    st.markdown(
        "\n".join(
            f"- {'**Urgent:** ' if f.urgency == safety.EMERGENCY else ''}{f.short.capitalize()}"
            for f in safety.RED_FLAGS
        )
    )
    st.write(
        "Urgent signs need help straight away (emergency number or emergency department); the others need a "
        "doctor the same day. During any exercise, stop if your pain gets worse or a new pain appears: the "
        "'Stop — this hurts' button ends the set and records why."
    )
    hist = get_history()
    check = todays_memory_check()
    if hist is not None:
        try:
            check = hist.safety_check_for() or check
        except HistoryError as e:
            st.error(one_line(e))
    if check is None:
        st.write("You have not done today's safety check yet; it is asked before your first live session of the day.")
    else:
        st.write(
            "Today's safety check: "
            + (
                "all answers were no."
                if not check["blocked"]
                else (
                    "symptoms reported; you confirmed a professional has checked them."
                    if check["acknowledged"]
                    else "symptoms reported — please get medical help."
                )
            )
        )
    st.markdown("#### Pain ratings")
    st.write(
        "Before and after each live set you rate your pain from 0 (none) to 10 (worst imaginable). "
        "The History page shows both, so you and your physiotherapist can see how the exercises suit you."
    )
    st.markdown("#### Privacy")
    st.write(
        "Everything runs on this computer. The camera picture is analysed frame by frame and never recorded; "
        "uploaded videos are deleted as soon as they are analysed. Only numbers (reps, holds, form tips, pain "
        "ratings, safety answers) are kept, in a local file you can export or delete on the History page."
    )
    st.markdown("#### What the camera can judge")
    names = exercise_names()
    for ex_id in names:
        try:
            spec = get_exercise(ex_id)
        except ExerciseError:
            continue
        with st.expander(spec.name):
            st.write(spec.summary)
            st.markdown("\n".join(f"- {s}" for s in spec.limitations) or "No known limits recorded.")
    st.markdown("#### Sample clips")
    st.caption("The sample clips come with their own licences; see sample_videos/LICENSES.")
