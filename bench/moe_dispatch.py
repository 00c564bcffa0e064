"""Benchmark mdmoe's MoE dispatch against peers measured in the same run.

Rows: mdmoe `MoELayer` (`auto`, which on CPU runs inference with packed oneDNN experts and training with the
padded kernel; grouped_mm and padded-bmm dispatch), the per-expert Python loop reference, transformers'
`MixtralSparseMoeBlock` with its `eager` and `grouped_mm` experts implementations (parameter-matched SwiGLU
experts), and a dense GELU FFN with the same active parameters per token (`d_ff_dense = top_k * d_ff`). On CPU a
reference row gives the dense FFN the same packed oneDNN kernel (inference only), so the reader sees how much of
our inference speed is the kernel rather than the dispatch. Two regimes: inference (forward under no_grad) and training
(forward + backward). Implementations are timed in interleaved rounds after warmup, each round in a new random
order (`--order fixed`: the same order every round, as runs before 2026-11-27 did; a call's time depends on what
ran just before it on this CPU, so a fixed order favours some rows every round); the table shows
medians, ratios to the fastest peer and to dense, and the peak extra memory of one call. Below it, the
targets are judged on per-round ratios (MoELayer auto vs the fastest peer, vs dense, vs the loop, each pair
timed back to back in the same round), which a slow spell of a shared machine cancels out of.

    python bench/moe_dispatch.py --device cpu [--quick] [--json out.json]
"""
from __future__ import annotations
import argparse, json, os, platform, random, statistics, sys, time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from mdmoe.moe import (MoEConfig, MoELayer, FeedForward, grouped_mm_supported, plan_dispatch, expert_capacity, _aligned,
                       packed_supported, pack_linear_weight, packed_ffn)

PEERS = ('loop (per-expert Python)', 'Mixtral eager', 'Mixtral grouped_mm')
PACKED_DENSE = 'dense FFN, packed oneDNN (reference)'


@dataclass
class Row:
    "One implementation under test."
    name: str
    module: nn.Module | None
    call: Callable | None  # module, x -> output tensor, aux losses (a mapping, read only in training) or None
    note: str = ''
    inference_only: bool = False  # no backward: left out of the training regime


def mixtral_rows(args, device) -> list[Row]:
    "Mixtral sparse MoE blocks (eager, grouped_mm), SwiGLU experts sized to match our expert parameters."
    try:
        from transformers import MixtralConfig
        from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock
        from transformers.integrations import moe as hf_moe
    except ImportError as e:
        return [Row(n, None, None, f'n/a: transformers unavailable ({e})') for n in PEERS[1:]]
    ours = 2 * args.d_model * args.d_ff + args.d_ff + args.d_model  # one GELU expert: w1, b1, w2, b2
    inter = max(4, 4 * round(ours / (3 * args.d_model) / 4))  # 3 matrices; multiple of 4 keeps grouped_mm's 16-byte rows
    rows, ref = [], None
    for impl in ('eager', 'grouped_mm'):
        cfg = MixtralConfig(hidden_size=args.d_model, intermediate_size=inter, num_local_experts=args.n_experts,
                            num_experts_per_tok=args.top_k, router_jitter_noise=0.0)
        cfg._experts_implementation = impl
        block = MixtralSparseMoeBlock(cfg).to(device)
        if ref is None:
            torch.manual_seed(1)
            for p in block.parameters(): nn.init.normal_(p, std=0.02)
            ref = block
        else:
            block.load_state_dict(ref.state_dict())
        note = f'SwiGLU intermediate {inter}: {3 * args.d_model * inter:,} params/expert vs ours {ours:,}'
        if impl == 'grouped_mm':
            x = torch.randn(16, args.d_model, device=device)
            offs = torch.full((args.n_experts,), 16, dtype=torch.int32, device=device)
            if not hf_moe._can_use_grouped_mm(x, block.experts.gate_up_proj, offs):
                note += '; transformers falls back to its per-expert mm loop here'
        rows.append(Row(f'Mixtral {impl}', block, lambda m, x: (m(x), None), note))
    return rows


