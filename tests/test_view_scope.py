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


def test_the_build_store_picks_what_a_plain_graph_picks(tmp_path):
    """The span and figure rows read by column give the same scope and view as the triples."""
    from pipeline.workflow import run_build

    gen = load_bench("gen_corpus")
    gen.generate(12, tmp_path / "c", seed=5)
    g = run_build([tmp_path / "c" / "bulletins"], tmp_path / "o", html=False, shacl=False, use_cache=False).graph
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
