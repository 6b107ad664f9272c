"""The Streamlit app through streamlit.testing.v1.AppTest (no browser; webrtc patched out)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
import streamlit_webrtc  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from formcheck.app.history import History  # noqa: E402
from formcheck.core import safety  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
BRIDGE = ROOT / "sample_videos" / "bridge_side_physiocore.mp4"


class FakeWebrtc:
    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, **kw):
        self.calls.append(kw)
        return None


@pytest.fixture
def db(tmp_path, monkeypatch):
    p = tmp_path / "history.sqlite3"
    monkeypatch.setenv("FORMCHECK_DB", str(p))
    for k in ("FORMCHECK_ICE_SERVERS", "FORMCHECK_STUN_URL", "FORMCHECK_TURN_URL"):
        monkeypatch.delenv(k, raising=False)
    return p


@pytest.fixture
def webrtc(monkeypatch):
    fake = FakeWebrtc()
    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", fake)
    return fake


def new_app(db) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [w.value for w in at.warning]
    parts += [i.value for i in at.info] + [s.value for s in at.success] + [c.value for c in at.caption]
    parts += [str(m.value) for m in at.metric] + [h.value for h in at.subheader] + [h.value for h in at.header]
    return "\n".join(str(p) for p in parts)


def answer_safety(at: AppTest, yes: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> AppTest:
    for f in safety.RED_FLAGS:
        if f.code in skip:
            continue
        at.radio(key=f"rf_{f.code}").set_value("Yes" if f.code in yes else "No")
    next(b for b in at.button if b.label == "Check my answers").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_pages_render_without_errors(db, webrtc):
    at = new_app(db)
    assert at.sidebar.radio(key="page").options == ["Exercise", "Analyse a video", "History", "Safety & about"]
    for page in ("Analyse a video", "History", "Safety & about", "Exercise"):
        at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
    assert safety.DISCLAIMER in texts(at) + "".join(c.value for c in at.sidebar.caption)


def test_safety_check_comes_first_and_blocks_the_camera(db, webrtc):
    at = new_app(db)
    assert "quick safety check" in at.header[0].value
    assert len([r for r in at.radio if r.key and r.key.startswith("rf_")]) == len(safety.RED_FLAGS)
    assert webrtc.calls == []


def test_unanswered_question_is_not_a_pass(db, webrtc):
    at = answer_safety(new_app(db), skip=("fever",))
    assert any("answer every question" in w.value for w in at.warning)
    assert History(db).safety_check_for() is None
    assert webrtc.calls == []


@pytest.mark.parametrize("flag", ["bladder_bowel", "weight_loss"])
def test_any_yes_stops_the_session_until_acknowledged(db, webrtc, flag):
    at = answer_safety(new_app(db), yes=(flag,))
    advice = {"bladder_bowel": safety.EMERGENCY_ADVICE, "weight_loss": safety.TODAY_ADVICE}[flag]
    assert [e.value for e in at.error] == [
        safety.evaluate({f.code: f.code == flag for f in safety.RED_FLAGS}).message()
    ]
    assert advice in at.error[0].value
    assert "Please don't exercise today" in at.header[0].value
    assert webrtc.calls == [] and not [r for r in at.radio if r.key in ("pain_before", "routine_pain_before")]
    assert not any("continue anyway" in b.label.lower() for b in at.button)
    # stored for the day: a new browser session is blocked too
    at2 = new_app(db)
    assert "Please don't exercise today" in at2.header[0].value
    # explicit acknowledgement: the button does nothing until the box is ticked
    assert at2.button(key="ack_button").disabled
    at2.checkbox(key="ack_checkbox").check().run()
    at2.button(key="ack_button").click().run()
    assert not at2.exception
    check = History(db).safety_check_for()
    assert check["blocked"] and check["acknowledged"] and check["answers"][flag] is True
    assert any("Today's safety check is done" in s.value for s in at2.success)
    assert at2.radio(key="routine_pain_before")  # past the gate: the routine asks for the pain rating


def test_urgent_symptoms_are_listed_first(db, webrtc):
    at = answer_safety(new_app(db), yes=("fever", "saddle_numbness"))
    msg = at.error[0].value
    assert msg.index("numbness") < msg.index("fever")


def start_live(db, webrtc, exercise: str | None = None, pain: int = 3) -> AppTest:
    at = answer_safety(new_app(db))
    assert any("Today's safety check is done" in s.value for s in at.success)
    at.radio(key="ex_mode").set_value("One exercise").run()
    if exercise:
        at.selectbox(key="live_exercise").set_value(exercise).run()
    assert webrtc.calls == []  # no camera before the pain rating
    at.radio(key="pain_before").set_value(pain).run()
    assert not at.exception, at.exception
    return at


def test_exercise_page_shows_definition_and_starts_webrtc_offline(db, webrtc):
    at = start_live(db, webrtc)
    t = texts(at)
    assert "Glute bridge — 10 reps, hold 3 s" in t
    assert "Camera set-up" in t and "Side view" in t and "Only one person" in t
    kw = webrtc.calls[-1]
    assert kw["rtc_configuration"] == {"iceServers": []}
    assert kw["media_stream_constraints"] == {"video": True, "audio": False}
    assert callable(kw["video_frame_callback"]) and callable(kw["on_video_ended"])
    assert "Reps: </span>0<" in t and "Press START under the video" in t
    assert at.button(key="stop_pain").label == "Stop — this hurts"


def test_ice_servers_from_the_environment(db, webrtc, monkeypatch):
    monkeypatch.setenv("FORMCHECK_STUN_URL", "stun:stun.example.org:3478")
    start_live(db, webrtc)
    assert webrtc.calls[-1]["rtc_configuration"] == {"iceServers": [{"urls": ["stun:stun.example.org:3478"]}]}


def _feed(at: AppTest, until: float, start: float = 0.0):
    from test_live_processor import FakeEstimator, times

    proc = at.session_state["_live_proc"]
    proc._factory = FakeEstimator
    proc.draw = False
    import numpy as np

    img = np.zeros((48, 64, 3), np.uint8)
    for t in times(30, until, start):
        proc.process(img.copy(), t)
    return proc


def test_live_set_counts_saves_and_stops_when_it_hurts(db, webrtc):
    at = start_live(db, webrtc, pain=4)
    _feed(at, 7.0)
    at.run()
    assert "Reps: </span>1<" in texts(at)
    row = History(db).list_sets()[0]  # saved while the set runs
    assert (row["source"], row["reps"], row["pain_before"], row["finished"]) == ("live", 1, 4, False)
    at.button(key="stop_pain").click().run()
    assert not at.exception
    t = texts(at)
    assert "Summary of your set" in t and "You stopped because it hurt" in t
    row = History(db).list_sets()[0]
    assert row["stop_reason"] == "pain" and row["finished"]
    key = row["key"]
    at.radio(key=f"pain_after_value_{key}").set_value(6)
    next(b for b in at.button if b.label == "Save my pain rating").click().run()
    assert History(db).get_set(key)["pain_after"] == 6
    assert any("went up from 4 to 6" in i.value for i in at.info)


def test_changing_exercise_resets_the_counter(db, webrtc):
    at = start_live(db, webrtc)
    proc = _feed(at, 7.0)
    at.run()
    assert "Reps: </span>1<" in texts(at)
    at.selectbox(key="live_exercise").set_value("bird_dog").run()
    assert not at.exception
    assert proc.exercise == "bird_dog"
    assert "Bird-dog — 10 reps on each side" in texts(at)
    assert "Reps: </span>0<" in texts(at)
    assert History(db).list_sets()[0]["stop_reason"] == "exercise changed"


needs_clip = pytest.mark.skipif(not BRIDGE.is_file(), reason="sample_videos/bridge_side_physiocore.mp4 missing")


@needs_clip
def test_sample_clip_analysis_end_to_end(db, webrtc):
    at = new_app(db)
    at.sidebar.radio(key="page").set_value("Analyse a video").run()
    sel = at.selectbox(key="sample_clip")
    assert sel.value == str(BRIDGE)  # the real recording is the default
    assert at.selectbox(key="sample_exercise").value == "bridge"  # from the clip's label
    at.button(key="run_sample").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Repetitions"] == "1"
    df = at.table[0].value
    assert list(df.index) == [1] and list(df["Form"]) == ["Good"]
    assert {b.label for b in at.get("download_button")} >= {"Download report (JSON)", "Download repetitions (CSV)"}
    assert len(at.get("video")) == 1
    assert len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart")) >= 1
    rows = History(db).list_sets()
    assert rows[0]["source"] == "sample" and rows[0]["reps"] == 1
    assert "Download report (HTML)" in {b.label for b in at.get("download_button")}


def test_broken_upload_is_explained_plainly(db, webrtc):
    at = new_app(db)
    at.sidebar.radio(key="page").set_value("Analyse a video").run()
    at.file_uploader(key="upload_file").set_value(("holiday.mp4", b"definitely not a video" * 50, "video/mp4")).run()
    at.selectbox(key="upload_exercise").set_value("bridge").run()
    at.button(key="run_upload").click().run()
    assert not at.exception, at.exception
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "holiday.mp4" in msg and "Traceback" not in msg and "/tmp" not in msg
    assert History(db).list_sets() == []


def test_history_page_lists_sets_and_exports_csv(db, webrtc):
    from test_history import report

    h = History(db)
    h.save_set(
        "a",
        exercise="bridge",
        source="live",
        report=report(2, 1),
        pain_before=3,
        pain_after=2,
        stop_reason="finished",
        finished=True,
        day="2026-01-01",
    )
    with_angle = report(3, 3, ())
    with_angle.trace = [
        (i / 10, 140.0 + 30.0 * any(r.start_s <= i / 10 <= r.end_s for r in with_angle.reps), None) for i in range(150)
    ]
    h.save_set("b", exercise="bridge", source="upload", report=with_angle, day="2026-01-02", finished=True)
    at = new_app(db)
    at.sidebar.radio(key="page").set_value("History").run()
    assert not at.exception
    df = at.dataframe[0].value
    assert len(df) == 2 and set(df["Source"]) == {"Live camera", "Uploaded video"}
    assert {b.label for b in at.get("download_button")} == {
        "Download history (CSV)",
        "Download the report of this set (HTML)",
    }
    # progress that means something: holds and the range of motion reached over days, per exercise
    assert len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart")) >= 4
    assert list(df["Longest hold (s)"]) == ["3.0", "3.0"] and list(df["Reached (°)"]) == ["170", "—"]
    assert "Holds and range of motion" in texts(at) and "shoulder-hip-knee angle at the top" in texts(at)
    at.checkbox(key="del_sure").check().run()
    at.button(key="del_button").click().run()
    assert History(db).list_sets() == []


def test_empty_history_and_about_page(db, webrtc):
    at = new_app(db)
    at.sidebar.radio(key="page").set_value("History").run()
    assert any("Nothing here yet" in i.value for i in at.info)
    at.sidebar.radio(key="page").set_value("Safety & about").run()
    t = texts(at)
    assert "When not to exercise" in t and "Privacy" in t and "never recorded" in t


# ---------------------------------------------------------------------------- app_support helpers
def test_rtc_configuration_variants():
    from formcheck.app.support import rtc_configuration

    assert rtc_configuration({}) == {"iceServers": []}
    cfg = rtc_configuration(
        {
            "FORMCHECK_TURN_URL": "turn:t:3478",
            "FORMCHECK_TURN_USERNAME": "u",
            "FORMCHECK_TURN_CREDENTIAL": "p",
            "FORMCHECK_ICE_SERVERS": '{"urls": ["stun:s"]}',
        }
    )
    assert cfg == {"iceServers": [{"urls": ["stun:s"]}, {"urls": ["turn:t:3478"], "username": "u", "credential": "p"}]}
    with pytest.raises(ValueError):
        rtc_configuration({"FORMCHECK_ICE_SERVERS": "[{"})
    with pytest.raises(ValueError):
        rtc_configuration({"FORMCHECK_ICE_SERVERS": '[{"url": "x"}]'})


def test_suggestion_from_postures():
    from formcheck.app.support import suggest_from_postures

    assert suggest_from_postures({"all_fours": 30, "supine": 2}) == ("all_fours", "bird_dog")
    assert suggest_from_postures({"supine": 30, "unknown": 90}) == ("supine", None)  # ask the person
    assert suggest_from_postures({"unknown": 9}) == ("unknown", None)


def test_suggestion_note_names_every_position():
    from formcheck.app.support import suggestion_note

    names = {
        "bird_dog": "Bird-dog",
        "bridge": "Glute bridge",
        "pelvic_tilt": "Pelvic tilt",
        "knee_to_chest": "Knee-to-chest",
    }
    assert "looks like Bird-dog" in suggestion_note("all_fours", "bird_dog", names)
    assert "Which exercise" in suggestion_note("supine", None, names) and "Glute bridge" in suggestion_note(
        "supine", None, names
    )
    assert "on your front" in suggestion_note("prone", None, names)
    assert "on your side" in suggestion_note("side_lying", None, names)
    assert "standing" in suggestion_note("standing", None, names)
    assert "No person" in suggestion_note("unknown", None, names)


def test_speech_snippet_escapes_text():
    from formcheck.app.support import speech_html

    h = speech_html('Say "hi" </script><b>', 7)
    assert "speechSynthesis" in h and "</script><b>" not in h and h.count("</script>") == 1


def test_samples_are_listed_with_labels(tmp_path):
    from formcheck.app.support import list_samples

    (tmp_path / "a_bridge.mp4").write_bytes(b"x")
    (tmp_path / "a_bridge.json").write_text('{"exercise": "bridge", "source": "real", "expected": {"reps": 1}}')
    (tmp_path / "walk.mp4").write_bytes(b"x")
    (tmp_path / "walk.json").write_text('{"exercise": "none"}')
    (tmp_path / "notes.txt").write_text("x")
    clips = list_samples(tmp_path, {"bridge": "Glute bridge"})
    assert [c.path.name for c in clips] == ["a_bridge.mp4", "walk.mp4"]
    assert clips[0].exercise == "bridge" and clips[0].expected_reps == 1 and clips[1].exercise is None
    assert list_samples(tmp_path / "missing") == []


# ---------------------------------------------------------------------------- issue 9: unusable history
def _read_only_db(monkeypatch):
    from test_history import _read_only

    _read_only(monkeypatch)


def test_read_only_history_still_lets_you_exercise(db, webrtc, monkeypatch):
    History(db).save_set("old", exercise="bridge", source="live", report=None)
    _read_only_db(monkeypatch)
    at = new_app(db)
    err = [e.value for e in at.error]
    assert len(err) == 1 and "read-only" in err[0] and "FORMCHECK_DB" in err[0] and "\n" not in err[0]
    at = answer_safety(at)  # the check is kept for this session: it does not come back after the rerun
    assert any("Today's safety check is done" in s.value for s in at.success)
    assert not [r for r in at.radio if r.key and r.key.startswith("rf_")]
    at.radio(key="ex_mode").set_value("One exercise").run()
    at.radio(key="pain_before").set_value(3).run()
    assert not at.exception
    assert any("history is not being saved" in w.value for w in at.warning)
    assert webrtc.calls  # the camera is offered
    _feed(at, 7.0)
    at.run()
    assert "Reps: </span>1<" in texts(at)
    at.button(key="stop_pain").click().run()
    assert not at.exception and "this set was not saved" in texts(at)


def test_history_that_fails_after_opening_never_loops_the_safety_check(db, webrtc, monkeypatch):
    at = new_app(db)  # opened fine (and cached for the session) ...
    _read_only_db(monkeypatch)  # ... then the file became read-only
    at = answer_safety(at)
    assert any("Today's safety check is done" in s.value for s in at.success)
    at.run()
    assert any("Today's safety check is done" in s.value for s in at.success)


def test_acknowledgement_that_cannot_be_stored_still_counts_for_the_session(db, webrtc, monkeypatch):
    at = answer_safety(new_app(db), yes=("fever",))
    _read_only_db(monkeypatch)
    at.checkbox(key="ack_checkbox").check().run()
    at.button(key="ack_button").click().run()
    assert not at.exception
    assert any("Today's safety check is done" in s.value for s in at.success)


def test_another_programs_database_is_left_alone_and_every_page_works(db, webrtc):
    import sqlite3

    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE sets (id INTEGER PRIMARY KEY, title TEXT, price REAL)")
        c.execute("INSERT INTO sets (title, price) VALUES ('keep me', 1.5)")
    at = new_app(db)
    for page in ("Analyse a video", "History", "Safety & about", "Exercise"):
        at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception, (page, at.exception)
        msgs = [e.value for e in at.error]
        assert len(msgs) == 1 and "another program's database" in msgs[0] and "FORMCHECK_DB" in msgs[0], (page, msgs)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT title FROM sets").fetchall() == [("keep me",)]
        assert c.execute("PRAGMA user_version").fetchone()[0] == 0


# ---------------------------------------------------------------------------- issue 9: uploads
def _upload(at: AppTest, name: str, data: bytes, exercise: str = "bridge") -> AppTest:
    at.sidebar.radio(key="page").set_value("Analyse a video").run()
    at.file_uploader(key="upload_file").set_value((name, data, "application/octet-stream")).run()
    at.selectbox(key="upload_exercise").set_value(exercise).run()
    at.button(key="run_upload").click().run()
    assert not at.exception, at.exception
    return at


def _track_bytes(tmp_path, seconds: float = 14.0) -> bytes:
    from test_live_processor import bridge_pose, lift_at, times

    from formcheck.media.tracks import Track, save_track

    tr = Track(source="scripted", fps=30.0, width=640, height=480, model="scripted", duration_s=seconds)
    tr.frames = [(t, bridge_pose(t, lift_at(t))) for t in times(30, seconds)]
    return save_track(tr, tmp_path / "t.fctrack").read_bytes()


def test_a_track_named_as_a_video_is_not_read_as_a_track(db, webrtc, tmp_path):
    at = _upload(new_app(db), "holiday.mp4", _track_bytes(tmp_path))
    assert len(at.error) == 1
    msg = at.error[0].value
    assert msg.startswith("holiday.mp4") and "/tmp" not in msg and "\n" not in msg
    assert not at.metric and History(db).list_sets() == []


def test_an_uploaded_track_is_analysed_as_a_track(db, webrtc, tmp_path):
    from test_history import report

    from formcheck.tools.cli import main

    History(db).save_set(
        "earlier",
        exercise="bridge",
        source="live",
        report=report(2, 1),
        day="2026-01-05",
        finished=True,
        pain_before=4,
        pain_after=2,
    )
    data = _track_bytes(tmp_path)
    (tmp_path / "my_bridges.fctrack").write_bytes(data)
    assert main(["report", str(tmp_path / "my_bridges.fctrack"), "-e", "bridge", "-o", str(tmp_path / "cli.html")]) == 0
    at = _upload(new_app(db), "my_bridges.fctrack", data)
    assert not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric}["Repetitions"] == "2"
    assert len(at.get("video")) == 0  # no annotated video without the video itself
    assert History(db).list_sets()[0]["source_name"] == "my_bridges.fctrack"
    # the app's HTML download is the file 'formcheck report' writes for the same input (a landmark track,
    # so no pose model runs twice): the trend holds the earlier set, not this one; no file name inside
    assert "Download report (HTML)" in {b.label for b in at.get("download_button")}
    page = at.session_state["analysis"]["_html"]["page"]
    assert page == (tmp_path / "cli.html").read_text(encoding="utf-8")
    assert "2026-01-05" in page and "<img" not in page and "my_bridges" not in page and "Rep 2" in page


def test_a_gzip_bomb_named_as_a_video_is_refused_quickly(db, webrtc):
    import gzip

    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024))  # 200 MB of zeros in ~200 kB
    at = _upload(new_app(db), "big.mp4", bomb)
    assert len(at.error) == 1 and at.error[0].value.startswith("big.mp4")


def test_upload_kind_is_decided_by_the_name():
    from formcheck.app.support import upload_kind

    assert upload_kind("a.MP4") == "video" and upload_kind("b.webm") == "video"
    assert upload_kind("c.fctrack") == "track"
    with pytest.raises(ValueError) as e:
        upload_kind("notes\n.txt")
    assert "\n" not in str(e.value)


def test_streamlit_control_flow_is_recognised():
    """st.rerun and st.stop raise BaseExceptions: the app's re-raise clause must name them."""
    from streamlit.runtime.scriptrunner_utils.exceptions import (
        RerunException,
        StopException,
    )

    from formcheck.app.support import streamlit_control_flow

    flow = streamlit_control_flow()
    assert issubclass(StopException, flow) and issubclass(RerunException, flow)
    assert not any(issubclass(c, Exception) for c in flow)  # why `except Exception` alone never saw them


