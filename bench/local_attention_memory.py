"""Peak memory and time of one self-attention layer forward: full vs chunked local (sliding-window) attention.

Run: `.venv/bin/python bench/local_attention_memory.py` (add `--grad` to keep the autograd graph).

Peak memory is the high-water mark of bytes allocated *during* the forward (inputs and weights excluded):
on CUDA `torch.cuda.max_memory_allocated` minus the bytes allocated before; on CPU the same quantity
rebuilt from the allocator events of `torch.profiler.profile(profile_memory=True)` (every allocation and
free, in time order, running sum, maximum). Full attention is measured twice: with the SDPA backend
PyTorch picks (a fused flash kernel on CPU and CUDA, which never stores the (t,t) scores) and with the
math backend (explicit (t,t) scores, what any unfused attention or a dense (t,t) mask costs).
"""
import argparse, contextlib, platform, time
import torch
from torch.nn.attention import sdpa_kernel, SDPBackend
from torch.profiler import profile, ProfilerActivity
from mdmoe.denoiser import SelfAttention

def peak_bytes(fn, device: torch.device) -> int:
    "Peak bytes allocated while `fn()` runs, above what was allocated before."
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) - base
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events() if e.name() == '[memory]')
    live = peak = 0
    for _, n in events:
        live += n
        peak = max(peak, live)
    return peak

def seconds(fn, device: torch.device, repeats: int) -> float:
    "Best wall time of `fn()` over `repeats` runs after one warm-up (the minimum is the least disturbed by other load)."
    fn()
    times = []
    for _ in range(repeats):
        if device.type == 'cuda': torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        fn()
        if device.type == 'cuda': torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    return min(times)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--frames', type=int, nargs='+', default=[500, 1000, 2000])
    ap.add_argument('--d-model', type=int, default=256)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--window', type=int, default=32)
    ap.add_argument('--repeats', type=int, default=10)
    ap.add_argument('--grad', action='store_true', help='forward with autograd (activations kept for backward)')
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.manual_seed(0)
    full = SelfAttention(a.d_model, a.heads, 'full').to(dev).eval()
    local = SelfAttention(a.d_model, a.heads, 'local', a.window).to(dev).eval()
    local.load_state_dict(full.state_dict())
    MiB = 2 ** 20
    machine = (torch.cuda.get_device_name(dev) if dev.type == 'cuda'
               else f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads")
    print(f"one SelfAttention forward, b=1, d={a.d_model}, {a.heads} heads, local window={a.window}, "
          f"{'with' if a.grad else 'no'} grad; torch {torch.__version__}; {machine}")
    print("| frames | full, fused SDPA | full, math SDPA | local (chunked) | local / full fused | local / full math "
          "| time full fused | time full math | time local |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in a.frames:
        x = torch.randn(1, t, a.d_model, device=dev)
        mask = torch.ones(1, t, dtype=torch.bool, device=dev)
        def run(layer, math=False):
            def fn():
                with torch.set_grad_enabled(a.grad), (sdpa_kernel(SDPBackend.MATH) if math else contextlib.nullcontext()):
                    return layer(x, mask)
            return fn
        fns = dict(fused=run(full), math=run(full, math=True), local=run(local))
        mem = {k: peak_bytes(f, dev) for k, f in fns.items()}
        sec = {k: seconds(f, dev, a.repeats) for k, f in fns.items()}
        print(f"| {t} | {mem['fused'] / MiB:.1f} MiB | {mem['math'] / MiB:.1f} MiB | {mem['local'] / MiB:.1f} MiB "
              f"| {mem['local'] / mem['fused']:.2f} | {mem['local'] / mem['math']:.3f} "
              f"| {sec['fused'] * 1e3:.1f} ms | {sec['math'] * 1e3:.1f} ms | {sec['local'] * 1e3:.1f} ms |")

if __name__ == '__main__':
    main()
