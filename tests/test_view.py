"""The offline viewer: self-contained, escaped, deterministic HTML (pipeline/view.py).

The graph is invented, in the shape the build and the recurrence passes give: a bulletin with
an attachment, problems in every status, a theme under a group concept, an earlier round the
text cites, a same-issue link and a candidate issue link. The page itself is exercised in
headless Chromium by tests/test_view_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from pipeline import view
from pipeline.recurrence import trace
from pipeline.vocab import OA, ORG, XR, XS

XSS = "<script>alert(1)</script>"
PROBLEM1_TEXT = f"财政资金管理不规范,{XSS}专项资金 & 结余资金未及时清理\u2028“收回”>"
ROOT = Path(__file__).resolve().parent.parent

# (rdflib's XSD namespace object at module level makes pytest's collector warn)
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")
XSD_GYEAR = URIRef("http://www.w3.org/2001/XMLSchema#gYear")
XSD_BOOLEAN = URIRef("http://www.w3.org/2001/XMLSchema#boolean")
THEME = URIRef(str(XS) + "theme-santhree")
THEME_GROUP = URIRef(str(XS) + "theme-group-discipline")
THEME_UNUSED = URIRef(str(XS) + "theme-unused")


def _zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def build_triples() -> list[tuple]:
    """An invented bulletin in the graph's shape, as a list of triples."""
    t: list[tuple] = []
    add = lambda s, p, o: t.append((s, p, o))
    doc = XR["doc-0001"]
    add(doc, RDF.type, XS.SourceDocument)
    add(doc, DCTERMS.source, Literal("corpus/某区整改通报.txt"))

    def span(name: str, start: int, exact: str) -> URIRef:
        s = XR[f"span-{name}"]
        add(s, RDF.type, XS.Span)
        add(s, XS.inDocument, doc)
        add(s, OA.start, Literal(start))
        add(s, OA.end, Literal(start + len(exact)))
        add(s, OA.exact, Literal(exact))
        return s

    b, att = XR["bulletin-1"], XR["bulletin-2"]
    u1, u2 = XR["unit-1"], XR["unit-2"]
    insp, earlier = XR["inspection-1"], XR["inspection-0"]
    rnd, rnd_earlier = XR["round-2023"], XR["round-2019"]
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
    add(att, DCTERMS.publisher, u2)
    add(att, XS.evidence, span("att-title", 2000, "整改问题清单"))
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
    add(insp, XS.inRound, rnd)
    add(rnd, RDF.type, XS.Round)
    add(rnd, RDFS.label, _zh("2023年区委第三巡察组"))
    add(rnd, XS.year, Literal("2023", datatype=XSD_GYEAR))
    add(earlier, RDF.type, XS.Inspection)
    add(earlier, RDFS.label, _zh("2019年区委巡察"))
    add(earlier, XS.earlierRound, Literal(True))
    add(earlier, XS.year, Literal("2019", datatype=XSD_GYEAR))
    add(earlier, XS.inRound, rnd_earlier)
    add(rnd_earlier, RDF.type, XS.Round)
    add(rnd_earlier, RDFS.label, _zh("2019年区委巡察"))
    add(rnd_earlier, XS.year, Literal("2019", datatype=XSD_GYEAR))
    sec = XR["section-1"]
    add(sec, RDF.type, XS.Section)
    add(sec, RDFS.label, _zh("二、反馈问题整改情况"))
    cat = XR["category-1"]
    add(cat, RDF.type, XS.FeedbackCategory)
    add(cat, RDFS.label, _zh("落实全面从严治党主体责任方面"))
    add(cat, XS.inBulletin, b)
    for concept, label, broader in ((THEME_GROUP, "全面从严治党与纪律监督", None), (THEME, "三转", THEME_GROUP), (THEME_UNUSED, "未用主题", THEME_GROUP)):
        add(concept, RDF.type, SKOS.Concept)
        add(concept, SKOS.prefLabel, _zh(label))
        add(concept, SKOS.inScheme, XS.Themes)
        if broader is not None:
            add(concept, SKOS.broader, broader)

    statuses = [XS.Completed, XS.PartiallyCompleted, XS.NotCompleted, XS.InProgress, XS.LongTerm, None]
    for i, status in enumerate(statuses, start=1):
        p = XR[f"problem-{i}"]
        text = PROBLEM1_TEXT if i == 1 else f"第{i}个问题:干部队伍建设存在短板,选人用人工作不够规范"
        add(p, RDF.type, XS.Problem)
        add(p, XS.text, _zh(text))
        add(p, RDFS.label, _zh("财政资金管理不规范" if i == 1 else f"问题{i}干部队伍建设"))
        add(p, XS.ordinal, Literal(str(i)))
        add(p, XS.position, Literal(i))
        add(p, XS.inBulletin, att if i == 6 else b)
        add(p, XS.inSection, sec)
        add(p, XS.raisedIn, insp)
        add(p, XS.concernsUnit, u2)
        add(p, XS.evidence, span(f"p{i}", 2100 + 100 * i if i == 6 else 100 * i, text))
        if i != 6:
            add(p, XS.inCategory, cat)
        if status is not None:
            add(p, XS.status, status)
            add(p, XS.statusText, _zh("已完成" if i == 1 else "正在整改"))
    for i in (2, 3, 4):
        add(XR[f"problem-{i}"], XS.theme, THEME)
    assignment = XR["themeassignment-2"]
    add(assignment, RDF.type, XS.ThemeAssignment)
    add(assignment, XS.problem, XR["problem-2"])
    add(assignment, XS.concept, THEME)
    add(assignment, XS.method, Literal("label"))
    add(assignment, XS.score, Literal(Decimal("1.0")))
    add(assignment, XS.evidence, span("theme-2", 205, "干部队伍"))
    # problem 3 repeats problem 2 (same issue); problem 4 cites the 2019 round
    add(XR["problem-2"], XS.sameIssueAs, XR["problem-3"])
    add(XR["problem-3"], XS.sameIssueAs, XR["problem-2"])
    add(XR["problem-4"], XS.previouslyRaisedIn, earlier)
    add(XR["problem-4"], XS.recurrenceCue, _zh("仍然存在"))
    add(XR["problem-4"], XS.recurrenceEvidence, span("cue-4", 420, "仍然存在"))
    for name, (a, c, score) in {"sure": ("problem-2", "problem-3", "0.91"), "maybe": ("problem-4", "problem-5", "0.52")}.items():
        link = XR[f"issuelink-{name}"]
        add(link, RDF.type, XS.IssueLink)
        add(link, XS.source, XR[a])
        add(link, XS.target, XR[c])
        add(link, XS.score, Literal(Decimal(score)))
        add(link, XS.method, Literal("tfidf"))

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
    add(pol, XS.evidence, span("pol-b", 2950, "财政专项资金管理办法"))
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