# ---------------------------------------------------------------------------- issue 12: today's routine
ROUTINE_DOSES = [
    {"exercise": "bridge", "reps": 1, "hold_s": 3.0, "sides": "none", "paced": False},
    {"exercise": "knee_to_chest", "reps": 1, "hold_s": 1.0, "sides": "each", "paced": True},
    {"exercise": "pelvic_tilt", "enabled": False},
    {"exercise": "bird_dog", "enabled": False},
]


def _feed_from(at: AppTest, start: float, until: float):
    return _feed(at, until, start)


def test_routine_runs_two_exercises_with_rests_sides_resume_and_summary(db, webrtc):
    h = History(db)
    h.set_pref("doses", ROUTINE_DOSES)
    h.set_pref("rest_s", 60)
    at = answer_safety(new_app(db))
    assert at.radio(key="ex_mode").value == "Today's routine"
    t = texts(at)
    assert (
        "1. **Glute bridge** — 1 reps, hold 3 s" in t
        and "2. **Knee-to-chest** — 1 reps on each side, hold 1 s · paced" in t
    )
    assert webrtc.calls == []  # no camera before the pain rating and START
    at.radio(key="routine_pain_before").set_value(2).run()
    at.button(key="routine_start").click().run()
    assert not at.exception, at.exception
    assert "1 of 2: Glute bridge" in texts(at) and webrtc.calls
    _feed_from(at, 0.0, 7.0)  # one bridge: the set is complete, then a rest
    at.run()
    assert not at.exception, at.exception
    t = texts(at)
    assert "Rest. Next: Knee-to-chest, left side." in t and "fc-rest" in t and "60 s" in t
    at.button(key="routine_skip").click().run()  # skip the rest of the rest
    assert "2 of 2: Knee-to-chest, left side" in texts(at)
    first = History(db).list_sets()[0]
    assert (first["exercise"], first["reps"], first["finished"], first["pain_before"]) == ("bridge", 1, True, 2)
    # a reload (a new browser session) resumes the routine where it is
    at = new_app(db)
    assert "2 of 2: Knee-to-chest, left side" in texts(at) and not at.title
    _feed_from(at, 7.0, 20.0)  # paced: 3 s to get ready, 2 s in, 1 s hold, 4 s to relax
    at.run()
    assert "Now the other side: Knee-to-chest on your right side" in texts(at) and "10 s" in texts(at)
    at.button(key="routine_skip").click().run()
    assert "2 of 2: Knee-to-chest, right side" in texts(at)
    _feed_from(at, 20.0, 33.0)
    at.run()
    assert not at.exception, at.exception
    assert "Today's routine is done" in texts(at)
    table = at.table[0].value
    assert list(table["Exercise"]) == ["Glute bridge", "Knee-to-chest", "Knee-to-chest"]
    assert list(table["Side"]) == ["—", "left", "right"] and list(table["Counted"]) == [
        "camera",
        "led (paced)",
        "led (paced)",
    ]
    sets = History(db).list_sets()
    assert len(sets) == 3 and [s["paced"] for s in sets] == [True, True, False]
    assert all(s["finished"] for s in sets) and sets[0]["reps"] == 1
    at.radio(key=next(r.key for r in at.radio if r.key and r.key.startswith("pain_after_value_"))).set_value(1)
    next(b for b in at.button if b.label == "Save my pain rating").click().run()
    assert [s["pain_after"] for s in History(db).list_sets()] == [1, 1, 1]
    at.button(key="routine_close").click().run()
    assert History(db).get_pref("routine") is None and "Today's routine" in texts(at)


