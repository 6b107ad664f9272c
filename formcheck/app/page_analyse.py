"""The Analyse page: a video or landmark track analysed on this computer, with plots and downloads."""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import streamlit as st

from formcheck.app import support as sup
from formcheck.app.common import (
    MAX_UPLOAD_MB,
    SAMPLE_DIRS,
    UPLOAD_TYPES,
    disclaimer,
    exercise_names,
    get_history,
    log,
)
from formcheck.app.history import History, HistoryError, today
from formcheck.app.live_processor import one_line
from formcheck.core.exercise import ExerciseError, get_exercise


# ============================================================================ Analyse page
def analyse_file(
    path: Path, exercise: str, source: str, display_name: str, model: str, hist: History | None, kind: str = "video"
) -> None:
    """Run the engine on ``path``, a ``kind`` = "video" or "track" (decided from the name, see
    :func:`formcheck.app.support.upload_kind`; a video must also pass its container's probe).
    Results go to st.session_state["analysis"]. Never raises."""
    from formcheck.media.pipeline import AnalysisError, analyze
    from formcheck.media.pose import ModelError
    from formcheck.media.tracks import TrackError
    from formcheck.media.video import VideoError

    workdir = Path(tempfile.mkdtemp(prefix="formcheck-"))
    bar = st.progress(0.0, text="Analysing the video…")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2 and done != total:
            return
        last[0] = now
        frac = min(1.0, done / total) if total else 0.0
        bar.progress(frac, text=f"Analysing the video… {int(frac * 100)} %" if total else f"Analysing… frame {done}")

    try:
        out = workdir / "annotated.mp4" if kind == "video" else None
        if kind == "video":
            sup.probe_video(path)  # the container says whether it is a video; content is never sniffed
        analysis = analyze(path, exercise, model=model, annotate=out, progress=progress, kind=kind)
        video = out.read_bytes() if out is not None and out.is_file() else None
    except (VideoError, ModelError, TrackError, AnalysisError, ExerciseError) as e:
        bar.empty()
        msg = one_line(e).replace(str(path), display_name).replace(path.name, display_name)
        if "no person" in msg:
            msg += ". Make sure your whole body is in the picture and the room is well lit."
        st.session_state["analysis"] = {"error": msg}
        return
    except Exception as e:  # never show a traceback
        bar.empty()
        log.exception("analysis failed")
        st.session_state["analysis"] = {"error": f"Sorry, this video could not be analysed ({one_line(e)})."}
        return
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    bar.empty()
    report = analysis.report
    report.source = display_name
    d = report.to_dict(include_trace=True)
    key = uuid.uuid4().hex
    thumbs = None
    if kind == "video" and st.session_state.get("report_thumbs"):
        from formcheck.media.report_html import rep_thumbnails

        try:
            thumbs = rep_thumbnails(path, d)
        except Exception as e:  # the pictures are an extra: the report works without them
            log.warning("report pictures failed: %s", one_line(e))
            st.warning(f"The pictures for the report could not be made ({one_line(e)}); the report has none.")
    if hist is not None:
        try:
            hist.save_set(
                key,
                exercise=report.exercise,
                source=source,
                report=report,
                source_name=display_name,
                finished=True,
                stop_reason="finished",
            )
        except (HistoryError, ValueError) as e:
            st.warning(f"The result could not be saved to your history: {one_line(e)}")
    st.session_state["analysis"] = {
        "report": d,
        "json": report.to_json(include_trace=True),
        "csv": report.to_csv(),
        "video": video,
        "name": display_name,
        "exercise": report.exercise,
        "key": key,
        "kind": kind,
        "thumbs": thumbs,
        "day": today(),
    }


