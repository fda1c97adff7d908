"""Packaging: pyproject and environment.yml agree, the kernel starts, the public API is pinned."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _req(spec: str) -> tuple[str, str]:
    name = re.split(r"[<>=!~\[ ]", spec, maxsplit=1)[0].lower().replace("_", "-")
    bound = spec[len(re.split(r"[<>=!~ ]", spec, maxsplit=1)[0]):].strip()
    return name, bound


def _pyproject_reqs() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    specs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
    return dict(_req(s) for s in specs)


def _environment_reqs() -> dict[str, str]:
    out: dict[str, str] = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        m = re.match(r'^\s+- "?([A-Za-z0-9_.\-\[\]]+[<>=!~][^"]*|[A-Za-z0-9_.\-]+)"?\s*$', line)
        if m and not m.group(1).startswith(("python", "pip")):
            name, bound = _req(m.group(1))
            out[name] = bound
    return out


def test_environment_yml_matches_pyproject() -> None:
    """Every dependency and lower bound in pyproject.toml is in environment.yml, nothing else."""
    assert _environment_reqs() == _pyproject_reqs()


def test_declared_lower_bounds_are_met() -> None:
    """The installed environment satisfies every declared lower bound."""
    from importlib.metadata import version

    from packaging.version import Version

    for name, bound in _pyproject_reqs().items():
        m = re.match(r">=([\w.]+)", bound)
        if m:
            assert Version(version(name)) >= Version(m.group(1)), name


def test_public_api_is_pinned() -> None:
    """``workbench.__all__`` has no duplicates and names everything public (as httpx does)."""
    import workbench

    names = workbench.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(workbench, name), name
    public = {n for n in vars(workbench) if not n.startswith("_") and
              not isinstance(getattr(workbench, n), type(sys))}
    assert public <= set(names)


@pytest.mark.integration
def test_workbench_kernel_imports_workbench(tmp_path: Path) -> None:
    """The installed `workbench` kernel starts under jupyter_client and imports the package."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import start_new_kernel

    from workbench.kernelspec import install_kernel

    install_kernel()
    spec = KernelSpecManager().get_kernel_spec("workbench")
    assert spec.argv[0] == sys.executable
    km, kc = start_new_kernel(kernel_name="workbench")
    try:
        msg_id = kc.execute("import workbench; print(workbench.__version__)")
        outputs = []
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                outputs.append(msg["content"]["text"])
            if msg["msg_type"] == "error":
                pytest.fail("\n".join(msg["content"]["traceback"]))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        import workbench

        assert "".join(outputs).strip() == workbench.__version__
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_layout_exists() -> None:
    """The top-level layout the product promises is present."""
    for name in ("notebooks", "workbench", "dashboards", "kernels", "data", "tests",
                 "environment.yml", "pyproject.toml", "README.md", "Makefile", "benchmarks",
                 ".ci/run"):
        assert (ROOT / name).exists(), name
