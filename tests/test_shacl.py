"""The build's SHACL engine (pipeline/shacl.py) against pyshacl: the same results on the
sample's graph as built and with faults of every kind the shapes check put into it, on the
build store (span and figure rows included) and on a plain rdflib graph."""

from __future__ import annotations

import random

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH

from pipeline import shacl
from pipeline.validate import shapes_graph, validate_graph
from pipeline.vocab import OA, XS, ontology_graph

DCT = URIRef("http://purl.org/dc/terms/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # plain: pytest probes module globals


def fresh_graph(sample_doc, sample_linked):
    """The sample's graph after every pass, in the build store (a new one: tests change it)."""
    from pipeline.build import build_graph, iri
    from pipeline.enrich import EnrichContext, enrich

    g = build_graph(sample_linked)
    enrich(g, EnrichContext({str(iri(sample_doc.id)): sample_doc.text}, options={}))
    return g


def plain_copy(g: Graph) -> Graph:
    out = Graph()
    for t in g:
        out.add(t)
    return out


def pyshacl_keys(g: Graph, shapes: Graph | None = None) -> list[tuple]:
    conforms, report, _ = pyshacl.validate(plain_copy(g), shacl_graph=shapes if shapes is not None else shapes_graph(),
                                           ont_graph=ontology_graph(), inference="none", advanced=True, allow_warnings=True)
    keys = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        value = report.value(r, SH.value)
        keys.append((str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath) or ""),
                     str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
                     "" if value is None else value.n3(), str(report.value(r, SH.resultMessage) or "")))
    return sorted(keys)


def native_keys(g: Graph) -> list[tuple]:
    return [r.key() for r in shacl.validate(g, shapes_graph(), ontology_graph())]


@pytest.fixture(scope="module")
def sample_results(sample_doc, sample_linked):
    g = fresh_graph(sample_doc, sample_linked)
    return g, native_keys(g)


def test_sample_graph_conforms_in_both(sample_doc, sample_linked, sample_results):
    g, native = sample_results
    assert native == []
    assert pyshacl_keys(g) == []
    res = validate_graph(g)
    assert res.conforms and res.violations == 0 and res.engine == "native"


# ---------------------------------------------------------------- faults, one of each kind


def _instances(g: Graph, cls) -> list:
    return sorted(g.subjects(RDF.type, cls), key=str)


