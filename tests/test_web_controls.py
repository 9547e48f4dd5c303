"""The search page's controls for every user (issue 21), through Flask's test client on the
KTH index: the way back to a search, long facets opened in place with a filter box, the
subject tree, the amount and status-date controls with their chips, the home page's account
of what the site holds, and the export's row count for its progress message."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient

from indexer.service import SearchRequest


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.data[:300])
    return response.get_data(as_text=True)


def total(html: str) -> int:
    found = re.search(r'data-testid="total">([^<]+)<', html)
    assert found
    return int(re.sub(r"\D", "", found.group(1)))


def back_link(html: str) -> str:
    found = re.search(r'<a href="([^"]+)" data-testid="back">', html)
    assert found, "no back link"
    return unescape(found.group(1))


# -- the way back ---------------------------------------------------------------------------


def test_a_result_link_carries_the_search_and_its_page_leads_back(client: FlaskClient) -> None:
    search = "/search?q=klimat&funder=202100-5208&sort=amount_desc&lang=en"
    html = page(client, search)
    link = re.search(r'<a class="title" href="(/project/[^"]+)"', html)
    assert link
    project_url = unescape(link.group(1))
    assert "back=" in project_url
    project = page(client, project_url)
    back = back_link(project)
    assert urlsplit(back).path == "/search"
    assert sorted(parse_qsl(urlsplit(back).query)) == sorted(
        [("q", "klimat"), ("funder", "202100-5208"), ("sort", "amount_desc")]
    )  # the language stays the visitor's choice, kept by the cookie
    # on: to the coordinating organisation and the funder, and back to the same search
    org = re.search(r'href="(/org/[^"]+)"', project)
    funder = re.search(r'href="(/funder/[^"]+)"', project)
    assert org and funder
    for url in (unescape(org.group(1)), unescape(funder.group(1))):
        assert back_link(page(client, url)) == back
    # the language switch of the project page keeps it too
    switch = re.search(r'href="([^"]+)" hreflang="sv"', project)
    assert switch and "back=" in switch.group(1)


def test_without_a_kept_search_back_is_the_plain_search(client: FlaskClient) -> None:
    assert back_link(page(client, "/project/swecris/2019-00037_Formas")) == "/search"


def test_a_facility_asked_for_as_a_project_keeps_the_way_back(client: FlaskClient) -> None:
    html = page(client, "/search?kind=facility&lang=en")
    link = re.search(r'<a class="title" href="/facility/([^"?]+)', html)
    assert link
    kept = "?lang=sv&back=q%3Dklimat"
    response = client.get(f"/project/{link.group(1)}{kept}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/facility/{link.group(1)}{kept}")


@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/?q=x",
        "//evil.example",
        "javascript:alert(1)",
        "q=<script>alert(1)</script>&x=\"'><svg onload=alert(1)>",
        "lang=sv&lang=xx&evil=1",
        "q=evil" + "x" * 5_000,  # cut at MAX_BACK: what is left is not trusted either
        "page=abc&q=evil",  # a search that would be a 400 is no way back
        "sort=evil&q=x",
    ],
)
def test_a_kept_search_can_only_lead_to_a_search_here(client: FlaskClient, back: str) -> None:
    from urllib.parse import quote

    response = client.get(f"/project/swecris/2019-00037_Formas?back={quote(back, safe='')}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    link = back_link(html)
    assert link == "/search" or link.startswith("/search?")
    assert "<script>" not in html and "onload=alert" not in html
    assert "evil" not in link


# -- long facets, opened in place ----------------------------------------------------------


def test_a_long_facet_offers_show_all_and_opens_with_a_filter_box(client: FlaskClient) -> None:
    html = page(client, "/search?q=klimat&lang=en")
    more = re.search(r'<a href="([^"]+)" data-open="org" data-testid="show-all-org">', html)
    assert more, "the organisation facet should offer to show all its values"
    url = unescape(more.group(1))
    assert url.endswith("#facet-org") and "open=org" in url
    shown = re.search(r"Show all \(([\d,]+) more\)", html)
    assert shown
    opened = page(client, "/search" + url.split("#")[0])
    opened_org = r'<section class="facet opened" data-facet="org".*?</section>'
    section = re.search(opened_org, opened, re.S)
    assert section, "the opened facet should be marked"
    values = re.findall(r'class="fv[^"]*" data-value="([^"]+)"', section.group(0))
    closed = re.search(r'<section class="facet" data-facet="org".*?</section>', html, re.S)
    assert closed
    assert len(values) == len(re.findall(r'class="fv', closed.group(0))) + int(
        shown.group(1).replace(",", "")
    )
    assert 'name="match"' in section.group(0) and "Show fewer" in section.group(0)
    assert total(opened) == total(html)  # opening a list changes no result
    # picking a value from the opened list keeps it open; opening keeps the page one is on
    picked = re.search(r'data-facet="org".*?<a href="([^"]+)" class="fv"', opened, re.S)
    assert picked and "open=org" in unescape(picked.group(1))
    second = page(client, "/search?q=klimat&page=2&lang=en")
    more = re.search(r'<a href="([^"]+)" data-open="org"', second)
    assert more and "page=2" in unescape(more.group(1))


def test_the_filter_box_narrows_the_organisations_by_folded_words(client: FlaskClient) -> None:
    for lang, words, wanted in (("sv", "GOTEBORG", "göteborg"), ("en", "gothenburg UNIV", "")):
        html = page(client, f"/search?q=klimat&open=org&match={words}&lang={lang}")
        section = re.search(r'data-facet="org".*?</section>', html, re.S)
        assert section
        labels = re.findall(r'</span>([^<]+)</span> <span class="count">', section.group(0))
        folded = [unescape(x).lower() for x in labels]
        assert folded and all((wanted or "gothenburg") in x for x in folded), labels
        assert f'value="{words}"' in section.group(0)  # the box shows what it narrows by
    none = page(client, "/search?q=klimat&open=org&match=zzzqqq&lang=en")
    assert "No value matches." in none and 'id="match-org"' in none  # the box stays
    assert page(client, "/search?q=klimat&open=nosuchfacet", status=400)
    assert page(client, "/search?q=klimat&open=org&match=" + "x" * 200).count("data-facet")


def test_the_service_opens_one_facet_in_full(kth_service) -> None:  # type: ignore[no-untyped-def]
    few = kth_service.search(SearchRequest(q="energi"))
    org = next(f for f in few.facets if f.name == "org")
    assert org.more > 0
    opened = kth_service.search(SearchRequest(q="energi", open_facet="org"))
    full = next(f for f in opened.facets if f.name == "org")
    assert len(full.values) == len(org.values) + org.more and full.more == 0
    assert [v.count for v in full.values] == sorted((v.count for v in full.values), reverse=True)
    matched = kth_service.search(SearchRequest(q="energi", open_facet="org", open_match="uppsala"))
    names = [v.label for v in next(f for f in matched.facets if f.name == "org").values]
    assert names and all("uppsala" in n.lower() for n in names)


# -- the subject tree ------------------------------------------------------------------------


def test_subjects_are_one_tree_that_opens_level_by_level(client: FlaskClient) -> None:
    html = page(client, "/search?q=energi&lang=en")
    tree = re.search(r'<section class="facet tree".*?</section>', html, re.S)
    assert tree
    areas = re.findall(r'<li class="node" data-facet="subject1">', tree.group(0))
    assert 3 <= len(areas) <= 8
    assert "<details><summary>" in tree.group(0)  # fields inside closed areas
    assert 'data-facet="subject5"' not in tree.group(0)  # subjects wait for a chosen field
    for level in ("subject1", "subject3", "subject5"):  # no flat lists beside the tree
        assert f'<section class="facet" data-facet="{level}"' not in html
    chosen = page(client, "/search?q=energi&subject1=2&subject3=203&lang=en")
    tree = re.search(r'<section class="facet tree".*?</section>', chosen, re.S)
    assert tree
    assert "<details open>" in tree.group(0)
    subjects = re.findall(r'data-facet="subject5">.*?data-value="(203\d\d)"', tree.group(0))
    assert subjects, "the chosen field should show its subjects"
    # a chosen field stays in the tree when nothing matches (no area has a count)
    nothing = page(client, "/search?q=zzzzqqqxx&subject3=102&lang=en")
    tree = re.search(r'<section class="facet tree".*?</section>', nothing, re.S)
    assert tree and 'data-value="102"' in tree.group(0)


# -- amount and date ------------------------------------------------------------------------


def test_amount_and_status_date_controls_filter_and_show_chips(client: FlaskClient) -> None:
    html = page(client, "/search?q=energi&lang=en")
    form = re.search(r'<form class="limits".*?</form>', html, re.S)
    assert form
    for field in ('name="amount_min"', 'name="amount_max"', 'name="on" type="date"'):
        assert field in form.group(0)
    everything = total(html)
    narrowed = page(client, "/search?q=energi&amount_min=5000000&amount_max=&on=2015-06-30")
    assert 0 < total(narrowed) < everything
    chips = re.findall(r'<a class="chip" href="([^"]+)"[^>]*>([^<]+)<', narrowed)
    labels = {unescape(label).strip(): unescape(url) for url, label in chips}
    assert "From 5,000,000 SEK" in labels and "Status on 2015-06-30" in labels
    assert "amount_min" not in labels["From 5,000,000 SEK"]
    assert "on=2015-06-30" in labels["From 5,000,000 SEK"]
    assert 'value="5000000"' in narrowed  # the control shows what is applied
    assert page(client, "/search?q=energi&amount_min=lots", status=400)


# -- the home page --------------------------------------------------------------------------


def test_the_home_page_says_what_the_site_holds(client: FlaskClient) -> None:
    html = page(client, "/?lang=en")
    assert html.count("<h1") == 1
    intro = re.search(r'data-testid="coverage">(.*?)</section>', html, re.S)
    assert intro
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", unescape(intro.group(1))))
    projects = re.search(r"([\d,]+) research projects, funded (\d{4})–(\d{4})", text)
    assert projects, text
    blank = page(client, "/search?kind=project&lang=en")
    assert int(projects.group(1).replace(",", "")) == total(blank)
    assert "SweCRIS" in text
    assert re.search(r"\d+ % of the projects involve KTH", text), text
    assert 'data-testid="coverage"' not in page(client, "/search?q=klimat")


# -- exports -------------------------------------------------------------------------------


def test_the_csv_says_how_many_rows_it_will_have(client: FlaskClient) -> None:
    html = page(client, "/search?q=klimat&lang=en")
    response = client.get("/search.csv?q=klimat")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert int(response.headers["X-Total-Count"]) == len(rows) - 1 == total(html)
    assert 'data-prepare="csv"' in html and 'role="status"' in html
    org = page(client, "/org/202100-3054")  # KTH's CSV is a long one too
    assert 'data-testid="org-csv" data-prepare="csv"' in org and 'role="status"' in org
    response = client.get("/org/202100-3054.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert int(response.headers["X-Total-Count"]) == len(rows) - 1


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/search?q=klimat",
        "/project/swecris/2019-00037_Formas",
        "/org/202100-3054",
        "/funder/202100-5232",
        "/stats?q=klimat",
        "/status",
        "/ecosystem?q=klimat",
    ],
)
def test_every_page_has_one_h1_and_a_skip_link(client: FlaskClient, url: str) -> None:
    html = page(client, url)
    assert html.count("<h1") == 1, url
    skip = re.search(r'<a class="skip" href="#(\w+)">', html)
    assert skip and f'id="{skip.group(1)}"' in html