def make_graph(reverse: bool = False, extra: list[tuple] = ()) -> Graph:
    g = Graph()
    triples = build_triples() + list(extra)
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
    m = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page, re.DOTALL)
    assert m, "graph-data block missing"
    return json.loads(m.group(1))


def qn(name: str) -> str:
    """How the view names a resource: ``xr:…``."""
    return "xr:" + name


def by_iri(data: dict) -> dict[str, dict]:
    return {n["iri"]: n for n in data["nodes"]}


def edge_triples(data: dict) -> set[tuple[str, str, str]]:
    """(from iri, relation label, to iri) of every edge."""
    nodes = data["nodes"]
    return {(nodes[a]["iri"], data["relations"][r]["label"], nodes[b]["iri"]) for a, b, r in data["edges"]}


# ---------------------------------------------------------------- offline, self-contained


def test_no_remote_resources(page):
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"@import", page, re.IGNORECASE)
    assert "url(" not in view._STYLE.lower()  # no fonts or images to fetch
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
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
    scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    assert len(scripts) == 2
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp


# ---------------------------------------------------------------- nodes, labels, legend


def test_embedded_json_is_the_view_data(page, data):
    assert embedded_json(page) == json.loads(json.dumps(data))


def test_node_counts_by_type(data):
    counts = Counter(n["type"] for n in data["nodes"])
    assert counts == {
        "bulletin": 2,
        "round": 2,
        "inspection": 2,
        "unit": 2,
        "person": 1,
        "category": 1,
        "problem": 6,
        "part": 1,
        "measure": 1,
        "policy": 1,
        "cited": 1,
        "theme": 2,  # 三转 and its group; the unused theme is not drawn
        "figure": 1,
    }
    assert data["meta"]["nodeCount"] == 23 == len(data["nodes"])
    assert [n["id"] for n in data["nodes"]] == [f"n{i}" for i in range(23)]
    legend = {t["key"]: t for t in data["legend"]["types"]}
    assert legend["unit"]["name"] == "单位" and legend["unit"]["count"] == 2
    assert legend["problem"]["typeName"] == "反馈问题" and "整改状态" in legend["problem"]["name"]
    assert [t["key"] for t in data["legend"]["types"]] == [t.key for t in view.NODE_TYPES]
    assert [s["name"] for s in data["legend"]["statuses"]] == ["完成", "阶段性完成", "未完成", "正在整改", "长期坚持", "未写明"]