def _faults(g: Graph, rng: random.Random) -> list[str]:
    """Put one fault of each kind the shapes check into ``g``; what was done, for the
    failure message."""
    done = []
    problems, measures = _instances(g, XS.Problem), _instances(g, XS.Measure)
    spans, units = _instances(g, XS.Span), _instances(g, XS.Unit)
    bulletins, sections = _instances(g, XS.Bulletin), _instances(g, XS.Section)
    figures, docs = _instances(g, XS.Figure), _instances(g, XS.SourceDocument)
    inspections = _instances(g, XS.Inspection)
    pick = rng.choice

    p = pick(problems)
    g.remove((p, XS.status, None))  # minCount
    done.append(f"no status {p}")
    p = pick(problems)
    g.add((p, XS.status, XS.NotCompleted))
    g.add((p, XS.status, XS.Completed))  # maxCount (and possibly the same value twice)
    done.append(f"two statuses {p}")
    p = pick(problems)
    g.set((p, XS.status, XS.Themes))  # sh:in
    done.append(f"foreign status {p}")
    m = pick(measures)
    g.set((m, XS.position, Literal(-3)))  # minInclusive
    done.append(f"negative position {m}")
    m = pick(measures)
    g.set((m, XS.position, Literal("abc", datatype=XSD.integer)))  # ill-typed
    done.append(f"ill-typed position {m}")
    m = pick(measures)
    g.set((m, XS.text, Literal("")))  # minLength
    done.append(f"empty text {m}")
    m = pick(measures)
    g.add((m, XS.addresses, pick(units)))  # class
    g.add((m, XS.cites, Literal("《某某办法》")))  # or of classes, a literal
    done.append(f"wrong classes {m}")
    sp = pick(spans)
    start = int(g.value(sp, OA.start))
    g.set((sp, OA.end, Literal(max(start - 1, 0))))  # lessThanOrEquals
    done.append(f"end before start {sp}")
    sp = pick(spans)
    g.set((sp, OA.start, Literal(str(g.value(sp, OA.start)))))  # a string: datatype, minInclusive, pair
    done.append(f"string start {sp}")
    sp = pick(spans)
    g.remove((sp, RDF.type, XS.Span))  # still a target: the object of xs:evidence
    done.append(f"untyped span {sp}")
    sp = pick(spans)
    g.remove((sp, XS.inDocument, None))
    done.append(f"span without document {sp}")
    b = pick(bulletins)
    g.add((b, XS.evidence, pick(problems)))  # evidence that is no span: SpanShape on a problem
    g.set((b, DCT + "issued", Literal("2023年12月22日")))
    done.append(f"bulletin faults {b}")
    u = pick(units)
    g.add((u, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal("又一个名称", lang="zh")))  # uniqueLang
    g.set((u, XS.anonymised, Literal("yes")))
    done.append(f"unit faults {u}")
    s = pick(sections)
    g.set((s, XS.sectionKind, Literal("misc")))
    done.append(f"section kind {s}")
    f = pick(figures)
    g.set((f, RDF.value, Literal("320万")))  # a figure row of the store
    done.append(f"figure value {f}")
    d = pick(docs)
    g.set((d, XS.sha256, Literal("ABC")))  # pattern
    done.append(f"sha {d}")
    p = pick(problems)
    g.add((p, XS.theme, URIRef("https://w3id.org/xunshi/ontology#theme-三转")))  # or of class / pattern
    g.add((p, XS.theme, Literal("三转")))  # nodeKind
    done.append(f"themes {p}")
    i = pick(inspections)
    prov = "http://www.w3.org/ns/prov#"
    g.set((i, URIRef(prov + "startedAtTime"), Literal("2023-09-01", datatype=XSD.date)))
    g.set((i, URIRef(prov + "endedAtTime"), Literal("2023-07-01", datatype=XSD.date)))
    g.set((i, XS.year, Literal("2023", datatype=XSD.integer)))
    done.append(f"inspection dates {i}")
    g.add((BNode(), XS.evidence, pick(spans)))  # a blank subject
    done.append("blank subject")
    return done


@pytest.mark.parametrize("seed", [1, 2])
def test_faults_give_the_same_results_as_pyshacl(sample_doc, sample_linked, seed):
    g = fresh_graph(sample_doc, sample_linked)
    done = _faults(g, random.Random(seed))
    native = native_keys(g)
    reference = pyshacl_keys(g)
    assert native == reference, done
    components = {k[2] for k in native}
    # every kind of constraint the faults break was found
    assert {"MinCountConstraintComponent", "MaxCountConstraintComponent", "InConstraintComponent",
            "MinInclusiveConstraintComponent", "DatatypeConstraintComponent", "MinLengthConstraintComponent",
            "ClassConstraintComponent", "OrConstraintComponent", "LessThanOrEqualsConstraintComponent",
            "UniqueLangConstraintComponent", "PatternConstraintComponent", "NodeKindConstraintComponent"} <= components
    res = validate_graph(g)
    assert not res.conforms and res.violations == len(native)


def test_on_a_plain_graph_too(sample_doc, sample_linked):
    g = fresh_graph(sample_doc, sample_linked)
    _faults(g, random.Random(3))
    assert native_keys(plain_copy(g)) == native_keys(g) == pyshacl_keys(g)


