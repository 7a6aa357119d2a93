"""How far a change reaches (``pipeline/incremental.py``), checked against clean builds: every
subject whose triples differ, and every problems-table row that differs, between the clean
builds before and after a change belongs to a document :func:`incremental.reach` names (or
is a node it names); and each coupling rule on summaries made by hand."""

from __future__ import annotations

import csv
import re
import shutil
from collections import defaultdict
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF

from pipeline import incremental as inc
from pipeline.vocab import OA, XS
from pipeline.workflow import run_build
from tests.conftest import load_bench

N = 24
ROOT = Path(__file__).resolve().parent.parent


def _build(folder: Path, out: Path, **options):
    return run_build([folder], out, html=False, shacl=False, use_cache=False, options=options)


def _blocks(g) -> dict[str, set]:
    out: dict[str, set] = defaultdict(set)
    for s, p, o in g:
        out[str(s)].add((str(p), o.n3()))
    return out


def _rows(path: Path) -> dict[str, list]:
    """The problems table's rows by source file."""
    rows: dict[str, list] = defaultdict(list)
    with open(path, encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            rows[r["源文件"]].append(r)
    return rows


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """N generated bulletins and a spare, a reference fitted on the N, the clean build."""
    tmp = tmp_path_factory.mktemp("inc")
    load_bench("gen_corpus").generate(N + 1, tmp / "gen", seed=11)
    files = sorted((tmp / "gen" / "bulletins").iterdir())
    base = tmp / "base"
    base.mkdir()
    for f in files[:-1]:
        shutil.copy(f, base / f.name)
    ref = tmp / "ref.npz"
    _build(base, tmp / "fit", save_reference=str(ref))
    live = tmp / "corpus"  # every build reads the same folder: source paths are in the graph
    shutil.copytree(base, live)
    before = _build(live, tmp / "before", reference=str(ref))
    return tmp, base, live, files[-1], ref, before


def _change(what: str, live: Path, base: Path, spare: Path) -> None:
    shutil.rmtree(live)
    shutil.copytree(base, live)
    names = sorted(p.name for p in live.iterdir())
    if what == "add":
        shutil.copy(spare, live / spare.name)
    elif what == "delete":
        (live / names[5]).unlink()
    elif what == "swap":  # one file's text replaced by another's, lightly changed
        (live / names[3]).write_text((live / names[9]).read_text(encoding="utf-8").replace("。", "。 ", 2), encoding="utf-8")
    elif what == "rename":  # a longer spelling of the issuer (中共… → 中国共产党…): its label moves
        f = live / names[7]
        text = f.read_text(encoding="utf-8")
        f.write_text(text.replace("中共", "中国共产党", 1), encoding="utf-8")
    elif what == "year":  # every date of one bulletin a year later: its rounds move
        f = live / names[11]
        text = f.read_text(encoding="utf-8")
        for y in range(2025, 2017, -1):
            text = text.replace(str(y), str(y + 1))
        f.write_text(text, encoding="utf-8")


@dataclass
class Change:
    what: str
    before: object  # the clean build before (its report)
    after: object  # and after the change
    good: list  # the documents after the change, through the per-document stages, records kept
    lb: inc.CorpusLinks
    la: inc.CorpusLinks
    reach: inc.Reach


@pytest.fixture(scope="module", params=["add", "delete", "swap", "rename", "year"])
def change(corpus, request) -> Change:
    """One kind of change to the corpus, and the clean build after it."""
    from pipeline import ingest
    from pipeline.workflow import DocCache, process_all

    tmp, base, live, spare, ref, before = corpus
    what = request.param
    _change(what, live, base, spare)
    after = _build(live, tmp / f"after-{what}", reference=str(ref))
    good = [s for s in process_all(ingest.discover([live]), {}, 1, DocCache(None)) if s.outcome == "ok"]
    lb, la = inc.read(before.graph), inc.read(after.graph)
    changed = set(lb.docs) ^ set(la.docs)  # source documents are named by their bytes
    assert len(changed) == (1 if what in ("add", "delete") else 2)
    return Change(what, before, after, good, lb, la, inc.reach(changed, lb, la))


def test_reach_covers_what_a_change_touches(corpus, change):
    tmp = corpus[0]
    gb, ga, lb, la, r, what = change.before.graph, change.after.graph, change.lb, change.la, change.reach, change.what
    assert set(lb.docs) ^ set(la.docs) <= r.docs
    if what == "rename":  # the case the label rule is for
        assert inc._changed(lb.labels, la.labels)
    if what == "year":
        assert inc._changed(lb.teams, la.teams)
    # the reach is the changed documents' neighbourhood, not the corpus
    assert len(r.docs) < len(la.docs) / 2
    ob, oa = inc.owners(gb), inc.owners(ga)
    bb, ba = _blocks(gb), _blocks(ga)
    diff = {s for s in bb.keys() | ba.keys() if bb.get(s) != ba.get(s)}
    assert len(diff) > 100
    outside = [s for s in diff if not (ob.get(s, frozenset()) | oa.get(s, frozenset())) & r.docs and s not in r.nodes]
    assert outside == []
    # the problems table embeds other nodes' labels: its rows of unreached files are as they were
    sources = {str(x) for g in (gb, ga) for d in r.docs for x in g.objects(URIRef(d), DCTERMS.source)}
    rb, ra = _rows(tmp / "before" / "problems.csv"), _rows(tmp / f"after-{what}" / "problems.csv")
    moved = {k for k in rb.keys() | ra.keys() if rb.get(k) != ra.get(k)}
    assert moved and moved <= sources


def test_a_partial_graph_makes_what_a_change_reaches_as_a_clean_build_does(corpus, change):
    """The reached documents' records, every document's link stage and the last build's
    summary give the reached documents' subjects, and the corpus-level nodes they refer to,
    exactly as the clean build after the change: what a rebuild can write without the rest."""
    ref = corpus[4]
    ga, la, r = change.after.graph, change.la, change.reach
    docs = r.docs & set(la.docs)
    pg = inc.partial_graph(change.good, r.docs, change.lb, {"reference": str(ref)})
    lp = inc.read(pg)
    # the reached documents' summary is the clean build's: the next reach can be worked out
    assert {d: lp.docs[d] for d in docs} == {d: la.docs[d] for d in docs}
    oa, op = inc.owners(ga), inc.owners(pg)
    shared = {str(c) for c in inc.SHARED_CLASSES} - {str(XS.Inspection), str(XS.IssueLink)}

    def wanted(g, own) -> set[str]:
        """Subjects only reached documents own (a node of the corpus's aside), the
        corpus-level nodes they refer to, the nodes the reach names."""
        types = defaultdict(set)
        for s, t in g.subject_objects(RDF.type):
            types[str(s)].add(str(t))
        refs = set().union(*(la.docs[d].refs for d in docs)) if docs else set()
        return {s for s, d in own.items() if d and d <= docs and not types[s] & shared} | (refs & own.keys()) | (r.nodes & own.keys())

    want, got = wanted(ga, oa), wanted(pg, op)
    if change.what != "delete":
        assert len(want) > 300
    assert want == got
    bw, bp = _blocks(ga), _blocks(pg)
    bad = [s for s in sorted(want) if bw[s] != bp[s]]
    assert bad == []
    # the last build's Turtle without what the reached documents wrote into it, with what
    # they write now: the clean build's Turtle, byte for byte
    tmp = corpus[0]
    drop = inc.written(change.before.graph, r, change.lb, change.lb)
    write = inc.written(pg, r, change.lb, lp)
    assert got <= write
    spliced = inc.splice_turtle((tmp / "before" / "xunshi.ttl").read_bytes(), drop, pg, write)
    # the last build's summary so updated is the clean build's, for the next rebuild
    updated = inc.update(change.lb, lp, r, drop, write)
    for f in dataclasses.fields(inc.CorpusLinks):
        assert getattr(updated, f.name) == getattr(la, f.name), f.name
    clean = (tmp / f"after-{change.what}" / "xunshi.ttl").read_bytes()
    assert spliced == clean
    # and the problems table, its rows of the reached documents' files replaced
    paths = {c.sources[d] for c in (change.lb, lp) for d in r.docs if d in c.sources}
    table = inc.splice_csv((tmp / "before" / "problems.csv").read_bytes(), paths, pg)
    assert table == (tmp / f"after-{change.what}" / "problems.csv").read_bytes()
    # and the GraphML, nodes and their edges
    graphml = inc.splice_graphml((tmp / "before" / "xunshi.graphml").read_bytes(), drop, pg, write)
    assert graphml == (tmp / f"after-{change.what}" / "xunshi.graphml").read_bytes()


def test_every_subject_has_its_documents(corpus):
    tmp, base, live, spare, ref, before = corpus
    g = before.graph
    links = inc.read(g)
    own = inc.owners(g)
    assert len(links.docs) == N
    for d, dl in links.docs.items():
        kinds = {k.split(":", 1)[0] for k in dl.keys}
        assert kinds >= {"family", "scope", "group"}, d
        assert dl.refs and dl.unit_keys
    # a plain rdflib graph of the same triples (the Turtle read back) gives the same summary
    from rdflib import Graph

    plain = Graph().parse(tmp / "before" / "xunshi.ttl")
    again = inc.read(plain)
    assert again.docs == links.docs and again.labels == links.labels and again.teams == links.teams
    assert again.label_keys == links.label_keys and again.successors == links.successors
    # the keys units are resolved by are the rounds pass's own
    from pipeline.rounds import Corpus

    assert links.label_keys == {k: str(u) for k, u in Corpus.read(g).units.items()}
    assert inc.owners(plain) == own
    # every subject a document made is that document's; only the theme scheme is no one's
    unowned = {s for s, docs in own.items() if not docs}
    assert unowned and all("/themes/" in s or "theme" in s.lower() for s in unowned)

    for p in g.subjects(predicate=None, object=XS.Problem):
        assert len(own[str(p)]) == 1
    # an issue link is its two problems' documents'
    for link in g.subjects(predicate=None, object=XS.IssueLink):
        src, tgt = g.value(link, XS.source), g.value(link, XS.target)
        assert own[str(link)] == own[str(src)] | own[str(tgt)]


# --- each coupling rule, on summaries made by hand ------------------------------------------


def _doc(keys=(), refs=(), unit_keys=(), rounds=()) -> inc.DocLinks:
    return inc.DocLinks(frozenset(keys), frozenset(refs), frozenset(unit_keys), frozenset(rounds))


def _corpus(**docs) -> inc.CorpusLinks:
    return inc.CorpusLinks(docs=dict(docs))


def test_documents_sharing_a_key_are_reached_transitively():
    before = _corpus(d=_doc(["family:F"]), x=_doc(["family:F", "group:P"]), y=_doc(["group:P"]), z=_doc(["group:Q"]))
    after = _corpus(x=before.docs["x"], y=before.docs["y"], z=before.docs["z"], e=_doc(["group:Q"]))
    # d was deleted: its family reaches x, x's group reaches y; z only by the arrival e
    assert inc.reach({"d"}, before, after).docs == {"d", "x", "y"}
    assert inc.reach({"d", "e"}, before, after).docs == {"d", "x", "y", "e", "z"}


def test_a_relabelled_node_reaches_the_documents_referring_to_it():
    docs = dict(d=_doc(["group:P"], refs=["U"]), x=_doc(["group:Q"], refs=["U"]), y=_doc(["group:R"], refs=["V"]))
    before, after = _corpus(**docs), _corpus(**docs)
    before.labels = {"U": frozenset([("prefLabel", "岳麓区委")]), "V": frozenset([("prefLabel", "天心区委")])}
    after.labels = {"U": frozenset([("prefLabel", "中共岳麓区委")]), "V": before.labels["V"]}
    assert inc.reach({"d"}, before, after).docs == {"d", "x"}
    after.labels = dict(before.labels)
    assert inc.reach({"d"}, before, after).docs == {"d"}


def test_a_label_key_that_resolves_anew_reaches_the_documents_printing_it():
    docs = dict(d=_doc(["group:P"]), x=_doc(["group:Q"], unit_keys=["岳麓区委"]), y=_doc(["group:R"], unit_keys=["天心区委"]))
    before, after = _corpus(**docs), _corpus(**docs)
    before.label_keys = {"天心区委": "V"}
    after.label_keys = {"天心区委": "V", "岳麓区委": "U"}  # a unit of that name now exists
    assert inc.reach({"d"}, before, after).docs == {"d", "x"}


def test_a_change_to_a_year_s_teams_reaches_that_body_s_inspections():
    docs = dict(d=_doc(["group:P"]), x=_doc(["group:Q"], rounds=[("2021", "县委")]), y=_doc(["group:R"], rounds=[("2022", "县委")]))
    before, after = _corpus(**docs), _corpus(**docs)
    before.teams = {("2021", "县委"): frozenset(["县委第一巡察组"]), ("2022", "县委"): frozenset(["县委第二巡察组"])}
    after.teams = {**before.teams, ("2021", "县委"): frozenset(["县委第一巡察组", "县委第三巡察组"])}
    assert inc.reach({"d"}, before, after).docs == {"d", "x"}


def test_changed_successors_rewrite_both_units():
    before, after = _corpus(d=_doc(["group:P"])), _corpus(d=_doc(["group:P"]))
    before.successors = {"原U": frozenset(["S1"]), "原W": frozenset(["S3"])}
    after.successors = {"原U": frozenset(["S2"]), "原W": frozenset(["S3"])}
    r = inc.reach({"d"}, before, after)
    assert r.docs == {"d"} and r.nodes == {"原U", "S1", "S2"}


def test_bench_reach_prints_the_distribution(corpus, tmp_path):
    import io
    import re
    from contextlib import redirect_stdout

    tmp, base, live, spare, ref, before = corpus
    out = io.StringIO()
    with redirect_stdout(out):
        assert load_bench("bench_reach").main([str(base), "--work", str(tmp_path)]) == 0
    text = out.getvalue()
    assert text.startswith(f"{N:,} documents;")
    median, p90, p99, most = map(int, re.search(r"median (\d+), 90th percentile (\d+), 99th (\d+), most (\d+)", text).groups())
    # every document reaches itself; a generated corpus's families and groups are small
    assert 1 <= median <= p90 <= p99 <= most < N / 2


def test_a_partial_graph_keeps_the_evidence_other_documents_gave_a_unit(corpus):
    """An earlier-round mention in a document outside the reach gives a unit evidence that
    the reached documents' graph cannot make: it comes from the last build's summary (and
    never from a reached document's, whose evidence the partial graph makes anew)."""
    import dataclasses

    from pipeline import ingest
    from pipeline.workflow import DocCache, process_all

    tmp, base, live, spare, ref, before = corpus
    g = before.graph
    lb = inc.read(g)
    good = [s for s in process_all(ingest.discover([base]), {}, 1, DocCache(None)) if s.outcome == "ok"]
    docs = sorted(lb.docs)
    reached, outside = docs[0], docs[-1]
    r = inc.reach({reached}, lb, lb)
    assert outside not in r.docs
    unit = next(u for u in sorted(lb.docs[reached].refs) if u in lb.unit_evidence)
    # a span of the outside document, and one of the reached, as if each named the unit
    span_of = {d: next(f for u, facts in sorted(lb.unit_evidence.items()) if u != unit for f in facts if str(f[1]) == d)
               for d in (reached, outside)}
    assert all(span_of.values())
    summary = dataclasses.replace(lb, unit_evidence={**lb.unit_evidence, unit: lb.unit_evidence[unit] + tuple(span_of.values())})
    pg = inc.partial_graph(good, r.docs, summary, {"reference": str(ref)})
    evidence = set(pg.objects(URIRef(unit), XS.evidence))
    sp, doc, start, end, exact = span_of[outside]
    assert sp in evidence and str(pg.value(sp, XS.inDocument)) == outside and int(pg.value(sp, OA.end)) == end
    assert span_of[reached][0] not in evidence
    # the rest of the unit's evidence is the clean build's
    assert evidence - {sp} == set(g.objects(URIRef(unit), XS.evidence))


def test_graphml_splice_keeps_edges_to_nodes_the_partial_graph_lacks_and_only_used_keys():
    """Hand-made: node A is rewritten, B and C kept. A's edge to B (a node the partial graph
    does not hold) stays an edge; an attribute only the old A had loses its key, one only
    the new A has gains one; C's edges stay."""
    from rdflib import Graph, Literal

    from pipeline.mirror import write_graphml

    XR = "https://w3id.org/xunshi/resource/"
    a, b, c = (URIRef(XR + n) for n in ("problem-a", "bulletin-b", "problem-c"))

    def graph(new: bool) -> Graph:
        g = Graph()
        for n in (a, b, c):
            g.add((n, RDF.type, XS.Problem))
        g.add((a, XS.inBulletin, b))
        g.add((c, XS.inBulletin, b))
        g.add((c, XS.text, Literal("丙")))
        g.add((a, XS.ordinal if new else XS.statusText, Literal("新" if new else "旧")))
        return g

    old, clean = write_graphml(graph(False)), write_graphml(graph(True))
    partial = Graph()
    for t in graph(True).triples((a, None, None)):
        partial.add(t)
    spliced = inc.splice_graphml(old, {str(a)}, partial, {str(a)})
    assert b'attr.name="xs:statusText"' in old and b'attr.name="xs:statusText"' not in clean
    assert b'<edge source="xr:problem-a" target="xr:bulletin-b"' in clean
    assert spliced == clean


OUTPUTS = ("xunshi.ttl", "xunshi.graphml", "problems.csv", "stats.json")


@pytest.mark.parametrize("what", ["add", "delete", "year"])  # the partial graph is checked for all five above
def test_an_incremental_rebuild_writes_what_a_clean_build_writes(corpus, tmp_path, what):
    """A lean build pinned to a reference, with the cache on, keeps the state an incremental
    rebuild starts from; after a change the next build rebuilds what it reaches, and writes
    the clean build's bytes."""
    tmp, base, live, spare, ref, before = corpus
    folder, out = tmp_path / "corpus", tmp_path / "out"
    shutil.copytree(base, folder)
    first = run_build([folder], out, html=False, shacl=False, options={"reference": ref})
    assert first.graph is not None and (out / ".cache" / inc.STATE_DIR / inc.STATE_FILE).is_file()
    _change(what, folder, base, spare)
    report = run_build([folder], out, html=False, shacl=False, options={"reference": ref})
    assert report.graph is None and report.rebuilt["documents"] < N / 2
    assert report.rebuilt["changed"] == 1  # files (a changed file's old and new bytes are two documents)
    rebuilt = {name: (out / name).read_bytes() for name in OUTPUTS}
    # the kept state names a holder of every node attribute of the GraphML, which holds it
    with open(out / ".cache" / inc.STATE_DIR / inc.STATE_FILE, "rb") as fh:
        state = inc._load_state(fh)
    keys, blocks, _ = inc._graphml_blocks(rebuilt["xunshi.graphml"])
    assert state is not None and set(state.graphml_keys) == set(keys)
    for name, node in state.graphml_keys.items():
        assert b'<data key="' + inc._key_id(keys[name]) + b'">' in blocks[node], name
    shutil.rmtree(out)
    clean = run_build([folder], out, html=False, shacl=False, options={"reference": ref})
    assert clean.graph is not None
    for name in OUTPUTS:
        assert rebuilt[name] == (out / name).read_bytes(), name


# shapes the generated bulletins break in every document and on corpus-level nodes: long
# problem statements (violations), long span texts (warnings, the span table's rows), units
# with alternative labels (a respelled issuer moves a label)
STRICT_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xs: <https://w3id.org/xunshi/ontology#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
xs:StrictProblemShape a sh:NodeShape ; sh:targetClass xs:Problem ;
    sh:property [ sh:path xs:text ; sh:maxLength 40 ; sh:message "问题表述过长 (test)" ] .
xs:StrictSpanShape a sh:NodeShape ; sh:targetClass xs:Span ;
    sh:property [ sh:path oa:exact ; sh:maxLength 30 ; sh:severity sh:Warning ] .
xs:StrictUnitShape a sh:NodeShape ; sh:targetClass xs:Unit ;
    sh:property [ sh:path skos:altLabel ; sh:maxCount 0 ] .
"""


@pytest.mark.parametrize("what", ["add", "delete", "rename"])
def test_a_validating_rebuild_writes_the_clean_build_s_shacl_report(corpus, tmp_path, monkeypatch, what):
    """A build that validates (the default but for the HTML view) is rebuilt incrementally
    too: the SHACL results of the subjects it rewrites are worked out on the partial graph,
    the rest kept, and the report, the run report and every output are the clean build's
    bytes. The shapes here give results in every document (else every report would be the
    same "conforms" line); the ontology's own shapes check, through ``sh:class``, the
    classes of nodes the partial graph does not hold."""
    from pipeline import validate

    own = validate.shapes_graph

    def strict():
        g = own()
        g.parse(data=STRICT_SHAPES, format="turtle")
        return g

    monkeypatch.setattr(validate, "shapes_graph", strict)
    tmp, base, live, spare, ref, before = corpus
    folder, out = tmp_path / "corpus", tmp_path / "out"
    shutil.copytree(base, folder)
    first = run_build([folder], out, html=False, shacl=True, options={"reference": ref})
    assert first.graph is not None and not first.shacl["conforms"] and first.shacl["violations"] > N
    seen: list = []
    revalidate = inc.revalidate

    def spy(kept, g, write, drop, turtle, shapes):
        seen.append(inc._outside_targets(g, write) - drop)
        return revalidate(kept, g, write, drop, turtle, shapes)

    monkeypatch.setattr(inc, "revalidate", spy)
    _change(what, folder, base, spare)
    report = run_build([folder], out, html=False, shacl=True, options={"reference": ref})
    assert report.graph is None and report.rebuilt["documents"] < N / 2
    assert seen and seen[0], "the rebuilt subjects point to nodes outside the partial graph"
    rebuilt = {name: (out / name).read_bytes() for name in (*OUTPUTS, "shacl-report.ttl")}
    shutil.rmtree(out)
    clean = run_build([folder], out, html=False, shacl=True, options={"reference": ref}, use_cache=False)
    assert clean.graph is not None
    assert clean.shacl["violations"] != first.shacl["violations"] or what == "rename"
    for name in rebuilt:
        assert rebuilt[name] == (out / name).read_bytes(), name


def test_revalidation_reads_the_classes_of_nodes_outside_the_partial_graph(tmp_path):
    """A rewritten subject's ``sh:class`` checks see the classes of the nodes it points to
    that the partial graph lacks, read from the last build's Turtle, unless the rebuild
    drops those nodes. (Generated corpora close their reach over every such node; the
    sample's problem, alone in a graph, points to a dozen.)"""
    from rdflib import Graph
    from pipeline import shacl
    from pipeline.validate import shapes_graph

    ttl = ROOT / "graphs" / "xunshi.ttl"
    full = Graph().parse(ttl, format="turtle")
    problem = sorted(s for s in full.subjects(RDF.type, XS.Problem) if (s, XS.raisedIn, None) in full)[0]
    g = Graph()
    for t in full.triples((problem, None, None)):
        g.add(t)
    shapes = shacl.Shapes(shapes_graph())
    write = {str(problem)}
    outside = inc._outside_targets(g, write)
    inspection = str(full.value(problem, XS.raisedIn))
    assert inspection in outside and len(outside) > 5
    assert inc.revalidate([], g, write, set(), ttl, shapes) == []
    gone = inc.revalidate([], g, write, {inspection}, ttl, shapes)
    assert [(str(r.focus), r.path, str(r.component).rsplit("#")[-1]) for r in gone] == [
        (str(problem), XS.raisedIn, "ClassConstraintComponent")]
    # results of other subjects are kept, of the rewritten one replaced, in the report's order
    kept = shacl.portable(gone, shapes)
    other = [dataclasses.replace(kept[0], focus=URIRef(str(problem) + "0")), dataclasses.replace(kept[0], focus=URIRef("urn:a"))]
    assert inc.revalidate(other + kept, g, write, set(), ttl, shapes) == sorted(other, key=shacl.Result.key)


def test_a_rebuild_validates_only_when_the_state_has_results(corpus, tmp_path):
    """A lean build's state is not used by a validating build (nor the other way round):
    the first of each does everything."""
    tmp, base, live, spare, ref, before = corpus
    folder, out = tmp_path / "corpus", tmp_path / "out"
    shutil.copytree(base, folder)
    assert run_build([folder], out, html=False, shacl=False, options={"reference": ref}).graph is not None
    _change("add", folder, base, spare)
    validated = run_build([folder], out, html=False, shacl=True, options={"reference": ref})
    assert validated.graph is not None and validated.shacl["conforms"]
    _change("delete", folder, base, spare)
    again = run_build([folder], out, html=False, shacl=True, options={"reference": ref})
    assert again.graph is None and again.shacl["conforms"] and (out / "shacl-report.ttl").is_file()
    lean = run_build([folder], out, html=False, shacl=False, options={"reference": ref})
    assert lean.graph is not None and not lean.shacl


def test_block_counts_read_the_counts_a_graph_gives():
    """The counts a rebuild works out from the Turtle blocks it takes out and puts in are
    those of the graph the blocks hold (the sample: every class, status and triple)."""
    from rdflib import Graph

    ttl = (ROOT / "graphs" / "xunshi.ttl").read_bytes()
    _, blocks = inc.turtle_blocks(ttl)
    g = Graph().parse(data=ttl.decode("utf-8"), format="turtle")
    from pipeline.workflow import RunReport

    report = RunReport([], g)
    assert inc.block_counts([b for _, b in blocks]) == (report.counts(), report.by_status())
    counts, statuses = inc.block_counts([b for _, b in blocks])
    assert counts["problems"] == 141 and statuses["Completed"] == 65 and counts["triples"] == len(g)
    # a block whose literal holds the separators counts its objects, not the literal's commas
    block = b'xr:problem-x a xs:Problem ;\n    xs:text "a, b ;\\n    c" ;\n    xs:status xs:Completed, xs:Unknown .'
    c, st = inc.block_counts([block])
    assert c["problems"] == 1 and c["triples"] == 4 and st["Completed"] == 1 and st["Unknown"] == 1


@pytest.mark.parametrize("step", [1, 5, 40, 1 << 11])
def test_sorted_blocks_find_every_key_as_a_scan_does(step):
    """The bisection over the bytes finds, for keys present (some over several blocks),
    absent, before the first and after the last, what a scan block by block finds."""
    keys = ["b", "b", "d", "f", "f", "f", "h", "k", "m", "m", "p", "t", "x"]
    data = b"HEAD|" + b"".join(f"<{k}>{'.' * (i * 7 % 11)}".encode() for i, k in enumerate(keys))
    starts = [i for i in range(len(data)) if data[i : i + 1] == b"<"]

    def key_at(p: int) -> str:
        return data[p + 1 : data.index(b">", p)].decode()

    blocks = inc._SortedBlocks(data, starts[0], len(data), b"<", key_at, step=step)
    for key in sorted(set(keys) | set("acegjnqsz") | {"", "bb"}):
        for above in (False, True):
            want = next((p for p in starts if (key_at(p) > key if above else key_at(p) >= key)), len(data))
            assert blocks.bound(key, above) == want, (key, above)
        lo = blocks.bound(key)
        hi = blocks.bound(key, above=True)
        assert blocks.span(key) == (lo, hi)
        assert (hi > lo) == (key in keys)
        # from a hint (where a lookup in key order starts: no block before it has this key or a larger one)
        for hint in [p for p in starts if p <= lo] + ([len(data)] if lo == len(data) else []):
            fresh = inc._SortedBlocks(data, starts[0], len(data), b"<", key_at, step=step)
            assert fresh.bound(key, after=hint) == lo and fresh.bound(key, True, after=hint) == hi, (key, hint)
            assert fresh.span(key, hint) == (lo, hi)


@pytest.mark.parametrize("change", ["append", "drop-last", "drop-first", "replace", "all-new"])
def test_turtle_splice_over_a_file_read_in_place_writes_what_the_writer_writes(tmp_path, monkeypatch, change):
    """Hand-made: the old Turtle is read where looked up, not whole; its kept bytes are copied file to
    file; a subject after the old last one, the old last or first one dropped, one rewritten,
    all replaced: the result is the Turtle of the changed graph, byte for byte."""
    from rdflib import Graph, Literal

    from pipeline.build import serialize_turtle
    from pipeline.fsio import Staged

    monkeypatch.setattr(inc, "_STEP", 8)  # bisect even these few blocks
    XR = "https://w3id.org/xunshi/resource/"
    names = [f"problem-{c}" for c in "bcdefg"]

    def graph(members: list[str], texts: dict[str, str]) -> Graph:
        g = Graph()
        for n in members:
            g.add((URIRef(XR + n), RDF.type, XS.Problem))
            g.add((URIRef(XR + n), XS.text, Literal(texts.get(n, n), lang="zh")))
        return g

    before = graph(names, {})
    if change == "append":
        members, texts, touched = [*names, "problem-z"], {}, {"problem-z"}
    elif change == "drop-last":
        members, texts, touched = names[:-1], {}, {names[-1]}
    elif change == "drop-first":
        members, texts, touched = names[1:], {}, {names[0]}
    elif change == "replace":
        members, texts, touched = names, {"problem-d": "改写 a, b ; c ."}, {"problem-d"}
    else:
        members, texts, touched = ["problem-a", "problem-z"], {}, {*names, "problem-a", "problem-z"}
    after = graph(members, texts)
    write = {XR + n for n in touched if n in members}
    drop = {XR + n for n in touched}
    (tmp_path / "xunshi.ttl").write_bytes(serialize_turtle(before))
    with inc._opened(tmp_path / "xunshi.ttl") as (fd, old):
        pieces, removed, added = inc._splice_turtle(old, drop, after, write)
        assert any(type(p) is slice for p in pieces) == (change != "all-new")
        staged = Staged(tmp_path)
        staged.write("xunshi.ttl", inc._writer(old, pieces, fd))
    staged.commit()
    assert (tmp_path / "xunshi.ttl").read_bytes() == serialize_turtle(after)
    assert len(removed) == len(drop & {XR + n for n in names}) and len(added) == len(write)


def test_owned_iris_keep_every_iri_through_a_pickle():
    """The owned files' compact sets: the build's IRIs (``kind-`` and 16 hex digits) as
    numbers per prefix, anything else as itself; a pickle gives back the same IRIs."""
    import pickle

    XR = "https://w3id.org/xunshi/resource/"
    iris = {XR + "span-00000000000000ff", XR + "span-ffffffffffffffff", XR + "problem-0123456789abcdef",
            XR + "problem-0123456789ABCDEF", XR + "round-12", XR + "unit-0123456789abcdeg", "urn:x:plain", XR + "doc-"}
    owned = inc.OwnedIRIs()
    for s in sorted(iris):
        owned.add(s)
    owned.add(XR + "problem-0123456789abcdef")  # twice: a set
    assert owned.iris() == iris
    assert set(owned.numbers) == {XR + "span-", XR + "problem-"} and len(owned.other) == 5
    back = pickle.loads(pickle.dumps(owned))
    assert back.iris() == iris and sum(map(len, back.numbers.values())) + len(back.other) == len(iris)  # no repeats


def test_the_state_is_kept_a_piece_at_a_time_and_read_back_whole(corpus, tmp_path, monkeypatch):
    """The summary is pickled field by field, its dicts a few items at a time (a pickler's
    memo is per piece); reading it back gives the same state. A state of another version,
    or a cut-off file, is no state."""
    import dataclasses

    tmp, base, live, spare, ref, before = corpus
    monkeypatch.setattr(inc, "_CHUNK", 3)
    summary = inc.read(before.graph)
    assert len(summary.docs) > 3 * 3 and len(summary.labels) > 3 * 3
    state = inc.State("key", summary, {"problems": 1}, {"Completed": 1}, {"d": 2}, [])
    inc.save_state(tmp_path, state, {}, every=False)
    back = inc.load_state(tmp_path, "key")
    assert back is not None and dataclasses.asdict(back) == dataclasses.asdict(state)
    assert inc.load_state(tmp_path, "other key") is None
    path = tmp_path / ".cache" / inc.STATE_DIR / inc.STATE_FILE
    data = path.read_bytes()
    import pickle

    head = len(pickle.dumps(dataclasses.replace(state, summary=None), protocol=pickle.HIGHEST_PROTOCOL))
    for cut in (len(data) // 2, head, len(data) - 1):  # mid-piece, between pieces, before the end mark
        path.write_bytes(data[:cut])
        assert inc.load_state(tmp_path, "key") is None, cut
    monkeypatch.setattr(inc, "STATE_VERSION", inc.STATE_VERSION + 1)
    path.write_bytes(data)
    assert inc.load_state(tmp_path, "key") is None


def test_file_bytes_find_as_bytes_do(tmp_path):
    """The old outputs are read in place: find, rfind and slices give what the bytes give,
    across the reader's chunk edges, and nothing past the file."""
    import random

    rng = random.Random(7)
    data = bytes(rng.choice(b"ab\n<") for _ in range(300_000)) + b"</graph>\n"
    (tmp_path / "f").write_bytes(data)
    with inc._opened(tmp_path / "f") as (fd, fb):
        assert len(fb) == len(data) and fb[10:20] == data[10:20] and fb[len(data) - 3 :] == data[-3:]
        for sub in (b"\n<", b"abba<", b"<\n<\n<", b"</graph>", b"zz"):
            for start, end in ((0, None), (4095, None), (4096 - 2, 9000), (123_456, 123_460), (299_990, None)):
                assert fb.find(sub, start, end) == data.find(sub, start, end if end is not None else len(data)), (sub, start, end)
            assert fb.rfind(sub) == data.rfind(sub), sub
            for start, end in ((0, 5000), (4000, 200_000), (150_000, len(data) - 3)):
                assert fb.rfind(sub, start, end) == data.rfind(sub, start, end), (sub, start, end)
    # a match across a page's end, near and past the pages a lookup keeps
    page = inc._FileBytes.PAGE
    for at in (page - 2, 3 * page - 5, 20 * page - 1):
        data = b"x" * at + b"NEEDLE" + b"y" * 100
        (tmp_path / "g").write_bytes(data)
        with inc._opened(tmp_path / "g") as (fd, fb):
            assert fb.find(b"NEEDLE") == fb.find(b"NEEDLE", at) == at and fb.find(b"NEEDLE", at + 1) == -1
            assert fb.find(b"NEEDLE", 0, at + 5) == -1 and fb[at : at + 6] == b"NEEDLE"


def test_graphml_edges_are_found_by_bisection():
    """The first edge of a GraphML with many nodes and edges is found without reading the
    nodes: where a scan finds it."""
    from rdflib import Graph, Literal

    from pipeline.mirror import write_graphml

    XR = "https://w3id.org/xunshi/resource/"
    g = Graph()
    for i in range(5):
        g.add((URIRef(f"{XR}bulletin-{i:016x}"), RDF.type, XS.Bulletin))
    for i in range(400):
        g.add((URIRef(f"{XR}problem-{i:016x}"), RDF.type, XS.Problem))
        g.add((URIRef(f"{XR}problem-{i:016x}"), XS.text, Literal("问题" * (i % 7))))
        g.add((URIRef(f"{XR}problem-{i:016x}"), XS.inBulletin, URIRef(f"{XR}bulletin-{i % 5:016x}")))
    data = write_graphml(g)
    n0 = data.index(inc._GRAPH_OPEN) + len(inc._GRAPH_OPEN)
    end = data.rindex(b"</graph>")
    want = data.find(inc._EDGE, n0, end)
    assert want - n0 > 1 << 14  # bisected, not scanned
    assert inc._edges_start(data, n0, end) == want
    assert inc._edges_start(data, n0, want) == want  # no edges: the end
    assert inc._edges_start(data, want, end) == want  # no nodes


def test_the_node_holding_an_attribute_is_found_from_the_attribute():
    """A rebuild that must find another holder of an attribute finds its use, then the node
    it is in: the last node to begin before it, on bytes and on a file read in place."""
    path = ROOT / "graphs" / "xunshi.graphml"
    data = path.read_bytes()
    n0, e0, _, _ = inc._graphml_regions(data)
    uses = [m.start() for m in re.finditer(rb'<data key="', data[:e0])][::97]
    assert len(uses) > 20
    with inc._opened(path) as (_fd, in_place):
        for p in uses:
            want = data.rindex(inc._NODE, n0, p)
            assert inc._node_start(data, n0, p) == inc._node_start(in_place, n0, p) == want
