"""Install the ``workbench`` Jupyter kernel (``kernels/workbench``) into this environment.

The shipped spec says ``python``; installing pins it to this interpreter, so notebooks and
papermill jobs run with the workbench's own environment whatever ``python`` is on PATH.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["KERNEL_NAME", "install_kernel", "kernel_dir"]

KERNEL_NAME = "workbench"


def kernel_dir(prefix: str | None = None) -> Path:
    """Where the kernel spec goes: ``<prefix>/share/jupyter/kernels/workbench``."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def _template() -> dict[str, object]:
    shipped = Path(__file__).resolve().parents[1] / "kernels" / KERNEL_NAME / "kernel.json"
    if shipped.exists():
        return dict(json.loads(shipped.read_text()))
    return {
        "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Workbench (Python 3)",
        "language": "python",
    }


def install_kernel(prefix: str | None = None) -> Path:
    """Write the spec with this interpreter in ``argv``; returns the spec's path."""
    spec = _template()
    argv = list(spec["argv"])  # type: ignore[call-overload]
    argv[0] = sys.executable
    spec["argv"] = argv
    target = kernel_dir(prefix)
    target.mkdir(parents=True, exist_ok=True)
    path = target / "kernel.json"
    path.write_text(json.dumps(spec, indent=1) + "\n")
    return path


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m workbench.kernelspec install")
    print(f"installed {install_kernel()}")
