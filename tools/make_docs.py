"""Build the docs into _docs/: the Quarto site (`nbdev-docs`) where Quarto is installed, otherwise every notebook
rendered to a plain HTML page (nbconvert) for a local look.

Either way a stored Plotly figure becomes HTML drawn by plotly.js loaded once per page (`mdmoe.viz.plotly_html`, an
nbdev doc processor: the Quarto site loads plotly.js in every page's header, `nbs/_quarto.yml`; here the pages share
one copy of it in _docs/). The plain pages keep the notebooks' cells as they are (without `#| hide` cells and the
`#|` lines), load nothing from the network (so MathJax does not typeset the formulas) and link to each other as the
site does: open _docs/index.html.

    python tools/make_docs.py            # Quarto if found, else plain pages (make docs)
    python tools/make_docs.py --plain    # plain pages even where Quarto is installed
"""
import argparse, re, shutil, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_readme import NBS, ROOT, doc_name, notebooks  # noqa: E402

DROP = 'mdmoe-no-network'  # the exporter's CDN scripts (RequireJS, MathJax) are pointed here, then removed


def plain_page(nb_path: Path, out: Path) -> Path:
    "Render one notebook to `out`/<its docs name> with nbconvert; returns the page's path."
    import nbformat
    from nbconvert import HTMLExporter
    from mdmoe.viz import plotly_html, plotly_js_name
    nb = nbformat.read(nb_path, as_version=4)
    cells = []
    for c in nb.cells:
        lines = c.source.splitlines()
        if c.cell_type == 'code' and any(re.match(r'#\|\s*hide\s*$', l) for l in lines): continue
        if c.cell_type == 'code': c.source = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
        cells.append(plotly_html(c))
    nb.cells = cells
    exporter = HTMLExporter(template_name='lab', require_js_url=DROP, mathjax_url=DROP)
    body, _ = exporter.from_notebook_node(nb)
    body = re.sub(rf'<script[^>]*src="{DROP}[^"]*"[^>]*>\s*</script>', '', body)
    page = out / doc_name(nb_path)
    up = '../' * (len(page.relative_to(out).parts) - 1)
    body = body.replace('</head>', f'<script src="{up}{plotly_js_name()}" charset="utf-8"></script>\n</head>', 1)
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(body, encoding='utf-8')
    return page


def plain_site(out: Path = ROOT / '_docs') -> list[Path]:
    "Every notebook as a plain HTML page in `out`, with one plotly.js and the images beside them."
    from mdmoe.viz import plotly_js
    pages = [plain_page(nb, out) for nb in notebooks()]
    plotly_js(out)
    if (NBS / 'images').is_dir(): shutil.copytree(NBS / 'images', out / 'images', dirs_exist_ok=True)
    return pages


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--plain', action='store_true', help="plain nbconvert pages even where Quarto is installed")
    args = ap.parse_args(argv)
    if shutil.which('quarto') and not args.plain:
        return subprocess.run([str(Path(sys.executable).parent / 'nbdev-docs')], cwd=ROOT).returncode
    pages = plain_site()
    print(f"wrote {len(pages)} pages to _docs/ ({'plain nbconvert pages' if args.plain else 'no Quarto here: plain nbconvert pages'});"
          f" open {(ROOT / '_docs' / 'index.html').as_uri()}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
