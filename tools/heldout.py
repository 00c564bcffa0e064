"""How often prompts phrased in new ways produce the named action, for one or more models: the shipped-model tutorial's
"Prompts it was not trained on".

Each model generates 6-second motions for the 14 prompts of `mdmoe.synth.NEW_PHRASINGS` (one per action family,
phrased outside the built-in caption grammar; `--prompts indirect`: the harder `INDIRECT_PHRASINGS`, each action described
without its own word; `--prompts casual`: `CASUAL_PHRASINGS`, written after the retrieval weight was chosen)
with `--seeds` seeds, with its own default guidance, low-pass and retrieval weight
(DPM-Solver++ 20 unless `--scheduler` / `--steps` / `--cfg-scale` / `--x0-lowpass` / `--retrieval` say otherwise). With `--candidates K`
each generation is the best of K, reranked by the shipped contrastive evaluator (`MotionPipeline(..., candidates=K)`). A generation hits when `extract_attributes` finds
the named action among its segments. Printed per model: hits of all generations, and per action the hits of
`--seeds`. With its defaults (retrieval weight 0.5) the shipped model reads 46 of 70, and 35 of 70 with `--prompts
indirect`. Its own reading, `--retrieval 0`: 38 of 70 (41 with `--cfg-scale 2.5 --x0-lowpass 0`, the previous
defaults) and 24 of 70 indirect, as in the tutorial. `--prompts casual`: 55 of 70, and 49 with `--retrieval 0`.

    python tools/heldout.py shipped RUN_DIR [RUN_DIR ...] [--prompts new|indirect|casual] [--seeds 5] [--cfg-scale 5] [--x0-lowpass 0] [--candidates 4] [--retrieval 0] [--json OUT]
"""
from __future__ import annotations
import json

import pandas as pd

from mdmoe.pipeline import MotionPipeline
from mdmoe.synth import CASUAL_PHRASINGS, INDIRECT_PHRASINGS, NEW_PHRASINGS, extract_attributes

from _compare import compare_parser

PROMPT_SETS = {'new': NEW_PHRASINGS, 'indirect': INDIRECT_PHRASINGS, 'casual': CASUAL_PHRASINGS}


def heldout_hits(model: str, seeds: int = 5, steps: int = 20, scheduler: str = 'dpmsolver++',
                 cfg_scale: float | None = None, x0_lowpass: float | None = None, candidates: int = 1,
                 prompt_set: str = 'new', retrieval_weight: float | None = None) -> pd.DataFrame:
    "(actions, seeds) bool table: whether each held-out prompt's generation shows the action it names (`attrs['retrieval_weight']`: the weight used)."
    pipe = MotionPipeline.from_pretrained(None if model == 'shipped' else model)
    if retrieval_weight is None: retrieval_weight = pipe.config.diffusion.retrieval_weight
    prompts, actions = [p for p, _ in PROMPT_SETS[prompt_set]], [a for _, a in PROMPT_SETS[prompt_set]]
    hit = {}
    for seed in range(seeds):
        out = pipe(prompts, seconds=6.0, steps=steps, scheduler=scheduler, cfg_scale=cfg_scale, x0_lowpass=x0_lowpass, seed=seed,
                   candidates=candidates, retrieval_weight=retrieval_weight)
        hit[f'seed {seed}'] = [a in [s['action'] for s in extract_attributes(out.motion(i))] for i, a in enumerate(actions)]
    tab = pd.DataFrame(hit, index=actions)
    tab.attrs['retrieval_weight'] = float(retrieval_weight)
    return tab


def main(argv=None):
    ap = compare_parser(__doc__, seeds=5, json_help='also write the per-action hits here')
    ap.add_argument('--candidates', type=int, default=1, help="best of this many per generation, reranked by the shipped evaluator")
    ap.add_argument('--prompts', choices=sorted(PROMPT_SETS), default='new',
                    help="new: NEW_PHRASINGS (the tutorial's); indirect: INDIRECT_PHRASINGS, each action without its own word; "
                         "casual: CASUAL_PHRASINGS, written after the retrieval weight was chosen")
    ap.add_argument('--retrieval', type=float, default=None,
                    help="retrieval_weight: mix in the nearest training caption's prediction (default: each model's; 0: off)")
    args = ap.parse_args(argv)
    tabs = {m: heldout_hits(m, args.seeds, args.steps, args.scheduler, args.cfg_scale, args.x0_lowpass, args.candidates, args.prompts,
                            args.retrieval)
            for m in args.models}
    per_action = pd.DataFrame({m: t.sum(axis=1) for m, t in tabs.items()})
    print(f"{args.prompts} phrasings: {len(PROMPT_SETS[args.prompts])} prompts x {args.seeds} seeds, {args.scheduler} {args.steps} steps, "
          f"best of {args.candidates}")
    for m, t in tabs.items():
        print(f"{m}: {int(t.values.sum())} of {t.size} generations hit ({t.values.mean():.0%}), retrieval weight {t.attrs['retrieval_weight']:g}")
    print(f"hits of {args.seeds} per action:\n{per_action.to_string()}")
    if args.json:
        args.json.write_text(json.dumps({'prompts': args.prompts, 'seeds': args.seeds, 'steps': args.steps, 'scheduler': args.scheduler,
                                         'cfg_scale': args.cfg_scale, 'x0_lowpass': args.x0_lowpass,
                                         'candidates': args.candidates, 'retrieval_weight': {m: t.attrs['retrieval_weight'] for m, t in tabs.items()}, 'hits': {m: t.values.tolist() for m, t in tabs.items()},
                                         'actions': list(per_action.index)}, indent=1))


if __name__ == '__main__':
    main()
