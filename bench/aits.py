"""Average inference time per sentence (AITS) and quality per sampler setting, measured in the same run.

AITS follows the convention of the text-to-motion papers (MLD, MotionLCM): a batch of 32 captions, 196 frames
each, wall time of the whole generation (text encoding, sampling with classifier-free guidance, decoding to
joints) divided by 32, after one warm-up call. Settings: DPM-Solver++ 10 and 20 steps, DDIM 50 and DDPM 1000.

Quality of each setting on the built-in test split: motions generated for the first `--n-quality` items of the
split (one caption each, at the real length), scored with mdmoe's own evaluator (R-precision top-3 in batches of
32, FID against the real motions of the same items) and with the synthetic benchmark's attribute accuracy (what
the extractors read back from the joints against the attributes that generated the caption).

On a CPU the MoE layers run inference with packed oneDNN experts (`MoELayer(dispatch='auto')`); what that kernel buys
end to end is timed in the same run: DPM-Solver++ 10 steps, alternating `--kernel-rounds` times between the packed
kernel and the padded `bmm` kernel that training uses (`cpu_packed=False`), reported as the median per-round ratio.

On a CPU, 1000 DDPM steps at batch 32 take far too long to time whole: `--ddpm-timed-steps K` times K DDPM steps
(every step costs one guided network evaluation, the same as in the 1000-step run) and scales by 1000 / K; the
table says so. Its quality is measured on `--n-quality-ddpm` items. On a GPU, pass `--ddpm-timed-steps 1000`.

    python bench/aits.py --data DIR [--model DIR] [--device cpu|cuda] [--json out.json]
"""
from __future__ import annotations
import argparse, json, platform, statistics, time
from pathlib import Path

import numpy as np
import torch

from mdmoe.data import HumanML3DDataset, denormalize
from mdmoe.moe import MoELayer, packed_supported
from mdmoe.evaluator import ContrastiveEvaluator
from mdmoe.metrics import r_precision, fid
from mdmoe.motion import features_to_joints
from mdmoe.pipeline import MotionPipeline, default_evaluator, _generate_sorted
from mdmoe.synth import attribute_accuracy, accuracy_table

SETTINGS = (('dpmsolver++', 10), ('dpmsolver++', 20), ('ddim', 50), ('ddpm', 1000))


def sync(device):
    if torch.device(device).type == 'cuda': torch.cuda.synchronize()


def time_batch(pipe, texts, frames, scheduler, steps, seed=0) -> float:
    "Wall seconds of one generation call (joints included)."
    sync(pipe.device)
    t = time.perf_counter()
    pipe(texts, frames=frames, steps=steps, scheduler=scheduler, seed=seed, batch_size=len(texts),
         retrieval_weight=0.).joints  # the sampler's cost: two passes per guided step, never three; joints decode lazily
    sync(pipe.device)
    return time.perf_counter() - t


def kernel_ratio(pipe, texts, frames, rounds: int) -> dict | None:
    "CPU: DPM-Solver++ 10 with the packed expert kernel vs the padded one, alternating; None where packed cannot run."
    moes = [m for m in pipe.model.modules() if isinstance(m, MoELayer)]
    if not moes or torch.device(pipe.device).type != 'cpu' or not packed_supported(moes[0].config.activation): return None
    times = {True: [], False: []}
    try:
        for r in range(rounds):
            for packed in ((True, False) if r % 2 == 0 else (False, True)):  # alternate who goes first
                for m in moes: m.cpu_packed = packed
                times[packed].append(time_batch(pipe, texts, frames, 'dpmsolver++', 10))
    finally:
        for m in moes: m.cpu_packed = True
    ratios = [a / b for a, b in zip(times[True], times[False])]
    return dict(sampler='dpmsolver++ 10', rounds=rounds, packed_s=[t / len(texts) for t in times[True]],
                padded_s=[t / len(texts) for t in times[False]], median_ratio=statistics.median(ratios))


def test_items(data, spec, n: int, seed: int = 0):
    "The first n items of the test split (fixed crops and captions), with their unnormalised features."
    ds = HumanML3DDataset(data, 'test', spec, seed=seed)
    items = [ds[i] for i in range(min(n, len(ds)))]
    feats = [denormalize(it.motion[:it.length].numpy(), ds.mean, ds.std) for it in items]
    return items, feats


