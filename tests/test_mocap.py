"Real mocap clips (DeepMimic via pybullet_data): the packaged HumanML3D layout, the conversion, and its errors."
import importlib.util
import json
import warnings

import numpy as np
import pytest

from mdmoe.data import DatasetSkipWarning, HumanML3DDataset, parse_caption_line
from mdmoe.mocap import (DEEPMIMIC_CAPTIONS, DEEPMIMIC_CLIPS, DEEPMIMIC_URDF, build_mocap_dataset, choose_loops,
                         find_pybullet_data, load_deepmimic_clip, mocap_dir, physical_stats, read_deepmimic, read_urdf)
from mdmoe.motion import features_to_joints
from mdmoe.skeleton import T2M

HAS_PB = importlib.util.find_spec('pybullet_data') is not None
needs_pybullet = pytest.mark.skipif(not HAS_PB, reason="pybullet (dev dependency) is not installed; the packaged clips are tested without it")
SHORT = {'humanoid3d_jump', 'humanoid3d_kick', 'humanoid3d_spinkick', 'walker_turn_left1', 'walker_turn_right0'}


def test_packaged_layout_is_complete_and_small():
    d = mocap_dir()
    for name in DEEPMIMIC_CLIPS:
        f, j = np.load(d / 'new_joint_vecs' / f'{name}.npy'), np.load(d / 'new_joints' / f'{name}.npy')
        assert f.dtype == np.float32 and f.shape[1] == 263 and np.isfinite(f).all()
        assert j.shape == (len(f), 22, 3)
        caps = [parse_caption_line(l) for l in (d / 'texts' / f'{name}.txt').read_text().splitlines()]
        assert [c.text for c in caps] == DEEPMIMIC_CAPTIONS[name] and len(caps) >= 3
    for split in ('train', 'val', 'test', 'all'):
        assert sorted((d / f'{split}.txt').read_text().split()) == sorted(DEEPMIMIC_CLIPS)
    assert np.load(d / 'Mean.npy').shape == np.load(d / 'Std.npy').shape == (263,)
    assert 'MIT' in (d / 'README.md').read_text()
    assert sum(p.stat().st_size for p in d.rglob('*') if p.is_file()) < 2 * 2 ** 20


def test_packaged_clips_load_through_the_humanml3d_loader():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        ds = HumanML3DDataset(mocap_dir(), 'test', seed=0)
    assert set(ds.motions) == set(DEEPMIMIC_CLIPS) - SHORT
    assert any(issubclass(x.category, DatasetSkipWarning) and '5 motions shorter than 40' in str(x.message) for x in w)
    s = ds[3]
    assert s.motion.shape == (196, 263) and 40 <= s.length and s.text in sum(DEEPMIMIC_CAPTIONS.values(), [])


def test_packaged_features_and_joints_agree_and_are_physical():
    for name in DEEPMIMIC_CLIPS:
        f = np.load(mocap_dir() / 'new_joint_vecs' / f'{name}.npy')
        j = np.load(mocap_dir() / 'new_joints' / f'{name}.npy')
        assert np.abs(features_to_joints(f) - j).max() < 1e-5
        bl = T2M.bone_lengths_of(j.astype(np.float64))[:, 1:]
        assert np.abs(bl - np.asarray(T2M.bone_lengths[1:])).max() < 1e-4  # every bone has its t2m length
        s = physical_stats(j)
        assert s['penetration'] == 0 and s['skate'] < 0.6 and 0 < s['jerk'] < 1000
        assert j[..., 1].min() < 0.04  # the floor is (nearly) reached; 3.6 cm for the crawl, whose last frame held it


@needs_pybullet
@pytest.mark.parametrize('name', list(DEEPMIMIC_CLIPS))
def test_conversion_is_rigid_grounded_and_deterministic(name):
    path = find_pybullet_data() / DEEPMIMIC_CLIPS[name].path
    J = load_deepmimic_clip(path, loops=DEEPMIMIC_CLIPS[name].loops)
    bl = T2M.bone_lengths_of(J.astype(np.float64))
    assert (bl.max(0) - bl.min(0)).max() < 1e-4
    assert abs(J[:, [7, 8, 10, 11], 1].min()) < 0.06  # feet reach the ground (the run dips 5 cm into it)
    assert J[..., 1].min() > -0.06
    assert np.array_equal(load_deepmimic_clip(path, loops=DEEPMIMIC_CLIPS[name].loops), J)
    assert choose_loops(read_deepmimic(path), read_urdf(find_pybullet_data() / DEEPMIMIC_URDF)) == DEEPMIMIC_CLIPS[name].loops