def test_hidden_node_kinds(data):
    iris = set(by_iri(data))
    assert not any(i.startswith("xr:span-") for i in iris)
    for hidden in ("doc-0001", "section-1", "issuelink-sure", "issuelink-maybe", "themeassignment-2"):
        assert qn(hidden) not in iris
    assert "xs:theme-unused" not in iris and "xs:theme-santhree" in iris
    # a section still shows up as a property of the problems in it
    assert ["所属章节", "二、反馈问题整改情况"] in by_iri(data)[qn("problem-2")]["props"]


def test_chinese_labels_and_shortening(graph):
    data = view.graph_to_view_data(graph, max_label=10)
    nodes = by_iri(data)
    assert nodes[qn("unit-1")]["label"] == "中共某区委员会"
    assert nodes[qn("policy-1")]["full"] == "《某区财政专项资金管理办法》"
    assert nodes[qn("bulletin-2")]["label"] == "附件1 整改问题清单"
    b = nodes[qn("bulletin-1")]
    assert b["label"] == "中共某区委关于区委…" and len(b["label"]) == 10
    assert b["full"] == "中共某区委关于区委第三巡察组反馈意见整改进展情况的通报"
    assert all(len(n["label"]) <= 10 for n in data["nodes"])
    assert nodes[qn("figure-1")]["label"] == "1.5亿元"
    assert nodes[qn("round-2019")]["label"] == "2019年区委巡察"
    assert ["职务", "区委书记"] in nodes[qn("person-1")]["props"]
    assert ["匿名", "否"] in nodes[qn("unit-2")]["props"]
    assert "alt" not in nodes[qn("unit-2")]  # its alias 区财政局 is part of its name


def test_aliases_are_searchable(graph):
    g = make_graph(extra=[(XR["unit-2"], SKOS.altLabel, _zh("区财政部门"))])
    assert by_iri(view.graph_to_view_data(g))[qn("unit-2")]["alt"] == ["区财政部门"]


def test_attachment_named_by_its_label(graph):
    g = make_graph(extra=[(XR["bulletin-2"], RDFS.label, _zh("附件1 某区财政局"))])
    att = by_iri(view.graph_to_view_data(g))[qn("bulletin-2")]
    assert att["label"] == "附件1 某区财政局"
    assert att["full"] == "附件1 整改问题清单(附件1 某区财政局)"


def test_status_and_statustext(data):
    nodes = by_iri(data)
    for i, key in enumerate(view.STATUS_STYLES, 1):
        assert nodes[qn(f"problem-{i}")]["status"] == key
    assert nodes[qn("problem-1")]["statusText"] == "已完成"
    assert "statusText" not in nodes[qn("problem-6")]
    assert not any(k == "整改结果原文" for k, _ in nodes[qn("problem-1")]["props"])  # shown once, not twice
    assert {s["key"]: s["count"] for s in data["legend"]["statuses"]} == dict.fromkeys(view.STATUS_STYLES, 1)
    assert len({s["color"] for s in data["legend"]["statuses"]}) == 6


# ---------------------------------------------------------------- evidence