def quality(pipe, ev, data, items, real_feats, scheduler, steps, seed=0) -> dict:
    texts, lengths = [it.text for it in items], np.array([it.length for it in items])
    gen = _generate_sorted(pipe, texts, lengths, seed, 32, steps=steps, scheduler=scheduler, cfg_scale=None)
    out = {'n_quality': len(items)}
    if len(items) >= 32:
        emb_t = ev.encode_captions(texts).cpu().numpy()
        emb_g = np.concatenate([ev.encode_features(gen[s:s + 32]).cpu().numpy() for s in range(0, len(gen), 32)])
        emb_r = np.concatenate([ev.encode_features(real_feats[s:s + 32]).cpu().numpy() for s in range(0, len(gen), 32)])
        out['R-precision top-3'] = float(r_precision(emb_t, emb_g, 3, 32)[2])
        out['FID'] = float(fid(emb_r, emb_g))
    res = []
    for it, g in zip(items, gen):
        p = Path(data) / 'attributes' / f'{it.name}.json'
        if p.is_file(): res.append(attribute_accuracy(features_to_joints(g.astype(np.float64)), json.loads(p.read_text())))
    if res:
        acc = accuracy_table(res)['accuracy']
        out['action acc'] = float(acc['action'])
        out['mean attr acc'] = float(acc.drop('segments').mean())
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--data', required=True, help='built-in dataset folder (mdmoe data builtin --out DIR)')
    ap.add_argument('--model', default=None, help='pretrained folder or run (default: the shipped model)')
    ap.add_argument('--evaluator', default=None, help='saved contrastive evaluator folder (default: the shipped one)')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--frames', type=int, default=196)
    ap.add_argument('--n-quality', type=int, default=64, help='test items scored per setting')
    ap.add_argument('--n-quality-ddpm', type=int, default=16, help='test items scored for DDPM 1000')
    ap.add_argument('--ddpm-timed-steps', type=int, default=50, help='DDPM steps timed (scaled to 1000)')
    ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--json', default=None)
    ap.add_argument('--no-quality', action='store_true', help='time only (no evaluator needed); captions still come from the test split')
    ap.add_argument('--kernel-rounds', type=int, default=3, help='CPU: rounds of packed vs padded expert kernel (0: skip)')
    args = ap.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    pipe = MotionPipeline.from_pretrained(args.model, device=args.device)
    ev = (None if args.no_quality else ContrastiveEvaluator.load(args.evaluator, device=args.device) if args.evaluator
          else default_evaluator(device=args.device))
    items, feats = test_items(args.data, pipe.spec, max(args.n_quality, args.n_quality_ddpm, 1))
    texts = [items[i % len(items)].text for i in range(args.batch)]
    time_batch(pipe, texts, args.frames, 'dpmsolver++', 2)  # warm-up
    rows = []
    for scheduler, steps in SETTINGS:
        timed = min(steps, args.ddpm_timed_steps) if scheduler == 'ddpm' else steps
        wall = time_batch(pipe, texts, args.frames, scheduler, timed) * steps / timed
        n_q = args.n_quality_ddpm if scheduler == 'ddpm' else args.n_quality
        q = {} if args.no_quality else quality(pipe, ev, args.data, items[:n_q], feats[:n_q], scheduler, steps)
        rows.append(dict(sampler=f'{scheduler} {steps}', NFE=steps, AITS_s=wall / args.batch,
                         timing='measured' if timed == steps else f'{timed} steps timed, x{steps / timed:g}', **q))
        print(rows[-1], flush=True)
    ref = rows[-1]['AITS_s']
    for r in rows: r['speed-up vs DDPM 1000'] = ref / r['AITS_s']
    import pandas as pd
    table = pd.DataFrame(rows).set_index('sampler')
    dev = torch.cuda.get_device_name() if torch.device(args.device).type == 'cuda' else f'{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads'
    print(f"\nAITS (batch {args.batch} x {args.frames} frames) on {dev}, torch {torch.__version__}\n")
    print(table.round(4).to_string())
    kernel = kernel_ratio(pipe, texts, args.frames, args.kernel_rounds) if args.kernel_rounds > 0 else None
    if kernel:
        print(f"\nCPU expert kernel, {kernel['sampler']}: packed oneDNN / padded bmm = {kernel['median_ratio']:.2f} "
              f"(median of {kernel['rounds']} alternating rounds; s per sentence packed {min(kernel['packed_s']):.3f}, "
              f"padded {min(kernel['padded_s']):.3f}, best of each)")
    if args.json:
        out = dict(device=dev, torch=torch.__version__, batch=args.batch, frames=args.frames, rows=rows)
        if kernel: out['cpu_expert_kernel'] = kernel
        Path(args.json).write_text(json.dumps(out, indent=1) + '\n')


if __name__ == '__main__':
    main()
