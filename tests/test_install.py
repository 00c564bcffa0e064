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