def test_evidence_quotes_with_bulletin_and_position(data):
    nodes = by_iri(data)
    kinds = data["evidenceKinds"]
    assert kinds[:3] == ["原文出处", "整改结果出处", "反复出现出处"]
    assert data["docs"] == [{"path": "corpus/某区整改通报.txt"}]
    pol = nodes[qn("policy-1")]
    b1, b2 = nodes[qn("bulletin-1")]["id"], nodes[qn("bulletin-2")]["id"]
    # the second quote sits after the attachment's title, so it is in the attachment
    assert pol["evidence"] == [
        {"kind": 0, "start": 703, "end": 715, "exact": "某区财政专项资金管理办法", "doc": 0, "bulletin": b1},
        {"kind": 0, "start": 2950, "end": 2960, "exact": "财政专项资金管理办法", "doc": 0, "bulletin": b2},
    ]
    assert "evidenceTotal" not in pol  # only when the list was cut
    # a quote that is the node's full text is not repeated in the data
    p1 = nodes[qn("problem-1")]
    assert p1["evidence"] == [{"kind": 0, "start": 100, "end": 100 + len(PROBLEM1_TEXT), "doc": 0, "bulletin": b1}]
    p4 = nodes[qn("problem-4")]
    assert {"kind": 2, "start": 420, "end": 424, "exact": "仍然存在", "doc": 0, "bulletin": b1} in p4["evidence"]


def test_theme_assignment_and_issue_links_on_the_problem(data):
    p2 = by_iri(data)[qn("problem-2")]
    assert ["主题归类", "三转(规则(主题词) · 得分 1.0)"] in p2["props"]
    assert ["同一问题", "问题3干部队伍建设(相似度 0.91 · tfidf)"] in p2["props"]
    assert {"kind": 3, "start": 205, "end": 209, "exact": "干部队伍", "note": "三转", "doc": 0, "bulletin": data["nodes"][0]["id"]} in p2["evidence"]
    p4 = by_iri(data)[qn("problem-4")]
    assert ["疑似同一问题", "问题5干部队伍建设(相似度 0.52 · tfidf)"] in p4["props"]


def test_evidence_list_is_capped(graph, monkeypatch):
    monkeypatch.setattr(view, "MAX_EVIDENCE", 1)
    pol = by_iri(view.graph_to_view_data(graph))[qn("policy-1")]
    assert len(pol["evidence"]) == 1 and pol["evidenceTotal"] == 2


def test_text_file_offsets(graph):
    g = make_graph(extra=[(XR["doc-0001"], XS.textFile, Literal("build/text/doc-0001.txt"))])
    data = view.graph_to_view_data(g)
    assert data["docs"] == [{"path": "corpus/某区整改通报.txt", "textFile": "build/text/doc-0001.txt"}]


def test_empty_graph(tmp_path):
    page = view.write_html(Graph(), tmp_path / "empty.html").read_text(encoding="utf-8")
    data = embedded_json(page)
    assert data["nodes"] == [] and data["edges"] == [] and data["meta"]["nodeCount"] == 0
    assert data["recurrence"] == [] and data["groups"] == []


# ---------------------------------------------------------------- edges