def test_random_faults_property(sample_doc, sample_linked):
    """Random removals and retypings of any triple: the two engines agree."""
    g = fresh_graph(sample_doc, sample_linked)
    rng = random.Random(11)
    triples = sorted(g, key=lambda t: tuple(x.n3() for x in t))
    nodes = sorted({t[0] for t in triples}, key=str)
    for s, p, o in rng.sample(triples, 60):
        action = rng.randrange(4)
        if action == 0:
            g.remove((s, p, o))
        elif action == 1 and isinstance(o, Literal):
            g.remove((s, p, o))
            g.add((s, p, Literal(str(o))))  # the same text, no datatype or language
        elif action == 2:
            g.add((s, p, rng.choice(nodes)))  # another node as a second object
        else:
            g.remove((s, RDF.type, None))
    assert native_keys(g) == pyshacl_keys(g)


# ---------------------------------------------------------------- the report


def test_report_is_deterministic_and_complete(sample_doc, sample_linked):
    g = fresh_graph(sample_doc, sample_linked)
    _faults(g, random.Random(1))
    first = validate_graph(g)
    second = validate_graph(g)
    a = first.report.serialize(format="turtle")
    assert a == second.report.serialize(format="turtle")
    rep = first.report
    results = list(rep.subjects(RDF.type, SH.ValidationResult))
    assert len(results) == first.violations
    for r in results:
        shape = rep.value(r, SH.sourceShape)
        assert shape is not None and rep.value(shape, SH.path) is not None  # the property shape, copied
        assert rep.value(r, SH.focusNode) is not None and rep.value(r, SH.resultSeverity) == SH.Violation
    assert rep.value(rep.value(predicate=RDF.type, object=SH.ValidationReport), SH.conforms) == Literal(False)
    assert "未通过" in first.text and "说明 (message)" in first.text


def test_unsupported_shapes_go_to_pyshacl(sample_results):
    """Someone's own shapes with a construct the engine does not evaluate (here an inverse
    path: every bulletin has something in it) are validated by pyshacl instead."""
    sg = shapes_graph()
    shape, prop, path = URIRef("https://example.org/shape"), BNode(), BNode()
    sg.add((shape, RDF.type, SH.NodeShape))
    sg.add((shape, SH.targetClass, XS.Bulletin))
    sg.add((shape, SH.property, prop))
    sg.add((prop, SH.path, path))
    sg.add((path, SH.inversePath, XS.inBulletin))
    sg.add((prop, SH.minCount, Literal(1)))
    with pytest.raises(shacl.Unsupported, match="path"):
        shacl.Shapes(sg)
    g, _ = sample_results
    res = validate_graph(g, shapes=sg)
    assert res.engine == "pyshacl" and res.conforms
    with pytest.raises(shacl.Unsupported):
        validate_graph(g, shapes=sg, engine="native")


def test_warnings_do_not_break_conformance(sample_results):
    sg = shapes_graph()
    shape = URIRef("https://example.org/warn")
    prop = BNode()
    sg.add((shape, RDF.type, SH.NodeShape))
    sg.add((shape, SH.targetClass, XS.Problem))
    sg.add((shape, SH.property, prop))
    sg.add((prop, SH.path, XS.sameIssueAs))
    sg.add((prop, SH.minCount, Literal(99)))
    sg.add((prop, SH.severity, SH.Warning))
    g, _ = sample_results
    res = validate_graph(g, shapes=sg)
    assert res.engine == "native" and res.conforms and res.violations == 0
    assert len(list(res.report.subjects(SH.resultSeverity, SH.Warning))) == len(_instances(g, XS.Problem))


def test_a_dataset_is_validated_too(sample_results, tmp_path):
    """A TriG file loads as a Dataset (which iterates quads): validation and the view read
    its triples."""
    from rdflib import Dataset

    from pipeline import view
    from pipeline.cli import main
    from pipeline.query import load_graph

    g, _ = sample_results
    d = Dataset(default_union=True)
    part = d.graph(URIRef("https://example.org/graph"))
    for t in g:
        part.add(t)
    d.serialize(tmp_path / "x.trig", format="trig")
    loaded = load_graph(tmp_path / "x.trig")
    assert isinstance(loaded, Dataset)
    res = validate_graph(loaded)
    assert res.engine == "native" and res.conforms
    assert main(["validate", "--graph", str(tmp_path / "x.trig")]) == 0
    data = view.graph_to_view_data(loaded)
    assert data["meta"]["nodeCount"] == view.graph_to_view_data(g)["meta"]["nodeCount"] > 100


