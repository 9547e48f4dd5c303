"""The ecosystem page in a real browser (Debian's Chromium through Playwright, waitress) on the
KTH index: the network is drawn from this site alone, a click on an actor opens its page,
and the same actors and links are tables that work without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.test_browser import (  # noqa: F401 (fixtures)
    browser,
    context,
    page,
    screenshot,
    serve_site,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(kth_home: Path) -> Iterator[str]:
    yield from serve_site(kth_home)


def test_the_network_is_drawn_and_a_click_opens_an_actor(
    page: Page,  # noqa: F811 (the fixture of tests.test_browser)
    base_url: str,
) -> None:
    asked: list[str] = []

    def on_request(request: Request) -> None:
        asked.append(request.url)

    page.on("request", on_request)
    page.goto(f"{base_url}/search?q=batteri&lang=en")
    page.get_by_test_id("ecosystem-link").click()
    expect(page).to_have_url(re.compile(r"/ecosystem\?q=batteri"))
    graph = page.get_by_test_id("graph")
    expect(graph).to_have_attribute("data-drawn", re.compile(r"^\d+$"), timeout=30_000)
    drawn = int(graph.get_attribute("data-drawn") or 0)
    rows = page.get_by_test_id("eco-nodes").locator("tbody tr")
    assert drawn == rows.count() > 20  # the graph's nodes are the table's actors
    assert page.locator("#graph canvas").count() >= 1
    types = page.evaluate(
        "Array.from(new Set(window.researchIndexGraph.nodes().map(n => n.data('type'))))"
    )
    assert {"funder", "organisation", "person"} <= set(types)
    # the force layout ran in a Web Worker (the page stays responsive while it settles)
    assert graph.get_attribute("data-layout-by") == "worker"
    assert any(u.endswith("/static/ecosystem-layout.js") for u in asked)
    screenshot(page, "ecosystem.png")

    # hover shows an actor's figures; a click opens its page (KTH: its organisation page)
    graph.scroll_into_view_if_needed()
    # Cytoscape keeps the canvas's place on the page and learns of a scroll from the scroll
    # event: give it a moment, and move the mouse again if the first move came too soon
    tip = page.get_by_test_id("graph-tip")
    for _ in range(5):
        page.wait_for_timeout(250)
        box = graph.bounding_box()
        assert box is not None
        where = page.evaluate(
            """() => {
              const cy = window.researchIndexGraph;
              const n = cy.getElementById('organisation:202100-3054');
              n.style('z-index', 9999);  // above any actor the layout put on top of it
              cy.center(n);
              const p = n.renderedPosition();
              return [p.x, p.y];
            }"""
        )
        x, y = box["x"] + where[0], box["y"] + where[1]
        page.mouse.move(box["x"] + 2, box["y"] + 2)
        page.mouse.move(x, y, steps=4)
        if "KTH" in tip.inner_text():
            break
    expect(tip).to_contain_text("KTH, Royal Institute of Technology")
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(r"/org/202100-3054$"))

    outside = {urlsplit(u).netloc for u in asked} - {urlsplit(base_url).netloc}
    assert not outside, outside  # no CDN, no font service: nothing leaves the site


def test_the_layout_falls_back_when_workers_are_missing_or_broken(
    browser: Browser,  # noqa: F811
    base_url: str,
) -> None:
    """Without Web Workers the force layout runs on the page, a few steps per frame; a worker
    that cannot load leaves the first picture (rings by weight) standing."""
    for how, prepare in (("page", "no-worker"), ("first", "broken-worker")):
        ctx = browser.new_context(locale="en-GB")
        if prepare == "no-worker":
            ctx.add_init_script("delete window.Worker;")
        else:
            ctx.route("**/static/ecosystem-layout.js", lambda route: route.fulfill(status=404))
        tab = ctx.new_page()
        try:
            tab.goto(f"{base_url}/ecosystem?q=batteri&lang=en&top=40")
            graph = tab.get_by_test_id("graph")
            expect(graph).to_have_attribute("data-drawn", "40", timeout=30_000)
            assert graph.get_attribute("data-layout-by") == how
        finally:
            ctx.close()


def test_a_leader_in_the_results_opens_their_person_page(
    page: Page,  # noqa: F811
    base_url: str,
) -> None:
    page.goto(f"{base_url}/search?q=batteri&lang=en")
    leader = page.get_by_test_id("leaders").first.get_by_role("link").first
    name = leader.inner_text()
    leader.click()
    expect(page).to_have_url(re.compile(r"/person/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_test_id("person-projects").locator("li").first).to_be_visible()
    expect(page.get_by_test_id("person-role").first).to_be_visible()
    page.get_by_test_id("person-network").click()
    expect(page).to_have_url(re.compile(r"/ecosystem\?person="))
    graph = page.get_by_test_id("graph")
    expect(graph).to_have_attribute("data-drawn", re.compile(r"^\d+$"), timeout=30_000)
    assert page.evaluate("window.researchIndexGraph.nodes().some(n => n.data('type') === 'person')")


def test_the_view_form_and_the_tables_work_without_javascript(
    browser: Browser,  # noqa: F811
    base_url: str,
) -> None:
    plain = browser.new_context(java_script_enabled=False, locale="en-GB")
    tab = plain.new_page()
    try:
        tab.goto(f"{base_url}/ecosystem?q=batteri&lang=en")
        expect(tab.get_by_test_id("eco-nodes")).to_be_visible()
        expect(tab.get_by_test_id("graph")).not_to_have_attribute("data-drawn", re.compile("."))
        tab.get_by_label("Person").uncheck()
        tab.get_by_label("Subject group").uncheck()
        tab.get_by_label("Most actors").fill("10")
        tab.get_by_role("button", name="Show the network").click()
        expect(tab).to_have_url(re.compile(r"top=10"))
        assert "q=batteri" in tab.url
        rows = tab.get_by_test_id("eco-nodes").locator("tbody tr")
        expect(rows).to_have_count(10)
        cells = tab.get_by_test_id("eco-nodes").locator("tbody td:nth-child(2)")
        types = set(cells.all_inner_texts())
        assert types <= {"Organisation", "Funder", "Facility"}
        expect(tab.get_by_test_id("eco-cut")).to_contain_text("Showing the 10 heaviest of")
        expect(tab.get_by_test_id("eco-edges").locator("tbody tr").first).to_be_visible()
        first = tab.get_by_test_id("eco-nodes").locator("tbody th a").first
        first.click()
        expect(tab).not_to_have_url(re.compile(r"/ecosystem"))
    finally:
        plain.close()
