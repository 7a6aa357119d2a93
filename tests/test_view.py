"""The offline viewer: self-contained, escaped, deterministic HTML (pipeline/view.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from collections import Counter
from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from pipeline import view
from pipeline.vocab import OA, ORG, XR, XS

XSS = "<script>alert(1)</script>"
PROBLEM1_TEXT = f"财政资金管理不规范,{XSS}专项资金 & 结余资金未及时清理\u2028“收回”>"


# (rdflib's XSD namespace object at module level makes pytest's collector warn)
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")
XSD_GYEAR = URIRef("http://www.w3.org/2001/XMLSchema#gYear")


def _zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def build_triples() -> list[tuple]:
    """An invented bulletin in the graph's shape, as a list of triples."""
    t: list[tuple] = []
    add = lambda s, p, o: t.append((s, p, o))  # noqa: E731
    doc = XR["doc-0001"]
    add(doc, RDF.type, XS.SourceDocument)
    add(doc, DCTERMS.source, Literal("corpus/某区整改通报.txt"))
    spans = {}

    def span(name: str, start: int, exact: str) -> URIRef:
        s = XR[f"span-{name}"]
        add(s, RDF.type, XS.Span)
        add(s, XS.inDocument, doc)
        add(s, OA.start, Literal(start))
        add(s, OA.end, Literal(start + len(exact)))
        add(s, OA.exact, Literal(exact))
        spans[name] = s
        return s

    b, att = XR["bulletin-1"], XR["bulletin-2"]
    u1, u2 = XR["unit-1"], XR["unit-2"]
    insp = XR["inspection-1"]
    add(b, RDF.type, XS.Bulletin)
    add(b, DCTERMS.title, _zh("中共某区委关于区委第三巡察组反馈意见整改进展情况的通报"))
    add(b, DCTERMS.issued, Literal("2024-03-01", datatype=XSD_DATE))
    add(b, DCTERMS.publisher, u1)
    add(b, XS.reportsOn, insp)
    add(b, XS.evidence, span("title", 0, "中共某区委关于区委第三巡察组反馈意见整改进展情况的通报"))
    add(att, RDF.type, XS.Bulletin)
    add(att, DCTERMS.title, _zh("整改问题清单"))
    add(att, XS.attachmentLabel, _zh("附件1"))
    add(att, DCTERMS.isPartOf, b)
    add(u1, RDF.type, XS.Unit)
    add(u1, SKOS.prefLabel, _zh("中共某区委员会"))
    add(u2, RDF.type, XS.Unit)
    add(u2, SKOS.prefLabel, _zh("某区财政局"))
    add(u2, SKOS.altLabel, _zh("区财政局"))
    add(u2, XS.anonymised, Literal(False))
    add(insp, RDF.type, XS.Inspection)
    add(insp, RDFS.label, _zh("2023年区委第三巡察组巡察"))
    add(insp, XS.team, _zh("区委第三巡察组"))
    add(insp, XS.inspectionKind, _zh("巡察"))
    add(insp, XS.year, Literal("2023", datatype=XSD_GYEAR))
    add(insp, XS.inspectedUnit, u2)
    sec = XR["section-1"]
    add(sec, RDF.type, XS.Section)
    add(sec, RDFS.label, _zh("二、反馈问题整改情况"))
    cat = XR["category-1"]
    add(cat, RDF.type, XS.FeedbackCategory)
    add(cat, RDFS.label, _zh("落实全面从严治党主体责任方面"))
    add(cat, XS.inBulletin, b)
    theme = XR["theme-santhree"]
    add(theme, RDF.type, SKOS.Concept)
    add(theme, SKOS.prefLabel, _zh("三转"))

    statuses = [XS.Completed, XS.PartiallyCompleted, XS.NotCompleted, XS.InProgress, XS.LongTerm, None]
    for i, status in enumerate(statuses, start=1):
        p = XR[f"problem-{i}"]
        text = PROBLEM1_TEXT if i == 1 else f"第{i}个问题:干部队伍建设存在短板,选人用人工作不够规范"
        add(p, RDF.type, XS.Problem)
        add(p, XS.text, _zh(text))
        add(p, RDFS.label, _zh("财政资金管理不规范" if i == 1 else f"问题{i}干部队伍建设"))
        add(p, XS.ordinal, Literal(str(i)))
        add(p, XS.inBulletin, b)
        add(p, XS.inCategory, cat)
        add(p, XS.inSection, sec)
        add(p, XS.raisedIn, insp)
        add(p, XS.concernsUnit, u2)
        add(p, XS.theme, theme)
        add(p, XS.evidence, span(f"p{i}", 100 * i, text))
        if status is not None:
            add(p, XS.status, status)
            add(p, XS.statusText, _zh("已完成" if i == 1 else "正在整改"))
    add(XR["problem-2"], XS.sameIssueAs, XR["problem-3"])
    add(XR["problem-3"], XS.sameIssueAs, XR["problem-2"])

    part = XR["part-1"]
    add(part, RDF.type, XS.ProblemPart)
    add(part, XS.text, _zh("专项资金结余未清理"))
    add(part, XS.partOf, XR["problem-1"])

    m, pol, cw, fig = XR["measure-1"], XR["policy-1"], XR["cited-1"], XR["figure-1"]
    add(m, RDF.type, XS.Measure)
    add(m, XS.text, _zh("出台《某区财政专项资金管理办法》,清理结余资金1.5亿元"))
    add(m, XS.ordinal, _zh("一是"))
    add(m, XS.addresses, XR["problem-1"])
    add(m, XS.establishes, pol)
    add(m, XS.cites, cw)
    add(m, XS.hasFigure, fig)
    add(m, XS.evidence, span("m1", 700, "出台《某区财政专项资金管理办法》,清理结余资金1.5亿元"))
    add(pol, RDF.type, XS.Policy)
    add(pol, RDFS.label, _zh("某区财政专项资金管理办法"))
    add(pol, SKOS.altLabel, _zh("财政专项资金管理办法"))
    add(pol, XS.action, _zh("出台"))
    add(pol, XS.evidence, span("pol-a", 703, "某区财政专项资金管理办法"))
    add(pol, XS.evidence, span("pol-b", 950, "财政专项资金管理办法"))
    add(cw, RDF.type, XS.CitedWork)
    add(cw, RDFS.label, _zh("中国共产党纪律处分条例"))
    add(fig, RDF.type, XS.Figure)
    add(fig, RDF.value, Literal(Decimal("1.5")))
    add(fig, XS.unitOfMeasure, _zh("亿元"))
    add(fig, XS.text, _zh("1.5亿元"))
    person = XR["person-1"]
    add(person, RDF.type, XS.Person)
    add(person, RDFS.label, _zh("张某某"))
    add(person, XS.role, _zh("区委书记"))
    add(person, ORG.memberOf, u1)
    add(person, XS.leads, b)
    return t