# ---------------------------------------------------------------- span and figure rows

ROW_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xs: <https://w3id.org/xunshi/ontology#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/> .

ex:Spans a sh:NodeShape ; sh:targetClass xs:Span ;
    sh:nodeKind sh:IRI ; sh:pattern "[0-3]$" ; sh:message "m" ;
    sh:property [ sh:message "m" ; sh:path oa:exact ; sh:pattern "^整改" ; sh:maxLength 12 ; sh:datatype xsd:string ; sh:uniqueLang true ] ,
        [ sh:message "m" ; sh:path oa:start ; sh:maxInclusive 400 ; sh:in ( 0 1 2 3 100 ) ] ,
        [ sh:message "m" ; sh:path oa:end ; sh:hasValue 100 ; sh:maxCount 0 ] ,
        [ sh:message "m" ; sh:path ex:nothing ; sh:minCount 1 ] ,
        [ sh:message "m" ; sh:path ex:nothing ; sh:equals oa:start ] ,
        [ sh:message "m" ; sh:path oa:start ; sh:equals oa:end ] ,
        [ sh:message "m" ; sh:path oa:start ; sh:disjoint oa:end ] ,
        [ sh:message "m" ; sh:path oa:start ; sh:lessThan oa:end ] ,
        [ sh:message "m" ; sh:path xs:inDocument ; sh:or ( [ sh:class xs:Bulletin ] [ sh:nodeKind sh:BlankNode ] ) ] ,
        [ sh:message "m" ; sh:path xs:inDocument ; sh:not [ sh:nodeKind sh:IRI ] ] .

ex:Figures a sh:NodeShape ; sh:targetClass xs:Figure ;
    sh:property [ sh:message "m" ; sh:path rdf:value ; sh:maxExclusive 10 ] ,
        [ sh:message "m" ; sh:path xs:unitOfMeasure ; sh:in ( "个" "项" ) ] ,
        [ sh:message "m" ; sh:path xs:evidence ; sh:class xs:Problem ] ,
        [ sh:message "m" ; sh:path xs:evidence ; sh:class xs:Span ] .

ex:Exacts a sh:NodeShape ; sh:targetSubjectsOf oa:exact ;
    sh:property [ sh:message "m" ; sh:path oa:start ; sh:minInclusive 300 ] .

