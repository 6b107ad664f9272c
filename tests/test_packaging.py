"""One installable package (issue 10): the wheel works outside the checkout, the app's server
settings hold whatever the folder, add-ons arrive through the entry-point group, and the
command line follows its conventions (quiet/verbose, closed pipes, ``--csv -``, JSON errors,
missing extras, the OpenCV conflict).

The wheel test builds the wheel from a copy of the sources, installs it into a fresh venv
outside the checkout and runs everything from a folder outside the checkout. To stay lean, the
fresh venv sees the dependencies already installed for the tests (a ``.pth`` line pointing at
links to them, without the checkout's editable formcheck) and pip installs with ``--no-index``:
only formcheck itself is installed, from the wheel, and the test checks it is that copy that runs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import textwrap
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from formcheck import environment as env
from formcheck.tools import cli

# ---------------------------------------------------------------- settings and environment


def test_app_settings_match_the_checkout_config():
    """``formcheck app`` passes the same settings as ``.streamlit/config.toml`` gives ``streamlit run app.py``."""
    from formcheck.app import MAX_UPLOAD_MB, SERVER_SETTINGS

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{k}": v for section, values in config.items() for k, v in values.items()}
    flat = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in flat.items()}
    assert flat == {k: v for k, v in SERVER_SETTINGS.items() if k != "server.fileWatcherType"}
    assert MAX_UPLOAD_MB == int(flat["server.maxUploadSize"])


def test_app_command_carries_every_setting():
    cmd = cli.app_command("127.0.0.1", 8600)
    pairs = dict(zip(cmd[5::2], cmd[6::2]))
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith(os.path.join("formcheck", "app", "run.py"))
    assert pairs["--server.address"] == "127.0.0.1" and pairs["--server.port"] == "8600"
    assert pairs["--browser.gatherUsageStats"] == "false" and pairs["--server.headless"] == "true"
    assert pairs["--server.maxUploadSize"] == "200" and pairs["--theme.base"] == "light"
    # serving on every interface is a deliberate choice; the browser then keeps the address it used
    assert "--browser.serverAddress" not in cli.app_command("0.0.0.0", 8600)


def test_data_and_state_folders_follow_xdg_on_linux(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert env.data_dir() == tmp_path / "data" / "formcheck"
    assert cli.log_file() == tmp_path / "state" / "formcheck" / "formcheck.log"


def test_packaged_samples_have_labels_and_licences():
    d = env.packaged_samples_dir()
    clips = sorted(d.glob("*.mp4"))
    assert 2 <= len(clips) <= 3
    for c in clips:
        label = json.loads(c.with_suffix(".json").read_text())
        assert label["clip"] == c.name and label["exercise"]
        assert c.name in (d / "README.md").read_text()
        assert (ROOT / "sample_videos" / c.name).resolve() == c.resolve()  # stored once in the repository
    assert list(d.glob("LICENSE-*"))


@pytest.mark.parametrize(
    "installed, conflict",
    [
        ({"opencv-contrib-python": "5.1.0.95"}, False),
        ({"opencv-contrib-python": "5.1.0.95", "opencv-python": "4.12.0.88"}, True),
        ({"opencv-contrib-python": "5.1.0.95", "opencv-python-headless": "4.12.0.88"}, True),
    ],
)
def test_opencv_conflict_is_one_line_with_the_fix(monkeypatch, installed, conflict):
    monkeypatch.delenv("FORMCHECK_SKIP_OPENCV_CHECK", raising=False)
    monkeypatch.setattr(env, "_version", lambda dist: installed.get(dist))
    msg = env.opencv_conflict()
    if not conflict:
        assert msg is None
        return
    assert "\n" not in msg and "pip uninstall -y opencv-python" in msg
    assert "pip install --force-reinstall --no-deps opencv-contrib-python==5.1.0.95" in msg


def test_opencv_conflict_stops_the_cli_before_any_work(monkeypatch, capsys):
    monkeypatch.delenv("FORMCHECK_SKIP_OPENCV_CHECK", raising=False)
    versions = {"opencv-contrib-python": "5.1.0.95", "opencv-python": "4.12.0.88"}
    monkeypatch.setattr(env, "_version", versions.get)
    assert cli.main(["analyze", "no-such-file.mp4", "-e", "bridge", "--json"]) == cli.EXIT_USAGE
    out, err = capsys.readouterr()
    assert json.loads(out)["error"]["code"] == "opencv_conflict"
    assert err.count("\n") == 1 and "pip uninstall -y opencv-python" in err
    assert cli.main(["exercises"]) == cli.EXIT_OK  # listing the exercises never needs cv2


@pytest.mark.parametrize(
    "argv, module, extra",
    [
        (["synth", "--exercise", "bridge", "--reps", "1", "-o", "{tmp}/clip.mp4"], "moderngl", "synth"),
        (["app", "--port", "8599"], "streamlit", "app"),
    ],
)
def test_a_missing_extra_names_its_pip_install(monkeypatch, capsys, tmp_path, argv, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f'pip install "formcheck[{extra}]"' in err and "internal error" not in err


def test_the_readme_module_map_names_every_module():
    """The README's tree is true to the package: every module and sub-package is in it."""
    import re

    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("The tree follows the data path") :]
    block = block[block.index("```") + 3 :]
    block = block[: block.index("```")]
    missing = [
        f"{d.name}/"
        for d in (ROOT / "formcheck").iterdir()
        if d.is_dir() and not d.name.startswith("__") and f"{d.name}/" not in block
    ]
    for sub in ("core", "media", "app", "tools"):
        missing += [
            f"{sub}/{f.name}"
            for f in (ROOT / "formcheck" / sub).glob("*.py")
            if f.stem != "__init__" and not re.search(rf"\b{f.stem}\b", block)
        ]
    missing += [
        f.name for f in (ROOT / "formcheck").glob("*.py") if not f.stem.startswith("__") and f.name not in block
    ]
    assert missing == [], f"add these to the README's module map: {missing}"


