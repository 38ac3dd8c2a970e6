"""A real browser for the console's tests: Debian's Chromium driven by Playwright for Python
(its major version matching Chromium's), started as this machine allows (no sandbox as root, no
background traffic on a closed network). `make test` installs Chromium when it is missing."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from playwright.async_api import TimeoutError as PlaywrightTimeout

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError(
            "Chromium is not installed: `make test` installs it (scripts/install-chromium.sh), "
            "or set CHROMIUM_PATH"
        )
    return path


async def launch(playwright: Any) -> Any:
    return await playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)


async def shoot(page: Any, name: str) -> None:
    """A screenshot for people reading the run (tests/artifacts/, not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    # pictures still loading would be missing from the screenshot (a live page never goes idle)
    with contextlib.suppress(PlaywrightTimeout):
        await page.wait_for_function(
            "Array.from(document.images).every(i => i.complete)", timeout=3000
        )
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def sign_in(page: Any, base: str, email: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state("domcontentloaded")


async def overflow_px(page: Any) -> int:
    """How far the page is wider than the screen (0: nothing to scroll sideways)."""
    return int(
        await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )
