"""formcheck — a calm coaching app for lower-back-pain exercises.

Run with ``streamlit run app.py``. Pages (sidebar): Exercise (live webcam session), Analyse a
video, History, Safety & about. Everything runs on this computer; no video is stored.
"""

from __future__ import annotations

import html
import logging
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import streamlit as st

from formcheck import app_support as sup
from formcheck import safety
from formcheck.exercise import ExerciseError, all_exercises, get_exercise
from formcheck.history import History, HistoryError, default_db_path, today
from formcheck.live_processor import LiveProcessor, one_line

log = logging.getLogger("formcheck.app")

APP_DIR = Path(__file__).resolve().parent
SAMPLE_DIR = APP_DIR / "sample_videos"
PAGES = ("Exercise", "Analyse a video", "History", "Safety & about")
UPLOAD_TYPES = [s.lstrip(".") for s in sup.UPLOAD_SUFFIXES]
#: Streamlit's own control flow (st.rerun, st.stop): BaseExceptions that must pass through untouched.
CONTROL_FLOW = sup.streamlit_control_flow()
MAX_UPLOAD_MB = 200  # keep in step with .streamlit/config.toml server.maxUploadSize
WEBRTC_KEY = "formcheck-live"
SOURCE_WORDS = {"live": "Live camera", "upload": "Uploaded video", "sample": "Sample clip"}
STOP_WORDS = {"pain": "Stopped: it hurt", "finished": "Finished", "camera stopped": "Camera stopped",
              "exercise changed": "Exercise changed", "restarted": "Restarted", "closed": "Closed"}

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
            st.error(f"Your history cannot be used: {one_line(e)}. You can still exercise; nothing is saved until then.")
            return None
    return cache[path]


def history_note(hist: History | None) -> None:
    """The visible reminder, next to the exercise, that nothing is being kept."""
    if hist is None:
        st.warning("Your history is not being saved: this set, your pain ratings and today's safety check are "
                   "kept only until you close this page.", icon=None)


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
        unsafe_allow_html=True)


def goto(page: str) -> None:
    st.session_state["page"] = page


# ============================================================================ safety gate
def safety_gate(hist: History | None) -> bool:
    """Today's safety check. Returns True when the person may exercise."""
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
        note = "all answers were no" if not check["blocked"] else "you confirmed a professional has checked your symptoms"
        st.success(f"Today's safety check is done ({note}).")
        return True
    if check is not None and check["blocked"]:
        show_blocked(hist, check)
        return False
    st.header("Before you start: a quick safety check")
    st.write("Some symptoms need a doctor rather than exercise. Please answer each question "
             "honestly; it takes less than a minute and is asked once a day.")
    with st.form("safety_form"):
        for flag in safety.RED_FLAGS:
            st.radio(flag.question, ["No", "Yes"], index=None, horizontal=True, key=f"rf_{flag.code}")
        submitted = st.form_submit_button("Check my answers", type="primary")
    if submitted:
        answers = {f.code: (None if st.session_state.get(f"rf_{f.code}") is None
                            else st.session_state.get(f"rf_{f.code}") == "Yes") for f in safety.RED_FLAGS}
        try:
            result = safety.evaluate(answers)
        except safety.IncompleteAnswers:
            st.warning("Please answer every question with Yes or No before going on.")
            return False
        record = {"id": None, "day": today(), "answers": result.answers, "blocked": result.blocked,
                  "acknowledged": False}
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
    st.write("formcheck will not start an exercise session today because of your answers. "
             "This is a precaution: only a doctor can tell what is causing these symptoms.")
    with st.expander("A doctor or physiotherapist has already checked these symptoms"):
        st.write("Only use this if a professional has examined you for exactly these symptoms and told you "
                 "that exercising is safe. It is recorded in your history.")
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


