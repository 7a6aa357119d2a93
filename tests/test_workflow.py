"""The batch: outputs, the run report, and bad input that loses nothing."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from pipeline.errors import XunshiError
from pipeline.vocab import XR_URI, XS
from pipeline.workflow import run_build

ROOT = Path(__file__).resolve().parent.parent


def test_sample_build_outputs_and_report(sample_build):
    work, report = sample_build
    out = work / "graphs"
    for name in ("xunshi.ttl", "xunshi.graphml", "xunshi.html", "stats.json", "problems.csv", "shacl-report.ttl"):
        assert (out / name).is_file(), name
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["files_seen"] == 1 and stats["files_ok"] == 1
    assert stats["counts"]["bulletins"] == 5 and stats["counts"]["problems"] == 141
    assert stats["problems_by_status"] == {
        "Completed": 65, "PartiallyCompleted": 75, "NotCompleted": 1, "InProgress": 0, "LongTerm": 0, "Unknown": 0,
    }
    assert stats["shacl"]["conforms"] is True
    assert stats["files"][0]["path"] == "corpus/xiangjiang-2023-12-22.txt"
    assert stats["issue_counts"] == {"W020": 1}  # the one unclosed 《 of the sample
    g = Graph().parse(out / "xunshi.ttl")
    assert len(set(g.subjects(RDF.type, XS.Problem))) == 141


def test_graphml_mirror_is_derived_from_the_graph(sample_build):
    work, _ = sample_build
    G = nx.read_graphml(work / "graphs" / "xunshi.graphml")
    g = Graph().parse(work / "graphs" / "xunshi.ttl")
    problems = [n for n, d in G.nodes(data=True) if d.get("type") == "xs:Problem"]
    assert len(problems) == 141
    assert not [n for n, d in G.nodes(data=True) if d.get("type") == "xs:Span"]
    addresses = [e for e in G.edges(data=True) if e[2].get("predicate") == "xs:addresses"]
    assert len(addresses) == len(list(g.triples((None, XS.addresses, None))))
    some = G.nodes[problems[0]]
    assert some["xs:text"] and some["evidence"]
    statuses = {d["xs:status"] for n, d in G.nodes(data=True) if d.get("type") == "xs:Problem"}
    assert statuses == {"xs:Completed", "xs:PartiallyCompleted", "xs:NotCompleted"}  # an attribute to colour by


def test_graphml_is_the_same_from_span_rows_and_from_span_triples(sample_build):
    """The build writes GraphML from its graph, whose evidence spans are rows of a span table;
    the same triples parsed back (spans as triples) give the same bytes."""
    from pipeline.mirror import write_graphml

    work, _ = sample_build
    parsed = Graph().parse(work / "graphs" / "xunshi.ttl")
    assert (None, RDF.type, XS.Span) in parsed
    assert write_graphml(parsed) == (work / "graphs" / "xunshi.graphml").read_bytes()


def test_problems_csv_opens_in_excel(sample_build):
    work, _ = sample_build
    data = (work / "graphs" / "problems.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("通报,日期,序号,问题,整改结果")
    assert len(lines) == 142
    assert "招商工作指引" in next(ln for ln in lines if "项目招商还需加强尽职调查" in ln)


def _bad_corpus(tmp: Path) -> Path:
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "xiangjiang-2023-12-22.txt", corpus / "a-sample.txt")
    (corpus / "b-empty.txt").write_bytes(b"")
    (corpus / "c-binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "d-notes.txt").write_text("会议纪要\n今天讨论了食堂菜单。\n", encoding="utf-8")
    text = (ROOT / "corpus" / "xiangjiang-2023-12-22.txt").read_text(encoding="utf-8")
    (corpus / "e-truncated.txt").write_text(text[: text.index("附件1")][:3000], encoding="gb18030")
    (corpus / "f-copy.txt").write_bytes((corpus / "a-sample.txt").read_bytes())
    (corpus / "g-table.xlsx").write_bytes(b"PK\x03\x04 not really")
    return corpus


def test_bad_input_is_reported_and_the_batch_goes_on(tmp_path):
    _bad_corpus(tmp_path)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        report = run_build(["corpus"], "graphs", html=False)
    finally:
        os.chdir(old)
    stats = json.loads((tmp_path / "graphs" / "stats.json").read_text(encoding="utf-8"))
    outcome = {f["path"]: (f["outcome"], f["issues"]) for f in stats["files"]}
    assert outcome["corpus/a-sample.txt"][0] == "ok"
    assert outcome["corpus/b-empty.txt"] == ("skipped", ["E001"])
    assert outcome["corpus/c-binary.txt"] == ("skipped", ["E002"])
    assert outcome["corpus/d-notes.txt"] == ("not-bulletin", ["E010"])
    assert outcome["corpus/e-truncated.txt"][0] == "ok"  # what was read is kept
    assert "W014" in outcome["corpus/e-truncated.txt"][1]
    assert outcome["corpus/f-copy.txt"] == ("duplicate", ["W002"])
    assert outcome["corpus/g-table.xlsx"][0] == "skipped"
    assert stats["files_seen"] == 7
    # nothing of the good files is lost: the sample's numbers are unchanged
    g = Graph().parse(tmp_path / "graphs" / "xunshi.ttl")
    sample_problems = g.query(
        """PREFIX xs: <https://w3id.org/xunshi/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
           SELECT (COUNT(?p) AS ?n) WHERE { ?p a xs:Problem ; xs:inBulletin/dcterms:source "corpus/a-sample.txt" }"""
    )
    assert int(list(sample_problems)[0][0]) == 141
    truncated = g.query(
        """PREFIX xs: <https://w3id.org/xunshi/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
           SELECT (COUNT(?p) AS ?n) WHERE { ?p a xs:Problem ; xs:inBulletin/dcterms:source "corpus/e-truncated.txt" }"""
    )
    assert 0 < int(list(truncated)[0][0]) < 71
    assert report.as_dict()["errors"] >= 4


def test_outputs_are_written_atomically(tmp_path, monkeypatch):
    """A build that fails half-way leaves the previous graph in place."""
    (tmp_path / "corpus").mkdir()
    shutil.copy(ROOT / "corpus" / "xiangjiang-2023-12-22.txt", tmp_path / "corpus")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        run_build(["corpus"], "graphs", html=False, shacl=False)
        before = (tmp_path / "graphs" / "xunshi.ttl").read_bytes()

        def boom(*a, **k):
            raise RuntimeError("disk full")

        monkeypatch.setattr("pipeline.mirror.write_problems_csv", boom)
        with pytest.raises(RuntimeError, match="disk full"):
            run_build(["corpus"], "graphs", html=False, shacl=False)
        assert (tmp_path / "graphs" / "xunshi.ttl").read_bytes() == before
        assert not [p for p in (tmp_path / "graphs").iterdir() if p.name.startswith(".") and p.name != ".cache"]
    finally:
        os.chdir(old)


def test_workers_and_cache_give_identical_output(tmp_path):
    """--workers N and a warm cache give byte for byte the build of one cold process; a changed
    file is the only one processed again, a deleted one leaves no trace."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (ROOT / "corpus" / "xiangjiang-2023-12-22.txt").read_text(encoding="utf-8")
    for i in range(3):
        (corpus / f"copy{i}.txt").write_text(f"(合成副本 {i})\n" + text, encoding="utf-8")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        kw = dict(html=False, shacl=False)
        run_build(["corpus"], "one", use_cache=False, **kw)
        run_build(["corpus"], "two", workers=2, use_cache=False, **kw)
        cold = run_build(["corpus"], "three", **kw)
        warm = run_build(["corpus"], "three", **kw)
        ttl = [(tmp_path / d / "xunshi.ttl").read_bytes() for d in ("one", "two", "three")]
        assert ttl[0] == ttl[1] == ttl[2]
        assert (cold.cache, warm.cache) == ({"hits": 0, "misses": 3}, {"hits": 3, "misses": 0})
        (corpus / "copy1.txt").write_text("(合成副本 1,已修改)\n" + text, encoding="utf-8")
        changed = run_build(["corpus"], "three", **kw)
        assert changed.cache == {"hits": 2, "misses": 1}
        (corpus / "copy2.txt").unlink()
        gone = run_build(["corpus"], "three", **kw)
        g = Graph().parse(tmp_path / "three" / "xunshi.ttl")
        assert len(set(g.subjects(RDF.type, XS.Bulletin))) == 10
        assert "corpus/copy2.txt" not in (tmp_path / "three" / "xunshi.ttl").read_text(encoding="utf-8")
        assert len(list((tmp_path / "three" / ".cache" / "docs").glob("*.pickle"))) == 2
        assert gone.cache == {"hits": 2, "misses": 0}
    finally:
        os.chdir(old)


