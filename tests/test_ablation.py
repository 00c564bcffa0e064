"""The ablation study's command at the `tiny` scale: what `make ablation` runs, end to end in subprocesses, resumable."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args, exe=sys.executable, **kw):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, env=env, timeout=600, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed:\n{r.stdout}\n{r.stderr}"
    return r


def test_tiny_study_runs_resumes_and_summarizes(tmp_path):
    data, runs, res = tmp_path / 'data', tmp_path / 'runs', tmp_path / 'results'
    _run('data', 'synth', '--n', 40, '--seed', 0, '--out', data, exe=Path(sys.executable).parent / 'mdmoe')
    study = ('-m', 'mdmoe.ablation', 'run', '--scale', 'tiny', '--variants', 'moe', 'dense_total', 'mdm_shaped', '--seeds', 0, '--jobs', 2,
             '--data', data, '--root', runs, '--results', res)
    out = _run(*study).stdout
    assert out.count('done') == 3 and 'FAILED' not in out, out
    df = pd.read_csv(res / 'runs.csv')
    assert sorted(df.variant) == ['dense_total', 'mdm_shaped', 'moe'] and set(df.scale) == {'tiny'} and (df.steps == 2).all()
    assert df.set_index('variant').loc['mdm_shaped', 'sampler'] == 'ddpm' and df.set_index('variant').loc['moe', 'cfg_scale'] == 1.0
    assert df[['fid', 'top1', 'jitter', 'aits_s', 'train_s']].notna().all().all()
    for v in ('moe', 'dense_total', 'mdm_shaped'): assert (res / 'reports' / 'tiny' / v / 'seed0.json').is_file()
    again = _run(*study).stdout  # every pair is in the CSV: nothing runs again
    assert 'start' not in again and len(pd.read_csv(res / 'runs.csv')) == 3
    summary = _run('-m', 'mdmoe.ablation', 'summary', '--scale', 'tiny', '--results', res).stdout
    assert 'mdm_shaped' in summary and 'dense_total' in summary and 'verdict' in summary and 'against' in summary
    # the sampling study re-evaluates a row's runs under other sampling settings, one line per (setting, seed), resumable
    tool = ('tools/ablation_sampling.py', '--row', 'moe', '--runs', runs / 'tiny' / 'moe', '--data', data, '--scale', 'tiny', '--seeds', 0,
            '--settings', 'default', 'shipped', '--out', res / 'sampling.csv')
    _run(*tool, cwd=ROOT)
    s = pd.read_csv(res / 'sampling.csv')
    assert s.setting.tolist() == ['default', 'shipped'] and (s.row == 'moe').all() and (s.scale == 'tiny').all()
    assert s.set_index('setting').loc['shipped', ['cfg_scale', 'cfg_t_max', 'x0_lowpass']].tolist() == [3., 900, 1.]
    assert s[['fid', 'top1', 'action_acc', 'jitter']].notna().all().all()
    assert 'seed 0' not in _run(*tool, cwd=ROOT).stdout and len(pd.read_csv(res / 'sampling.csv')) == 2  # nothing again


@pytest.mark.skipif(shutil.which('make') is None, reason='make is not installed')
def test_make_ablation_runs_the_module():
    r = subprocess.run(['make', '-n', 'ablation', 'VARIANTS=cfg', 'SEEDS=0 1'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and 'python -m mdmoe.ablation run --variants cfg --seeds 0 1' in r.stdout, r.stdout + r.stderr
