"""The built wheel installs into a clean venv and every module imports from it (not from the checkout)."""
import os, subprocess, sys, venv
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
    return res.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp), str(ROOT)])
    wheel = next(tmp.glob("mdmoe-*.whl"))
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(ROOT / "constraints.txt"),
         f"{wheel}[all]"], cwd=tmp)
    return py, tmp


def test_modules_import_from_wheel(installed):
    py, tmp = installed
    mods = sorted(p.stem for p in (ROOT / "mdmoe").glob("*.py") if not p.stem.startswith("_"))
    code = ("import importlib, mdmoe, pathlib; "
            f"[importlib.import_module('mdmoe.' + m) for m in {mods!r}]; "
            "print(pathlib.Path(mdmoe.__file__).parent)")
    out = run([str(py), "-c", code], cwd=tmp)
    assert "site-packages" in out, out  # imported from the installed wheel, not the checkout
    for m in ("motion", "data", "viz"): assert m in mods


def test_cli_entry_point(installed):
    py, tmp = installed
    out = run([str(py.parent / "mdmoe"), "--help"], cwd=tmp)
    assert "data" in out and "demo" in out


BLOCK_NETWORK = '''
import socket
def _refuse(*args, **kwargs): raise OSError("network blocked by test_install")
socket.socket.connect = socket.socket.connect_ex = socket.create_connection = socket.getaddrinfo = _refuse
'''


def _offline_env(tmp):
    "Environment whose Python refuses every socket (a sitecustomize on PYTHONPATH): offline by construction, not by flag."
    block = tmp / "block"
    block.mkdir(exist_ok=True)
    (block / "sitecustomize.py").write_text(BLOCK_NETWORK)
    return {**os.environ, "PYTHONPATH": str(block), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "0"}


def test_shipped_model_generates_offline(installed):
    "`mdmoe demo` from the installed wheel: the packaged model and text encoder load and generate with every socket refused."
    py, tmp = installed
    env = _offline_env(tmp)
    out = run([str(py.parent / "mdmoe"), "demo", "--out", str(tmp / "demo"), "--steps", "2", "--seconds", "2",
               "--prompt", "a person walks forward"], cwd=tmp, env=env)
    assert "generated 1 motions" in out and (tmp / "demo" / "gallery.html").stat().st_size > 0
    res = subprocess.run([str(py), "-c", "import mdmoe.pipeline as p; print(p.packaged_model_dir())"], capture_output=True, text=True, cwd=tmp, env=env)
    assert "site-packages" in res.stdout, res.stdout + res.stderr


def test_generate_gif_mp4_bvh_offline(installed):
    "`mdmoe generate --gif --mp4 --bvh` from the installed wheel with every socket refused: the video writers and ffmpeg come with [all]."
    py, tmp = installed
    env = _offline_env(tmp)
    out = run([str(py.parent / "mdmoe"), "generate", "a person walks forward", "--seconds", "1", "--steps", "2", "--gif", "--mp4", "--bvh",
               "--out", str(tmp / "gen")], cwd=tmp, env=env)
    assert ".gif, .mp4, .bvh" in out and "rigid skeleton fitted" in out
    for ext in ("npy", "gif", "mp4", "bvh"): assert (tmp / "gen" / f"a_person_walks_forward.{ext}").stat().st_size > 0
