"""End-to-end runs of the `mdmoe` command as a user types it (a subprocess of the installed entry point)."""
import hashlib, os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest

BIN = Path(sys.executable).parent / "mdmoe"


def mdmoe(*args, check=True):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    res = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, env=env)
    if check: assert res.returncode == 0, f"mdmoe {' '.join(map(str, args))} failed:\n{res.stdout}\n{res.stderr}"
    return res


def tree_digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_data_synth_is_deterministic_and_loadable(tmp_path):
    from mdmoe.data import HumanML3DDataset, T2M_SPEC
    from mdmoe.motion import features_to_joints
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    mdmoe("data", "synth", "--n", 40, "--seed", 0, "--out", a)
    mdmoe("data", "synth", "--n", 40, "--seed", 0, "--out", b)
    mdmoe("data", "synth", "--n", 40, "--seed", 1, "--out", c)
    da, db, dc = tree_digest(a), tree_digest(b), tree_digest(c)
    assert da == db  # same seed: byte-identical files
    assert da != dc  # different seed: different data
    for sub in ("new_joint_vecs", "new_joints", "texts"): assert len(list((a / sub).iterdir())) == 40
    for f in ("train.txt", "val.txt", "test.txt", "Mean.npy", "Std.npy"): assert (a / f).exists()
    ds = HumanML3DDataset(a, split="train", spec=T2M_SPEC)
    assert len(ds) > 0
    for p in sorted((a / "new_joint_vecs").glob("*.npy"))[:10]:
        feats, joints = np.load(p), np.load(a / "new_joints" / p.name)
        np.testing.assert_allclose(features_to_joints(feats), joints, atol=1e-4)


def test_data_mocap_copies_packaged_clips(tmp_path):
    from mdmoe.data import HumanML3DDataset
    mdmoe("data", "mocap", "--out", tmp_path / "m")
    assert len(HumanML3DDataset(tmp_path / "m", split="train")) > 0


def test_data_humanml3d_reports_broken_layout(tmp_path):
    (tmp_path / "new_joint_vecs").mkdir()
    res = mdmoe("data", "humanml3d", tmp_path, check=False)
    assert res.returncode == 1
    assert str(tmp_path) in res.stderr and "Traceback" not in res.stderr


def test_train_then_generate(tmp_path):
    """`mdmoe train` on a tiny config, then `mdmoe generate` with the trained run: joints, HTML and BVH are written."""
    from dataclasses import replace
    from mdmoe.data import MotionItem, write_humanml3d_layout
    from mdmoe.motion import demo_motion
    from mdmoe.train import ExperimentConfig, TrainConfig
    from mdmoe.bvh import read_bvh
    names = [f"walk{i}" for i in range(6)]
    write_humanml3d_layout(tmp_path / "data", [MotionItem(n, demo_motion(48 + 4 * i), ["a person walks forward"]) for i, n in enumerate(names)],
                           splits={"train": names[:5], "val": names[5:]})
    base = ExperimentConfig.preset("small", data_root=tmp_path / "data", num_experts=2)
    model = replace(base.model, d_model=32, n_layers=2, n_heads=2, moe=replace(base.model.moe, d_model=32, d_ff=32, n_experts=2))
    cfg = replace(base, model=model, data=replace(base.data, max_frames=64),
                  train=TrainConfig(batch_size=4, max_steps=2, warmup_steps=1, log_every=1, ckpt_every=2, eval_every=0, progress=False))
    cfg.save(tmp_path / "cfg.json")
    mdmoe("train", tmp_path / "cfg.json", "--out", tmp_path / "run")
    res = mdmoe("generate", "a person walks forward", "someone jumps", "--model", tmp_path / "run", "--seconds", 2,
                "--steps", 3, "--bvh", "--out", tmp_path / "gen")
    for slug in ("a_person_walks_forward", "someone_jumps"):
        joints = np.load(tmp_path / "gen" / f"{slug}.npy")
        assert joints.shape == (40, 22, 3) and np.isfinite(joints).all()
        assert (tmp_path / "gen" / f"{slug}.html").stat().st_size > 0
        assert read_bvh(tmp_path / "gen" / f"{slug}.bvh").joints.shape[1:] == (22, 3)
    assert "someone_jumps.npy" in res.stdout
    bad = mdmoe("generate", "", "--model", tmp_path / "run", check=False)
    assert bad.returncode == 1 and "caption 0" in bad.stderr
