"""Whether `mdmoe demo`'s six built-in prompts do what they ask, over several seeds, for one or more models: #25's
"a shipped model that does what its demo asks" (each prompt in at least 4 of 5 seeds).

Each model generates the prompts of `mdmoe.cli.DEMO_PROMPTS` as `mdmoe demo` does (6 seconds, DPM-Solver++ 20, the
model's own sampling defaults unless `--scheduler` / `--steps` / `--cfg-scale` / `--x0-lowpass` say otherwise), once per
seed, and `mdmoe.synth.check_prompt` reads from the joints whether each motion does what its prompt asks, criterion by
criterion. Printed per model: the seeds (of `--seeds`) in which each prompt is done as asked, and how often each
criterion holds. The shipped model: 10 of 30 (`python tools/demo_check.py shipped --json results/demo/shipped.json`), 13 of 30 with `--seconds 7` or `--seconds 9`.

    python tools/demo_check.py shipped RUN_DIR [RUN_DIR ...] [--seeds 5] [--steps 20] [--cfg-scale 3] [--json OUT]
"""
from __future__ import annotations
import json

import pandas as pd

from mdmoe.cli import DEMO_PROMPTS
from mdmoe.pipeline import MotionPipeline
from mdmoe.synth import check_prompt

from _compare import compare_parser


def demo_checks(model: str, seeds: int = 5, steps: int = 20, scheduler: str = 'dpmsolver++',
                cfg_scale: float | None = None, x0_lowpass: float | None = None, seconds: float = 6.0) -> list[dict]:
    "One `check_prompt` record per (seed, prompt), with `model` and `seed` added."
    pipe = MotionPipeline.from_pretrained(None if model == 'shipped' else model)
    rows = []
    for seed in range(seeds):
        out = pipe(list(DEMO_PROMPTS), seconds=seconds, steps=steps, scheduler=scheduler, cfg_scale=cfg_scale, x0_lowpass=x0_lowpass, seed=seed)
        rows += [dict(model=model, seed=seed, **check_prompt(out.motion(i), p)) for i, p in enumerate(DEMO_PROMPTS)]
    return rows


def summary(rows: list[dict]) -> pd.DataFrame:
    "(prompt, model) table: seeds in which the prompt is done as asked, of all seeds."
    d = pd.DataFrame(rows)
    return d.pivot_table(index='prompt', columns='model', values='ok', aggfunc='sum', sort=False).astype(int)


def main(argv=None):
    ap = compare_parser(__doc__, seeds=5, json_help='also write every check (criteria and measurements) here')
    ap.add_argument('--seconds', type=float, default=6.0, help="length of each motion (mdmoe demo's default: 6)")
    args = ap.parse_args(argv)
    rows = [r for m in args.models for r in demo_checks(m, args.seeds, args.steps, args.scheduler, args.cfg_scale, args.x0_lowpass, args.seconds)]
    tab = summary(rows)
    print(f"mdmoe demo's prompts: {len(DEMO_PROMPTS)} prompts x {args.seeds} seeds, {args.scheduler} {args.steps} steps, {args.seconds:g} s")
    print(f"seeds (of {args.seeds}) in which each prompt does what it asks:\n{tab.to_string()}")
    for m in args.models:
        mine = [r for r in rows if r['model'] == m]
        print(f"\n{m}: {sum(r['ok'] for r in mine)} of {len(mine)}; prompts done in >= 4 of 5 seeds: "
              f"{int((tab[m] >= 0.8 * args.seeds).sum())} of {len(DEMO_PROMPTS)}. Seeds in which each criterion holds:")
        for p in DEMO_PROMPTS:
            crit = pd.DataFrame([r['criteria'] for r in mine if r['prompt'] == p]).sum()
            print(f"  {p}: " + ", ".join(f"{k} {int(v)}" for k, v in crit.items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({'seeds': args.seeds, 'steps': args.steps, 'scheduler': args.scheduler, 'seconds': args.seconds,
                                         'cfg_scale': args.cfg_scale, 'x0_lowpass': args.x0_lowpass, 'checks': rows}, indent=1, default=float))


if __name__ == '__main__':
    main()
