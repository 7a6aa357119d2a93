"""The on-disk store (pipeline.store): the partition rule, per-document replacement and
removal, and named queries giving rdflib's rows."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from pipeline.errors import UsageError
from pipeline.query import load_graph, load_query, named_queries, run_query
from pipeline.store import (
    CORPUS_GRAPH,
    ONTOLOGY_GRAPH,
    StoreError,
    bound_query,
    check_bindings,
    inline_bindings,
    is_store,
    lookup_bindings,
    open_store,
    partition,
    query_store,
    read_manifest,
    remove_document,
    run_ox,
    to_result,
    write_store,
)
from pipeline.vocab import OA, XR, XS, XS_URI, ontology_dir

THEME = URIRef(XS_URI + "theme-audit-rectification")  # themes.ttl, outside the closed namespace

# ---------------------------------------------------------------- helpers


def quads_by_graph(store_dir: Path) -> dict[str, set[str]]:
    """Graph IRI → its triples as N-Triples-ish strings (a snapshot to compare)."""
    store = open_store(store_dir, read_only=True)
    try:
        out: dict[str, set[str]] = {}
        for q in store:
            out.setdefault(q.graph_name.value, set()).add(f"{q.subject} {q.predicate} {q.object}")
        return out
    finally:
        del store


def copy_as_new_document(graph: Graph, suffix: str) -> Graph:
    """The same corpus again as if from another file: every ``xr:`` IRI gets ``suffix``
    (themes and statuses, in ``xs:``, stay shared)."""
    xr = str(XR)

    def ren(t):
        return URIRef(f"{t}{suffix}") if isinstance(t, URIRef) and str(t).startswith(xr) else t

    out = Graph()
    for s, p, o in graph:
        out.add((ren(s), p, ren(o)))
    return out


def concat_columns(text: str) -> dict[str, str]:
    """Projected GROUP_CONCAT columns of a query → their separator (values are unordered)."""
    pat = re.compile(r'GROUP_CONCAT\s*\(.*?separator\s*=\s*"([^"]*)"\s*\)\s*AS\s*\?(\w+)', re.S | re.I)
    return {var: sep for sep, var in pat.findall(text)}


def norm(term, sep: str | None = None):
    """A comparable form of a result term: numbers by value (engines write 1.50 or 1.5),
    GROUP_CONCAT values as sorted parts (SPARQL leaves their order to the engine)."""
    if sep is not None and (term is None or str(term) == ""):
        return ("concat", ())  # rdflib: "" for a group of unbound values; Oxigraph: unbound
    if term is None:
        return None
    if isinstance(term, Literal) and term.datatype in (XSD.decimal, XSD.integer, XSD.double, XSD.float):
        try:
            return ("number", Decimal(str(term)))
        except InvalidOperation:
            return ("number", str(term))
    if sep and isinstance(term, Literal):
        return ("concat", tuple(sorted(str(term).split(sep))), term.language)
    return term


def comparable(result, text: str) -> list[tuple]:
    cols = concat_columns(text)
    names = [str(v) for v in result.vars]
    return [tuple(norm(t, cols.get(n)) for n, t in zip(names, row)) for row in result]


# ---------------------------------------------------------------- the partition rule


def _doc(name: str) -> URIRef:
    return XR[f"doc-{name}"]


def _span(g: Graph, doc: URIRef, name: str) -> URIRef:
    sp = XR[f"span-{name}"]
    g.add((sp, RDF.type, XS.Span))
    g.add((sp, XS.inDocument, doc))
    g.add((sp, OA.start, Literal(0)))
    g.add((sp, OA.end, Literal(1)))
    return sp


@pytest.fixture()
def two_docs() -> Graph:
    """Documents A and B: own nodes, a policy cited in both, links within and across them."""
    g = Graph()
    a, b = _doc("a"), _doc("b")
    for d in (a, b):
        g.add((d, RDF.type, XS.SourceDocument))
    pa, pa2, pb, pol, ma = XR["problem-a"], XR["problem-a2"], XR["problem-b"], XR["policy-p"], XR["measure-a"]
    g.add((pa, XS.evidence, _span(g, a, "a1")))
    g.add((pa, XS.statusEvidence, _span(g, a, "a1s")))
    g.add((pa, XS.text, Literal("问题甲", lang="zh")))
    g.add((pa, XS.status, XS.Completed))
    g.add((pa2, XS.evidence, _span(g, a, "a2")))
    g.add((pb, XS.evidence, _span(g, b, "b1")))
    g.add((pol, RDF.type, XS.Policy))
    g.add((pol, RDFS.label, Literal("某办法", lang="zh")))
    g.add((pol, XS.evidence, _span(g, a, "a3")))
    g.add((pol, XS.evidence, _span(g, b, "b3")))
    g.add((ma, XS.evidence, _span(g, a, "a4")))
    g.add((ma, XS.establishes, pol))
    g.add((pa, XS.sameIssueAs, pa2))
    g.add((pa, XS.sameIssueAs, pb))
    for name, target in (("in", pa2), ("across", pb)):
        link = XR[f"issuelink-{name}"]
        g.add((link, RDF.type, XS.IssueLink))
        g.add((link, XS.source, pa))
        g.add((link, XS.target, target))
    theme = THEME
    g.add((theme, SKOS.prefLabel, Literal("审计整改", lang="zh")))
    g.add((pa, XS.theme, theme))
    return g


def test_partition_puts_each_triple_in_one_graph_by_its_document(two_docs):
    parts = partition(two_docs)
    a, b = _doc("a"), _doc("b")
    where = {t: g for g, triples in parts.items() for t in triples}
    assert sum(len(v) for v in parts.values()) == len(two_docs) == len(where)
    pa, pol = XR["problem-a"], XR["policy-p"]
    # spans, documents and a node's own facts: its document
    assert where[(XR["span-b1"], XS.inDocument, b)] == b
    assert where[(a, RDF.type, XS.SourceDocument)] == a
    assert where[(pa, XS.text, Literal("问题甲", lang="zh"))] == a
    assert where[(pa, XS.status, XS.Completed)] == a  # the object is corpus-level: no matter
    assert where[(pa, XS.theme, THEME)] == a
    # a node shared by two documents: its description is corpus-level, each evidence link its document's
    assert where[(pol, RDFS.label, Literal("某办法", lang="zh"))] == CORPUS_GRAPH
    assert where[(pol, XS.evidence, XR["span-a3"])] == a
    assert where[(pol, XS.evidence, XR["span-b3"])] == b
    assert where[(XR["measure-a"], XS.establishes, pol)] == a  # a link *to* a shared node stays home
    # links: within a document → that document; across documents → corpus
    assert where[(pa, XS.sameIssueAs, XR["problem-a2"])] == a
    assert where[(pa, XS.sameIssueAs, XR["problem-b"])] == CORPUS_GRAPH
    assert where[(XR["issuelink-in"], RDF.type, XS.IssueLink)] == a  # inherits from its problems
    assert where[(XR["issuelink-across"], XS.target, XR["problem-b"])] == CORPUS_GRAPH
    # nodes of no document (themes)
    assert where[(THEME, SKOS.prefLabel, Literal("审计整改", lang="zh"))] == CORPUS_GRAPH


def test_partition_reads_the_build_graphs_span_rows_as_a_plain_graph_reads_its_triples(sample_build):
    """A build graph's spans are rows of its span table (their documents read in place); a
    plain rdflib copy has them as triples (a dict of xs:inDocument): same partition."""
    from pipeline.memstore import CompactMemory

    _, report = sample_build
    graph = report.graph
    assert isinstance(graph.store, CompactMemory) and graph.store.spans.live > 1000
    plain = Graph()
    for t in graph:
        plain.add(t)
    built = {g: set(ts) for g, ts in partition(graph).items()}
    assert built == {g: set(ts) for g, ts in partition(plain).items()}
    assert len(built) == 2 and sum(map(len, built.values())) == len(graph)


def test_store_round_trips_the_sample_graph(sample_build, tmp_path):
    _, report = sample_build
    graph = report.graph
    stats = write_store(graph, tmp_path / "store")
    assert is_store(tmp_path / "store")
    doc = str(next(graph.subjects(RDF.type, XS.SourceDocument)))
    assert stats.documents == 1
    assert set(stats.written) == {doc, str(CORPUS_GRAPH), str(ONTOLOGY_GRAPH)}
    manifest = read_manifest(tmp_path / "store")
    assert {e["kind"] for e in manifest["graphs"].values()} == {"document", "corpus", "ontology"}
    snap = quads_by_graph(tmp_path / "store")
    data = snap[doc] | snap[str(CORPUS_GRAPH)]
    assert len(snap[doc]) + len(snap[str(CORPUS_GRAPH)]) == len(graph)  # disjoint: each triple once
    store = open_store(tmp_path / "store", read_only=True)
    try:
        back = Graph()
        for q in store.quads_for_pattern(None, None, None, None):
            if q.graph_name.value != str(ONTOLOGY_GRAPH):
                back.parse(data=f"{q.subject} {q.predicate} {q.object} .", format="nt")
    finally:
        del store
    assert len(back) == len(data) == len(graph)
    # Oxigraph keeps numbers canonical (xsd:decimal "1.0" comes back as "1"): same values
    assert {tuple(map(norm, t)) for t in back} == {tuple(map(norm, t)) for t in graph}
    # the same graph again: nothing rewritten
    again = write_store(graph, tmp_path / "store")
    assert again.written == () and again.removed == ()
    assert set(again.unchanged) == set(stats.written)
    assert quads_by_graph(tmp_path / "store") == snap


@pytest.fixture()
def two_doc_store(sample_build, tmp_path):
    """The sample and a renamed copy of it (document B) in one store."""
    _, report = sample_build
    a_graph = report.graph
    b_graph = copy_as_new_document(a_graph, "-b")
    both = a_graph + b_graph
    doc_a = str(next(a_graph.subjects(RDF.type, XS.SourceDocument)))
    doc_b = doc_a + "-b"
    write_store(both, tmp_path / "store")
    return tmp_path / "store", a_graph, b_graph, doc_a, doc_b


def test_changed_document_replaces_exactly_its_graph(two_doc_store):
    store_dir, a_graph, b_graph, doc_a, doc_b = two_doc_store
    before = quads_by_graph(store_dir)
    assert set(before) == {doc_a, doc_b, str(CORPUS_GRAPH), str(ONTOLOGY_GRAPH)}
    # document B changes: one problem's text and status
    problem = next(p for p in b_graph.subjects(RDF.type, XS.Problem) if (p, XS.status, XS.PartiallyCompleted) in b_graph)
    changed = Graph()
    for t in b_graph:
        changed.add(t)
    changed.remove((problem, XS.text, None))
    changed.add((problem, XS.text, Literal("改写后的问题", lang="zh")))
    changed.set((problem, XS.status, XS.Completed))
    for replace, written in ((None, (doc_b,)), ({doc_b}, ())):  # second round: nothing left to do
        stats = write_store(a_graph + changed, store_dir, replace_docs=replace)
        assert stats.written == written
        after = quads_by_graph(store_dir)
        assert after[doc_a] == before[doc_a]
        assert after[str(CORPUS_GRAPH)] == before[str(CORPUS_GRAPH)]
        assert after[doc_b] != before[doc_b]
    write_store(a_graph + changed, store_dir.parent / "fresh")
    assert quads_by_graph(store_dir) == quads_by_graph(store_dir.parent / "fresh")
    n = query_store(store_dir, "SELECT (COUNT(*) AS ?n) WHERE { ?p xs:text ?t . FILTER (STR(?t) = \"改写后的问题\") }")
    assert int(next(iter(n))[0]) == 1


def test_remove_document_removes_exactly_its_triples(two_doc_store, tmp_path):
    store_dir, a_graph, _b_graph, doc_a, doc_b = two_doc_store
    before = quads_by_graph(store_dir)
    b_nodes = {line.split(" ", 1)[0] for line in before[doc_b]} - {line.split(" ", 1)[0] for line in before[doc_a]}
    stats = remove_document(store_dir, doc_b)
    assert stats.removed == (doc_b,) and stats.documents == 1
    after = quads_by_graph(store_dir)
    assert doc_b not in after
    assert after[doc_a] == before[doc_a]
    assert after[str(ONTOLOGY_GRAPH)] == before[str(ONTOLOGY_GRAPH)]
    lost = before[str(CORPUS_GRAPH)] - after[str(CORPUS_GRAPH)]
    assert after[str(CORPUS_GRAPH)] <= before[str(CORPUS_GRAPH)]
    assert stats.triples_removed == len(lost)
    # what went from the corpus graph was about B's nodes (or a link record pointing at one)
    for line in lost:
        s, _p, o = line.split(" ", 2)
        assert s in b_nodes or o in b_nodes or s.startswith(f"<{XR}issuelink-"), line
    # nothing left mentions a node only B had
    for lines in after.values():
        for line in lines:
            s, _p, o = line.split(" ", 2)
            assert s not in b_nodes and o not in b_nodes, line
    assert remove_document(store_dir, doc_b).removed == ()  # again: nothing to do
    # the next build of the remaining corpus converges on a fresh store of it
    write_store(a_graph, store_dir)
    write_store(a_graph, tmp_path / "fresh")
    assert quads_by_graph(store_dir) == quads_by_graph(tmp_path / "fresh")


def test_a_deleted_document_is_dropped_by_the_next_write(two_doc_store):
    store_dir, a_graph, _b, doc_a, doc_b = two_doc_store
    stats = write_store(a_graph, store_dir)
    assert stats.removed == (doc_b,)
    assert stats.documents == 1
    assert set(quads_by_graph(store_dir)) == {doc_a, str(CORPUS_GRAPH), str(ONTOLOGY_GRAPH)}
    # replace_docs limits the documents considered: B, already gone, is not re-added
    assert write_store(a_graph, store_dir, replace_docs={doc_a}).removed == ()


def test_a_store_written_in_small_chunks_is_the_same_store(sample_build, tmp_path, monkeypatch):
    """The N-Quads go to Oxigraph in bounded chunks, loaded in a second thread: many chunks
    give the store one load gives, and a graph's blank nodes stay one node each (Oxigraph
    names a load's blank nodes afresh, so they are loaded per graph)."""
    from rdflib import BNode

    from pipeline.store import _Loader

    _, report = sample_build
    graph = Graph()
    for t in report.graph:
        graph.add(t)
    doc = next(graph.subjects(RDF.type, XS.SourceDocument))
    problem = next(graph.subjects(RDF.type, XS.Problem))
    note = BNode("note1")
    graph.add((note, RDFS.seeAlso, problem))  # inherits the problem's document
    graph.add((note, RDFS.label, Literal("附注", lang="zh")))
    graph.add((note, RDFS.comment, Literal("同一个空白节点", lang="zh")))
    write_store(graph, tmp_path / "whole")
    monkeypatch.setattr(_Loader, "CHUNK", 2_000)  # characters: hundreds of chunks
    stats = write_store(graph, tmp_path / "chunked")
    assert stats.triples_written == sum(read_manifest(tmp_path / "chunked")["graphs"][g]["triples"] for g in stats.written)
    def snapshot(path):  # Oxigraph names blank nodes afresh in each store
        return {g: {re.sub(r"_:[0-9a-f]+", "_:b", t) for t in ts} for g, ts in quads_by_graph(path).items()}

    assert snapshot(tmp_path / "chunked") == snapshot(tmp_path / "whole")
    store = open_store(tmp_path / "chunked", read_only=True)
    try:
        blanks = {q.subject for q in store if isinstance(q.subject, ox.BlankNode)}
        assert len(blanks) == 1  # label and comment on one node
        (b,) = blanks
        assert {q.graph_name.value for q in store.quads_for_pattern(b, None, None, None)} == {str(doc)}
    finally:
        del store


