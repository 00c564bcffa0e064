"""Shared test set-up: nothing beside the repository may be read (tests/guard), and what mdmoe computes once and caches
(caption-bank embeddings) goes to a temporary folder, not the user's."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARD = ROOT / 'tests' / 'guard'
sys.path.insert(0, str(GUARD))
from outside_guard import install  # noqa: E402

install(str(ROOT))  # this process
os.environ['MDMOE_GUARD_ROOT'] = str(ROOT)  # and every Python subprocess (the `mdmoe` command, workers), through sitecustomize
os.environ['PYTHONPATH'] = os.pathsep.join([str(GUARD), *filter(None, [os.environ.get('PYTHONPATH')])])


@pytest.fixture(autouse=True, scope="session")
def _mdmoe_cache(tmp_path_factory):
    old = os.environ.get("MDMOE_CACHE")
    os.environ["MDMOE_CACHE"] = str(tmp_path_factory.mktemp("mdmoe_cache"))  # subprocesses (the `mdmoe` command) inherit it
    yield
    if old is None: os.environ.pop("MDMOE_CACHE", None)
    else: os.environ["MDMOE_CACHE"] = old
