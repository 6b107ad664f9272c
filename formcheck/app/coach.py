"""The coach view: what a person lying on the floor 2-3 m from the screen needs to read, and the set
set-up shared by a single exercise and today's routine (doses, paced mode, the live session)."""

from __future__ import annotations

import dataclasses
import html
import math

import streamlit as st

from formcheck.app import support as sup
from formcheck.app.common import log
from formcheck.app.history import History, HistoryError
from formcheck.core.exercise import ExerciseError, all_exercises, get_exercise
from formcheck.core.pacer import PacedSession
from formcheck.core.routine import Dose, doses_from_json, doses_to_json, guide_doses
from formcheck.core.session import Session

#: Large, high-contrast numbers (readable from about 3 m on a laptop screen at 1280x720). The light
#: and dark coach screens are solid panels with their own colours (contrast above 15:1 either way).
COACH_CSS = """
<style>
.fc-coach {border-radius: 0.8rem; padding: 0.7rem 1.1rem; margin-bottom: 0.5rem;}
.fc-coach.light {background: #ffffff; color: #000000; border: 3px solid #1f1f1f;}
.fc-coach.dark {background: #000000; color: #ffffff; border: 3px solid #ffffff;}
.fc-coach .lab {font-size: 1.25rem; font-weight: 600; opacity: 0.85; letter-spacing: 0.02em;}
.fc-coach .count {font-size: 6.2rem; font-weight: 800; line-height: 1.0; font-variant-numeric: tabular-nums;}
.fc-coach .count small {font-size: 2.6rem; font-weight: 700;}
.fc-coach .hold {font-size: 4.2rem; font-weight: 800; line-height: 1.05; font-variant-numeric: tabular-nums;}
.fc-coach .hold.words {font-size: 2.6rem;}
.fc-coach .cue {font-size: 1.7rem; font-weight: 700; line-height: 1.2; margin-top: 0.3rem;}
.fc-coach.light .cue.warn {color: #8a0000;} .fc-coach.dark .cue.warn {color: #ffd54f;}
.fc-coach.light .bar {background: #d0d0d0;} .fc-coach.dark .bar {background: #444;}
.fc-coach .bar {height: 0.9rem; border-radius: 0.45rem; overflow: hidden; margin: 0.2rem 0 0.3rem 0;}
.fc-coach.light .bar span {background: #0b5394;} .fc-coach.dark .bar span {background: #7fd3ff;}
.fc-coach .bar span {display: block; height: 100%;}
.fc-strip {font-size: 1.5rem; font-weight: 700; padding: 0.35rem 0.8rem; border-radius: 0.5rem; margin-bottom: 0.4rem;}
.fc-strip.light {background: #0b3954; color: #ffffff;} .fc-strip.dark {background: #000000; color: #ffffff; border: 3px solid #000000;}
.fc-rest .count {font-size: 7rem;}
.fc-sr {position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;}
[data-testid="stMainBlockContainer"] {padding-top: 2.2rem;}
</style>
"""

#: Said on the page, plainly, when paced mode is the default for the pelvic tilt.
PACED_WHY = (
    "The camera cannot see a pelvic tilt for most people: the pelvis tips by a few millimetres, often less "
    "than the camera's own wobble when you lie still. So formcheck leads each tilt for you (paced mode): "
    "it says when to tilt, counts the hold down and counts the tilts it led. The camera still checks what it "
    "can see: that you stay in position, that your hips stay on the floor and that you have not left the mat."
)
PACED_SHORT = (
    "Paced mode: formcheck says when to move, counts each hold down and counts the repetitions it led; the "
    "camera checks only that you stay in position."
)


def theme() -> str:
    return "dark" if st.session_state.get("coach_dark") else "light"


def names() -> dict[str, str]:
    try:
        return {k: v.name for k, v in all_exercises().items()}
    except ExerciseError:
        return {}