def test_a_failed_load_is_raised_in_the_writer():
    from pipeline.store import _Loader

    class Broken:
        def bulk_load(self, **_kw):
            raise OSError("disk full")

    loader = _Loader(Broken())
    loader.CHUNK = 10
    with pytest.raises(OSError, match="disk full"):
        for i in range(5):
            loader.add("http://g/1", f"<http://s/{i}> <http://p> <http://o> .", (None, None))
        loader.flush()
    assert loader.pool is None  # the loader thread is gone either way


def test_the_digest_is_the_same_in_any_order_and_differs_by_content():
    import random

    from pipeline.store import _digest

    lines = [f'<http://s/{i}> <http://p> "值{i}" .' for i in range(50)]
    shuffled = lines[:]
    random.Random(1).shuffle(shuffled)
    assert _digest(lines) == _digest(shuffled) != _digest(lines[:-1]) != _digest(lines[:-1] + [lines[0]])
    assert _digest(lines).startswith("sum-sha256:") and len(_digest(lines)) == len("sum-sha256:") + 64


def test_a_store_from_an_older_manifest_is_rewritten_once(sample_build, tmp_path):
    """An entry with the old ``sha256`` digest (sorted lines) is not trusted: the graph is
    rewritten once, with the new digest, and left alone after that."""
    import json

    _, report = sample_build
    first = write_store(report.graph, tmp_path / "store")
    path = tmp_path / "store" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for entry in manifest["graphs"].values():
        entry["sha256"] = "0" * 64
        del entry["digest"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    before = quads_by_graph(tmp_path / "store")
    again = write_store(report.graph, tmp_path / "store")
    assert again.written == first.written and again.unchanged == ()
    assert quads_by_graph(tmp_path / "store") == before
    assert write_store(report.graph, tmp_path / "store").written == ()


def test_cli_build_store_prints_counts_not_every_graph(tmp_path, capsys, monkeypatch):
    from pipeline.cli import main

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    monkeypatch.chdir(tmp_path)
    assert main(["build", str(corpus), "--out", "g", "--no-html", "--no-shacl", "--store", "st", "-q"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("图谱存储 (store)"))
    assert "1 个文档图" in line and "写入 (written) 3 个图" in line and "未变 (unchanged) 0" in line
    assert "https://" not in line and "StoreStats" not in line


# ---------------------------------------------------------------- queries


@pytest.fixture(scope="module")
def sample_store(sample_build, tmp_path_factory):
    _, report = sample_build
    path = tmp_path_factory.mktemp("store") / "store"
    write_store(report.graph, path)
    return path


@pytest.fixture(scope="module")
def rdflib_graph(sample_build):
    work, _ = sample_build
    return load_graph(work / "graphs", with_ontology=True)  # what `xunshi query` loads


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_queries_give_rdflibs_rows(name, sample_store, rdflib_graph):
    _, text = load_query(name)
    expected = comparable(run_query(rdflib_graph, name), text)
    got = comparable(query_store(sample_store, name), text)
    assert got == expected


BOUND_CASES = [
    ("unit-problems", {"unit_label": "岳麓高新区"}),
    ("unit-problems", {"unit_label": "某国企"}),
    ("policies", {"policy_label": "招商工作指引"}),
    ("unfinished", {"status": "xs:PartiallyCompleted"}),
    ("unfinished", {"status": "xs:InProgress"}),
    ("inspections", {"kind": "巡察"}),
    ("people", {"name": "谭勇"}),
    ("bulletins", {"issuer_label": "湘江新区"}),
    ("cited-works", {"kind": "book"}),
    ("recurring", {"theme": "xs:theme-three-transformations"}),
]


@pytest.mark.parametrize("name,bindings", BOUND_CASES, ids=[f"{n}-{next(iter(b.values()))}" for n, b in BOUND_CASES])
def test_bound_named_queries_give_rdflibs_rows(name, bindings, sample_store, rdflib_graph):
    _, text = load_query(name)
    expected = comparable(run_query(rdflib_graph, name, bindings), text)
    assert expected or bindings.get("status") == "xs:InProgress"  # the case is not vacuous
    assert comparable(query_store(sample_store, name, bindings), text) == expected
    # the VALUES text means on rdflib what initBindings means
    _, bound = bound_query(name, bindings)
    assert comparable(rdflib_graph.query(bound), text) == expected


def test_cli_queries_a_store_in_place(sample_build, sample_store, capsys):
    """``xunshi query --graph STORE`` runs on the store and prints what it prints for the
    graph folder (rdflib), label lookup included."""
    from pipeline.cli import main

    work, _ = sample_build
    out = {}
    for where in (work / "graphs", sample_store):
        assert main(["query", "unit-problems", "--bind", "unit_label=某农业公司", "-f", "csv", "--graph", str(where)]) == 0
        out[where] = capsys.readouterr().out
    assert out[work / "graphs"] == out[sample_store] and "某农业公司" in out[sample_store]


def test_iri_bindings(sample_store, rdflib_graph):
    bulletin = next(iter(rdflib_graph.subjects(RDF.type, XS.Bulletin)))
    problem = next(iter(rdflib_graph.subjects(RDF.type, XS.Problem)))
    for name, bindings in (("bulletins", {"bulletin": str(bulletin)}), ("evidence", {"node": f"<{problem}>"})):
        _, text = load_query(name)
        expected = comparable(run_query(rdflib_graph, name, bindings), text)
        assert expected
        assert comparable(query_store(sample_store, name, bindings), text) == expected


@pytest.fixture(scope="module")
def three_copies(sample_build, tmp_path_factory):
    """The sample build three times, as three documents (every ``xr:`` IRI renamed per copy, as
    bench/bench_store.py builds its large graph): rdflib's graph with the ontology (what
    ``xunshi query`` loads) and a store of the same triples."""
    _, report = sample_build
    big = Graph()
    for suffix in ("", "-c1", "-c2"):
        big += copy_as_new_document(report.graph, suffix) if suffix else report.graph
    path = tmp_path_factory.mktemp("copies") / "store"
    write_store(big, path)
    for name in ("xunshi.ttl", "themes.ttl"):
        big.parse(ontology_dir() / name, format="turtle")
    return big, path


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_queries_order_rows_totally_on_several_documents(name, three_copies):
    """Documents share positions, ordinals, round and unit labels, so an ORDER BY on those alone
    leaves ties, and SPARQL leaves the order within a tie to the engine (policy-reused's rows
    came out in another order from Oxigraph than from rdflib at 10,000 bulletins). Each named
    query orders its rows totally (most end on a node), so both engines give the same rows in
    the same order."""
    graph, store = three_copies
    _, text = load_query(name)
    expected = comparable(run_query(graph, name), text)
    got = comparable(query_store(store, name), text)
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    assert got == expected


@pytest.mark.parametrize("name", ["figures", "unit-problems"])
def test_queries_shaped_for_oxigraph_give_rdflibs_rows_on_three_copies(name, three_copies):
    """figures and unit-problems are written so that Oxigraph joins from the selective side
    (see their comments); on several documents, with and without parameters, they still give
    rdflib's rows (unbound, every named query is held to that by the test above)."""
    graph, store = three_copies
    _, text = load_query(name)
    cases: list[dict] = [{}]
    if name == "figures":
        # two bulletins of one copy (rdflib takes 0.6-3.5 s a bulletin here): one with figures, one without
        cases += [{"bulletin": str(b)} for b in sorted(graph.subjects(RDF.type, XS.Bulletin)) if str(b).endswith("-c1")][:2]
    if name == "unit-problems":
        units = sorted({u for p in (XS.concernsUnit, XS.inspectedUnit) for u in graph.objects(None, p)})
        cases += [{"unit_label": "岳麓高新区"}, {"unit_label": "某国企"}, {"unit_label": "没有这个单位"}]
        cases += [{"unit": str(u)} for u in units if str(u).endswith("-c2")][:4]
    found = []
    for bindings in cases:
        expected = comparable(run_query(graph, name, bindings), text)
        got = comparable(query_store(store, name, bindings), text)
        assert got == expected, bindings
        found.append(len(expected))
    assert found[0] and (len(found) == 1 or any(found[1:]))  # the cases are not vacuous


LOOKUP_CASES = [
    ("unit-problems", "unit_label", ["岳麓高新区", "某国企", "湘江新区", "局", "没有这个单位"]),
    ("policies", "policy_label", ["招商工作指引", "办法", "规定", "没有这个制度"]),
    ("policy-reused", "policy_label", ["办法", "清单", "没有这个制度"]),
]


@pytest.mark.parametrize("name,param,labels", LOOKUP_CASES, ids=[c[0] for c in LOOKUP_CASES])
def test_label_lookups_give_the_rows_of_the_filter_alone(name, param, labels, three_copies, sample_store, rdflib_graph):
    """A label parameter looked up first (the query's ``# lookup:`` line) gives the rows of the
    query's own filter, on the store and in rdflib, for labels matching one node, many, or
    none. Oxigraph runs on three copies of the sample (labels matching nodes in several
    documents); rdflib, whose joins are slow on three copies (~8 s a query), on one."""
    _, text = load_query(name)
    found = []
    for store_dir, graph in ((three_copies[1], None), (sample_store, rdflib_graph)):
        store = open_store(store_dir, read_only=True)
        try:
            for label in labels:
                bound = check_bindings(name, text, {param: label})
                looked_up = lookup_bindings(store, text, bound)
                (node, nodes), = looked_up.items()
                _, fast = bound_query(name, {param: label}, store=store)
                assert f"VALUES ?{node} {{" in fast or (not nodes and "FILTER (false)" in fast)
                plain = inline_bindings(text, bound)  # the filter alone
                # the copies tie on the ORDER BY keys: compare the rows as multisets
                expected = sorted(comparable(to_result(run_ox(store, plain)), text), key=repr)
                assert sorted(comparable(to_result(run_ox(store, fast)), text), key=repr) == expected, label
                if graph is not None:  # the same in rdflib, with and without the lookup
                    assert sorted(comparable(run_query(graph, name, {param: label}), text), key=repr) == expected, label
                    assert sorted(comparable(graph.query(fast), text), key=repr) == expected, label
                found.append((graph is None, len(nodes), len(expected)))
        finally:
            del store
    for copies in (True, False):  # not vacuous, on either
        rows = [(n, r) for c, n, r in found if c is copies]
        assert any(n > 1 and r for n, r in rows) and rows[-1] == (0, 0), (copies, rows)


def test_a_lookup_finding_too_many_nodes_is_not_used(three_copies, monkeypatch):
    import pipeline.store as store_module

    _, store_dir = three_copies
    store = open_store(store_dir, read_only=True)
    try:
        _, text = load_query("unit-problems")
        bound = check_bindings("unit-problems", text, {"unit_label": "湘江新区"})
        assert len(lookup_bindings(store, text, bound)["unit"]) > 1
        monkeypatch.setattr(store_module, "LOOKUP_MAX", 1)
        assert lookup_bindings(store, text, bound) == {}
        unit = check_bindings("unit-problems", text, {"unit": str(next(iter(graph_units(store))))})
        assert lookup_bindings(store, text, {**bound, **unit}) == {}  # the node is bound already
        assert lookup_bindings(store, text, {}) == {}
    finally:
        del store


def graph_units(store: ox.Store):
    for q in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(XS.Unit))):
        yield q.subject.value


