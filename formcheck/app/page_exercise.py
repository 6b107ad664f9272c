"""The Exercise page: today's routine (the guide's exercises in order, with rests and sides) or one
exercise, both shown in the coach view once a set runs: camera, large counter, hold countdown and
the one current message, with the stop buttons always in view."""

from __future__ import annotations

import html
import time

import streamlit as st

from formcheck.app import coach
from formcheck.app import support as sup
from formcheck.app.common import (
    WEBRTC_KEY,
    disclaimer,
    dosage_line,
    exercise_names,
    get_history,
    history_note,
    log,
    safety_gate,
)
from formcheck.app.history import History, HistoryError, today
from formcheck.app.live_processor import LiveProcessor, live_caption, one_line
from formcheck.core import safety
from formcheck.core.exercise import ExerciseError, get_exercise
from formcheck.core.routine import REST_S, SIDE_REST_S, SIDES, Dose, Routine

MODES = ("Today's routine", "One exercise")
PAIN_QUESTION = "How much does your back hurt right now? (0 = no pain, 10 = worst imaginable)"


# ============================================================================ shared pieces
def exercise_details(spec) -> None:
    st.markdown(f"**{spec.summary}**")
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("#### How to do it")
        st.markdown("\n".join(f"{i}. {s}" for i, s in enumerate(spec.instructions, 1)))
        st.markdown(f"**Dose:** {dosage_line(spec)}" + (f" — {spec.dosage.text}" if spec.dosage.text else ""))
    with c2:
        st.markdown("#### Camera set-up")
        view = {"side": "Side view: the camera looks at you from the side."}.get(
            spec.camera.view, f"View: {spec.camera.view}."
        )
        st.markdown("\n".join(f"- {s}" for s in (view, *spec.camera.advice, "Only one person in the picture, please.")))
        if spec.safety:
            st.markdown("#### Be careful")
            st.markdown("\n".join(f"- {s}" for s in spec.safety))
    if spec.limitations:
        with st.expander("What the camera can and cannot judge"):
            st.markdown("\n".join(f"- {s}" for s in spec.limitations))


def get_processor(exercise: str, model: str, hist: History | None) -> LiveProcessor:
    proc: LiveProcessor | None = st.session_state.get("_live_proc")
    if proc is None:
        proc = LiveProcessor(exercise, model=model, saver=sup.history_saver(hist))
        st.session_state["_live_proc"] = proc
    proc.model = model
    return proc


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


def settings_box() -> None:
    with st.expander("Settings"):
        st.checkbox("Speak the cues aloud (your browser's own voice; nothing is sent anywhere)", key="voice_on")
        st.checkbox("Dark coach screen (white on black)", key="coach_dark")
        st.radio(
            "Pose model",
            ["full", "lite"],
            horizontal=True,
            key="live_model",
            format_func=lambda m: {"full": "Accurate (full)", "lite": "Faster (lite)"}[m],
        )


def pain_rating(key: str) -> int | None:
    pain = st.radio(PAIN_QUESTION, list(range(11)), index=None, horizontal=True, key=key)
    if pain is None:
        st.info("Rate your pain first; formcheck keeps it with your sets so you can see how exercise affects it.")
        return None
    note = safety.pain_before_advice(pain)
    if note:
        st.warning(note)
    return int(pain)


def numbers_for(snap, dose: Dose, paced: bool) -> None:
    target = dose.reps * (2 if dose.sides == "alternate" and not paced else 1)
    st.markdown(
        coach.coach_numbers(snap, target, dose.hold_s, coach.alternate_note(snap, dose)), unsafe_allow_html=True
    )
    s = snap.status
    sides = {k: v for k, v in (s.get("reps_by_side") or {}).items() if k in ("left", "right")}
    if sides and dose.sides == "alternate":
        st.markdown(
            f"<div class='fc-coach {coach.theme()}'><div class='lab'>"
            + " · ".join(f"{k.capitalize()}: {sides.get(k, 0)} / {dose.reps}" for k in ("left", "right"))
            + "</div></div>",
            unsafe_allow_html=True,
        )
    st.caption(live_caption(snap))
    if snap.model_note:
        st.info(snap.model_note)