# ============================================================================ Exercise page (live)
def exercise_details(spec) -> None:
    st.markdown(f"**{spec.summary}**")
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("#### How to do it")
        st.markdown("\n".join(f"{i}. {s}" for i, s in enumerate(spec.instructions, 1)))
        st.markdown(f"**Dose:** {dosage_line(spec)}" + (f" — {spec.dosage.text}" if spec.dosage.text else ""))
    with c2:
        st.markdown("#### Camera set-up")
        view = {"side": "Side view: the camera looks at you from the side."}.get(spec.camera.view, f"View: {spec.camera.view}.")
        st.markdown("\n".join(f"- {s}" for s in (view, *spec.camera.advice,
                                                 "Only one person in the picture, please.")))
        if spec.safety:
            st.markdown("#### Be careful")
            st.markdown("\n".join(f"- {s}" for s in spec.safety))
    if spec.limitations:
        with st.expander("What the camera can and cannot judge"):
            st.markdown("\n".join(f"- {s}" for s in spec.limitations))


def get_processor(exercise: str, model: str, hist: History | None) -> LiveProcessor:
    proc: LiveProcessor | None = st.session_state.get("_live_proc")
    if proc is None:
        proc = LiveProcessor(exercise, model=model, saver=make_saver(hist))
        st.session_state["_live_proc"] = proc
    proc.model = model
    return proc


def make_saver(hist: History | None):
    """Saves live sets to ``hist`` from the video worker thread (no st.* there)."""
    return sup.history_saver(hist)


def webrtc_widget(proc: LiveProcessor):
    """The live video component (patched out in AppTest)."""
    import streamlit_webrtc as sw

    # streamlit-webrtc resets a context that "was not rendered" in the previous script run; the
    # polling fragment's reruns count as runs, which made ~1 in 12 starts reset. The component was
    # rendered in the previous full run, so its state is not stale.
    ctx_obj = st.session_state.get(WEBRTC_KEY)
    if ctx_obj is not None and st.session_state.get("_webrtc_prev_run"):
        try:
            ctx_obj._last_rendered_run_count = None
        except AttributeError:
            pass
    st.session_state["_webrtc_this_run"] = True
    try:
        rtc = sup.rtc_configuration()
    except ValueError as e:
        st.warning(f"Network settings ignored: {e}")
        rtc = {"iceServers": []}
    return sw.webrtc_streamer(
        key=WEBRTC_KEY,
        mode=sw.WebRtcMode.SENDRECV,
        rtc_configuration=rtc,
        media_stream_constraints={"video": True, "audio": False},
        video_frame_callback=proc.callback,
        on_video_ended=proc.end_stream,
        async_processing=True,
        translations={
            "start": "START",
            "stop": "STOP",
            "select_device": "Choose camera",
            "media_api_not_available": "This browser cannot use a camera here. Open formcheck at http://localhost "
                                       "(or over HTTPS), or try a sample video on 'Analyse a video'.",
            "device_ask_permission": "Please allow formcheck to use your camera (the video stays on this computer).",
            "device_not_available": "No camera was found. Connect one, or try a sample video on 'Analyse a video'.",
            "device_access_denied": "Camera permission was refused. Allow the camera in your browser's address bar "
                                    "and press START again, or try a sample video on 'Analyse a video'.",
        },
    )


