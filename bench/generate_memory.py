"""Peak memory of one batch-32, 196-frame generation: the shipped mdmoe model against a dense MDM-shaped denoiser.

Run: `.venv/bin/python bench/generate_memory.py` (`--batch`, `--frames`, `--steps`, `--device`, `--json OUT`).

Each model generates in a subprocess of its own, so that the peak resident set size (`ru_maxrss`) is that run's
alone: it is read once the model is loaded (`loaded`) and again after one generation (`peak`); `rise` is the
difference, what generating itself costs. Both go through the same `MotionPipeline` call (MiniLM text encoder, the
shipped model's sampler settings: DPM-Solver++, guidance 3 at t <= 900, the early x0 low-pass), so the ratio compares
the denoisers. The dense peer has MDM's shape (Tevet et al. 2023: 8 layers, width 512, 4 heads, feed-forward 1024,
dense FFN), built from mdmoe's own `DenoiserConfig` with the MoE off and random weights (memory does not depend on
their values). The numbers depend on the machine, the allocator and the thread count, so the script prints ratios
measured in the same run, never absolute thresholds.
"""
import argparse, json, os, platform, resource, subprocess, sys, time
from dataclasses import replace


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(kind: str, batch: int, frames: int, steps: int, device: str) -> dict:
    "Load `kind` ('mdmoe' or 'dense'), generate once, report memory (MiB) and time."
    import warnings
    warnings.simplefilter('ignore')
    import numpy as np
    import torch
    from mdmoe.pipeline import CONFIG_FILE, MEAN_FILE, STD_FILE, MotionPipeline, packaged_model_dir
    from mdmoe.train import ExperimentConfig, MotionDiffusionModel
    if kind == 'mdmoe': pipe = MotionPipeline.from_pretrained(device=device)
    else:  # the shipped model's config, text encoder, sampler settings and normalisation; only the denoiser differs
        folder = packaged_model_dir()
        c = ExperimentConfig.load(folder / CONFIG_FILE)
        dense = replace(c.model, d_model=512, n_layers=8, n_heads=4, d_ff=1024, moe=None, moe_every=0, dense_ff_matched=False,
                        cond_routing=False)
        cfg = replace(c, model=dense)
        torch.manual_seed(0)
        pipe = MotionPipeline(MotionDiffusionModel(cfg), cfg, np.load(folder / MEAN_FILE), np.load(folder / STD_FILE)).to(device)
    params = sum(p.numel() for p in pipe.model.denoiser.parameters())
    texts = [f"a person walks forward and turns to the left, take {i}" for i in range(batch)]
    loaded = _maxrss_mb()
    t0 = time.perf_counter()
    out = pipe(texts, frames=frames, steps=steps, seed=0, retrieval_weight=0.)
    secs = time.perf_counter() - t0
    assert out.features.shape == (batch, frames, pipe.spec.n_feats)
    return dict(kind=kind, denoiser_params=params, loaded_mib=round(loaded, 1), peak_mib=round(_maxrss_mb(), 1),
                rise_mib=round(_maxrss_mb() - loaded, 1), seconds=round(secs, 2))


def measure(kind: str, args) -> dict:
    "Run `child` in a fresh interpreter and read its JSON line."
    cmd = [sys.executable, __file__, '--child', kind, '--batch', str(args.batch), '--frames', str(args.frames),
           '--steps', str(args.steps), '--device', args.device]
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, 'OMP_NUM_THREADS': str(args.threads)})
    if res.returncode: raise SystemExit(f"{kind} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--frames', type=int, default=196)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--device', default='cpu')
    p.add_argument('--threads', type=int, default=int(os.environ.get('OMP_NUM_THREADS', 2)))
    p.add_argument('--json', default=None, help='also write the results here')
    p.add_argument('--child', default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.batch, args.frames, args.steps, args.device)))
        return
    rows = {k: measure(k, args) for k in ('mdmoe', 'dense')}
    m, d = rows['mdmoe'], rows['dense']
    ratios = dict(peak=round(m['peak_mib'] / d['peak_mib'], 3), rise=round(m['rise_mib'] / d['rise_mib'], 3),
                  seconds=round(m['seconds'] / d['seconds'], 3))
    print(f"batch {args.batch} x {args.frames} frames, {args.steps} steps, {args.device}, {args.threads} threads "
          f"({platform.processor() or platform.machine()}); peak RSS of the process in MiB")
    print(f"{'':8}{'params':>12}{'loaded':>10}{'peak':>10}{'rise':>10}{'seconds':>10}")
    for k, r in rows.items():
        print(f"{k:8}{r['denoiser_params']:>12,}{r['loaded_mib']:>10.0f}{r['peak_mib']:>10.0f}{r['rise_mib']:>10.0f}{r['seconds']:>10.1f}")
    print(f"mdmoe / dense MDM-shaped: peak {ratios['peak']:.2f}x, generation's own rise {ratios['rise']:.2f}x, time {ratios['seconds']:.2f}x")
    if args.json:
        with open(args.json, 'w') as f: json.dump(dict(settings=vars(args), rows=rows, ratios=ratios), f, indent=1)


if __name__ == '__main__':
    main()
