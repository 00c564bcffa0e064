"""README.md and the docs home (nbs/index.ipynb) are one source: the README is its rendering, lists every module and
tutorial, shows pictures that exist, and its results table says what the shipped model's own files say.
(That the README's Python example runs as written, offline, in the plain install: tests/test_install.py.)"""
import importlib.util, json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('make_readme', ROOT / 'tools' / 'make_readme.py')
make_readme = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_readme)
README = (ROOT / 'README.md').read_text(encoding='utf-8')


def test_readme_is_the_rendering_of_index():
    assert README == make_readme.render(json.loads((ROOT / 'nbs' / 'index.ipynb').read_text(encoding='utf-8'))), \
        "README.md differs from nbs/index.ipynb: edit the notebook, then run `make readme`"


def test_every_module_and_tutorial_is_listed():
    links = set(re.findall(r'\]\((nbs/[^)#]+\.ipynb)', README))
    nbs = [p.relative_to(ROOT).as_posix() for p in make_readme.notebooks() if p.name != 'index.ipynb']
    assert nbs and [n for n in nbs if n not in links] == [], "add these notebooks to the lists in nbs/index.ipynb"


def test_pictures_and_linked_notebooks_exist():
    targets = re.findall(r'src="([^"]+)"', README) + re.findall(r'\]\((nbs/[^)#]+)', README)
    assert targets and [t for t in targets if not (ROOT / t).exists()] == []


def test_results_table_matches_the_shipped_model_files():
    "Each number of the table is the one in mdmoe/assets/model/eval_protocol*.json, as printed."
    model = ROOT / 'mdmoe' / 'assets' / 'model'
    proto, mm = (json.loads((model / f).read_text()) for f in ('eval_protocol.json', 'eval_protocol_mm.json'))
    row = lambda label: tuple(c.strip() for c in re.search(rf'^\| {re.escape(label)}[^|]*\|([^|]*)\|([^|]*)\|$', README, re.M).groups())
    pm = lambda t, k: f"{t[k]:.3f} ± {t[k + ' ±']:.3f}"
    for label, key in (('R-precision top-1', 'R-precision top-1'), ('R-precision top-3', 'R-precision top-3'), ('FID', 'FID'),
                       ('MM-Dist', 'MM-Dist'), ('Diversity', 'Diversity')):
        assert row(label) == (pm(proto['table']['mdmoe'], key), pm(proto['table']['real'], key)), label
    assert row('Multimodality')[0] == pm(mm['table']['mdmoe'], 'MModality')
    assert row('action recognised')[0] == f"{proto['attributes']['action']['mdmoe']:.0%}"
    assert row('jitter')[0] == f"{proto['physical']['mdmoe']['jitter']:.0f}"
    assert row('jitter')[1] == f"{proto['physical']['real']['jitter']:.0f}"
    assert (proto['settings']['replications'], mm['settings']['replications'], proto['settings']['evaluator']) == (20, 2, 'ContrastiveEvaluator')
    assert 'not HumanML3D numbers' in README and "mdmoe's own text-motion evaluator" in README


def test_docs_draw_stored_figures_with_the_bundled_plotly_js():
    "The docs site turns stored figures into HTML (doc_procs) and loads the plotly.js version the figures are written for."
    import tomllib
    from plotly.offline import get_plotlyjs_version
    cfg = tomllib.loads((ROOT / 'pyproject.toml').read_text())['tool']['nbdev']
    assert cfg['doc_procs'] == 'mdmoe.viz:plotly_html'
    from mdmoe.viz import plotly_html  # noqa: F401  (the processor nbdev imports)
    assert f'https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js' in (ROOT / 'nbs' / '_quarto.yml').read_text()
