"""The HTML pages mdmoe writes, in a real browser: Debian's chromium, headless, driven over the DevTools protocol (tests/cdp.py).

What a user sees and a figure's JSON cannot show: the page has a title and plays on open, every panel draws its skeleton
(a page past the browser's 16 WebGL contexts blanks the oldest 3D scenes), playback advances, the autoplay switch
stops it, the controls and the colour key do not cover each other at 900 px, and nothing is logged as an error.
`make test` installs chromium first (tools/install_chromium.sh); where it cannot, these tests skip and say why.
"""
import base64, io
from pathlib import Path
import numpy as np
import pytest
from cdp import Browser, find_chromium

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: run tools/install_chromium.sh "
                                "(`apt-get install chromium`, as root) or set MDMOE_CHROMIUM to a Chromium/Chrome binary")

# Each panel of each figure on the page, in page pixels: 3D scenes and 2D panels from their layout domains.
PANELS = """[...document.querySelectorAll('.plotly-graph-div')].map(gd => {
  const fl = gd._fullLayout, s = fl._size, g = gd.getBoundingClientRect();
  const box = (dx, dy) => ({x: g.left + window.scrollX + s.l + dx[0] * s.w, y: g.top + window.scrollY + s.t + (1 - dy[1]) * s.h,
                            w: (dx[1] - dx[0]) * s.w, h: (dy[1] - dy[0]) * s.h});
  const scenes = Object.keys(fl).filter(k => /^scene\\d*$/.test(k)), xs = Object.keys(fl).filter(k => /^xaxis\\d*$/.test(k));
  return scenes.length ? scenes.map(k => box(fl[k].domain.x, fl[k].domain.y))
                       : xs.map(k => box(fl[k].domain, fl[fl[k].anchor.replace('y', 'yaxis')].domain)); })"""
READY = ("(() => { const g = [...document.querySelectorAll('.plotly-graph-div')]; "
         "return g.length > 0 && g.every(d => d._fullLayout && d._transitionData && d._transitionData._frames.length > 0); })()")
ACTIVE = "[...document.querySelectorAll('.plotly-graph-div')].map(gd => gd._fullLayout.sliders[0].active)"


@pytest.fixture(scope="module")
def browser():
    with Browser(CHROMIUM, width=900, height=1000) as b: yield b


def _open(b, path):
    b.messages.clear()
    b.goto(path)
    b.wait_for(READY, timeout=60)


def _drawn(b) -> list[list[tuple[int, int]]]:
    "Per figure and panel: pixels of the left (blue) and right (red) leg colours, in a screenshot of each figure."
    from PIL import Image
    out = []
    for fig in b.js(PANELS):
        x0, y0 = min(p['x'] for p in fig), min(p['y'] for p in fig)
        x1, y1 = max(p['x'] + p['w'] for p in fig), max(p['y'] + p['h'] for p in fig)
        shot = b.send('Page.captureScreenshot', format='png', captureBeyondViewport=True,
                      clip=dict(x=x0, y=y0, width=x1 - x0, height=y1 - y0, scale=1))
        im = np.asarray(Image.open(io.BytesIO(base64.b64decode(shot['data']))).convert('RGB')).astype(int)
        near = lambda a, rgb: int((np.abs(a - np.array(rgb)).sum(-1) < 60).sum())
        out.append([(near(a, (0x1f, 0x5f, 0xbf)), near(a, (0xd6, 0x27, 0x28)))
                    for p in fig for a in [im[int(p['y'] - y0):int(p['y'] - y0 + p['h']), int(p['x'] - x0):int(p['x'] - x0 + p['w'])]]])
    return out


def _advances(b, seconds=0.8) -> bool:
    "Whether every figure's frame moved on within `seconds`."
    before = b.js(ACTIVE)
    b.pump(seconds)
    return all(a != c for a, c in zip(before, b.js(ACTIVE)))


