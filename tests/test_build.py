"""Link and build stages: the sample's graph, asserted through SPARQL on the contract terms."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from pipeline.build import serialize_turtle
from pipeline.link import unit_key
from pipeline.vocab import PREFIXES, XS

PFX = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def rows(g, q, **bind):
    return [tuple(r) for r in g.query(PFX + q, initBindings={k: Literal(v) for k, v in bind.items()})]


def test_bulletins_issuers_dates_and_attachments(sample_graph):
    r = rows(
        sample_graph,
        """SELECT ?pos ?issued ?pub ?att WHERE { ?b a xs:Bulletin ; xs:position ?pos ; dcterms:issued ?issued ;
             dcterms:publisher/skos:prefLabel ?pub . OPTIONAL { ?b xs:attachmentLabel ?att } } ORDER BY ?pos""",
    )
    assert [int(x[0]) for x in r] == [0, 1, 2, 3, 4]
    assert {str(x[1]) for x in r} == {"2023-12-22"}
    assert len({str(x[2]) for x in r}) == 5
    assert [str(x[3]) if x[3] else "" for x in r] == ["", "附件1", "附件2", "附件3", "附件4"]
    parts = rows(sample_graph, "SELECT ?a WHERE { ?a dcterms:isPartOf ?m . ?m xs:position 0 }")
    assert len(parts) == 4


def test_problems_per_bulletin_and_status(sample_graph):
    r = rows(
        sample_graph,
        """SELECT ?pos (COUNT(?p) AS ?n) WHERE { ?p a xs:Problem ; xs:inBulletin/xs:position ?pos }
           GROUP BY ?pos ORDER BY ?pos""",
    )
    assert [int(n) for _, n in r] == [71, 11, 14, 9, 36]
    st = dict(rows(sample_graph, "SELECT ?s (COUNT(?p) AS ?n) WHERE { ?p xs:status ?s } GROUP BY ?s"))
    assert {str(k).split("#")[1]: int(v) for k, v in st.items()} == {
        "Completed": 65, "PartiallyCompleted": 75, "NotCompleted": 1,
    }
    printed = dict(rows(sample_graph, "SELECT ?t (COUNT(?p) AS ?n) WHERE { ?p xs:statusText ?t } GROUP BY ?t"))
    assert {str(k): int(v) for k, v in printed.items()} == {"完成": 46, "已完成": 19, "阶段性完成": 75, "未完成": 1}


def test_each_bulletin_has_its_own_inspection(sample_graph):
    r = rows(
        sample_graph,
        """SELECT ?pos ?kind ?team ?start ?end ?fb ?unit WHERE { ?b xs:position ?pos ; xs:reportsOn ?i .
             ?i a xs:Inspection ; xs:inspectionKind ?kind ; xs:team ?team ; prov:startedAtTime ?start ;
                prov:endedAtTime ?end ; xs:feedbackDate ?fb ; xs:level "省"@zh ; xs:year ?y ;
                xs:inspectedUnit/skos:prefLabel ?unit } ORDER BY ?pos""",
    )
    assert len(r) == 5 and len({x for x in sample_graph.subjects(RDF.type, XS.Inspection)}) == 5
    assert [str(x[1]) for x in r] == ["巡视", "提级巡视", "提级巡视", "巡视", "延伸巡视"]
    assert {(str(x[2]), str(x[3]), str(x[4]), str(x[5])) for x in r} == {
        ("省委第十四巡视组", "2023-03-09", "2023-06-09", "2023-07-24")
    }
    assert str(r[4][6]) == "岳麓高新区"
    raised = rows(sample_graph, "SELECT (COUNT(?p) AS ?n) WHERE { ?p a xs:Problem ; xs:raisedIn ?i . ?b xs:reportsOn ?i . ?p xs:inBulletin ?b }")
    assert int(raised[0][0]) == 141


def test_one_policy_node_for_the_investment_guideline(sample_graph):
    r = rows(
        sample_graph,
        """SELECT DISTINCT ?pol ?ord WHERE { ?pol a xs:Policy ; rdfs:label "招商工作指引"@zh .
             ?m xs:establishes ?pol ; xs:addresses ?p . ?p xs:ordinal ?ord }""",
    )
    assert len({x[0] for x in r}) == 1
    assert sorted(int(x[1]) for x in r) == [9, 35, 53, 69]
    other = rows(sample_graph, 'SELECT ?p WHERE { ?p a xs:Policy ; rdfs:label "基金招商工作指引"@zh }')
    assert len(other) == 1 and other[0][0] != r[0][0]  # a title containing another's is another policy


def test_title_variants_share_a_node(sample_graph):
    r = rows(
        sample_graph,
        """SELECT ?pol ?alt WHERE { ?pol a xs:Policy ; rdfs:label ?l ; skos:altLabel ?alt .
             FILTER(CONTAINS(STR(?l), "干部监督工作联席会议制度和信息沟通办法")) }""",
    )
    assert [str(x[1]) for x in r] == ["干部监督工作联席会议制度和信息沟通办法(试行)"]
    bulletins = rows(
        sample_graph,
        """SELECT DISTINCT ?pos WHERE { ?m xs:establishes ?pol ; xs:addresses/xs:inBulletin/xs:position ?pos .
             ?pol skos:altLabel "干部监督工作联席会议制度和信息沟通办法(试行)"@zh } ORDER BY ?pos""",
    )
    assert [int(x[0]) for x in bulletins] == [0, 2]
    reg = rows(sample_graph, 'SELECT ?w ?k WHERE { ?w a xs:CitedWork ; rdfs:label "党政领导干部选拔任用工作条例"@zh ; xs:workKind ?k ; skos:altLabel "干部选拔任用工作条例"@zh }')
    assert [str(x[1]) for x in reg] == ["regulation"]


def test_every_title_is_a_policy_or_cited_work(sample_doc, sample_graph):
    starts = {
        int(s)
        for (s,) in rows(
            sample_graph,
            "SELECT ?s WHERE { { ?x a xs:Policy } UNION { ?x a xs:CitedWork } ?x xs:evidence/oa:start ?s }",
        )
    }
    text = sample_doc.text
    opens = {i + 1 for i, ch in enumerate(text) if ch == "《"}
    assert starts == opens
    kinds = dict(rows(sample_graph, "SELECT ?k (COUNT(?w) AS ?n) WHERE { ?w xs:workKind ?k } GROUP BY ?k"))
    kinds = {str(k): int(v) for k, v in kinds.items()}
    assert kinds["bulletin"] == 2 and kinds["book"] == 2 and kinds["journal"] == 1 and kinds["form"] >= 5


def test_leaders_with_roles(sample_graph):
    r = rows(
        sample_graph,
        """SELECT ?name ?role WHERE { ?p a xs:Person ; rdfs:label ?name ; xs:role ?role ; org:memberOf ?u } ORDER BY ?name ?role""",
    )
    assert {(str(a), str(b)) for a, b in r} == {
        ("师军", "新区党工委委员、组织工作部部长"),
        ("谭勇", "党工委书记"),
        ("钱胜", "新区纪检监察工委书记"),
        ("钱胜", "巡察工作领导小组组长"),
    }
    leads = rows(sample_graph, "SELECT ?name ?pos WHERE { ?p rdfs:label ?name ; xs:leads/xs:position ?pos } ORDER BY ?pos")
    assert [(str(a), int(b)) for a, b in leads] == [("谭勇", 0), ("师军", 2), ("钱胜", 3)]


def test_units_and_anonymised_units(sample_graph):
    anon = rows(sample_graph, 'SELECT ?u WHERE { ?u xs:anonymised true ; skos:prefLabel "某国企"@zh }')
    assert len(anon) == 2  # one per bulletin that mentions it, never merged across bulletins
    r = rows(sample_graph, 'SELECT ?alt WHERE { ?u skos:prefLabel "湖南湘江新区"@zh ; skos:altLabel ?alt }')
    assert "湘江新区" in {str(x[0]) for x in r}
    assert unit_key("中共湖南湘江新区纪检监察工作委员会") == unit_key("湘江新区纪检监察工委")
    assert unit_key("中共岳麓高新技术产业开发区工作委员会") == "岳麓高新区工委"
    assert unit_key("新区组织工作部", {"新区": "湖南湘江新区"}) == unit_key("中共湖南湘江新区工作委员会组织工作部")
    concerns = rows(sample_graph, 'SELECT ?o WHERE { ?p xs:concernsUnit/skos:prefLabel "某农业公司"@zh ; xs:ordinal ?o }')
    assert [str(x[0]) for x in concerns] == ["42"]


def test_figures_have_decimal_values(sample_graph):
    r = rows(sample_graph, 'SELECT ?v WHERE { ?f a xs:Figure ; xs:text "9439.91万元"@zh ; rdf:value ?v ; xs:unitOfMeasure "万元"@zh }')
    assert [str(x[0]) for x in r] == ["9439.91"]
    n = rows(sample_graph, "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?m a xs:Measure ; xs:hasFigure ?f }")
    assert int(n[0][0]) > 200


def test_figures_and_spans_are_rows_of_the_store_tables(sample_graph):
    """The builder's figures and spans are rows of the build store's tables (the 10,000-bulletin
    build's memory depends on it), none in the triple indexes, each figure's number its
    evidence span's; the xs:hasFigure objects are held as numbers."""
    from pipeline.memstore import FIGURE_BASE, SPAN_BASE, count_instances

    store = sample_graph.store
    n = count_instances(sample_graph, XS.Figure)
    assert n > 200 and store.figures.live == n
    assert store.spans.live == count_instances(sample_graph, XS.Span) > 1000
    assert not [s for s in store._spo if str(s).startswith((FIGURE_BASE, SPAN_BASE))]
    rows_ = list(store.figures.live_rows())
    assert [store.figures.keys[r] for r in rows_] == [store.figures.evidence[r] for r in rows_]
    held: list = []
    for row in store._spo.values():
        v = row.get(XS.hasFigure)
        if v is not None:
            held.extend(v if type(v) in (tuple, dict) else (v,))
    assert len(held) == n and all(type(o) is int and o < 0 for o in held)


def test_evidence_round_trips(sample_doc, sample_graph):
    spans = rows(sample_graph, "SELECT ?s ?e ?x WHERE { ?sp a xs:Span ; oa:start ?s ; oa:end ?e ; oa:exact ?x }")
    assert len(spans) > 1000
    for s, e, x in spans:
        assert sample_doc.text[int(s):int(e)] == str(x)
    missing = rows(
        sample_graph,
        """SELECT ?n WHERE { VALUES ?c { xs:Bulletin xs:Problem xs:Measure xs:Policy xs:CitedWork xs:Unit xs:Person
             xs:Inspection xs:Figure xs:FeedbackCategory xs:ProblemPart } ?n a ?c FILTER NOT EXISTS { ?n xs:evidence ?sp } }""",
    )
    assert missing == []


def test_iris_are_ascii_and_content_derived(sample_graph):
    for s in set(sample_graph.subjects()):
        if isinstance(s, URIRef):
            assert str(s).isascii(), s


def test_turtle_is_byte_identical_across_hash_seeds(tmp_path, sample_graph):
    code = (
        "import sys; from pipeline.workflow import run_build; "
        "run_build(['corpus'], sys.argv[1], html=False, shacl=False)"
    )
    root = Path(__file__).resolve().parent.parent
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"o{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-c", code, str(out)], cwd=root, env=env, check=True)
        outs.append((out / "xunshi.ttl").read_bytes())
    assert outs[0] == outs[1]
    assert serialize_turtle(sample_graph) == serialize_turtle(sample_graph)


