"""Write README.md from nbs/index.ipynb, the one source of the README and the docs home page.

nbdev's own `nbdev-readme` renders the notebook through Quarto, which is not installed everywhere mdmoe is developed;
this does the same job for what index.ipynb holds. Markdown cells are copied; a code cell becomes a ```python block
(its `#|` directives dropped: `#| eval: false` only keeps nbdev-test from running it) followed by its stored text
output, if any; `#| hide` cells are left out. Links written for the docs site point at the repository's files instead:
`motion.html` -> `nbs/01_motion.ipynb`, `tutorials/x.html` -> `nbs/tutorials/x.ipynb`, `images/a.gif` -> `nbs/images/a.gif`.

    python tools/make_readme.py          # write README.md
    python tools/make_readme.py --check  # exit 1, with a diff, when README.md is not what it would write (make sync runs this)
"""
import argparse, difflib, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
HEADER = '<!-- Generated from nbs/index.ipynb by tools/make_readme.py (`make readme`): edit the notebook, not this file. -->\n\n'


def doc_name(nb: Path) -> str:
    "The page nbdev makes of a notebook, relative to nbs/: 01_motion.ipynb -> motion.html (the number prefix dropped)."
    rel = Path(nb).resolve().relative_to(NBS)
    return (rel.parent / (re.sub(r'^\d+[a-z]?_', '', rel.stem) + '.html')).as_posix()


def notebooks() -> list[Path]:
    "The notebooks the docs are made of (scratch notebooks, `_*.ipynb`, are not)."
    return sorted(p for p in NBS.rglob('*.ipynb') if not any(part.startswith(('_', '.')) for part in p.relative_to(NBS).parts))


def repo_link(target: str, pages: dict[str, str]) -> str:
    "Where a link of the docs home points in the repository; absolute URLs and anchors stay as they are."
    if re.match(r'^[a-z][a-z0-9+.-]*:', target) or target.startswith(('#', '/')): return target
    path, _, anchor = target.partition('#')
    if path.endswith('.html'):
        if path not in pages: raise SystemExit(f"nbs/index.ipynb links to {target}, which no notebook in nbs/ makes: fix the link")
        path = pages[path]
    else: path = f'nbs/{path}'
    return path + ('#' + anchor if anchor else '')


def render(nb: dict) -> str:
    "README.md's text for the notebook `nb`."
    pages = {doc_name(p): p.relative_to(ROOT).as_posix() for p in notebooks()}
    fix = lambda md: re.sub(r'(\]\(|src=")([^)"\s]+)', lambda m: m.group(1) + repo_link(m.group(2), pages), md)
    out = []
    for cell in nb['cells']:
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown':
            out.append(fix(src.strip()))
            continue
        if cell['cell_type'] != 'code': continue
        directives = [l for l in src.splitlines() if l.startswith('#|')]
        if any(re.match(r'#\|\s*hide\s*$', d) for d in directives): continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if code and not any(re.match(r'#\|\s*echo:\s*false', d) for d in directives): out.append(f'```python\n{code}\n```')
        for o in cell.get('outputs', []):
            text = o.get('text') or o.get('data', {}).get('text/markdown') or o.get('data', {}).get('text/plain')
            if text is None: continue
            text = ''.join(text).rstrip()
            out.append(text if 'text/markdown' in o.get('data', {}) else f'```\n{text}\n```')
    return HEADER + '\n\n'.join(out) + '\n'


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help="only compare: exit 1 with a diff when README.md is out of date")
    args = ap.parse_args(argv)
    want = render(json.loads((NBS / 'index.ipynb').read_text(encoding='utf-8')))
    readme = ROOT / 'README.md'
    have = readme.read_text(encoding='utf-8') if readme.exists() else ''
    if args.check:
        if have == want:
            print("README.md is the rendering of nbs/index.ipynb")
            return 0
        sys.stdout.writelines(difflib.unified_diff(have.splitlines(True), want.splitlines(True), 'README.md', 'rendering of nbs/index.ipynb'))
        print("README.md differs from nbs/index.ipynb: edit the notebook, then run `make readme` (python tools/make_readme.py)")
        return 1
    if have != want: readme.write_text(want, encoding='utf-8')
    print(f"README.md {'written' if have != want else 'already up to date'} from nbs/index.ipynb")
    return 0


if __name__ == '__main__':
    sys.exit(main())
