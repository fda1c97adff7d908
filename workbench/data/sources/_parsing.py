"""Wire-struct conversion shared by the sources' parse modules."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from workbench.errors import SchemaError

__all__ = ["convert"]

T = TypeVar("T")


def convert(body: Any, typ: type[T], *, source: str) -> T:
    """Convert a decoded JSON body to the wire struct ``typ``.

    Raises:
        SchemaError: a field is missing or has the wrong type, naming the field path.
    """
    try:
        return msgspec.convert(body, typ, strict=False)
    except msgspec.ValidationError as exc:
        text = repr(body)
        raise SchemaError(
            f"{source} payload does not match its schema: {exc}. The API may have changed; "
            "record the new response as a fixture and update the schema.",
            source=source,
            payload=text if len(text) < 300 else text[:300] + "...",
        ) from exc
