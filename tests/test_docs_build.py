"""The docs site's notebook processing (`nbdev-proc-nbs`, the step of `nbdev-docs` before Quarto) runs on every notebook.

It executes every cell that imports (for `show_doc`), without the state earlier test cells made and from another
working folder: a test cell that imports and then uses earlier state or a relative path breaks the site's build,
though nbdev-test passes. Quarto is not needed for this step, so it is checked here."""
import os, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_notebook_processes_for_the_docs(tmp_path):
    proc, sidebar = ROOT / "_proc", ROOT / "nbs" / "sidebar.yml"  # what the step writes
    had = proc.exists(), sidebar.exists()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    try:
        res = subprocess.run([str(Path(sys.executable).parent / "nbdev-proc-nbs"), "--force"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=1800)
        errors = [l for l in res.stderr.splitlines() if l.startswith("Exception: Error in notebook")]
        assert res.returncode == 0, "\n".join(errors) or res.stderr[-3000:]
    finally:
        if not had[0]: shutil.rmtree(proc, ignore_errors=True)
        if not had[1]: sidebar.unlink(missing_ok=True)
