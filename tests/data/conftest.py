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
