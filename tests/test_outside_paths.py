"""Nothing in the project reads beside the repository: the guard refuses it at run time, and the sources name no such path."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARD = ROOT / 'tests' / 'guard'
SIBLING = 'sha' + 'red'  # the folder of reference data that once sat beside our checkout (spelt so this file does not match)
PATTERNS = [re.compile(p) for p in (rf"[\"'/]{SIBLING}[\"'/]", r'parents\[\d+\]\.parent\b', r'Path\.cwd\(\)(\.resolve\(\))?\.parents\b',
                                    r'\.\.[/\\]\.\.[/\\]\.\.')]


def _run(code, repo, **env):
    e = {**os.environ, 'PYTHONPATH': str(GUARD), 'MDMOE_GUARD_ROOT': str(repo), **env}
    return subprocess.run([sys.executable, '-c', code], cwd=repo, env=e, capture_output=True, text=True, timeout=60)


def test_guard_refuses_siblings(tmp_path):
    repo, sib = tmp_path / 'repo', tmp_path / 'reference'
    (repo / 'tests').mkdir(parents=True); sib.mkdir()
    (sib / 'data.npy').write_text('x'); (repo / 'tests' / 'ok.txt').write_text('ok')
    code = """
import os, glob, tempfile
assert open('tests/ok.txt').read() == 'ok'
with tempfile.NamedTemporaryFile('w') as f: f.write('tmp')
for what in (lambda: open('../reference/data.npy'), lambda: os.listdir('../reference'), lambda: glob.glob('../reference/*'),
             lambda: open(os.path.abspath('../reference/data.npy'), 'rb')):
    try: what(); raise SystemExit('read beside the repository')
    except PermissionError as e: assert type(e).__name__ == 'OutsideRepositoryError' and 'beside the repository' in str(e), e
print('guarded')
"""
    r = _run(code, repo)
    assert r.returncode == 0 and r.stdout.strip() == 'guarded', r.stderr


def test_guard_is_on_in_this_run():
    "pytest (tests/conftest.py) and `make test` run every test under the guard, and subprocesses inherit it."
    assert getattr(sys, '_mdmoe_guard', None) is not None
    assert os.environ['MDMOE_GUARD_ROOT'] == str(ROOT) and str(GUARD) in os.environ['PYTHONPATH'].split(os.pathsep)
    r = subprocess.run([sys.executable, '-c', 'import sys; print(sys._mdmoe_guard is not None)'], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == 'True', r.stderr


def _sources():
    files = subprocess.run(['git', 'ls-files', 'nbs', 'tests', 'mdmoe', 'tools', 'bench', 'Makefile', '.ci', 'pyproject.toml'],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / f for f in files if Path(f).suffix in ('.py', '.ipynb', '.sh', '.toml', '') and Path(f).name != Path(__file__).name]


@pytest.mark.skipif(not (ROOT / '.git').exists(), reason='needs the git checkout to list the sources')
def test_sources_name_no_path_beside_the_repository():
    "No notebook, test, module or tool spells a path that climbs out of the repository (the guard cannot see a skip)."
    hits = [f'{f.relative_to(ROOT)}:{i}: {line.strip()[:120]}' for f in _sources() if f.is_file()
            for i, line in enumerate(f.read_text(errors='replace').splitlines(), 1) if any(p.search(line) for p in PATTERNS)]
    assert not hits, 'paths beside the repository:\n' + '\n'.join(hits)
