"""Every page type at a phone's and a desktop's width, by keyboard and with a screen reader's
eyes (issue 21): Debian's Chromium through Playwright, on the site ``up --from ../shared/data``
serves (waitress).

At 320, 390 and 1366 px, each page type (home, search, project, facility, organisation,
statistics and its cross table, status, error; funder, person and ecosystem too) is as wide
as the screen (no sideways scrolling) and axe-core (the copy axe-playwright-python ships)
finds no serious or critical violation of WCAG 2.1 A/AA or of its best practices, nor a
moderate one of the page's structure (heading order, landmarks, the skip link).
Full-page screenshots go to a temporary folder (its path is printed) for a person to look at.
The keyboard test goes from the home page to a filtered search, a project and back to the same
search with Tab, Enter and Space only; others try the phone's Filters button, a long facet
opened in place with its filter box, and a download that says it is being prepared.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.test_browser import (  # noqa: F401 (fixtures)
    browser,
    serve_site,
    total,
)

pytestmark = pytest.mark.browser

WIDTHS = {"small": (320, 640), "phone": (390, 844), "desktop": (1366, 900)}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")
# moderate findings that are structure, not taste: they gate too
STRUCTURE = ("heading-order", "landmark-unique", "page-has-heading-one", "landmark-one-main")
STRUCTURE += ("region", "skip-link", "landmark-no-duplicate-banner")


@pytest.fixture(scope="module")
def base_url(full_home: Path) -> Iterator[str]:
    yield from serve_site(full_home)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots of every page type: {folder}")
    return folder


@pytest.fixture(scope="module")
def urls(base_url: str, browser: Browser) -> dict[str, str]:  # noqa: F811
    """One address of each page type, found the way a visitor finds them."""
    ctx = browser.new_context()
    p = ctx.new_page()
    p.goto(f"{base_url}/search?q=klimat&lang=en")
    project = p.locator("li.hit a.title[href^='/project/']").first.get_attribute("href")
    org = p.locator("li.hit .meta a[href^='/org/']").first.get_attribute("href")
    funder = p.locator("li.hit .meta a[href^='/funder/']").first.get_attribute("href")
    person = p.locator("li.hit .leaders a[href^='/person/']").first.get_attribute("href")
    p.goto(f"{base_url}/search?q=synkrotron&kind=facility&lang=en")
    facility = p.locator("li.hit a.title[href^='/facility/']").first.get_attribute("href")
    ctx.close()
    assert project and org and facility and funder and person
    return {
        "home": "/",
        "search": "/search?q=klimat&year=2020",
        "project": project,
        "facility": facility,
        "organisation": org,
        "funder": funder,
        "person": person,
        "ecosystem": "/ecosystem?q=klimat",
        "statistics": "/stats?q=klimat",
        "cross-table": "/stats?by=year&by=funder",
        "status": "/status",
        "error": "/project/swecris/no-such-project",
    }


@contextmanager
def screen_page(browser: Browser, width: int, height: int, **kw: Any) -> Iterator[Page]:  # noqa: F811
    """A page in a fresh context with a screen of ``width`` x ``height``, closed after."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB", **kw)
    ctx.set_default_timeout(15_000)
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


@pytest.mark.parametrize("screen", WIDTHS)
@pytest.mark.parametrize(
    "kind",
    ["home", "search", "project", "facility", "organisation", "statistics", "cross-table"]
    + ["status", "error", "funder", "person", "ecosystem"],
)
def test_every_page_type_fits_the_screen_and_passes_axe(
    browser: Browser,  # noqa: F811
    base_url: str,
    urls: dict[str, str],
    shots: Path,
    kind: str,
    screen: str,
) -> None:
    width, height = WIDTHS[screen]
    with screen_page(browser, width, height) as p:
        response = p.goto(base_url + urls[kind])
        assert response and response.status == (404 if kind == "error" else 200)
        document = p.evaluate("document.documentElement.scrollWidth")
        wide = p.evaluate(
            """(w) => [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > w + 1)
                 .slice(0, 3).map(e => e.tagName + '.' + e.className)""",
            width,
        )
        assert document == width, f"{kind} is {document} px wide at {width} px: {wide}"
        expect(p.locator("h1")).to_have_count(1)
        expect(p.locator("main")).to_have_count(1)
        results = Axe().run(p, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        blocking = [
            (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]])
            for v in results.response["violations"]
            if v["impact"] in BLOCKING or v["id"] in STRUCTURE
        ]
        assert not blocking, f"{kind} at {width} px: {blocking}"
        assert results.response["passes"], "axe-core checked nothing"
        path = shots / f"{kind}-{width}.png"
        p.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000


