"""Declared notebook parameters and checking given values against them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jobs.conftest import fixture_nb
from workbench.errors import JobError
from workbench.jobs.notebooks import (
    coerce_parameters,
    find_notebook,
    job_names,
    notebook_parameters,
)


def test_parameters_are_read_with_types_defaults_and_help() -> None:
    """The parameters cell of the reoptimize job declares typed defaults with help text."""
    params = notebook_parameters(find_notebook("reoptimize"))
    assert params["bars"].type_name == "int" and params["bars"].default == 4000
    assert params["oos_frac"].type_name == "float"
    assert params["grid"].type_name == "dict"
    assert params["smoke"].type_name == "bool" and params["smoke"].default is False
    assert "newest bars" in params["bars"].help
    assert {"run_dir", "database_url", "data_dir"} <= set(params)


def test_job_names_list_the_shipped_jobs() -> None:
    """Every job of the brief ships except the ML retrain (issue 10 adds it)."""
    assert {"collect_data", "reoptimize", "daily_report", "reconcile"} <= set(job_names())


def test_unknown_job_lists_the_known_ones() -> None:
    """A typo names the jobs there are."""
    with pytest.raises(JobError,
                       match=r"No job named 'daily_reprot' in .*jobs are: .*daily_report"):
        find_notebook("daily_reprot")
    with pytest.raises(JobError, match="does not exist"):
        find_notebook(Path("/nonexistent/x.ipynb"))


def test_text_values_are_converted_to_the_declared_types() -> None:
    """CLI text becomes int, float, bool, JSON list/dict; str stays str."""
    declared = notebook_parameters(find_notebook("reoptimize"))
    got = coerce_parameters("reoptimize", declared, {
        "bars": "500", "oos_frac": "0.25", "smoke": "yes", "grid": '{"fast": [3]}',
        "symbol": "ETH/USDT", "current": "{}"})
    assert got == {"bars": 500, "oos_frac": 0.25, "smoke": True, "grid": {"fast": [3]},
                   "symbol": "ETH/USDT", "current": {}}
    assert coerce_parameters("reoptimize", declared, {"oos_frac": 1}) == {"oos_frac": 1.0}


@pytest.mark.parametrize(("given", "message"), [
    ({"barz": "5"}, "Job 'reoptimize' has no parameter 'barz'; its parameters are: smoke, "
                    "strategy,"),
    ({"bars": "many"}, "Parameter bars='many' of job 'reoptimize' is not a valid int"),
    ({"smoke": "maybe"}, "Parameter smoke='maybe' of job 'reoptimize' is not a valid bool"),
    ({"grid": "[1, 2]"}, "is not a valid dict (expected a JSON dict); the default is"),
    ({"bars": 1.5}, "Parameter bars=1.5 of job 'reoptimize' should be a int like its default "
                    "4000, not float"),
    ({"smoke": 1}, "should be a bool like its default False, not int"),
])
def test_bad_values_fail_naming_parameter_value_and_type(given: dict, message: str) -> None:
    """Each rejection names the parameter, the value and what was expected."""
    declared = notebook_parameters(find_notebook("reoptimize"))
    with pytest.raises(JobError) as info:
        coerce_parameters("reoptimize", declared, given)
    assert message in str(info.value)


def test_notebook_without_parameters_cell_is_rejected(tmp_path: Path) -> None:
    """Jobs need a tagged parameters cell."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "bare.ipynb"
    nbformat.write(nb, str(path))
    with pytest.raises(JobError, match="has no cell tagged 'parameters'"):
        notebook_parameters(path)


def test_fixture_parameters() -> None:
    """The ok fixture declares x, label, ratio, flag and run_dir."""
    assert list(notebook_parameters(fixture_nb("ok"))) == ["x", "label", "ratio", "flag",
                                                           "run_dir"]
