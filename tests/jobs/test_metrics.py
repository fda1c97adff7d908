"""Metrics: JSON-safe conversion, recording outside a kernel, scraping executed notebooks."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from workbench.errors import JobError
from workbench.jobs import METRICS_MIME, record_metrics, scrape_metrics
from workbench.jobs.metrics import to_jsonable, write_metrics


def test_to_jsonable_converts_numbers_decimals_and_times() -> None:
    """Decimal stays exact text, numpy becomes Python, NaN becomes None, times ISO text."""
    value = {"d": Decimal("0.1"), "n": np.float64(1.5), "i": np.int64(3), "nan": math.nan,
             "t": pd.Timestamp("2024-01-02T03:04:05Z"), "nested": [np.bool_(True), (1, 2)],
             "p": Path("/a/b")}
    assert to_jsonable(value) == {"d": "0.1", "n": 1.5, "i": 3, "nan": None,
                                  "t": "2024-01-02T03:04:05+00:00", "nested": [True, [1, 2]],
                                  "p": "/a/b"}
    json.dumps(to_jsonable(value), allow_nan=False)


def test_to_jsonable_rejects_objects_without_json_form() -> None:
    """An arbitrary object is an error naming its type."""
    with pytest.raises(JobError, match="of type object cannot be stored as JSON"):
        to_jsonable({"x": object()})


def test_record_metrics_outside_a_kernel_returns_the_clean_copy() -> None:
    """Plain Python: nothing is displayed, the converted mapping comes back."""
    assert record_metrics({"sharpe": np.float64(1.25), "ok": True}) == {"sharpe": 1.25,
                                                                        "ok": True}
    with pytest.raises(JobError, match="takes a mapping"):
        record_metrics([("a", 1)])  # type: ignore[arg-type]


def test_scrape_merges_metric_outputs_in_cell_order() -> None:
    """Later outputs win per key; other outputs and markdown cells are ignored."""
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell("a")
    first.outputs = [nbformat.v4.new_output("display_data", data={METRICS_MIME: {"a": 1, "b": 1},
                                                                   "text/plain": "m"}),
                     nbformat.v4.new_output("stream", text="hello")]
    second = nbformat.v4.new_code_cell("b")
    second.outputs = [nbformat.v4.new_output("display_data",
                                             data={METRICS_MIME: json.dumps({"b": 2})})]
    nb.cells = [first, nbformat.v4.new_markdown_cell("x"), second]
    assert scrape_metrics(nb) == {"a": 1, "b": 2}
    assert scrape_metrics(nbformat.v4.new_notebook()) == {}


def test_write_metrics_writes_sorted_json(tmp_path: Path) -> None:
    """The file the next step reads is plain JSON."""
    path = write_metrics(tmp_path / "metrics.json", {"b": Decimal("2.50"), "a": 1})
    assert json.loads(path.read_text()) == {"a": 1, "b": "2.50"}