def test_values_go_into_every_group_that_uses_the_variable():
    text = """SELECT ?a ?n WHERE {
      { ?a <http://x/p> ?u } UNION { ?a <http://x/q> ?u }
      OPTIONAL { ?u <http://x/label> ?l }
      { SELECT ?u (COUNT(?z) AS ?n) WHERE { ?u <http://x/r> ?z } GROUP BY ?u }
      { BIND (<http://x/b> AS ?u) }
      VALUES ?k { 1 2 }
      FILTER NOT EXISTS { ?a <http://x/s> ?other }
    }"""
    one = inline_bindings(text, {"u": ox.NamedNode("http://x/u1")})
    # the outer WHERE, both UNION branches, the OPTIONAL and the sub-select's WHERE; not
    # the sub-select's braces, the BIND group, the VALUES data or the NOT EXISTS group
    assert one.count("VALUES ?u { <http://x/u1> }") == 5
    assert "{ VALUES ?u" not in one.split("SELECT ?u")[0].rsplit("\n", 1)[-1]
    assert "VALUES ?k { 1 2 }" in one and "{ BIND" in one
    assert "EXISTS { ?a" in one
    many = inline_bindings(text, {"u": [ox.NamedNode("http://x/u1"), ox.NamedNode("http://x/u2")]})
    assert many.count("VALUES ?u { <http://x/u1> <http://x/u2> }") == 4  # not the outer WHERE: it never names ?u
    none = inline_bindings(text, {"u": []})
    assert none.count("FILTER (false)") == 4 and "VALUES ?u" not in none
    g = Graph()
    for bound in (one, many, none):
        g.query(bound)  # parses in rdflib
        ox.Store().query(bound)  # and in Oxigraph
    # a list where the outer WHERE never names the variable: the rows are not multiplied
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.NamedNode("http://x/u1")))
    store.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.NamedNode("http://x/u2")))
    q = "SELECT ?a WHERE { { SELECT DISTINCT ?a WHERE { ?a <http://x/p> ?u } } }"
    rows = list(store.query(inline_bindings(q, {"u": [ox.NamedNode("http://x/u1"), ox.NamedNode("http://x/u2")]})))
    assert len(rows) == 1
    assert list(store.query(inline_bindings(q, {"u": []}))) == []


