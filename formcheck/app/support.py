"""Small pure helpers for the Streamlit app (no Streamlit import): WebRTC settings, voice cues,
sample clips, exercise suggestion, per-rep tables and chart data."""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.core.fileio import TRACK_SUFFIX, VIDEO_SUFFIXES
from formcheck.core.report import summarise_faults

TRACK_SUFFIXES = (TRACK_SUFFIX,)
#: What the upload box accepts: videos, and landmark tracks saved by ``formcheck track``.
UPLOAD_SUFFIXES = VIDEO_SUFFIXES + TRACK_SUFFIXES


# ---------------------------------------------------------------------------- uploads
def upload_kind(name: str) -> str:
    """``"video"`` or ``"track"`` for an uploaded file, from the name the person gave it (its
    suffix), never from its content. Raises ValueError (one line) for any other name."""
    suffix = Path(str(name)).suffix.lower()
    if suffix in TRACK_SUFFIXES:
        return "track"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    shown = " ".join(str(name).split())[:80]
    raise ValueError(
        f"{shown}: formcheck reads videos ({', '.join(VIDEO_SUFFIXES)}) and landmark tracks "
        f"({', '.join(TRACK_SUFFIXES)}); rename the file for its format"
    )


def probe_video(path: str | Path) -> None:
    """Let the container say whether ``path`` is a video it can play: its header is probed (nothing
    is decoded or decompressed). Raises :class:`formcheck.media.video.VideoError` (one line) if not."""
    from formcheck.media.video import open_video

    open_video(path).close()


# ---------------------------------------------------------------------------- Streamlit
def streamlit_control_flow() -> tuple[type[BaseException], ...]:
    """Streamlit's control-flow exceptions (raised by st.rerun and st.stop). They derive from
    BaseException, so ``except Exception`` never sees them; a page that catches BaseException
    must re-raise these. Empty when this Streamlit keeps them elsewhere."""
    for mod in ("streamlit.runtime.scriptrunner_utils.exceptions", "streamlit.runtime.scriptrunner.exceptions"):
        try:
            module = __import__(mod, fromlist=["ScriptControlException"])
            return (module.ScriptControlException,)
        except (ImportError, AttributeError):
            continue
    return ()


# ---------------------------------------------------------------------------- WebRTC
def rtc_configuration(env: Mapping[str, str] | None = None) -> dict:
    """ICE servers for the webcam connection.

    Offline on one machine none are needed (``{"iceServers": []}``). To serve the app over a
    network, set ``FORMCHECK_ICE_SERVERS`` to a JSON list of RTCIceServer objects, e.g.
    ``[{"urls": ["stun:stun.example.org:3478"]}, {"urls": ["turn:turn.example.org:3478"],
    "username": "u", "credential": "p"}]``, or the shortcuts ``FORMCHECK_STUN_URL`` and
    ``FORMCHECK_TURN_URL`` (+ ``FORMCHECK_TURN_USERNAME``, ``FORMCHECK_TURN_CREDENTIAL``).
    A malformed value raises ``ValueError`` with a one-line message.
    """
    if env is None:
        env = os.environ
    servers: list[dict] = []
    raw = (env.get("FORMCHECK_ICE_SERVERS") or "").strip()
    if raw:
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"FORMCHECK_ICE_SERVERS is not valid JSON ({e.msg})") from None
        if isinstance(parsed, dict):
            parsed = [parsed]
        if not isinstance(parsed, list) or not all(isinstance(s, dict) and "urls" in s for s in parsed):
            raise ValueError('FORMCHECK_ICE_SERVERS must be a JSON list like [{"urls": ["stun:host:3478"]}]')
        servers += parsed
    stun = (env.get("FORMCHECK_STUN_URL") or "").strip()
    if stun:
        servers.append({"urls": [stun]})
    turn = (env.get("FORMCHECK_TURN_URL") or "").strip()
    if turn:
        entry: dict[str, Any] = {"urls": [turn]}
        if env.get("FORMCHECK_TURN_USERNAME"):
            entry["username"] = env["FORMCHECK_TURN_USERNAME"]
        if env.get("FORMCHECK_TURN_CREDENTIAL"):
            entry["credential"] = env["FORMCHECK_TURN_CREDENTIAL"]
        servers.append(entry)
    return {"iceServers": servers}