def _read_both(g):
    """The mirror written directly and by networkx's own writer, both read back by networkx."""
    import io

    from pipeline.mirror import _XML_INVALID, to_networkx, write_graphml

    G = to_networkx(g)
    for _, d in G.nodes(data=True):
        for k, v in d.items():
            d[k] = _XML_INVALID.sub("", v)
    buf = io.BytesIO()
    nx.write_graphml(G, buf, encoding="utf-8")
    return nx.read_graphml(io.BytesIO(write_graphml(g))), nx.read_graphml(io.BytesIO(buf.getvalue()))


def _same(a, b) -> None:
    assert type(a) is type(b)  # networkx reads a MultiDiGraph only when edges are parallel
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    edges = lambda G: sorted(G.edges(keys=True, data=True) if G.is_multigraph() else G.edges(data=True))  # noqa: E731
    assert edges(a) == edges(b)


def test_direct_graphml_reads_back_like_networkx_writes_it(sample_build):
    work, _ = sample_build
    g = Graph().parse(work / "graphs" / "xunshi.ttl")
    ours, theirs = _read_both(g)
    assert isinstance(ours, nx.MultiDiGraph)
    assert ours.number_of_nodes() == 1267 and ours.number_of_edges() == 2266
    _same(ours, theirs)


def test_direct_graphml_escapes_markup_and_drops_control_characters():
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    from pipeline.vocab import XR

    g = Graph()
    a, b = XR["problem-a"], XR["unit-b"]
    g.add((a, RDF.type, XS.Problem))
    g.add((a, XS.text, Literal('A&B <x> "q" \'s\'\r\nline\ttab\x01ctl  ', lang="zh")))
    g.add((a, RDFS.label, Literal("a & b")))
    g.add((b, RDF.type, XS.Unit))
    g.add((b, RDFS.label, Literal("<单位>")))
    g.add((a, XS.concernsUnit, b))
    g.add((a, XS.status, XS.Completed))
    g.add((URIRef("http://example.org/odd?x=1&y=2"), RDF.type, XS.Unit))
    ours, theirs = _read_both(g)
    _same(ours, theirs)
    assert ours.nodes["xr:problem-a"]["xs:text"] == 'A&B <x> "q" \'s\'\r\nline\ttabctl  '


