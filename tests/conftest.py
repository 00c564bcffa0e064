"""Shared test set-up: what mdmoe computes once and caches (caption-bank embeddings) goes to a temporary folder, not the user's."""
import os
import pytest


@pytest.fixture(autouse=True, scope="session")
def _mdmoe_cache(tmp_path_factory):
    old = os.environ.get("MDMOE_CACHE")
    os.environ["MDMOE_CACHE"] = str(tmp_path_factory.mktemp("mdmoe_cache"))  # subprocesses (the `mdmoe` command) inherit it
    yield
    if old is None: os.environ.pop("MDMOE_CACHE", None)
    else: os.environ["MDMOE_CACHE"] = old