def build_rows(args, device) -> list[Row]:
    "All implementations, MoE ones sharing expert weights where the layout allows."
    torch.manual_seed(0)
    cfg = MoEConfig(d_model=args.d_model, d_ff=args.d_ff, n_experts=args.n_experts, top_k=args.top_k)
    moe_call = lambda m, x: (lambda o: (o.out, o.aux))(m(x))  # aux losses are computed when read: in training only
    auto = MoELayer(cfg, 'auto').to(device)
    rows = [Row(f'dense FFN (d_ff={args.top_k * args.d_ff})', FeedForward(args.d_model, args.top_k * args.d_ff).to(device),
                lambda m, x: (m(x), None)),
            Row('MoELayer auto (default)', auto, moe_call)]
    ok = grouped_mm_supported(str(torch.device(device)), torch.float32) and _aligned(auto.w1, auto.w2)
    for name, mode in (('MoELayer grouped_mm', 'grouped'), ('MoELayer padded bmm', 'padded'), (PEERS[0], 'loop')):
        if mode == 'grouped' and not ok:
            rows.append(Row(name, None, None, 'n/a: grouped_mm unsupported for this device/dtype/shape'))
            continue
        m = MoELayer(cfg, mode).to(device)
        m.load_state_dict(auto.state_dict())
        rows.append(Row(name, m, moe_call))
        if mode == 'padded' and torch.device(device).type == 'cpu':  # what the CPU row chunking buys
            m = MoELayer(cfg, mode, cpu_chunk_bytes=None).to(device)
            m.load_state_dict(auto.state_dict())
            rows.append(Row('MoELayer padded bmm, unchunked', m, moe_call))
    rows += mixtral_rows(args, device)
    if torch.device(device).type == 'cpu' and packed_supported('gelu'):
        rows.append(packed_dense_row(rows[0].module, args.t))
    return rows


def packed_dense_row(dense: FeedForward, rows: int) -> Row:
    "The dense FFN given the packed oneDNN kernel our CPU inference uses (reference: what dense gains from it too)."
    with torch.no_grad():
        p1, p2 = pack_linear_weight(dense.fc1.weight, rows), pack_linear_weight(dense.fc2.weight, rows)
    call = lambda m, x: (packed_ffn(x.reshape(-1, x.shape[-1]), p1, m.fc1.bias, p2, m.fc2.bias, 'gelu').view_as(x), None)
    return Row(PACKED_DENSE, dense, call,
               'the dense FFN with the packed oneDNN weights and fused GELU of our CPU inference kernel; inference only',
               inference_only=True)


def pad_waste(layer: MoELayer, x: torch.Tensor, train: bool) -> tuple[str, float]:
    "The kernel `dispatch='auto'` picks for `x` in this regime, and the padding overhead e * c_max / s it saw."
    with torch.no_grad():
        xr = x.reshape(-1, x.shape[-1])
        r = layer.route(xr)
        plan = plan_dispatch(r.idx, r.gates, layer.config.n_experts, expert_capacity(xr.shape[0], layer.config))
    ws = [layer.w1, layer.b1, layer.w2, layer.b2]
    with torch.set_grad_enabled(train):  # the kernel choice depends on whether gradients are needed
        return layer._mode(xr, ws, plan), layer.config.n_experts * int(plan.counts.max()) / plan.order.numel()


def sync(device):
    if torch.device(device).type == 'cuda': torch.cuda.synchronize()


def make_step(row: Row, x: torch.Tensor, train: bool) -> Callable[[], None]:
    "A zero-argument closure running one inference forward or one training forward+backward."
    m = row.module
    m.train(train)
    if not train:
        def step():
            with torch.no_grad(): row.call(m, x)
        return step
    g = torch.randn_like(x)
    def step():
        m.zero_grad(set_to_none=True)
        x.grad = None
        y, aux = row.call(m, x)
        loss = (y * g).sum()
        (loss if aux is None else loss + sum(aux.values())).backward()
    return step