# ---------------------------------------------------------------------------- live saves
def history_saver(hist: Any) -> Callable[[dict], None] | None:
    """The live processor's ``saver`` writing to ``hist`` (a :class:`formcheck.app.history.History`), or
    None without a history. It runs in the video worker thread; each payload's ``seq`` goes to the
    history, which ignores a save older than the one it has (the final save always wins)."""
    if hist is None:
        return None

    def saver(p: dict) -> None:
        meta = p.get("meta") or {}
        hist.save_set(
            p["key"],
            exercise=p["exercise"],
            source="live",
            report=p["report"],
            pain_before=meta.get("pain_before"),
            stop_reason=p.get("stop_reason"),
            finished=p.get("finished", False),
            started_at=p.get("started_at"),
            source_name="webcam",
            seq=p.get("seq"),
            paced=bool(meta.get("paced")),
        )

    return saver


# ---------------------------------------------------------------------------- voice
def speech_html(text: str, uid: str | int) -> str:
    """A tiny HTML/JS snippet that speaks ``text`` once with the browser's speech synthesis.

    ``uid`` identifies the utterance: the same uid is never spoken twice in one page.
    Nothing leaves the browser; browsers without speech synthesis just stay silent.
    """
    t = json.dumps(str(text)).replace("</", "<\\/")  # never close the script tag early
    u = json.dumps(str(uid)).replace("</", "<\\/")
    return (
        "<div style='display:none' data-fc-voice='" + html.escape(str(uid), quote=True) + "'></div>"
        "<script>(function(){try{var w=window.parent&&window.parent.speechSynthesis?window.parent:window;"
        "var s=w.speechSynthesis;if(!s)return;w.__fcSpoken=w.__fcSpoken||{};"
        f"if(w.__fcSpoken[{u}])return;w.__fcSpoken[{u}]=1;s.cancel();"
        f"var m=new w.SpeechSynthesisUtterance({t});m.rate=0.95;s.speak(m);}}catch(e){{}}}})();</script>"
    )


# ---------------------------------------------------------------------------- samples
@dataclass(frozen=True)
class SampleClip:
    path: Path
    exercise: str | None  # from the same-stem .json label, when it names a known exercise
    title: str
    expected_reps: int | None = None
    real: bool = False


