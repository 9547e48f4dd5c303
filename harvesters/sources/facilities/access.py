"""Who may use a facility, read from its access texts: one of ``records.ACCESS_KINDS``.

``classify_access(*texts)`` looks for words naming companies (företag, industri, näringsliv,
små och medelstora företag, SME, companies, industry, commercial, business, enterprises, the
private sector) and words naming academia (akademi, akademin, akademisk, forskare,
forskargrupper, universitet, högskola, academia, academic, researchers, research groups,
universities, scientists) in Swedish and English texts, inflected forms included. Both kinds
named: ``both``; one: that one; neither (or no text): ``unknown`` ("non-commercial" names no
company). ``access_kind(value)`` reads a
value a list states outright ("companies", "företag", "both", "båda", ...).

The words are matched at word starts, so an owner's name is no evidence: pass the access texts
only, never the owner ("Akademiska Hus" would read as academia).
"""

from __future__ import annotations

import re

from harvesters.core.records import (
    ACCESS_ACADEMIA,
    ACCESS_BOTH,
    ACCESS_COMPANIES,
    ACCESS_KINDS,
    ACCESS_UNKNOWN,
)

_COMPANIES = re.compile(
    r"\b(?:"
    r"företag\w*|småföretag\w*|industri\w*|näringsliv\w*|bolag\w*|"
    r"smes?|compan(?:y|ies)|industr(?:y|ies|ial)|(?<!non-)(?<!non )commercial\w*|business\w*|"
    r"enterprises?|private sector|start-?ups?|spin-?offs?"
    r")\b",
    re.IGNORECASE,
)
_ACADEMIA = re.compile(
    r"\b(?:"
    r"akadem\w*|forskar\w*|universitet\w*|högskol\w*|lärosäte\w*|"
    r"academ\w*|researchers?|research groups?|universit(?:y|ies)|scientists?|"
    r"higher education"
    r")\b",
    re.IGNORECASE,
)

# What a list may state in its access_for column, besides the kinds themselves.
_STATED = {
    "companies": ACCESS_COMPANIES,
    "company": ACCESS_COMPANIES,
    "industry": ACCESS_COMPANIES,
    "företag": ACCESS_COMPANIES,
    "academia": ACCESS_ACADEMIA,
    "academic": ACCESS_ACADEMIA,
    "akademi": ACCESS_ACADEMIA,
    "akademin": ACCESS_ACADEMIA,
    "both": ACCESS_BOTH,
    "båda": ACCESS_BOTH,
    "bägge": ACCESS_BOTH,
    "unknown": ACCESS_UNKNOWN,
    "okänt": ACCESS_UNKNOWN,
}


def classify_access(*texts: str | None) -> str:
    """``companies``, ``academia``, ``both`` or ``unknown`` from the access texts."""
    joined = "\n".join(t for t in texts if t)
    companies = bool(_COMPANIES.search(joined))
    academia = bool(_ACADEMIA.search(joined))
    if companies and academia:
        return ACCESS_BOTH
    if companies:
        return ACCESS_COMPANIES
    if academia:
        return ACCESS_ACADEMIA
    return ACCESS_UNKNOWN


def access_kind(value: str | None) -> str | None:
    """The access kind a list states (case-insensitive), or None when it is not one."""
    if value is None:
        return None
    folded = " ".join(value.casefold().split())
    found = _STATED.get(folded)
    assert found is None or found in ACCESS_KINDS
    return found