def test_edges_with_chinese_labels(data):
    edges = edge_triples(data)

    def has(s, label, o):
        return (qn(s) if "-" in s and not s.startswith("xs:") else s, label, qn(o) if not o.startswith("xs:") else o) in edges

    assert has("measure-1", "针对问题", "problem-1")
    assert has("measure-1", "出台制度", "policy-1")
    assert has("measure-1", "引用", "cited-1")
    assert has("problem-1", "所属通报", "bulletin-1")
    assert has("problem-1", "涉及单位", "unit-2")
    assert has("bulletin-1", "发文单位", "unit-1")
    assert has("inspection-1", "被巡视单位", "unit-2")
    assert has("inspection-1", "所属轮次", "round-2023")
    assert has("bulletin-2", "所属主通报", "bulletin-1")
    assert has("person-1", "所属单位", "unit-1")
    assert has("part-1", "属于问题", "problem-1")
    assert has("problem-4", "此前指出于", "inspection-0")
    assert (qn("problem-2"), "主题", "xs:theme-santhree") in edges
    assert ("xs:theme-santhree", "上位主题", "xs:theme-group-discipline") in edges
    relations = {r["prop"]: r for r in data["relations"]}
    # xs:sameIssueAs is symmetric: one edge, not two; the candidate link is a dashed edge
    same = [e for e in data["edges"] if data["relations"][e[2]]["prop"] == "xs:sameIssueAs"]
    assert len(same) == 1
    assert relations["xs:IssueLink"] == {"label": "疑似同一问题", "prop": "xs:IssueLink", "style": "dashed"}
    assert (qn("problem-4"), "疑似同一问题", qn("problem-5")) in edges
    assert not any(lbl == "疑似同一问题" and {a, b} == {qn("problem-2"), qn("problem-3")} for a, lbl, b in edges)
    # no edges to spans, documents, sections or status individuals
    assert not set(relations) & {"xs:evidence", "xs:inDocument", "xs:inSection", "xs:status", "xs:statusEvidence"}
    assert data["meta"]["edgeCount"] == len(data["edges"]) == len({tuple(e) for e in data["edges"]})


# ---------------------------------------------------------------- filters


def test_facets(data):
    nodes = by_iri(data)
    f = data["facets"]
    assert [b["id"] for b in f["bulletins"]] == [nodes[qn("bulletin-1")]["id"], nodes[qn("bulletin-2")]["id"]]
    assert [(b["problems"]) for b in f["bulletins"]] == [5, 1]
    assert [u["name"] for u in f["publishers"]] == ["中共某区委员会", "某区财政局"]
    assert [b["publisher"] for b in f["bulletins"]] == [0, 1]
    assert f["years"] == [{"year": "2019", "problems": 1}, {"year": "2023", "problems": 6}]
    assert [(t["name"], t["depth"], t["problems"]) for t in f["themes"]] == [("全面从严治党与纪律监督", 0, 3), ("三转", 1, 3)]

    def fb(name):
        return nodes[qn(name)].get("fb", [])

    assert fb("problem-1") == [0] and fb("problem-6") == [1] and fb("figure-1") == [0]
    assert fb("unit-2") == [0, 1]  # shared: the bulletins of its neighbours
    assert fb("round-2023") == [0, 1]  # two steps out: round -> inspection -> bulletins
    # a problem's years: the round it was raised in and the earlier round its text cites
    assert nodes[qn("problem-4")]["fy"] == [0, 1] and nodes[qn("problem-2")]["fy"] == [1]
    assert nodes[qn("round-2019")]["fy"] == [0]
    # themes: the problem's and their broader ones; measures take their problem's only
    assert nodes[qn("problem-2")]["ft"] == [0, 1]
    assert "ft" not in nodes[qn("problem-1")] and "ft" not in nodes[qn("measure-1")]
    assert nodes["xs:theme-group-discipline"]["ft"] == [0]
    assert nodes[qn("category-1")]["ft"] == [0, 1]  # holds themed problems


# ---------------------------------------------------------------- recurrence


def test_recurrence_timeline(data):
    nodes = by_iri(data)
    nid = {iri: n["id"] for iri, n in nodes.items()}
    [theme] = data["recurrence"]
    assert theme["theme"] == nid["xs:theme-santhree"] and theme["name"] == "三转"
    assert theme["problemCount"] == 3
    assert theme["direct"] == [nid[qn(f"problem-{i}")] for i in (2, 3, 4)]
    assert [(r["year"], r["label"], r["kind"]) for r in theme["rounds"]] == [
        ("2019", "2019年区委巡察", "earlier"),
        ("2023", "2023年区委第三巡察组", "current"),
    ]
    earlier, current = theme["rounds"]
    assert earlier["round"] == nid[qn("round-2019")] and earlier["problems"] == []
    assert earlier["cited"] == [[nid[qn("problem-4")], nid[qn("inspection-0")]]]
    assert current["problems"] == [nid[qn(f"problem-{i}")] for i in (2, 3, 4)]
    assert theme["links"] == [[nid[qn("problem-2")], nid[qn("problem-3")], "same"]]


