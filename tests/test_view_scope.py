"""The HTML view of a graph too large to draw whole: the page covers the newest source
documents that fit its node budget (or those ``--match`` picks), with their own evidence,
and says so; the build store's fast path picks exactly what the generic one does."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF

from pipeline import view
from pipeline.vocab import XS
from tests.conftest import load_bench

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def big() -> Graph:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_view import synthetic_graph
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return synthetic_graph(3000)


def _doc_dates(g: Graph) -> dict[str, str]:
    """Each source document's newest bulletin date (the synthetic graph: one bulletin a document)."""
    out: dict[str, str] = {}
    for b in g.subjects(RDF.type, XS.Bulletin):
        for sp in g.objects(b, XS.evidence):
            doc = str(g.value(sp, XS.inDocument))
            out[doc] = max(out.get(doc, ""), str(g.value(b, DCTERMS.issued) or ""))
    return out


def test_a_graph_within_the_budget_is_drawn_whole(big):
    assert view.document_scope(big, budget=None) is None
    assert view.document_scope(big, budget=10_000) is None
    data = view.graph_to_view_data(big)
    assert data["meta"]["nodeCount"] == 3000 and "scope" not in data["meta"]


def test_a_large_graph_covers_the_newest_documents(big):
    scope = view.document_scope(big, budget=1000)
    assert scope is not None and scope.total_nodes == 3000
    dates = _doc_dates(big)
    chosen = set(scope.documents)
    assert 1 < len(chosen) < scope.total_documents == len(dates)
    assert min(dates[d] for d in chosen) >= max(dates[d] for d in dates if d not in chosen)
    data = view.graph_to_view_data(big, scope=scope)
    # within the budget, give or take the shared nodes (units, rounds, themes) of those documents
    assert 600 < data["meta"]["nodeCount"] <= 1000 + 150
    paths = {str(big.value(URIRef(d), DCTERMS.source)) for d in chosen}
    assert {d["path"] for d in data["docs"]} == paths  # every quote is from a covered document
    # every problem of a covered document is there, and no other
    problems = {n["iri"] for n in data["nodes"] if n["type"] == "problem"}
    expected = set()
    for p in big.subjects(RDF.type, XS.Problem):
        docs = {str(big.value(sp, XS.inDocument)) for sp in big.objects(p, XS.evidence)}
        if docs & chosen:
            expected.add(str(p))
    assert len(problems) == len(expected) > 50
    meta = data["meta"]["scope"]
    assert meta["documents"] == len(chosen) and meta["totalDocuments"] == len(dates) and meta["budget"] == 1000
    assert f"{len(chosen)} 份源文件" in meta["note"] and "--match" in meta["note"]


def test_the_page_says_what_it_covers(big, tmp_path):
    page = view.write_html(big, tmp_path / "v.html", budget=1000).read_text(encoding="utf-8")
    note = re.search(r'<p id="scope-note" role="note">(.*?)</p>', page)
    assert note and "本页只收录最近的" in note.group(1)
    whole = view.write_html(big, tmp_path / "w.html", budget=0).read_text(encoding="utf-8")
    assert 'id="scope-note"' not in whole and whole.count('"type":"problem"') > page.count('"type":"problem"')


def test_match_picks_documents_by_path_title_or_publisher(big):
    by_path = view.document_scope(big, budget=1000, match="bulletin-00007.txt")
    assert [str(big.value(URIRef(d), DCTERMS.source)) for d in by_path.documents] == ["corpus/bulletin-00007.txt"]
    by_publisher = view.document_scope(big, budget=None, match="某市第7区委员会")
    # the synthetic graph: document b is published by unit b % 60
    assert by_publisher.documents and all(int(str(big.value(URIRef(d), DCTERMS.source))[-9:-4]) % 60 == 7
                                          for d in by_publisher.documents)
    assert view.document_scope(big, match="无此文件").documents == []