NASTY = [
    '"} ; DROP ALL ; #',
    "\\u0022 } INSERT DATA { <http://x> <http://y> <http://z> } #",
    "a\nb\r\tc",
    "'''",
    '"""',
    "# not a comment",
    "\\",
    "?x $y {}",
    "<http://x/a> } LOAD <http://evil> .",
    "整改 🙂",
]


@pytest.mark.parametrize("value", NASTY)
def test_bound_values_stay_values(value):
    """Whatever the text, the bound variable holds exactly it (one literal) on both engines."""
    text = "SELECT ?x WHERE { FILTER (BOUND(?x)) }"
    bound = inline_bindings(text, check_bindings("inline", text, {"x": value}))
    store = ox.Store()
    got = [s["x"] for s in store.query(bound)]
    assert [t.value for t in got] == [value]
    rows = [r[0] for r in Graph().query(bound)]
    assert len(rows) == 1 and isinstance(rows[0], Literal)  # a value, never query text
    if "\\u" not in value:
        assert str(rows[0]) == value
    # rdflib decodes \uXXXX before parsing, as SPARQL 1.1 (19.2) says; the value stays a
    # literal (the escaped backslash before it keeps any quote it yields escaped).


def test_binding_errors():
    text = "SELECT ?x WHERE { }"
    for iri in ("<http://x/a b>", "<http://x/a> } LOAD <http://evil>"):
        with pytest.raises(StoreError, match="E082"):
            check_bindings("inline", text, {"x": iri})
    with pytest.raises(UsageError, match=r"没有参数 \?unitlabel"):
        bound_query("unit-problems", {"unitlabel": "岳麓"})
    assert bound_query("unit-problems", {"unit_label": None})[1] == load_query("unit-problems")[1]


