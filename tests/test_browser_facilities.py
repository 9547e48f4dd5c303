"""The facility registry in a real browser (Debian's Chromium through Playwright, waitress),
on the site ``up --from ../shared/data`` serves: a company's way from a search to a facility
it may use, to a project that used it, and the facility page on a phone and by keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.test_browser import (  # noqa: F401 (fixtures)
    browser,
    context,
    page,
    screenshot,
    serve_site,
    total,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(full_home: Path) -> Iterator[str]:
    yield from serve_site(full_home)


def test_a_company_finds_a_facility_open_to_it_and_a_project_that_used_it(
    page: Page,  # noqa: F811 (the fixture of tests.test_browser)
    base_url: str,
) -> None:
    page.goto(f"{base_url}/?lang=en")
    page.get_by_label("Search projects").fill("life science")
    page.get_by_role("button", name="Search").click()
    page.locator('[data-facet="kind"] a[data-value="facility"]').click()
    expect(page.get_by_test_id("noun")).to_have_text("facilities")
    before = total(page)
    page.locator('[data-facet="access"] a[data-value="companies"]').click()
    expect(page.locator('[data-facet="access"] a[data-value="companies"]')).to_have_attribute(
        "aria-current", "true"
    )
    after = total(page)
    assert 0 < after < before
    page.get_by_role("link", name="Science for Life Laboratory", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Science for Life Laboratory")
    expect(page.get_by_test_id("access-for")).to_contain_text("Companies and academia")
    linked = page.get_by_test_id("used-by").locator("li")
    assert linked.count() >= 10
    expect(linked.first.locator(".evidence")).to_contain_text(re.compile("SciLifeLab|Science"))
    screenshot(page, "facility-scilifelab.png")
    title = linked.first.locator("a").inner_text()
    linked.first.locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    facilities = page.get_by_test_id("facilities")
    expect(facilities.get_by_role("link", name="Science for Life Laboratory")).to_be_visible()


def test_the_facility_page_on_a_phone_and_by_keyboard(browser: Browser, base_url: str) -> None:  # noqa: F811
    ctx = browser.new_context(
        locale="sv-SE", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    p = ctx.new_page()
    p.goto(f"{base_url}/search?q=synkrotron&kind=facility")
    # the Swedish synchrotron at the top (beside a platform whose English title says
    # "synchrotron": the query also searches its translation)
    top = p.locator("ol.hits li.hit a.title")
    maxiv = top.filter(has_text="MAX IV Laboratory")
    expect(maxiv).to_have_count(1)
    assert "MAX IV Laboratory" in top.all_inner_texts()[:2]
    maxiv.focus()
    p.keyboard.press("Enter")
    expect(p.get_by_role("heading", level=1)).to_contain_text("MAX IV")
    expect(p.get_by_test_id("place")).to_contain_text("Sverige")
    width = p.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    expect(p.get_by_test_id("parts").locator("li").first).to_be_visible()
    screenshot(p, "facility-maxiv-phone.png")
    ctx.close()