def test_graphml_keys_are_named_not_numbered_in_order():
    """A node's markup is the same whatever other nodes the graph holds: its attributes'
    key ids are their names (or a digest when a name is not a valid id), not numbers given
    in order of appearance, which one node sorting early with a new attribute shifted."""
    import re

    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    from pipeline.mirror import key_id, write_graphml
    from pipeline.vocab import XR

    assert [key_id(k) for k in ("label", "xs:text", "evidenceCount")] == ["label", "xs:text", "evidenceCount"]
    odd = key_id("<http://example.org/p?x=1>")
    assert re.fullmatch(r"k[0-9a-f]{12}", odd) and odd == key_id("<http://example.org/p?x=1>") != key_id("<http://example.org/q>")
    assert key_id("e0") != "e0"  # the edges' key
    g = Graph()
    b = XR["problem-b"]
    g.add((b, RDF.type, XS.Problem))
    g.add((b, XS.text, Literal("乙", lang="zh")))
    alone = write_graphml(g).decode()
    g.add((XR["problem-a"], RDF.type, XS.Problem))  # sorts first, brings an attribute b lacks
    g.add((XR["problem-a"], RDFS.comment, Literal("甲")))
    g.add((XR["problem-a"], URIRef("http://example.org/p?x=1"), Literal("x")))
    both = write_graphml(g).decode()
    node_b = re.compile(r'<node id="xr:problem-b">.*?</node>', re.S)
    assert node_b.search(alone).group() == node_b.search(both).group()
    keys = re.findall(r'<key id="([^"]+)" for="node" attr.name="([^"]+)"', both)
    assert keys == sorted(keys, key=lambda k: k[1]) and ("rdfs:comment", "rdfs:comment") in keys
    iri_key = key_id("http://example.org/p?x=1")  # a predicate without a prefix: its IRI, not an id
    assert iri_key.startswith("k") and (iri_key, "http://example.org/p?x=1") in keys
    ours, theirs = _read_both(g)
    _same(ours, theirs)