# ============================================================================ one exercise
def single_dose(ex_id: str, hist: History | None) -> Dose:
    return next((d for d in coach.load_doses(hist) if d.exercise == ex_id), None) or Dose(
        ex_id, get_exercise(ex_id).dosage.reps, get_exercise(ex_id).dosage.hold_s
    )


@st.fragment(run_every=0.5)
def single_panel() -> None:
    proc: LiveProcessor | None = st.session_state.get("_live_proc")
    ctx = st.session_state.get("_single_ctx")
    if proc is None or ctx is None:
        return
    dose, paced = ctx
    snap = proc.snapshot()
    if snap.active and not st.session_state.get("_coach_on"):
        st.session_state["_coach_on"] = True
        st.rerun(scope="app")  # the coach view: instructions fold away
    numbers_for(snap, dose, paced)
    if snap.active and snap.frames:  # the camera is on: the coach view into the first screen
        coach.scroll_to_top(f"live-{snap.set_key}", to_coach=True)
    coach.speak(coach.spoken_now(snap), f"{snap.set_key}")
    if snap.finished and snap.set_key and st.session_state.get("_summary_shown_for") != snap.set_key:
        st.session_state["_summary_shown_for"] = snap.set_key
        st.rerun(scope="app")


def single_exercise(hist: History | None) -> None:
    names = exercise_names()
    if not names:
        return
    ids = list(names)
    default = ids.index("bridge") if "bridge" in ids else 0
    proc_now: LiveProcessor | None = st.session_state.get("_live_proc")
    running = proc_now is not None and proc_now.snapshot().active
    ex_id = st.selectbox("Exercise", ids, index=default, format_func=lambda k: names[k], key="live_exercise")
    try:
        spec = get_exercise(ex_id)
    except ExerciseError as e:
        st.error(one_line(e))
        return
    dose = single_dose(ex_id, hist)
    paced_default = coach.is_paced(dose)
    paced = st.toggle(
        "Paced mode: formcheck leads each repetition and counts the ones it led",
        value=paced_default,
        key=f"paced_{ex_id}",
    )
    st.markdown(f"### {spec.name} — {dose.text()}")
    if paced and ex_id == "pelvic_tilt":
        st.info(coach.PACED_WHY)
    elif paced:
        st.caption(coach.PACED_SHORT)
    with st.expander("How to do it and where to put the camera", expanded=not running):
        exercise_details(spec)
    pain = pain_rating("pain_before")
    if pain is None:
        return
    settings_box()
    model = st.session_state.get("live_model", "full")
    proc = get_processor(ex_id, model, None if hist is None else hist)
    proc.idle_cue = None
    want = (ex_id, dose, paced)
    if st.session_state.get("_single_want") != want or proc.exercise != ex_id:
        proc.session_factory = coach.session_factory(dose, paced, None)
        if proc.exercise != ex_id or st.session_state.get("_single_want") is not None:
            proc.arm(ex_id)  # a new exercise (or mode) is a new set: the counter starts again
        st.session_state["_single_want"] = want
    st.session_state["_single_ctx"] = (dose, paced)
    proc.set_meta(pain_before=int(pain), paced=paced)

    left, right = st.columns([3, 2])
    with left:
        webrtc_widget(proc)
        st.caption("Your video is analysed on this computer and never saved.")
    with right:
        stop_pain = st.button("Stop — this hurts", type="primary", key="stop_pain", width="stretch")
        b2, b3 = st.columns(2)
        if stop_pain:
            proc.stop("pain")
            st.session_state["_summary_shown_for"] = proc.snapshot().set_key
        if b2.button("Finish set", key="finish_set", width="stretch"):
            proc.stop("finished")
            st.session_state["_summary_shown_for"] = proc.snapshot().set_key
        if b3.button("Start another set", key="new_set", width="stretch"):
            proc.arm(ex_id)
        single_panel()
    snap = proc.snapshot()
    if running:  # below the video: an element that comes and goes above it would restart the camera
        coach.scroll_to_top(f"single-{snap.set_key}", to_coach=True)
    if snap.finished and snap.set_key:
        st.session_state["_coach_on"] = False
        st.divider()
        set_summary(snap, hist, spec)


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
        st.markdown("**Things to work on:**\n" + "\n".join(f"- {f['cue']} (seen {f['count']}×)" for f in faults))
    elif rep.get("reps"):
        st.write("No form problems were spotted. Well done.")
    if any(w.get("code") == "tilt_not_seen" for w in rep.get("warnings") or []):
        st.info(
            "The camera could not see your tilts this time (they stayed within the wobble of your resting "
            "position). Paced mode is switched on for the pelvic tilt: next time formcheck leads each tilt."
        )
        doses = coach.load_doses(hist)
        coach.save_doses(
            hist,
            [
                Dose(d.exercise, d.reps, d.hold_s, d.sides, True, d.enabled) if d.exercise == "pelvic_tilt" else d
                for d in doses
            ],
        )
        st.session_state.pop("paced_pelvic_tilt", None)
    if snap.stop_reason == "pain":
        st.warning(
            "You stopped because it hurt. Rest in a comfortable position. If the pain does not settle, "
            "or anything from the safety check appears, contact a doctor."
        )
    st.caption("This set is saved in your history." if hist else "History is not available, so this set was not saved.")
    if hist is not None:
        report_download(hist, snap.set_key, "dl_set_html")
    pain_after_form(hist, [snap.set_key], snap.meta.get("pain_before"), snap.set_key)