def test_short_literals_are_shared_and_equal_to_fresh_ones():
    from rdflib import Literal

    from pipeline.vocab import int_literal, plain, zh

    assert int_literal(42) is int_literal(42) and int_literal(42) == Literal(42)
    assert zh("万元") is zh("万元") and zh("万元") == Literal("万元", lang="zh")
    assert plain("rule") is plain("rule") and plain("rule") == Literal("rule")
    long = "长" * 40  # long texts are not kept
    assert zh(long) == Literal(long, lang="zh") and zh(long) is not zh(long)


def test_text_literals_are_rdflibs_terms_holding_their_text_once():
    import pickle

    from rdflib import BNode
    from rdflib.term import _ORDERING

    from pipeline import vocab

    text = "对全区党组织近三年民主评议党员情况进行“回头看”"
    ours, theirs = vocab.zh(text), Literal(text, lang="zh")
    assert vocab.text_literal is vocab._fast_text_literal  # this rdflib passes the check
    assert type(ours) is vocab.TextLiteral and ours._value is None  # no second copy
    assert ours == theirs and hash(ours) == hash(theirs) and {ours: 1}[theirs] == 1
    assert ours.value == text and type(ours.value) is str and ours.toPython() == text
    assert ours.n3() == theirs.n3() and serialize_turtle_of(ours) == serialize_turtle_of(theirs)
    assert repr(ours) == repr(theirs) and repr(vocab.plain(text)) == repr(Literal(text))
    assert pickle.loads(pickle.dumps(ours)) == theirs
    terms = [URIRef("urn:z"), BNode("b"), Literal("子"), Literal(3)]
    assert sorted([*terms, ours]) == sorted([*terms, theirs])  # literals after IRIs
    assert vocab.plain(text) == Literal(text) and vocab.plain(text).language is None
    # the import-time check refuses a maker whose terms differ from rdflib's in any way
    assert vocab._same_as_rdflib(vocab._fast_text_literal)
    assert not vocab._same_as_rdflib(lambda t, lang: vocab._fast_text_literal(t, lang and lang.upper()))
    assert not vocab._same_as_rdflib(lambda t, lang: Literal(t + " ", lang=lang))
    rank = _ORDERING.pop(vocab.TextLiteral)  # without its rank, text literals sort before IRIs
    try:
        assert not vocab._same_as_rdflib(vocab._fast_text_literal)
    finally:
        _ORDERING[vocab.TextLiteral] = rank


