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
    assert res.returncode == 2
    assert str(tmp_path) in res.stderr and "Traceback" not in res.stderr


def test_train_then_generate(tmp_path):
    """`mdmoe train` on a tiny config, then `mdmoe generate` with the trained run: joints, HTML and BVH are written."""
    from mdmoe.bvh import read_bvh
    run, _ = _tiny_run(tmp_path)
    res = mdmoe("generate", "a person walks forward", "someone jumps", "--model", run, "--seconds", 2,
                "--steps", 3, "--bvh", "--out", tmp_path / "gen")
    for slug in ("a_person_walks_forward", "someone_jumps"):
        joints = np.load(tmp_path / "gen" / f"{slug}.npy")
        assert joints.shape == (40, 22, 3) and np.isfinite(joints).all()
        assert (tmp_path / "gen" / f"{slug}.html").stat().st_size > 0
        assert read_bvh(tmp_path / "gen" / f"{slug}.bvh").joints.shape[1:] == (22, 3)
    assert "someone_jumps.npy" in res.stdout
    best = mdmoe("generate", "a person walks forward", "--model", run, "--seconds", 2, "--steps", 2, "--candidates", 3, "--out", tmp_path / "best")
    assert np.load(tmp_path / "best" / "a_person_walks_forward.npy").shape == (40, 22, 3) and "a_person_walks_forward.npy" in best.stdout
    new = mdmoe("generate", "someone strolls ahead", "--model", run, "--seconds", 2, "--steps", 2, "--retrieval", 0.5, "--out", tmp_path / "r")
    assert np.load(tmp_path / "r" / "someone_strolls_ahead.npy").shape == (40, 22, 3)
    assert "guided in part by the training caption" in new.stdout  # "strolls", "ahead": words the tiny run never saw
    bad = mdmoe("generate", "a person walks", "--model", run, "--retrieval", 2, check=False)
    assert bad.returncode == 2 and "retrieval_weight=2" in bad.stderr
    bad = mdmoe("generate", "a person walks", "--model", run, "--candidates", 0, check=False)
    assert bad.returncode == 2 and "candidates=0" in bad.stderr
    bad = mdmoe("generate", "", "--model", run, check=False)
    assert bad.returncode == 2 and "caption 0" in bad.stderr


def _tiny_run(tmp_path):
    "A 2-step training run of a tiny model on 8 walks (train 6 / test 8), through `mdmoe train`."
    from dataclasses import replace
    from mdmoe.data import MotionItem, write_humanml3d_layout
    from mdmoe.motion import demo_motion
    from mdmoe.train import ExperimentConfig, TrainConfig
    names = [f"walk{i}" for i in range(8)]
    write_humanml3d_layout(tmp_path / "data", [MotionItem(n, demo_motion(48 + 4 * i), ["a person walks forward", f"someone takes {i + 2} steps"])
                                               for i, n in enumerate(names)], splits={"train": names[:6], "val": names[6:]})
    (tmp_path / "data" / "test.txt").write_text("".join(n + "\n" for n in names))  # all 8 (a test split of the training data: mechanics only)
    base = ExperimentConfig.preset("small", data_root=tmp_path / "data", num_experts=2)
    model = replace(base.model, d_model=32, n_layers=2, n_heads=2, moe=replace(base.model.moe, d_model=32, d_ff=32, n_experts=2))
    cfg = replace(base, model=model, data=replace(base.data, max_frames=64),
                  train=TrainConfig(batch_size=4, max_steps=2, warmup_steps=1, log_every=1, ckpt_every=2, eval_every=0, progress=False))
    cfg.save(tmp_path / "cfg.json")
    mdmoe("train", tmp_path / "cfg.json", "--out", tmp_path / "run")
    return tmp_path / "run", tmp_path / "data"


def test_demo_and_eval_with_a_trained_run(tmp_path):
    """`mdmoe demo` writes a gallery of generated prompts; `mdmoe eval` prints the protocol table and writes a JSON report."""
    run, data = _tiny_run(tmp_path)
    res = mdmoe("demo", "--model", run, "--out", tmp_path / "demo", "--steps", 2, "--seconds", 2, "--prompt", "a person walks", "--prompt", "someone jumps",
                "--prompt", "a person squats down three times", "--candidates", 2)
    assert (tmp_path / "demo" / "gallery.html").stat().st_size > 0 and "generated 3 motions" in res.stdout and "best of 2" in res.stdout
    # the built-in prompt among them is graded from its joints, criterion by criterion; the others are not
    assert " of 1 motions do what their prompt asks" in res.stdout and "a person squats down three times" in res.stdout.split("prompt asks")[1]
    assert "someone jumps" not in res.stdout.split("prompt asks")[1]
    assert np.load(tmp_path / "demo" / "someone_jumps.npy").shape == (40, 22, 3)
    from mdmoe.pipeline import packaged_evaluator_dir
    if not packaged_evaluator_dir().is_dir(): pytest.skip("no evaluator shipped in this checkout")
    res = mdmoe("eval", run, "--data", data, "--replications", 2, "--steps", 2, "--batch-size", 4, "--diversity-times", 3,
                "--mm-texts", 2, "--mm-reps", 4, "--mm-times", 2, "--out", tmp_path / "report.json")
    assert "R-precision top-3" in res.stdout and "real" in res.stdout and "physical metrics" in res.stdout
    from mdmoe.pipeline import EvalReport
    rep = EvalReport.from_json(tmp_path / "report.json")
    assert list(rep.table.index) == ["real", "mdmoe"] and rep.settings["replications"] == 2
    bad = mdmoe("eval", tmp_path / "nowhere", "--data", data, check=False)
    assert bad.returncode == 2 and "nowhere" in bad.stderr