# ---------------------------------------------------------------------------- doses (saved per user)
def load_doses(hist: History | None) -> list[Dose]:
    """The person's doses: the guide's, with their saved changes on top."""
    defaults = guide_doses(all_exercises())
    saved = st.session_state.get("_doses_mem")
    if hist is not None:
        try:
            saved = hist.get_pref("doses") or saved
        except HistoryError as e:
            log.warning("doses not read: %s", e)
    return doses_from_json(saved, defaults)


def save_doses(hist: History | None, doses: list[Dose], rest_s: float | None = None) -> None:
    st.session_state["_doses_mem"] = doses_to_json(doses)
    if rest_s is not None:
        st.session_state["_rest_mem"] = float(rest_s)
    if hist is None:
        return
    try:
        hist.set_pref("doses", doses_to_json(doses))
        if rest_s is not None:
            hist.set_pref("rest_s", float(rest_s))
    except HistoryError as e:
        st.warning(f"Your doses could not be saved: {e}. They are kept until you close this page.")


def load_rest(hist: History | None, default: float) -> float:
    value = st.session_state.get("_rest_mem", default)
    if hist is not None:
        try:
            saved = hist.get_pref("rest_s")
            value = float(saved) if isinstance(saved, (int, float)) else value
        except HistoryError:
            pass
    return value


def is_paced(dose: Dose) -> bool:
    """Paced unless the person chose otherwise: on by default for the pelvic tilt (see :data:`PACED_WHY`)."""
    return dose.paced if dose.paced is not None else dose.exercise == "pelvic_tilt"


def session_factory(dose: Dose, paced: bool, side: str | None):
    """What the live processor makes for a set of ``dose``: a Session (counting from the picture)
    or a PacedSession, with the dose's reps and hold as the targets."""
    spec = get_exercise(dose.exercise)
    d = spec.dosage
    spec = dataclasses.replace(
        spec,
        dosage=dataclasses.replace(
            d, reps=int(dose.reps), hold_s=float(dose.hold_s), min_hold_s=min(d.min_hold_s, float(dose.hold_s))
        ),
    )

    def make(_exercise: str):
        if paced:
            return PacedSession(spec, side=side or "none")
        return Session(spec)

    return make


def target_reached(snap, dose: Dose, paced: bool) -> bool:
    """The set is complete: every paced rep led, or the dose counted (per side when sides alternate)."""
    s = snap.status
    if not snap.active:
        return False
    if paced:
        return s.get("paced_phase") == "done"
    by_side = s.get("reps_by_side") or {}
    if dose.sides == "alternate":
        return all(by_side.get(k, 0) >= dose.reps for k in ("left", "right"))
    return int(s.get("reps", 0)) >= dose.reps


# ---------------------------------------------------------------------------- the big numbers
def coach_numbers(snap, reps_target: int, hold_target: float, per_side_note: str | None = None) -> str:
    """The counter, the hold countdown and the one current message, as large HTML."""
    s = snap.status
    reps = int(s.get("reps", 0))
    paced = bool(s.get("paced"))
    out = [
        f"<div class='fc-coach {theme()}' data-testid='fc-coach'>",
        f"<div class='lab'>{'Repetitions led' if paced else 'Repetitions'}</div>",
        f"<div class='count' data-testid='fc-reps'><span class='fc-sr'>Reps: </span>{reps}<small> / {reps_target}</small></div>",
    ]
    good = int(s.get("good_reps", 0))
    if reps:
        out.append(f"<div class='lab'>Good form: {good} of {reps}</div>")
    hold = float(s.get("hold_s") or 0.0)
    phase = s.get("phase")
    if hold_target > 0:
        if phase == "hold" and not snap.finished:
            left = max(0.0, hold_target - hold)
            out.append("<div class='lab'>Hold</div>")
            # whole seconds counted down like the voice ("Hold 5, 4, 3, 2, 1"): 0.4 s left still reads "1 s to go"
            text = f"{math.ceil(left - 1e-6)} s to go" if left > 0.05 else "Done — and relax"
            words = " words" if left <= 0.05 else ""
            out.append(f"<div class='hold{words}' data-testid='fc-hold'>{html.escape(text)}</div>")
            out.append(
                f"<div class='bar'><span style='width:{min(100.0, 100 * hold / hold_target):.0f}%'></span></div>"
            )
        else:
            out.append(f"<div class='lab'>Hold</div><div class='hold' data-testid='fc-hold'>{hold_target:g} s</div>")
    msg, warn = coach_message(snap)
    if per_side_note and not warn:
        msg = per_side_note
    if msg:
        out.append(f"<div class='cue{' warn' if warn else ''}' data-testid='fc-cue'>{html.escape(msg)}</div>")
    out.append("</div>")
    return "".join(out)