def live_status(snap) -> None:
    """The numbers and messages next to the video."""
    s = snap.status
    target = int(s.get("target_reps") or 0)
    reps = int(s.get("reps", 0))
    big("Repetitions", f"Reps: {reps}", "fc-reps",
        f"<div class='fc-mid'>Good form: {int(s.get('good_reps', 0))}"
        + (f" · target {target}" + (" each side" if snap.side_message is not None or s.get('reps_by_side') and
                                     set(s.get('reps_by_side')) & {'left', 'right'} else "") if target else "")
        + "</div>")
    hold, goal = float(s.get("hold_s") or 0.0), float(s.get("target_hold_s") or 0.0)
    if goal > 0 and not snap.finished:
        if s.get("phase") == "hold":
            left = max(0.0, goal - hold)
            text = f"{left:.1f} s to go" if left > 0 else "Target reached — lower slowly"
            big("Hold timer", f"{hold:.1f} s / {goal:g} s", "fc-hold", f"<div class='fc-mid'>{text}</div>")
            st.progress(min(1.0, hold / goal) if goal else 0.0)
        else:
            big("Hold timer", f"0.0 s / {goal:g} s", "fc-hold", "<div class='fc-mid'>Hold at the top</div>")
    sides = {k: v for k, v in (s.get("reps_by_side") or {}).items() if k in ("left", "right")}
    if sides:
        st.markdown("<div class='fc-mid'>" + " · ".join(f"{k.capitalize()}: {sides.get(k, 0)}" + (f" / {target}" if target else "")
                                                        for k in ("left", "right")) + "</div>", unsafe_allow_html=True)
    if snap.side_message:
        st.info("Sides: " + snap.side_message)
    if snap.error:
        st.error(snap.error)
    if snap.finished:
        st.success(f"Set ended ({STOP_WORDS.get(snap.stop_reason, snap.stop_reason)}). Your summary is below.")
    elif snap.frames == 0:
        st.info("Waiting for the camera. Press START under the video box and allow the camera.")
    elif s.get("phase") == "setup":
        st.warning("Getting ready: " + (s.get("setup_message") or "get into the start position.")
                   + " Counting starts when you are in position.")
    elif s.get("phase") == "calibrating":
        st.info("Calibrating… " + (s.get("setup_message") or "keep still for a moment in the starting position.")
                + " Counting starts right after.")
    elif s.get("cue"):
        st.markdown(f"<div class='fc-card fc-cue'>Tip: {html.escape(s['cue'])}</div>", unsafe_allow_html=True)
    else:
        phase = {"rest": "Ready — start the next repetition when you like.", "moving": "Moving…",
                 "hold": "Holding — keep breathing."}.get(s.get("phase"), "")
        if phase:
            st.markdown(f"<div class='fc-card fc-cue'>{phase}</div>", unsafe_allow_html=True)
    st.caption(f"Frames analysed: {snap.frames} · person seen in {snap.frames_with_pose}"
               + (f" · {snap.fps:.0f} frames/s" if snap.fps else ""))


def speak_if_new(snap) -> None:
    s = snap.status
    msg = None
    if snap.side_message:
        msg = snap.side_message
    elif s.get("cue"):
        msg = s["cue"]
    elif s.get("phase") in ("setup", "calibrating") and s.get("setup_message") and snap.frames:
        msg = s["setup_message"]
    if not msg or st.session_state.get("_last_spoken") == msg:
        return
    st.session_state["_last_spoken"] = msg
    n = st.session_state.get("_spoken_n", 0) + 1
    st.session_state["_spoken_n"] = n
    st.html(sup.speech_html(msg, f"{snap.set_key}-{n}"), unsafe_allow_javascript=True)


@st.fragment(run_every=0.5)
def live_panel() -> None:
    proc: LiveProcessor | None = st.session_state.get("_live_proc")
    if proc is None:
        return
    snap = proc.snapshot()
    live_status(snap)
    if st.session_state.get("voice_on"):
        speak_if_new(snap)
    # a set that ended in the worker (camera stopped) → refresh the whole page to show the summary
    if snap.finished and snap.set_key and st.session_state.get("_summary_shown_for") != snap.set_key:
        st.session_state["_summary_shown_for"] = snap.set_key
        st.rerun(scope="app")


