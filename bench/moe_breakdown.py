"""Where MoELayer's inference time goes (b=1, forward under no_grad), stage by stage, against the dense FFN timed in the same rounds.

Each stage adds one part of the layer to the previous one:

1. `ffn, unpadded`: the experts' two `baddbmm` and the activation on an (e, ceil(s/e), d) block, i.e. the same
   matmul work as the dense FFN spread over e experts, without padding;
2. `ffn, padded`: the same on the (e, c_max, d) block the router's counts give (c_max = the busiest expert);
3. `padded_moe`: plus gathering the tokens into that block and combining the outputs with the gates;
4. `MoELayer._experts`: plus planning the dispatch (sorting slots by expert);
5. `MoELayer`: the whole layer, plus the router and the auxiliary losses (read, so computed).

Then the CPU inference kernel `dispatch='auto'` takes under no_grad, on the same routing:

6. `packed_moe`: gather, one packed oneDNN linear pair per expert on its rows (bias and GELU fused), combine;
7. `MoELayer auto`: the whole default layer (router, plan, packed kernel; the auxiliary losses not read).

Every round runs all stages once, in a new random order; ratios are medians over rounds of (stage / dense) from
the same round (`moe_dispatch.time_steps` and `paired_ratio`). The dense FFN has the layer's active parameters
per token (d_ff = top_k * d_ff), like the dense row of `moe_dispatch.py`.

    python bench/moe_breakdown.py [--rounds 600] [--threads 2] [--json out.json]
"""
from __future__ import annotations
import argparse, json, math, statistics, sys
from pathlib import Path

import torch

from mdmoe.moe import MoEConfig, MoELayer, FeedForward, plan_dispatch, padded_moe, packed_moe, packed_supported, expert_capacity

sys.path.insert(0, str(Path(__file__).resolve().parent))
from moe_dispatch import time_steps, paired_ratio, _load


def stages(args) -> tuple[dict, dict]:
    "name -> zero-argument callable, and facts about the routing (counts, c_max, padding)."
    torch.manual_seed(0)
    cfg = MoEConfig(d_model=args.d_model, d_ff=args.d_ff, n_experts=args.n_experts, top_k=args.top_k)
    layer = MoELayer(cfg, 'padded').eval()
    dense = FeedForward(args.d_model, args.top_k * args.d_ff).eval()
    x = torch.randn(1, args.t, args.d_model)
    xr = x.reshape(-1, args.d_model)
    with torch.no_grad():
        r = layer.route(xr)
        plan = plan_dispatch(r.idx, r.gates, cfg.n_experts, expert_capacity(xr.shape[0], cfg))
    e, s = cfg.n_experts, plan.order.numel()
    c_max, c_even = int(plan.counts.max()), math.ceil(s / e)
    b1, b2 = layer.b1.unsqueeze(1), layer.b2.unsqueeze(1)
    blocks = {c: torch.randn(e, c, args.d_model) for c in (c_even, c_max)}
    ffn = lambda c: torch.baddbmm(b2, layer._act(torch.baddbmm(b1, blocks[c], layer.w1)), layer.w2)
    gate, tok = r.gates.reshape(-1)[plan.order], plan.order // cfg.top_k
    fns = {'dense FFN': lambda: dense(x),
           'ffn, unpadded': lambda: ffn(c_even),
           'ffn, padded': lambda: ffn(c_max),
           'padded_moe': lambda: padded_moe(xr, tok, plan.expert, plan.counts, gate, layer.w1, layer.b1, layer.w2, layer.b2,
                                            layer._act, chunk_rows=layer._chunk_rows(xr)),
           'MoELayer._experts': lambda: layer._experts(xr, r),
           'MoELayer': lambda: sum(layer(x).aux.values())}
    if packed_supported(cfg.activation):
        auto = MoELayer(cfg, 'auto').eval()
        auto.load_state_dict(layer.state_dict())
        with torch.no_grad(): packed = auto._packed_experts(plan)
        fns['packed_moe'] = lambda: packed_moe(xr, tok, plan.counts, gate, packed, auto.b1, auto.b2, cfg.activation)
        fns['MoELayer auto'] = lambda: auto(x)
    facts = dict(counts=plan.counts.tolist(), c_max=c_max, c_even=c_even, padding=e * c_max / s)
    return fns, facts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rounds', type=int, default=600)
    ap.add_argument('--threads', type=int, default=None, help="torch.set_num_threads (default: leave torch's default)")
    ap.add_argument('--t', type=int, default=196)
    ap.add_argument('--d-model', type=int, default=256)
    ap.add_argument('--d-ff', type=int, default=1024)
    ap.add_argument('--n-experts', type=int, default=8)
    ap.add_argument('--top-k', type=int, default=2)
    ap.add_argument('--json', help='also write the results to this JSON file')
    args = ap.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    fns, facts = stages(args)
    with torch.no_grad():
        times = time_steps(fns, 'cpu', warmup=5, rounds=args.rounds, min_time=0, shuffle_seed=0)
    res = {k: dict(ms=statistics.median(ts) * 1e3, vs_dense=paired_ratio(ts, times['dense FFN'])) for k, ts in times.items()}
    print(f"MoELayer inference breakdown: t={args.t} d={args.d_model} d_ff={args.d_ff} e={args.n_experts} k={args.top_k}, "
          f"b=1, {torch.get_num_threads()} torch threads, {args.rounds} rounds, torch {torch.__version__}")
    print(f"routing: slots per expert {facts['counts']}, c_max {facts['c_max']} vs {facts['c_even']} if even: "
          f"padding e*c_max/s = {facts['padding']:.2f}\n")
    print('| stage | ms (median) | x dense (per round) |\n|---|---:|---:|')
    for k, v in res.items(): print(f"| {k} | {v['ms']:.2f} | {v['vs_dense']:.2f} |")
    if args.json:
        json.dump(dict(args=vars(args), routing=facts, results=res, load_average=_load()), open(args.json, 'w'), indent=1)
    return res


if __name__ == '__main__':
    main()