def make_graph(reverse: bool = False) -> Graph:
    g = Graph()
    triples = build_triples()
    for triple in reversed(triples) if reverse else triples:
        g.add(triple)
    return g


@pytest.fixture(scope="module")
def graph() -> Graph:
    return make_graph()


@pytest.fixture(scope="module")
def data(graph) -> dict:
    return view.graph_to_view_data(graph)


@pytest.fixture(scope="module")
def page(graph, tmp_path_factory) -> str:
    out = view.write_html(graph, tmp_path_factory.mktemp("view") / "graph.html")
    return out.read_text(encoding="utf-8")


def embedded_json(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page, re.S)
    assert m, "graph-data block missing"
    return json.loads(m.group(1))


def by_iri(data: dict) -> dict[str, dict]:
    return {n["iri"]: n for n in data["nodes"]}


# ---------------------------------------------------------------- offline, self-contained


def test_no_remote_resources(page):
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"@import", page, re.I)
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link\b", page, re.I)
    for cdn in ("bootstrap", "cdnjs", "jsdelivr", "unpkg", "googleapis"):
        assert cdn not in page.lower()
    assert "sourceMappingURL" not in page


def test_vis_network_inlined(page):
    js = view.vis_network_js()
    assert len(js) > 100_000
    assert "@version 9.1.2" in js
    assert f"<script>{js}</script>" in page
    assert "new vis.Network(" in page


def test_csp_pins_the_inline_scripts(page):
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 2
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp


# ---------------------------------------------------------------- the data


def test_embedded_json_is_the_view_data(page, data):
    assert embedded_json(page) == json.loads(json.dumps(data))


def test_node_counts_by_type(data):
    counts = Counter(n["type"] for n in data["nodes"])
    assert counts == {
        "bulletin": 2,
        "inspection": 1,
        "unit": 2,
        "person": 1,
        "category": 1,
        "problem": 6,
        "part": 1,
        "measure": 1,
        "policy": 1,
        "cited": 1,
        "theme": 1,
        "figure": 1,
    }
    assert data["meta"]["nodeCount"] == 19
    legend = {t["key"]: t for t in data["legend"]["types"]}
    assert legend["unit"]["name"] == "单位" and legend["unit"]["count"] == 2
    assert [s["name"] for s in data["legend"]["statuses"]] == ["完成", "阶段性完成", "未完成", "正在整改", "长期坚持", "未写明"]