# ---------------------------------------------------------------- command-line conventions


def _scripted_track(folder: Path) -> Path:
    """A bridge track with three scripted reps (no model needed)."""
    from streams import bridge_top, make_stream, reps_every

    from formcheck.media.tracks import Track, save_track

    stream = make_stream("supine", reps_every(3, 3.0, bridge_top(), hold=3.0, rest=1.5), 20.0)
    path = folder / "bridge.fctrack"
    save_track(Track(source="bridge.mp4", fps=30.0, width=640, height=480, duration_s=20.0, frames=stream), path)
    return path


def test_csv_dash_writes_the_csv_to_stdout(tmp_path):
    track = _scripted_track(tmp_path)
    proc = run_cli("analyze", str(track), "-e", "bridge", "--csv", "-")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("exercise,source,rep,") and len(lines) == 4
    assert not list(tmp_path.glob("-"))  # no file named "-"
    both = run_cli("analyze", str(track), "-e", "bridge", "--csv", "-", "--json")
    assert both.returncode == 2 and json.loads(both.stdout)["error"]["code"] == "cannot_analyse"


def test_json_report_names_the_key_angle_version_and_time(tmp_path):
    track = _scripted_track(tmp_path)
    proc = run_cli("analyze", str(track), "-e", "bridge", "--json", "-q")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    d = json.loads(proc.stdout)
    from formcheck import __version__

    assert d["formcheck_version"] == __version__ and d["report_version"] == 2
    assert d["analysed_at"].endswith("Z") and d["analysed_at"][:4].isdigit()
    assert d["key_angle"] == {"name": "shoulder-hip-knee", "unit": "deg"}
    for r in d["rep_events"]:
        assert "peak" not in r and 150 <= r["key_angle_deg"] <= 185


def test_a_failure_with_json_is_one_error_object_with_the_same_exit_code(tmp_path):
    proc = run_cli("analyze", str(tmp_path / "missing.mp4"), "-e", "bridge", "--json")
    plain = run_cli("analyze", str(tmp_path / "missing.mp4"), "-e", "bridge")
    assert proc.returncode == plain.returncode == 2
    obj = json.loads(proc.stdout)
    assert (
        set(obj) == {"error"} and set(obj["error"]) == {"code", "message"} and "missing.mp4" in obj["error"]["message"]
    )
    usage = run_cli("analyze", "--json")
    assert usage.returncode == 2 and json.loads(usage.stdout)["error"]["code"] == "usage"