def coach_message(snap) -> tuple[str | None, bool]:
    """(the one message to show now, whether it asks the person to change something)."""
    s = snap.status
    if snap.error:
        return snap.error, True
    if snap.finished:
        return "Set finished.", False
    if snap.frames == 0:
        return "Press START under the video and allow the camera.", False
    if s.get("paced_note"):
        return s["paced_note"], True
    if s.get("phase") == "setup":
        return (
            s.get("setup_message") or "Get into the start position."
        ) + " Counting starts when you are in position.", True
    if s.get("phase") == "calibrating":
        return "Keep still for a moment: learning your resting position.", False
    if s.get("cue"):
        return s["cue"], s.get("cue_code") not in (None, "good_rep", "paced")
    return {
        "rest": "Ready — start the next one when you like.",
        "moving": "Moving…",
        "hold": "Holding — keep breathing.",
    }.get(s.get("phase"), None), False


def alternate_note(snap, dose: Dose) -> str | None:
    """For sides that take turns (bird-dog): after each rep, "Now the other side"."""
    if dose.sides != "alternate":
        return None
    last = next((e for e in reversed(snap.events) if e.get("type") == "rep"), None)
    if last is None or last.get("side") not in ("left", "right"):
        return None
    other = "right" if last["side"] == "left" else "left"
    return f"Now the other side ({other})."


def scroll_to_top(uid: str, to_coach: bool = False) -> None:
    """Once for ``uid`` (a set or rest starting, the camera's first frames), bring the coach view into the
    first screen, whatever was scrolled to reach the start button: today's routine from its progress
    strip, one exercise (whose instructions sit above) from the row of the video and the counter
    (``to_coach``). Emit it below the video: an element that comes and goes above it restarts the camera."""
    if st.session_state.get("_scrolled_for") == uid:
        return
    st.session_state["_scrolled_for"] = uid
    target = "true" if to_coach else "false"
    st.html(
        "<script>(function(){var w=window.parent&&window.parent.document?window.parent:window;var n=0;"
        "function go(){try{var d=w.document,el=null;if("
        + target
        + "){var c=d.querySelector('[data-testid=\"fc-coach\"]');"
        "el=c&&c.closest('[data-testid=\"stHorizontalBlock\"]');}else{el=d.querySelector('[data-testid=\"fc-strip\"]');}"
        "if(el){el.scrollIntoView({block:'start'});return;}if(n++<10){setTimeout(go,300);}}catch(e){}}go();})();</script>",
        unsafe_allow_javascript=True,
    )


def speak(msg: str | None, uid: str) -> None:
    """Say ``msg`` once (when voice is on): the browser's own voice, nothing leaves the computer."""
    if not msg or not st.session_state.get("voice_on"):
        return
    if st.session_state.get("_last_spoken") == (uid, msg):
        return
    st.session_state["_last_spoken"] = (uid, msg)
    n = st.session_state["_spoken_n"] = st.session_state.get("_spoken_n", 0) + 1
    st.html(sup.speech_html(msg, f"{uid}-{n}"), unsafe_allow_javascript=True)  # each utterance its own id


def spoken_now(snap) -> str | None:
    """The words to say for this snapshot: the pacer's beat first, else a side switch, a cue or set-up help."""
    s = snap.status
    if s.get("paced_say") and s.get("paced_phase") != "setup":
        return s["paced_say"]
    if snap.side_message:
        return snap.side_message
    if s.get("cue"):
        return s["cue"]
    if s.get("phase") in ("setup", "calibrating") and s.get("setup_message") and snap.frames:
        return s["setup_message"]
    return None