def test_records_are_spilled_to_disk_unless_kept(tmp_path):
    """A build moves each file's extracted records to disk as soon as they are extracted
    (memory), keeps what the link stage reads until the graph is built and still reports
    their counts; the graph is the one built from records kept in memory (``keep_records``,
    for callers that read them)."""
    from pipeline.workflow import RecordSpill, process_all

    lean = run_build([ROOT / "corpus"], tmp_path / "a", html=False, shacl=False, use_cache=False)
    kept = run_build([ROOT / "corpus"], tmp_path / "b", html=False, shacl=False, use_cache=False, keep_records=True)
    (a,), (b,) = [[f for f in r.files if f.outcome == "ok"] for r in (lean, kept)]
    assert a.extractions == [] and a.bulletins == [] and a.sizes == (b.n_bulletins, b.n_problems)
    assert a.spilled is not None and a.packed is None and b.spilled is None
    assert a.link_input == () == b.link_input  # let go with the linked corpus, once the graph is built
    with RecordSpill() as spill:
        (c,) = [f for f in process_all([a.path], {}, spill=spill) if f.outcome == "ok"]
        assert c.spilled is not None and c.link_input == tuple(e.for_link() for e in b.extractions) != ()
    # the cache keeps records packed; a build that keeps its records gets them back whole
    run_build([ROOT / "corpus"], tmp_path / "c", html=False, shacl=False)
    warm = run_build([ROOT / "corpus"], tmp_path / "c", html=False, shacl=False, keep_records=True)
    (c,) = [f for f in warm.files if f.outcome == "ok"]
    assert warm.cache == {"hits": 1, "misses": 0} and c.packed is None and c.sizes is None
    assert (c.extractions, c.bulletins) == (b.extractions, b.bulletins)
    assert b.sizes is None and len(b.extractions) == b.n_bulletins > 1
    assert b.n_problems == sum(len(e.bulletin.problems) for e in b.extractions) > 50
    assert lean.as_dict()["files"] == kept.as_dict()["files"]
    assert (tmp_path / "a" / "xunshi.ttl").read_bytes() == (tmp_path / "b" / "xunshi.ttl").read_bytes()


