"""Running programs on LiteSVM must not corrupt the process's floating-point maths."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.testing import paper_market


@pytest.mark.integration
def test_numpy_floor_divide_after_token_program_runs() -> None:
    """After pools are built with real SPL Token transactions, NumPy's scalar // still works."""
    market = paper_market(("150", "151"))
    assert market.chain is not None
    with np.errstate(all="raise"):
        assert np.float64(984.5) // np.float64(20.0) == 49.0
        assert float(np.fmod(np.float64(984.5), np.float64(20.0))) == 4.5
