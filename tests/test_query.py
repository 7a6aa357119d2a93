"""Named SPARQL queries (ontology/queries/*.rq) and pipeline.query on a small invented graph."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from pipeline.errors import UsageError
from pipeline.query import (
    display_width,
    format_result,
    load_graph,
    load_query,
    named_queries,
    query_info,
    query_lookup,
    query_params,
    run_query,
    to_term,
)
from pipeline.vocab import XR, XS

FIXTURE = Path(__file__).parent / "fixtures" / "mini-graph.ttl"
ROOT = Path(__file__).resolve().parent.parent
EXPECTED_QUERIES = {
    "bulletins",
    "cited-works",
    "evidence",
    "figures",
    "inspections",
    "people",
    "policies",
    "problems-by-status",
    "unfinished",
    "unit-problems",
}


@pytest.fixture(scope="module")
def graph() -> Graph:
    return load_graph(FIXTURE)


@pytest.fixture(scope="module")
def graph_with_ontology() -> Graph:
    return load_graph(FIXTURE, with_ontology=True)


def rows(graph, spec, bindings=None) -> list[dict[str, object]]:
    """Result rows as dicts of plain Python values (IRIs as xr:/xs: local names)."""
    result = run_query(graph, spec, bindings)
    names = [str(v) for v in result.vars]
    out = []
    for row in result:
        out.append({n: _plain(t) for n, t in zip(names, row)})
    return out


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


# ---------------------------------------------------------------- the query files


def test_named_queries_are_all_there():
    assert EXPECTED_QUERIES <= set(named_queries())


@pytest.mark.parametrize("name", sorted(EXPECTED_QUERIES))
def test_every_named_query_has_a_header_and_prefixes(name):
    text = named_queries()[name].read_text(encoding="utf-8")
    info = query_info(text)
    assert info.get("title") and info.get("description") and "params" in info
    assert "PREFIX xs:" in text
    # the declared parameters are real variables of the query
    for param in query_params(text):
        assert f"?{param}" in text.split("PREFIX", 1)[1]
    lookup = query_lookup(text)
    if lookup:  # looks up a declared parameter, for a node the query filters by it
        param, node, pattern = lookup
        assert param in query_params(text) and f"?{param}" in pattern
        assert f"?{node}" in text.split("PREFIX", 1)[1] and pattern.startswith(f"{{ ?{node} a xs:")


def test_lookup_lines():
    assert [n for n, p in sorted(named_queries().items()) if query_lookup(p.read_text(encoding="utf-8"))] == [
        "policies", "policy-reused", "unit-problems"]
    text = "# title: t\n# lookup: ?a → ?b { ?b a xs:C ;\n#   xs:p ?a }\nSELECT * { ?b ?p ?a }"
    assert query_lookup(text) == ("a", "b", "{ ?b a xs:C ; xs:p ?a }")
    assert query_lookup("SELECT * {}") is None
    with pytest.raises(UsageError, match="lookup"):
        query_lookup("# lookup: ?a finds ?b\nSELECT * {}")


@pytest.mark.parametrize("name", sorted(EXPECTED_QUERIES))
def test_every_named_query_returns_rows(graph, name):
    assert rows(graph, name), f"{name} returned no rows on the mini graph"


# ---------------------------------------------------------------- each query's rows


def test_problems_by_status(graph):
    got = [(r["bulletin"], r["status"], r["count"], r["issuer"]) for r in rows(graph, "problems-by-status")]
    assert got == [
        ("xr:bulletin-mini-main", "xs:Completed", 1, "中共示例区住房和城乡建设局党组"),
        ("xr:bulletin-mini-main", "xs:PartiallyCompleted", 1, "中共示例区住房和城乡建设局党组"),
        ("xr:bulletin-mini-main", "xs:NotCompleted", 1, "中共示例区住房和城乡建设局党组"),
        ("xr:bulletin-mini-att1", "xs:InProgress", 1, "示例区住房和城乡建设局机关党委"),
        ("xr:bulletin-mini-att1", "xs:Unknown", 1, "示例区住房和城乡建设局机关党委"),
    ]


def test_problems_by_status_labels_come_from_the_ontology(graph, graph_with_ontology):
    plain = [r["statusLabel"] for r in rows(graph, "problems-by-status")]
    assert plain == ["Completed", "PartiallyCompleted", "NotCompleted", "InProgress", "Unknown"]
    labelled = [r["statusLabel"] for r in rows(graph_with_ontology, "problems-by-status")]
    assert labelled == ["完成", "阶段性完成", "未完成", "正在整改", "未写明"]


def test_problems_by_status_bindings(graph):
    got = rows(graph, "problems-by-status", {"bulletin": "xr:bulletin-mini-att1"})
    assert [(r["status"], r["count"]) for r in got] == [("xs:InProgress", 1), ("xs:Unknown", 1)]
    got = rows(graph, "problems-by-status", {"status": "xs:NotCompleted"})
    assert [(r["bulletin"], r["count"]) for r in got] == [("xr:bulletin-mini-main", 1)]


def test_unfinished(graph_with_ontology):
    got = rows(graph_with_ontology, "unfinished")
    assert [(r["ordinal"], r["status"], r["statusLabel"], r["statusText"]) for r in got] == [
        ("2", "xs:PartiallyCompleted", "阶段性完成", "阶段性完成"),
        ("3", "xs:NotCompleted", "未完成", "未完成"),
        ("问题1", "xs:InProgress", "正在整改", "正在整改"),
        ("问题2", "xs:Unknown", "未写明", None),
    ]
    assert got[1]["text"] == "拆迁安置项目仍有部分居民在外租房过渡。"
    assert got[0]["bulletinTitle"] == "中共示例区住房和城乡建设局党组关于巡察整改进展情况的通报"


def test_unfinished_binding_filters_instead_of_overwriting(graph):
    got = rows(graph, "unfinished", {"?status": "xs:InProgress"})
    assert [(r["problem"], r["status"]) for r in got] == [("xr:problem-mini-att1-1", "xs:InProgress")]
    assert rows(graph, "unfinished", {"status": "xs:Completed"}) == []


def test_policies_one_row_per_policy_and_problem(graph):
    got = rows(graph, "policies")
    assert [(r["policy"], r["problem"], r["ordinal"]) for r in got] == [
        ("xr:policy-mini-bidding", "xr:problem-mini-1", "1"),
        ("xr:policy-mini-bidding", "xr:problem-mini-att1-1", "问题1"),
    ]
    for r in got:
        assert r["policyLabel"] == "示例区招投标监管办法"
        assert r["problemCount"] == 2
        assert r["mentionCount"] == 2
        assert r["measureCount"] == 1
        assert r["relation"] == "establishes"
        assert set(r["actions"].split("、")) == {"出台", "印发"}
    assert {r["status"] for r in got} == {"xs:Completed", "xs:InProgress"}


def test_policies_bindings(graph):
    assert len(rows(graph, "policies", {"policy_label": "招投标监管"})) == 2
    assert len(rows(graph, "policies", {"policy": "xr:policy-mini-bidding"})) == 2
    assert rows(graph, "policies", {"policy_label": "财务管理办法"}) == []


def test_unit_problems_by_label(graph):
    got = rows(graph, "unit-problems", {"unit_label": "某国企"})
    assert [(r["problem"], r["ordinal"], r["status"], r["units"], r["relations"]) for r in got] == [
        ("xr:problem-mini-2", "2", "xs:PartiallyCompleted", "某国企", "concernsUnit")
    ]
    assert got[0]["text"] == "某国企招投标监管不够严格,存在规避招标问题。"


def test_unit_problems_matches_alt_labels_publisher_and_inspected_unit(graph):
    # 住建局 is only in an altLabel of the party group, which published the main bulletin and
    # was inspected: all five problems (the attachment's through the inspection).
    got = rows(graph, "unit-problems", {"unit_label": "住建局"})
    assert [r["ordinal"] for r in got] == ["1", "2", "3", "问题1", "问题2"]
    assert {r["units"] for r in got} == {"中共示例区住房和城乡建设局党组"}
    assert got[0]["relations"].split(", ") and set(got[0]["relations"].split(", ")) == {"publisher", "inspectedUnit"}
    assert got[3]["relations"] == "inspectedUnit"
    # the attachment's issuer published only the attachment
    got = rows(graph, "unit-problems", {"unit_label": "机关党委"})
    assert [(r["bulletin"], r["ordinal"]) for r in got] == [
        ("xr:bulletin-mini-att1", "问题1"),
        ("xr:bulletin-mini-att1", "问题2"),
    ]


def test_unit_problems_other_bindings(graph):
    assert len(rows(graph, "unit-problems")) == 5  # no label: every problem with a unit link
    got = rows(graph, "unit-problems", {"unit": "xr:unit-mini-some-street"})
    assert [r["problem"] for r in got] == ["xr:problem-mini-1"]
    assert rows(graph, "unit-problems", {"unit_label": "示例市财政局"}) == []
    # a value with SPARQL syntax in it is data, not query text
    assert rows(graph, "unit-problems", {"unit_label": '") } ; DROP ALL ; #'}) == []


def test_bulletins(graph):
    got = rows(graph, "bulletins")
    assert [r["bulletin"] for r in got] == ["xr:bulletin-mini-main", "xr:bulletin-mini-att1"]
    main, att = got
    assert (main["problemCount"], att["problemCount"]) == (3, 2)
    assert str(main["date"]) == "2023-12-01" and str(att["date"]) == "2023-12-05"
    assert main["attachmentLabel"] is None and att["attachmentLabel"] == "附件1"
    assert att["mainBulletin"] == "xr:bulletin-mini-main"
    assert {r["inspectionKind"] for r in got} == {"巡察"}
    assert {r["team"] for r in got} == {"区委第二巡察组"}
    assert [r["bulletin"] for r in rows(graph, "bulletins", {"issuer_label": "机关党委"})] == ["xr:bulletin-mini-att1"]


def test_inspections(graph):
    (row,) = rows(graph, "inspections")
    assert row["inspection"] == "xr:inspection-mini"
    assert (row["inspectionKind"], row["team"], row["level"], row["inspectingBody"]) == ("巡察", "区委第二巡察组", "区县", "区委")
    assert (row["bulletinCount"], row["problemCount"], row["laterProblemCount"]) == (2, 5, 0)
    assert str(row["feedbackDate"]) == "2023-07-20"
    assert row["inspectedUnit"] == "中共示例区住房和城乡建设局党组"
    assert rows(graph, "inspections", {"kind": "巡视"}) == []
    assert len(rows(graph, "inspections", {"kind": "巡察"})) == 1


def test_people(graph):
    got = rows(graph, "people")
    assert [(r["personName"], r["role"], r["unit"], r["bulletin"]) for r in got] == [
        ("王建国", "党组书记", "中共示例区住房和城乡建设局党组", "xr:bulletin-mini-main")
    ]
    assert len(rows(graph, "people", {"unit_label": "住建局党组"})) == 1
    assert rows(graph, "people", {"unit_label": "机关党委"}) == []
    assert rows(graph, "people", {"name": "李"}) == []


def test_figures_largest_money_first(graph):
    got = rows(graph, "figures")
    assert [(r["figureText"], r["amountYuan"]) for r in got] == [
        ("1.5亿元", Decimal("150000000")),
        ("320万元", Decimal("3200000")),
    ]
    assert got[0]["measureText"] == "印发《示例区招投标监管办法》,落实资金1.5亿元。"
    got = rows(graph, "figures", {"bulletin": "xr:bulletin-mini-main"})
    assert [r["figure"] for r in got] == ["xr:figure-mini-320"]


def test_cited_works(graph):
    (row,) = rows(graph, "cited-works")
    assert (row["label"], row["workKind"], row["altLabels"]) == ("中华人民共和国招标投标法", "regulation", "招标投标法")
    assert (row["measureCount"], row["bulletinCount"]) == (1, 1)
    assert len(rows(graph, "cited-works", {"kind": "regulation"})) == 1
    assert rows(graph, "cited-works", {"kind": "book"}) == []


def test_evidence_of_a_node(graph):
    got = rows(graph, "evidence", {"node": "xr:problem-mini-1"})
    assert [(r["relation"], r["start"], r["end"], r["exact"]) for r in got] == [
        ("evidence", 214, 244, "1.落实“三转”不到位,个别街道纪工委书记协管其他业务工作。"),
        ("statusEvidence", 250, 252, "完成"),
    ]
    assert {r["source"] for r in got} == {"invented/示例区住建局巡察整改通报.txt"}
    # offsets and exact text agree in the whole fixture
    for r in rows(graph, "evidence"):
        assert r["end"] - r["start"] == len(r["exact"])


# ---------------------------------------------------------------- formats


def test_csv_format(graph):
    text = format_result(run_query(graph, "unfinished"), "csv")
    assert "\r\n" in text
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["bulletin", "bulletinTitle", "problem", "ordinal", "text", "status", "statusLabel", "statusText"]
    assert len(table) == 5
    assert table[1][2] == str(XR["problem-mini-2"])
    assert table[4][7] == ""  # unbound statusText


def test_tsv_format(graph):
    text = format_result(run_query(graph, "bulletins"), "tsv")
    lines = text.rstrip("\n").split("\n")
    assert lines[0].split("\t")[:3] == ["?bulletin", "?title", "?issuer"]
    assert len(lines) == 3
    first = lines[1].split("\t")
    assert first[0] == f"<{XR['bulletin-mini-main']}>"
    assert first[1] == '"中共示例区住房和城乡建设局党组关于巡察整改进展情况的通报"@zh'
    assert first[6] == '"3"^^<http://www.w3.org/2001/XMLSchema#integer>'


def test_json_format(graph):
    doc = json.loads(format_result(run_query(graph, "problems-by-status"), "json"))
    assert doc["head"]["vars"] == ["bulletin", "title", "issuer", "status", "statusLabel", "count"]
    bindings = doc["results"]["bindings"]
    assert len(bindings) == 5
    assert bindings[0]["bulletin"] == {"type": "uri", "value": str(XR["bulletin-mini-main"])}
    assert bindings[0]["title"]["xml:lang"] == "zh"
    assert bindings[0]["count"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"


def test_table_format_aligns_wide_characters(graph):
    text = format_result(run_query(graph, "people"), "table")
    lines = text.rstrip("\n").split("\n")
    assert lines[0].startswith("person") and lines[-1] == "(1 行 / 1 rows)"
    # the column of names starts at the same terminal column in the header and in the row
    header, rule, row = lines[0], lines[1], lines[2]
    col = header.index("personName")
    assert display_width(row[: row.index("王建国")]) == col
    assert "xr:person-mini-wang" in row  # IRIs shortened with the project's prefixes
    assert rule.startswith("-")


def test_table_format_truncates_long_cells(graph):
    text = format_result(run_query(graph, "bulletins"), "table", max_width=20)
    assert "中共示例区住房和城…" in text
    for line in text.splitlines()[2:-1]:
        for cell in line.split("  "):
            assert display_width(cell.strip()) <= 21


def test_ask_and_construct(graph):
    assert format_result(run_query(graph, "ASK { ?p xs:status xs:NotCompleted }"), "table") == "true"
    assert format_result(run_query(graph, "ASK { ?p xs:status xs:LongTerm }"), "csv") == "false"
    assert json.loads(format_result(run_query(graph, "ASK { ?p a xs:Problem }"), "json")) == {"head": {}, "boolean": True}
    turtle = format_result(run_query(graph, "CONSTRUCT { ?p xs:status ?s } WHERE { ?p xs:status ?s }"), "json")
    assert len(Graph().parse(data=turtle, format="turtle")) == 5


def test_unknown_format(graph):
    with pytest.raises(UsageError, match="unknown format"):
        format_result(run_query(graph, "bulletins"), "xml")


# ---------------------------------------------------------------- specs, errors, bindings


def test_load_query_from_name_path_and_text(tmp_path):
    name, text = load_query("unfinished")
    assert name == "unfinished" and "xs:Completed" in text
    file = tmp_path / "my-count.rq"
    file.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?p a xs:Problem }", encoding="utf-8")
    assert load_query(str(file)) == ("my-count", file.read_text(encoding="utf-8"))
    assert load_query("SELECT ?x WHERE { ?x a xs:Bulletin }")[0] == "inline"


def test_query_file_runs(graph, tmp_path):
    file = tmp_path / "count.rq"
    file.write_text("# title: count\nSELECT (COUNT(*) AS ?n) WHERE { ?p a xs:Problem }\n", encoding="utf-8")
    assert rows(graph, str(file)) == [{"n": 5}]


def test_unknown_named_query_lists_the_names():
    with pytest.raises(UsageError) as info:
        load_query("unfinshed")
    message = str(info.value)
    assert "unfinshed" in message and "未知的查询" in message
    for name in EXPECTED_QUERIES:
        assert name in message


def test_missing_query_file():
    with pytest.raises(UsageError, match="query file not found"):
        load_query("no/such/file.rq")


def test_bad_sparql_gives_a_readable_usage_error(graph):
    with pytest.raises(UsageError) as info:
        run_query(graph, "SELECT ?p WHERE {\n  ?p a xs:Problem \n  FILTER (?p = }")
    message = str(info.value)
    assert "\n" not in message
    assert "SPARQL 语法错误" in message and "line 3" in message and "column" in message
    assert "Traceback" not in message


def test_unknown_prefix_gives_a_usage_error(graph):
    with pytest.raises(UsageError, match="unknown prefix"):
        run_query(graph, "SELECT ?p WHERE { ?p a nope:Problem }")


def test_unknown_parameter_is_reported(graph):
    with pytest.raises(UsageError) as info:
        run_query(graph, "unit-problems", {"unit_lable": "某国企"})
    assert "?unit_lable" in str(info.value) and "?unit_label" in str(info.value)


def test_to_term():
    assert to_term("xs:Completed") == XS.Completed
    assert to_term("xr:problem-1") == XR["problem-1"]
    assert to_term("https://example.org/a") == URIRef("https://example.org/a")
    assert to_term("<urn:x:1>") == URIRef("urn:x:1")
    assert to_term("某国企") == Literal("某国企")
    assert to_term("整改结果:完成") == Literal("整改结果:完成")
    assert to_term(Literal(3)) == Literal(3)


def test_display_width():
    assert display_width("abc") == 3
    assert display_width("三转ab") == 6
    assert display_width("\uff08一\uff09") == 6  # full-width parentheses are wide


# ---------------------------------------------------------------- loading graphs


def test_load_graph_from_a_directory(tmp_path):
    sub = tmp_path / "graphs" / "part"
    sub.mkdir(parents=True)
    shutil.copy(FIXTURE, sub / "mini.ttl")
    Graph().parse(FIXTURE).serialize(tmp_path / "graphs" / "copy.nt", format="nt", encoding="utf-8")
    (tmp_path / "graphs" / "notes.txt").write_text("not RDF", encoding="utf-8")
    g = load_graph(tmp_path / "graphs")
    assert [r["count"] for r in rows(g, "problems-by-status")] == [1, 1, 1, 1, 1]


def test_a_folder_is_read_without_its_shacl_report(tmp_path):
    """A build folder's graph is its Turtle: the SHACL report beside it is about the graph,
    not of it (a query counting triples would count it), unless named alone; serve and push
    read the same files."""
    from pipeline.store import graph_files

    (tmp_path / "g").mkdir()
    shutil.copy(FIXTURE, tmp_path / "g" / "xunshi.ttl")
    shutil.copy(ROOT / "graphs" / "shacl-report.ttl", tmp_path / "g" / "shacl-report.ttl")
    assert graph_files(tmp_path / "g") == [tmp_path / "g" / "xunshi.ttl"]
    assert len(load_graph(tmp_path / "g")) == len(Graph().parse(FIXTURE))
    report = load_graph(tmp_path / "g" / "shacl-report.ttl")
    from rdflib.namespace import RDF, SH

    assert len(report) == 2 and (None, RDF.type, SH.ValidationReport) in report


def test_load_graph_errors(tmp_path):
    with pytest.raises(UsageError, match="graph path not found"):
        load_graph(tmp_path / "missing")
    with pytest.raises(UsageError, match="no .ttl"):
        load_graph(tmp_path)
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix xs: <https://w3id.org/xunshi/ontology#> .\nxs:a xs:b", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot parse RDF file"):
        load_graph(bad)


MIXED_TURTLE = """@prefix xs: <https://w3id.org/xunshi/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
xs:a xs:text "整改\\n完成"@zh , "plain" , "typed"^^xsd:string , "en"@en-GB ;
    xs:count 12 , "007"^^xsd:integer ; xs:share 0.5 ; xs:big 1.5e3 ; xs:flag true ;
    xs:date "2023-12-22"^^xsd:date ; xs:odd "x"^^<urn:x-test:dt> ;
    xs:node [ xs:text "in a blank node" ] , _:b1 .
