"BVH import / export: round trips, a hand-written CMU-style rig, z up, errors, and agreement with bvhio."
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mdmoe.bvh import BvhFormatError, bvh_fk, parse_bvh, read_bvh, register_bvh_map, BVH_JOINT_MAPS, write_bvh
from mdmoe.skeleton import T2M

FIXTURES = Path(__file__).resolve().parent / 'fixtures' / 'humanml3d'
TOL = 1e-4  # metres, max abs round-trip error


def synthetic_motion(t=48, seed=3):
    "(t,22,3) SMPL-style FK of the t2m target skeleton: smooth random local rotations, walking and turning root."
    rng = np.random.default_rng(seed)
    knots = rng.normal(scale=.4, size=(4, 22, 3))
    u = np.linspace(0, 3, t)
    rv = np.stack([[np.interp(u, np.arange(4), knots[:, j, a]) for a in range(3)] for j in range(22)]).transpose(2, 0, 1)
    local = Rotation.from_rotvec(rv.reshape(-1, 3)).as_matrix().reshape(t, 22, 3, 3)
    glob, pos = np.zeros_like(local), np.zeros((t, 22, 3))
    glob[:, 0] = Rotation.from_euler('y', np.linspace(0, 3 * np.pi, t)[:, None]).as_matrix() @ local[:, 0]
    pos[:, 0] = np.stack([np.linspace(-1, 1, t), .9 + .1 * np.cos(u), .5 * np.sin(2 * u)], -1)
    for j in range(1, 22):
        p = T2M.parents[j]
        pos[:, j], glob[:, j] = pos[:, p] + glob[:, p] @ T2M.offsets[j], glob[:, p] @ local[:, j]
    return pos


@pytest.mark.parametrize('names,scale', [('t2m', 1.), ('t2m', 100.), ('mixamo', 100.), ('smpl', 1.), ('cmu', 100.)])
def test_round_trip_synthetic(tmp_path, names, scale):
    motion = synthetic_motion()
    back = read_bvh(write_bvh(tmp_path / 'm.bvh', motion, names=names, scale=scale))
    assert (back.map_name, back.scale, back.derived, back.fps) == (names, scale, (), 20.)
    assert np.abs(back.joints - motion).max() < TOL


def test_round_trip_humanml3d(tmp_path):
    "Joints as HumanML3D's process_file leaves them (the reference pipeline's output in the fixtures)."
    joints = np.load(FIXTURES / 'reference_cases.npz')['spin_global_positions'].astype(np.float64)
    for scale in (1., 100.):
        back = read_bvh(write_bvh(tmp_path / 'h.bvh', joints, scale=scale))
        assert back.joints.shape == joints.shape
        assert np.abs(back.joints - joints).max() < TOL


def test_zup(tmp_path):
    motion = synthetic_motion(t=10)
    zup = motion @ np.array([[1., 0, 0], [0, 0, -1], [0, 1, 0]]).T  # y-up (x, y, z) -> z-up (x, -z, y)
    write_bvh(tmp_path / 'z.bvh', zup)
    assert np.abs(read_bvh(tmp_path / 'z.bvh', up='z').joints - motion).max() < TOL
    assert np.abs(read_bvh(tmp_path / 'z.bvh').joints - zup).max() < TOL