def test_query_store_inline_sparql_and_errors(sample_store, tmp_path):
    rows = list(query_store(sample_store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a xs:Problem }"))
    assert int(rows[0][0]) == 141
    assert bool(query_store(sample_store, "ASK { ?p a xs:Problem }").askAnswer)
    with pytest.raises(StoreError, match="E083"):
        query_store(sample_store, "SELECT ?x WHERE { ?x xs:text }")
    with pytest.raises(StoreError, match="E080"):
        query_store(tmp_path / "nowhere", "unfinished")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="E080"):
        write_store(Graph(), tmp_path / "full")


def test_a_second_writer_is_refused(sample_store):
    held = open_store(sample_store)
    try:
        with pytest.raises(StoreError, match="E081"):
            open_store(sample_store)
    finally:
        del held


def test_store_documents_and_delete(two_doc_store, tmp_path):
    from pipeline.store import delete_store, store_documents

    store_dir, _a, _b, doc_a, doc_b = two_doc_store
    docs = store_documents(store_dir)
    assert set(docs) == {doc_a, doc_b} and docs[doc_a] == docs[doc_b] > 0
    with pytest.raises(StoreError, match="E080"):
        delete_store(tmp_path)  # not a store: left alone
    delete_store(store_dir)
    assert not store_dir.exists()


def test_bench_lookup_on_the_sample_store(sample_store, capsys, monkeypatch):
    """bench/bench_lookup.py's default cases run and find the same rows both ways."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parent.parent / "bench" / "bench_lookup.py"
    spec = importlib.util.spec_from_file_location("bench_lookup", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(sys, "argv", ["bench_lookup.py", str(sample_store)])
    assert bench.main() == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("| ") and "---" not in ln][1:]
    assert [ln.split(" | ")[0][2:] for ln in lines] == ["unit-problems", "unit-problems", "policies", "policy-reused", "policies"]
    assert all("DIFFER" not in ln for ln in lines)
    assert int(lines[0].split(" | ")[2]) > 0  # the unit's problems were found
