"Two motions side by side as one offline HTML animation (mdmoe.viz)."
import re
import numpy as np
import pytest
from mdmoe.skeleton import T2M
from mdmoe.viz import animate, save_html, gallery_html, toy_walk


def test_two_motions_to_offline_html(tmp_path):
    walk, stand = toy_walk(40), np.repeat(toy_walk(1), 25, axis=0)
    fig = animate([walk, stand], captions=['a person walks forward', 'a person stands still'], title='two motions')
    assert len(fig.frames) == 40 and len(fig.layout.sliders[0].steps) == 40
    assert [t.name for t in fig.data] == ['ground', 'root path', 'skeleton', 'contacts'] * 2
    assert {t.scene for t in fig.data} == {'scene', 'scene2'}
    assert all(len(f.data) == 4 for f in fig.frames)
    path = save_html(fig, tmp_path / 'out' / 'two.html')
    html = path.read_text()
    assert path.exists() and 'plotly' in html and 'a person stands still' in html
    assert not re.findall(r'<script[^>]+src=', html)  # plotly.js embedded: opens offline
    cdn = save_html([walk, stand], tmp_path / 'cdn.html', include_plotlyjs='cdn', stride=2).read_text()
    assert 'cdn.plot.ly' in cdn and len(cdn) < len(html) // 10


def test_gallery_and_bad_input(tmp_path):
    motions = [toy_walk(10), toy_walk(12), toy_walk(8)]
    p = gallery_html(motions, ['a', 'b', 'c'], tmp_path / 'g.html', cols=2)
    assert p.stat().st_size > 0
    with pytest.raises(ValueError, match=r'motions\[1\] has shape \(10, 21, 3\)'):
        animate([motions[0], motions[0][:, :21]])
    with pytest.raises(ValueError, match='empty list'):
        animate([])
    with pytest.raises(ValueError, match=r'motions\[0\] \(shape \(8, 22, 3\)\) has NaN'):
        animate(np.full((8, T2M.n_joints, 3), np.nan))