def test_data_builtin_merges_synth_and_mocap(tmp_path):
    from mdmoe.mocap import DEEPMIMIC_CLIPS
    mdmoe("data", "builtin", "--n", 10, "--out", tmp_path / "b")
    train = (tmp_path / "b" / "train.txt").read_text().split()
    assert set(DEEPMIMIC_CLIPS) <= set(train)
    assert not set(DEEPMIMIC_CLIPS) & set((tmp_path / "b" / "test.txt").read_text().split())
    assert len(list((tmp_path / "b" / "attributes").glob("*.json"))) == 10


def test_generate_gif_mp4_bvh_with_the_shipped_model(tmp_path):
    """The README's command, offline: `mdmoe generate "a person walks forward" --gif --mp4 --bvh` writes all three; the BVH
    agrees with the .npy within the worst-joint error the command prints, which is at least the rigidity bound it prints."""
    import re
    import imageio_ffmpeg
    from PIL import Image
    from mdmoe.bvh import read_bvh
    res = mdmoe("generate", "a person walks forward", "--seconds", 2, "--steps", 4, "--gif", "--mp4", "--bvh", "--out", tmp_path)
    joints = np.load(tmp_path / "a_person_walks_forward.npy")
    with Image.open(tmp_path / "a_person_walks_forward.gif") as im:
        assert (im.n_frames, im.info["duration"]) == (len(joints), 50)  # one frame per motion frame, 20 fps: real time
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "a_person_walks_forward.mp4"))[0] == len(joints)
    mean, worst, bound = map(float, re.search(r"mean ([\d.]+) mm, max ([\d.]+) mm .* closer than ([\d.]+) mm", res.stdout).groups())
    gap = 1e3 * np.linalg.norm(read_bvh(tmp_path / "a_person_walks_forward.bvh").joints - joints, axis=-1)
    assert gap.max() <= worst + 0.06 and abs(gap.mean() - mean) <= 0.06  # the printed numbers, to their rounding
    assert bound <= worst + 0.05 < 2 * bound + 0.5


def test_data_bvh_builds_a_layout_from_captioned_files(tmp_path):
    """`mdmoe data bvh`: a folder of BVH files (two rigs) with captions beside them becomes a loadable layout."""
    from mdmoe.bvh import write_bvh
    from mdmoe.data import HumanML3DDataset
    from mdmoe.motion import demo_motion
    src = tmp_path / "captures"
    src.mkdir()
    for i, names in enumerate(["mixamo", "cmu", "t2m", "lafan1"]):
        write_bvh(src / f"take_{i}.bvh", demo_motion(60 + 10 * i), fps=20, names=names, scale=100)
        (src / f"take_{i}.txt").write_text("a person walks forward\nsomeone takes a few steps\n")
    res = mdmoe("data", "bvh", src, "--out", tmp_path / "data", "--splits", "0.5,0.25,0.25")
    assert "wrote 4 motions" in res.stdout and "train 2, val 1, test 1" in res.stdout
    ds = HumanML3DDataset(tmp_path / "data", split="train")
    assert len(ds) == 2 and (tmp_path / "data" / "texts" / "take_0.txt").read_text().count("\n") == 2
    got, want = np.load(tmp_path / "data" / "new_joints" / "take_0.npy")[:, 0, 1], demo_motion(59)[:, 0, 1]
    np.testing.assert_allclose(got - got[0], want - want[0], atol=1e-3)  # the root's bounce (the layout puts the feet on the floor)
    (src / "take_3.txt").unlink()
    bad = mdmoe("data", "bvh", src, "--out", tmp_path / "data2", check=False)
    assert bad.returncode == 2 and "take_3.txt" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "data2").exists()
    ok = mdmoe("data", "bvh", src, "--out", tmp_path / "data2", "--skip-uncaptioned")
    assert "wrote 3 motions" in ok.stdout


def test_eval_takes_an_own_evaluator_folder(tmp_path):
    """`mdmoe eval --evaluator FOLDER` loads an evaluator from `mdmoe train-evaluator`; a wrong folder or two evaluators are one-line errors."""
    missing = mdmoe("eval", "shipped", "--data", tmp_path, "--evaluator", tmp_path / "no_evaluator", check=False)
    assert missing.returncode == 2 and "no_evaluator" in missing.stderr and "Traceback" not in missing.stderr
    both = mdmoe("eval", "shipped", "--data", tmp_path, "--evaluator", tmp_path, "--t2m-checkpoint", tmp_path / "finest.tar", check=False)
    assert both.returncode == 2 and "not both" in both.stderr
