"""The README starts with the two set-up commands and documents every setting."""

from __future__ import annotations

from pathlib import Path

from workbench.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_two_commands_come_first() -> None:
    """`make run` and `make test` are the first thing a reader sees."""
    head = README.split("\n## ", 1)[0]
    assert "make run" in head and "make test" in head


def test_every_setting_is_documented() -> None:
    """The configuration reference in the README is the current one."""
    assert Settings.reference() in README