def test_hidden_node_kinds(data):
    iris = set(by_iri(data))
    assert not any(i.startswith(str(XR["span-"])) for i in iris)
    assert str(XR["doc-0001"]) not in iris
    assert str(XR["section-1"]) not in iris
    assert not any(n["type"] not in {t.key for t in view.NODE_TYPES} for n in data["nodes"])
    # a section still shows up as a property of the problems in it
    p2 = by_iri(data)[str(XR["problem-2"])]
    assert ["所属章节", "二、反馈问题整改情况"] in p2["props"]


def test_chinese_labels_and_shortening(graph):
    data = view.graph_to_view_data(graph, max_label=10)
    nodes = by_iri(data)
    assert nodes[str(XR["unit-1"])]["label"] == "中共某区委员会"
    assert nodes[str(XR["policy-1"])]["full"] == "《某区财政专项资金管理办法》"
    assert nodes[str(XR["bulletin-2"])]["label"] == "附件1 整改问题清单"
    b = nodes[str(XR["bulletin-1"])]
    assert b["label"] == "中共某区委关于区委…" and len(b["label"]) == 10
    assert b["full"] == "中共某区委关于区委第三巡察组反馈意见整改进展情况的通报"
    assert all(len(n["label"]) <= 10 for n in data["nodes"])
    assert nodes[str(XR["figure-1"])]["label"] == "1.5亿元"
    assert nodes[str(XR["person-1"])]["typeName"] == "人员"
    assert ["职务", "区委书记"] in nodes[str(XR["person-1"])]["props"]
    assert ["匿名", "否"] in nodes[str(XR["unit-2"])]["props"]


def test_status_colours(data):
    nodes = by_iri(data)
    colours = {}
    for i, key in enumerate(["Completed", "PartiallyCompleted", "NotCompleted", "InProgress", "LongTerm", "Unknown"], 1):
        n = nodes[str(XR[f"problem-{i}"])]
        assert n["status"] == key
        assert n["statusName"] == view.STATUS_STYLES[key][0]
        colours[key] = n["color"]
    assert len(set(colours.values())) == 6
    assert nodes[str(XR["problem-1"])]["statusName"] == "完成"
    assert nodes[str(XR["problem-6"])]["statusName"] == "未写明"
    assert {s["key"]: s["count"] for s in data["legend"]["statuses"]} == dict.fromkeys(colours, 1)


def test_evidence_quotes(data):
    nodes = by_iri(data)
    pol = nodes[str(XR["policy-1"])]
    assert pol["evidence"] == [
        {"kind": "原文出处", "doc": "corpus/某区整改通报.txt", "start": 703, "end": 715, "exact": "某区财政专项资金管理办法"},
        {"kind": "原文出处", "doc": "corpus/某区整改通报.txt", "start": 950, "end": 960, "exact": "财政专项资金管理办法"},
    ]
    assert pol["evidenceTotal"] == 2
    title = pol["title"]
    assert title.startswith("【制度文件】")
    assert "「某区财政专项资金管理办法」" in title and "corpus/某区整改通报.txt [703–715]" in title
    p1 = nodes[str(XR["problem-1"])]
    assert "整改状态:完成" in p1["title"] and PROBLEM1_TEXT in p1["title"]
    assert p1["evidence"][0]["exact"] == PROBLEM1_TEXT


def test_text_file_offsets(graph):
    g = Graph()
    for triple in graph:
        g.add(triple)
    g.add((XR["doc-0001"], XS.textFile, Literal("build/text/doc-0001.txt")))
    pol = by_iri(view.graph_to_view_data(g))[str(XR["policy-1"])]
    assert {q["textFile"] for q in pol["evidence"]} == {"build/text/doc-0001.txt"}


def test_empty_graph(tmp_path):
    page = view.write_html(Graph(), tmp_path / "empty.html").read_text(encoding="utf-8")
    data = embedded_json(page)
    assert data["nodes"] == [] and data["edges"] == [] and data["meta"]["nodeCount"] == 0


