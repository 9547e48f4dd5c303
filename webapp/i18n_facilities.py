"""Interface texts of the facility pages and facets, in Swedish and English (merged into
``webapp.i18n.TEXTS``)."""

from __future__ import annotations

FACILITY_TEXTS: dict[str, dict[str, str]] = {
    "facilities": {"en": "facilities", "sv": "infrastrukturer"},
    "hits_mixed": {"en": "results", "sv": "träffar"},
    "open_to_companies": {"en": "open to companies", "sv": "öppen för företag"},
    "country": {"en": "Country", "sv": "Land"},
    "place": {"en": "Place", "sv": "Plats"},
    "what_it_offers": {"en": "What it offers", "sv": "Vad den erbjuder"},
    "who_may_use": {"en": "Who may use it", "sv": "Vem kan använda den"},
    "how_access": {"en": "How to get access", "sv": "Så får du tillgång"},
    "where": {"en": "Where", "sv": "Var"},
    "host": {"en": "Hosted by", "sv": "Värd"},
    "part_of": {"en": "Part of", "sv": "Del av"},
    "parts": {"en": "Parts", "sv": "Delar"},
    "funding_history": {"en": "Funding history", "sv": "Finansieringshistorik"},
    "grant": {"en": "Grant", "sv": "Bidrag"},
    "year_plain": {"en": "Year", "sv": "År"},
    "use_by_year": {"en": "Use by year", "sv": "Användning per år"},
    "linked_projects": {
        "en": "Projects that use or name it",
        "sv": "Projekt som använder eller nämner den",
    },
    "publications_served": {"en": "Publications it served", "sv": "Publikationer den bidrog till"},
    "publications": {"en": "Publications", "sv": "Publikationer"},
    "link_uses": {"en": "uses it", "sv": "använder den"},
    "link_mentions": {"en": "names it", "sv": "nämner den"},
    "link_funded-by": {"en": "grant for it", "sv": "bidrag till den"},
    "link_served": {"en": "served", "sv": "betjänad"},
    "evidence": {"en": "Evidence", "sv": "Belägg"},
    "sources_of": {"en": "Sources", "sv": "Källor"},
    "similar_facilities": {"en": "Similar facilities", "sv": "Liknande infrastrukturer"},
    "and_more": {"en": "and {n} more", "sv": "och {n} till"},
    "no_contact": {
        "en": "The sources give no contact; ask the owner organisation.",
        "sv": "Källorna anger ingen kontakt; fråga ägarorganisationen.",
    },
    "access_note": {
        "en": "Who may use it is read from what the sources say; check with the facility.",
        "sv": "Vem som får använda den bygger på vad källorna säger; fråga infrastrukturen.",
    },
    "org_facilities": {"en": "Facilities", "sv": "Infrastrukturer"},
    "facility_project": {
        "en": "Facilities linked to this project",
        "sv": "Infrastrukturer i projektet",
    },
    "data_from": {"en": "Data from", "sv": "Data från"},
    "and_other_sources": {"en": "and other sources", "sv": "och andra källor"},
    "facilities_by_country": {"en": "Facilities by country", "sv": "Infrastrukturer per land"},
    "facilities_by_source": {"en": "Facilities by source", "sv": "Infrastrukturer per källa"},
    "facility_registry": {"en": "Facility registry", "sv": "Infrastrukturregistret"},
    "registry_summary": {
        "en": "{records} source records and {grants} infrastructure grants became "
        "{facilities} facilities",
        "sv": "{records} poster ur källorna och {grants} infrastrukturbidrag blev "
        "{facilities} infrastrukturer",
    },
    "home_projects": {
        "en": "{projects} research projects, funded {first}–{last}",
        "sv": "{projects} forskningsprojekt, finansierade {first}–{last}",
    },
    "home_facilities": {
        "en": "{facilities} research facilities and infrastructures",
        "sv": "{facilities} forskningsinfrastrukturer",
    },
    "home_from": {
        "en": "from {sources}, as indexed on {built}.",
        "sv": "från {sources}, indexerade {built}.",
    },
    "home_scope": {
        "en": "The figures are those of the data loaded here, not of all research: "
        "{share} % of the projects involve {org}.",
        "sv": "Siffrorna gäller de data som finns här, inte all forskning: "
        "{share} % av projekten berör {org}.",
    },
    "home_and": {"en": ", and", "sv": " och"},
}
