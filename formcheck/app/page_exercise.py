"""The Exercise page: live webcam coaching of one set."""

from __future__ import annotations

import html

import streamlit as st

from formcheck.app import support as sup
from formcheck.app.common import (
    STOP_WORDS,
    WEBRTC_KEY,
    big,
    disclaimer,
    dosage_line,
    exercise_names,
    get_history,
    history_note,
    safety_gate,
)
from formcheck.app.history import History, HistoryError
from formcheck.app.live_processor import LiveProcessor, one_line
from formcheck.core import safety
from formcheck.core.exercise import ExerciseError, get_exercise


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
