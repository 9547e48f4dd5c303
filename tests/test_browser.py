"""The site in a real browser: Debian's Chromium driven by Playwright, against the real WSGI
server (waitress, as ``research-index serve`` runs it) on the KTH index.

Search, facets, paging, the project page, the language switch and its cookie, the CSV
download, the statistics chart, the keyboard, JavaScript switched off and a phone-sized
screen. Full-page screenshots go to ``tests/artifacts/`` (ignored by git) for a person to look
at. Chromium must be at /usr/bin/chromium (``.ci/run`` installs it): without it these tests
fail, they never skip.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import waitress
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    expect,
    sync_playwright,
)
from waitress import wasyncore

from webapp import create_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def base_url(kth_home: Path) -> Iterator[str]:
    yield from serve_site(kth_home)


def serve_site(home: Path) -> Iterator[str]:
    """The site of the data folder ``home`` on waitress on a free port of 127.0.0.1, served
    from a thread, until the generator is closed."""
    app = create_app({"INDEX_DIR": str(home / "index"), "HOME_DIR": str(home)})
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(10)
    wasyncore.close_all(server._map)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's chromium "
            "(apt-get update && apt-get install -y --no-install-recommends chromium; "
            ".ci/run does this)",
            pytrace=False,
        )
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails its test on a script error, a console error (a CSP violation is one)
    or a failed request (Chromium's own /favicon.ico aside)."""
    p = context.new_page()
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(msg.text)

    def on_response(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.url}")

    p.on("console", on_console)
    p.on("response", on_response)
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    assert not errors, errors


def total(page: Page) -> int:
    return int(re.sub(r"\D", "", page.get_by_test_id("total").inner_text()))


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_search_tick_and_untick_a_facet_then_page(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.locator("#q").fill("klimat")
    page.locator("#q").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=klimat"))
    everything = total(page)
    assert everything > 100
    expect(page.locator("li.hit")).to_have_count(20)
    expect(page.get_by_test_id("apply-sort")).to_be_visible()  # the sort waits for its button
    screenshot(page, "search.png")

    first = page.locator("section.facet[data-facet=funder] a.fv").first
    value = first.get_attribute("data-value")
    count = int(re.sub(r"\D", "", first.locator(".count").inner_text()))
    expect(first).not_to_have_attribute("aria-current", "true")
    expect(first).to_contain_text("Add filter Funder:")  # what the link does, for a reader
    first.click()
    expect(page).to_have_url(re.compile(rf"funder={re.escape(value or '')}"))
    ticked = page.locator(f"section.facet[data-facet=funder] a[data-value='{value}']")
    expect(ticked).to_have_attribute("aria-current", "true")
    expect(ticked).to_contain_text("Remove filter Funder:")
    assert total(page) == count < everything
    ticked.click()
    expect(page).not_to_have_url(re.compile("funder="))
    assert total(page) == everything

    page.get_by_test_id("next").click()
    expect(page).to_have_url(re.compile("page=2"))
    expect(page.locator("ol.hits")).to_have_attribute("start", "21")
    page.get_by_test_id("prev").click()
    expect(page.locator("ol.hits")).to_have_attribute("start", "1")
    expect(page.get_by_test_id("prev")).to_have_count(0)


def test_a_hit_opens_its_project_page(page: Page, base_url: str) -> None:
    page.goto(base_url + "/search?q=batteri")
    link = page.locator("li.hit a.title").first
    title = link.inner_text().strip()
    link.click()
    expect(page.get_by_test_id("project")).to_be_visible()
    expect(page.locator("h1")).to_contain_text(title)
    assert page.locator("table.fundings tbody tr").count() >= 1
    expect(page.locator("table.fundings th").first).to_have_text("Funder")


def test_the_language_switch_is_remembered(page: Page, context: BrowserContext, base_url: str):  # type: ignore[no-untyped-def]
    page.goto(base_url + "/search?q=klimat")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("label[for=q]")).to_have_text("Search projects")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("label[for=q]")).to_have_text("Sök projekt")
    expect(page.locator("section.facet[data-facet=funder] h3")).to_have_text("Finansiär")
    assert {c["name"]: c["value"] for c in context.cookies()}.get("lang") == "sv"
    page.goto(base_url + "/search?q=energi")  # no lang in the URL: the cookie decides
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_test_id("next")).to_contain_text("Nästa")
    page.locator("li.hit a.title").first.click()
    expect(page.locator("table.fundings th").first).to_have_text("Finansiär")


def test_the_csv_download(page: Page, base_url: str) -> None:
    page.goto(base_url + "/search?q=klimat&status=finished")
    expected = total(page)
    with page.expect_download() as info:
        page.get_by_test_id("csv").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:5] == ["id", "source", "title", "title_lang", "status"]
    assert len(rows) - 1 == expected
    assert {r[4] for r in rows[1:]} == {"finished"}


def test_the_statistics_page_draws_charts(page: Page, base_url: str) -> None:
    page.goto(base_url + "/stats?q=klimat")
    chart = page.locator("figure.chart svg[role=img]").first
    expect(chart).to_be_visible()
    bars = chart.locator("rect.bar")
    assert bars.count() >= 3
    box = bars.first.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0
    assert page.locator("figure.chart svg[role=img]").count() >= 4
    screenshot(page, "stats.png")


def test_keyboard_only(page: Page, base_url: str) -> None:
    page.goto(base_url + "/search?q=klimat")

    def tab_to(selector: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline == "solid", f"no visible focus on {selector}"
                return
        pytest.fail(f"Tab never reached {selector}")

    tab_to("#q")
    page.keyboard.press("Control+A")
    page.keyboard.type("energi")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=energi"))
    tab_to("section.facet a.fv")
    name = page.evaluate("document.activeElement.closest('section.facet').dataset.facet")
    value = page.evaluate("document.activeElement.dataset.value")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"{name}={re.escape(value)}"))
    ticked = page.locator(f"section.facet[data-facet={name}] a[data-value='{value}']")
    expect(ticked).to_have_attribute("aria-current", "true")


def test_search_and_filter_work_without_javascript(browser: Browser, base_url: str) -> None:
    ctx = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = ctx.new_page()
        page.goto(base_url + "/")
        page.locator("#q").fill("klimat")
        page.locator("#q").press("Enter")
        expect(page).to_have_url(re.compile(r"q=klimat"))
        before = total(page)
        page.locator("section.facet[data-facet=org_type] a.fv").first.click()
        expect(page).to_have_url(re.compile("org_type="))
        assert 0 < total(page) < before
        page.locator("#sort").select_option("amount_desc")
        apply = page.get_by_test_id("apply-sort")
        expect(apply).to_be_visible()
        apply.click()
        expect(page).to_have_url(re.compile("sort=amount_desc"))
        expect(page).to_have_url(re.compile("org_type="))
    finally:
        ctx.close()


def test_a_phone_sized_screen_shows_the_results(browser: Browser, base_url: str) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    try:
        page = ctx.new_page()
        page.goto(base_url + "/search?q=klimat")
        hit = page.locator("li.hit").first
        expect(hit).to_be_visible()
        box = hit.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["y"] < 844, "results should come before the filters on a phone"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "search-phone.png")
    finally:
        ctx.close()