def test_cache_entries_keep_the_records_apart(tmp_path):
    """A cache entry is the state's head, then its packed records: reading it leaves the
    records where they are (the graph stage reads them from the entry), a build with the
    cache spills nothing of its own, and an entry cut short or not an entry is a miss."""
    from pipeline.workflow import CachedPlace, DocCache, RecordSpill, process_all

    src = ROOT / "corpus" / "xiangjiang-2023-12-22.txt"
    for run in range(2):  # cold, then warm: the records are read from the entry both times
        cache = DocCache(tmp_path / "cache")
        with RecordSpill() as spill:
            (st,) = process_all([src], {}, cache=cache, spill=spill)
            assert (cache.hits, cache.misses) == (run, 1 - run)
            assert isinstance(st.spilled, CachedPlace) and st.packed is None and spill.nbytes == 0
            records = spill.get(st.spilled)
        assert [e.bulletin.title for e in records] and len(records) == st.sizes[0] > 1
    (entry,) = (tmp_path / "cache").glob("*.pickle")
    assert entry.stat().st_size == st.spilled.at + st.spilled.size
    with RecordSpill() as spill:  # no cache: the records go to the spill
        (plain,) = process_all([src], {}, spill=spill)
        assert spill.get(plain.spilled) == records and spill.nbytes == plain.spilled[1] > 0
    data = entry.read_bytes()
    key = entry.stem
    for gone in (data[: st.spilled.at + 10], None):  # cut short, then deleted, after it was read
        entry.write_bytes(gone) if gone is not None else entry.unlink()
        with pytest.raises(XunshiError) as info:
            RecordSpill().get(st.spilled)
        assert info.value.issue.code == "E017" and info.value.issue.source == str(entry)
    entry.write_bytes(data)
    for bad in (data[:-1], data + b"x", data[: st.spilled.at // 2], b"not a cache entry", pickle.dumps(st)):
        entry.write_bytes(bad)
        cache = DocCache(tmp_path / "cache")
        assert cache.get(key) is None and cache.misses == 1, bad[:20]


def test_cached_documents_are_let_go_of_as_they_are_read(tmp_path):
    """Each cached document is kept (its records spilled or unpacked) and reported before
    the next entry is read: reading every entry first held all their records at once (at
    10,000 bulletins ~600 MB, the peak of a build from the cache)."""
    from pipeline.workflow import DocCache, RecordSpill, process_all

    text = (ROOT / "corpus" / "xiangjiang-2023-12-22.txt").read_text(encoding="utf-8")
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"copy{i}.txt")
        paths[-1].write_text(f"(合成副本 {i})\n" + text, encoding="utf-8")
    process_all(paths, {}, cache=DocCache(tmp_path / "cache"), spill=RecordSpill())  # fills the cache
    events = []

    class Spy(DocCache):
        def get(self, key):
            events.append("read")
            return super().get(key)

    for spill in (RecordSpill(), None):  # records in their entries, or unpacked as objects
        events.clear()
        states = process_all(paths, {}, cache=Spy(tmp_path / "cache"), spill=spill,
                             progress=lambda st: events.append(("kept", st.display, bool(st.extractions))))
        assert events == [e for st in states for e in ("read", ("kept", st.display, spill is None))]
        assert [st.outcome for st in states] == ["ok"] * 3


def test_graphml_escaping_fast_paths_match_the_full_translation():
    """Values without special characters skip the per-character translation: on random
    strings over markup, control, newline and Han characters both ways agree exactly."""
    import random

    from pipeline import mirror

    def full_text(v: str) -> str:
        return mirror._XML_INVALID.sub("", v).translate(mirror._XML_TEXT)

    rnd = random.Random(7)
    alphabet = "&<>\"'\r\n\t\x00\x01\x0b\x1f\ufffe\uffff a1问题整改"
    for _ in range(3000):
        v = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 6)))
        assert mirror._xml_text(v) == full_text(v), repr(v)
        assert mirror._xml_attr(v) == v.translate(mirror._XML_ATTR), repr(v)
    assert mirror.qname(XS.Problem) == "xs:Problem" and mirror.qname(URIRef(XR_URI + "problem-1")) == "xr:problem-1"


def test_the_cache_leaves_no_utf8_copy_in_the_texts(tmp_path):
    """Pickling a str makes CPython keep a UTF-8 copy inside it for its lifetime; the build
    keeps every document's text to the end, so the cache's pickling of each document must
    not touch them (it cost ~130 MiB at the peak of a 10,000-bulletin build)."""
    import sys

    from pipeline.workflow import run_build

    report = run_build([ROOT / "corpus"], tmp_path / "out", html=False, shacl=False)
    assert report.cache["misses"] == 1 and report.texts
    for text in report.texts.values():
        fresh = text.encode("utf-8").decode("utf-8")
        assert len(text) > 1000 and sys.getsizeof(text) == sys.getsizeof(fresh)
