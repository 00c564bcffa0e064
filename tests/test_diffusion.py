"Diffusion checks that notebooks do badly: checkpoint round trips through files, the real small preset, every sampler."
import json
import warnings
import pytest
import torch
from mdmoe.data import T2M_SPEC, lengths_to_mask
from mdmoe.denoiser import Denoiser, DenoiserConfig
from mdmoe.diffusion import (SCHEDULERS, Conditioning, DiffusionConfig, GuidedModel, InpaintSpec, LossAwareSampler,
                             diffusion_loss, joint_feature_mask, make_scheduler, make_timestep_sampler, sample, sample_long,
                             seconds_to_frames, seam_stats, velocity_jumps)
from mdmoe.motion import features_to_joints

D_TEXT = 384  # MiniLM width; random text states keep the tests fast


@pytest.fixture(scope='module')
def small():
    "The real small MoE preset (random weights, non-zero output layer) wrapped for diffusion."
    torch.manual_seed(0)
    den = Denoiser(DenoiserConfig.small(T2M_SPEC.n_feats, D_TEXT))
    torch.nn.init.normal_(den.out.weight, std=0.02)
    return GuidedModel(den, DiffusionConfig()).eval()


def cond_of(b, n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Conditioning(torch.randn(b, n, D_TEXT, generator=g), torch.arange(n) < torch.randint(1, n + 1, (b, 1), generator=g))


def test_every_sampler_from_one_entry_point(small):
    cond, lens = cond_of(2), torch.tensor([16, 11])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)  # diffusers deprecates algorithm_type='dpmsolver'
        for name in [*SCHEDULERS, 'SASolverScheduler', 'KDPM2DiscreteScheduler']:
            sch = make_scheduler(name, small.config, prediction_type='epsilon') if name.startswith('KDPM2') else name
            x = sample(small, cond, lens, steps=3, scheduler=sch, cfg_scale=7.5, generator=torch.Generator().manual_seed(0))
            assert x.shape == (2, 16, T2M_SPEC.n_feats) and x.isfinite().all(), name
            assert x[~lengths_to_mask(lens, 16)].abs().sum() == 0, name


def test_cfg_batched_equals_separate_passes_on_moe(small):
    b, t = 3, 20
    x_t, ts, cond = torch.randn(b, t, T2M_SPEC.n_feats), torch.tensor([5, 400, 999]), cond_of(b)
    mask = torch.arange(t) < torch.tensor([20, 13, 4])[:, None]
    s = torch.tensor([7.5, 1.0, 0.0])
    with torch.no_grad():
        c, u = small(x_t, ts, cond, mask).out, small(x_t, ts, cond.null(), mask).out
        torch.testing.assert_close(small.guided(x_t, ts, cond, mask, s), u + s[:, None, None] * (c - u), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(small.guided(x_t, ts, cond, mask, 1.0), c, atol=1e-5, rtol=1e-5)


def test_loss_aware_state_survives_a_checkpoint_file(tmp_path, small):
    cfg = DiffusionConfig(timestep_sampler='loss_aware', n_train_steps=50, loss_history=2)
    smp = make_timestep_sampler(cfg)
    model = GuidedModel(small.denoiser, cfg).train()
    x0 = torch.randn(8, 12, T2M_SPEC.n_feats)
    mask = torch.ones(8, 12, dtype=torch.bool)
    g = torch.Generator().manual_seed(0)
    while not smp.warmed_up:
        out = diffusion_loss(model, x0, mask, cond_of(8), smp, g)
        smp.update(out.t, out.per_sample)
    path = tmp_path / 'ckpt.pt'
    torch.save({'model': model.state_dict(), 'timestep_sampler': smp.state_dict(), 'diffusion': cfg.to_dict()}, path)
    ck = torch.load(path, weights_only=True)
    assert 'alphas_cumprod' not in ck['model']  # the schedule comes from the config, never from weights
    back = make_timestep_sampler(DiffusionConfig.from_dict(json.loads(json.dumps(ck['diffusion']))))
    back.load_state_dict(ck['timestep_sampler'])
    assert back.warmed_up and torch.equal(back.probs(), smp.probs())
    with pytest.raises(ValueError, match='loss_history=10'):
        LossAwareSampler(50).load_state_dict(ck['timestep_sampler'])
    model.eval()


def test_sample_restores_training_mode_and_is_reproducible(small):
    small.train()
    a = sample(small, cond_of(1), [10], steps=2, scheduler='ddpm', generator=torch.Generator().manual_seed(3))
    assert small.training
    small.eval()
    b = sample(small, cond_of(1), [10], steps=2, scheduler='ddpm', generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize('scheduler', ['dpmsolver++', 'euler', 'ddpm'])
def test_inpainting_keeps_frames_and_joints_exactly(small, scheduler):
    b, t, f = 2, 24, T2M_SPEC.n_feats
    x_known = torch.randn(b, t, f)
    frames = torch.zeros(b, t, dtype=torch.bool)
    frames[:, :6] = frames[:, -6:] = True
    known = frames[..., None] | joint_feature_mask([0, 20, 21])  # in-betweening plus root trajectory and wrists everywhere
    x = sample(small, cond_of(b), [t] * b, steps=4, scheduler=scheduler, inpaint=InpaintSpec(x_known, known),
               generator=torch.Generator().manual_seed(0))
    assert torch.equal(x[known], x_known[known])
    assert (x[~known] - x_known[~known]).abs().mean() > 0.1


def test_thirty_seconds_by_windows(small):
    n = seconds_to_frames(30, T2M_SPEC.fps)
    long = sample_long(small, cond_of(1), n, window=T2M_SPEC.max_frames, overlap=40, steps=2, scheduler='ddim',
                       generator=torch.Generator().manual_seed(0))
    assert long.motion.shape == (1, 600, T2M_SPEC.n_feats) and long.motion.isfinite().all()
    assert long.starts == [0, 156, 312, 468] and long.seams == [176, 196, 332, 352, 488, 508]  # each crossfade: its first frame, the first after it
    joints = features_to_joints(long.motion)
    stats = seam_stats(velocity_jumps(joints, T2M_SPEC.fps), long.seams)
    assert all(v == v for v in stats.values())  # finite numbers; their size is measured on a trained model in the notebook
    with pytest.raises(ValueError, match='sample_long'):
        sample(small, cond_of(1), [1100])
