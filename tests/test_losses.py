"""Training losses (mdmoe.losses) on every packaged real clip, with the MoE layer, under autocast and on GPU."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import mdmoe
from mdmoe.data import T2M_SPEC, lengths_to_mask, normalize
from mdmoe.losses import LossConfig, MotionLosses
from mdmoe.moe import MoEConfig, MoELayer
from mdmoe.motion import demo_motion, joints_to_features

FIXTURES = Path(__file__).resolve().parent / 'fixtures' / 'humanml3d'  # HumanML3D's Mean.npy / Std.npy
MOCAP = Path(mdmoe.__file__).parent / 'assets' / 'mocap' / 'new_joint_vecs'
BOUND = {'foot_skate': 1e-2}  # (m/s)^2; every other term must stay below 1e-8 on real motion
G = T2M_SPEC.feature_groups


def _clips():
    clips = sorted(MOCAP.glob('*.npy'))
    assert len(clips) == 20, f'expected the 20 packaged mocap clips in {MOCAP}, found {len(clips)}'
    return [pytest.param(p, id=f'mocap-{p.stem}') for p in clips]


@pytest.fixture(scope='module')
def stats():
    return np.load(FIXTURES / 'Mean.npy'), np.load(FIXTURES / 'Std.npy')


@pytest.fixture(scope='module')
def losses(stats):
    return MotionLosses(LossConfig(progressive=0.1, cross_expert=0.1), *stats)


def _edit(f, kind):
    f = f.clone()
    if kind == 'sink': f[..., [3, *range(G['ric'].start + 1, G['ric'].stop, 3)]] -= 0.1
    if kind == 'stretch':
        ric = f[..., G['ric']].unflatten(-1, (-1, 3))
        root = torch.stack([torch.zeros_like(f[..., 3]), f[..., 3], torch.zeros_like(f[..., 3])], -1)[..., None, :]
        f[..., G['ric']] = (root + 1.1 * (ric - root)).flatten(-2)
    if kind == 'jitter': f[..., G['ric']] += 0.01 * torch.randn(f[..., G['ric']].shape, generator=torch.Generator().manual_seed(0))
    return f


def _raw(out): return {k[:-4]: v.item() for k, v in out.terms.items() if k.endswith('/raw')}


@pytest.mark.parametrize('src', _clips())
def test_real_clip_near_zero_and_violations_detected(src, losses, stats):
    f = torch.as_tensor(np.load(src).astype(np.float32))[None]
    x, m = normalize(f, *stats), torch.ones(1, f.shape[1], dtype=torch.bool)
    ac = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000), 0)
    probs = torch.randn(2, 1, f.shape[1], 8).softmax(-1)
    real = _raw(losses(x, x, m, torch.zeros(1, dtype=torch.long), ac, x0_prev=x, router_probs=probs, router_probs_prev=probs))
    assert set(real) == set(LossConfig.term_names()) - {'moe_aux', 'perceptual', 'align'}
    for name, v in real.items(): assert v < BOUND.get(name, 1e-8), (name, v)
    bad = {k: _raw(losses(normalize(_edit(f, k), *stats), x, m)) for k in ('sink', 'stretch', 'jitter')}
    assert bad['sink']['penetration'] > 1e-4, bad['sink']
    assert bad['stretch']['structure_bone'] > 1e-3, bad['stretch']
    assert bad['jitter']['temporal'] > 1e-5 and bad['jitter']['position'] > 1e-5, bad['jitter']


def test_config_json_round_trip_and_unknown_keys():
    cfg = LossConfig(snr_mode='min_snr', knee_range=(-12., 150.), temporal_windows=(1, 3))
    assert LossConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match=r"\['skate'\]"): LossConfig.from_dict({'skate': 1.0})


def _batch(stats, device='cpu'):
    g = torch.Generator().manual_seed(0)
    mask = lengths_to_mask(torch.tensor([40, 25, 9]), 40)
    x = torch.randn(3, 40, 263, generator=g)
    tgt = normalize(torch.as_tensor(joints_to_features(demo_motion(41)))[None].expand(3, -1, -1), *stats)
    return x.to(device), tgt.float().to(device), mask.to(device)


def test_with_moe_layer_gradients_and_padding(losses, stats):
    "Router probabilities and aux losses of a real MoELayer flow into the total; padding frames get no gradient."
    x, tgt, mask = _batch(stats)
    torch.manual_seed(0)
    moe = MoELayer(MoEConfig(d_model=16, d_ff=32, n_experts=4, top_k=2, diversity_coef=0.01))
    h, h_prev = torch.randn(3, 40, 16), torch.randn(3, 40, 16)
    out = moe(h, mask=mask)
    probs, probs_prev = moe.route(h).probs.view(3, 40, 4), moe.route(h_prev).probs.view(3, 40, 4)
    x = x.requires_grad_()
    ac = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000), 0)
    res = losses(x, tgt, mask, torch.tensor([1, 400, 999]), ac, x0_prev=tgt, router_probs=probs,
                 router_probs_prev=probs_prev, moe_aux=[out.aux, out.aux])
    res.total.backward()
    assert {'moe/balance', 'moe/z', 'moe/diversity'} <= set(res.terms)
    assert torch.isfinite(x.grad).all() and x.grad[~mask].abs().max() == 0
    assert moe.router.weight.grad is not None and torch.isfinite(moe.router.weight.grad).all()
    parts = sum(v for k, v in res.terms.items() if k in LossConfig.term_names() or k.startswith('moe/'))
    assert torch.allclose(res.total.detach(), parts, rtol=1e-5)


def test_autocast_bf16_matches_fp32(losses, stats):
    x, tgt, mask = _batch(stats)
    ref = losses(x, tgt, mask).total
    with torch.autocast('cpu', dtype=torch.bfloat16):
        amp = losses(x.bfloat16(), tgt.bfloat16(), mask).total
    assert torch.isfinite(amp) and abs(amp.item() - ref.item()) < 0.05 * abs(ref.item())


@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device')
def test_cuda_matches_cpu(stats):
    cfg = LossConfig(snr_mode='min_snr', cross_expert=0.1)
    ac = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000), 0)
    probs = torch.randn(3, 40, 8).softmax(-1)
    res = {}
    for dev in ('cpu', 'cuda'):
        x, tgt, mask = _batch(stats, dev)
        x = x.requires_grad_()
        lm = MotionLosses(cfg, *stats).to(dev)
        out = lm(x, tgt, mask, torch.tensor([1, 400, 999], device=dev), ac.to(dev), router_probs=probs.to(dev),
                 router_probs_prev=probs.roll(1, -1).to(dev))
        out.total.backward()
        res[dev] = (out.terms, x.grad.cpu())
    for k, v in res['cpu'][0].items(): assert torch.allclose(v, res['cuda'][0][k].cpu(), rtol=1e-3, atol=1e-6), k
    assert torch.allclose(res['cpu'][1], res['cuda'][1], rtol=1e-2, atol=1e-5)


def test_perceptual_with_the_contrastive_evaluator_encoder(stats):
    "The evaluator module's motion encoder, standardised by StandardizedEncoder, is a differentiable perceptual space."
    from mdmoe.evaluator import ContrastiveEvaluatorConfig, ContrastiveMotionEncoder
    from mdmoe.losses import StandardizedEncoder
    torch.manual_seed(0)
    enc = StandardizedEncoder(ContrastiveMotionEncoder(ContrastiveEvaluatorConfig(d_model=64, n_layers=1, dim=32)), *stats)
    lm = MotionLosses(LossConfig(perceptual=1.0), *stats, encoder=enc).train()
    assert not enc.training and not any(p.requires_grad for p in enc.parameters())
    x, tgt, mask = _batch(stats)
    same = lm(tgt, tgt, mask).terms['perceptual/raw']
    x = x.requires_grad_()
    res = lm(x, tgt, mask)
    res.total.backward()
    assert same.item() < 1e-10 < res.terms['perceptual/raw'].item()
    assert torch.isfinite(x.grad).all() and x.grad[~mask].abs().max() == 0
    assert all(p.grad is None for p in enc.parameters())
