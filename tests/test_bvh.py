"BVH import / export: round trips, a hand-written CMU-style rig, z up, errors, and agreement with bvhio."
import re
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


# Rigs in the namings of public mocap sets, written by the test itself: (name, OFFSET in file units, children).
# T-pose offsets in each rig's own unit; zero-length helpers and extra joints where those rigs have them.
def _arm(side, sign, names, collar):
    c, a, f, h = names
    return (c.format(side), (sign * collar[0], collar[1], 0), [(a.format(side), (sign * 6, 0, 0), [(f.format(side), (sign * 12, 0, 0), [
        (h.format(side), (sign * 11, 0, 0), [])])])])

def _leg(side, sign, names, toe=True):
    u, l, f, t = names
    foot = [(t.format(side), (0, -3, 5), [])] if toe else []
    return (u.format(side), (sign * 4, -3, 0), [(l.format(side), (0, -17, 0), [(f.format(side), (0, -17, 0), foot)])])

LAFAN1 = ('Hips', (0, 0, 0), [_leg('Left', 1, ('{}UpLeg', '{}Leg', '{}Foot', '{}Toe')), _leg('Right', -1, ('{}UpLeg', '{}Leg', '{}Foot', '{}Toe')),
          ('Spine', (0, 4, 0), [('Spine1', (0, 5, 0), [('Spine2', (0, 5, 0), [('Neck', (0, 8, 0), [('Head', (0, 4, 0), [])]),
           _arm('Left', 1, ('{}Shoulder', '{}Arm', '{}ForeArm', '{}Hand'), (3, 6)),
           _arm('Right', -1, ('{}Shoulder', '{}Arm', '{}ForeArm', '{}Hand'), (3, 6))])])])])
BANDAI = ('joint_Root', (0, 0, 0), [('Hips', (0, 0, 0), [
          ('Spine', (0, 6, 0), [('Chest', (0, 4, 0), [('Neck', (0, 10, 0), [('Head', (0, 3, 0), [])]),
           _arm('L', 1, ('Shoulder_{}', 'UpperArm_{}', 'LowerArm_{}', 'Hand_{}'), (2, 8)),
           _arm('R', -1, ('Shoulder_{}', 'UpperArm_{}', 'LowerArm_{}', 'Hand_{}'), (2, 8))])]),
          _leg('L', 1, ('UpperLeg_{}', 'LowerLeg_{}', 'Foot_{}', 'Toes_{}')), _leg('R', -1, ('UpperLeg_{}', 'LowerLeg_{}', 'Foot_{}', 'Toes_{}'))])])
BIOVISION = ('Hips', (0, 0, 0), [('Chest', (0, 5, 0), [('Neck', (0, 16, 0), [('Head', (0, 4, 0), [])]),
             _arm('Left', 1, ('{}Collar', '{}UpArm', '{}LowArm', '{}Hand'), (1, 15)),
             _arm('Right', -1, ('{}Collar', '{}UpArm', '{}LowArm', '{}Hand'), (1, 15))]),
             _leg('Left', 1, ('{}UpLeg', '{}LowLeg', '{}Foot', ''), toe=False), _leg('Right', -1, ('{}UpLeg', '{}LowLeg', '{}Foot', ''), toe=False)])
MIXAMO = ('mixamorig:Hips', (0, 0, 0), [_leg('mixamorig:Left', 1, ('{}UpLeg', '{}Leg', '{}Foot', '{}ToeBase')),
          _leg('mixamorig:Right', -1, ('{}UpLeg', '{}Leg', '{}Foot', '{}ToeBase')),
          ('mixamorig:Spine', (0, 4, 0), [('mixamorig:Spine1', (0, 5, 0), [('mixamorig:Spine2', (0, 5, 0), [
           ('mixamorig:Neck', (0, 8, 0), [('mixamorig:Head', (0, 4, 0), [('mixamorig:HeadTop_End', (0, 8, 0), [])])]),
           _arm('mixamorig:Left', 1, ('{}Shoulder', '{}Arm', '{}ForeArm', '{}Hand'), (3, 6)),
           _arm('mixamorig:Right', -1, ('{}Shoulder', '{}Arm', '{}ForeArm', '{}Hand'), (3, 6))])])])])
# CMU (cgspeed): zero-offset helpers LHipJoint, LowerBack, Neck and LeftShoulder; extra finger joints
CMU = ('Hips', (0, 0, 0), [('LHipJoint', (0, 0, 0), [_leg('Left', 1, ('{}UpLeg', '{}Leg', '{}Foot', '{}ToeBase'))]),
       ('RHipJoint', (0, 0, 0), [_leg('Right', -1, ('{}UpLeg', '{}Leg', '{}Foot', '{}ToeBase'))]),
       ('LowerBack', (0, 0, 0), [('Spine', (0, 5, 0), [('Spine1', (0, 5, 0), [('Neck', (0, 0, 0), [('Neck1', (0, 8, 0), [('Head', (0, 4, 0), [])])]),
        ('LeftShoulder', (0, 0, 0), [('LeftArm', (4, 4, 0), [('LeftForeArm', (12, 0, 0), [('LeftHand', (11, 0, 0), [('LeftFingerBase', (0, 0, 0), [
            ('LeftHandIndex1', (2, 0, 0), [])]), ('LThumb', (0, 0, 0), [])])])])]),
        ('RightShoulder', (0, 0, 0), [('RightArm', (-4, 4, 0), [('RightForeArm', (-12, 0, 0), [('RightHand', (-11, 0, 0), [])])])])])])])])