def report_download(hist: History, key: str, widget_key: str) -> None:
    """The HTML report of a saved set (the page ``formcheck report KEY`` writes)."""
    from formcheck.media.report_html import html_for_report

    try:
        row, rep = hist.get_set(key), hist.get_report(key)
    except HistoryError as e:
        st.warning(f"The report could not be made: {one_line(e)}")
        return
    if row is None or rep is None:
        return
    page = html_for_report(
        rep,
        hist=hist,
        exclude_key=key,
        day=row["day"],
        source_kind=row["source"],
        pain_before=row["pain_before"],
        pain_after=row["pain_after"],
    )
    st.download_button(
        "Download the report of this set (HTML)",
        page,
        file_name=f"formcheck_{row['day']}_{key[:6]}.html",
        mime="text/html",
        key=widget_key,
    )


def pain_after_form(hist: History | None, keys: list[str], pain_before, form_key: str) -> None:
    saved = st.session_state.setdefault("_pain_after", {})
    if form_key in saved:
        st.write(f"Pain afterwards: **{saved[form_key]} / 10**.")
        advice = safety.pain_advice(pain_before, saved[form_key])
        if advice:
            st.info(advice)
        return
    with st.form(f"pain_after_{form_key}"):
        v = st.radio(
            "How much does your back hurt now? (0 = no pain, 10 = worst imaginable)",
            list(range(11)),
            index=None,
            horizontal=True,
            key=f"pain_after_value_{form_key}",
        )
        if st.form_submit_button("Save my pain rating"):
            if v is None:
                st.warning("Please choose a number from 0 to 10.")
            else:
                if hist is not None:
                    for key in keys:
                        try:
                            hist.set_pain(key, after=int(v))
                        except (HistoryError, ValueError) as e:
                            st.error(one_line(e))
                saved[form_key] = int(v)
                st.rerun()


# ============================================================================ today's routine
def load_routine(hist: History | None) -> Routine | None:
    """Today's routine: this browser session's, else the one saved in the history (a reload resumes it)."""
    data = st.session_state.get("_routine")
    if data is None and hist is not None:
        try:
            data = hist.get_pref("routine")
        except HistoryError as e:
            log.warning("routine not read: %s", e)
    if not data or data.get("day") != today():
        return None
    st.session_state["_routine"] = data  # the live panel reads it from here
    if data.get("pain_before") is not None:
        st.session_state.setdefault("_routine_pain", data["pain_before"])
    try:
        return Routine.from_dict(data)
    except ValueError as e:
        st.warning(f"Today's routine could not be resumed ({e}); start it again.")
        return None


