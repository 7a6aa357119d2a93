"""The cross-round chain end to end: build, SPARQL, trace, diff (the HTML recurrence mode is
tested in tests/test_view_browser.py). On the synthetic multi-round fixtures of one invented
unit (2019, 2021, 2024) and on the sample."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rdflib import Graph

from pipeline.cli import main
from pipeline.query import load_graph, run_query
from pipeline.recurrence import diff, trace
from pipeline.workflow import run_build

ROOT = Path(__file__).resolve().parent.parent


def _build(tmp_path_factory, inputs: str) -> Path:
    out = tmp_path_factory.mktemp("rec") / "graphs"
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        run_build([inputs], out, html=False, shacl=True, use_cache=False)
    finally:
        os.chdir(old)
    return out


@pytest.fixture(scope="module")
def fx(tmp_path_factory) -> tuple[Path, Graph]:
    out = _build(tmp_path_factory, "tests/fixtures/rounds")
    return out, load_graph(out, with_ontology=True)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Graph:
    return load_graph(_build(tmp_path_factory, "corpus"), with_ontology=True)


def rows(g, name, **bind):
    r = run_query(g, name, bind or None)
    return [{str(k): (None if v is None else str(v)) for k, v in zip(r.vars, row)} for row in r]


def test_trace_spans_the_three_rounds_in_time_order(fx):
    _, g = fx
    t = trace(g, "三转")
    assert t.method == "theme" and "三转" in t.themes
    reported = [e for e in t.entries if e.problems]
    assert [e.year for e in reported] == ["2019", "2021", "2024"]
    assert all(len(e.problems) >= 1 for e in reported)
    # the 2021 problem cites the 2019 round: the citation is shown on that round
    first = reported[0]
    assert any("上轮" in quote for quote, _ in first.citations)
    assert "纪检组长" in first.problems[0].text and first.problems[0].status == "Completed"
    assert "青禾县水利局机关纪检工作规程" in first.problems[0].policies


def test_recurring_queries_on_the_fixtures(fx):
    _, g = fx
    rec = rows(g, "recurring")
    sanzhuan = {r["roundLabel"] for r in rec if r["themeLabel"] == "三转"}
    assert {"2019年县委第二巡察组", "2021年县委第三巡察组", "2024年县委第一巡察组"} <= sanzhuan
    assert {r["roundCount"] for r in rec if r["themeLabel"] == "三转"} == {"3"}
    reg = rows(g, "regressions")
    assert any(r["year1"] == "2019" and r["year2"] in ("2021", "2024") and "三转" in r["text1"] for r in reg)
    reused = rows(g, "policy-reused")
    assert {"青禾县水利局机关纪检工作规程", "青禾县水利局年轻干部培养三年规划"} <= {r["policyLabel"] for r in reused}
    assert all(int(r["rounds"]) >= 2 or int(r["bulletins"]) >= 2 for r in reused)
    units = rows(g, "unit-recurrence")
    assert units[0]["unitLabel"] == "中共青禾县水利局党组" and int(units[0]["recurring"]) >= 10
    unfinished = rows(g, "recurring-unfinished")
    assert unfinished and all(r["statusLabel"] != "完成" for r in unfinished)


def test_diff_of_two_rounds(fx, tmp_path, capsys):
    out, g = fx
    label_a, label_b, d = diff(g, "2021", "2024")
    assert (label_a, label_b) == ("2021年", "2024年")
    changes = {r.change for r in d}
    assert {"reworded", "new", "dropped"} <= changes
    pairs = {(r.a.ordinal, r.b.ordinal): r for r in d if r.a and r.b}
    assert ("4", "4") in pairs  # 三转, stated again in other words
    young = [r for r in d if r.a and r.b and "年轻干部" in r.a.text]
    assert young and young[0].status_changed and young[0].b.status == "Completed"
    new = [r.b.text for r in d if r.change == "new"]
    assert any("招商引资重招轻管" in t for t in new)
    csv_path = tmp_path / "diff.csv"
    assert main(["diff", "2021", "2024", "--graph", str(out), "--csv", str(csv_path)]) == 0
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "改写 (reworded)" in capsys.readouterr().out


def test_trace_cli_on_the_sample(sample, capsys, tmp_path):
    t = trace(sample, "三转")
    years = [e.year for e in t.entries]
    assert "2019" in years and "2020" in years and "2023" in years
    assert years == sorted(years, key=lambda y: y or "0000")
    texts = [p.text for e in t.entries for p in e.problems]
    assert any(x.startswith("某国企纪委书记分管法务") for x in texts)
    assert any(x.startswith("某街道纪工委书记协管") for x in texts)
    assert any("“三转不到位”问题仍然存在" in x for x in texts)
    assert any(x.startswith("落实“三转”仍不到位") for x in texts)
    inv = trace(sample, "招商引资重招轻管")
    ordinals = {p.ordinal for e in inv.entries for p in e.problems if p.bulletin.startswith("中共湖南湘江新区工作委员会")}
    assert "69" in ordinals and len(ordinals & {"9", "10", "11", "35", "53"}) >= 3


def test_restatements_in_the_sample_are_linked(sample):
    g = sample
    r = run_query(
        g,
        """SELECT ?a ?b WHERE { ?p xs:sameIssueAs ?q ; xs:ordinal ?a ; xs:inBulletin/xs:position 0 .
             ?q xs:ordinal ?b ; xs:inBulletin/xs:position 2 }""",
    )
    pairs = {(str(a), str(b)) for a, b in r}
    assert ("55", "(五)") in pairs and ("56", "(十三)") in pairs
