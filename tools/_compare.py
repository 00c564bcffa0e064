"""Arguments shared by the tools that compare models by generating from them (`smoothness.py`, `heldout.py`)."""
from __future__ import annotations
import argparse
from pathlib import Path

import torch


def compare_parser(doc: str, seeds: int, json_help: str) -> argparse.ArgumentParser:
    "Parser with the models to compare, `--seeds` (default `seeds`), `--steps`, `--scheduler`, `--cfg-scale`, `--x0-lowpass` and `--json`."
    ap = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    ap.add_argument('models', nargs='+', help="'shipped', pretrained folders or training runs")
    ap.add_argument('--seeds', type=int, default=seeds)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--scheduler', default='dpmsolver++', help="a name in mdmoe.diffusion.SCHEDULERS, e.g. ddim, ddpm, sde-dpmsolver++")
    ap.add_argument('--cfg-scale', type=float, default=None, help="guidance scale, for every model (default: each model's)")
    ap.add_argument('--x0-lowpass', type=float, default=None,
                    help="std (frames) of the low-pass of the early x0 estimates, for every model (default: each model's; 0: off)")
    ap.add_argument('--json', type=Path, default=None, help=json_help)
    torch.set_num_threads(min(2, torch.get_num_threads()))  # the development machine's 2 cores
    return ap
