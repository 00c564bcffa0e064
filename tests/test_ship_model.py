"""tools/ship_model.py: the shipped train_log.csv numbers every stage, also when a run fine-tunes the shipped model."""
import sys
from pathlib import Path
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tools'))
from ship_model import sampling_note, stage_logs  # noqa: E402


def fake_run(folder: Path, steps: list[int], last: int) -> Path:
    "A run folder with metrics.csv rows at `steps` and its latest checkpoint at `last`."
    (folder / 'ckpt' / f'step_{last:08d}').mkdir(parents=True)
    (folder / 'ckpt' / 'latest').write_text(f'step_{last:08d}')
    pd.DataFrame({'step': steps, 'loss/total': [1.0 / s for s in steps]}).to_csv(folder / 'metrics.csv', index=False)
    return folder


def test_runs_then_a_shipped_log(tmp_path):
    a = fake_run(tmp_path / 'a', [50, 100, 150], last=100)  # rows after the last checkpoint (a killed run) are dropped
    b = fake_run(tmp_path / 'b', [50, 100], last=100)
    two = stage_logs([a, b])
    assert two.step.tolist() == [50, 100, 150, 200] and two.stage.tolist() == [1, 1, 2, 2]
    assert two.stage_step.tolist() == [50, 100, 50, 100]
    shipped = tmp_path / 'train_log.csv'
    two.to_csv(shipped, index=False)
    c = fake_run(tmp_path / 'c', [25, 50], last=50)  # a third stage fine-tuned from the shipped model
    three = stage_logs([shipped, c])
    assert three.step.tolist() == [50, 100, 150, 200, 225, 250] and three.stage.tolist() == [1, 1, 2, 2, 3, 3]
    assert three.stage_step.tolist() == [50, 100, 50, 100, 25, 50]


def test_rejects_a_csv_without_stages(tmp_path):
    bad = tmp_path / 'metrics.csv'
    pd.DataFrame({'step': [1]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match='not a shipped train_log.csv'):
        stage_logs([bad])


def test_sampling_note_says_what_changed():
    "The card names each changed sampling default with the key that holds it, and says nothing of those left alone."
    note = sampling_note(3.0, 7.5, 900, 1.0, 400, 0.5)
    for key in ('diffusion.cfg_scale', 'diffusion.cfg_t_max', 'diffusion.x0_lowpass', 'diffusion.retrieval_weight'): assert key in note
    assert '0.5 its own prediction plus 0.5 that of the nearest training caption' in note and 'retrieval_weight=0' in note
    assert sampling_note(7.5, 7.5) == '' and 'retrieval' not in sampling_note(3.0, 7.5, None, 0.0, 400, 0.0)
