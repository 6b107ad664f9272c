"""The History page: past sets, trends, export and deletion."""

from __future__ import annotations

import streamlit as st

from formcheck.app.common import (
    SOURCE_WORDS,
    STOP_WORDS,
    disclaimer,
    exercise_names,
    get_history,
)
from formcheck.app.history import HistoryError
from formcheck.app.live_processor import one_line


# ============================================================================ History page
def page_history() -> None:
    st.title("History")
    disclaimer()
    hist = get_history()
    if hist is None:
        return
    try:
        sets = hist.list_sets()
        progress = hist.progress()
    except HistoryError as e:
        st.error(one_line(e))
        return
    st.caption(f"Stored only on this computer, in {hist.path}")
    if not sets:
        st.info("Nothing here yet. Your live sets and analysed videos appear here automatically.")
        return
    names = exercise_names()
    c = st.columns(3)
    c[0].metric("Sets and videos", len(sets))
    c[1].metric("Repetitions", sum(s["reps"] for s in sets))
    total = sum(s["reps"] for s in sets)
    c[2].metric("With good form", f"{(100 * sum(s['good_reps'] for s in sets) / total):.0f} %" if total else "—")
    import altair as alt
    import pandas as pd

    df = pd.DataFrame(progress)
    if not df.empty:
        df["Exercise"] = df["exercise"].map(lambda e: names.get(e, e))
        df["Good-form share (%)"] = df["good_share"].map(lambda v: None if v is None else round(100 * v))
        st.markdown("#### Progress over days")
        bars = alt.Chart(df).mark_bar().encode(
            x=alt.X("day:N", title="Day", axis=alt.Axis(labelAngle=0)), y=alt.Y("reps:Q", title="Repetitions"),
            color=alt.Color("Exercise:N"), xOffset="Exercise:N",
            tooltip=["day", "Exercise", "reps", "good_reps", "Good-form share (%)"]).properties(height=240)
        share = alt.Chart(df.dropna(subset=["Good-form share (%)"])).mark_line(point=True).encode(
            x=alt.X("day:N", title="Day", axis=alt.Axis(labelAngle=0)), y=alt.Y("Good-form share (%):Q", scale=alt.Scale(domain=[0, 100])),
            color="Exercise:N", strokeDash="Exercise:N", tooltip=["day", "Exercise", "Good-form share (%)"]
        ).properties(height=200)
        st.altair_chart(bars, width="stretch")
        st.altair_chart(share, width="stretch")
    st.markdown("#### All sets")
    rows = [{
        "When": s["started_at"].replace("T", " ")[:16], "Exercise": names.get(s["exercise"], s["exercise"]),
        "Source": SOURCE_WORDS.get(s["source"], s["source"]), "Reps": s["reps"], "Good form": s["good_reps"],
        "Holds": s["holds"],
        "Per side": ", ".join(f"{k} {v}" for k, v in s["reps_by_side"].items()),
        "Form tips": "; ".join(f"{f['cue']} ({f['count']}×)" for f in s["faults"]),
        "Pain before": "—" if s["pain_before"] is None else s["pain_before"],
        "Pain after": "—" if s["pain_after"] is None else s["pain_after"],
        "Ended": STOP_WORDS.get(s["stop_reason"] or "", s["stop_reason"] or ("In progress" if not s["finished"] else "")),
    } for s in sets]
    st.dataframe(rows, hide_index=True, width="stretch", key="history_table")
    try:
        csv_text = hist.export_csv()
    except HistoryError as e:
        st.error(one_line(e))
    else:
        st.download_button("Download history (CSV)", csv_text, file_name="formcheck_history.csv",
                           mime="text/csv", key="dl_history")
    with st.expander("Delete my history"):
        sure = st.checkbox("Yes, delete every saved set and safety check from this computer", key="del_sure")
        if st.button("Delete everything", disabled=not sure, key="del_button"):
            try:
                hist.delete_all()
            except HistoryError as e:
                st.error(one_line(e))
                return
            st.success("Your history was deleted.")
            st.rerun()
