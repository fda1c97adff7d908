"""Metrics a notebook reports to the job runner (papermill's scrapbook ``glue``, in one call).

A notebook cell calls ``record_metrics({"sharpe": 1.2, "adopted": True})``. The values are
displayed as one output of MIME type :data:`METRICS_MIME` (invisible in JupyterLab, kept in the
executed ``.ipynb``), and the runner scrapes every such output after the run
(:func:`scrape_metrics`), merges them in cell order, stores them with the run record and writes
them to ``metrics.json`` next to the executed notebook. No file or environment is needed inside
the kernel, so the same notebook runs interactively and as a job.

Values are made JSON-safe on the way in: ``Decimal`` -> ``str`` (exact), numpy scalars ->
Python numbers, timestamps -> ISO text, NaN/inf -> ``None`` (JSON has no NaN).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from workbench.errors import JobError

__all__ = ["METRICS_MIME", "record_metrics", "scrape_metrics", "to_jsonable", "write_metrics"]

#: MIME type of a metrics output in an executed notebook.
METRICS_MIME = "application/vnd.workbench.metrics+json"


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (see the module docstring for the conversions).

    Raises:
        JobError: a value has no JSON form (names its type).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    item = getattr(value, "item", None)  # numpy and pandas scalars
    if callable(item):
        return to_jsonable(item())
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    raise JobError(f"Metric value {value!r} of type {type(value).__name__} cannot be stored as "
                   "JSON; record a number, text, bool, Decimal, timestamp, or a list/dict of them.")


def record_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Report ``metrics`` from a notebook to the job runner; returns the JSON-safe copy.

    Call it as often as useful; later keys win. Outside a kernel (plain Python) it only
    converts and returns.

    Example:
        >>> record_metrics({"rows": 1200, "sharpe": 1.4})  # doctest: +SKIP
    """
    if not isinstance(metrics, Mapping):
        raise JobError(f"record_metrics takes a mapping of name -> value, got "
                       f"{type(metrics).__name__}.")
    clean = to_jsonable(metrics)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the notebook extras
        return clean
    if get_ipython() is not None:
        display({METRICS_MIME: clean, "text/plain": f"metrics: {sorted(clean)}"}, raw=True)
    return clean


def scrape_metrics(nb: Any) -> dict[str, Any]:
    """Every metrics output of an executed notebook (NotebookNode or dict), merged in order."""
    out: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = output.get("data") or {}
            value = data.get(METRICS_MIME)
            if isinstance(value, str):  # some writers store JSON MIME bundles as text
                value = json.loads(value)
            if isinstance(value, Mapping):
                out.update(value)
    return out


def write_metrics(path: Path, metrics: Mapping[str, Any]) -> Path:
    """Write ``metrics`` as pretty JSON (the file the next job step reads)."""
    path.write_text(json.dumps(to_jsonable(metrics), indent=2, sort_keys=True) + "\n")
    return path
