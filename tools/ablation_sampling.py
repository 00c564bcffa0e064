"""Sampling settings over training seeds: the ablation's finished runs of one row, evaluated again with other sampling
settings (the same T2M protocol, attribute accuracy and physical metrics as the study, `mdmoe.ablation.evaluate_run`'s
settings otherwise), one line per (setting, seed) in `results/ablation/sampling.csv`. The ablation tutorial reads it to
choose the sampling defaults a newly trained model gets, with intervals over training seeds rather than over one model.

Settings (`--settings`, any of):
  default    guidance 7.5 at every step, no x0 low-pass: what `mdmoe train` writes into a new model's config
  shipped    guidance 3 at t <= 900, x0 low-pass of 1 frame at t >= 400: the shipped model's config
  lowpass    the study's guidance (2.5 at every step) with the shipped model's low-pass
  interval   the study's guidance scale (2.5) at t <= 900 only, no low-pass
The study's own setting (guidance 2.5 at every step, no low-pass) is the row's line in runs.csv. On the three `cfg`
seeds `shipped` beat `default` on count accuracy, jitter and foot skating and lost on nothing, which is why the
presets sample that way (`mdmoe.experiment.PRESET_SAMPLING`); about 4 minutes per evaluation on one CPU thread.

    python tools/ablation_sampling.py --row cfg --runs build/ablation/cpu/cfg --data build/shipped/builtin [--settings default shipped]
"""
from __future__ import annotations
import argparse, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mdmoe.ablation import SCALES
from mdmoe.files import atomic_text
from mdmoe.pipeline import MotionPipeline, default_evaluator, evaluate_pipeline

SETTINGS = {'default': dict(cfg_scale=7.5, cfg_t_max=999, x0_lowpass=0.), 'shipped': dict(cfg_scale=3., cfg_t_max=900, x0_lowpass=1.),
            'lowpass': dict(cfg_scale=2.5, cfg_t_max=999, x0_lowpass=1.), 'interval': dict(cfg_scale=2.5, cfg_t_max=900, x0_lowpass=0.)}


def evaluate_setting(run_dir, data, setting: str, scale: str = 'cpu') -> dict:
    "The study's metrics of one finished run under `setting` (see SETTINGS)."
    sc, kw = SCALES[scale], SETTINGS[setting]
    pipe = MotionPipeline.from_pretrained(run_dir)
    d = pipe.config.diffusion
    t0 = time.time()
    rep = evaluate_pipeline(pipe, data, default_evaluator(), replications=sc.replications, steps=d.steps, scheduler=d.sampler, mm_texts=0,
                            batch_size=sc.r_batch, diversity_times=sc.diversity_times, seed=0, progress=False, **kw)
    t, a, ph = rep.table.loc['mdmoe'], rep.attributes, rep.physical.loc['mdmoe']
    return dict(fid=t['FID'], top1=t['R-precision top-1'], top3=t['R-precision top-3'], mm_dist=t['MM-Dist'], diversity=t['Diversity'],
                action_acc=float(a.loc['action', 'mdmoe']), count_acc=float(a.loc['count', 'mdmoe']), jitter=float(ph['jitter']),
                skate=float(ph['foot_skating_ratio']), eval_s=time.time() - t0, sampler=d.sampler, sampler_steps=d.steps, **kw)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--row', required=True, help="the ablation row whose runs are evaluated (e.g. cfg)")
    ap.add_argument('--runs', type=Path, required=True, help="the row's run folders' parent (seed0/, seed1/, ...)")
    ap.add_argument('--data', type=Path, required=True, help="the study's dataset folder")
    ap.add_argument('--settings', nargs='+', default=['default', 'shipped'], choices=sorted(SETTINGS))
    ap.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    ap.add_argument('--scale', default='cpu', choices=sorted(SCALES), help="the study's scale (its evaluation settings)")
    ap.add_argument('--out', type=Path, default=Path('results/ablation/sampling.csv'))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    for setting in args.settings:
        for seed in args.seeds:
            done = pd.read_csv(args.out) if args.out.is_file() else pd.DataFrame(columns=['row', 'setting', 'seed'])
            if ((done.row == args.row) & (done.setting == setting) & (done.seed == seed)).any(): continue
            m = evaluate_setting(args.runs / f'seed{seed}', args.data, setting, args.scale)
            line = pd.DataFrame([dict(row=args.row, setting=setting, seed=seed, scale=args.scale, **m)])
            atomic_text(args.out, pd.concat([done, line]).to_csv(index=False) if len(done) else line.to_csv(index=False))
            print(f"{args.row} seed {seed} {setting}: " + ", ".join(f"{k} {v:.3f}" for k, v in m.items() if isinstance(v, float)), flush=True)


if __name__ == '__main__':
    main()
