"""tools/smoothness.py runs on the shipped model (two sampler steps, one seed) and reports what it says it reports."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tools'))
import smoothness  # noqa: E402


def test_smoothness_table():
    tab = smoothness.smoothness('shipped', p99=8.5, seeds=1, steps=2)
    assert tab.prompt.tolist() == smoothness.PROMPTS and (tab.model == 'shipped').all()
    assert tab['share above real p99'].between(0, 1).all() and (tab['jerk (m/s^3)'] > 0).all()
