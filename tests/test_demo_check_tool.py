"""tools/demo_check.py runs on the shipped model (two sampler steps, one seed) and grades every demo prompt, criterion by criterion."""
import json, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tools'))
import demo_check  # noqa: E402
from mdmoe.cli import DEMO_PROMPTS  # noqa: E402


def test_demo_check(tmp_path, capsys):
    out = tmp_path / 'checks.json'
    demo_check.main(['shipped', '--seeds', '1', '--steps', '2', '--seconds', '3', '--json', str(out)])
    res = json.loads(out.read_text())
    assert (res['seeds'], res['steps'], res['seconds']) == (1, 2, 3.0)
    assert [r['prompt'] for r in res['checks']] == list(DEMO_PROMPTS)
    for r in res['checks']:
        assert isinstance(r['ok'], bool) and r['criteria'] and r['ok'] == all(r['criteria'].values()), r
    text = capsys.readouterr().out
    assert f"{len(DEMO_PROMPTS)} prompts x 1 seeds" in text and "shipped: " in text and ("squats 0" in text or "squats 1" in text)