# A CMU-style rig written by hand, in CMU ASF units (1/0.45 inch), ZYX channels as in the CMU BVH conversions.
# Zero-offset helper joints (LHipJoint, LowerBack, Neck, LeftShoulder) as in CMU; no Spine2, no collars,
# and no RightToeBase (the right foot's End Site is the toe).
CMU_BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT LHipJoint
  {
    OFFSET 0 0 0
    CHANNELS 3 Zrotation Yrotation Xrotation
    JOINT LeftUpLeg
    {
      OFFSET 1.5 -1.5 0
      CHANNELS 3 Zrotation Yrotation Xrotation
      JOINT LeftLeg
      {
        OFFSET 0 -7 0
        CHANNELS 3 Zrotation Yrotation Xrotation
        JOINT LeftFoot
        {
          OFFSET 0 -7 0
          CHANNELS 3 Zrotation Yrotation Xrotation
          JOINT LeftToeBase
          {
            OFFSET 0 -1 2
            CHANNELS 3 Zrotation Yrotation Xrotation
            End Site
            {
              OFFSET 0 0 1
            }
          }
        }
      }
    }
  }
  JOINT RHipJoint
  {
    OFFSET 0 0 0
    CHANNELS 3 Zrotation Yrotation Xrotation
    JOINT RightUpLeg
    {
      OFFSET -1.5 -1.5 0
      CHANNELS 3 Zrotation Yrotation Xrotation
      JOINT RightLeg
      {
        OFFSET 0 -7 0
        CHANNELS 3 Zrotation Yrotation Xrotation
        JOINT RightFoot
        {
          OFFSET 0 -7 0
          CHANNELS 3 Zrotation Yrotation Xrotation
          End Site
          {
            OFFSET 0 -1 2
          }
        }
      }
    }
  }
  JOINT LowerBack
  {
    OFFSET 0 0 0
    CHANNELS 3 Zrotation Yrotation Xrotation
    JOINT Spine
    {
      OFFSET 0 2 0
      CHANNELS 3 Zrotation Yrotation Xrotation
      JOINT Spine1
      {
        OFFSET 0 2 0
        CHANNELS 3 Zrotation Yrotation Xrotation
        JOINT Neck
        {
          OFFSET 0 0 0
          CHANNELS 3 Zrotation Yrotation Xrotation
          JOINT Neck1
          {
            OFFSET 0 1.7 0
            CHANNELS 3 Zrotation Yrotation Xrotation
            JOINT Head
            {
              OFFSET 0 1.7 0
              CHANNELS 3 Zrotation Yrotation Xrotation
              End Site
              {
                OFFSET 0 1.5 0
              }
            }
          }
        }
        JOINT LeftShoulder
        {
          OFFSET 0 0 0
          CHANNELS 3 Zrotation Yrotation Xrotation
          JOINT LeftArm
          {
            OFFSET 3 1 0
            CHANNELS 3 Zrotation Yrotation Xrotation
            JOINT LeftForeArm
            {
              OFFSET 5 0 0
              CHANNELS 3 Zrotation Yrotation Xrotation
              JOINT LeftHand
              {
                OFFSET 5 0 0
                CHANNELS 3 Zrotation Yrotation Xrotation
                End Site
                {
                  OFFSET 1 0 0
                }
              }
            }
          }
        }
        JOINT RightShoulder
        {
          OFFSET 0 0 0
          CHANNELS 3 Zrotation Yrotation Xrotation
          JOINT RightArm
          {
            OFFSET -3 1 0
            CHANNELS 3 Zrotation Yrotation Xrotation
            JOINT RightForeArm
            {
              OFFSET -5 0 0
              CHANNELS 3 Zrotation Yrotation Xrotation
              JOINT RightHand
              {
                OFFSET -5 0 0
                CHANNELS 3 Zrotation Yrotation Xrotation
                End Site
                {
                  OFFSET -1 0 0
                }
              }
            }
          }
        }
      }
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.05
"""
CMU_ORDER = ['Hips', 'LHipJoint', 'LeftUpLeg', 'LeftLeg', 'LeftFoot', 'LeftToeBase', 'RHipJoint', 'RightUpLeg', 'RightLeg',
             'RightFoot', 'LowerBack', 'Spine', 'Spine1', 'Neck', 'Neck1', 'Head', 'LeftShoulder', 'LeftArm', 'LeftForeArm',
             'LeftHand', 'RightShoulder', 'RightArm', 'RightForeArm', 'RightHand']
# frame 1: root moved; left hip (Z, Y, X) = (0, 90, 90), i.e. R = Ry(90) Rx(90); left elbow Zrotation 90
CMU_FRAMES = [{'Hips': [0, 17, 0, 0, 0, 0]},
              {'Hips': [1, 17, 2, 0, 0, 0], 'LeftUpLeg': [0, 90, 90], 'LeftForeArm': [90, 0, 0]}]
CMU_UNIT = .45 / .0254  # file units per metre


def cmu_file(tmp_path):
    rows = [' '.join(str(v) for n in CMU_ORDER for v in f.get(n, [0, 0, 0, 0, 0, 0] if n == 'Hips' else [0, 0, 0]))
            for f in CMU_FRAMES]
    path = tmp_path / 'cmu.bvh'
    path.write_text(CMU_BVH + '\n'.join(rows) + '\n')
    return path


def test_cmu_style_rig(tmp_path):
    m = read_bvh(cmu_file(tmp_path), target_fps=None)
    assert m.map_name == 'cmu'
    assert m.scale == pytest.approx(CMU_UNIT)
    assert set(m.derived) == {'spine2', 'left_collar', 'right_collar', 'right_foot'}
    assert m.mapping_used['left_hip'] == 'LeftUpLeg' and m.mapping_used['neck'] == 'Neck1'
    J = {k: m.joints[:, i] * CMU_UNIT for i, k in enumerate(T2M.joint_names)}  # back to file units
    w = T2M.bone_lengths[6] / (T2M.bone_lengths[6] + T2M.bone_lengths[9])  # spine2 between spine1 and spine3
    rest = {'pelvis': [0, 17, 0], 'left_hip': [1.5, 15.5, 0], 'left_knee': [1.5, 8.5, 0], 'left_ankle': [1.5, 1.5, 0],
            'left_foot': [1.5, .5, 2], 'right_foot': [-1.5, .5, 2], 'spine1': [0, 19, 0], 'spine2': [0, 19 + 2 * w, 0],
            'spine3': [0, 21, 0], 'neck': [0, 22.7, 0], 'head': [0, 24.4, 0], 'left_collar': [1.5, 22.35, 0],
            'right_collar': [-1.5, 22.35, 0], 'left_shoulder': [3, 22, 0], 'left_elbow': [8, 22, 0], 'left_wrist': [13, 22, 0],
            'right_wrist': [-13, 22, 0]}
    for k, v in rest.items(): np.testing.assert_allclose(J[k][0], v, atol=1e-9, err_msg=k)
    # frame 1, by hand: Rx(90) takes (0,-7,0) to (0,0,-7), Ry(90) takes that to (-7,0,0); toe (0,-1,2) -> (0,-2,-1) -> (-1,-2,0)
    hip = np.array([2.5, 15.5, 2])
    np.testing.assert_allclose(J['left_hip'][1], hip, atol=1e-9)
    np.testing.assert_allclose(J['left_knee'][1], hip + [-7, 0, 0], atol=1e-9)
    np.testing.assert_allclose(J['left_ankle'][1], hip + [-14, 0, 0], atol=1e-9)
    np.testing.assert_allclose(J['left_foot'][1], hip + [-15, -2, 0], atol=1e-9)
    np.testing.assert_allclose(J['left_wrist'][1] - J['left_elbow'][1], [0, 5, 0], atol=1e-9)  # 90 degree elbow bend
    np.testing.assert_allclose(J['right_knee'][1], [-.5, 8.5, 2], atol=1e-9)


def test_cmu_matches_bvhio(tmp_path):
    bvhio = pytest.importorskip('bvhio')
    path = cmu_file(tmp_path)
    pos, _ = bvh_fk(parse_bvh(path))
    root = bvhio.readAsHierarchy(str(path))
    joints = [j for j, _, _ in root.layout()]
    assert [j.Name for j in joints] == CMU_ORDER
    for f in range(len(CMU_FRAMES)):
        root.loadPose(f)
        theirs = np.array([list(j.PositionWorld) for j in joints])
        np.testing.assert_allclose(pos[f], theirs, atol=1e-4)  # bvhio computes in float32


def test_custom_mapping_and_registered_map(tmp_path):
    path = cmu_file(tmp_path)
    m = read_bvh(path, mapping={'neck': 'Neck', 'left_collar': 'LeftShoulder'})
    assert m.map_name == 'custom' and m.mapping_used['neck'] == 'Neck' and 'left_collar' not in m.derived
    np.testing.assert_allclose(m.joints[0, T2M.joint_names.index('neck')] * CMU_UNIT, [0, 21, 0], atol=1e-9)
    name = 'test_rig_cmu_variant'
    register_bvh_map(name, {**BVH_JOINT_MAPS['cmu'], 'spine2': 'LowerBack'}, overwrite=True)
    try: assert read_bvh(path, mapping=name).mapping_used['spine2'] == 'LowerBack'
    finally: BVH_JOINT_MAPS.pop(name)


def test_resample_120_to_20(tmp_path):
    motion = synthetic_motion(t=13)
    write_bvh(tmp_path / 'fast.bvh', motion, fps=120)
    m = read_bvh(tmp_path / 'fast.bvh')
    assert m.source_fps == pytest.approx(120) and m.fps == 20 and len(m.joints) == 3
    assert np.abs(m.joints - motion[::6]).max() < TOL


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.bvh'): read_bvh(tmp_path / 'nope.bvh')


def test_malformed_names_line(tmp_path):
    bad = tmp_path / 'bad.bvh'
    bad.write_text(CMU_BVH.replace('OFFSET 0 -7 0\n        CHANNELS', 'OFFSET 0 -7\n        CHANNELS', 1) + '0\n')
    with pytest.raises(BvhFormatError, match=r'bad\.bvh, line 17: expected an OFFSET number, found .CHANNELS.'): read_bvh(bad)
    bad.write_text(CMU_BVH + '1 2 3\n')
    with pytest.raises(BvhFormatError, match=r'line 145: a frame row needs 75 values \(one per channel\), found 3'): read_bvh(bad)
    bad.write_text(CMU_BVH + ' '.join(['0'] * 75) + '\n')
    with pytest.raises(BvhFormatError, match=r'declares Frames: 2 but holds 1 frame rows'): read_bvh(bad)
    bad.write_text(CMU_BVH.split('JOINT RHipJoint')[0])
    with pytest.raises(BvhFormatError, match=r"line 35: no 'MOTION' line"): read_bvh(bad)


def test_unmappable_names_missing_joints(tmp_path):
    path = tmp_path / 'odd.bvh'
    path.write_text(cmu_file(tmp_path).read_text().replace('LeftUpLeg', 'LThigh').replace('Hips', 'Root'))
    with pytest.raises(ValueError, match=r"\['pelvis', 'left_hip'\]") as e: read_bvh(path)
    assert 'mapping=' in str(e.value)