@needs_pybullet
def test_walk_frame0_stands_upright_facing_x():
    J = load_deepmimic_clip(find_pybullet_data() / 'data/motions/humanoid3d_walk.txt')
    y = J[0, :, 1]
    assert y[15] > y[12] > y[9] > y[6] > y[3] > y[0] > y[4] > y[7] >= y[10] - 0.02
    assert J[0, 2, 2] > J[0, 1, 2] and J[0, 17, 2] > J[0, 16, 2]  # right side at +z: facing +x, not mirrored
    assert J[-1, 0, 0] - J[0, 0, 0] > 2.  # two passes of a 1.24 m walk cycle along +x


@needs_pybullet
def test_fk_matches_pybullet():
    import pybullet as p
    from mdmoe.mocap import DEEPMIMIC_DOFS, deepmimic_fk, split_pose, _xyzw
    root = find_pybullet_data()
    model = read_urdf(root / DEEPMIMIC_URDF)
    frames = read_deepmimic(root / 'data/motions/humanoid3d_spinkick.txt').frames[::9]
    pos, rot, dofs = split_pose(frames, model)
    R, P = deepmimic_fk(pos, rot, dofs, model)
    cid = p.connect(p.DIRECT)
    try:
        h = p.loadURDF(str(root / DEEPMIMIC_URDF), globalScaling=0.25, useFixedBase=True, flags=p.URDF_MAINTAIN_LINK_ORDER, physicsClientId=cid)
        index = {p.getJointInfo(h, i, physicsClientId=cid)[12].decode(): i for i in range(p.getNumJoints(h, physicsClientId=cid))}
        for t in range(len(frames)):
            p.resetBasePositionAndOrientation(h, pos[t], _xyzw(rot[t]), physicsClientId=cid)
            for n in DEEPMIMIC_DOFS:
                v = dofs[n][t]
                p.resetJointStateMultiDof(h, index[n], list(_xyzw(v)) if np.ndim(v) else [float(v)], physicsClientId=cid)
            for link, i in index.items():
                assert np.abs(np.array(p.getLinkState(h, i, computeForwardKinematics=True, physicsClientId=cid)[4]) - P[link][t]).max() < 1e-5
    finally:
        p.disconnect(cid)


@needs_pybullet
def test_rebuild_matches_packaged_copy(tmp_path):
    out = build_mocap_dataset(tmp_path / 'mocap')
    for name in DEEPMIMIC_CLIPS:
        for sub in ('new_joint_vecs', 'new_joints'):
            assert np.abs(np.load(out / sub / f'{name}.npy') - np.load(mocap_dir() / sub / f'{name}.npy')).max() < 1e-5
        assert (out / 'texts' / f'{name}.txt').read_text() == (mocap_dir() / 'texts' / f'{name}.txt').read_text()
    with pytest.raises(FileExistsError):
        build_mocap_dataset(out)


def test_missing_pybullet_is_a_clear_error(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda n, *a: None if n == 'pybullet_data' else real(n, *a))
    with pytest.raises(ModuleNotFoundError, match='pip install pybullet'):
        build_mocap_dataset(tmp_path / 'x')
    with pytest.raises(FileNotFoundError, match='is not a pybullet_data folder'):
        build_mocap_dataset(tmp_path / 'x', pybullet_data_dir=tmp_path)


def test_bad_clip_files(tmp_path):
    bad = tmp_path / 'bad.txt'
    bad.write_text(json.dumps({'Loop': 'wrap', 'Frames': [[0.1] * 40, [0.1] * 40]}))
    with pytest.raises(ValueError, match='44 numbers'):
        read_deepmimic(bad)
    with pytest.raises(FileNotFoundError, match='not found'):
        read_deepmimic(tmp_path / 'missing.txt')
