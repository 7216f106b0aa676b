"""A real browser on the running app: headless Debian Chromium driven by Playwright.

Starts ``streamlit run app.py`` on a free port, loads the page, waits for the map (Leaflet
markers inside the map frame) and the timeline, changes the theme, waits for the new plan,
and saves a screenshot (its path is printed; ``HERITAGE_SCREENSHOT`` overrides it). The test
fails on a Streamlit exception box, an error message or an uncaught page error. It is skipped
only when no Chromium is installed (``.ci/run`` installs Debian's ``chromium``); Playwright
uses that binary, never a downloaded browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("HERITAGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 120
RENDER_TIMEOUT_MS = 180_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The app on a free local port; stopped (and its log shown on failure) afterwards."""
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited early:\n{(tmp_path / 'streamlit.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not become healthy in time")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def _map_frame(page: Page) -> Frame:
    deadline = time.monotonic() + RENDER_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "st_folium" in frame.url:
                return frame
        page.wait_for_timeout(250)
    raise AssertionError("no map frame")


def _wait_for_map(page: Page) -> int:
    """Wait until the map frame shows markers; returns how many.

    A rerun may replace the map's frame while we wait (the old one is detached): look again.
    """
    deadline = time.monotonic() + RENDER_TIMEOUT_MS / 1000
    while True:
        frame = _map_frame(page)
        try:
            frame.wait_for_selector(".leaflet-marker-icon", timeout=RENDER_TIMEOUT_MS)
            return frame.locator(".leaflet-marker-icon").count()
        except PlaywrightError as exc:
            if "detached" not in str(exc) or time.monotonic() > deadline:
                raise


def _assert_no_failure(page: Page, page_errors: list[str]) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, "exception on the page"
    errors = page.locator("[data-testid='stAlertContentError']")
    assert errors.count() == 0, errors.all_inner_texts()
    assert not page_errors, page_errors


def test_app_in_chromium(server: str, tmp_path: Path) -> None:
    shot = Path(os.environ.get("HERITAGE_SCREENSHOT") or tmp_path / "app.png")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 2200},
        )
        try:
            page = ctx.new_page()
            page_errors: list[str] = []
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(server, wait_until="domcontentloaded")
            timeline = page.locator(".st-key-timeline")
            timeline.wait_for(timeout=RENDER_TIMEOUT_MS)
            # the timeline fills in as the page streams: wait for the text, do not sample it
            expect(timeline).to_contain_text("第 1 天", timeout=RENDER_TIMEOUT_MS)
            assert _wait_for_map(page) >= 4  # lodging + stops
            _assert_no_failure(page, page_errors)

            # change the theme to 川剧 (Sichuan opera) in the sidebar
            page.locator(".st-key-theme").get_by_role("combobox").click()
            page.get_by_role("option", name="川剧", exact=True).click()
            page.get_by_role("heading", name="川剧 · 3 天").wait_for(timeout=RENDER_TIMEOUT_MS)
            page.locator(".st-key-timeline").wait_for(timeout=RENDER_TIMEOUT_MS)
            # the shareable link follows the rerun (query parameters are sent after the page)
            page.wait_for_url("**theme=sichuan-opera**", timeout=RENDER_TIMEOUT_MS)
            assert _wait_for_map(page) >= 2
            page.wait_for_timeout(1500)  # let the frame settle before the picture
            _assert_no_failure(page, page_errors)
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            assert shot.stat().st_size > 10_000
        finally:
            ctx.close()


#: a hostile link: a Markdown link and image, raw HTML, a Streamlit directive, a bare URL (each
#: value short enough to be repeated whole in the notice)
_PAYLOAD = {
    "start": "[点此领取免费门票](https://evil.example/phish)",
    "must": "![x](http://127.0.0.1:{port}/b.png)",
    "avoid": "<b>bold</b><img src=x onerror=alert(1)>",
    "mode": ":red[red] www.evil.example",
    "order[click](https://evil.example)": "x",
}


def test_hostile_link_shows_text_and_views_have_addresses(server: str, tmp_path: Path) -> None:
    """Markup in every parameter of a shared link is shown as text: no link, no image (the
    browser asks nothing of the image's host), no HTML element; then Streamlit's navigation
    opens another view at its own address with the trip's parameters kept."""
    image_port = _free_port()
    payload = {k: v.format(port=image_port) for k, v in _PAYLOAD.items()}
    query = urllib.parse.urlencode(payload | {"days": "2"})
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 1600},
        )
        try:
            page = ctx.new_page()
            page_errors: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{server}/?{query}", wait_until="domcontentloaded")
            alert = page.locator("[data-testid='stAlertContentWarning']")
            alert.first.wait_for(timeout=RENDER_TIMEOUT_MS)
            page.locator(".st-key-timeline").wait_for(timeout=RENDER_TIMEOUT_MS)
            assert alert.count() == 1
            shown = alert.inner_text().replace("\u2060", "")  # word joiners are invisible
            for value in payload.values():
                assert value in shown or value == "x", (value, shown)
            assert "order[click](https://evil.example)" in shown
            links = page.locator("a[href*='//evil.example'], a[href^='mailto:']")
            assert links.count() == 0, [a.get_attribute("href") for a in links.all()]
            assert page.locator("[data-testid='stAlertContentWarning'] a").count() == 0
            assert page.locator(f"img[src*='{image_port}'], img[src='x']").count() == 0
            assert alert.locator("b, img, span[style*='red']").count() == 0
            hosts = {urllib.parse.urlsplit(u).netloc for u in requests}
            assert not [h for h in hosts if h.endswith(f":{image_port}") or "evil" in h], hosts
            _assert_no_failure(page, page_errors)

            # Streamlit's own navigation: the site-card view at /sites, the trip kept
            page.get_by_role("link", name="遗址卡片").click()
            page.locator(".st-key-site-card").wait_for(timeout=RENDER_TIMEOUT_MS)
            page.wait_for_url("**/sites?**days=2**", timeout=RENDER_TIMEOUT_MS)
            _assert_no_failure(page, page_errors)
        finally:
            ctx.close()
