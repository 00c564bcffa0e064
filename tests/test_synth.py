"""The procedural benchmark end to end through the CLI: `mdmoe data synth` writes a complete HumanML3D layout that
the loader reads, byte-identical for the same seed, different for another seed; written joints are the decoded
features with constant bone lengths; extractors recover the attributes; skating and penetration stay below the
thresholds justified in nbs/03_synth.ipynb (mdmoe.synth)."""
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mdmoe.data import HumanML3DDataset, load_mean_std
from mdmoe.motion import features_to_joints
from mdmoe.skeleton import T2M
from mdmoe.synth import accuracy_table, attribute_accuracy, generate_motion, physical_stats

N = 200
BIN = Path(sys.executable).parent / 'mdmoe'  # the installed entry point, as a user runs it


def _synth(out, n, seed, *extra):
    res = subprocess.run([str(BIN), 'data', 'synth', '--n', str(n), '--seed', str(seed), '--out', str(out), *extra],
                         capture_output=True, text=True, timeout=900, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert res.returncode == 0, res.stderr[-2000:]
    return out


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob('*') if p.is_file())


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('synth')
    return _synth(tmp / 'a', N, 0), tmp


def test_layout_is_complete_and_loads(built):
    root, _ = built
    ids = (root / 'all.txt').read_text().split()
    assert len(ids) == N
    for d, ext in (('new_joint_vecs', 'npy'), ('new_joints', 'npy'), ('texts', 'txt'), ('attributes', 'json')):
        assert sorted(p.stem for p in (root / d).glob(f'*.{ext}')) == sorted(ids), d
    splits = {s: (root / f'{s}.txt').read_text().split() for s in ('train', 'val', 'test')}
    assert sorted(sum(splits.values(), [])) == sorted(ids) and min(map(len, splits.values())) > 0
    mean, std = load_mean_std(root)
    assert mean.shape == std.shape == (263,) and (std > 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ds = HumanML3DDataset(root, 'train')
    assert len(ds) >= len(splits['train'])
    for i in ids[:20]:
        lines = (root / 'texts' / f'{i}.txt').read_text().splitlines()
        assert len(set(l.split('#')[0] for l in lines)) >= 3


def test_same_seed_same_bytes_other_seed_differs(built):
    root, tmp = built
    again = _synth(tmp / 'b', N, 0, '--workers', '2')
    assert _files(root) == _files(again)
    for f in _files(root): assert (root / f).read_bytes() == (again / f).read_bytes(), f
    other = _synth(tmp / 'c', 20, 1)
    assert (other / 'new_joint_vecs' / '000000.npy').read_bytes() != (root / 'new_joint_vecs' / '000000.npy').read_bytes()
    assert (other / 'texts' / '000000.txt').read_bytes() != (root / 'texts' / '000000.txt').read_bytes()


def test_written_joints_are_the_features_with_constant_bones(built):
    root, _ = built
    for i in (root / 'all.txt').read_text().split():
        f = np.load(root / 'new_joint_vecs' / f'{i}.npy')
        J = np.load(root / 'new_joints' / f'{i}.npy')
        assert f.shape == (len(J), 263) and 40 <= len(f) <= 196
        np.testing.assert_allclose(features_to_joints(f), J, atol=1e-5)
        assert np.ptp(T2M.bone_lengths_of(J.astype(np.float64)), axis=0).max() < 1e-4, i
        att = json.loads((root / 'attributes' / f'{i}.json').read_text())
        assert att['n_frames'] == len(J) and all(s['end_frame'] <= len(J) for s in att['segments'])


def test_extractors_recover_attributes(built):
    root, _ = built
    ids = (root / 'all.txt').read_text().split()[:120]
    acc = accuracy_table(attribute_accuracy(np.load(root / 'new_joints' / f'{i}.npy'),
                                            json.loads((root / 'attributes' / f'{i}.json').read_text())) for i in ids)
    assert (acc.accuracy >= .95).all(), acc


def test_skating_and_penetration_below_thresholds(built):
    root, _ = built
    stats = [physical_stats(np.load(root / 'new_joints' / f'{i}.npy')) for i in (root / 'all.txt').read_text().split()]
    skate, ground = np.array([s['skate'] for s in stats]), np.array([s['skate_ground'] for s in stats])
    assert skate.max() < .06 and ground.max() < .04  # below the best DeepMimic mocap clip (0.069, 0.079 m/s)
    assert skate.mean() < .022 and ground.mean() < .03  # a tenth of the mocap means (0.22, 0.30 m/s)
    assert max(s['penetration_max'] for s in stats) < 1e-3


def test_written_motion_is_the_generated_one(built):
    root, _ = built
    m = generate_motion(0, 5)
    J = np.load(root / 'new_joints' / '000005.npy')
    assert len(J) == len(m.joints) - 1
    if max(abs(s['turn_angle'] or 0) for s in m.attributes['segments']) < 180:  # no 180-degree heading crossing
        np.testing.assert_allclose(J, m.joints[:-1], atol=1e-4)