def time_steps(steps: dict[str, Callable], device, warmup: int, rounds: int, min_time: float,
               clock: Callable[[], float] = time.perf_counter,
               shuffle_seed: int | None = None) -> dict[str, list[float]]:
    "{name: seconds of each round}; implementations alternate within each round so drift hits all alike."
    for f in steps.values():
        for _ in range(warmup): f()
    sync(device)
    times = {k: [] for k in steps}
    order = list(steps)
    rng = None if shuffle_seed is None else random.Random(shuffle_seed)  # a new order each round: none always follows the same one
    t_end = time.perf_counter() + min_time
    r = 0
    while r < rounds or time.perf_counter() < t_end:
        if rng is not None: rng.shuffle(order)
        for k in order:
            t0 = clock()
            steps[k]()
            sync(device)
            times[k].append(clock() - t0)
        r += 1
    return times


def paired_ratio(a: list[float], b: list[float]) -> float:
    "Median over rounds of a[r] / b[r]: both were timed back to back in round r, so a slow spell of the machine cancels."
    return statistics.median(x / y for x, y in zip(a, b))


def peak_memory_mb(step: Callable, device) -> float:
    "Peak extra memory allocated during one call (MiB): CUDA allocator stats, or the CPU profiler's allocation trace."
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        step()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    cur = peak = 0
    for ev in sorted(prof.events(), key=lambda ev: ev.time_range.start):
        cur += ev.self_cpu_memory_usage
        peak = max(peak, cur)
    return peak / 2**20


def check_agreement(rows: list[Row], x: torch.Tensor) -> dict[str, float]:
    "Max abs difference of MoE dispatch modes vs the loop, and of Mixtral grouped_mm vs eager."
    out = {}
    with torch.no_grad():
        by = {r.name: r for r in rows if r.module is not None}
        if PEERS[0] in by:
            ref = by[PEERS[0]].call(by[PEERS[0]].module.eval(), x)[0]
            for name in ('MoELayer auto (default)', 'MoELayer grouped_mm', 'MoELayer padded bmm'):
                if name in by: out[f'{name} vs loop'] = (by[name].call(by[name].module.eval(), x)[0] - ref).abs().max().item()
        if PACKED_DENSE in by:
            out['dense packed oneDNN vs dense'] = (by[PACKED_DENSE].call(by[PACKED_DENSE].module.eval(), x)[0]
                                                   - by[rows[0].name].call(rows[0].module.eval(), x)[0]).abs().max().item()
        if 'Mixtral eager' in by and 'Mixtral grouped_mm' in by:
            a, b = (by[n].call(by[n].module.eval(), x)[0] for n in ('Mixtral eager', 'Mixtral grouped_mm'))
            out['Mixtral grouped_mm vs eager'] = (a - b).abs().max().item()
    return out


def cpu_name() -> str:
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or 'unknown CPU'


def _load() -> str:
    "The 1-minute load average, or n/a where the OS has none."
    try: return f'{os.getloadavg()[0]:.1f}'
    except (AttributeError, OSError): return 'n/a'


