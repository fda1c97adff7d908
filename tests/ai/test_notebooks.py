"""The AI notebooks run end to end under papermill on small real data (smoke parameters)."""

import json
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from workbench.store import ledger, open_store
from workbench.store.ledger import load_models

ROOT = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = ["research/ml_strategy.ipynb", "research/rl_allocator.ipynb",
             "jobs/retrain_model.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs_and_with_parameters(name):
    """Each notebook names the workbench kernel, starts with a tagged parameters cell and has
    no outputs."""
    book = nbformat.read(ROOT / name, as_version=4)
    assert book.metadata["kernelspec"]["name"] == "workbench"
    code = [c for c in book.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not c.outputs and c.execution_count is None for c in code)


def _run(name: str, tmp_path: Path, **params) -> nbformat.NotebookNode:
    out = tmp_path / Path(name).name
    pm.execute_notebook(str(ROOT / name), str(out), parameters=params, kernel_name="workbench",
                        cwd=str(tmp_path), progress_bar=False)
    return nbformat.read(out, as_version=4)


def test_ml_strategy_notebook(tmp_path):
    """Walk-forward, registry round trip, the held-out comparison and a paper-engine run of
    the registered version run on 4,000 real bars."""
    book = _run("research/ml_strategy.ipynb", tmp_path, smoke=True, bars=4000, n_folds=2,
                max_iter=10, horizon=6, models_dir=str(tmp_path / "models"), paper_bars=120,
                paper_dir=str(tmp_path / "paper"))
    assert (tmp_path / "models" / "sol_5m_hgb" / "1" / "meta.json").exists()
    text = json.dumps([c.get("outputs", []) for c in book.cells])
    assert "buy_and_hold" in text and "walk-forward optimiser" in text
    # the registry went to the settings' database (cwd/data), the engine to its own ledger
    registry = open_store(f"sqlite:///{tmp_path / 'data' / 'workbench.db'}")
    assert load_models(registry, name="sol_5m_hgb")["version"].tolist() == [1]
    registry.dispose()
    paper = open_store(f"sqlite:///{tmp_path / 'paper' / 'workbench.db'}")
    assert ledger.get_state(paper, "engine_cursor")["bars"] == 120
    config = ledger.load_strategy_configs(paper).set_index("name").loc["ml"]
    assert (config["kind"], config["params"]["model_version"]) == ("ml", 1)
    assert ledger.get_state(paper, "strategies")["ml"]["status"] == "running"
    assert set(ledger.load_orders(paper, strategy="ml")["status"]) <= {"filled"}
    paper.dispose()
    report = book.cells[-1].outputs[0]["data"]["text/plain"]
    assert "is_match" in report and "False" not in report


def test_rl_allocator_notebook(tmp_path):
    """The allocator comparison runs on 2,000 real bars in blocks of 64 bars."""
    book = _run("research/rl_allocator.ipynb", tmp_path, smoke=True, bars=2000, block_bars=64,
                lookback=3)
    text = json.dumps([c.get("outputs", []) for c in book.cells])
    assert "agent: LinUCB" in text and "fixed: best on dev" in text


def test_retrain_job_registers_and_decides(tmp_path):
    """The retrain job registers a version in the store and records the promotion decision."""
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    store = open_store(url)
    store.upgrade()
    _run("jobs/retrain_model.ipynb", tmp_path, smoke=True, database_url=url,
         data_dir=str(tmp_path), run_dir=str(tmp_path / "run"), horizon=6, bars=3000,
         max_iter=10)
    decision = json.loads((tmp_path / "run" / "decision.json").read_text())
    rows = load_models(store, name="sol_5m_hgb")
    assert len(rows) == 1 and rows.iloc[0]["version"] == decision["version"] == 1
    assert rows.iloc[0]["status"] in ("production", "rejected")
    assert rows.iloc[0]["reason"] == decision["reason"]
    assert (tmp_path / "models" / "sol_5m_hgb" / "1" / "model.joblib").exists()
    store.dispose()