def serialize_turtle_of(term) -> bytes:
    from rdflib import Graph

    g = Graph()
    g.add((URIRef("urn:s"), URIRef("urn:p"), term))
    return serialize_turtle(g)


def test_closed_terms_are_made_once_and_refuse_misspellings():
    import pytest
    from rdflib.namespace import DCTERMS

    from pipeline.vocab import closed

    dc = closed(DCTERMS)
    # the same IRIs as rdflib's vocabulary, each term one shared object; a term named like a
    # str method is the term, as in rdflib's vocabulary
    assert dc.format == DCTERMS.format and isinstance(dc.format, URIRef) and dc.format is dc.format
    assert dc.title == DCTERMS.title and isinstance(dc.title, URIRef)
    assert closed(RDF).type == RDF.type
    assert XS.evidence is XS["evidence"] and XS.evidence == URIRef(str(XS) + "evidence")
    with pytest.raises(AttributeError):
        XS.Problm  # noqa: B018
    with pytest.raises(AttributeError):
        dc.titel  # noqa: B018


def test_a_graph_from_spilled_records_is_the_graph_from_records_in_memory(sample_doc, sample_graph):
    """What a build runs: the records go to a spill file, the link stage reads only their
    link views (``Extraction.for_link``), and the graph reads the records back one
    document at a time; the graph is the one built from the records held in memory, and the
    linker finds the same units, policies and people in the views as in the records."""
    from pipeline.build import build_graph
    from pipeline.extract import extract
    from pipeline.link import link
    from pipeline.records import DocumentResult
    from pipeline.segment import segment
    from pipeline.workflow import RecordSpill

    extractions, _ = extract(sample_doc, segment(sample_doc)[0])
    views = tuple(e.for_link() for e in extractions)
    assert sum(len(e.bulletin.problems) for e in extractions) > 50
    assert [e.bulletin.problems for e in views] == [()] * len(views)
    assert [e.bulletin.id for e in views] == [e.bulletin.id for e in extractions]
    full = link([DocumentResult(sample_doc, tuple(extractions), ())])
    linked = link([DocumentResult(sample_doc, views, ())])
    for attr in ("units", "unit_ref", "policies", "policy_ref", "people", "inspected_ref", "feedback_ref", "issuer_ref"):
        assert getattr(linked, attr) == getattr(full, attr), attr
    blob = lambda records: pickle.dumps(tuple(records), protocol=pickle.HIGHEST_PROTOCOL)  # noqa: E731 (as DocState.pack)
    with RecordSpill() as spill:
        places = [spill.put(blob(())), spill.put(blob(extractions)), spill.put(blob(extractions[:1]))]
        assert spill.get(places[2]) == tuple(extractions[:1]) and spill.get(places[0]) == ()
        g = build_graph(linked, (spill.get(places[1]),))
        assert spill.nbytes == sum(n for _, n in places)
    assert serialize_turtle(g) == serialize_turtle(sample_graph)
    with pytest.raises(ValueError):  # one set of records per document, no fewer
        build_graph(linked, [])