@pytest.mark.parametrize("cmd", ["exercises", "exercises --json", "--help", "eval --help"])
def test_a_closed_pipe_ends_quietly(cmd):
    proc = subprocess.run(
        f'{sys.executable} -m formcheck {cmd} | head -0; echo "rc=${{PIPESTATUS[0]}}"',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.stdout.strip() == "rc=0" and proc.stderr == "", proc.stderr


def test_quiet_and_verbose(tmp_path, capsys):
    import logging

    try:
        assert cli.main(["-q", "exercises"]) == 0 and logging.getLogger().getEffectiveLevel() == logging.ERROR
        assert cli.main(["exercises", "-v"]) == 0 and logging.getLogger().getEffectiveLevel() == logging.INFO
        assert cli.main(["exercises", "-vv"]) == 0 and logging.getLogger().getEffectiveLevel() == logging.DEBUG
    finally:
        logging.getLogger().handlers = [h for h in logging.getLogger().handlers if not getattr(h, "_formcheck", False)]
        logging.getLogger().setLevel(logging.WARNING)
    args = cli.build_parser().parse_args(["analyze", "x.mp4", "-e", "bridge", "-q"])
    assert args.quiet is True
    args = cli.build_parser().parse_args(["-v", "analyze", "x.mp4", "-e", "bridge"])
    assert args.verbose == 1 and args.quiet is False


# ---------------------------------------------------------------- add-ons through the entry-point group


def _addon(site: Path, ok: bool = True) -> None:
    """A tiny installed add-on: a package with one exercise and a dist-info naming it in the
    ``formcheck.exercises`` entry-point group (plus, if not ``ok``, a broken second entry point)."""
    pkg = site / "hip_addon" / "exercises"
    pkg.mkdir(parents=True)
    (site / "hip_addon" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    toml = (ROOT / "exercises" / "bridge.toml").read_text()
    toml = toml.replace('id = "bridge"', 'id = "hip_lift"').replace('name = "Glute bridge"', 'name = "Hip lift"')
    toml = toml.replace('aliases = ["glute_bridge", "bridging"]', "aliases = []")
    (pkg / "hip_lift.toml").write_text(toml)
    dist = site / "hip_addon-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hip-addon\nVersion: 0.1\n")
    broken = "" if ok else "broken = no_such_addon.exercises\n"
    (dist / "entry_points.txt").write_text(f"[formcheck.exercises]\nhip = hip_addon.exercises\n{broken}")


def test_an_installed_add_on_is_found_through_its_entry_point(tmp_path):
    _addon(tmp_path, ok=False)
    envvars = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "exercises", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=envvars,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    ids = [e["id"] for e in json.loads(proc.stdout)]
    assert "hip_lift" in ids and {"bridge", "bird_dog", "pelvic_tilt", "knee_to_chest"} <= set(ids)
    assert "no_such_addon" in proc.stderr and proc.stderr.count("\n") == 1  # the broken one: one warning line


# ---------------------------------------------------------------- the wheel, outside the checkout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) listening on ``port``."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            addr, state = cols[1], cols[3]
            if state == "0A" and int(addr.rsplit(":", 1)[1], 16) == port:
                out.add(addr.rsplit(":", 1)[0])
    return out


LOOPBACK_HEX = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    """(venv python, venv bin folder, a folder outside the checkout, the wheel) for the built wheel."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("formcheck", "exercises"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    dist = base / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = dist.glob("formcheck-*.whl")

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    # the dependencies already installed for the tests, without the checkout's editable formcheck
    deps = base / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        n = entry.name
        if n.startswith(("formcheck", "__editable__", "pip", "_distutils_hack", "__pycache__")) or n.endswith(".pth"):
            continue
        (deps / n).symlink_to(entry)
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "test-deps.pth").write_text(f"{deps}\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-index", f"{wheel}[app]"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    outside = base / "elsewhere"
    outside.mkdir()
    return py, venv / "bin", outside, wheel


def _run(cmd: list[str], cwd: Path, timeout: float = 600, **extra) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FORMCHECK_NATIVE_LOGS")}
    e.update(extra)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=e)


def test_the_wheel_holds_the_package_and_no_top_level_exercises(wheel_env):
    import zipfile

    names = zipfile.ZipFile(wheel_env[3]).namelist()
    assert not [n for n in names if n.startswith(("exercises/", "tests/", "sample_videos/"))]
    assert "formcheck/exercises/bridge.toml" in names and "formcheck/app/run.py" in names
    assert "formcheck/models/pose_landmarker_full.task" in names
    assert {"formcheck/samples/bridge_side_physiocore.mp4", "formcheck/samples/bridge_side_physiocore.json"} <= set(
        names
    )


def test_the_installed_wheel_runs_not_the_checkout(wheel_env):
    py, bin_dir, outside, _ = wheel_env
    proc = _run(
        [str(py), "-c", "import formcheck, formcheck.exercises as e; print(formcheck.__file__); print(e.__file__)"],
        outside,
    )
    assert proc.returncode == 0, proc.stderr
    for line in proc.stdout.split():
        assert "site-packages" in line and not line.startswith(str(ROOT)), line
    nope = _run([str(py), "-c", "import exercises"], outside)
    assert nope.returncode != 0 and "No module named 'exercises'" in nope.stderr
    version = _run([str(bin_dir / "formcheck"), "--version"], outside)
    assert version.returncode == 0 and version.stdout.startswith("formcheck ")


def test_a_folder_with_its_own_exercises_package_does_not_break_formcheck(wheel_env):
    py, _, outside, _ = wheel_env
    shadow = outside / "project"
    (shadow / "exercises").mkdir(parents=True)
    (shadow / "exercises" / "__init__.py").write_text("raise SystemExit('the wrong exercises package')\n")
    (shadow / "exercises" / "bridge.toml").write_text("not = [valid\n")
    proc = _run([str(py), "-m", "formcheck", "exercises", "--json"], shadow)  # -m puts the folder first on sys.path
    assert proc.returncode == 0, proc.stderr
    assert {e["id"] for e in json.loads(proc.stdout)} >= {"bridge", "bird_dog", "pelvic_tilt", "knee_to_chest"}


@pytest.mark.mediapipe
def test_eval_passes_on_the_packaged_samples(wheel_env):
    _, bin_dir, outside, _ = wheel_env
    proc = _run([str(bin_dir / "formcheck"), "eval", "--json"], outside, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert len(result["clips"]) >= 2 and all(c["count_ok"] for c in result["clips"])


@pytest.mark.mediapipe
def test_the_one_click_sample_works_from_the_installed_app(wheel_env, tmp_path):
    py, _, outside, _ = wheel_env
    script = textwrap.dedent("""
        import json, pathlib
        import streamlit_webrtc
        streamlit_webrtc.webrtc_streamer = lambda **kw: None  # no browser here
        from streamlit.testing.v1 import AppTest
        import formcheck.app
        at = AppTest.from_file(str(pathlib.Path(formcheck.app.__file__).with_name("run.py")), default_timeout=300)
        at.run()
        at.sidebar.radio(key="page").set_value("Analyse a video").run()
        sample = at.selectbox(key="sample_clip").value
        at.button(key="run_sample").click().run()
        print(json.dumps({"sample": sample, "exception": [str(e.value) for e in at.exception],
                          "errors": [e.value for e in at.error], "metrics": {m.label: m.value for m in at.metric}}))
    """)
    proc = _run([str(py), "-c", script], outside, FORMCHECK_DB=str(tmp_path / "h.sqlite3"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "site-packages" in out["sample"] and out["sample"].endswith("bridge_side_physiocore.mp4")
    assert not out["exception"] and not out["errors"], out
    assert out["metrics"]["Repetitions"] == "1"


def test_formcheck_app_serves_on_loopback_only_whatever_the_folder(wheel_env):
    _, bin_dir, outside, _ = wheel_env
    hostile = outside / "hostile"
    (hostile / ".streamlit").mkdir(parents=True)
    (hostile / ".streamlit" / "config.toml").write_text(
        '[server]\naddress = "0.0.0.0"\nheadless = false\n[browser]\ngatherUsageStats = true\n'
    )
    port = _free_port()
    e = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [str(bin_dir / "formcheck"), "app", "--port", str(port)],
        cwd=hostile,
        env=e,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        health = None
        for _ in range(240):  # up to about a minute on a loaded machine
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    health = r.read().decode()
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.25)
        assert health == "ok", f"the app did not answer on 127.0.0.1:{port}"
        listening = _listening(port)
        assert listening and listening <= LOOPBACK_HEX, listening
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
    assert "usage statistics" not in out.lower() and "0.0.0.0" not in out


def test_the_app_names_an_opencv_conflict_with_its_fix(monkeypatch, tmp_path):
    streamlit_webrtc = pytest.importorskip("streamlit_webrtc", reason="the app extra is not installed")
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", lambda **kw: None)  # no browser here
    versions = {"opencv-contrib-python": "5.1.0.95", "opencv-python": "4.12.0.88"}
    monkeypatch.setattr(env, "_version", versions.get)
    monkeypatch.delenv("FORMCHECK_SKIP_OPENCV_CHECK", raising=False)
    monkeypatch.setenv("FORMCHECK_DB", str(tmp_path / "h.sqlite3"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    errors = [e.value for e in at.error]
    assert any("pip uninstall -y opencv-python" in e for e in errors), errors
