"""The built wheel installs into a clean venv and works from there (not from the checkout): first as the plain install,
which must generate motion from text offline and run the README's Python example, and name the extra an optional job
needs; then with every extra ([all]) for the optional jobs (videos, BVH, SMPL)."""
import os, re, subprocess, sys, venv
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
    return res.stdout


def readme_python_blocks() -> list[str]:
    "The ```python blocks of README.md, in order."
    return re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), flags=re.S | re.M)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    "The wheel installed without extras into a clean venv: what `pip install mdmoe` or the Git URL gives."
    tmp = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp), str(ROOT)])
    wheel = next(tmp.glob("mdmoe-*.whl"))
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(ROOT / "constraints.txt"), str(wheel)], cwd=tmp)
    return py, tmp, wheel


@pytest.fixture(scope="module")
def installed(plain):
    "The same venv with every extra: [all], and the old names [text] and [diffusion], kept (empty) so old install lines work."
    py, tmp, wheel = plain
    res = subprocess.run([str(py), "-m", "pip", "install", "--disable-pip-version-check", "-c", str(ROOT / "constraints.txt"),
                          f"{wheel}[all,text,diffusion]"], capture_output=True, text=True, cwd=tmp)
    assert res.returncode == 0 and "does not provide the extra" not in res.stdout + res.stderr, res.stdout[-3000:] + res.stderr[-3000:]
    return py, tmp


def test_modules_import_from_wheel(plain):
    "Every module imports from the plain install: no module needs an extra to import."
    py, tmp, _ = plain
    mods = sorted(p.stem for p in (ROOT / "mdmoe").glob("*.py") if not p.stem.startswith("_"))
    code = ("import importlib, mdmoe, pathlib; "
            f"[importlib.import_module('mdmoe.' + m) for m in {mods!r}]; "
            "print(pathlib.Path(mdmoe.__file__).parent)")
    out = run([str(py), "-c", code], cwd=tmp)
    assert "site-packages" in out, out  # imported from the installed wheel, not the checkout
    for m in ("motion", "data", "viz"): assert m in mods


def test_cli_entry_point(plain):
    py, tmp, _ = plain
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


def test_plain_install_generates_offline(plain):
    "`mdmoe generate` from the plain install, every socket refused: the packaged model, text encoder, samplers and HTML page need no extra."
    py, tmp, _ = plain
    env = _offline_env(tmp)
    out = run([str(py.parent / "mdmoe"), "generate", "a person walks forward", "--seconds", "2", "--steps", "2", "--out", str(tmp / "plain")],
              cwd=tmp, env=env)
    assert "a_person_walks_forward.npy, .html" in out and "open it in a browser: file://" in out
    assert sorted(p.suffix for p in (tmp / "plain").iterdir()) == [".html", ".js", ".npy"]  # the page, its plotly.js, the joints
    res = subprocess.run([str(py), "-c", "import mdmoe.pipeline as p; print(p.packaged_model_dir())"], capture_output=True, text=True, cwd=tmp, env=env)
    assert "site-packages" in res.stdout, res.stdout + res.stderr  # the model of the installed package, not the checkout's


def test_readme_python_example_runs_in_plain_install(plain, tmp_path):
    "Every ```python block of README.md, run as written (one after the other, offline) by the plain install's Python."
    py, tmp, _ = plain
    blocks = readme_python_blocks()
    assert blocks and any("MotionPipeline" in b for b in blocks), "README.md shows no Python example of generating motion"
    run([str(py), "-c", "\n".join(blocks)], cwd=tmp_path, env=_offline_env(tmp))
    assert (tmp_path / "motions.html").stat().st_size > 0


def test_optional_jobs_name_their_extra(plain, tmp_path):
    "Without its extra, an optional job raises an ImportError that says which extra to install."
    py, tmp, _ = plain
    code = """
import numpy as np
from mdmoe.viz import save_gif, toy_walk
from mdmoe.smpl import save_meshes
from mdmoe.train import plot_log
for job, extra in ((lambda: save_gif(toy_walk(5), 'w.gif'), 'video'), (lambda: save_meshes(np.zeros((2, 3, 3)), np.zeros((1, 3), int), 'm', 'obj'), 'smpl'),
                   (lambda: plot_log('run'), 'plots')):
    try: job(); raise SystemExit(f'{extra}: no ImportError')
    except ImportError as e: assert f'pip install "mdmoe[{extra}]"' in str(e), e
"""
    run([str(py), "-c", code], cwd=tmp_path, env=_offline_env(tmp))


def test_generate_gif_mp4_bvh_offline(installed):
    "`mdmoe generate --gif --mp4 --bvh` from the installed wheel with every socket refused: the video writers and ffmpeg come with [all]."
    py, tmp = installed
    env = _offline_env(tmp)
    out = run([str(py.parent / "mdmoe"), "generate", "a person walks forward", "--seconds", "1", "--steps", "2", "--gif", "--mp4", "--bvh",
               "--out", str(tmp / "gen")], cwd=tmp, env=env)
    assert ".gif, .mp4, .bvh" in out and "rigid skeleton fitted" in out
    for ext in ("npy", "gif", "mp4", "bvh"): assert (tmp / "gen" / f"a_person_walks_forward.{ext}").stat().st_size > 0
