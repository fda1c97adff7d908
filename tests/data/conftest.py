import base64
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load_json(*parts: str):
    return json.loads(FIXTURES.joinpath(*parts).read_text())


def b64_file(*parts: str) -> bytes:
    return base64.b64decode(FIXTURES.joinpath(*parts).read_text().strip())


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """CLI runs write their default store and lake under the test's tmp dir, never the repo."""
    monkeypatch.setenv("WORKBENCH_DATA__DIR", str(tmp_path / "wb-data"))
    monkeypatch.delenv("WORKBENCH_DATABASE__URL", raising=False)