def save_routine(hist: History | None, r: Routine | None) -> None:
    data = None if r is None else {**r.to_dict(), "pain_before": st.session_state.get("_routine_pain")}
    st.session_state["_routine"] = data
    if hist is not None:
        try:
            hist.set_pref("routine", data)
        except HistoryError as e:
            log.warning("routine not saved: %s", e)


def dose_editor(hist: History | None, names: dict[str, str]) -> None:
    doses = coach.load_doses(hist)
    rest = coach.load_rest(hist, REST_S)
    with st.expander("Change the exercises and doses (saved for next time)"):
        if st.session_state.pop("_doses_saved", False):
            st.success("Saved. Your routine uses these doses from now on.")
        with st.form("doses_form"):
            new = []
            for d in doses:
                c = st.columns([3, 2, 2, 3, 3])
                on = c[0].checkbox(names.get(d.exercise, d.exercise), value=d.enabled, key=f"dose_on_{d.exercise}")
                reps = c[1].number_input("Reps", 1, 100, int(d.reps), key=f"dose_reps_{d.exercise}")
                hold = c[2].number_input(
                    "Hold (s)", 0.0, 120.0, float(d.hold_s), step=1.0, key=f"dose_hold_{d.exercise}"
                )
                sides = c[3].selectbox(
                    "Sides",
                    SIDES,
                    index=SIDES.index(d.sides),
                    key=f"dose_sides_{d.exercise}",
                    format_func=lambda s: {
                        "none": "both legs together",
                        "each": "one side, then the other",
                        "alternate": "sides take turns",
                    }[s],
                )
                paced = c[4].selectbox(
                    "Counting",
                    ("auto", "paced", "camera"),
                    key=f"dose_paced_{d.exercise}",
                    index={None: 0, True: 1, False: 2}[d.paced],
                    format_func=lambda p: {
                        "auto": "formcheck decides",
                        "paced": "paced (led)",
                        "camera": "counted by the camera",
                    }[p],
                )
                new.append(
                    Dose(
                        d.exercise,
                        int(reps),
                        float(hold),
                        sides,
                        {"auto": None, "paced": True, "camera": False}[paced],
                        bool(on),
                    )
                )
            rest_s = st.number_input("Rest between exercises (s)", 0, 600, int(rest), key="dose_rest")
            if st.form_submit_button("Save my doses"):
                try:
                    checked = [d.checked() for d in new]
                    if not any(d.enabled for d in checked):
                        raise ValueError("switch at least one exercise on")
                except ValueError as e:
                    st.warning(f"Not saved: {e}.")
                else:
                    coach.save_doses(hist, checked, float(rest_s))
                    st.session_state["_doses_saved"] = True
                    st.rerun()


@st.fragment(run_every=0.5)
def routine_panel() -> None:
    """The live part of the routine: the set's numbers, the rest countdown, and moving on."""
    proc: LiveProcessor | None = st.session_state.get("_live_proc")
    data = st.session_state.get("_routine")
    if proc is None or not data:
        return
    hist = get_history()
    try:
        r = Routine.from_dict(data)
    except ValueError:
        return
    names = coach.names()
    now = time.time()
    if r.phase == "rest":
        left = r.rest_left(now)
        st.markdown(
            f"<div class='fc-coach fc-rest {coach.theme()}' data-testid='fc-coach'><div class='lab'>Rest</div>"
            f"<div class='count' data-testid='fc-rest'>{left:.0f} s</div>"
            f"<div class='cue'>{html.escape(r.announcement(names))}</div></div>",
            unsafe_allow_html=True,
        )
        coach.speak(r.announcement(names), f"rest-{len(r.results)}")
        if r.tick(now):
            save_routine(hist, r)
            st.rerun(scope="app")
        return
    if r.phase != "set":
        return
    snap = proc.snapshot()
    dose = r.current
    paced = coach.is_paced(dose)
    numbers_for(snap, dose, paced)
    if snap.active and snap.frames:  # the camera is on: the coach view into the first screen
        coach.scroll_to_top(f"live-{snap.set_key}")
    coach.speak(coach.spoken_now(snap) or r.announcement(names), f"{snap.set_key or len(r.results)}")
    if coach.target_reached(snap, dose, paced):
        proc.stop("finished")
        finish_routine_set(hist, r, proc.snapshot())
        st.rerun(scope="app")
    elif snap.finished and snap.set_key and st.session_state.get("_armed_for") == token(r):
        # the camera was stopped mid-set: that set is kept in the history; the same step starts again
        st.session_state["_armed_for"] = None
        st.rerun(scope="app")


