"""Headless Chromium driven over the DevTools protocol on a pipe (no extra dependency).

`--remote-debugging-pipe` makes Chromium read commands from fd 3 and write replies and
events to fd 4, each a JSON object ended by a NUL byte.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIMEOUT_SECONDS = 60.0

#: Returns, per <img>, whether it loaded and its natural size (0 for a broken image).
IMAGES_SCRIPT = (
    "JSON.stringify([...document.images].map(i => "
    "({src: i.src.slice(0, 40), complete: i.complete, width: i.naturalWidth})))"
)


@dataclass
class PageVisit:
    """What a page did: console errors, failed loads, its images, a screenshot."""

    console_errors: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    screenshot_png: bytes = b""
    requested: list[str] = field(default_factory=list)


class _Pipe:
    def __init__(self, process: subprocess.Popen[bytes], write_fd: int, read_fd: int) -> None:
        self.process, self.write_fd, self.read_fd = process, write_fd, read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.read_fd], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("Chromium did not answer over the DevTools pipe")
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        decoded: dict[str, Any] = json.loads(message)
        return decoded

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        command: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self.write_fd, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while True:
            message = self._read_message(deadline)
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._read_message(deadline))


def _errors_of(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(json.dumps(params.get("args")))
        elif method == "Runtime.exceptionThrown":
            errors.append(json.dumps(params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(str(params["entry"].get("text")))
    return errors


def _as_fds_3_and_4(commands: int, replies: int) -> None:
    """In the child: the command pipe on fd 3, the reply pipe on fd 4 (copies first, so
    neither dup2 overwrites the other's source)."""
    commands_copy, replies_copy = os.dup(commands), os.dup(replies)
    os.dup2(commands_copy, 3)
    os.dup2(replies_copy, 4)


def visit(path: Path, width: int = 1000) -> PageVisit:
    """Open the file at `path` in headless Chromium; collect errors, images, a screenshot."""
    browser = shutil.which("chromium")
    assert browser, "Debian chromium is required (.ci/run installs it)"
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4),  # the child keeps these after preexec_fn put the pipes there
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: _as_fds_3_and_4(to_browser_r, from_browser_w),
        )  # fmt: skip
        os.close(to_browser_r)
        os.close(from_browser_w)
        pipe = _Pipe(process, to_browser_w, from_browser_r)
        try:
            return _drive(pipe, path, width)
        finally:
            try:
                pipe.call("Browser.close")
                process.wait(timeout=30)
            except (OSError, RuntimeError, TimeoutError, subprocess.TimeoutExpired):
                process.kill()
                process.wait(timeout=30)
            os.close(to_browser_w)
            os.close(from_browser_r)


def _drive(pipe: _Pipe, path: Path, width: int) -> PageVisit:
    target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
    session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        pipe.call(f"{domain}.enable", session)
    pipe.call(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=width,
        height=800,
        deviceScaleFactor=1,
        mobile=False,
    )
    pipe.events.clear()
    pipe.call("Page.navigate", session, url=path.resolve().as_uri())
    pipe.wait_for("Page.loadEventFired")
    found = pipe.call("Runtime.evaluate", session, expression=IMAGES_SCRIPT, returnByValue=True)
    size = pipe.call("Page.getLayoutMetrics", session)["cssContentSize"]
    shot = pipe.call(
        "Page.captureScreenshot",
        session,
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    )
    requested = [
        str(e["params"]["request"]["url"])[:60]
        for e in pipe.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    return PageVisit(
        console_errors=_errors_of(pipe.events),
        images=json.loads(found["result"]["value"]),
        screenshot_png=base64.b64decode(shot["data"]),
        requested=requested,
    )
