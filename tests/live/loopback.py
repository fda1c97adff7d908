"""A loopback HTTP server recording JSON requests (webhook and Telegram stand-ins)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Loopback:
    """Answers every POST with ``status``/``body`` and records ``(path, json)``."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"ok": True, "result": {}})
    requests: list[tuple[str, Any]] = field(default_factory=list)
    port: int = 0
    _server: Any = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        path = lines[0].split()[1]
        length = next((int(h.split(":", 1)[1]) for h in lines if h.lower().startswith(
            "content-length")), 0)
        payload = json.loads(await reader.readexactly(length)) if length else None
        self.requests.append((path, payload))
        body = json.dumps(self.body).encode()
        writer.write(f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()
        writer.close()
