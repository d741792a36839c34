"""The Slack app manifest we ship, filled in for one server (or for Socket Mode)."""

from __future__ import annotations

import re
from importlib.resources import files

import yaml

__all__ = ["EXAMPLE_HOST", "manifest_text", "render_manifest"]

EXAMPLE_HOST = "https://quiet-hours.example.org"


def manifest_text() -> str:
    """The manifest as shipped (``deploy/slack/manifest.yml`` links to the same file)."""
    return files("adapters.slack").joinpath("manifest.yml").read_text(encoding="utf-8")


def render_manifest(url: str | None = None, *, socket_mode: bool = False) -> str:
    """The manifest for a server at ``url`` (``https://host[:port]``), or for Socket Mode.

    Comments are kept; the result is checked to still parse. With Socket Mode Slack needs no
    request URLs (events and interactions arrive over the socket) but OAuth still redirects to
    a URL when one is given.
    """
    text = manifest_text()
    if url is not None:
        base = url.rstrip("/")
        if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d+)?(/[\w./-]*)?", base):
            raise ValueError("the URL must look like https://host.example.org")
        text = text.replace(EXAMPLE_HOST, base)
    if socket_mode:
        lines = []
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith(("request_url:", "url:")):
                continue
            if stripped == "socket_mode_enabled: false":
                line = line.replace("false", "true")
            lines.append(line)
        text = "\n".join(lines) + "\n"
        if url is None:  # no public URL at all: single workspace, installed from the app page
            text = re.sub(r"  redirect_urls:\n(    - .*\n)+", "", text)
    yaml.safe_load(text)
    return text