def set_summary(snap, hist: History | None, spec) -> None:
    rep = snap.report or {}
    st.subheader("Summary of your set")
    c = st.columns(4)
    c[0].metric("Repetitions", rep.get("reps", 0))
    c[1].metric("With good form", rep.get("good_reps", 0))
    c[2].metric("Holds", len(rep.get("holds", [])))
    c[3].metric("Time", f"{rep.get('duration_s', 0):.0f} s")
    sides = {k: v for k, v in (rep.get("reps_by_side") or {}).items() if k in ("left", "right")}
    if sides:
        st.write("Per side: " + ", ".join(f"{k} {v}" for k, v in sides.items()))
    cues = {k: f.cue for k, f in spec.faults.items()}
    faults = sup.fault_summary(rep, cues)
    if faults:
        st.markdown("**Things to work on:**\n" + "\n".join(
            f"- {f['cue']} (seen {f['count']}×)" for f in faults))
    elif rep.get("reps"):
        st.write("No form problems were spotted. Well done.")
    if snap.stop_reason == "pain":
        st.warning("You stopped because it hurt. Rest in a comfortable position. If the pain does not settle, "
                   "or anything from the safety check appears, contact a doctor.")
    st.caption("This set is saved in your history." if hist else "History is not available, so this set was not saved.")
    saved = st.session_state.setdefault("_pain_after", {})
    if snap.set_key in saved:
        st.write(f"Pain after the set: **{saved[snap.set_key]} / 10**.")
        advice = safety.pain_advice(snap.meta.get("pain_before"), saved[snap.set_key])
        if advice:
            st.info(advice)
        return
    with st.form(f"pain_after_{snap.set_key}"):
        v = st.radio("How much does your back hurt now? (0 = no pain, 10 = worst imaginable)", list(range(11)),
                     index=None, horizontal=True, key=f"pain_after_value_{snap.set_key}")
        if st.form_submit_button("Save my pain rating"):
            if v is None:
                st.warning("Please choose a number from 0 to 10.")
            else:
                if hist is not None:
                    try:
                        hist.set_pain(snap.set_key, after=int(v))
                    except (HistoryError, ValueError) as e:
                        st.error(one_line(e))
                saved[snap.set_key] = int(v)
                st.rerun()


def page_exercise() -> None:
    st.title("Guided exercise")
    disclaimer()
    hist = get_history()
    if not safety_gate(hist):
        return
    history_note(hist)
    names = exercise_names()
    if not names:
        return
    ids = list(names)
    default = ids.index("bridge") if "bridge" in ids else 0
    ex_id = st.selectbox("Exercise", ids, index=default, format_func=lambda k: names[k], key="live_exercise")
    try:
        spec = get_exercise(ex_id)
    except ExerciseError as e:
        st.error(one_line(e))
        return
    st.markdown(f"### {spec.name} — {dosage_line(spec)}")
    exercise_details(spec)
    st.divider()
    pain = st.radio("How much does your back hurt right now? (0 = no pain, 10 = worst imaginable)",
                    list(range(11)), index=None, horizontal=True, key="pain_before")
    if pain is None:
        st.info("Rate your pain first; formcheck keeps it with the set so you can see how exercise affects it.")
        return
    note = safety.pain_before_advice(pain)
    if note:
        st.warning(note)
    with st.expander("Settings"):
        st.checkbox("Speak the cues aloud (your browser's own voice; nothing is sent anywhere)", key="voice_on")
        model = st.radio("Pose model", ["full", "lite"], horizontal=True, key="live_model",
                         format_func=lambda m: {"full": "Accurate (full)", "lite": "Faster (lite)"}[m])
    model = st.session_state.get("live_model", "full")
    proc = get_processor(ex_id, model, hist)
    if proc.exercise != ex_id:
        proc.arm(ex_id)  # a new exercise is a new set: the counter starts again
    proc.set_meta(pain_before=int(pain))

    left, right = st.columns([3, 2])
    with left:
        webrtc_widget(proc)
        b1, b2, b3 = st.columns(3)
        if b1.button("Stop — this hurts", type="primary", key="stop_pain", width="stretch"):
            proc.stop("pain")
            st.session_state["_summary_shown_for"] = proc.snapshot().set_key
        if b2.button("Finish set", key="finish_set", width="stretch"):
            proc.stop("finished")
            st.session_state["_summary_shown_for"] = proc.snapshot().set_key
        if b3.button("Start another set", key="new_set", width="stretch"):
            proc.arm(ex_id)
        st.caption("Your video is analysed on this computer and never saved. No camera? "
                   "Try a sample clip on 'Analyse a video'.")
    with right:
        live_panel()
    snap = proc.snapshot()
    if snap.finished and snap.set_key:
        st.divider()
        set_summary(snap, hist, spec)