def test_axe_finds_a_violation_when_there_is_one(browser: Browser, base_url: str) -> None:  # noqa: F811
    """The check above can fail: the same run flags an image link without a name."""
    with screen_page(browser, 1366, 900) as p:
        p.goto(base_url + "/")
        p.evaluate(
            """() => { const a = document.createElement('a'); a.href = '/';
                       a.innerHTML = '<svg width="20" height="20"></svg>';
                       document.querySelector('main').append(a); }"""
        )
        results = Axe().run(p, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        ids = {v["id"] for v in results.response["violations"] if v["impact"] in BLOCKING}
        assert "link-name" in ids


# -- the keyboard ---------------------------------------------------------------------------


def focused(p: Page, selector: str) -> bool:
    return bool(p.evaluate("(s) => document.activeElement.matches(s)", selector))


def tab_to(p: Page, selector: str, limit: int = 200) -> None:
    """Tab (only Tab) until ``selector`` has the focus, which must be visible."""
    for _ in range(limit):
        p.keyboard.press("Tab")
        if focused(p, selector):
            style = p.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert style != "none", f"the focus on {selector} is invisible"
            return
    pytest.fail(f"{limit} presses of Tab never reached {selector}")


def test_keyboard_only_from_home_to_a_filtered_search_a_project_and_back(
    browser: Browser,  # noqa: F811
    base_url: str,
) -> None:
    with screen_page(browser, 1366, 900) as p:
        p.goto(f"{base_url}/?lang=en")
        tab_to(p, "#q")
        p.keyboard.type("klimat")
        p.keyboard.press("Enter")
        expect(p).to_have_url(re.compile(r"/search\?q=klimat"))
        everything = total(p)
        # the skip link goes past the filters to the results
        p.keyboard.press("Tab")
        assert focused(p, "a.skip")
        # a funder filter, by Tab and Enter
        tab_to(p, "section.facet[data-facet=funder] a.fv")
        value = p.evaluate("document.activeElement.dataset.value")
        p.keyboard.press("Enter")
        expect(p).to_have_url(re.compile(rf"funder={re.escape(value)}"))
        filtered = total(p)
        assert 0 < filtered < everything
        # the sort list: arrows choose, nothing happens until its button is pressed (Space)
        tab_to(p, "#sort")
        p.evaluate("window.sameDocument = true")
        p.keyboard.press("ArrowDown")
        p.wait_for_timeout(500)
        assert p.evaluate("window.sameDocument === true"), "the sort list left the page"
        p.keyboard.press("Tab")
        assert focused(p, "[data-testid=apply-sort]")
        p.keyboard.press("Space")
        expect(p).to_have_url(re.compile(r"sort=start_desc"))
        search_url = p.url
        state = sorted(parse_qsl(urlsplit(search_url).query))
        # the first result, by Tab and Enter
        tab_to(p, "li.hit a.title")
        p.keyboard.press("Enter")
        expect(p).to_have_url(re.compile(r"/(project|facility)/"))
        expect(p.locator("h1")).to_have_count(1)
        # and back to the very same search
        p.keyboard.press("Tab")  # the skip link first
        tab_to(p, "[data-testid=back]")
        p.keyboard.press("Enter")
        expect(p).to_have_url(re.compile(r"/search\?"))
        assert sorted(parse_qsl(urlsplit(p.url).query)) == [x for x in state if x[0] != "lang"]
        assert total(p) == filtered
        ticked = p.locator(f"section.facet[data-facet=funder] a[data-value='{value}']")
        expect(ticked).to_have_attribute("aria-current", "true")


# -- a phone --------------------------------------------------------------------------------


def test_on_a_phone_the_filters_open_from_a_button_above_the_results(
    browser: Browser,  # noqa: F811
    base_url: str,
    shots: Path,
) -> None:
    with screen_page(browser, 390, 844, is_mobile=True, has_touch=True) as p:
        p.goto(f"{base_url}/search?q=klimat&lang=en")
        button = p.get_by_test_id("filters-button")
        expect(button).to_be_visible()
        expect(button).to_have_attribute("aria-expanded", "false")
        box = button.bounding_box()
        assert box and box["y"] < 400, "the Filters button belongs at the top"
        hit = p.locator("li.hit").first.bounding_box()
        assert hit and hit["y"] < 844, "the first result shows on the first screen"
        expect(p.locator("#filters")).to_be_hidden()
        button.tap()
        expect(button).to_have_attribute("aria-expanded", "true")
        org_type = p.locator("section.facet[data-facet=org_type] a.fv").first
        expect(org_type).to_be_visible()
        assert p.evaluate("document.documentElement.scrollWidth") == 390
        p.screenshot(path=str(shots / "filters-open-390.png"), full_page=False)
        org_type.tap()
        expect(p).to_have_url(re.compile("org_type="))
        expect(p.get_by_test_id("filters-button")).to_contain_text("1 chosen")


def test_without_javascript_a_phone_reaches_the_filters_by_a_link(
    browser: Browser,  # noqa: F811
    base_url: str,
) -> None:
    with screen_page(browser, 390, 844, java_script_enabled=False) as p:
        p.goto(f"{base_url}/search?q=klimat&lang=en")
        expect(p.get_by_test_id("filters-button")).to_be_hidden()
        jump = p.locator("a.filters-jump")
        expect(jump).to_be_visible()
        jump.click()
        expect(p).to_have_url(re.compile("#filters$"))
        expect(p.locator("section.facet[data-facet=funder] a.fv").first).to_be_in_viewport()


# -- long facets ----------------------------------------------------------------------------


def test_show_all_opens_the_organisations_in_place_with_a_filter_box(
    browser: Browser,  # noqa: F811
    base_url: str,
) -> None:
    with screen_page(browser, 1366, 900) as p:
        p.goto(f"{base_url}/search?q=klimat&lang=en")
        p.evaluate("window.sameDocument = true")
        orgs = p.locator("section.facet[data-facet=org] li")
        few = orgs.count()
        p.get_by_test_id("show-all-org").click()
        box = p.locator("#match-org")
        expect(box).to_be_focused()
        assert orgs.count() > few
        assert p.evaluate("window.sameDocument === true"), "show all must open in place"
        expect(p).to_have_url(re.compile(r"open=org"))
        p.keyboard.type("uppsala")
        visible = p.locator("section.facet[data-facet=org] li:visible")
        expect(visible).to_have_count(1)
        expect(visible.first).to_contain_text("Uppsala")
        visible.first.locator("a").click()
        expect(p).to_have_url(re.compile(r"org="))
        expect(p.locator("a.chip")).to_contain_text("Uppsala")
        # the box narrows by the values' names, not by the words read out around them
        p.goto(f"{base_url}/search?q=klimat&lang=sv")
        p.get_by_test_id("show-all-org").click()
        expect(p.locator("#match-org")).to_be_focused()
        p.keyboard.type("lägg till")
        expect(p.locator("section.facet[data-facet=org] li:visible")).to_have_count(0)


def test_the_subject_tree_opens_level_by_level(browser: Browser, base_url: str) -> None:  # noqa: F811
    with screen_page(browser, 1366, 900) as p:
        p.goto(f"{base_url}/search?q=energi&lang=en")
        tree = p.locator("#facet-subjects")
        area = tree.locator("li.node[data-facet=subject1]").first
        fields = area.locator("li.node[data-facet=subject3]")
        expect(fields.first).to_be_hidden()
        area.locator("summary").first.focus()
        p.keyboard.press("Enter")
        expect(fields.first).to_be_visible()
        fields.first.locator("a.fv").first.click()
        expect(p).to_have_url(re.compile(r"subject3="))
        subjects = p.locator("#facet-subjects li.node[data-facet=subject5]")
        assert subjects.count() >= 1
        expect(subjects.first).to_be_visible()


# -- a download that says it is being prepared ----------------------------------------------


def test_the_csv_download_says_it_is_being_prepared(browser: Browser, base_url: str) -> None:  # noqa: F811
    with screen_page(browser, 1366, 900, accept_downloads=True) as p:
        p.goto(f"{base_url}/search?q=energi&lang=en")
        expected = total(p)
        status = p.get_by_test_id("preparing")
        p.evaluate(
            """() => { window.said = [];
                new MutationObserver(() => window.said.push(
                    document.querySelector('[data-testid=preparing]').textContent))
                .observe(document.querySelector('[data-testid=preparing]'),
                         {childList: true, characterData: true, subtree: true}); }"""
        )
        with p.expect_download() as info:
            p.get_by_test_id("csv-semicolon").click()
        expect(status).to_have_text(f"The file is ready: {expected} rows.")
        said = p.evaluate("window.said")
        assert said[0].startswith("Preparing the file"), said
        raw = Path(info.value.path()).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) - 1 == expected
        assert info.value.suggested_filename.endswith(".csv")