@pytest.fixture(scope="module")
def built12(tmp_path_factory):
    """A build of 12 synthetic bulletins (the build store) and its Oxigraph store."""
    from pipeline.store import write_store
    from pipeline.workflow import run_build

    tmp = tmp_path_factory.mktemp("scope")
    load_bench("gen_corpus").generate(12, tmp / "c", seed=5)
    g = run_build([tmp / "c" / "bulletins"], tmp / "o", html=False, shacl=False, use_cache=False).graph
    write_store(g, tmp / "store")
    return g, tmp / "store"


def test_the_build_store_picks_what_a_plain_graph_picks(built12):
    """The span and figure rows read by column give the same scope and view as the triples."""
    g, _ = built12
    plain = Graph()
    for t in g:
        plain.add(t)
    fast, slow = view.document_scope(g, budget=400), view.document_scope(plain, budget=400)
    assert 1 < len(fast.documents) < 12
    assert fast.documents == slow.documents
    assert {str(s) for s in fast.included} == {str(s) for s in slow.included}
    assert view.graph_to_view_data(g, scope=fast) == view.graph_to_view_data(plain, scope=slow)


def test_cli_view_match_and_budget(big, tmp_path, capsys):
    from pipeline.cli import main

    (tmp_path / "g").mkdir()
    big.serialize(tmp_path / "g" / "xunshi.ttl", format="turtle")
    assert main(["view", "--graph", str(tmp_path / "g"), "--budget", "1000"]) == 0
    out = capsys.readouterr().out
    assert "本页只收录最近的" in out and (tmp_path / "g" / "xunshi.html").is_file()
    assert main(["view", "--graph", str(tmp_path / "g"), "-o", str(tmp_path / "m.html"), "--match", "bulletin-00003.txt"]) == 0
    assert "含“bulletin-00003.txt”的 1 份源文件" in capsys.readouterr().out
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "bulletin-00003.txt" in page and "bulletin-00004.txt" not in page
    assert main(["view", "--graph", str(tmp_path / "g"), "-o", str(tmp_path / "w.html"), "--budget", "0"]) == 0
    assert "本页只收录" not in capsys.readouterr().out


@pytest.mark.parametrize("budget, match", [(400, None), (None, "synthetic-0000"), (0, None)])
def test_a_store_gives_the_page_the_build_gives(built12, budget, match):
    """`xunshi view --graph STORE` reads only the covered documents' named graphs and the
    corpus graph's triples about their nodes, and draws the same page."""
    from pipeline.store import view_subgraph

    g, store = built12
    sub, chosen, totals = view_subgraph(store, budget, match)
    mine = view.document_scope(g, budget, match) if (budget or match) else None
    if mine is None:  # the whole graph
        assert len(chosen) == totals[0] == 12
        mine = view.document_scope(g, None, None, documents=chosen)
    assert [str(d) for d in chosen] == mine.documents
    theirs = view.document_scope(sub, budget, match, documents=chosen, totals=totals)
    assert (theirs.total_documents, theirs.total_nodes) == (mine.total_documents, mine.total_nodes)
    a, b = view.graph_to_view_data(g, scope=mine), view.graph_to_view_data(sub, scope=theirs)
    assert {n["iri"] for n in a["nodes"]} == {n["iri"] for n in b["nodes"]}
    # the same but for decimals: Oxigraph keeps them canonical (a score 1.0 reads 1)
    assert _decimals(a) == _decimals(b)
    if budget:
        assert len(sub) < len(g) / 2  # only part of the store was read


def _decimals(data: dict) -> str:
    import json

    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    text = re.sub(r"(\d+\.\d*?)0+(?=\D)", r"\1", text)
    return re.sub(r"(\d)\.(?=\D)", r"\1", text)


def test_cli_view_of_a_store(built12, tmp_path, capsys):
    from pipeline.cli import main

    _, store = built12
    assert main(["view", "--graph", str(store), "-o", str(tmp_path / "s.html"), "--match", "synthetic-00003"]) == 0
    assert "含“synthetic-00003”的 1 份源文件(共 12 份" in capsys.readouterr().out
    page = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert "synthetic-00003.txt" in page and "synthetic-00004.txt" not in page and 'id="scope-note"' in page