def angle_chart(d: dict):
    import altair as alt
    import pandas as pd

    pts = pd.DataFrame(sup.trace_points(d))
    if pts.empty:
        return None
    name = (d.get("trace") or {}).get("key_angle_name") or "key angle"
    lo, hi = float(pts["angle"].min()), float(pts["angle"].max())
    layers = []
    reps = pd.DataFrame(sup.rep_spans(d))
    if not reps.empty:
        reps["y0"], reps["y1"] = lo - 5, hi + 5
        layers.append(
            alt.Chart(reps)
            .mark_rect(opacity=0.18)
            .encode(
                x="start:Q",
                x2="end:Q",
                y="y0:Q",
                y2="y1:Q",
                color=alt.Color(
                    "form:N",
                    title="Repetition",
                    scale=alt.Scale(domain=["Good form", "Needs work"], range=["#2e7d32", "#c62828"]),
                ),
                tooltip=["label:N"],
            )
        )
        layers.append(
            alt.Chart(reps)
            .mark_text(align="left", dx=3, dy=10, fontSize=12)
            .encode(x="start:Q", y="y1:Q", text="label:N")
        )
    holds = pd.DataFrame(sup.hold_spans(d))
    if not holds.empty:
        holds["y"] = lo - 3  # along the bottom, clear of the rep labels at the top
        layers.append(
            alt.Chart(holds)
            .mark_rule(strokeWidth=6, color="#1565c0")
            .encode(x="start:Q", x2="end:Q", y="y:Q", tooltip=["label:N"])
        )
    line = (
        alt.Chart(pts)
        .mark_line(color="#444")
        .encode(
            x=alt.X("t:Q", title="Time (s)"), y=alt.Y("angle:Q", title=f"{name} angle (°)", scale=alt.Scale(zero=False))
        )
    )
    return alt.layer(*layers, line).properties(height=280)


def show_analysis(res: dict) -> None:
    if "error" in res:
        st.error(res["error"])
        return
    d = res["report"]
    try:
        spec = get_exercise(d["exercise"])
        cues = {k: f.cue for k, f in spec.faults.items()}
        ex_name = spec.name
    except ExerciseError:
        spec, cues, ex_name = None, {}, d["exercise"]
    st.subheader(f"Result: {ex_name} — {res['name']}")
    c = st.columns(4)
    c[0].metric("Repetitions", d["reps"])
    c[1].metric("With good form", d["good_reps"])
    c[2].metric("Holds", len(d["holds"]))
    c[3].metric("Length", f"{d['duration_s']:.1f} s")
    for w in d.get("warnings", []):
        st.warning(w["message"])
    if res.get("video"):
        st.video(res["video"], format="video/mp4")
    st.markdown("#### Each repetition")
    rows = sup.rep_rows(d, cues)
    if rows:
        import pandas as pd

        st.table(pd.DataFrame(rows).set_index("Rep"))  # plain text table: readable, and screen readers see it
    else:
        st.info("No repetitions were counted in this video.")
    faults = sup.fault_summary(d, cues)
    if faults:
        st.markdown("**Tips:**\n" + "\n".join(f"- {f['cue']} (seen {f['count']}×)" for f in faults))
    chart = angle_chart(d)
    if chart is not None:
        st.markdown("#### Key angle over time")
        st.caption(
            "Shaded bands are repetitions (the label says good or needs work); the thick blue bar along the bottom marks holds."
        )
        st.altair_chart(chart, width="stretch")
    stem = Path(res["name"]).stem or "report"
    c0, c1, c2 = st.columns(3)
    c0.download_button(
        "Download report (HTML)",
        report_page(res),
        file_name=f"formcheck_{stem}.html",
        mime="text/html",
        key="dl_html",
        type="primary",
    )
    c1.download_button(
        "Download report (JSON)",
        res["json"],
        file_name=f"formcheck_{stem}.json",
        mime="application/json",
        key="dl_json",
    )
    c2.download_button(
        "Download repetitions (CSV)", res["csv"], file_name=f"formcheck_{stem}.csv", mime="text/csv", key="dl_csv"
    )


def report_page(res: dict) -> str:
    """The analysis as the self-contained HTML page ``formcheck report`` writes for the same file."""
    from formcheck.media.report_html import html_for_report

    cache = res.setdefault("_html", {})
    hist = get_history()
    if "page" not in cache:
        try:
            cache["page"] = html_for_report(
                res["report"],
                hist=hist,
                exclude_key=res.get("key"),
                day=res.get("day", ""),
                source_kind=res.get("kind", "video"),
                thumbnails=res.get("thumbs"),
            )
        except HistoryError as e:  # the trend is an extra: the report is made without it
            st.warning(f"Your history could not be read for the report: {one_line(e)}")
            cache["page"] = html_for_report(
                res["report"],
                day=res.get("day", ""),
                source_kind=res.get("kind", "video"),
                thumbnails=res.get("thumbs"),
            )
    return cache["page"]


