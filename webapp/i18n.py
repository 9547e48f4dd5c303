"""Interface texts in Swedish and English, and how a request chooses its language.

``t(key)`` in templates looks a label up in the request's language. The language comes from
``?lang=``, then the ``lang`` cookie (set when a user switches), then the browser's
Accept-Language, then the configured default.
"""

from __future__ import annotations

from flask import current_app, g, request

from webapp.i18n_facilities import FACILITY_TEXTS

LANGS = ("en", "sv")

TEXTS: dict[str, dict[str, str]] = {
    "site": {"en": "Research index", "sv": "Forskningsindex"},
    "tagline": {
        "en": "Swedish research projects and what funds them",
        "sv": "Svenska forskningsprojekt och deras finansiering",
    },
    "search": {"en": "Search", "sv": "Sök"},
    "search_label": {"en": "Search projects", "sv": "Sök projekt"},
    "placeholder": {
        "en": 'e.g. klimat, "machine learning", person:"Anna Berg"',
        "sv": 't.ex. klimat, "machine learning", person:"Anna Berg"',
    },
    "statistics": {"en": "Statistics", "sv": "Statistik"},
    "api": {"en": "API", "sv": "API"},
    "results": {"en": "projects", "sv": "projekt"},
    "no_results": {"en": "No projects match.", "sv": "Inga projekt matchar."},
    "did_you_mean": {"en": "Did you mean", "sv": "Menade du"},
    "filters": {"en": "Filters", "sv": "Filter"},
    "clear_all": {"en": "Clear all", "sv": "Rensa alla"},
    "remove_filter": {"en": "Remove filter", "sv": "Ta bort filter"},
    "sort": {"en": "Sort", "sv": "Sortera"},
    "apply": {"en": "Apply", "sv": "Använd"},
    "previous": {"en": "Previous", "sv": "Föregående"},
    "next": {"en": "Next", "sv": "Nästa"},
    "page": {"en": "Page", "sv": "Sida"},
    "of": {"en": "of", "sv": "av"},
    "download_csv": {"en": "Download CSV", "sv": "Ladda ner CSV"},
    "feed": {"en": "Follow (Atom feed)", "sv": "Följ (Atom-flöde)"},
    "more": {"en": "more", "sv": "fler"},
    "period": {"en": "Period", "sv": "Period"},
    "status": {"en": "Status", "sv": "Status"},
    "total_sek": {"en": "Total (SEK)", "sv": "Totalt (kr)"},
    "coordinator": {"en": "Coordinating organisation", "sv": "Koordinerande organisation"},
    "funders": {"en": "Funders", "sv": "Finansiärer"},
    "funder": {"en": "Funder", "sv": "Finansiär"},
    "org": {"en": "Organisation", "sv": "Organisation"},
    "org_type": {"en": "Organisation type", "sv": "Organisationstyp"},
    "award": {"en": "Award type", "sv": "Bidragsform"},
    "year": {"en": "Funding year", "sv": "Finansieringsår"},
    "subject1": {"en": "Subject area", "sv": "Ämnesområde"},
    "subject3": {"en": "Subject group", "sv": "Ämnesgrupp"},
    "subject5": {"en": "Subject", "sv": "Ämne"},
    "subjects": {"en": "Subjects", "sv": "Ämnen"},
    "abstract": {"en": "Abstract", "sv": "Sammanfattning"},
    "people": {"en": "People", "sv": "Personer"},
    "fundings": {"en": "Funding decisions", "sv": "Finansieringsbeslut"},
    "amount": {"en": "Amount (SEK)", "sv": "Belopp (kr)"},
    "source": {"en": "Source", "sv": "Källa"},
    "at_source": {"en": "View at the source", "sv": "Visa i källan"},
    "similar": {"en": "Similar projects", "sv": "Liknande projekt"},
    "twin_note": {"en": "Also filed as", "sv": "Även registrerat som"},
    "twin_of": {"en": "This is a duplicate listing of", "sv": "Detta är en dubblett av"},
    "in_lang": {"en": "in", "sv": "på"},
    "lang_en": {"en": "English", "sv": "engelska"},
    "lang_sv": {"en": "Swedish", "sv": "svenska"},
    "switch_lang": {"en": "På svenska", "sv": "In English"},
    "relevance": {"en": "Relevance", "sv": "Relevans"},
    "start_desc": {"en": "Start date, newest", "sv": "Startdatum, nyast"},
    "start_asc": {"en": "Start date, oldest", "sv": "Startdatum, äldst"},
    "end_desc": {"en": "End date, latest", "sv": "Slutdatum, senast"},
    "end_asc": {"en": "End date, earliest", "sv": "Slutdatum, tidigast"},
    "amount_desc": {"en": "Amount, largest", "sv": "Belopp, störst"},
    "amount_asc": {"en": "Amount, smallest", "sv": "Belopp, minst"},
    "ongoing": {"en": "Ongoing", "sv": "Pågående"},
    "finished": {"en": "Finished", "sv": "Avslutat"},
    "upcoming": {"en": "Upcoming", "sv": "Kommande"},
    "projects": {"en": "Projects", "sv": "Projekt"},
    "sek": {"en": "SEK", "sv": "kr"},
    "error": {"en": "Something is wrong with the request", "sv": "Något är fel med frågan"},
    "not_found": {"en": "Not found", "sv": "Hittades inte"},
    "withdrawn": {"en": "Withdrawn", "sv": "Tillbakadraget"},
    "unavailable": {"en": "The index is not available", "sv": "Indexet är inte tillgängligt"},
    "back_to_search": {"en": "Back to search", "sv": "Tillbaka till sökningen"},
    "org_projects": {"en": "Projects coordinated here", "sv": "Projekt som koordineras här"},
    "by_year": {"en": "By funding year", "sv": "Per finansieringsår"},
    "by_funder": {"en": "By funder", "sv": "Per finansiär"},
    "by_org": {"en": "By organisation", "sv": "Per organisation"},
    "by_subject": {"en": "By subject area", "sv": "Per ämnesområde"},
    "table": {"en": "Table", "sv": "Tabell"},
    "orcid": {"en": "ORCID", "sv": "ORCID"},
    "role": {"en": "Role", "sv": "Roll"},
    "name": {"en": "Name", "sv": "Namn"},
    "unknown": {"en": "Unknown", "sv": "Okänd"},
    "open_ended": {"en": "open-ended", "sv": "tillsvidare"},
    "facility_one": {"en": "Facility", "sv": "Infrastruktur"},
    "facilities_used": {
        "en": "Facilities and equipment used",
        "sv": "Infrastruktur och utrustning som används",
    },
    "used_by": {"en": "Projects that use it", "sv": "Projekt som använder den"},
    "owners": {"en": "Owner", "sv": "Ägare"},
    "facility_type": {"en": "Facility type", "sv": "Typ av infrastruktur"},
    "kind": {"en": "Kind", "sv": "Slag"},
    "facility": {"en": "Uses facility", "sv": "Använder infrastruktur"},
    "services": {"en": "Services", "sv": "Tjänster"},
    "access": {"en": "Access", "sv": "Tillgång"},
    "contact": {"en": "Contact", "sv": "Kontakt"},
    "city": {"en": "City", "sv": "Ort"},
    "web_page": {"en": "Web page", "sv": "Webbsida"},
    "not_indexed": {"en": "not in the index", "sv": "finns inte i indexet"},
    "sek_long": {"en": "SEK", "sv": "Kronor"},
    "search_text": {"en": "Search text", "sv": "Söktext"},
    "amount_min": {"en": "Amount at least", "sv": "Belopp minst"},
    "amount_max": {"en": "Amount at most", "sv": "Belopp högst"},
    "status_on": {"en": "Status on", "sv": "Status den"},
    "stats_scope": {"en": "The search", "sv": "Sökningen"},
    "stats_all": {
        "en": "All projects (no search text or filter).",
        "sv": "Alla projekt (ingen söktext eller filter).",
    },
    "show_projects": {
        "en": "Show these projects in the search",
        "sv": "Visa projekten i sökningen",
    },
    "stats_note": {
        "en": "SEK by year and funder follow the funding decisions; SEK by subject is split "
        "equally across a project's subject codes; a project counts once per value it has, "
        "so rows can add up to more than the total; twin copies of a project count once.",
        "sv": "Kronor per år och finansiär följer finansieringsbesluten; kronor per ämne delas "
        "lika mellan projektets ämneskoder; ett projekt räknas en gång per värde det har, så "
        "raderna kan bli fler än totalen; dubbletter av ett projekt räknas en gång.",
    },
    "contents": {"en": "Contents", "sv": "Innehåll"},
    "this_table": {"en": "This table", "sv": "Tabellen"},
    "csv_semicolon": {"en": "CSV with semicolons", "sv": "CSV med semikolon"},
    "csv_all_rows": {"en": "CSV of all {total} rows", "sv": "CSV med alla {total} rader"},
    "top_rows": {"en": "the first {n} of {total}", "sv": "de första {n} av {total}"},
    "cross_title": {"en": "Cross two dimensions", "sv": "Korstabell"},
    "cross_rows": {"en": "Rows by", "sv": "Rader per"},
    "cross_then": {"en": "then by", "sv": "sedan per"},
    "cross_none": {"en": "(nothing)", "sv": "(inget)"},
    "show_table": {"en": "Show table", "sv": "Visa tabell"},
    "csv_truncated": {
        "en": "Truncated: {total} projects matched and this file holds the first {cap} "
        "(the export limit). Narrow the search to export the rest.",
        "sv": "Avkortad: {total} projekt matchade och filen innehåller de första {cap} "
        "(exportgränsen). Smalna av sökningen för att exportera resten.",
    },
    "feed_title": {"en": "New projects", "sv": "Nya projekt"},
    "feed_subtitle": {
        "en": "The newest projects (by start date) of {total} that match this search.",
        "sv": "De nyaste projekten (efter startdatum) av {total} som matchar sökningen.",
    },
    "org_number": {"en": "Organisation number", "sv": "Organisationsnummer"},
    "search_org": {"en": "Search these projects", "sv": "Sök bland projekten"},
    "org_stats": {"en": "Statistics", "sv": "Statistik"},
    "org_order": {
        "en": "Ongoing projects first, then upcoming, then finished; newest first in each.",
        "sv": "Pågående projekt först, sedan kommande, sist avslutade; nyast först i varje.",
    },
    "status_page": {"en": "Data status", "sv": "Datastatus"},
    "status_intro": {
        "en": "When each source was last harvested, what changed, and which index is served.",
        "sv": "När varje källa senast hämtades, vad som ändrades och vilket index som används.",
    },
    "index_served": {"en": "Index being served", "sv": "Index som används"},
    "no_index": {"en": "No index is published yet.", "sv": "Inget index är publicerat än."},
    "version": {"en": "Version", "sv": "Version"},
    "built": {"en": "Built", "sv": "Byggt"},
    "documents": {"en": "Documents", "sv": "Dokument"},
    "schema_version": {"en": "Schema version", "sv": "Schemaversion"},
    "records": {"en": "Records", "sv": "Poster"},
    "enabled": {"en": "Enabled", "sv": "Aktiv"},
    "disabled": {"en": "Disabled", "sv": "Inaktiv"},
    "last_attempt": {"en": "Last attempt", "sv": "Senaste försök"},
    "last_success": {"en": "Last success", "sv": "Senast lyckad"},
    "never": {"en": "never", "sv": "aldrig"},
    "run": {"en": "Run", "sv": "Körning"},
    "started": {"en": "Started", "sv": "Startad"},
    "ended": {"en": "Ended", "sv": "Avslutad"},
    "count_new": {"en": "New", "sv": "Nya"},
    "count_changed": {"en": "Changed", "sv": "Ändrade"},
    "count_withdrawn": {"en": "Withdrawn", "sv": "Tillbakadragna"},
    "count_failed": {"en": "Failed", "sv": "Misslyckade"},
    "errors": {"en": "Errors of the last run", "sv": "Fel i senaste körningen"},
    "recent_runs": {
        "en": "Recent updates and index builds",
        "sv": "Senaste uppdateringar och indexbyggen",
    },
    "config_problem": {"en": "Configuration problem", "sv": "Problem med konfigurationen"},
}
TEXTS.update(FACILITY_TEXTS)
TEXTS.update(
    {
        "ecosystem": {"en": "Ecosystem", "sv": "Ekosystem"},
        "by_award": {"en": "By award type", "sv": "Per bidragsform"},
        "funder_page": {"en": "Funder", "sv": "Finansiär"},
        "funder_lead": {
            "en": "What it funds: projects and SEK granted, by year, organisation, subject and "
            "award type (twin copies counted once).",
            "sv": "Vad den finansierar: projekt och beviljade kronor per år, organisation, ämne "
            "och bidragsform (tvillingkopior räknas en gång).",
        },
        "funder_newest": {"en": "Newest projects", "sv": "Nyaste projekten"},
        "funder_all": {"en": "All {n} projects", "sv": "Alla {n} projekt"},
        "funder_network": {"en": "Its network", "sv": "Dess nätverk"},
        "ecosystem_lead": {
            "en": "Who funds, coordinates, hosts, uses and works on what this search matches.",
            "sv": "Vem som finansierar, koordinerar, är värd för, använder och arbetar med "
            "det som sökningen träffar.",
        },
        "eco_organisation": {"en": "Organisation", "sv": "Organisation"},
        "eco_funder": {"en": "Funder", "sv": "Finansiär"},
        "eco_facility": {"en": "Facility", "sv": "Infrastruktur"},
        "eco_person": {"en": "Person", "sv": "Person"},
        "eco_subject": {"en": "Subject group", "sv": "Ämnesgrupp"},
        "eco_types": {"en": "Show", "sv": "Visa"},
        "eco_size_by": {"en": "Node size by", "sv": "Nodstorlek efter"},
        "eco_min_weight": {"en": "Least link weight", "sv": "Minsta länkvikt"},
        "eco_top": {"en": "Most actors", "sv": "Högst antal aktörer"},
        "eco_apply": {"en": "Show the network", "sv": "Visa nätverket"},
        "eco_cut": {
            "en": "Showing the {shown} heaviest of {total} actors and {edges} of {all_edges} "
            "links; left out: {nodes_out} actors and {edges_out} links.",
            "sv": "Visar de {shown} tyngsta av {total} aktörer och {edges} av {all_edges} "
            "länkar; utelämnade: {nodes_out} aktörer och {edges_out} länkar.",
        },
        "eco_all": {
            "en": "Showing all {total} actors and {all_edges} links.",
            "sv": "Visar alla {total} aktörer och {all_edges} länkar.",
        },
        "eco_graph": {"en": "Network", "sv": "Nätverk"},
        "eco_graph_help": {
            "en": "Drawn in the browser; the same actors and links are in the tables below. "
            "Click an actor to open its page.",
            "sv": "Ritas i webbläsaren; samma aktörer och länkar finns i tabellerna nedan. "
            "Klicka på en aktör för att öppna dess sida.",
        },
        "eco_nodes": {"en": "Actors", "sv": "Aktörer"},
        "eco_edges": {"en": "Links", "sv": "Länkar"},
        "eco_kind": {"en": "Link", "sv": "Länk"},
        "eco_from": {"en": "From", "sv": "Från"},
        "eco_to": {"en": "To", "sv": "Till"},
        "eco_weight": {"en": "Weight", "sv": "Vikt"},
        "eco_type": {"en": "Type", "sv": "Typ"},
        "eco_downloads": {"en": "This network", "sv": "Det här nätverket"},
        "eco_legend": {"en": "Legend", "sv": "Teckenförklaring"},
        "funds": {"en": "funds", "sv": "finansierar"},
        "coordinates": {"en": "coordinates", "sv": "koordinerar"},
        "uses": {"en": "uses", "sv": "använder"},
        "hosts": {"en": "hosts", "sv": "är värd för"},
        "leads": {"en": "leads at", "sv": "leder vid"},
        "works-at": {"en": "works at", "sv": "arbetar vid"},
        "shares-people": {"en": "shares people with", "sv": "delar personer med"},
        "shares-facility": {"en": "shares facilities with", "sv": "delar infrastruktur med"},
        "person": {"en": "Person", "sv": "Person"},
        "cross_showing": {"en": "Cells show", "sv": "Cellerna visar"},
        "cross_show_sek": {"en": "show SEK instead", "sv": "visa kronor i stället"},
        "cross_show_projects": {"en": "show projects instead", "sv": "visa projekt i stället"},
        "cross_total": {"en": "Total", "sv": "Totalt"},
        "cross_more": {
            "en": "{rows} more rows and {columns} more columns in the CSV",
            "sv": "{rows} rader och {columns} kolumner till i CSV-filen",
        },
        "cross_note": {
            "en": "Totals count each project once: a project with two funders or years is in "
            "two cells but once in its row's and its column's total. Darker cells hold more. "
            "Click a cell for the projects it counts.",
            "sv": "Totalerna räknar varje projekt en gång: ett projekt med två finansiärer eller "
            "år finns i två celler men en gång i radens och kolumnens total. Mörkare celler "
            "rymmer mer. Klicka på en cell för projekten den räknar.",
        },
        "cross_long": {"en": "one row per pair (CSV)", "sv": "en rad per par (CSV)"},
        "person_lead": {
            "en": "The projects this person is named on, with their role, and who they work with.",
            "sv": "Projekten som personen är med i, med sin roll, och vilka hen arbetar med.",
        },
        "person_projects": {"en": "Projects", "sv": "Projekt"},
        "person_leads": {"en": "leads {n}", "sv": "leder {n}"},
        "person_all": {"en": "These projects in the search", "sv": "Projekten i sökningen"},
        "person_network": {"en": "The network", "sv": "Nätverket"},
        "person_coworkers": {"en": "Works with", "sv": "Arbetar med"},
        "person_shared": {"en": "shared projects", "sv": "gemensamma projekt"},
        "person_shared_one": {"en": "shared project", "sv": "gemensamt projekt"},
        "person_more": {"en": "and {n} more", "sv": "och {n} till"},
        "person_affiliations": {"en": "Affiliations", "sv": "Anknytning"},
        "person_identifiers": {"en": "Identifiers", "sv": "Identifierare"},
        "person_record": {"en": "Person record from", "sv": "Personpost från"},
        "person_no_projects": {
            "en": "No project in this data names this person; a source keeps them as a person "
            "record.",
            "sv": "Inget projekt i dessa data nämner personen; en källa har hen som personpost.",
        },
        "person_key_note": {
            "en": "Known here by ORCID, or else by the source's own person id, which the source "
            "may change between exports.",
            "sv": "Känd här genom ORCID, annars genom källans eget person-id, som källan kan "
            "ändra mellan uttag.",
        },
        "people_named": {"en": "People named so", "sv": "Personer med det namnet"},
        "leader": {"en": "Project leader", "sv": "Projektledare"},
        "leaders": {"en": "Project leaders", "sv": "Projektledare"},
        "org_people": {"en": "People affiliated", "sv": "Anknutna personer"},
        "org_active": {"en": "Most active people", "sv": "Mest aktiva personer"},
        "org_active_note": {
            "en": "Named on its projects; those who lead most first. {n} people in all.",
            "sv": "Med i dess projekt; de som leder flest först. {n} personer totalt.",
        },
        "org_uses": {
            "en": "Facilities its projects use",
            "sv": "Infrastruktur som dess projekt använder",
        },
        "projects_led": {"en": "led", "sv": "ledda"},
        # the search page's controls (issue 21)
        "skip_results": {"en": "Skip to results", "sv": "Hoppa till resultaten"},
        "skip_content": {"en": "Skip to content", "sv": "Hoppa till innehållet"},
        "filters_n": {"en": "Filters ({n} chosen)", "sv": "Filter ({n} valda)"},
        "filters_one": {"en": "Filters (1 chosen)", "sv": "Filter (1 valt)"},
        "results_heading": {"en": "Search results", "sv": "Sökresultat"},
        "results_for": {"en": "Search results for “{q}”", "sv": "Sökresultat för ”{q}”"},
        "run_which": {"en": "Which run", "sv": "Vilken körning"},
        "loosened": {
            "en": "{n} hold every word of your search; after them come those that hold some "
            "of the words, the ones with more of them first. To require every word, write "
            "AND between the words or + before each.",
            "sv": "{n} innehåller alla ord i sökningen; efter dem kommer de som innehåller "
            "några av orden, de med flest först. Skriv AND mellan orden eller + före vart och "
            "ett för att kräva alla.",
        },
        "loosened_none": {
            "en": "Nothing holds every word of your search; these hold some of the words, "
            "the ones with more of them first. To require every word, write AND between the "
            "words or + before each.",
            "sv": "Inget innehåller alla ord i sökningen; dessa innehåller några av orden, de "
            "med flest först. Skriv AND mellan orden eller + före vart och ett för att kräva "
            "alla.",
        },
        "some_words": {"en": "With some of the words", "sv": "Med några av orden"},
        "also_searched": {"en": "Also searched", "sv": "Sökte även"},
        "as_typed": {
            "en": "search only the words I typed",
            "sv": "sök bara på orden jag skrev",
        },
        "as_typed_on": {
            "en": "Searched only the words you typed.",
            "sv": "Sökte bara på orden du skrev.",
        },
        "translate_on": {
            "en": "Also search their Swedish and English translations",
            "sv": "Sök även på deras svenska och engelska översättningar",
        },
        "add_filter": {"en": "Add filter", "sv": "Lägg till filter"},
        "show_all": {"en": "Show all ({n} more)", "sv": "Visa alla ({n} till)"},
        "show_fewer": {"en": "Show fewer", "sv": "Visa färre"},
        "narrow_list": {"en": "Find in the list", "sv": "Sök i listan"},
        "find": {"en": "Find", "sv": "Sök"},
        "no_match_in_list": {"en": "No value matches.", "sv": "Inget värde matchar."},
        "subfields": {"en": "{n} fields", "sv": "{n} ämnesgrupper"},
        "subsubjects": {"en": "{n} subjects", "sv": "{n} ämnen"},
        "subfields_one": {"en": "1 field", "sv": "1 ämnesgrupp"},
        "subsubjects_one": {"en": "1 subject", "sv": "1 ämne"},
        "subject_tree": {"en": "Subjects (SSIF)", "sv": "Ämnen (SSIF)"},
        "subject_tree_note": {
            "en": "Choose an area or a field to see the subjects within it.",
            "sv": "Välj ett område eller en ämnesgrupp för att se ämnena i det.",
        },
        "limits": {"en": "Amount and date", "sv": "Belopp och datum"},
        "amount_sek": {"en": "Total amount (SEK)", "sv": "Totalt belopp (kr)"},
        "from": {"en": "From", "sv": "Från"},
        "to": {"en": "To", "sv": "Till"},
        "status_on": {"en": "Status on date", "sv": "Status per datum"},
        "status_on_note": {
            "en": "Ongoing, upcoming and finished as they were or will be on this day.",
            "sv": "Pågående, kommande och avslutade som de var eller blir denna dag.",
        },
        "chip_amount_min": {"en": "From {value}", "sv": "Från {value}"},
        "chip_amount_max": {"en": "Up to {value}", "sv": "Upp till {value}"},
        "chip_on": {"en": "Status on {value}", "sv": "Status per {value}"},
        "table": {"en": "table", "sv": "tabell"},
        "runs_table": {"en": "harvest runs", "sv": "skördekörningar"},
        "preparing": {
            "en": "Preparing the file… {rows} rows so far.",
            "sv": "Förbereder filen… {rows} rader hittills.",
        },
        "prepared": {
            "en": "The file is ready: {rows} rows.",
            "sv": "Filen är klar: {rows} rader.",
        },
        "prepare_failed": {
            "en": "The file could not be prepared; try the link again.",
            "sv": "Filen kunde inte förberedas; försök igen.",
        },
        "home_heading": {
            "en": "Research projects and research facilities",
            "sv": "Forskningsprojekt och forskningsinfrastruktur",
        },
    }
)


def current_lang() -> str:
    """The request's interface language (cached on ``g``)."""
    if "lang" in g:
        return str(g.lang)
    lang = request.args.get("lang")
    if lang not in LANGS:
        lang = request.cookies.get("lang")
    if lang not in LANGS:
        lang = request.accept_languages.best_match(LANGS) or None
    if lang not in LANGS:
        lang = current_app.config.get("DEFAULT_LANG", "en")
    g.lang = lang
    return str(lang)


def t(key: str) -> str:
    entry = TEXTS.get(key)
    if entry is None:
        return key
    return entry.get(current_lang(), entry["en"])
