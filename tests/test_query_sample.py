"""The named queries (ontology/queries/*.rq) on the real build of the sample bulletin.

corpus/xiangjiang-2023-12-22.txt is one file holding five bulletins: the main bulletin of the
湖南湘江新区 party working committee and its 附件1-4, with 71/11/14/9/36 problems (141 in all:
完成 65, 阶段性完成 75, 未完成 1). The sample is built once per session (``run_build`` without
HTML and SHACL) and every query is checked against what an analyst reading the bulletin expects:
the right rows, in bulletin order, with Chinese labels, without duplicates.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from pipeline.query import format_result, load_graph, named_queries, run_query
from pipeline.vocab import XR, XS

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PATH = "corpus/xiangjiang-2023-12-22.txt"
ATTACHMENTS = [None, "附件1", "附件2", "附件3", "附件4"]  # bulletins in xs:position order
PROBLEMS_PER_BULLETIN = [71, 11, 14, 9, 36]
STATUS_ORDER = ["完成", "阶段性完成", "未完成", "正在整改", "长期坚持", "未写明"]


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory) -> Path:
    """The sample corpus built once into a temporary folder (source paths relative to the repo)."""
    from pipeline.workflow import run_build

    out = tmp_path_factory.mktemp("sample-graph")
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        run_build(["corpus"], out, html=False, shacl=False)
    finally:
        os.chdir(old)
    assert (out / "xunshi.ttl").is_file()
    return out


@pytest.fixture(scope="session")
def g(sample_out):
    """The built graph with the ontology loaded, as ``xunshi query`` loads it."""
    return load_graph(sample_out, with_ontology=True)


def rows(graph, spec, bindings=None) -> list[dict[str, object]]:
    """Result rows as dicts of plain values: xr:/xs: IRIs shortened, numbers as numbers."""
    result = run_query(graph, spec, bindings)
    names = [str(v) for v in result.vars]
    return [{n: _plain(t) for n, t in zip(names, row)} for row in result]


def _plain(term):
    if term is None:
        return None
    if isinstance(term, URIRef):
        text = str(term)
        for ns, pfx in ((str(XR), "xr:"), (str(XS), "xs:")):
            if text.startswith(ns):
                return pfx + text[len(ns):]
        return text
    if isinstance(term, Literal):
        value = term.toPython()
        return value if isinstance(value, (int, Decimal, float, bool)) else str(term)
    return str(term)


@pytest.fixture(scope="session")
def bulletin_ids(g) -> dict[str | None, str]:
    """Attachment label (None for the main bulletin) -> bulletin IRI (xr:…)."""
    found = {r["att"]: r["b"] for r in rows(g, "SELECT ?b ?att WHERE { ?b a xs:Bulletin OPTIONAL { ?b xs:attachmentLabel ?att } }")}
    assert set(found) == set(ATTACHMENTS)
    return found


@pytest.fixture(scope="session")
def places(g) -> dict[str, tuple[int, int]]:
    """Problem IRI (xr:…) -> (bulletin position, problem position), the order an analyst reads."""
    got = rows(g, "SELECT ?p ?bp ?pp WHERE { ?p a xs:Problem ; xs:position ?pp ; xs:inBulletin/xs:position ?bp }")
    assert len(got) == 141
    return {r["p"]: (r["bp"], r["pp"]) for r in got}


def is_sorted(seq) -> bool:
    seq = list(seq)
    return all(a <= b for a, b in zip(seq, seq[1:]))


# ---------------------------------------------------------------- every query


# The sample is one round: nothing in it was completed in one round and flagged in a later
# one. The multi-round fixtures (tests/test_recurrence.py) give these queries rows.
EMPTY_ON_ONE_ROUND = {"regressions"}


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_gives_distinct_rows_on_the_sample(g, name):
    result = run_query(g, name)
    got = [tuple(row) for row in result]
    if name in EMPTY_ON_ONE_ROUND:
        assert got == [], f"{name} found rows in a single-round corpus"
        return
    assert got, f"{name} returned no rows on the sample"
    assert len(got) == len(set(got)), f"{name} repeats rows"


# ---------------------------------------------------------------- bulletins and inspections


def test_bulletins(g, bulletin_ids):
    got = rows(g, "bulletins")
    assert [r["attachmentLabel"] for r in got] == ATTACHMENTS
    assert [r["problemCount"] for r in got] == PROBLEMS_PER_BULLETIN
    assert [str(r["date"]) for r in got] == ["2023-12-22"] * 5
    assert [r["inspectionKind"] for r in got] == ["巡视", "提级巡视", "提级巡视", "巡视", "延伸巡视"]
    assert {r["team"] for r in got} == {"省委第十四巡视组"}
    main = got[0]
    assert main["title"] == "中共湖南湘江新区工作委员会关于巡视整改进展情况的通报"
    assert main["issuer"] == "中共湖南湘江新区工作委员会" and main["mainBulletin"] is None
    assert all(r["mainBulletin"] == bulletin_ids[None] for r in got[1:])
    assert got[4]["issuer"] == "中共岳麓高新技术产业开发区工作委员会"
    only = rows(g, "bulletins", {"issuer_label": "岳麓高新技术"})
    assert [r["bulletin"] for r in only] == [bulletin_ids["附件4"]]


def test_inspections(g):
    everything = rows(g, "inspections")
    # the bulletins' own rounds (with start dates) and the earlier rounds their texts cite
    got = [r for r in everything if r["started"] is not None]
    earlier = {r["label"] for r in everything if r["started"] is None}
    assert {"2019年省委巡视", "2020年岳麓区委巡察", "2018年中央巡视湖南"} <= earlier
    assert all(r["problemCount"] in (0, None) and (r["laterProblemCount"] or 0) >= 1 for r in everything if r["started"] is None)
    assert [r["inspectionKind"] for r in got] == ["巡视", "提级巡视", "提级巡视", "巡视", "延伸巡视"]
    assert [r["problemCount"] for r in got] == PROBLEMS_PER_BULLETIN
    assert [r["bulletinCount"] for r in got] == [1] * 5
    assert got[0]["inspectedUnit"] == "湖南湘江新区" and got[4]["inspectedUnit"] == "岳麓高新区"
    assert {(str(r["started"]), str(r["ended"]), str(r["feedbackDate"])) for r in got} == {("2023-03-09", "2023-06-09", "2023-07-24")}
    assert [r["inspectionKind"] for r in rows(g, "inspections", {"kind": "延伸"})] == ["延伸巡视"]
    assert {r["label"] for r in rows(g, "inspections", {"kind": "巡察"})} >= {"2020年岳麓区委巡察"}


# ---------------------------------------------------------------- problems by status


def test_problems_by_status_counts_and_order(g, bulletin_ids):
    got = rows(g, "problems-by-status")
    assert list(got[0]) == ["bulletin", "title", "issuer", "status", "statusLabel", "count"]
    order = [bulletin_ids[a] for a in ATTACHMENTS]
    # bulletins in xs:position order, each once as a block
    blocks = list(dict.fromkeys(r["bulletin"] for r in got))
    assert blocks == order
    per_bulletin = Counter()
    for r in got:
        per_bulletin[r["bulletin"]] += r["count"]
    assert [per_bulletin[b] for b in order] == PROBLEMS_PER_BULLETIN
    per_status = Counter()
    for r in got:
        per_status[r["statusLabel"]] += r["count"]
    assert per_status == {"完成": 65, "阶段性完成": 75, "未完成": 1}
    # statuses in the order 完成, 阶段性完成, 未完成 … within each bulletin, no pair twice
    for b in order:
        labels = [r["statusLabel"] for r in got if r["bulletin"] == b]
        assert labels == sorted(labels, key=STATUS_ORDER.index) and len(labels) == len(set(labels))
    assert [(r["statusLabel"], r["count"]) for r in got if r["bulletin"] == bulletin_ids["附件3"]] == [
        ("完成", 5),
        ("阶段性完成", 3),
        ("未完成", 1),
    ]
    assert {r["status"] for r in got} == {"xs:Completed", "xs:PartiallyCompleted", "xs:NotCompleted"}


def test_problems_by_status_bindings(g, bulletin_ids):
    got = rows(g, "problems-by-status", {"bulletin": bulletin_ids["附件4"]})
    assert [(r["statusLabel"], r["count"]) for r in got] == [("完成", 19), ("阶段性完成", 17)]
    assert {r["issuer"] for r in got} == {"中共岳麓高新技术产业开发区工作委员会"}
    got = rows(g, "problems-by-status", {"status": "xs:NotCompleted"})
    assert [(r["bulletin"], r["count"]) for r in got] == [(bulletin_ids["附件3"], 1)]
    # a status no problem has gives no rows (not one row per bulletin with an empty count)
    assert rows(g, "problems-by-status", {"status": "xs:LongTerm"}) == []


# ---------------------------------------------------------------- unfinished


def test_unfinished(g, places, bulletin_ids):
    got = rows(g, "unfinished")
    assert len(got) == 76 and len({r["problem"] for r in got}) == 76
    assert Counter(r["statusLabel"] for r in got) == {"阶段性完成": 75, "未完成": 1}
    assert all(r["status"] != "xs:Completed" for r in got)
    assert is_sorted(places[r["problem"]] for r in got)
    assert Counter(r["bulletin"] for r in got) == {
        bulletin_ids[None]: 44,
        bulletin_ids["附件1"]: 8,
        bulletin_ids["附件2"]: 3,
        bulletin_ids["附件3"]: 4,
        bulletin_ids["附件4"]: 17,
    }
    (not_done,) = [r for r in got if r["status"] == "xs:NotCompleted"]
    assert not_done["bulletin"] == bulletin_ids["附件3"]
    assert not_done["ordinal"] == "问题1"
    assert not_done["text"].startswith("聚焦主责主业不到位")
    assert not_done["statusText"] == "未完成"
    assert got[0]["ordinal"] == "1" and got[0]["bulletinTitle"] == "中共湖南湘江新区工作委员会关于巡视整改进展情况的通报"


def test_unfinished_bindings(g, bulletin_ids):
    got = rows(g, "unfinished", {"bulletin": bulletin_ids["附件3"]})
    assert [(r["ordinal"], r["statusLabel"]) for r in got] == [
        ("问题6", "阶段性完成"),
        ("问题7", "阶段性完成"),
        ("问题8", "阶段性完成"),
        ("问题1", "未完成"),  # 附件3 numbers its second section from 1 again
    ]
    assert [r["ordinal"] for r in rows(g, "unfinished", {"status": "xs:NotCompleted"})] == ["问题1"]
    assert rows(g, "unfinished", {"status": "xs:InProgress"}) == []


# ---------------------------------------------------------------- policies


def test_policies(g, places):
    got = rows(g, "policies")
    assert len(got) == 101
    assert len({(r["policy"], r["problem"]) for r in got}) == 101
    # policies addressing most problems first; each policy's problems in reading order
    assert is_sorted(-r["problemCount"] for r in got)
    by_policy: dict[str, list] = {}
    for r in got:
        by_policy.setdefault(r["policy"], []).append(r)
    for policy_rows in by_policy.values():
        assert len(policy_rows) == policy_rows[0]["problemCount"]
        assert is_sorted(places[r["problem"]] for r in policy_rows)
    assert {r["statusLabel"] for r in got} <= set(STATUS_ORDER)
    assert {r["relation"] for r in got} <= {"establishes", "cites", "establishes, cites", "cites, establishes"}


def test_policies_zhaoshang_guide(g, bulletin_ids):
    got = [r for r in rows(g, "policies", {"policy_label": "招商工作指引"}) if r["policyLabel"] == "招商工作指引"]
    assert [r["ordinal"] for r in got] == ["9", "35", "53", "69"]
    main_title = "中共湖南湘江新区工作委员会关于巡视整改进展情况的通报"
    for r in got:
        assert r["bulletinTitle"] == main_title and r["attachmentLabel"] is None
        assert r["problemCount"] == 4 and r["relation"] == "establishes"
        assert set(r["actions"].split("、")) == {"出台", "制定"}
        assert r["statusLabel"] == "阶段性完成"
    assert got[3]["problemText"] == "“招商引资重招轻管”问题仍然存在。"
    # the same rows by the policy's IRI
    by_iri = rows(g, "policies", {"policy": got[0]["policy"]})
    assert [r["problem"] for r in by_iri] == [r["problem"] for r in got]
    assert rows(g, "policies", {"policy_label": "没有这个制度"}) == []


# ---------------------------------------------------------------- problems of a unit


def test_unit_problems_yuelu(g, places, bulletin_ids):
    got = rows(g, "unit-problems", {"unit_label": "岳麓高新区"})
    assert len({r["problem"] for r in got}) == len(got)
    assert is_sorted(places[r["problem"]] for r in got)
    # every problem of 附件4: the bulletin of the inspection of 岳麓高新区 (延伸巡视)
    att4 = [r for r in got if r["bulletin"] == bulletin_ids["附件4"]]
    assert len(att4) == 36
    assert [r["ordinal"] for r in att4] == [f"问题{i}" for i in range(1, 37)]
    assert all("inspectedUnit" in r["relations"] and r["units"] == "岳麓高新区" for r in att4)
    assert all(r["attachmentLabel"] == "附件4" for r in att4)
    # … and the one problem of the main bulletin that names 岳麓高新区 itself
    others = [r for r in got if r["bulletin"] != bulletin_ids["附件4"]]
    assert [(r["ordinal"], r["relations"]) for r in others] == [("8", "concernsUnit")]
    assert others[0]["text"].startswith("“五好园区”建设存在短板,岳麓高新区")
    assert Counter(r["statusLabel"] for r in att4) == {"完成": 19, "阶段性完成": 17}


def test_unit_problems_concerned_units(g, bulletin_ids):
    (row,) = rows(g, "unit-problems", {"unit_label": "某农业公司"})
    assert (row["bulletin"], row["ordinal"], row["units"], row["relations"]) == (bulletin_ids[None], "42", "某农业公司", "concernsUnit")
    assert row["text"] == "某农业公司虚报冒领种粮补贴。" and row["statusLabel"] == "阶段性完成"
    got = rows(g, "unit-problems", {"unit_label": "某国企"})
    assert [(r["attachmentLabel"], r["ordinal"]) for r in got] == [
        (None, "39"),
        (None, "40"),
        (None, "49"),
        ("附件1", "(二)"),
        ("附件1", "(十一)"),
    ]
    assert {r["relations"] for r in got} == {"concernsUnit"}
    assert rows(g, "unit-problems", {"unit_label": "没有这个单位"}) == []


def test_unit_problems_by_publisher_and_iri(g, bulletin_ids):
    got = rows(g, "unit-problems", {"unit_label": "组织工作部"})
    assert {r["bulletin"] for r in got} == {bulletin_ids["附件2"]} and len(got) == 14
    assert all("publisher" in r["relations"] for r in got)
    unit = rows(g, "SELECT ?u WHERE { ?u skos:prefLabel ?l FILTER (STR(?l) = '某农业公司') }")[0]["u"]
    assert [r["ordinal"] for r in rows(g, "unit-problems", {"unit": unit})] == ["42"]
    assert len(rows(g, "unit-problems")) == 141  # every problem has a publisher


# ---------------------------------------------------------------- people, figures, cited works


def test_people(g, bulletin_ids):
    got = rows(g, "people")
    assert [(r["personName"], r["attachmentLabel"]) for r in got] == [("谭勇", None), ("师军", "附件2"), ("钱胜", "附件3")]
    tan, shi, qian = got
    assert tan["role"] == "党工委书记" and tan["unit"] == "中共湖南湘江新区工作委员会"
    assert tan["bulletin"] == bulletin_ids[None]
    assert shi["unit"] == "中共湖南湘江新区工作委员会组织工作部"
    assert set(qian["role"].split("、")) == {"巡察工作领导小组组长", "新区纪检监察工委书记"}
    roles = rows(g, "SELECT (COUNT(?r) AS ?n) WHERE { ?p rdfs:label ?l ; xs:role ?r FILTER (STR(?l) = '钱胜') }")
    assert roles == [{"n": 2}]
    assert [r["personName"] for r in rows(g, "people", {"name": "师"})] == ["师军"]
    assert [r["personName"] for r in rows(g, "people", {"unit_label": "组织工作部"})] == ["师军"]


def test_figures(g, bulletin_ids):
    got = rows(g, "figures")
    assert len(got) == 13 and len({r["figure"] for r in got}) == 13
    amounts = [r["amountYuan"] for r in got]
    assert amounts == sorted(amounts, reverse=True)
    assert [(r["figureText"], r["foundIn"]) for r in got[:2]] == [("630亿元", "problem"), ("564亿元", "measure")]
    assert got[0]["amountYuan"] == Decimal("63000000000")
    factors = {"元": 1, "万元": 10_000, "亿元": 100_000_000}
    for r in got:
        assert r["amountYuan"] == Decimal(str(r["value"])) * factors[r["unitOfMeasure"]]
        context = r["measureText"] if r["foundIn"] == "measure" else r["problemText"]
        assert r["figureText"] in context
    assert "17亿美元" not in {r["figureText"] for r in got}  # not converted, not listed
    only = rows(g, "figures", {"bulletin": bulletin_ids["附件4"]})
    assert [r["figureText"] for r in only] == ["24亿元", "2000万元", "2000万元"]
    assert {r["attachmentLabel"] for r in only} == {"附件4"}


def test_cited_works(g):
    got = rows(g, "cited-works")
    assert len(got) == 30 and len({r["label"] for r in got}) == 30
    kinds = {r["label"]: r["workKind"] for r in got}
    assert kinds["习近平谈治国理政"] == "book"
    assert kinds["求是"] == "journal"
    assert kinds["中国共产党章程"] == "regulation"
    assert is_sorted(-r["measureCount"] for r in got)
    party_rules = next(r for r in got if r["label"] == "中国共产党章程")
    assert party_rules["altLabels"] == "党章"
    books = rows(g, "cited-works", {"kind": "book"})
    assert {r["label"] for r in books} == {"习近平谈治国理政", "习近平著作选读"}
    assert [r["label"] for r in rows(g, "cited-works", {"kind": "journal"})] == ["求是"]


# ---------------------------------------------------------------- evidence


def test_evidence_of_a_problem(g):
    # 附件3 问题1 (its second section's 问题1), the only problem not completed
    (found,) = rows(g, "SELECT ?p ?o WHERE { ?p xs:status xs:NotCompleted ; xs:ordinal ?o }")
    node = found["p"]
    assert found["o"] == "问题1"
    (problem,) = rows(g, "SELECT ?text ?statusText WHERE { ?p xs:text ?text ; xs:statusText ?statusText }", {"p": node})
    got = rows(g, "evidence", {"node": node})
    assert [r["relation"] for r in got] == ["evidence", "statusEvidence"]
    evidence, status = got
    assert evidence["exact"] == problem["text"]
    assert evidence["exact"].startswith("聚焦主责主业不到位")
    assert status["exact"] == problem["statusText"] == "未完成"
    source = (ROOT / SAMPLE_PATH).read_text(encoding="utf-8-sig")
    for r in got:
        assert r["source"] == SAMPLE_PATH and r["textFile"] is None
        assert source[r["start"] : r["end"]] == r["exact"]


# ---------------------------------------------------------------- formats


def test_csv_and_json_give_the_same_rows(g):
    result = run_query(g, "unit-problems", {"unit_label": "岳麓高新区"})
    expected = [[("" if t is None else str(t)) for t in row] for row in result]
    names = [str(v) for v in result.vars]

    table = list(csv.reader(io.StringIO(format_result(result, "csv"), newline="")))
    assert table[0] == names
    assert table[1:] == expected

    doc = json.loads(format_result(result, "json"))
    assert doc["head"]["vars"] == names
    from_json = [[b[n]["value"] if n in b else "" for n in names] for b in doc["results"]["bindings"]]
    assert from_json == expected
    assert len(from_json) == 37
    assert any("岳麓高新区" in cell for row in from_json for cell in row)  # CJK as is


# ---------------------------------------------------------------- the command line


def test_cli_named_query_prints_a_chinese_table(sample_out, capsys):
    from pipeline.cli import main

    assert main(["query", "problems-by-status", "--graph", str(sample_out)]) == 0
    out = capsys.readouterr().out
    lines = out.rstrip("\n").split("\n")
    assert lines[0].split() == ["bulletin", "title", "issuer", "status", "statusLabel", "count"]
    assert lines[-1] == "(11 行 / 11 rows)"
    assert "阶段性完成" in out and "中共湖南湘江新区工作委员会" in out
    assert "xr:bulletin-" in out  # IRIs shortened


def test_cli_bind_and_csv(sample_out, capsys):
    from pipeline.cli import main

    assert main(["query", "unit-problems", "--bind", "unit_label=某农业公司", "-f", "csv", "--graph", str(sample_out)]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert [(r["ordinal"], r["units"], r["statusLabel"]) for r in table] == [("42", "某农业公司", "阶段性完成")]


def test_cli_bad_sparql_is_one_line(sample_out, capsys):
    from pipeline.cli import main

    assert main(["query", "SELECT ?p WHERE { ?p a xs:Problem ", "--graph", str(sample_out)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("xunshi: ") and "\n" not in err
    assert "SPARQL" in err and "Traceback" not in err
    assert captured.out == ""


def test_cli_unknown_query_lists_the_names(sample_out, capsys):
    from pipeline.cli import main

    assert main(["query", "unfinshed", "--graph", str(sample_out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "未知的查询" in err and "unfinshed" in err
    for name in named_queries():
        assert name in err


def test_cli_list(capsys):
    from pipeline.cli import main

    assert main(["query", "--list"]) == 0
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == sorted(named_queries())
    assert {"problems-by-status", "unfinished", "policies", "unit-problems"} <= set(listed)
