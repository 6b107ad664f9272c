"""formcheck — a calm coaching app for lower-back-pain exercises (the Streamlit script's body).

``formcheck app`` and ``streamlit run app.py`` both run :func:`main` (through
:mod:`formcheck.app.run`). Pages (sidebar): Exercise (live webcam session), Analyse a video,
History, Safety & about. Everything runs on this computer; no video is stored.
"""

from __future__ import annotations

import streamlit as st

from formcheck.app.common import CONTROL_FLOW, CSS, PAGES, log
from formcheck.app.live_processor import one_line
from formcheck.app.page_about import page_about
from formcheck.app.page_analyse import page_analyse
from formcheck.app.page_exercise import page_exercise
from formcheck.app.page_history import page_history
from formcheck.core import safety
from formcheck.environment import opencv_conflict


# ============================================================================ main
def main() -> None:
    st.set_page_config(page_title="formcheck", page_icon=None, layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    # the webrtc stale-state fix needs to know whether the component was rendered in the previous full run
    st.session_state["_webrtc_prev_run"] = st.session_state.pop("_webrtc_this_run", False)
    st.sidebar.markdown("## formcheck")
    st.sidebar.caption("Gentle form coaching for lower-back exercises")
    page = st.sidebar.radio("Go to", PAGES, key="page")
    st.sidebar.divider()
    st.sidebar.caption(safety.DISCLAIMER)
    conflict = opencv_conflict()  # package metadata only: cheap on every run
    if conflict:  # cv2 may be broken: say how to fix it before anything fails
        st.error(f"formcheck cannot analyse video until this is fixed: {conflict}")
    try:
        {
            "Exercise": page_exercise,
            "Analyse a video": page_analyse,
            "History": page_history,
            "Safety & about": page_about,
        }[page]()
    except CONTROL_FLOW:  # st.rerun / st.stop are Streamlit's control flow, not errors
        raise
    except Exception as e:  # last resort: the traceback goes to the log, the page gets one line
        log.exception("page failed")
        st.error(f"Something went wrong on this page: {one_line(e)}. Reload the page to try again.")
