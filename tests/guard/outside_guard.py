"""Test guard: no test or notebook may read what lies beside the repository.

A user's clone has nothing next to it, so a test that reads a sibling folder (as ours once read a folder of
reference data beside the checkout) passes only on the machine that has it. With `MDMOE_GUARD_ROOT` set to the repository
root, `install` (called at start-up by `sitecustomize.py` in every Python process whose PYTHONPATH holds this folder:
`make test` sets both for nbdev-test, tests/conftest.py for pytest and its subprocesses) installs an audit
hook (PEP 578) that refuses to open or list any path inside a folder that sat beside the repository when the
process started. Paths inside the repository, the Python installation, the temporary folder and the home
folder stay open, as do hidden entries (`.cache`, `.config`) and anything created after start-up.
"""
import os
import sys
import tempfile

_EVENTS = {'open', 'os.listdir', 'os.scandir', 'glob.glob', 'os.chdir', 'shutil.copyfile', 'shutil.copytree'}


class OutsideRepositoryError(PermissionError):
    "A test or notebook tried to read a path beside the repository, which users' clones do not have."


def _real(p) -> str: return os.path.realpath(os.fsdecode(p))


def _inside(path: str, folder: str) -> bool: return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def forbidden_siblings(root: str) -> list[str]:
    "Entries beside `root` that nothing may read: all but the repository, hidden ones and those holding Python, temp or home."
    root = _real(root)
    parent = os.path.dirname(root)
    keep = [_real(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, tempfile.gettempdir(), os.path.expanduser('~'))]
    out = []
    for name in sorted(os.listdir(parent)):
        p = os.path.join(parent, name)
        if name.startswith('.') or name.startswith('pytest-of-') or p == root: continue
        if any(_inside(k, _real(p)) for k in keep): continue
        out.append(_real(p))
    return out


def install(root: str):
    "Refuse, from now on in this process, every open or listing of a path in a folder beside `root`."
    if getattr(sys, '_mdmoe_guard', None) is not None: return sys._mdmoe_guard
    banned = tuple(forbidden_siblings(root))

    def hook(event, args):
        if event not in _EVENTS or not args or not isinstance(args[0], (str, bytes, os.PathLike)): return
        path = _real(args[0])
        for b in banned:
            if _inside(path, b):
                raise OutsideRepositoryError(f"{os.fsdecode(args[0])!r} ({path}) lies beside the repository {root}, in {b}: "
                                             "tests and notebooks may read only what a clone has (put fixtures under tests/fixtures)")

    sys.addaudithook(hook)
    sys._mdmoe_guard = banned
    return banned

