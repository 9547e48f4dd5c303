"""The facility registry: grants grouped into facilities, records merged across sources,
parts found, the override file applied, and mention links with their evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvesters.core.records import (
    ACCESS_ACADEMIA,
    ACCESS_COMPANIES,
    Facility,
    Project,
    Ref,
    Text,
)
from harvesters.sources.run import file_payloads, parse_swecris
from indexer.registry.combine import access_of
from indexer.registry.grants import grant_facility, group_grants, is_infrastructure_grant
from indexer.registry.mentions import MentionMatcher, Named, named_from, sentence
from indexer.registry.merge import cluster
from indexer.registry.names import is_distinctive_form, name_key, split_acronym
from indexer.registry.overrides import OverridesInvalid, load_overrides, parse_overrides


@pytest.fixture(scope="module")
def kth_grants(kth_exports: list[Path]) -> list[Project]:
    parsed = parse_swecris(file_payloads(kth_exports))
    return [p for p in parsed.records if isinstance(p, Project) and is_infrastructure_grant(p)]


def _group_of(groups: list[list[Project]], grant_id: str) -> list[str]:
    return sorted(
        g.source_id for group in groups if grant_id in {x.source_id for x in group} for g in group
    )


def test_infrastructure_grants_of_one_facility_are_grouped_across_periods(
    kth_grants: list[Project],
) -> None:
    assert len(kth_grants) == 69  # award type 5 in the KTH extract
    groups = group_grants(kth_grants, excluded=set())
    ngi = _group_of(groups, "2023-00162_VR")
    assert ngi == [
        "2015-06036_VR",
        "2017-00630_VR",
        "2019-00222_VR",
        "2021-00286_VR",
        "2023-00162_VR",
    ]
    assert _group_of(groups, "2023-00158_VR") == [  # Myfab, Myfab period 5, Myfab – tools
        "2015-06030_VR",
        "2019-00207_VR",
        "2021-00278_VR",
        "2023-00158_VR",
    ]
    assert _group_of(groups, "2019-00217_VR") == [  # NMI, "NMI - upgrade of microscopes"
        "2019-00217_VR",
        "2021-00240_VR",
        "2023-00163_VR",
    ]
    # Unrelated grants stay apart: the European Social Survey is not ESS at Lund
    assert _group_of(groups, "In09-0483:1-E_RJ") == ["In09-0483:1-E_RJ"]
    facility = grant_facility(next(g for g in groups if g[0].source_id == "2023-00162_VR"), set())
    assert facility.name.en == "National Genomics Infrastructure"
    assert facility.acronym == "NGI"
    assert [x.year for x in facility.fundings] == [2025, 2021, 2021, 2018, 2016]
    assert {x.kind for x in facility.links} == {"funded-by", "hosted-by"}
    assert facility.owners[0].name.en == "KTH, Royal Institute of Technology"


def test_a_grant_excluded_by_the_override_file_makes_no_facility(
    kth_grants: list[Project],
) -> None:
    groups = group_grants(kth_grants, excluded={"swecris:2021-00286_VR"})
    assert "2021-00286_VR" not in {g.source_id for group in groups for g in group}


def _facility(source: str, fid: str, en: str, **kw: object) -> Facility:
    return Facility(source=source, source_id=fid, name=Text(None, en), **kw)  # type: ignore[arg-type]


def test_records_of_one_facility_merge_across_sources_never_within_one() -> None:
    records = [
        _facility("meril", "max-iv", "MAX IV Laboratory (MAX IV)", country="SE"),
        _facility("lightsources", "MAX IV", "MAX IV Laboratory", acronym="MAX IV", country="SE"),
        _facility("lightsources", "MAX IV-2", "MAX IV Laboratory", country="SE"),
        _facility(
            "lightsources",
            "Balder",
            "Balder",
            part_of=Ref("MAX IV", Text(None, "MAX IV")),
            country="SE",
        ),
        _facility("esfri", "ess", "European Spallation Source", country="SE"),
        _facility("meril", "ess", "European Spallation Source (ESS-Neutrons)", country="SE"),
        _facility(
            "swecris",
            "infrastructure-ngi",
            "National Genomics Infrastructure",
            acronym="NGI",
            country="SE",
        ),
        _facility(
            "scilifelab", "ngi-stockholm", "NGI Stockholm (Genomics Production)", country="SE"
        ),
        _facility("other", "x", "European Social Survey", acronym="ESS", country="SE"),
    ]
    result = cluster(records, [])
    groups = {
        tuple(sorted(f"{m.source}:{m.source_id}" for m in c.members)) for c in result.clusters
    }
    assert ("lightsources:MAX IV", "meril:max-iv") in groups
    assert ("lightsources:MAX IV-2",) in groups  # the same source twice: never by a rule
    assert ("esfri:ess", "meril:ess") in groups
    assert ("other:x",) in groups
    of = result.of_uid
    balder = result.clusters[of["lightsources:Balder"]]
    assert balder.parent == of["lightsources:MAX IV"]
    unit = result.clusters[of["scilifelab:ngi-stockholm"]]
    assert unit.parent == of["swecris:infrastructure-ngi"]
    assert result.clusters[of["meril:max-iv"]].primary.source == "meril"  # meril before list


def test_overrides_merge_split_and_part_of_win_over_the_rules() -> None:
    records = [
        _facility("meril", "a", "Alpha Observatory", country="SE"),
        _facility("esfri", "a", "Alpha Observatory", country="SE"),
        _facility("swecris", "b", "Beta Station", country="SE"),
        _facility("lightsources", "c", "Gamma Ring", country="SE"),
    ]
    text = (
        "action,record,target,reason\n"
        "split,esfri:a,,two sites that share a name\n"
        "merge,swecris:b,lightsources:c,the station runs the ring\n"
        "part-of,meril:a,lightsources:c,the observatory is a beamline of the ring\n"
        "merge,nowhere:z,meril:a,a source not imported yet\n"
    )
    result = cluster(records, parse_overrides(text, "o.csv"))
    of = result.of_uid
    assert of["meril:a"] != of["esfri:a"]
    assert of["swecris:b"] == of["lightsources:c"]
    assert result.clusters[of["meril:a"]].parent == of["lightsources:c"]
    assert result.notes == ["o.csv:5: nowhere:z not in the store; line not applied"]


def test_a_part_of_cycle_is_refused() -> None:
    records = [_facility("meril", "a", "Alpha One"), _facility("esfri", "b", "Beta Two")]
    text = "part-of,meril:a,esfri:b,x\npart-of,esfri:b,meril:a,y\n"
    result = cluster(records, parse_overrides(text, "o.csv"))
    parents = [c.parent for c in result.clusters]
    assert parents.count(None) == 1
    assert any("cycle" in n for n in result.notes)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("merge,swecris:a,swecris:b,", "every line needs a reason"),
        ("fuse,swecris:a,swecris:b,why", "unknown action 'fuse'"),
        ("merge,swecris:a,,why", "merge needs a target"),
        ("split,swecris:a,swecris:b,why", "split takes no target"),
        ("merge,2019-00222_VR,swecris:b,why", "is not a uid"),
        ("merge,swecris:a,swecris:b", "expected 4 cells"),
        ("merge,swecris:a,swecris:a,why", "its own target"),
    ],
)
def test_a_bad_override_line_is_named_with_its_line(line: str, error: str) -> None:
    with pytest.raises(OverridesInvalid, match=rf"o.csv:3: .*{error}"):
        parse_overrides(f"# comment\naction,record,target,reason\n{line}\n", "o.csv")


def test_the_shipped_override_file_parses_and_a_home_file_comes_after(tmp_path: Path) -> None:
    shipped = load_overrides(None)
    assert shipped and all(o.reason for o in shipped)
    (tmp_path / "facility-overrides.csv").write_text(
        "split,swecris:2023-00162_VR,,kept apart for a test\n", encoding="utf-8"
    )
    both = load_overrides(tmp_path)
    assert both[: len(shipped)] == shipped
    assert both[-1].record == "swecris:2023-00162_VR" and both[-1].action == "split"


def test_names_keys_and_short_forms() -> None:
    assert split_acronym("MAX IV Laboratory (MAX IV)") == ("MAX IV Laboratory", "MAX IV")
    assert split_acronym("National Microscopy Infrastructure, NMI") == (
        "National Microscopy Infrastructure",
        "NMI",
    )
    assert split_acronym("Swedish node (of the European infrastructure)")[1] is None
    assert name_key("European Spallation Source ERIC") == name_key("european spallation source")
    assert name_key("Göteborgs universitet") == "goteborgs universitet"
    assert [is_distinctive_form(x) for x in ("MAX IV", "SciLifeLab", "I811", "NORDSIM")] == [
        True
    ] * 4
    assert [is_distinctive_form(x) for x in ("ESS", "NGI", "Oden")] == [False] * 3


def _matcher() -> MentionMatcher:
    def named(names: list[str], shorts: list[str], terms: str = "", **kw: object) -> Named:
        full, short, context = named_from(names, shorts, [terms] if terms else [])
        return Named(full, short, context, **kw)  # type: ignore[arg-type]

    return MentionMatcher(
        [
            named(["MAX IV Laboratory"], ["MAX IV"], "synchrotron beamline"),
            named(["European Spallation Source"], ["ESS"], "neutron spallation"),
            named(["European Social Survey"], ["ESS"], "survey"),
            named(["Balder"], [], "beamline", parent=0),
            named(["Science for Life Laboratory"], ["SciLifeLab"]),
            named(["National Genomics Infrastructure"], ["NGI"], "sequencing genomics"),
        ]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mätningar vid MAX IV-laboratoriet i Lund.", {0: "MAX IV"}),
        ("Neutron scattering at ESS will follow.", {1: "ESS"}),
        ("The ESS round 9 survey data are analysed.", {2: "ESS"}),
        ("We build an instrument for the ESS.", {}),  # no context: not linked
        ("ESS data on neutron survey methods.", {}),  # both contexts: ambiguous
        ("Spectra from Balder at MAX IV.", {0: "MAX IV", 3: "Balder"}),
        ("Balder was a Norse god.", {}),  # a part needs its parent named
        ("Samples were sequenced at NGI Stockholm.", {5: "NGI"}),  # context in the sentence
        ("Collaboration with NGI. Our lab works on crystals.", {}),
        ("Hosted at SciLifeLab in Solna.", {4: "SciLifeLab"}),
        ("MAXIMUM likelihood and scilifelabs.", {}),
    ],
)
def test_mentions_need_whole_words_and_context_for_short_forms(
    text: str, expected: dict[int, str]
) -> None:
    found = {m.target: m.form for m in _matcher().find(text)}
    assert found == expected


def test_the_evidence_is_the_sentence_that_names_the_facility() -> None:
    text = "First sentence here. We measured at MAX IV in 2020. Then more work followed."
    (m,) = _matcher().find(text)
    assert m.evidence == "We measured at MAX IV in 2020."
    long = "Intro. " + "word " * 200 + "at MAX IV " + "word " * 200
    cut = sentence(long, long.index("MAX IV"))
    assert len(cut) <= 302 and "MAX IV" in cut


def test_access_of_a_merged_facility() -> None:
    assert access_of([ACCESS_COMPANIES, ACCESS_ACADEMIA]) == "both"
    assert access_of([None, ACCESS_COMPANIES, "unknown"]) == ACCESS_COMPANIES
    assert access_of([None, "unknown"]) == "unknown"


def test_an_update_scans_only_the_texts_that_changed_and_finds_the_same_mentions(
    tmp_path: Path, kth_exports: list[Path]
) -> None:
    import json

    from harvesters.core.config import load_config
    from indexer.building.versions import IndexLocation
    from indexer.registry.build import build_registry
    from webapp.cli import main

    home = tmp_path / "home"
    assert main(["--home", str(home), "import", "swecris", str(kth_exports[0]), "--quiet"]) == 0
    (tmp_path / "l.csv").write_text(
        "id,name,acronym\nsll,Science for Life Laboratory,SciLifeLab\n", encoding="utf-8"
    )
    assert main(["--home", str(home), "import", "facilities", str(tmp_path / "l.csv")]) == 0
    assert main(["--home", str(home), "index", "--quiet"]) == 0
    first = IndexLocation(home / "index").current()
    assert first is not None and first.manifest["facilities"]["texts_scanned"] > 100
    row = {
        "projectId": "2099-00001_VR",
        "projectTitleEn": "Imaging at SciLifeLab in Solna",
        "fundingYear": "2024",
    }
    (tmp_path / "new.json").write_text(json.dumps([row]), encoding="utf-8")
    assert main(["--home", str(home), "import", "swecris", str(tmp_path / "new.json")]) == 0
    assert main(["--home", str(home), "index", "--quiet"]) == 0
    second = IndexLocation(home / "index").current()
    assert second is not None and second.manifest["mode"] == "incremental"
    assert second.manifest["facilities"]["texts_scanned"] == 1
    cached = build_registry(load_config(home=home, env={}).store_path, home, second.path)
    fresh = build_registry(load_config(home=home, env={}).store_path, home, None)

    def mentions(r):  # type: ignore[no-untyped-def]
        return {(f.source_id, x.target, x.evidence) for f in r.facilities for x in f.links}

    assert mentions(cached) == mentions(fresh)
    assert ("sll", "swecris:2099-00001_VR", "Imaging at SciLifeLab in Solna") in mentions(fresh)