def token(r: Routine) -> str:
    return f"{r.index}-{r.side}-{len(r.results)}"


def finish_routine_set(hist: History | None, r: Routine, snap, skipped: bool = False) -> None:
    rep = snap.report or {}
    result = {
        "key": snap.set_key,
        "reps": int(rep.get("reps", 0)),
        "good_reps": int(rep.get("good_reps", 0)),
        "holds": len(rep.get("holds") or []),
        "paced": bool(snap.status.get("paced")),
        "stop_reason": getattr(snap, "stop_reason", None),
    }
    if skipped:
        r.skip(time.time())
        if snap.set_key:
            r.results[-1].update({k: v for k, v in result.items() if k != "skipped"})
    else:
        r.set_done(result, time.time())
    save_routine(hist, r)
    if r.phase == "rest" and st.session_state.get("_live_proc") is not None:
        st.session_state["_live_proc"].idle_cue = "Rest. " + r.announcement(coach.names())


def arm_routine_set(proc: LiveProcessor, r: Routine, pain_before: int | None) -> None:
    """Make the processor's next set the routine's current one (once per step and side)."""
    if st.session_state.get("_armed_for") == token(r):
        return
    dose = r.current
    paced = coach.is_paced(dose)
    proc.session_factory = coach.session_factory(dose, paced, r.side)
    proc.idle_cue = None
    proc.arm(dose.exercise, meta={"pain_before": pain_before, "paced": paced, "routine_step": r.index + 1})
    st.session_state["_armed_for"] = token(r)


def routine_summary(hist: History | None, r: Routine, names: dict[str, str]) -> None:
    st.header("Today's routine is done" if r.phase == "done" else "Routine stopped")
    rows = []
    for x in r.results:
        rows.append(
            {
                "Exercise": names.get(x["exercise"], x["exercise"]),
                "Side": "—" if x.get("side") in (None, "none") else x["side"],
                "Repetitions": "skipped" if x.get("skipped") and not x.get("key") else x.get("reps", 0),
                "Good form": x.get("good_reps", "—"),
                "Counted": "led (paced)" if x.get("paced") else "camera",
            }
        )
    if rows:
        import pandas as pd

        st.table(pd.DataFrame(rows))
    else:
        st.write("No set was done.")
    if any(x.get("stop_reason") == "pain" for x in r.results):
        st.warning(
            "You stopped because it hurt. Rest in a comfortable position. If the pain does not settle, "
            "or anything from the safety check appears, contact a doctor."
        )
    st.caption("Every set is in your history." if hist else "History is not available, so these sets were not saved.")
    keys = [x["key"] for x in r.results if x.get("key")]
    pain_before = st.session_state.get("_routine_pain")
    if keys:
        pain_after_form(hist, keys, pain_before, "routine-" + keys[0])
    if st.button("Close this routine", key="routine_close"):
        save_routine(hist, None)
        st.session_state["_armed_for"] = None
        st.rerun()


