"""HumanML3D layout: writer -> loader round trip, batches, and fault injection on broken layouts (mdmoe.data)."""
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from mdmoe.data import (Caption, DatasetLayoutError, DatasetSkipWarning, HumanML3DDataset, MotionItem, T2M_SPEC, collate,
                        compute_mean_std, denormalize, load_mean_std, write_humanml3d_layout)
from mdmoe.motion import demo_motion

FIXTURES = Path(__file__).resolve().parent / 'fixtures' / 'humanml3d'
SPLITS = {'train': ['a', 'b', 'short', 'long'], 'val': ['v'], 'test': []}


def _items():
    return [MotionItem('a', demo_motion(81), ['a person walks forward.', 'someone walks in a curve.']),
            MotionItem('b', demo_motion(121), [Caption('a person walks.'), Caption('the person swings the arms.', start=1.0, end=4.0),
                                               Caption('a brief step.', start=0.5, end=1.5)]),
            MotionItem('short', demo_motion(30), ['a step.']),
            MotionItem('long', demo_motion(230), ['a long walk.']),
            MotionItem('v', demo_motion(61), ['a person walks.'])]


@pytest.fixture(scope='module')
def layout(tmp_path_factory):
    return write_humanml3d_layout(tmp_path_factory.mktemp('h3d') / 'root', _items(), splits=SPLITS).root


