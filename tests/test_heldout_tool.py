"""tools/heldout.py runs on the shipped model (two sampler steps, one seed) and reports one hit per new phrasing."""
import json, sys

import pytest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tools'))
import heldout  # noqa: E402
from mdmoe.synth import CASUAL_PHRASINGS, INDIRECT_PHRASINGS, NEW_PHRASINGS  # noqa: E402


def test_heldout_table(tmp_path, capsys):
    out = tmp_path / 'hits.json'
    heldout.main(['shipped', '--seeds', '1', '--steps', '2', '--retrieval', '0', '--json', str(out)])
    res = json.loads(out.read_text())
    assert res['actions'] == [a for _, a in NEW_PHRASINGS]
    hits = res['hits']['shipped']
    assert len(hits) == len(NEW_PHRASINGS) and all(len(h) == 1 and isinstance(h[0], bool) for h in hits)
    assert f"of {len(NEW_PHRASINGS)} generations hit" in capsys.readouterr().out


def test_heldout_best_of(tmp_path, capsys):
    "--candidates reranks through the pipeline and is recorded in the JSON."
    out = tmp_path / 'hits.json'
    heldout.main(['shipped', '--seeds', '1', '--steps', '1', '--candidates', '2', '--retrieval', '0', '--json', str(out)])
    res = json.loads(out.read_text())
    assert res['candidates'] == 2 and len(res['hits']['shipped']) == len(NEW_PHRASINGS)
    assert 'best of 2' in capsys.readouterr().out


@pytest.mark.parametrize('name, prompts', [('indirect', INDIRECT_PHRASINGS), ('casual', CASUAL_PHRASINGS)])
def test_heldout_other_sets(tmp_path, capsys, name, prompts):
    "--prompts indirect / casual runs that set and says so."
    out = tmp_path / 'hits.json'
    heldout.main(['shipped', '--prompts', name, '--seeds', '1', '--steps', '1', '--retrieval', '0', '--json', str(out)])
    res = json.loads(out.read_text())
    assert res['prompts'] == name and res['actions'] == [a for _, a in prompts]
    assert f"{name} phrasings: {len(prompts)} prompts" in capsys.readouterr().out


def test_heldout_retrieval(tmp_path, capsys, monkeypatch):
    "The shipped model borrows by default (retrieval weight 0.5), and the weight is recorded (a 300-caption bank keeps the test fast)."
    from mdmoe.pipeline import MotionPipeline
    full = MotionPipeline.training_captions
    monkeypatch.setattr(MotionPipeline, 'training_captions', lambda self: full(self)[:300])
    out = tmp_path / 'hits.json'
    heldout.main(['shipped', '--seeds', '1', '--steps', '1', '--json', str(out)])
    res = json.loads(out.read_text())
    assert res['retrieval_weight'] == {'shipped': 0.5} and len(res['hits']['shipped']) == len(NEW_PHRASINGS)
    assert 'retrieval weight 0.5' in capsys.readouterr().out
