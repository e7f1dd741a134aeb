"""What the browser tests share: Debian's Chromium for Playwright, a server in a thread, the screenshot folder."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's Chromium, installed by ``scripts/ensure-chromium.sh`` when missing (as root); None without it."""
    script = ROOT / "scripts" / "ensure-chromium.sh"
    if not script.exists():
        return None
    found = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False).stdout.strip()
    return found if found and os.access(found, os.X_OK) else None


@contextmanager
def served(app: Any, what: str) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on 127.0.0.1 and a free port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail(f"{what} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def screenshot_folder(tmp_path: Path) -> Path:
    """``docs/screenshots`` when ``CTDX_SCREENSHOTS=1`` (to refresh the README's pictures), else a temporary one."""
    folder = ROOT / "docs" / "screenshots" if os.environ.get("CTDX_SCREENSHOTS") == "1" else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