def test_turtle_escaping_skips_only_texts_that_need_nothing():
    """The writer's escaping scans for characters to escape before translating: on random
    strings over quotes, backslashes, controls and Han characters it equals the translation."""
    import random

    from pipeline.build import _ESCAPE_TABLE, _escape

    rnd = random.Random(11)
    alphabet = '\\"\'\n\r\t\b\f\x00\x1f\x7f a1问题整改\u2028'
    for _ in range(3000):
        v = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 6)))
        assert _escape(v) == v.translate(_ESCAPE_TABLE), repr(v)
    assert _escape('a"b\\c\x01') == 'a\\"b\\\\c\\u0001'


def test_sorted_by_str_is_the_string_order_of_every_term():
    """The writers' grouped sort gives exactly ``sorted(key=str)``: random IRIs, blank nodes
    and plain strings, shorter and longer than the grouping prefix, many sharing it."""
    import random

    from rdflib import BNode

    from pipeline.build import sorted_by_str
    from pipeline.vocab import XR

    rnd = random.Random(7)
    terms = []
    for _ in range(3000):
        local = "".join(rnd.choice("ab-0f中") for _ in range(rnd.randint(0, 12)))
        kind = rnd.random()
        terms.append(XR[local] if kind < 0.6 else BNode(local or "x") if kind < 0.8 else local)
    for prefix in (0, 1, 3, len(str(XR)) + 2, len(str(XR)) + 8, 1000):
        got = list(sorted_by_str(list(terms), prefix))
        assert [str(t) for t in got] == sorted(map(str, terms)), prefix
        assert sorted(map(id, got)) == sorted(map(id, terms))  # the same objects, each once
    assert list(sorted_by_str([])) == []
