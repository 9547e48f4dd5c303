"""A data folder of forged records: payloads where no importer would let them through.

``forged_home(path)`` writes the records of ``forged_records()`` straight into a record store
(as the ``swecris`` source, so the status page lists it), adds a failed run and a quarantined
row whose texts are payloads, and builds the index. The records put markup, formula and
``javascript:`` payloads into every field of the record model, including the ones the SweCRIS
importer never fills: source and facility URLs, ORCID, identifiers, keywords, acronyms, twin
and facility links, subject, award and funder codes. ``forged_urls()`` lists every page, feed,
download and API answer that shows them; ``FORGED_TEXTS`` the payloads a reader must see as
text.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from harvesters.core.config import load_config
from harvesters.core.records import (
    AwardType,
    Facility,
    Funding,
    Identifier,
    OrgRef,
    Person,
    Project,
    Ref,
    Subject,
    SubjectPath,
    Text,
)
from harvesters.store.database import RecordStore, RunCounts
from harvesters.store.quarantine import Quarantined
from indexer.building.build import build_index

SOURCE = "swecris"
JS = "javascript:alert(document.domain)"
P1 = 'P1"><script>alert(20)</script>'
T1 = "T1'><svg onload=alert(21)>"
F1 = 'F1"><img src=x onerror=alert(22)>'
ORG = "999999-0003"
TITLE_SV = "<img src=x onerror=alert(23)> Forskning"
TITLE_EN = "</title><script>alert(24)</script> Research"
ABSTRACT = "<script>alert(25)</script>\n\n<a href=javascript:alert(26)>klick</a> forskning"
COORDINATOR = "' onmouseover='alert(27)' x='"
FACILITY_NAME = '"><iframe src=javascript:alert(28)>'
CONTACT = "<a href=javascript:alert(29)>mail</a>"
RUN_ERROR = "<script>alert(30)</script> row 7: bad date"
QUARANTINE_REASON = '"><img src=x onerror=alert(31)> unreadable'
FORGED_TEXTS = (TITLE_SV, TITLE_EN, COORDINATOR, FACILITY_NAME, CONTACT, JS, RUN_ERROR)


def _text(payload: str) -> Text:
    return Text(sv=payload, en=payload)


def forged_records() -> list[Project | Facility]:
    award = AwardType(id='1"><b>', label=_text("<i>award</i>"))
    subject = SubjectPath(
        level1=Subject('1"><s>', _text("<s>area</s>")),
        level3=Subject("101<u>", _text("<u>group</u>")),
        level5=Subject("10101'", _text("'><marquee>subject")),
    )
    funder = OrgRef(id="=cmd|' /C calc'!A0", name=_text("+SUM(A1)"), type=_text("<b>funder</b>"))
    project = Project(
        source=SOURCE,
        source_id=P1,
        title=Text(sv=TITLE_SV, en=TITLE_EN),
        abstract=_text(ABSTRACT),
        start="2020-01-01",
        end="2030-12-31",
        coordinator=OrgRef(id=ORG, name=_text(COORDINATOR), type=_text("<i>type</i>")),
        fundings=(
            Funding(funder=funder, amount=-5.0, currency="<EUR>", year=2020, award_type=award),
            Funding(funder=funder, amount=1000.0, year=2021, start="2021-01-01", end="2021-12-31"),
        ),
        award_type=award,
        people=(Person(name="<b>Eve</b>", role=_text("<u>PI</u>"), orcid=JS, person_id="<p>"),),
        subjects=(subject,),
        source_url=JS,
        loaded="2024-01-01T00:00:00",
        updated="<script>",
        twins=(T1,),
        acronym="<abbr title=x onclick=alert(32)>",
        keywords=("<kbd>", "@SUM(1)"),
        identifiers=(Identifier(type="<x>", value="<script>alert(33)</script>"),),
        facilities=(
            Ref(id=F1, name=_text(FACILITY_NAME)),
            Ref(id=None, name=_text("<s>ghost</s>")),
        ),
    )
    twin = Project(
        source=SOURCE,
        source_id=T1,
        title=Text(sv="\r=1+1 tvilling", en='\x00=HYPERLINK("http://x") twin'),
        coordinator=OrgRef(id=ORG, name=_text(COORDINATOR)),
        fundings=(Funding(funder=funder, amount=3.0, year=2020),),
        twin_of=P1,
        source_url=" JaVaScRiPt:alert(34)",
    )
    facility = Facility(
        source=SOURCE,
        source_id=F1,
        name=_text(FACILITY_NAME),
        acronym="<acronym>",
        description=_text(ABSTRACT),
        owners=(OrgRef(id=ORG, name=_text(COORDINATOR)), OrgRef(name=_text("<b>owner</b>"))),
        types=(_text("<b>type</b>"),),
        identifiers=(Identifier(type="http://x#<script>", value="<script>alert(35)</script>"),),
        used_by=(Ref(id=P1, name=_text(TITLE_EN)), Ref(id="ghost<", name=_text("<i>gone</i>"))),
        subjects=(subject,),
        city="<i>Kiruna</i>",
        services=_text("\t=1+1"),
        access=_text("-2+3"),
        contact=CONTACT,
        url=JS,
        source_url="data:text/html,<script>alert(36)</script>",
    )
    return [project, twin, facility]


def forged_home(home: Path) -> Path:
    config = load_config(home=home, env={})
    with RecordStore(config.store_path) as store:
        run = store.begin_run(SOURCE, "import")
        store.commit_run(
            run,
            SOURCE,
            forged_records(),
            [],
            RunCounts(),
            True,
            [],
            quarantine=[
                Quarantined(record_id=P1, location="<b>line 3</b>", reason=QUARANTINE_REASON)
            ],
        )
        failed = store.begin_run(SOURCE, "import")
        store.fail_run(failed, [RUN_ERROR, "=cmd|' /C calc'!A0"], RunCounts())
    build_index(config, quiet=True, procs=1)
    return home


def forged_urls() -> list[str]:
    p1, t1, f1 = (quote(x, safe="") for x in (P1, T1, F1))
    return [
        "/search",
        "/search?lang=sv",
        "/search?q=alert",
        "/search?q=forskning&include_twins=1",
        f"/project/{SOURCE}/{p1}",
        f"/project/{SOURCE}/{p1}?lang=sv",
        f"/project/{SOURCE}/{t1}",
        f"/facility/{SOURCE}/{f1}",
        f"/facility/{SOURCE}/{f1}?lang=sv",
        f"/org/{ORG}",
        "/stats",
        "/stats?by=subject5&by=award",
        "/stats?by=funder&by=org_type&lang=sv",
        "/status",
        "/search.atom",
        "/search.atom?include_twins=true&lang=sv",  # downloads keep to the API's forms
        "/search.csv",
        "/search.csv?include_twins=true",
        f"/org/{ORG}.csv",
        "/stats.csv?by=funder&by=award",
        "/api/v1/search?include_twins=true",
        f"/api/v1/projects/{SOURCE}/{p1}",
        f"/api/v1/projects/{SOURCE}/{f1}",
        f"/api/v1/projects/{SOURCE}/{p1}/similar",
        "/api/v1/stats?by=funder&by=subject5",
        "/api/v1/status",
    ]
