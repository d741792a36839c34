"""HTTP/1.1 written by hand: headers and bodies no well-behaved client would send.

Used to check what a route answers *before* it has read a body (the client sends only the start
of it), and to send arbitrary header bytes (non-ASCII, duplicated, huge).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

__all__ = ["raw_request", "status_of"]


async def raw_request(
    url: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    *,
    length: int | None = None,
    wait: float = 10,
) -> bytes:
    """POST ``body`` (announced as ``length`` bytes; by default its own length) and return the
    response's status line (empty when the server closed without answering)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = [f"POST {parts.path} HTTP/1.1".encode(), f"Host: {parts.netloc}".encode()]
    head.append(b"Content-Length: " + str(len(body) if length is None else length).encode())
    head += [name + b": " + value for name, value in headers]
    try:
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), wait)
    except ConnectionError:
        return b""
    finally:
        writer.close()


def status_of(status_line: bytes) -> int | None:
    """``HTTP/1.1 401 Unauthorized`` -> 401."""
    parts = status_line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
