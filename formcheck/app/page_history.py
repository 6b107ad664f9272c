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
def reached_charts(df, names: dict[str, str]) -> None:
    """Per exercise: the holds and the range of motion reached over days, not only counts."""
    import altair as alt

    have = df.dropna(subset=["best_hold_s"]) if "best_hold_s" in df else df.iloc[0:0]
    if have.empty and ("rom_deg" not in df or df["rom_deg"].isna().all()):
        return
    st.markdown("#### Holds and range of motion")
    exercises = [e for e in dict.fromkeys(df["exercise"]) if e in set(df["exercise"])]
    ex = st.selectbox("Exercise", exercises, format_func=lambda e: names.get(e, e), key="reached_exercise")
    one = df[df["exercise"] == ex]
    angle = _angle_name(ex)
    holds = one.melt(
        id_vars=["day"], value_vars=["best_hold_s", "mean_hold_s"], var_name="what", value_name="seconds"
    ).dropna()
    if not holds.empty:
        holds["what"] = holds["what"].map({"best_hold_s": "Longest hold", "mean_hold_s": "Mean hold"})
        st.altair_chart(
            alt.Chart(holds)
            .mark_line(point=True)
            .encode(
                x=alt.X("day:N", title="Day", axis=alt.Axis(labelAngle=0)),
                y=alt.Y("seconds:Q", title="Hold (s)"),
                color=alt.Color("what:N", title=""),
                strokeDash="what:N",
                tooltip=["day", "what", "seconds"],
            )
            .properties(height=220),
            width="stretch",
        )
    rom = one.dropna(subset=["rom_deg"])
    if not rom.empty:
        st.altair_chart(
            alt.Chart(rom)
            .mark_line(point=True, color="#0b5394")
            .encode(
                x=alt.X("day:N", title="Day", axis=alt.Axis(labelAngle=0)),
                y=alt.Y("rom_deg:Q", title="Angle at the top (°)", scale=alt.Scale(zero=False)),
                tooltip=["day", alt.Tooltip("rom_deg:Q", title=f"{angle} (°)", format=".0f")],
            )
            .properties(height=220, title=f"Range of motion reached: {angle} angle"),
            width="stretch",
        )
        st.caption(
            f"Range of motion reached: the {angle} angle at the top of each repetition (the middle of its "
            "hold), the median per set and the mean per day. It is measured by the camera, so expect a few "
            "degrees of wobble; look at the trend over weeks rather than one day."
        )


def _angle_name(exercise: str) -> str:
    from formcheck.core.exercise import ExerciseError, get_exercise

    try:
        return get_exercise(exercise).key_angle_name or "key angle"
    except ExerciseError:
        return "key angle"


def set_report(hist, sets: list[dict], names: dict[str, str]) -> None:
    """Pick a set and download its HTML report (the page ``formcheck report KEY`` writes)."""
    from formcheck.app.page_exercise import report_download

    keys = [s["key"] for s in sets]
    label = {
        s["key"]: f"{s['started_at'].replace('T', ' ')[:16]} — {names.get(s['exercise'], s['exercise'])}, "
        f"{s['reps']} reps"
        for s in sets
    }
    key = st.selectbox(
        "Report of one set (HTML, to print or give to your physiotherapist)",
        keys,
        format_func=lambda k: label[k],
        key="report_set",
    )
    if key:
        report_download(hist, key, "dl_history_set_html")


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
        bars = (
            alt.Chart(df)
            .mark_bar()
            .encode(
                x=alt.X("day:N", title="Day", axis=alt.Axis(labelAngle=0)),
                y=alt.Y("reps:Q", title="Repetitions"),
                color=alt.Color("Exercise:N"),
                xOffset="Exercise:N",
                tooltip=["day", "Exercise", "reps", "good_reps", "Good-form share (%)"],
            )
            .properties(height=240)
        )
        share = (
            alt.Chart(df.dropna(subset=["Good-form share (%)"]))
            .mark_line(point=True)
            .encode(
                x=alt.X("day:N", title="Day", axis=alt.Axis(labelAngle=0)),
                y=alt.Y("Good-form share (%):Q", scale=alt.Scale(domain=[0, 100])),
                color="Exercise:N",
                strokeDash="Exercise:N",
                tooltip=["day", "Exercise", "Good-form share (%)"],
            )
            .properties(height=200)
        )
        st.altair_chart(bars, width="stretch")
        st.altair_chart(share, width="stretch")
        reached_charts(df, names)
    st.markdown("#### All sets")
    rows = [
        {
            "When": s["started_at"].replace("T", " ")[:16],
            "Exercise": names.get(s["exercise"], s["exercise"]),
            "Source": SOURCE_WORDS.get(s["source"], s["source"]),
            "Reps": s["reps"],
            "Good form": s["good_reps"],
            "Holds": s["holds"],
            "Longest hold (s)": "—" if s.get("best_hold_s") is None else f"{s['best_hold_s']:.1f}",
            "Reached (°)": "—" if s.get("rom_deg") is None else f"{s['rom_deg']:.0f}",
            "Counted": "led (paced)" if s.get("paced") else "camera",
            "Per side": ", ".join(f"{k} {v}" for k, v in s["reps_by_side"].items()),
            "Form tips": "; ".join(f"{f['cue']} ({f['count']}×)" for f in s["faults"]),
            "Pain before": "—" if s["pain_before"] is None else s["pain_before"],
            "Pain after": "—" if s["pain_after"] is None else s["pain_after"],
            "Ended": STOP_WORDS.get(
                s["stop_reason"] or "", s["stop_reason"] or ("In progress" if not s["finished"] else "")
            ),
        }
        for s in sets
    ]
    st.dataframe(rows, hide_index=True, width="stretch", key="history_table")
    set_report(hist, sets, names)
    try:
        csv_text = hist.export_csv()
    except HistoryError as e:
        st.error(one_line(e))
    else:
        st.download_button(
            "Download history (CSV)", csv_text, file_name="formcheck_history.csv", mime="text/csv", key="dl_history"
        )
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