_:b1 xs:text "named blank" .
"""


def test_load_graph_reads_what_rdflib_reads(tmp_path):
    """Triple files are read by Oxigraph's parser into the build's store: the same triples
    as rdflib's parser gives (blank nodes aside; ``xsd:string`` literals simple, as the build
    makes them), the sample's build and a file with every kind of literal."""
    (tmp_path / "mixed.ttl").write_text(MIXED_TURTLE, encoding="utf-8")
    Graph().parse(data=MIXED_TURTLE, format="turtle").serialize(tmp_path / "mixed.nt", format="nt", encoding="utf-8")
    for f in (ROOT / "graphs" / "xunshi.ttl", tmp_path / "mixed.ttl", tmp_path / "mixed.nt"):
        ours = load_graph(f)
        theirs = Graph().parse(f)
        assert type(ours.store).__name__ == "CompactMemory" and len(ours) == len(theirs), f

        def ground(g):
            out = set()
            for s, p, o in g:
                if isinstance(o, Literal) and o.datatype == XSD.string:
                    o = Literal(str(o))
                out.add((s if isinstance(s, URIRef) else "_", p, o if not isinstance(o, BNode) else "_"))
            return out

        assert ground(ours) == ground(theirs), f
        # the same Python values (numbers, dates) as rdflib's
        # (language tags compare lower-cased: Oxigraph's parser lower-cases them, rdflib keeps them as written)
        values = {(str(o), (o.language or "").lower(), o.datatype): o.toPython() for o in theirs.objects() if isinstance(o, Literal)}
        for o in ours.objects():
            if isinstance(o, Literal):
                want = values.get((str(o), o.language or "", o.datatype), values.get((str(o), "", XSD.string)))
                assert o.toPython() == want, o
    mixed = load_graph(tmp_path / "mixed.ttl")
    assert mixed.value(URIRef("https://w3id.org/xunshi/ontology#a"), URIRef("https://w3id.org/xunshi/ontology#count"),
                       any=True) in (Literal(12), Literal("007", datatype=XSD.integer))
    assert {o.toPython() for o in mixed.objects(None, URIRef("https://w3id.org/xunshi/ontology#date"))} == {
        __import__("datetime").date(2023, 12, 22)}


def test_load_graph_with_quads_gives_a_union_dataset(tmp_path):
    from rdflib import Dataset

    ds = Dataset()
    named = ds.graph(URIRef("urn:x-test:mini"))
    named.parse(FIXTURE, format="turtle")
    ds.serialize(tmp_path / "mini.trig", format="trig", encoding="utf-8")
    g = load_graph(tmp_path)
    assert isinstance(g, Dataset)
    assert [r["count"] for r in rows(g, "problems-by-status")] == [1, 1, 1, 1, 1]
    assert rows(g, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:x-test:mini> { ?p a xs:Problem } }") == [{"n": 5}]