# ============================================================================ Analyse page
def analyse_file(path: Path, exercise: str, source: str, display_name: str, model: str, hist: History | None,
                 kind: str = "video") -> None:
    """Run the engine on ``path``, a ``kind`` = "video" or "track" (decided from the name, see
    :func:`formcheck.app_support.upload_kind`; a video must also pass its container's probe).
    Results go to st.session_state["analysis"]. Never raises."""
    from formcheck.pipeline import AnalysisError, analyze
    from formcheck.pose import ModelError
    from formcheck.tracks import TrackError
    from formcheck.video import VideoError

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
    if hist is not None:
        try:
            hist.save_set(key, exercise=report.exercise, source=source, report=report, source_name=display_name,
                          finished=True, stop_reason="finished")
        except (HistoryError, ValueError) as e:
            st.warning(f"The result could not be saved to your history: {one_line(e)}")
    st.session_state["analysis"] = {"report": d, "json": report.to_json(include_trace=True), "csv": report.to_csv(),
                                    "video": video, "name": display_name, "exercise": report.exercise}


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
        layers.append(alt.Chart(reps).mark_rect(opacity=0.18).encode(
            x="start:Q", x2="end:Q", y="y0:Q", y2="y1:Q",
            color=alt.Color("form:N", title="Repetition", scale=alt.Scale(domain=["Good form", "Needs work"],
                                                                          range=["#2e7d32", "#c62828"])),
            tooltip=["label:N"]))
        layers.append(alt.Chart(reps).mark_text(align="left", dx=3, dy=10, fontSize=12).encode(
            x="start:Q", y="y1:Q", text="label:N"))
    holds = pd.DataFrame(sup.hold_spans(d))
    if not holds.empty:
        holds["y"] = lo - 3  # along the bottom, clear of the rep labels at the top
        layers.append(alt.Chart(holds).mark_rule(strokeWidth=6, color="#1565c0").encode(
            x="start:Q", x2="end:Q", y="y:Q", tooltip=["label:N"]))
    line = alt.Chart(pts).mark_line(color="#444").encode(
        x=alt.X("t:Q", title="Time (s)"), y=alt.Y("angle:Q", title=f"{name} angle (°)", scale=alt.Scale(zero=False)))
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
        st.caption("Shaded bands are repetitions (the label says good or needs work); the thick blue bar along the bottom marks holds.")
        st.altair_chart(chart, width="stretch")
    stem = Path(res["name"]).stem or "report"
    c1, c2 = st.columns(2)
    c1.download_button("Download report (JSON)", res["json"], file_name=f"formcheck_{stem}.json",
                       mime="application/json", key="dl_json")
    c2.download_button("Download repetitions (CSV)", res["csv"], file_name=f"formcheck_{stem}.csv",
                       mime="text/csv", key="dl_csv")


