"""SMPL bodies end to end: `mdmoe generate --smpl` on a synthetic body model in smplx's format (the licensed files are
never part of the tests): AMASS-style .npz that reloads through smplx to the written meshes; a missing model fails first."""
import os, subprocess, sys
from collections import defaultdict
from pathlib import Path
import numpy as np
import pytest

BIN = Path(sys.executable).parent / "mdmoe"


def run(*args):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_generate_smpl_with_a_synthetic_body_model(tmp_path):
    smplx, torch = pytest.importorskip("smplx"), pytest.importorskip("torch")
    import trimesh
    from mdmoe.smpl import AMASS_UP, synthetic_body_model
    synthetic_body_model(tmp_path / "bodies", "smplh", "female")
    res = run("generate", "a person walks forward", "--seconds", 1, "--steps", 2, "--smpl", tmp_path / "bodies",
              "--smpl-meshes", "ply", "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert "SMPLH (female) fitted to the joints: mean" in res.stdout and "per joint (mm): pelvis" in res.stdout
    a = np.load(tmp_path / "out" / "a_person_walks_forward_smpl.npz")
    t = len(np.load(tmp_path / "out" / "a_person_walks_forward.npy"))
    assert a["poses"].shape == (t, 156) and str(a["gender"]) == "female" and float(a["mocap_framerate"]) == 20
    body = smplx.create(str(tmp_path / "bodies"), model_type="smplh", gender="female", ext="npz", num_betas=10, dtype=torch.float64,
                        use_pca=False, flat_hand_mean=True, vertex_ids=defaultdict(int))  # tiny mesh: smplx's extra keypoints read vertex 0
    f = lambda k: torch.from_numpy(a[k])
    out = body(betas=f("betas")[None].expand(t, -1), global_orient=f("root_orient"), body_pose=f("pose_body"),
               left_hand_pose=f("pose_hand")[:, :45], right_hand_pose=f("pose_hand")[:, 45:], transl=f("trans"))
    meshes = sorted((tmp_path / "out" / "a_person_walks_forward_smpl_meshes").glob("*.ply"))
    assert len(meshes) == t
    for k in (0, t - 1):
        np.testing.assert_allclose(out.vertices[k].detach().numpy() @ AMASS_UP.T, trimesh.load(meshes[k], process=False).vertices, atol=1e-5)
    assert (tmp_path / "out" / "a_person_walks_forward_smpl.html").stat().st_size > 0


def test_generate_smpl_without_model_files_fails_first(tmp_path):
    res = run("generate", "a person walks forward", "--smpl", tmp_path / "none", "--out", tmp_path / "out")
    assert res.returncode == 2 and "smpl.is.tue.mpg.de" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()  # nothing generated: the missing files are found out before any work
