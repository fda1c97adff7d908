"""Every notebook in notebooks/ and dashboards/ runs top to bottom on the workbench kernel.

Research and dashboard notebooks run under papermill with ``smoke=True`` (when they declare
it); job notebooks run through the job runner, so their runs are also recorded. They run two
at a time (the machine has two cores) in one session fixture; each notebook's test then
reports its own outcome with the failing cell's error. Static checks: committed without
outputs, the workbench kernel, a tagged parameters cell that papermill can read, public
imports only, and the generator in sync with the committed files.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for folder in ("notebooks", "dashboards")
                   for p in (ROOT / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


def _code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code"]


def test_there_are_notebooks() -> None:
    """The five research notebooks and four jobs exist (dashboards add theirs)."""
    names = {p.stem for p in NOTEBOOKS}
    assert {"data_exploration", "grid_backtest", "arbitrage_scan", "walk_forward",
            "risk_report", "collect_data", "reoptimize", "daily_report", "reconcile"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path: Path) -> None:
    """No outputs or execution counts are committed (run nbstripout or the generator)."""
    dirty = [i for i, c in enumerate(_code_cells(path))
             if c.get("outputs") or c.get("execution_count") is not None]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs"


OURS = [p for p in NOTEBOOKS if p.relative_to(ROOT).parts[0] == "notebooks"]


@pytest.mark.parametrize("path", OURS, ids=[str(p.relative_to(ROOT)) for p in OURS])
def test_kernel_parameters_cell_and_public_imports(path: Path) -> None:
    """Workbench kernel; the first code cell is tagged parameters and papermill parses every
    line of it; imports come from public workbench modules only."""
    from papermill.translators import PythonTranslator

    nb = nbformat.read(str(path), as_version=4)
    assert nb.metadata.kernelspec.name == "workbench"
    cells = _code_cells(path)
    assert "parameters" in cells[0].metadata.get("tags", [])
    declared = [n for n in ast.parse(cells[0].source).body if isinstance(n, ast.Assign)]
    assert len(PythonTranslator.inspect(cells[0])) == len(declared) > 0
    for cell in cells:
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                assert not any(p.startswith("_") for p in parts), node.module
                assert all(not a.name.startswith("_") for a in node.names), node.module


def test_generator_matches_committed_notebooks(tmp_path: Path) -> None:
    """scripts/make_notebooks.py reproduces every committed notebook it owns."""
    done = subprocess.run([sys.executable, "-c", (
        "import sys; sys.path.insert(0, 'scripts'); import make_notebooks as m; "
        f"[print(p) for p in m.write_all(__import__('pathlib').Path({str(tmp_path)!r}))]")],
        cwd=ROOT, capture_output=True, text=True, check=True)
    written = [Path(line) for line in done.stdout.split()]
    assert len(written) >= 13
    for new in written:
        old = ROOT / new.relative_to(tmp_path)
        a, b = nbformat.read(str(new), as_version=4), nbformat.read(str(old), as_version=4)
        assert [c.source for c in a.cells] == [c.source for c in b.cells], old.name
        assert json.dumps(a.metadata, sort_keys=True) == json.dumps(b.metadata, sort_keys=True)


# -- execution -------------------------------------------------------------------------------


def _run_one(path: Path, out_dir: Path, settings: object, store: object) -> str | None:
    """None when every cell ran, else the failing cell's error and traceback."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from workbench.jobs import run_job
    from workbench.jobs.notebooks import notebook_parameters

    if path.parent.name == "jobs" and path.parent.parent.name == "notebooks":
        rec = run_job(path, {"smoke": True}, settings=settings, store=store,  # type: ignore[arg-type]
                      timeout_s=600)
        if rec.is_ok:
            return None
        return f"{rec.error}\n(executed notebook: {rec.notebook_path})"
    try:
        declared = notebook_parameters(path)
    except Exception:  # a dashboard notebook without a parameters cell takes none
        declared = {}
    params: dict[str, object] = {"smoke": True} if "smoke" in declared else {}
    # keep every write in the test's temp dir, never in the checkout's data/ (whose state
    # would otherwise leak between runs)
    scratch = out_dir / f"{path.stem}-scratch"
    for name in declared:
        if name.endswith("_dir"):
            params[name] = str(scratch / name)
    if "database_url" in declared:
        scratch.mkdir(parents=True, exist_ok=True)
        params["database_url"] = f"sqlite:///{scratch / 'workbench.db'}"
    try:
        pm.execute_notebook(str(path), str(out_dir / path.name), parameters=params,
                            kernel_name="workbench", progress_bar=False, cwd=None,
                            start_timeout=120)
    except PapermillExecutionError as exc:
        return f"{exc.ename}: {exc.evalue}\n" + "\n".join(exc.traceback[-5:])
    return None


@pytest.fixture(scope="session")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, str | None]:
    """Run every notebook (two at a time); path -> None or the error."""
    from workbench import load_settings
    from workbench.store import open_store

    os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
    subprocess.run([sys.executable, "-m", "workbench.kernelspec", "install"], check=True,
                   capture_output=True)
    base = tmp_path_factory.mktemp("notebooks")
    settings = load_settings(data={"dir": base / "data"},
                             database={"url": f"sqlite:///{base / 'ledger.db'}"},
                             jobs={"retries": 0})
    store = open_store(settings)
    store.upgrade()
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {p: pool.submit(_run_one, p, base, settings, store) for p in NOTEBOOKS}
        return {p: f.result() for p, f in futures.items()}


@pytest.mark.integration
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_top_to_bottom(path: Path, executed: dict[Path, str | None]) -> None:
    """Every cell runs on the workbench kernel with small parameters."""
    error = executed[path]
    if error is not None:
        pytest.fail(f"{path.relative_to(ROOT)} failed: {error}", pytrace=False)