def test_recurrence_agrees_with_trace(graph, data):
    """The view's lanes are trace()'s entries: same rounds, same order, same problems."""
    nodes = {n["id"]: n for n in data["nodes"]}
    for theme in data["recurrence"]:
        t = trace(graph, theme["name"])
        expected = [(e.round_label, sorted(p.iri for p in e.problems)) for e in t.entries]
        got = [(r["label"], sorted(str(XR[nodes[p]["iri"][3:]]) for p in r["problems"])) for r in theme["rounds"]]
        assert got == expected


def test_recurrence_follows_same_issue_links(graph):
    """A problem linked by xs:sameIssueAs to a themed one joins the timeline (as trace does)."""
    g = make_graph(extra=[(XR["problem-5"], XS.sameIssueAs, XR["problem-4"]), (XR["problem-4"], XS.sameIssueAs, XR["problem-5"])])
    theme = view.graph_to_view_data(g)["recurrence"][0]
    assert theme["problemCount"] == 4 and len(theme["direct"]) == 3


# ---------------------------------------------------------------- layout and overview


def test_layout_groups(data):
    assert data["meta"]["layout"] == "radial-tree"
    pos = [(n["x"], n["y"]) for n in data["nodes"]]
    assert len(set(pos)) == len(pos)
    groups = data["groups"]
    assert [(g["kind"], g["type"]) for g in groups][:2] == [("bulletin", "bulletin"), ("bulletin", "bulletin")]
    assert sum(g["count"] for g in groups) == len(data["nodes"])
    counts = Counter(n["g"] for n in data["nodes"])
    assert [counts[i] for i in range(len(groups))] == [g["count"] for g in groups]
    nodes = by_iri(data)
    # local nodes hang in their bulletin's group; the policy, touched only by bulletin 1's
    # measure, sits on the ring around it; units touch both bulletins, so have their own group
    assert nodes[qn("problem-1")]["g"] == nodes[qn("bulletin-1")]["g"] == nodes[qn("policy-1")]["g"] == 0
    assert nodes[qn("problem-6")]["g"] == nodes[qn("bulletin-2")]["g"] == 1
    unit_group = groups[nodes[qn("unit-2")]["g"]]
    assert (unit_group["kind"], unit_group["type"], unit_group["name"]) == ("type", "unit", "单位")
    assert data["meta"]["collapseAbove"] == view.COLLAPSE_ABOVE


def test_same_graph_in_any_order_gives_the_same_data(data):
    assert view.graph_to_view_data(make_graph(reverse=True)) == data


def test_synthetic_graph_of_the_bench(tmp_path):
    """bench/bench_view.py builds a graph of exactly the requested size in the real shape."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_view import synthetic_graph
    finally:
        sys.path.remove(str(ROOT / "bench"))
    data = view.graph_to_view_data(synthetic_graph(1500))
    assert data["meta"]["nodeCount"] == 1500
    types = Counter(n["type"] for n in data["nodes"])
    assert types["problem"] > 200 and types["measure"] > 400 and types["theme"] > 5
    assert data["recurrence"] and any(len(t["rounds"]) > 2 for t in data["recurrence"])
    assert len(data["groups"]) < 40  # an overview of groups, not 1,500 leaves


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
    body = re.search(r'id="graph-data">(.*?)</script>', page, re.DOTALL).group(1)
    assert not set(body) & {"<", ">", "&"}
    nodes = by_iri(embedded_json(page))
    assert nodes[qn("problem-1")]["full"] == PROBLEM1_TEXT


def test_title_is_escaped(graph, tmp_path):
    page = view.write_html(graph, tmp_path / "t.html", title="<b>巡察</b> & 整改").read_text(encoding="utf-8")
    assert "<title>&lt;b&gt;巡察&lt;/b&gt; &amp; 整改</title>" in page
    assert "<b>巡察" not in page


def test_app_script_never_writes_html():
    js = view._APP_JS
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "srcdoc"):
        assert sink not in js


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_app_script_parses(tmp_path):
    f = tmp_path / "app.js"
    f.write_text(view._APP_JS, encoding="utf-8")
    subprocess.run(["node", "--check", str(f)], check=True, capture_output=True)