def _overlaps(b) -> list:
    "Pairs of controls (play, pause, colour key, time read-out, slider) whose boxes intersect."
    boxes = b.js("""(() => { const gd = document.querySelector('.plotly-graph-div'), r = (n, e) => [n, ...['left', 'top', 'right', 'bottom'].map(k => e.getBoundingClientRect()[k])];
      const key = [...gd.querySelectorAll('.annotation')].find(a => a.textContent.includes('right'));
      const now = [...gd.querySelectorAll('.slider-container text')].find(t => t.textContent.startsWith('t = '));
      return [...[...gd.querySelectorAll('.updatemenu-button')].map((e, i) => r('button' + i, e)), r('key', key), r('time', now),
              r('slider', gd.querySelector('.slider-rail-touch-rect'))]; })()""")
    hit = lambda a, b: a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    return [(a[0], c[0]) for i, a in enumerate(boxes) for c in boxes[i + 1:] if hit(a, c)]


def _motions(n, frames=30):
    from mdmoe.viz import toy_walk
    return [toy_walk(frames, speed=0.4 + 0.05 * i) for i in range(n)], [f'a person walks at pace {i}' for i in range(n)]


def test_gallery_plays_and_draws_every_panel(browser, tmp_path):
    "The demo's kind of page (six 3D scenes): a title, playing on open, every skeleton drawn, controls apart, the switch stops it."
    from mdmoe.viz import gallery_html
    page = gallery_html(*_motions(6), tmp_path / 'gallery.html', page_title='mdmoe demo: 6 generated motions')
    _open(browser, page)
    assert browser.js('document.title') == 'mdmoe demo: 6 generated motions'
    assert _advances(browser), "the gallery did not play on open"
    drawn = _drawn(browser)
    assert len(drawn) == 1 and len(drawn[0]) == 6 and all(l > 50 and r > 50 for l, r in drawn[0]), drawn
    assert _overlaps(browser) == []
    browser.js("document.getElementById('motion-autoplay').click()")  # the switch: off stops playback
    browser.pump(0.3)
    assert not _advances(browser, 1.0)
    browser.js("document.querySelector('.updatemenu-button').dispatchEvent(new MouseEvent('click', {bubbles: true}))")  # ▶ Play
    assert _advances(browser)
    assert browser.problems() == []


def test_twenty_panel_gallery_draws_every_panel(browser, tmp_path):
    "20 motions: more than a page's WebGL contexts allow as 3D scenes, so drawn in 2D; every panel shows its skeleton and plays."
    from mdmoe.viz import gallery_html
    page = gallery_html(*_motions(20), tmp_path / 'twenty.html')
    _open(browser, page)
    assert _advances(browser)
    drawn = _drawn(browser)
    assert len(drawn[0]) == 20 and all(l > 20 and r > 20 for l, r in drawn[0]), drawn
    assert _overlaps(browser) == [] and browser.problems() == []


def test_docs_page(browser, tmp_path):
    "The viz docs page as `make docs` renders the stored notebook (plotly.js loaded once for the page): every figure draws, plays, logs no error."
    import importlib.util, sys
    from mdmoe.viz import plotly_js
    sys.path.insert(0, str(ROOT / 'tools'))
    spec = importlib.util.spec_from_file_location('make_docs', ROOT / 'tools' / 'make_docs.py')
    make_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_docs)
    page = make_docs.plain_page(ROOT / 'nbs' / '13_viz.ipynb', tmp_path)
    plotly_js(tmp_path)
    _open(browser, page)
    skeletons = browser.js("[...document.querySelectorAll('.plotly-graph-div')].map(gd => gd.data.some(t => t.name === 'skeleton'))")
    assert sum(skeletons) >= 3, "nbs/13_viz.ipynb should hold its figures' outputs: run it and commit them (see its 'Figures' section)"
    for i in range(len(skeletons)):  # press each figure's ▶ Play
        browser.js(f"document.querySelectorAll('.plotly-graph-div')[{i}].querySelector('.updatemenu-button')"
                   ".dispatchEvent(new MouseEvent('click', {bubbles: true}))")
    assert _advances(browser)
    drawn = _drawn(browser)
    assert all(l > 20 and r > 20 for d, sk in zip(drawn, skeletons) if sk for l, r in d), drawn
    assert browser.problems() == []