def rig_bvh(path, rig, unit, six_channels=False, frames=4, seed=0):
    "Write `rig` as a BVH (offsets x unit / 40, a 1.6 m body, ZXY channels, smooth random rotations, a walking root) and return its path."
    rng = np.random.default_rng(seed)
    lines, names = ['HIERARCHY'], []
    def block(node, depth):
        name, off, kids = node
        pad, root = '  ' * depth, not names
        names.append(name)
        lines.extend([f"{pad}{'ROOT' if root else 'JOINT'} {name}", f'{pad}{{', f"{pad}  OFFSET {' '.join(str(v * unit / 40) for v in off)}",
                      f"{pad}  CHANNELS " + ('6 Xposition Yposition Zposition Zrotation Xrotation Yrotation' if root or six_channels
                                             else '3 Zrotation Xrotation Yrotation')])
        for k in kids: block(k, depth + 1)
        if not kids: lines.extend([f'{pad}  End Site', f'{pad}  {{', f'{pad}    OFFSET 0 {-2 * unit / 40} {3 * unit / 40}', f'{pad}  }}'])
        lines.append(f'{pad}}}')
        return off
    block(rig, 0)
    offs = {}
    def collect(node): offs[node[0]] = node[1]; [collect(k) for k in node[2]]
    collect(rig)
    rows = []
    for f in range(frames):
        row = []
        for i, n in enumerate(names):
            rot = list(rng.normal(scale=10, size=3))
            if i == 0: row += [f * .01 * unit, .95 * unit, f * .02 * unit] + rot
            elif six_channels: row += [v * unit / 40 for v in offs[n]] + rot
            else: row += rot
        rows.append(' '.join(f'{v:.6f}' for v in row))
    Path(path).write_text('\n'.join(lines + ['MOTION', f'Frames: {frames}', 'Frame Time: 0.0333333'] + rows) + '\n')
    return Path(path), names


@pytest.mark.parametrize('rig,unit,six,map_name,derived', [
    (LAFAN1, 100., False, 'lafan1', ()),
    (BANDAI, 100., True, 'bandai', ('spine2',)),
    (BIOVISION, 1 / .0254, False, 'biovision', ('left_foot', 'right_foot', 'spine2', 'spine3')),
    (MIXAMO, 100., False, 'mixamo', ()),
    (CMU, .45 / .0254, False, 'cmu', ('spine2', 'left_collar', 'right_collar'))])
def test_public_rig_namings_import_without_a_mapping(tmp_path, rig, unit, six, map_name, derived):
    path, names = rig_bvh(tmp_path / 'rig.bvh', rig, unit, six)
    m = read_bvh(path, target_fps=None)
    assert (m.map_name, sorted(m.derived), m.scale) == (map_name, sorted(derived), pytest.approx(unit))
    assert m.joints.shape == (4, 22, 3) and m.fps == pytest.approx(30, rel=1e-5)
    pos, _ = bvh_fk(parse_bvh(path))
    for k, n in m.mapping_used.items():  # every joint read by name sits where the file's forward kinematics puts it
        np.testing.assert_allclose(m.joints[:, T2M.joint_names.index(k)], pos[:, names.index(n)] / unit, atol=1e-9, err_msg=k)
    bl = T2M.bone_lengths_of(m.joints)[:, 1:]
    assert bl.min() > .01  # no zero-length bone: helpers that coincide with a mapped joint are skipped


def test_real_clavicles_beat_derived_collars(tmp_path):
    "A CMU-named rig whose LeftShoulder has a place of its own: its clavicles are read, not replaced by derived collars."
    path, _ = rig_bvh(tmp_path / 'clav.bvh', CMU, .45 / .0254)
    text, n = re.subn(r'(JOINT LeftShoulder\n\s*\{\n\s*OFFSET) 0.0 0.0 0.0', r'\1 1.0 0.5 0.0', path.read_text())
    assert n == 1
    path.write_text(text)
    m = read_bvh(path)
    assert m.map_name == 'cmu' and m.mapping_used['left_collar'] == 'LeftShoulder' and 'left_collar' not in m.derived
    assert 'right_collar' in m.derived  # RightShoulder still sits on Spine1


def test_malformed_headers(tmp_path):
    deep = tmp_path / 'deep.bvh'
    body = ['HIERARCHY', 'ROOT a', '{', 'OFFSET 0 0 0', 'CHANNELS 0'] + [f'JOINT j{k} {{ OFFSET 0 1 0 CHANNELS 0' for k in range(10_000)]
    deep.write_text('\n'.join(body + ['}'] * 10_001 + ['MOTION', 'Frames: 1', 'Frame Time: 0.05', '']) + '\n')
    with pytest.raises(BvhFormatError, match=r'deep\.bvh, line 261: the hierarchy nests deeper than 256'): read_bvh(deep)
    for ft in ('0', 'nan', 'inf', '-0.05', '1e9', '1e-9'):
        bad = tmp_path / 'ft.bvh'
        bad.write_text(CMU_BVH.replace('Frame Time: 0.05', f'Frame Time: {ft}') + '\n'.join([' '.join(['0'] * 75)] * 2) + '\n')
        with pytest.raises(BvhFormatError, match=r'ft\.bvh, line 144: Frame Time must be between'): read_bvh(bad)
    bad.write_text(CMU_BVH + ' '.join(['0'] * 75) + '\n' + ' '.join(['0'] * 74 + ['nan']) + '\n')
    with pytest.raises(BvhFormatError, match=r'line 146: frame values must be finite numbers'): read_bvh(bad)