def _load(root, **kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        ds = HumanML3DDataset(root, 'train', **kw)
    return ds, [x for x in w if issubclass(x.category, DatasetSkipWarning)]


def _broken(layout, tmp_path, fix):
    d = tmp_path / 'broken'
    shutil.copytree(layout, d)
    fix(d)
    return d


def test_files_and_determinism(layout, tmp_path):
    assert np.load(layout / 'new_joint_vecs/a.npy').shape == (80, 263)
    assert np.load(layout / 'new_joints/a.npy').shape == (80, 22, 3)
    assert (layout / 'texts/b.txt').read_text().splitlines()[1].endswith('#1.0#4.0')
    again = write_humanml3d_layout(tmp_path / 'again', _items(), splits=SPLITS).root
    files = sorted(p.relative_to(layout) for p in layout.rglob('*') if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob('*') if p.is_file())
    assert all((layout / f).read_bytes() == (again / f).read_bytes() for f in files)
    mean, std = load_mean_std(layout)
    m2, s2 = compute_mean_std(layout)
    np.testing.assert_allclose(mean, m2, atol=1e-6)
    np.testing.assert_allclose(std, s2, atol=1e-6)


def test_load_batch(layout):
    ds, w = _load(layout, seed=0)
    assert len(w) == 1
    assert dict(ds.skipped) == {'motions shorter than 40 frames': 1, 'motions longer than 199 frames': 1,
                                'sub-caption crops shorter than 40 frames': 1}
    assert [e.key for e in ds.entries] == ['a', 'b', 'b#1']
    assert (ds.entries[2].start, ds.entries[2].stop) == (20, 80)
    b = next(iter(DataLoader(ds, batch_size=3, collate_fn=collate)))
    assert b.motion.shape == (3, 196, 263) and b.motion.dtype == torch.float32
    assert (b.lengths % 4 == 0).all() and torch.equal(b.mask.sum(1), b.lengths)
    for i, e in enumerate(ds.entries):
        n = int(b.lengths[i])
        assert n in ((e.length // 4) * 4, (e.length // 4 - 1) * 4)
        assert b.motion[i, n:].abs().sum() == 0
        feats = np.load(layout / 'new_joint_vecs' / f'{e.motion_id}.npy')[e.start:e.stop]
        x = denormalize(b.motion[i, :n].numpy(), ds.mean, ds.std)
        assert any(np.abs(feats[s:s + n] - x).max() < 1e-4 for s in range(e.length - n + 1))
    assert b.texts[2] == 'the person swings the arms.'
    ds2, _ = _load(layout, seed=0)
    assert all(torch.equal(ds[i].motion, ds2[i].motion) for i in reversed(range(len(ds))))


def test_missing_root(tmp_path):
    with pytest.raises(DatasetLayoutError, match='does not exist'): HumanML3DDataset(tmp_path / 'nowhere')


def test_missing_mean(layout, tmp_path):
    d = _broken(layout, tmp_path, lambda d: (d / 'Mean.npy').unlink())
    with pytest.raises(DatasetLayoutError, match=r'Mean\.npy is missing.*compute_mean_std'): HumanML3DDataset(d)


def test_missing_split(layout):
    with pytest.raises(DatasetLayoutError, match=r'dev\.txt is missing'): HumanML3DDataset(layout, 'dev')


def test_empty_texts(layout, tmp_path):
    d = _broken(layout, tmp_path, lambda d: (d / 'texts/a.txt').write_text(''))
    with pytest.raises(DatasetLayoutError, match=r'a\.txt is empty'): HumanML3DDataset(d)


def test_malformed_line(layout, tmp_path):
    d = _broken(layout, tmp_path, lambda d: (d / 'texts/a.txt').write_text('walks.#walk/VERB#0.0#0.0\nwalks#walk/VERB#0.0\n'))
    with pytest.raises(DatasetLayoutError, match=r'a\.txt, line 2: expected 4'): HumanML3DDataset(d)


def _nan(d):
    f = np.load(d / 'new_joint_vecs/a.npy')
    f[3, 10] = np.inf
    np.save(d / 'new_joint_vecs/a.npy', f)


def test_nan_motion(layout, tmp_path):
    d = _broken(layout, tmp_path, _nan)
    with pytest.raises(DatasetLayoutError, match=r'a\.npy: motion of shape \(80, 263\) has NaN/inf'): HumanML3DDataset(d)
    ds, w = _load(d, invalid='skip')
    assert ds.skipped['motions with NaN/inf'] == 1 and len(w) == 1


def test_wrong_dim(layout, tmp_path):
    d = _broken(layout, tmp_path, lambda d: np.save(d / 'new_joint_vecs/a.npy', np.zeros((80, 251), np.float32)))
    with pytest.raises(DatasetLayoutError, match=r'a\.npy: motion has shape \(80, 251\), expected \(frames, 263\)'): HumanML3DDataset(d)


def test_zero_std(layout, tmp_path):
    def fix(d):
        s = np.load(d / 'Std.npy')
        s[7] = 0
        np.save(d / 'Std.npy', s)
    with pytest.raises(DatasetLayoutError, match=r'std is zero or negative at dims \[7\]'): HumanML3DDataset(_broken(layout, tmp_path, fix))


def test_reference_features_load(tmp_path):
    """Features made by HumanML3D's reference process_file, with HumanML3D's Mean/Std, load; rows are their normalised features."""
    for d in ('new_joint_vecs', 'texts'): (tmp_path / d).mkdir()
    feats = np.load(FIXTURES / 'reference_cases.npz')['walk_features']
    np.save(tmp_path / 'new_joint_vecs/000001.npy', feats)
    (tmp_path / 'texts/000001.txt').write_text('a person walks.#a/DET person/NOUN walk/VERB#0.0#0.0\n')
    (tmp_path / 'test.txt').write_text('000001\n')
    ds = HumanML3DDataset(tmp_path, 'test', mean=np.load(FIXTURES / 'Mean.npy'), std=np.load(FIXTURES / 'Std.npy'), seed=1)
    s = ds[0]
    assert s.length in (76, 72) and s.motion.shape == (T2M_SPEC.max_frames, 263)
    x = denormalize(s.motion[:s.length].numpy(), ds.mean, ds.std)
    assert any(np.abs(feats[i:i + s.length] - x).max() < 1e-4 for i in range(len(feats) - s.length + 1))
