"""Job notebooks: where they are, what parameters they declare, and checking given values.

A job is a notebook in ``notebooks/jobs/`` whose first tagged ``parameters`` cell declares its
parameters as plain assignments (``bars = 5000  # bars to load``). The declared default fixes
each parameter's type, so values from the command line (always text) are converted once, here,
and a wrong name or value fails before any kernel starts, with a message naming both.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from workbench.errors import JobError

__all__ = [
    "CONTEXT_PARAMETERS",
    "JOBS_DIR",
    "Parameter",
    "coerce_parameters",
    "find_notebook",
    "job_names",
    "notebook_parameters",
]

#: ``notebooks/jobs`` of the checkout this package was imported from.
JOBS_DIR = Path(__file__).resolve().parents[2] / "notebooks" / "jobs"

#: Parameters the runner fills in when a notebook declares them and the caller did not:
#: ``run_dir`` (where to write outputs), ``database_url`` and ``data_dir`` (the runner's settings).
CONTEXT_PARAMETERS = ("run_dir", "database_url", "data_dir")


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """One declared notebook parameter.

    Attributes:
        name: variable name.
        default: the default value (None when it is not a literal).
        type_name: ``int``, ``float``, ``bool``, ``str``, ``list``, ``dict``, or ``any``.
        help: the trailing comment, if any.
    """

    name: str
    default: Any
    type_name: str
    help: str = ""


def job_names(jobs_dir: Path = JOBS_DIR) -> list[str]:
    """Names of the job notebooks in ``jobs_dir`` (file stems), sorted."""
    return sorted(p.stem for p in jobs_dir.glob("*.ipynb") if not p.name.startswith("_"))


def find_notebook(job: str | Path, jobs_dir: Path = JOBS_DIR) -> Path:
    """The notebook of ``job``: a name in ``jobs_dir`` or a path to an ``.ipynb``.

    Raises:
        JobError: no such job (lists the ones there are).
    """
    path = Path(job)
    if path.suffix == ".ipynb":
        if path.is_file():
            return path
        raise JobError(f"Job notebook {path} does not exist.")
    cand = jobs_dir / f"{job}.ipynb"
    if cand.is_file():
        return cand
    known = ", ".join(job_names(jobs_dir)) or "(none)"
    raise JobError(f"No job named {str(job)!r} in {jobs_dir}; jobs are: {known}.")


def _type_name(value: Any) -> str:
    for kind in (bool, int, float, str, list, dict):
        if isinstance(value, kind):
            return kind.__name__
    return "any"


def notebook_parameters(nb_or_path: Any) -> dict[str, Parameter]:
    """Parameters declared in the first ``parameters``-tagged cell, by name, in order.

    Raises:
        JobError: the notebook has no ``parameters`` cell, or it is not valid Python.
    """
    nb = nbformat.read(str(nb_or_path), as_version=4) if isinstance(nb_or_path, str | Path) \
        else nb_or_path
    cell = next((c for c in nb.cells if c.cell_type == "code"
                 and "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        raise JobError(f"Notebook {nb_or_path} has no cell tagged 'parameters'; tag the first "
                       "code cell so jobs can be given parameters.")
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        raise JobError(f"The parameters cell of {nb_or_path} is not valid Python: {exc}.") from None
    lines = cell.source.splitlines()
    out: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        try:
            default = ast.literal_eval(value)
            type_name = _type_name(default)
        except ValueError:
            default, type_name = None, "any"
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        out[target.id] = Parameter(name=target.id, default=default, type_name=type_name,
                                   help=comment)
    return out


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(text: str, type_name: str) -> Any:
    if type_name == "str":
        return text
    if type_name == "bool":
        low = text.strip().lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE
        raise ValueError(f"expected one of {sorted(_TRUE | _FALSE)}")
    if type_name == "int":
        return int(text)
    if type_name == "float":
        return float(text)
    if type_name in ("list", "dict"):
        value = json.loads(text)
        if _type_name(value) != type_name:
            raise ValueError(f"expected a JSON {type_name}")
        return value
    try:  # any: JSON if it parses, else the text
        return json.loads(text)
    except ValueError:
        return text


def _check(value: Any, type_name: str) -> bool:
    if type_name == "any" or value is None:
        return True
    if type_name == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return _type_name(value) == type_name


def coerce_parameters(job: str, declared: Mapping[str, Parameter],
                      given: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``given`` against ``declared`` and convert text values to the declared types.

    Args:
        job: job name, for messages.
        declared: from :func:`notebook_parameters`.
        given: name -> value; ``str`` values (from the CLI) are converted, others type-checked.

    Raises:
        JobError: an unknown name or a value that does not fit the declared type, naming the
            parameter, the value, the expected type and the default.
    """
    out: dict[str, Any] = {}
    for name, value in given.items():
        param = declared.get(name)
        if param is None:
            known = ", ".join(declared) or "(none)"
            raise JobError(f"Job {job!r} has no parameter {name!r}; its parameters are: "
                           f"{known}.")
        if isinstance(value, str) and param.type_name != "str":
            try:
                value = _convert(value, param.type_name)
            except ValueError as exc:
                raise JobError(f"Parameter {name}={value!r} of job {job!r} is not a valid "
                               f"{param.type_name} ({exc}); the default is "
                               f"{param.default!r}.") from None
        elif not _check(value, param.type_name):
            raise JobError(f"Parameter {name}={value!r} of job {job!r} should be a "
                           f"{param.type_name} like its default {param.default!r}, not "
                           f"{type(value).__name__}.")
        if param.type_name == "float" and isinstance(value, int):
            value = float(value)
        out[name] = value
    return out