ex:Documents a sh:NodeShape ; sh:targetObjectsOf xs:inDocument ; sh:nodeKind sh:Literal ; sh:message "m" .
"""


def _row_faults(g: Graph) -> tuple[URIRef, URIRef]:
    """Faults that leave the rows in the store's tables (a span whose end comes before its
    start, a figure whose value is no number, one whose evidence span is not there, a
    document no longer typed); (a span row, a figure row) for target nodes."""
    from pipeline.memstore import span_iri
    from pipeline.vocab import decimal_literal

    store = g.store
    spans = store.spans
    doc_no = spans.doc_no[next(iter(spans.doc_no))]
    store.add_span(span_iri(0xABCDEF), doc_no, 50, 40, "倒置")
    live = list(spans.live_rows())
    assert spans.find(span_iri(0xABCDEF)) is not None  # still a row
    store.add_figure(URIRef(str(span_iri(live[3])).replace("span-", "figure-")), Literal("320万"), Literal("个"),
                     Literal("320万个"), spans.iri(live[3]))
    store.add_figure(URIRef(str(span_iri(0x1234)).replace("span-", "figure-")), decimal_literal("5"), Literal("项"),
                     Literal("5项"), span_iri(0x1234))  # its span is not there
    figs = store.figures
    assert figs.live >= 2 and figs.find(URIRef(str(span_iri(0x1234)).replace("span-", "figure-"))) is not None
    doc = spans.docs[doc_no]
    g.remove((doc, RDF.type, XS.SourceDocument))
    return spans.iri(live[5]), figs.iri(next(iter(figs.live_rows())))


def test_rows_are_validated_a_column_at_a_time_with_the_same_results(sample_doc, sample_extractions):
    """The span and figure rows are checked by column (a value check once per distinct
    document, offset, figure value …): the same results, in the same order, as one subject
    at a time, and as pyshacl gives them; for the build's shapes and for shapes that use
    every constraint on the rows' columns, the rows' IRIs and a missing predicate."""
    from pipeline.link import link
    from pipeline.records import DocumentResult

    # the sample's first bulletin: pyshacl takes ~6 s on the whole sample's ~17,000 results
    g = fresh_graph(sample_doc, link([DocumentResult(sample_doc, tuple(sample_extractions[:1]))]))
    span_row, figure_row = _row_faults(g)
    assert g.store.spans.live > 500 and g.store.figures.live > 20
    sg = Graph().parse(data=ROW_SHAPES, format="turtle")
    for n in (span_row, figure_row):  # rows that are target nodes go the subject's way
        shape = URIRef(f"https://example.org/node-{len(sg)}")
        prop = BNode()
        sg.add((shape, RDF.type, SH.NodeShape))
        sg.add((shape, SH.targetNode, n))
        sg.add((shape, SH.property, prop))
        sg.add((prop, SH.path, RDF.type))
        sg.add((prop, SH.maxCount, Literal(0)))
        sg.add((prop, SH.message, Literal("m")))
    for shapes in (shapes_graph(), sg):
        fast = shacl.validate(g, shapes, ontology_graph())
        slow = shacl.validate(g, shapes, ontology_graph(), rows=False)
        assert [(r.key(), r.shape) for r in fast] == [(r.key(), r.shape) for r in slow]
        assert [r.key() for r in shacl.validate(plain_copy(g), shapes, ontology_graph())] == [r.key() for r in fast]
        assert pyshacl_keys(g, shapes) == [r.key() for r in fast]
    keys = [r.key() for r in fast]
    components = {k[2] for k in keys}
    assert {"PatternConstraintComponent", "MaxLengthConstraintComponent", "MaxInclusiveConstraintComponent",
            "InConstraintComponent", "HasValueConstraintComponent", "MaxCountConstraintComponent",
            "MinCountConstraintComponent", "EqualsConstraintComponent", "LessThanConstraintComponent",
            "OrConstraintComponent", "NotConstraintComponent", "MaxExclusiveConstraintComponent",
            "ClassConstraintComponent", "MinInclusiveConstraintComponent", "NodeKindConstraintComponent"} <= components
    assert (str(span_row), str(RDF.type), "MaxCountConstraintComponent", "", "m") in keys
    # the reversed span, among the build's own shapes' results
    own = [r.key() for r in shacl.validate(g, shapes_graph(), ontology_graph())]
    assert any(k[2] == "LessThanOrEqualsConstraintComponent" and k[0].endswith("0000000000abcdef") for k in own)


def test_row_columns_are_of_the_kind_their_tables_declare(sample_results):
    """What the column-wise validation relies on: a column said to hold one kind of term
    (``column_kind``) holds only that kind, and rows with the same ``value_key`` in a column
    hold the same term there."""
    g, _ = sample_results
    for t in g.store._tables:
        assert t.live > 20
        for col in range(len(t.PREDICATES)):
            kind = t.column_kind(col)
            by_key: dict = {}
            for r in t.live_rows():
                x = t.value(r, col)
                if kind == "literal":
                    assert isinstance(x, Literal) and x.datatype is None and not x.language, (t, col, x)
                elif kind == "iri":
                    assert isinstance(x, URIRef), (t, col, x)
                key = t.value_key(r, col)
                if key is not None:
                    assert by_key.setdefault(key, x) == x, (t, col, key)
