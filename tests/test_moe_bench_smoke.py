"End-to-end smoke run of bench/moe_dispatch.py at tiny sizes: every row runs and dispatch modes agree."
import importlib.util, json, sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / 'bench' / 'moe_dispatch.py'


def load_bench():
    spec = importlib.util.spec_from_file_location('moe_dispatch', BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


def test_bench_tiny(tmp_path, capsys):
    pytest.importorskip('transformers')
    out = tmp_path / 'bench.json'
    load_bench().main(['--quick', '--rounds', '1', '--t', '8', '--d-model', '32', '--d-ff', '64', '--n-experts', '4',
                       '--train-batch', '2', '--json', str(out)])
    table = capsys.readouterr().out
    assert '| MoELayer grouped_mm |' in table and '| dense FFN (d_ff=128) |' in table
    res = json.loads(out.read_text())
    if 'dense FFN, packed oneDNN (reference)' in res['results']:  # CPU inference only
        assert res['results']['dense FFN, packed oneDNN (reference)']['inference_ms'] > 0
        assert 'training_ms' not in res['results']['dense FFN, packed oneDNN (reference)']
    assert 'inference: auto -> packed' in res['results']['MoELayer auto (default)']['note'] or 'packed' not in table
    for name in ('dense FFN (d_ff=128)', 'MoELayer padded bmm', 'loop (per-expert Python)', 'Mixtral eager'):
        assert res['results'][name]['inference_ms'] > 0 and res['results'][name]['training_ms'] > 0, name
        assert res['results'][name]['training_peak_mib'] >= 0, name
    for k, v in res['agreement'].items():
        assert v < 1e-5, k


def test_breakdown_tiny(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('moe_breakdown', BENCH.parent / 'moe_breakdown.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / 'breakdown.json'
    res = mod.main(['--rounds', '2', '--t', '12', '--d-model', '16', '--d-ff', '32', '--n-experts', '4', '--json', str(out)])
    assert '| padded_moe |' in capsys.readouterr().out
    stages = ['dense FFN', 'ffn, unpadded', 'ffn, padded', 'padded_moe', 'MoELayer._experts', 'MoELayer']
    assert list(res) in (stages, stages + ['packed_moe', 'MoELayer auto'])  # the last two where oneDNN's packed linear runs
    assert all(v['ms'] > 0 for v in res.values()) and res['dense FFN']['vs_dense'] == 1.0
    assert json.loads(out.read_text())['routing']['padding'] >= 1.0


def test_aits_kernel_ratio_tiny():
    "bench/aits.py's packed-vs-padded timing runs on the shipped model and restores the packed kernel afterwards."
    spec = importlib.util.spec_from_file_location('aits', BENCH.parent / 'aits.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from mdmoe.moe import MoELayer, packed_supported
    from mdmoe.pipeline import MotionPipeline
    pipe = MotionPipeline.from_pretrained()
    k = mod.kernel_ratio(pipe, ['a person walks forward'], 20, rounds=2)
    if not packed_supported('gelu'):
        assert k is None
        return
    assert k['rounds'] == 2 and len(k['packed_s']) == len(k['padded_s']) == 2 and k['median_ratio'] > 0
    assert all(m.cpu_packed for m in pipe.model.modules() if isinstance(m, MoELayer))