def test_edges_with_chinese_labels(data):
    ids = {n["iri"]: n["id"] for n in data["nodes"]}
    edges = {(e["from"], e["label"], e["to"]) for e in data["edges"]}

    def has(s, label, o):
        return (ids[str(XR[s])], label, ids[str(XR[o])]) in edges

    assert has("measure-1", "针对问题", "problem-1")
    assert has("measure-1", "出台制度", "policy-1")
    assert has("measure-1", "引用", "cited-1")
    assert has("problem-1", "所属通报", "bulletin-1")
    assert has("problem-1", "涉及单位", "unit-2")
    assert has("bulletin-1", "发文单位", "unit-1")
    assert has("inspection-1", "被巡视单位", "unit-2")
    assert has("bulletin-2", "所属主通报", "bulletin-1")
    assert has("person-1", "所属单位", "unit-1")
    assert has("part-1", "属于问题", "problem-1")
    # xs:sameIssueAs is symmetric: one edge, not two
    assert sum(1 for e in data["edges"] if e["prop"] == "xs:sameIssueAs") == 1
    # no edges to spans, documents, sections or status individuals
    assert not {e["prop"] for e in data["edges"]} & {"xs:evidence", "xs:inDocument", "xs:inSection", "xs:status"}
    assert len({e["id"] for e in data["edges"]}) == len(data["edges"]) == data["meta"]["edgeCount"]


def test_positions_precomputed(data):
    pos = [(n["x"], n["y"]) for n in data["nodes"]]
    assert len(set(pos)) == len(pos)
    assert data["meta"]["layout"] == "spring"


@pytest.mark.parametrize("grouped_spring_max, layout", [(1000, "grouped-spring"), (5, "grouped")])
def test_grouped_layout_for_large_graphs(graph, monkeypatch, grouped_spring_max, layout):
    monkeypatch.setattr(view, "SPRING_MAX_NODES", 5)
    monkeypatch.setattr(view, "GROUPED_SPRING_MAX_NODES", grouped_spring_max)
    data = view.graph_to_view_data(graph)
    assert data["meta"]["layout"] == layout
    pos = [(n["x"], n["y"]) for n in data["nodes"]]
    assert len(set(pos)) == len(pos)
    assert data == view.graph_to_view_data(make_graph(reverse=True))


# ---------------------------------------------------------------- determinism and safety


def test_deterministic(graph, tmp_path):
    a = view.write_html(graph, tmp_path / "a.html").read_bytes()
    b = view.write_html(graph, tmp_path / "b.html").read_bytes()
    c = view.write_html(make_graph(reverse=True), tmp_path / "c.html").read_bytes()
    assert a == b == c


def test_script_in_document_text_is_inert(page):
    assert "<script>alert" not in page
    assert "alert(1)" in page  # present, but only as escaped JSON text
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page
    assert "\u2028" not in page and "\u2029" not in page
    assert page.count("</script>") == 3  # graph-data, vis-network, the app
    body = re.search(r'id="graph-data">(.*?)</script>', page, re.S).group(1)
    assert not set(body) & {"<", ">", "&"}
    nodes = by_iri(embedded_json(page))
    assert nodes[str(XR["problem-1"])]["full"] == PROBLEM1_TEXT
    assert nodes[str(XR["problem-1"])]["evidence"][0]["exact"] == PROBLEM1_TEXT


def test_title_is_escaped(graph, tmp_path):
    page = view.write_html(graph, tmp_path / "t.html", title="<b>巡察</b> & 整改").read_text(encoding="utf-8")
    assert "<title>&lt;b&gt;巡察&lt;/b&gt; &amp; 整改</title>" in page
    assert "<b>巡察" not in page


def test_app_script_never_uses_innerhtml():
    assert "innerHTML" not in view._APP_JS and "insertAdjacentHTML" not in view._APP_JS
    assert "document.write" not in view._APP_JS and "eval(" not in view._APP_JS


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_app_script_parses(tmp_path):
    f = tmp_path / "app.js"
    f.write_text(view._APP_JS, encoding="utf-8")
    subprocess.run(["node", "--check", str(f)], check=True, capture_output=True)


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_page_builds_in_headless_chromium(page, data, tmp_path):
    f = tmp_path / "graph.html"
    f.write_text(page, encoding="utf-8")
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--virtual-time-budget=3000",
            "--dump-dom",
            f.as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert 'data-ready="1"' in dom
    count = re.search(r'<span id="node-count">(\d+)</span>', dom)
    assert count and int(count.group(1)) == data["meta"]["nodeCount"]
    assert "<script>alert" not in dom
    assert dom.count('<input type="checkbox"') == len(data["legend"]["types"]) + len(data["legend"]["statuses"])