def page_analyse() -> None:
    st.title("Analyse a video")
    disclaimer()
    hist = get_history()
    names = exercise_names()
    if not names:
        return
    st.write(
        "Film yourself from the side with your whole body in view, or try one of the sample clips. "
        "The video is processed on this computer in a temporary folder and deleted straight after; "
        "only the numbers are kept in your history."
    )
    samples = sup.list_samples(SAMPLE_DIRS, names)
    tab_sample, tab_upload = st.tabs(["Try a sample clip", "Upload your own video"])
    sample_choice: tuple[Path, str] | None = None  # (clip, exercise)
    upload_choice: tuple[Any, str] | None = None  # (the uploaded file, exercise)
    with tab_sample:
        if not samples:
            st.info("No sample clips were found (they ship in formcheck/samples).")
        else:
            titles = {str(c.path): c for c in samples}

            def on_sample_change() -> None:
                clip = titles.get(str(st.session_state.get("sample_clip")))
                if clip is not None and clip.exercise:
                    st.session_state["sample_exercise"] = clip.exercise

            if "sample_clip" not in st.session_state:
                st.session_state["sample_clip"] = str(samples[0].path)
                on_sample_change()
            sel = st.selectbox(
                "Sample clip",
                list(titles),
                format_func=lambda p: titles[p].title,
                key="sample_clip",
                on_change=on_sample_change,
            )
            clip = titles[sel]
            ex = st.selectbox(
                "Exercise",
                list(names),
                format_func=lambda k: names[k],
                key="sample_exercise",
                index=None,
                placeholder="Choose the exercise",
            )
            if (
                st.button("Analyse this sample", type="primary", key="run_sample", disabled=ex is None)
                and ex is not None
            ):
                sample_choice = (clip.path, ex)
    with tab_upload:
        up = st.file_uploader(
            f"Video file (mp4, mov, webm, avi, mkv; up to {MAX_UPLOAD_MB} MB) or a landmark "
            "track saved by 'formcheck track' (.fctrack)",
            type=UPLOAD_TYPES,
            key="upload_file",
        )
        if up is not None and st.button("Suggest the exercise from the video", key="suggest"):
            suggest_for_upload(up, names)
        if st.session_state.get("_suggest_note"):
            st.info(st.session_state["_suggest_note"])
        ex_up = st.selectbox(
            "Exercise",
            list(names),
            format_func=lambda k: names[k],
            key="upload_exercise",
            index=None,
            placeholder="Choose the exercise",
        )
        if (
            st.button("Analyse my video", type="primary", key="run_upload", disabled=(up is None or ex_up is None))
            and up is not None
            and ex_up is not None
        ):
            upload_choice = (up, ex_up)
    st.checkbox(
        "Put a small picture of each repetition in the HTML report (the pictures show you; off by default)",
        key="report_thumbs",
    )
    model = "full"
    if upload_choice is not None:
        up, ex_up = upload_choice
        try:
            kind = sup.upload_kind(up.name)
        except ValueError as e:
            st.session_state["analysis"] = {"error": one_line(e)}
        else:
            tmp = Path(tempfile.mkdtemp(prefix="formcheck-upload-"))
            try:
                path = tmp / f"upload{Path(up.name).suffix.lower()}"
                path.write_bytes(up.getvalue())
                analyse_file(path, ex_up, "upload", up.name, model, hist, kind=kind)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    elif sample_choice is not None:
        clip_path, ex = sample_choice
        analyse_file(clip_path, ex, "sample", clip_path.name, model, hist)
    res = st.session_state.get("analysis")
    if res:
        st.divider()
        show_analysis(res)


def suggest_for_upload(up, names: dict[str, str]) -> None:
    from formcheck.media.pose import ModelError
    from formcheck.media.video import VideoError

    try:
        kind = sup.upload_kind(up.name)
    except ValueError as e:
        st.session_state["_suggest_note"] = one_line(e)
        return
    if kind != "video":
        st.session_state["_suggest_note"] = "A suggestion needs the video itself; choose the exercise below."
        return
    tmp = Path(tempfile.mkdtemp(prefix="formcheck-suggest-"))
    try:
        path = tmp / ("clip" + Path(up.name).suffix.lower())
        path.write_bytes(up.getvalue())
        with st.spinner("Looking at your position…"):
            postures = sup.scan_postures(path)
        posture, ex = sup.suggest_from_postures(postures)
    except (VideoError, ModelError) as e:
        msg = one_line(e).replace(str(path), up.name).replace(path.name, up.name)
        st.session_state["_suggest_note"] = f"Could not look at this video: {msg}"
        return
    except Exception as e:  # a bug: the traceback goes to the log, the page gets one line
        log.exception("exercise suggestion failed")
        st.session_state["_suggest_note"] = f"Could not look at this video (internal error: {type(e).__name__})."
        return
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if ex and ex in names:
        st.session_state["upload_exercise"] = ex
    st.session_state["_suggest_note"] = sup.suggestion_note(posture, ex, names)