def page_analyse() -> None:
    st.title("Analyse a video")
    disclaimer()
    hist = get_history()
    names = exercise_names()
    if not names:
        return
    st.write("Film yourself from the side with your whole body in view, or try one of the sample clips. "
             "The video is processed on this computer in a temporary folder and deleted straight after; "
             "only the numbers are kept in your history.")
    samples = sup.list_samples(SAMPLE_DIR, names)
    tab_sample, tab_upload = st.tabs(["Try a sample clip", "Upload your own video"])
    choice = None
    with tab_sample:
        if not samples:
            st.info("No sample clips were found in the sample_videos folder.")
        else:
            titles = {str(c.path): c for c in samples}

            def on_sample_change() -> None:
                clip = titles.get(st.session_state.get("sample_clip"))
                if clip is not None and clip.exercise:
                    st.session_state["sample_exercise"] = clip.exercise

            if "sample_clip" not in st.session_state:
                st.session_state["sample_clip"] = str(samples[0].path)
                on_sample_change()
            sel = st.selectbox("Sample clip", list(titles), format_func=lambda p: titles[p].title,
                               key="sample_clip", on_change=on_sample_change)
            clip = titles[sel]
            ex = st.selectbox("Exercise", list(names), format_func=lambda k: names[k], key="sample_exercise",
                              index=None, placeholder="Choose the exercise")
            if st.button("Analyse this sample", type="primary", key="run_sample", disabled=ex is None):
                choice = (clip.path, ex, "sample", clip.path.name)
    with tab_upload:
        up = st.file_uploader(f"Video file (mp4, mov, webm, avi, mkv; up to {MAX_UPLOAD_MB} MB) or a landmark "
                              "track saved by 'formcheck track' (.fctrack)", type=UPLOAD_TYPES, key="upload_file")
        if up is not None and st.button("Suggest the exercise from the video", key="suggest"):
            suggest_for_upload(up, names)
        if st.session_state.get("_suggest_note"):
            st.info(st.session_state["_suggest_note"])
        ex_up = st.selectbox("Exercise", list(names), format_func=lambda k: names[k], key="upload_exercise",
                             index=None, placeholder="Choose the exercise")
        if st.button("Analyse my video", type="primary", key="run_upload", disabled=(up is None or ex_up is None)):
            choice = ("upload", up, ex_up)
    model = "full"
    if choice is not None:
        if choice[0] == "upload":
            _, up, ex_up = choice
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
        else:
            path, ex, source, name = choice
            analyse_file(path, ex, source, name, model, hist)
    res = st.session_state.get("analysis")
    if res:
        st.divider()
        show_analysis(res)


def suggest_for_upload(up, names: dict[str, str]) -> None:
    from formcheck.pose import ModelError
    from formcheck.video import VideoError

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


# ============================================================================ Safety & about page
def page_about() -> None:
    st.title("Safety & about")
    st.info(safety.DISCLAIMER)
    st.markdown("#### When not to exercise")
    st.write("Get medical help instead of exercising if you notice any of these:")
    st.markdown("\n".join(f"- {'**Urgent:** ' if f.urgency == safety.EMERGENCY else ''}{f.short.capitalize()}"
                          for f in safety.RED_FLAGS))
    st.write("Urgent signs need help straight away (emergency number or emergency department); the others need a "
             "doctor the same day. During any exercise, stop if your pain gets worse or a new pain appears: the "
             "'Stop — this hurts' button ends the set and records why.")
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
        st.write("Today's safety check: " + ("all answers were no." if not check["blocked"] else
                                             ("symptoms reported; you confirmed a professional has checked them."
                                              if check["acknowledged"] else "symptoms reported — please get medical help.")))
    st.markdown("#### Pain ratings")
    st.write("Before and after each live set you rate your pain from 0 (none) to 10 (worst imaginable). "
             "The History page shows both, so you and your physiotherapist can see how the exercises suit you.")
    st.markdown("#### Privacy")
    st.write("Everything runs on this computer. The camera picture is analysed frame by frame and never recorded; "
             "uploaded videos are deleted as soon as they are analysed. Only numbers (reps, holds, form tips, pain "
             "ratings, safety answers) are kept, in a local file you can export or delete on the History page.")
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
    try:
        {"Exercise": page_exercise, "Analyse a video": page_analyse, "History": page_history,
         "Safety & about": page_about}[page]()
    except CONTROL_FLOW:  # st.rerun / st.stop are Streamlit's control flow, not errors
        raise
    except Exception as e:  # last resort: the traceback goes to the log, the page gets one line
        log.exception("page failed")
        st.error(f"Something went wrong on this page: {one_line(e)}. Reload the page to try again.")


main()
