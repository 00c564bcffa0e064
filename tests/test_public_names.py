"""`from mdmoe.X import Y` keeps working for every public name of an earlier release: fixtures/public_names.json lists,
per module, the `__all__` of mdmoe at commit 7e9423d (before modules were split) and every mdmoe name that the
notebooks, tests, tools and benchmarks imported then. A name that moves is re-exported from its old module."""
import importlib, json
from pathlib import Path
import pytest

NAMES = json.loads((Path(__file__).parent / 'fixtures' / 'public_names.json').read_text())


@pytest.mark.parametrize('module', sorted(NAMES))
def test_old_names_import(module):
    mod = importlib.import_module(f'mdmoe.{module}')
    missing = [n for n in NAMES[module] if not hasattr(mod, n)]
    assert not missing, f"mdmoe.{module} lost {missing}: re-export them from where they moved"