def test_doses_are_edited_and_saved_per_user(db, webrtc):
    at = answer_safety(new_app(db))
    at.number_input(key="dose_reps_bridge").set_value(12)
    at.selectbox(key="dose_paced_bridge").set_value("paced")
    at.checkbox(key="dose_on_bird_dog").uncheck()
    next(b for b in at.button if b.label == "Save my doses").click().run()
    assert not at.exception, at.exception
    saved = {d["exercise"]: d for d in History(db).get_pref("doses")}
    assert saved["bridge"]["reps"] == 12 and saved["bridge"]["paced"] is True and not saved["bird_dog"]["enabled"]
    t = texts(at)
    assert "**Glute bridge** — 12 reps, hold 3 s · paced" in t and "Bird-dog" not in t.split("Change the exercises")[0]
    assert "The camera cannot see a pelvic tilt" in t  # paced by default for the pelvic tilt, said plainly


def test_paced_single_set_is_the_pelvic_tilt_default_and_says_why(db, webrtc):
    at = start_live(db, webrtc, exercise="pelvic_tilt")
    assert at.toggle(key="paced_pelvic_tilt").value is True
    assert "The camera cannot see a pelvic tilt" in texts(at)
    at.session_state["voice_on"] = True
    spoken = []
    for until in (4.5, 6.5, 8.5):  # getting ready, tilting in, holding: each beat is spoken once
        _feed_from(at, until - 2.0, until)
        at.run()
        spoken += [h.proto.body for h in at.get("html") if "fcSpoken" in h.proto.body]
    assert len(set(spoken)) >= 2 and any('"Hold 5"' in s or '"4"' in s or '"3"' in s for s in spoken), spoken
    # the scripted person lifts the hips into a bridge: paced mode tells them to keep the hips down
    assert "Keep your hips" in texts(at) and "Repetitions led" in texts(at)
    at.selectbox(key="live_exercise").set_value("bridge").run()
    assert at.toggle(key="paced_bridge").value is False


def test_stop_this_hurts_ends_the_routine_with_advice(db, webrtc):
    History(db).set_pref("doses", ROUTINE_DOSES)
    at = answer_safety(new_app(db))
    at.radio(key="routine_pain_before").set_value(5).run()
    at.button(key="routine_start").click().run()
    _feed_from(at, 0.0, 2.0)  # the bridge set has started
    at.button(key="routine_stop_pain").click().run()
    assert not at.exception, at.exception
    t = texts(at)
    assert "Routine stopped" in t and "You stopped because it hurt" in t
    row = History(db).list_sets()[0]
    assert row["stop_reason"] == "pain" and row["finished"] and row["pain_before"] == 5
    assert History(db).get_pref("routine")["phase"] == "stopped"
