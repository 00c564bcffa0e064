"Two motions side by side as one offline HTML animation (mdmoe.viz)."
import re
import numpy as np
import pytest
from mdmoe.skeleton import T2M
from mdmoe.viz import animate, save_html, gallery_html, plotly_js_name, toy_walk


def test_two_motions_to_offline_html(tmp_path):
    walk, stand = toy_walk(40), np.repeat(toy_walk(1), 25, axis=0)
    fig = animate([walk, stand], captions=['a person walks forward', 'a person stands still'], title='two motions')
    assert len(fig.frames) == 40 and len(fig.layout.sliders[0].steps) == 40
    assert [t.name for t in fig.data] == ['ground', 'root path', 'skeleton', 'contacts'] * 2
    assert {t.scene for t in fig.data} == {'scene', 'scene2'}
    assert all(len(f.data) == 4 for f in fig.frames)
    path = save_html(fig, tmp_path / 'out' / 'two.html')  # plotly.js beside the page, once per folder
    html = path.read_text()
    assert 'a person stands still' in html and '<title>mdmoe: two motions</title>' in html
    assert re.findall(r'<script[^>]+src="([^"]+)"', html) == [plotly_js_name()] and (tmp_path / 'out' / plotly_js_name()).stat().st_size > 4e6
    alone = save_html(fig, tmp_path / 'alone.html', include_plotlyjs=True).read_text()
    assert not re.findall(r'<script[^>]+src=', alone)  # plotly.js embedded: one file that opens offline
    cdn = save_html([walk, stand], tmp_path / 'cdn.html', include_plotlyjs='cdn', stride=2).read_text()
    assert 'cdn.plot.ly' in cdn and len(cdn) < len(alone) // 10


def test_gallery_and_bad_input(tmp_path):
    motions = [toy_walk(10), toy_walk(12), toy_walk(8)]
    p = gallery_html(motions, ['a', 'b', 'c'], tmp_path / 'g.html', cols=2)
    assert p.stat().st_size > 0 and '<title>mdmoe: a | b | c</title>' in p.read_text()
    with pytest.raises(ValueError, match=r'motions\[1\] has shape \(10, 21, 3\)'):
        animate([motions[0], motions[0][:, :21]])
    with pytest.raises(ValueError, match='empty list'):
        animate([])
    with pytest.raises(ValueError, match=r'motions\[0\] \(shape \(8, 22, 3\)\) has NaN'):
        animate(np.full((8, T2M.n_joints, 3), np.nan))