def routine_page(hist: History | None) -> None:
    names = coach.names()
    if not names:
        return
    r = load_routine(hist)
    if r is not None and r.over:
        routine_summary(hist, r, names)
        return
    if r is None:
        doses = [d for d in coach.load_doses(hist) if d.exercise in names]
        st.markdown("### Today's routine")
        st.write(
            "One button runs the guide's exercises in order, with a rest between them and each side in turn. "
            "Lie down where the camera sees you from the side; formcheck tells you what comes next."
        )
        st.markdown(
            "\n".join(
                f"{i}. **{names[d.exercise]}** — {d.text()}" + (" · paced" if coach.is_paced(d) else "")
                for i, d in enumerate([d for d in doses if d.enabled], 1)
            )
        )
        if any(d.enabled and d.exercise == "pelvic_tilt" and coach.is_paced(d) for d in doses):
            st.info(coach.PACED_WHY)
        dose_editor(hist, names)
        pain = pain_rating("routine_pain_before")
        if pain is None:
            return
        if st.button("Start today's routine", type="primary", key="routine_start"):
            try:
                rest = coach.load_rest(hist, REST_S)
                r = Routine(coach.load_doses(hist), rest_s=rest, side_rest_s=min(SIDE_REST_S, rest), day=today())
            except ValueError as e:
                st.warning(f"The routine cannot start: {e}.")
                return
            st.session_state["_routine_pain"] = pain
            save_routine(hist, r)
            st.session_state["_armed_for"] = None
            st.rerun()
        return
    # ---- the routine is running: the coach view
    pain_before = st.session_state.get("_routine_pain")
    st.markdown(
        f"<div class='fc-strip {coach.theme()}' data-testid='fc-strip'>{html.escape(r.label(names))}</div>",
        unsafe_allow_html=True,
    )
    dose = r.current
    top1, top2 = st.columns(2)  # collapsed above the coach view; always there, so the video below never moves
    with top1:
        settings_box()
    with top2:
        try:
            spec = get_exercise(dose.exercise)
            with st.expander(f"How to do it: {spec.name}"):
                exercise_details(spec)
        except ExerciseError as e:
            st.error(one_line(e))
    model = st.session_state.get("live_model", "full")
    proc = get_processor(r.current.exercise, model, hist)
    if r.phase == "set":
        arm_routine_set(proc, r, pain_before)
    left, right = st.columns([3, 2])
    with left:
        webrtc_widget(proc)
    with right:
        stop_pain = st.button("Stop — this hurts", type="primary", key="routine_stop_pain", width="stretch")
        b2, b3 = st.columns(2)
        if stop_pain:
            proc.stop("pain")
            if r.phase == "set":
                finish_routine_set(hist, r, proc.snapshot())
            r.stop()
            save_routine(hist, r)
            st.rerun()
        if b2.button(
            "Skip", key="routine_skip", width="stretch", help="Skip this set (or the rest of the rest) and go on"
        ):
            if r.phase == "set":
                was_running = proc.stop("finished")
                finish_routine_set(hist, r, proc.snapshot() if was_running else _Empty(), skipped=True)
            else:
                r.skip(time.time())
                save_routine(hist, r)
            st.rerun()
        if b3.button("Stop routine", key="routine_stop", width="stretch"):
            if proc.stop("finished") and r.phase == "set":
                finish_routine_set(hist, r, proc.snapshot())
            r.stop()
            save_routine(hist, r)
            st.rerun()
        routine_panel()
    if r.phase == "set" and dose.exercise == "pelvic_tilt" and coach.is_paced(dose):
        st.caption(coach.PACED_WHY)
    # last on the page: an element that comes and goes above the video would restart the camera
    coach.scroll_to_top(f"routine-{token(r)}-{r.phase}")


class _Empty:
    """A snapshot of no set (a set skipped before it started)."""

    set_key = None
    report = None
    stop_reason = None
    status: dict = {}


# ============================================================================ the page
def page_exercise() -> None:
    st.markdown(coach.COACH_CSS, unsafe_allow_html=True)
    hist = get_history()
    routine_running = (r := load_routine(hist)) is not None and not r.over
    if not routine_running:
        st.title("Guided exercise")
        disclaimer()
    if not safety_gate(hist, compact=routine_running):
        return
    history_note(hist)
    if routine_running:
        routine_page(hist)
        return
    mode = st.radio("What would you like to do?", MODES, horizontal=True, key="ex_mode")
    if mode == MODES[0]:
        routine_page(hist)
    else:
        single_exercise(hist)