def list_samples(folders: Path | Iterable[Path], known_exercises: dict[str, str] | None = None) -> list[SampleClip]:
    """Video files in ``folders`` (one folder or several) with their labels; real recordings
    first, then by name. A file reached twice (a symbolic link in a checkout's ``sample_videos/``
    to a clip shipped in the package) is listed once."""
    known = known_exercises or {}
    out = []
    seen: set[Path] = set()
    paths = [
        p for d in ([folders] if isinstance(folders, Path) else folders) if d.is_dir() for p in sorted(d.iterdir())
    ]
    for p in paths:
        if p.suffix.lower() not in VIDEO_SUFFIXES or not p.is_file() or p.resolve() in seen:
            continue
        seen.add(p.resolve())
        label: dict = {}
        lp = p.with_suffix(".json")
        if lp.is_file():
            try:
                label = json.loads(lp.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                label = {}
        ex = label.get("exercise")
        ex = ex if ex in known else None
        real = label.get("source") == "real"
        what = known.get(ex, "no exercise") if ex else "no exercise / unknown"
        kind = "real person" if real else ("rendered body" if label.get("source") == "synthetic" else "clip")
        exp = (label.get("expected") or {}).get("reps")
        title = f"{p.stem.replace('_', ' ')} — {what}, {kind}"
        out.append(SampleClip(path=p, exercise=ex, title=title, expected_reps=exp, real=real))
    out.sort(key=lambda c: (not c.real, c.exercise is None, c.path.name))
    return out


# ---------------------------------------------------------------------------- suggestion
POSTURE_TO_EXERCISE = {"all_fours": "bird_dog"}
SUPINE_EXERCISES = ("bridge", "pelvic_tilt", "knee_to_chest")


def suggest_from_postures(postures: Counter | dict[str, int]) -> tuple[str, str | None]:
    """(most common known posture, suggested exercise id or None). Supine → None: ask the person."""
    c = Counter({k: v for k, v in dict(postures).items() if k != "unknown" and v > 0})
    if not c:
        return "unknown", None
    posture = c.most_common(1)[0][0]
    return posture, POSTURE_TO_EXERCISE.get(posture)


def suggestion_note(posture: str, exercise: str | None, names: dict[str, str]) -> str:
    """What the page says after looking at a video's positions (``names``: exercise id -> name)."""
    if exercise and exercise in names:
        return f"You seem to be on all fours, so this looks like {names[exercise]}. Change it below if not."
    if posture == "supine":
        options = ", ".join(names[e] for e in SUPINE_EXERCISES if e in names)
        return f"You are lying on your back. Which exercise is it? ({options})"
    if posture == "unknown":
        return "No person could be seen clearly enough to suggest an exercise."
    if posture in ("prone", "side_lying"):
        where = "on your front" if posture == "prone" else "on your side"
        return (
            f"You seem to be lying {where}; none of the four exercises is done that way "
            "(they are done on your back or on all fours). Choose the exercise yourself below."
        )
    return "You seem to be standing; none of the four exercises is done standing. Choose the exercise yourself below."


def scan_postures(path: str | Path, model: str = "lite", max_frames: int = 40, every_s: float = 0.25) -> Counter:
    """Postures seen in a video, sampling about one frame every ``every_s`` seconds (engine errors propagate)."""
    from formcheck.core.session import Session
    from formcheck.media.pose import PoseEstimator
    from formcheck.media.video import open_video

    postures: Counter = Counter()
    session = Session("bridge")  # any exercise: only the posture classification is read
    next_t = 0.0
    n = 0
    with open_video(path, max_side=640) as reader, PoseEstimator(model, max_side=640) as est:
        for t_s, image in reader:
            if t_s < next_t:
                continue
            next_t = t_s + every_s
            pose = est.detect(image, t_s)
            session.update(t_s, pose)
            if pose is not None:
                postures[session.status.posture] += 1
            n += 1
            if n >= max_frames:
                break
    return postures


# ---------------------------------------------------------------------------- report views
def rep_rows(report: dict, cue_for: dict[str, str] | None = None) -> list[dict]:
    """Rows of the per-rep table from ``Report.to_dict()``."""
    cue_for = cue_for or {}
    rows = []
    for r in report.get("rep_events", []):
        faults = r.get("faults") or []
        rows.append(
            {
                "Rep": r["index"],
                "Side": "—" if r.get("side") in (None, "none") else r["side"],
                "Start (s)": _s(r.get("start_s")),
                "Hold (s)": _s(r.get("hold_s")),
                "End (s)": _s(r.get("end_s")),
                "Form": "Good" if r.get("good") else "Needs work",
                "What to change": " ".join(cue_for.get(f, f.replace("_", " ")) for f in faults) or "—",
            }
        )
    return rows


def _s(x) -> str:
    return "—" if x is None else f"{float(x):.1f}"


def trace_points(report: dict) -> list[dict]:
    tr = report.get("trace") or {}
    return [{"t": t, "angle": a} for t, a in zip(tr.get("t_s", []), tr.get("angle_deg", [])) if a is not None]


def rep_spans(report: dict) -> list[dict]:
    return [
        {
            "start": r["start_s"],
            "end": r["end_s"],
            "label": f"Rep {r['index']}: {'good' if r['good'] else 'needs work'}",
            "form": "Good form" if r["good"] else "Needs work",
        }
        for r in report.get("rep_events", [])
    ]


def hold_spans(report: dict) -> list[dict]:
    return [
        {"start": h["start_s"], "end": h["end_s"], "label": f"Hold {h['duration_s']:.1f} s"}
        for h in report.get("holds", [])
    ]


def fault_summary(report: dict, cue_for: dict[str, str] | None = None) -> list[dict]:
    """Distinct faults of a report dict with how often they appeared and their cue."""
    return summarise_faults(report.get("faults", []), cue_for)