def fmt(v, spec):
    return 'n/a' if v is None else format(v, spec)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    ap.add_argument('--quick', action='store_true', help='fewer rounds (smoke test / CI)')
    ap.add_argument('--json', help='also write the results to this JSON file')
    ap.add_argument('--t', type=int, default=196, help='frames per sequence')
    ap.add_argument('--d-model', type=int, default=256)
    ap.add_argument('--d-ff', type=int, default=1024)
    ap.add_argument('--n-experts', type=int, default=8)
    ap.add_argument('--top-k', type=int, default=2)
    ap.add_argument('--infer-batch', type=int, default=1)
    ap.add_argument('--train-batch', type=int, default=32)
    ap.add_argument('--rounds', type=int, default=None, help='timed rounds per regime (default at least 200 inference / 15 training, and 20 s / 60 s)')
    ap.add_argument('--no-memory', action='store_true', help='skip the peak-memory pass')
    ap.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: leave torch\'s default)')
    ap.add_argument('--order', default='shuffled', choices=('shuffled', 'fixed'),
                    help='shuffled: a new random order of the implementations each round (seeded); fixed: row order every round')
    ap.add_argument('--clock', default='wall', choices=('wall', 'cpu'),
                    help='wall: perf_counter; cpu: process CPU time, robust to other load on the machine (use with --threads 1)')
    args = ap.parse_args(argv)
    if args.clock == 'cpu' and args.device == 'cuda': sys.exit('--clock cpu measures host CPU time; use --clock wall with --device cuda')
    if args.threads: torch.set_num_threads(args.threads)
    device = args.device
    if device == 'cuda' and not torch.cuda.is_available(): sys.exit('--device cuda: no CUDA device is available')

    rows = build_rows(args, device)
    live = [r for r in rows if r.module is not None]
    regimes = {'inference': (args.infer_batch, False), 'training': (args.train_batch, True)}
    results = {r.name: {'note': r.note} for r in rows}
    agreement, auto_note, n_rounds, per_round, load0 = {}, [], {}, {}, _load()
    for regime, (b, train) in regimes.items():
        torch.manual_seed(2)
        x = torch.randn(b, args.t, args.d_model, device=device, requires_grad=train)
        if regime == 'inference': agreement = check_agreement(rows, x)
        mode, waste = pad_waste(rows[1].module, x, train)
        auto_note.append(f'{regime}: auto -> {mode}, padding overhead e*c_max/s = {waste:.2f}')
        steps = {r.name: make_step(r, x, train) for r in live if not (train and r.inference_only)}
        rounds = args.rounds or (3 if args.quick else (200 if not train else 15))
        per_round[regime] = time_steps(steps, device, warmup=1 if args.quick or train else 3, rounds=rounds,
                                       min_time=0 if args.quick else (20.0 if not train else 60.0),
                                       clock=time.process_time if args.clock == 'cpu' else time.perf_counter,
                                       shuffle_seed=0 if args.order == 'shuffled' else None)
        n_rounds[regime] = len(next(iter(per_round[regime].values())))
        for name, ts in per_round[regime].items():
            results[name][f'{regime}_ms'], results[name][f'{regime}_min_ms'] = statistics.median(ts) * 1e3, min(ts) * 1e3
        if not args.no_memory:
            for name, f in steps.items(): results[name][f'{regime}_peak_mib'] = peak_memory_mb(f, device)

    results[rows[1].name]['note'] = '; '.join(auto_note)
    dense = rows[0].name
    for regime in regimes:
        for stat in ('', 'min_'):
            key = f'{regime}_{stat}ms'
            peer_ms = [results[p][key] for p in PEERS if key in results.get(p, {})]
            best = min(peer_ms) if peer_ms else None
            for name, res in results.items():
                if key not in res: continue
                res[f'{regime}_{stat}vs_fastest_peer'] = res[key] / best if best else None
                res[f'{regime}_{stat}vs_dense'] = res[key] / results[dense][key]

    # the targets, judged per round: MoELayer auto vs the peer with the lowest median and vs dense, timed back to back
    targets = {'inference': (1.0, 1.6, 'faster than'), 'training': (1.0, 1.2, 'no slower than')}
    paired = {}
    for regime, ts in per_round.items():
        peers = [p for p in PEERS if p in ts]
        if not peers: continue
        fastest = min(peers, key=lambda p: results[p][f'{regime}_ms'])
        ours = ts[rows[1].name]
        paired[regime] = dict(fastest_peer=fastest, vs_fastest_peer=paired_ratio(ours, ts[fastest]),
                              vs_dense=paired_ratio(ours, ts[dense]),
                              vs_loop=paired_ratio(ours, ts[PEERS[0]]) if PEERS[0] in ts else None,
                              wins_vs_fastest_peer=sum(a < b for a, b in zip(ours, ts[fastest])) / len(ours))
        if PACKED_DENSE in ts: paired[regime]['vs_dense_packed'] = paired_ratio(ours, ts[PACKED_DENSE])
        results[rows[1].name][f'{regime}_paired'] = paired[regime]

    env = dict(device=device, clock=args.clock, order=args.order, cpu=cpu_name(), torch_threads=torch.get_num_threads(), torch=torch.__version__,
               python=platform.python_version())
    try:
        import transformers; env['transformers'] = transformers.__version__
    except ImportError: pass
    if device == 'cuda': env['gpu'] = torch.cuda.get_device_name()
    shape = dict(t=args.t, d_model=args.d_model, d_ff=args.d_ff, n_experts=args.n_experts, top_k=args.top_k,
                 infer_batch=args.infer_batch, train_batch=args.train_batch)

    print(f"MoE dispatch benchmark: {env['cpu'] if device == 'cpu' else env.get('gpu')}, {env['torch_threads']} torch threads, "
          f"torch {env['torch']}, transformers {env.get('transformers', 'n/a')}")
    print(f"t={args.t} d={args.d_model} d_ff={args.d_ff} e={args.n_experts} k={args.top_k}; "
          f"inference b={args.infer_batch} (forward, no_grad), training b={args.train_batch} (forward+backward)")
    load1 = _load()
    print(f"{args.clock}-clock median (min) of {n_rounds['inference']} / {n_rounds['training']} interleaved rounds ({args.order} order); "
          f"1-min load average before / after: {load0} / {load1}")
    print()
    print('| implementation | infer ms | x fastest peer | x dense | train ms | x fastest peer | x dense | peak MiB infer / train |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|')
    for r in rows:
        res = results[r.name]
        if 'inference_ms' not in res:
            print(f'| {r.name} | n/a | | | n/a | | | |')
            continue
        cells = []
        for regime, spec in (('inference', '.2f'), ('training', '.1f')):
            if f'{regime}_ms' not in res:
                cells += ['n/a', '', '']
                continue
            cells += [f"{fmt(res[f'{regime}_ms'], spec)} ({fmt(res[f'{regime}_min_ms'], spec)})"]
            cells += [f"{fmt(res[f'{regime}_{k}'], '.2f')} ({fmt(res[f'{regime}_min_{k}'], '.2f')})" for k in ('vs_fastest_peer', 'vs_dense')]
        mem = '' if args.no_memory else f"{fmt(res.get('inference_peak_mib'), '.1f')} / {fmt(res.get('training_peak_mib'), '.0f')}"
        print(f"| {r.name} | {' | '.join(cells)} | {mem} |")
    print()
    for r in rows:
        if results[r.name]['note']: print(f"- {r.name}: {results[r.name]['note']}")
    for k, v in agreement.items(): print(f'- max |diff| {k}: {v:.2e}')
    print()
    print(f'{rows[1].name}, per-round ratios (median over rounds of the two timed back to back):')
    for regime, p in paired.items():
        peer_t, dense_t, word = targets[regime]
        line = (f"- {regime}: {p['vs_fastest_peer']:.2f}x {p['fastest_peer']} (ours faster in {p['wins_vs_fastest_peer']:.0%} of rounds), "
                f"{p['vs_dense']:.2f}x dense, {fmt(p['vs_loop'], '.2f')}x the loop; ")
        if device == 'cpu':
            ok = (p['vs_fastest_peer'] < peer_t if regime == 'inference' else p['vs_fastest_peer'] <= peer_t) and p['vs_dense'] <= dense_t
            line += f"CPU target {word} the fastest peer and <= {dense_t}x dense: {'met' if ok else 'not met'}"
        else:
            ok = p['vs_loop'] is not None and p['vs_loop'] <= 0.5
            line += f"GPU target >= 2x faster than the loop: {'met' if ok else 'not met'}"
        print(line)
        if 'vs_dense_packed' in p: print(f"  (against the dense FFN with the same packed oneDNN kernel: {p['vs_dense_packed']:.2f}x)")
    if args.json:
        with open(args.json, 'w') as fh:
            json.dump(dict(env=env, shape=shape, rounds=n_rounds, load_avg=[load0, load1], results=results, agreement=agreement,
                           paired=paired), fh, indent=1)
    return results


if __name__ == '__main__':
    main()
