"""The build graph's lean store answers every triple pattern exactly as rdflib's own."""

from __future__ import annotations

import itertools
import random

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from pipeline.build import serialize_turtle, subject_index
from pipeline.memstore import BuildGraph, CompactMemory, objects
from pipeline.mirror import mirror

EX = "http://example.org/"
SUBJECTS = [URIRef(f"{EX}s{i}") for i in range(6)] + [BNode("b0")]
PREDICATES = [RDF.type, URIRef(f"{EX}p"), URIRef(f"{EX}q")]
OBJECTS = [
    URIRef(f"{EX}s1"),
    URIRef(f"{EX}C"),
    Literal("甲", lang="zh"),
    Literal("甲"),
    Literal(1),
    Literal("1", datatype=XSD.integer),
    Literal("01", datatype=XSD.integer),
    URIRef(f"{EX}s1-not"),
]


def _pattern_terms(pool):
    return [None, *pool]


def _both(ops) -> tuple[Graph, Graph]:
    ref, lean = Graph(store="SimpleMemory"), Graph(store=CompactMemory())
    for op, t in ops:
        for g in (ref, lean):
            g.add(t) if op == "add" else g.remove(t)
    return ref, lean


def _random_ops(seed: int, n: int = 120) -> list:
    rnd = random.Random(seed)
    ops = []
    for _ in range(n):
        t = (rnd.choice(SUBJECTS), rnd.choice(PREDICATES), rnd.choice(OBJECTS))
        if rnd.random() < 0.7:
            ops.append(("add", t))
        else:  # removals with wildcards, as the decisions pass does
            ops.append(("remove", tuple(x if rnd.random() < 0.6 else None for x in t)))
    return ops


@pytest.mark.parametrize("seed", range(8))
def test_every_pattern_matches_rdflib(seed):
    ref, lean = _both(_random_ops(seed))
    assert len(lean) == len(ref)
    assert len(ref) > 0
    for s, p, o in itertools.product(_pattern_terms(SUBJECTS), _pattern_terms(PREDICATES), _pattern_terms(OBJECTS)):
        want = sorted(ref.triples((s, p, o)))
        got = list(lean.triples((s, p, o)))
        assert sorted(got) == want, (s, p, o)
        assert len(got) == len(set(got))  # no triple twice


@pytest.mark.parametrize("seed", range(6))
def test_patterns_asked_between_changes_match_rdflib(seed):
    """Predicates' indexes made at any point (when first asked for) and kept up to date by
    every later addition and removal: each pattern, asked at random moments, as rdflib."""
    rnd = random.Random(100 + seed)
    ref, lean = Graph(store="SimpleMemory"), Graph(store=CompactMemory())
    asked = 0
    for op, t in _random_ops(seed, 300):
        for g in (ref, lean):
            g.add(t) if op == "add" else g.remove(t)
        if rnd.random() < 0.2:
            pat = (None, rnd.choice(PREDICATES), rnd.choice([None, *OBJECTS]))
            if rnd.random() < 0.1:
                pat = (None, None, rnd.choice(OBJECTS))  # every predicate indexed from here
            assert sorted(lean.triples(pat)) == sorted(ref.triples(pat)), pat
            asked += 1
    assert asked > 20 and len(lean) == len(ref)
    for pat in itertools.product([None], _pattern_terms(PREDICATES), _pattern_terms(OBJECTS)):
        assert sorted(lean.triples(pat)) == sorted(ref.triples(pat)), pat


@pytest.mark.parametrize("seed", range(8))
def test_build_graph_objects_and_value_answer_like_rdflib(seed):
    from rdflib.exceptions import UniquenessError
    from rdflib.paths import OneOrMore

    ops = _random_ops(seed)
    ref, build = Graph(store=CompactMemory()), BuildGraph()
    for op, t in ops:
        for g in (ref, build):
            g.add(t) if op == "add" else g.remove(t)
    for s, p in itertools.product(_pattern_terms(SUBJECTS), _pattern_terms(PREDICATES)):
        assert list(build.objects(s, p)) == list(ref.objects(s, p)), (s, p)  # same order
        assert list(build.objects(s, p, unique=True)) == list(ref.objects(s, p, unique=True))
        assert build.value(s, p, default="-") == ref.value(s, p, default="-"), (s, p)
        for o in OBJECTS:  # the subject asked for: rdflib's own
            assert build.value(None, p, o) == ref.value(None, p, o), (p, o)
        try:
            want = ref.value(s, p, any=False)
        except UniquenessError:
            with pytest.raises(UniquenessError):
                build.value(s, p, any=False)
        else:
            assert build.value(s, p, any=False) == want
    for s in SUBJECTS:  # a property path and a list of subjects are rdflib's own
        assert sorted(build.objects(s, (PREDICATES[1] * OneOrMore))) == sorted(ref.objects(s, (PREDICATES[1] * OneOrMore)))
    assert list(build.objects(SUBJECTS[:3], PREDICATES[1])) == list(ref.objects(SUBJECTS[:3], PREDICATES[1]))


def _shuffled_adds() -> list:
    ops = [("add", (s, p, o)) for s, p, o in itertools.product(SUBJECTS[:3], PREDICATES, OBJECTS[:5])]
    random.Random(1).shuffle(ops)
    return ops


def test_order_follows_insertion_like_rdflib():
    """Passes see triples in the order rdflib's own memory store gives (insertion order): a
    subject's, always; a predicate's, for rdf:type and for any predicate asked for before its
    triples came (each predicate's p→o→s index is made when it is first asked for)."""
    ops = _shuffled_adds()
    ref, lean = Graph(store="SimpleMemory"), Graph(store=CompactMemory())
    for p in PREDICATES[1:]:
        assert list(lean.triples((None, p, None))) == []  # asked for: indexed from now on
    for _, t in ops:
        ref.add(t)
        lean.add(t)
    for s, p, o in itertools.product(_pattern_terms(SUBJECTS[:3]), _pattern_terms(PREDICATES), [None, OBJECTS[0]]):
        if s is None and p is None and o is not None:
            continue  # object-only patterns: same triples, order not promised
        assert list(lean.triples((s, p, o))) == list(ref.triples((s, p, o))), (s, p, o)


def test_a_predicate_first_asked_for_late_answers_in_subject_order():
    """A predicate's index made from the subjects' rows (its triples came before anyone
    asked): objects in the order of their first subject, subjects in theirs; later triples
    after them, as they come."""
    ops = _shuffled_adds()
    ref, lean = _both(ops)
    subjects = list(dict.fromkeys(t[0] for _, t in ops))  # in the order they came
    p = PREDICATES[1]
    pairs = [(o, s) for s in subjects for o in ref.objects(s, p)]  # each subject's, in order
    groups: dict = {}
    for o, s in pairs:
        groups.setdefault(o, []).append(s)
    want = [(s, p, o) for o, ss in groups.items() for s in ss]
    assert [t for _, t in ops if t[1] == p] != want  # (insertion order differs here)
    assert list(lean.triples((None, p, None))) == want
    assert list(lean.triples((None, p, OBJECTS[0]))) == [t for t in want if t[2] == OBJECTS[0]]
    new = URIRef(f"{EX}new")
    lean.add((SUBJECTS[5], p, new))
    lean.add((SUBJECTS[4], p, OBJECTS[0]))
    lean.remove((subjects[0], p, OBJECTS[0]))
    groups[OBJECTS[0]] = [x for x in groups[OBJECTS[0]] if x != subjects[0]] + [SUBJECTS[4]]
    groups[new] = [SUBJECTS[5]]  # a new object: last
    assert list(lean.triples((None, p, None))) == [(s, p, o) for o, ss in groups.items() for s in ss]


def test_duplicates_and_removal_keep_the_count():
    g = Graph(store=CompactMemory())
    t = (SUBJECTS[0], PREDICATES[1], OBJECTS[2])
    g.add(t)
    g.add(t)
    assert len(g) == 1
    g.add((SUBJECTS[0], PREDICATES[1], OBJECTS[3]))
    g.add((SUBJECTS[0], PREDICATES[1], OBJECTS[4]))
    assert len(g) == 3
    g.remove((SUBJECTS[0], PREDICATES[1], OBJECTS[3]))
    g.remove((SUBJECTS[0], PREDICATES[1], OBJECTS[3]))  # already gone: a no-op
    assert len(g) == 2
    assert set(g.objects(SUBJECTS[0], PREDICATES[1])) == {OBJECTS[2], OBJECTS[4]}
    g.remove((SUBJECTS[0], None, None))
    assert len(g) == 0 and list(g) == []
    assert list(g.subjects(PREDICATES[1], OBJECTS[2])) == []
    g.set((SUBJECTS[1], PREDICATES[2], OBJECTS[0]))
    g.set((SUBJECTS[1], PREDICATES[2], OBJECTS[1]))
    assert list(g.objects(SUBJECTS[1], PREDICATES[2])) == [OBJECTS[1]]


@pytest.mark.parametrize("seed", range(4))
def test_outputs_do_not_depend_on_the_store(seed):
    """The Turtle writer and the GraphML mirror read the lean store's own index; they must
    write what they write for rdflib's store holding the same triples."""
    ops = [op for op in _random_ops(seed, 200)]
    ops += [("add", (s, RDF.type, URIRef(f"{EX}C"))) for s in SUBJECTS[:5]]
    ref, lean = _both(ops)
    assert serialize_turtle(lean) == serialize_turtle(ref)
    assert mirror(lean) == mirror(ref)
    idx_ref, idx_lean = subject_index(ref), subject_index(lean)
    assert idx_lean.indexed is lean.store._spo  # the store's index, not a copy
    assert {s: {p: sorted(objects(v)) for p, v in ps.items()} for s, ps in idx_lean.items()} == {
        s: {p: sorted(objects(v)) for p, v in ps.items()} for s, ps in idx_ref.items()
    }


def test_sparql_over_the_lean_store():
    ref, lean = _both([("add", (s, PREDICATES[1], o)) for s in SUBJECTS[:4] for o in OBJECTS[:4]])
    q = "SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s <http://example.org/p> ?o } GROUP BY ?s ORDER BY ?s"
    assert [tuple(r) for r in lean.query(q)] == [tuple(r) for r in ref.query(q)]



# --- a subject's slots: one tuple and a shared shape, read like the dict they replace ----------


def _dict_put(index: dict, k1, k2, v) -> bool:
    """The model both indexes are held to: index[k1][k2] gains v (a lone value, or the keys of
    a dict of several); False when it was already there."""
    inner = index.setdefault(k1, {})
    cur = inner.get(k2)
    if cur is None:
        inner[k2] = v
    elif type(cur) is dict:
        if v in cur:
            return False
        cur[v] = None
    elif cur == v:
        return False
    else:
        inner[k2] = {cur: None, v: None}
    return True


def _dict_drop(index: dict, k1, k2, v) -> None:
    inner = index[k1]
    cur = inner[k2]
    if type(cur) is dict:
        del cur[v]
        if len(cur) == 1:
            inner[k2] = next(iter(cur))
    else:
        del inner[k2]
    if not inner:
        del index[k1]


def _members(slot) -> list:
    return list(slot) if type(slot) in (dict, list, tuple) else [slot]


def _as_row_slot(slot):
    """The model's slot as a row holds it: several objects a tuple of up to SMALL_SLOT."""
    from pipeline.memstore import SMALL_SLOT

    return tuple(slot) if type(slot) is dict and len(slot) <= SMALL_SLOT else slot


@pytest.mark.parametrize("seed", range(6))
def test_both_indexes_hold_what_dict_indexes_hold_in_their_order(seed):
    """Whatever is added and removed, the store's s→p→o rows and p→o→s slots hold the
    members, in the order, that dict-of-dicts indexes (what the store kept before) would."""
    rnd = random.Random(seed)
    store = CompactMemory()
    for q in PREDICATES:
        store._pos_of(q)  # asked for before any triple: kept in insertion order
    spo: dict = {}
    pos: dict = {}
    for _ in range(400):
        s, p, o = rnd.choice(SUBJECTS), rnd.choice(PREDICATES), rnd.choice(OBJECTS)
        if rnd.random() < 0.65:
            store.add((s, p, o))
            if _dict_put(spo, s, p, o):
                _dict_put(pos, p, o, s)
        else:
            store.remove((s, p, o))
            if s in spo and p in spo[s] and o in _members(spo[s][p]):
                _dict_drop(spo, s, p, o)
                _dict_drop(pos, p, o, s)
        assert list(store._spo) == list(spo)
        assert all(list(store._spo[x].items()) == [(q, _as_row_slot(v)) for q, v in spo[x].items()] for x in spo)
        assert list(store._pos) == PREDICATES
        for q in PREDICATES:
            objs = pos.get(q, {})
            assert list(store._pos[q]) == list(objs)  # objects in the order they came
            assert all(_members(store._pos[q][y]) == _members(objs[y]) for y in objs)  # and subjects
    assert pos, "the run left no triple to compare"


@pytest.mark.parametrize("seed", range(6))
def test_rows_hold_what_a_dict_index_holds_in_its_order(seed):
    """Whatever is added and removed, a subject's row has the predicates, slots and order a
    dict-of-dicts index (what the store kept before rows) would have."""
    import pickle

    from pipeline.memstore import Row, _row_drop, _row_put

    rnd = random.Random(seed)
    ref: dict = {}
    rows: dict = {}
    for _ in range(400):
        s, p, o = rnd.choice(SUBJECTS), rnd.choice(PREDICATES), rnd.choice(OBJECTS)
        there = s in ref and p in ref[s] and (ref[s][p] == o if type(ref[s][p]) is not dict else o in ref[s][p])
        if rnd.random() < 0.65:
            assert _row_put(rows, s, p, o) == _dict_put(ref, s, p, o) == (not there)
        elif there:
            _row_drop(rows, s, p, o)
            _dict_drop(ref, s, p, o)
        assert rows.keys() == ref.keys()
        for subj, preds in ref.items():
            row = rows[subj]
            assert type(row) is Row
            want = {q: _as_row_slot(v) for q, v in preds.items()}
            assert list(row) == list(preds) and len(row) == len(preds)  # predicates, in order
            assert list(row.items()) == list(want.items())  # lone objects and tuples of several
            assert all(row[q] == want[q] and q in row for q in preds)
            for q in PREDICATES:
                assert row.get(q, "-") == want.get(q, "-") and (q in row) == (q in preds)
            assert row == want
    assert rows, "the run left no subject to compare"
    for row in rows.values():
        back = pickle.loads(pickle.dumps(row))
        assert type(back) is Row and list(back.items()) == list(row.items())
        with pytest.raises(KeyError):
            row[URIRef(f"{EX}never")]


def test_a_slot_of_many_objects_grows_into_a_dict_and_back():
    """Several objects of one subject and predicate: a tuple of up to SMALL_SLOT, then a
    dict, then a tuple and a lone object again as they are removed; always in the order they
    came, and every pattern as rdflib answers it."""
    from pipeline.memstore import SMALL_SLOT, span_iri

    s, p = SUBJECTS[0], PREDICATES[1]
    many = [Literal(f"值{k}") for k in range(SMALL_SLOT + 4)] + [span_iri(7), URIRef(f"{EX}o")]
    ref, lean = Graph(store="SimpleMemory"), Graph(store=CompactMemory())
    held = []
    for o in many + many[:3]:  # (the last three again: already there)
        for g in (ref, lean):
            g.add((s, p, o))
        if o not in held:
            held.append(o)
        slot = lean.store._spo[s][p]
        assert type(slot) is (tuple if 1 < len(held) <= SMALL_SLOT else dict if len(held) > 1 else Literal)
        assert list(lean.objects(s, p)) == held == list(ref.objects(s, p))
    assert len(lean) == len(ref) == len(many)
    rnd = random.Random(3)
    while held:
        o = held.pop(rnd.randrange(len(held)))
        for g in (ref, lean):
            g.remove((s, p, o))
        assert list(lean.objects(s, p)) == held == list(ref.objects(s, p))
        assert (o in lean.objects(s, p)) is False and ((s, p, o) in lean) is False
        for x in held[:3]:
            assert (s, p, x) in lean and list(lean.triples((s, p, x))) == [(s, p, x)]
        slot = lean.store._spo.get(s, {}).get(p)
        if len(held) > SMALL_SLOT:
            assert type(slot) is dict
        elif len(held) > 1:
            assert type(slot) is tuple
        assert sorted(lean.triples((None, p, None))) == sorted(ref.triples((None, p, None)))
    assert len(lean) == 0 and s not in lean.store._spo


def test_subjects_with_the_same_predicates_share_one_shape():
    from pipeline.memstore import _tget

    g = Graph(store=CompactMemory())
    for s in SUBJECTS[:4]:
        g.add((s, PREDICATES[0], OBJECTS[1]))
        g.add((s, PREDICATES[1], OBJECTS[2]))
    g.add((SUBJECTS[4], PREDICATES[1], OBJECTS[2]))  # another order: another shape
    g.add((SUBJECTS[4], PREDICATES[0], OBJECTS[1]))
    shapes = {id(_tget(g.store._spo[s], 0)) for s in SUBJECTS[:4]}
    assert len(shapes) == 1
    assert id(_tget(g.store._spo[SUBJECTS[4]], 0)) not in shapes
    assert list(g.store._spo[SUBJECTS[4]]) == [PREDICATES[1], PREDICATES[0]]

# --- the span table: rows that stand for five triples each ------------------------------------

from pipeline.memstore import SPAN_BASE, SPAN_PREDICATES  # noqa: E402
from pipeline.vocab import OA, XS  # noqa: E402

DOCS = [URIRef(f"{EX}doc0"), URIRef(f"{EX}doc1")]
TEXTS = ["甲乙丙丁戊己庚", "子丑寅卯辰"]
SPANS = [(URIRef(f"{SPAN_BASE}{i:016x}"), d, s, e) for i, (d, s, e) in enumerate([(0, 0, 2), (0, 2, 4), (1, 0, 2), (0, 0, 3), (1, 1, 2)])]
# objects the store must keep as they are: a span IRI that is never a row, one with capitals
# (not the form of a span's number), a literal of a span IRI's text
SPAN_LOOKALIKES = [URIRef(f"{SPAN_BASE}{99:016x}"), URIRef(f"{SPAN_BASE}00000000000000AB"), Literal(f"{SPAN_BASE}{1:016x}")]
SPAN_OBJECTS = [XS.Span, DOCS[0], DOCS[1], Literal(0), Literal(2), Literal("2", datatype=XSD.long), Literal("甲乙"), Literal("甲乙", lang="zh"), Literal("子丑")]


def _span_triples(i: int, exact: str | None = None) -> list[tuple]:
    sp, d, s, e = SPANS[i]
    exact = TEXTS[d][s:e] if exact is None else exact
    return [(sp, RDF.type, XS.Span), (sp, XS.inDocument, DOCS[d]), (sp, OA.start, Literal(s)), (sp, OA.end, Literal(e)), (sp, OA.exact, Literal(exact))]


def _add_span(ref: Graph, lean: BuildGraph, i: int, exact: str | None = None) -> None:
    """Span ``i`` into both: its triples into rdflib's store (unless there: a span already
    there is left as it is), a row into the build graph's (as the builder adds it)."""
    sp, d, s, e = SPANS[i]
    if (sp, RDF.type, XS.Span) not in ref:
        for t in _span_triples(i, exact):
            ref.add(t)
    assert lean.store.add_span(sp, d, s, e, TEXTS[d][s:e] if exact is None else exact) == sp


def _with_rows(ops) -> tuple[Graph, BuildGraph]:
    """rdflib's own store holding the triples, and a build graph holding the spans (and
    figures) as rows: ``("span", (i, exact))``, ``("figure", (i, values))`` (its evidence
    span first, as the builder adds them), or a triple added or a pattern removed."""
    ref, lean = Graph(store="SimpleMemory"), BuildGraph()
    for d, text in zip(DOCS, TEXTS):
        lean.store.add_document(d, text)
    for op, x in ops:
        if op == "span":
            _add_span(ref, lean, *x)
        elif op == "figure":
            i, v = x
            if i < len(SPANS):
                _add_span(ref, lean, i)
            for t in _figure_triples(i, v):
                ref.add(t)
            value, unit, text = FIGURE_VALUES[v]
            lean.store.add_figure(FIGURES[i], value, unit, text, FIGURE_SPANS[i])
        else:
            for g in (ref, lean):
                g.add(x) if op == "add" else g.remove(x)
    return ref, lean


def _random_row_ops(rnd: random.Random, n: int, row_op, p_row: float, p_add: float, subjects, predicates, objects_) -> list:
    """``n`` random operations: ``row_op()`` (a table row added as the builder adds it) with
    probability ``p_row``, else a triple added (up to ``p_add``) or a pattern removed."""
    ops = []
    for _ in range(n):
        x = rnd.random()
        if x < p_row:
            ops.append(row_op())
        elif x < p_add:
            ops.append(("add", (rnd.choice(subjects), rnd.choice(predicates), rnd.choice(objects_))))
        else:
            t = (rnd.choice(subjects), rnd.choice(predicates), rnd.choice(objects_))
            ops.append(("remove", tuple(v if rnd.random() < 0.5 else None for v in t)))
    return ops


def _random_span_ops(seed: int, n: int = 80) -> list:
    rnd = random.Random(seed)
    subjects = [*SUBJECTS[:3], *(sp for sp, *_ in SPANS)]
    predicates = [*PREDICATES, *SPAN_PREDICATES, XS.evidence]
    objects_ = [*OBJECTS[:4], *SPAN_OBJECTS, *(sp for sp, *_ in SPANS), *SPAN_LOOKALIKES]

    def span():  # now and then an exact text of its own
        return "span", (rnd.randrange(len(SPANS)), "异文" if rnd.random() < 0.1 else None)

    return _random_row_ops(rnd, n, span, 0.3, 0.8, subjects, predicates, objects_)


def _assert_answers_like(ref: Graph, lean: Graph, subjects, predicates, objects_) -> None:
    """Every pattern of these terms (``None`` first in each list), ``objects``/``value`` of
    every subject and predicate, the Turtle and the mirror: the build graph as rdflib's."""
    for s, p, o in itertools.product(subjects, predicates, objects_):
        got = list(lean.triples((s, p, o)))
        assert sorted(got) == sorted(ref.triples((s, p, o))), (s, p, o)
        assert len(got) == len(set(got))
    for s, p in itertools.product(subjects[1:], predicates[1:]):
        assert sorted(lean.objects(s, p)) == sorted(ref.objects(s, p)), (s, p)
        if len(set(ref.objects(s, p))) == 1:
            assert lean.value(s, p) == ref.value(s, p), (s, p)
    assert serialize_turtle(lean) == serialize_turtle(ref)
    assert mirror(lean) == mirror(ref)


@pytest.mark.parametrize("seed", range(10))
def test_span_rows_answer_every_pattern_like_rdflib(seed):
    from pipeline.memstore import count_instances

    ref, lean = _with_rows(_random_span_ops(seed))
    assert len(lean) == len(ref)
    # rows, evicted rows and spans added as triples, counted without their IRIs; other classes
    # (a span's row made triples by a second type)
    for g in (ref, lean):
        for x in (SUBJECTS[0], SUBJECTS[1], SPANS[seed % len(SPANS)][0]):
            g.add((x, RDF.type, OBJECTS[1]))
    for cls in (XS.Span, OBJECTS[1], URIRef(f"{EX}none")):
        want = len(set(ref.subjects(RDF.type, cls)))
        assert count_instances(lean, cls) == count_instances(ref, cls) == want, cls
    assert count_instances(lean, OBJECTS[1]) == 3
    subjects = [None, *SUBJECTS[:3], *(sp for sp, *_ in SPANS)]
    predicates = [None, *PREDICATES, *SPAN_PREDICATES, XS.evidence]
    objects_ = [None, *OBJECTS[:4], *SPAN_OBJECTS, *(sp for sp, *_ in SPANS), *SPAN_LOOKALIKES]
    _assert_answers_like(ref, lean, subjects, predicates, objects_)


def test_span_rows_keep_the_order_of_their_triples():
    """Spans added as the builder adds them (between the other nodes' triples; later passes add
    spans as triples): every pattern a pass may scan gives rdflib's order."""
    ops = [
        ("add", (SUBJECTS[0], RDF.type, URIRef(f"{EX}C"))),
        ("span", (0, None)),
        ("add", (SUBJECTS[0], XS.evidence, SPANS[0][0])),
        ("add", (SUBJECTS[1], RDF.type, URIRef(f"{EX}D"))),
        ("span", (2, None)),
        ("span", (1, None)),
        ("add", (SUBJECTS[2], RDF.type, URIRef(f"{EX}C"))),
        ("span", (4, None)),
        *(("add", t) for t in _span_triples(3)),  # a pass's span: triples
    ]
    ref, lean = _with_rows(ops)
    assert lean.store.spans.live == 4
    for p in [None, *SPAN_PREDICATES, XS.evidence]:
        for o in [None, *SPAN_OBJECTS]:
            if p is None and o is not None:
                continue  # object-only patterns: same triples, order not promised
            if p is None and o is None:
                continue  # a full scan: the rows after the indexed subjects
            assert list(lean.triples((None, p, o))) == list(ref.triples((None, p, o))), (p, o)
    for sp, *_ in SPANS:
        assert list(lean.triples((sp, None, None))) == list(ref.triples((sp, None, None)))


def test_a_row_becomes_triples_when_touched():
    ref, lean = _with_rows([("span", (0, None)), ("span", (1, None))])
    sp = SPANS[0][0]
    for g in (ref, lean):
        g.add((sp, RDFS_COMMENT, Literal("注")))
        g.remove((SPANS[1][0], OA.exact, None))
    assert lean.store.spans.live == 0
    assert sorted(lean) == sorted(ref) and len(lean) == len(ref) == 10
    assert lean.store.add_span(sp, 0, 0, 2, "甲乙") is sp  # already triples: nothing new
    assert len(lean) == 10


RDFS_COMMENT = URIRef("http://www.w3.org/2000/01/rdf-schema#comment")


def test_evidence_check_reads_rows_and_triples_alike():
    from pipeline.validate import check_evidence

    ops = [("span", (0, None)), ("span", (2, "子")), *(("add", t) for t in _span_triples(3, "甲乙"))]
    ref, lean = _with_rows(ops)
    texts = {str(d): t for d, t in zip(DOCS, TEXTS)}
    want = [(str(SPANS[2][0]), 0, 2), (str(SPANS[3][0]), 0, 3)]
    assert check_evidence(ref, texts) == check_evidence(lean, texts) == want
    assert lean.value(SPANS[2][0], OA.exact) == Literal("子")  # a row keeps an exact text of its own


def test_turtle_of_span_rows_is_written_a_block_at_a_time():
    """The writer streams 2,000 subjects at a time, span rows included (a build's spans sort
    together: written in one piece they were the Turtle stage's peak memory)."""
    g = BuildGraph()
    doc = g.store.add_document(DOCS[0], "甲" * 5000)
    for i in range(4500):
        g.store.add_span(URIRef(f"{SPAN_BASE}{i:016x}"), doc, i, i + 1, "甲")
    g.add((SUBJECTS[0], RDF.type, URIRef(f"{EX}C")))
    writes = []

    class Sink:
        def write(self, b: bytes) -> None:
            writes.append(b)

    from pipeline.build import write_turtle

    write_turtle(Sink(), g)
    blocks = [w.count(b" .\n") for w in writes[1:]]  # after the prefixes
    assert sum(blocks) == 4501 and max(blocks) <= 2000
    ref = Graph()
    for t in g:
        ref.add(t)
    assert b"".join(writes) == serialize_turtle(ref)


# --- the figure table: rows that stand for six triples each ----------------------------------

from pipeline.memstore import FIGURE_BASE, FIGURE_PREDICATES  # noqa: E402

# figures share their evidence span's hex digits (records.stable_id: the same document and
# offsets); the last has a span that is never a row
FIGURES = [URIRef(f"{FIGURE_BASE}{i:016x}") for i in range(len(SPANS) + 1)]
FIGURE_SPANS = [sp for sp, *_ in SPANS] + [URIRef(f"{SPAN_BASE}{77:016x}")]
FIGURE_VALUES = [
    (Literal("5", datatype=XSD.decimal), Literal("个", lang="zh"), Literal("5个", lang="zh")),
    (Literal("12.5", datatype=XSD.decimal), Literal("%", lang="zh"), Literal("12.5%", lang="zh")),
    (Literal("5", datatype=XSD.decimal), Literal("项", lang="zh"), Literal("5项", lang="zh")),
]
HAS_FIGURE = XS.hasFigure
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


def _figure_triples(i: int, v: int) -> list[tuple]:
    value, unit, text = FIGURE_VALUES[v]
    f = FIGURES[i]
    return [(f, RDF.type, XS.Figure), (f, RDF.value, value), (f, XS.unitOfMeasure, unit), (f, XS.text, text), (f, RDFS_LABEL, text), (f, XS.evidence, FIGURE_SPANS[i])]


FIGURE_OBJECTS = [XS.Figure, *(t for vals in FIGURE_VALUES for t in vals), *FIGURE_SPANS[:2], FIGURES[0], FIGURES[3], Literal(f"{FIGURE_BASE}{0:016x}")]


def _random_figure_ops(seed: int, n: int = 80) -> list:
    rnd = random.Random(seed)
    subjects = [*SUBJECTS[:3], *FIGURES[:4], FIGURE_SPANS[0]]  # a span touched: its row becomes triples
    predicates = [RDF.type, PREDICATES[1], *FIGURE_PREDICATES[1:], HAS_FIGURE, OA.start]

    def figure():  # now and then a figure again with other objects (its row becomes triples)
        return "figure", (rnd.randrange(len(FIGURES)), 0 if rnd.random() < 0.8 else rnd.randrange(3))

    return _random_row_ops(rnd, n, figure, 0.35, 0.85, subjects, predicates, FIGURE_OBJECTS)


@pytest.mark.parametrize("seed", range(10))
def test_figure_rows_answer_every_pattern_like_rdflib(seed):
    from pipeline.memstore import count_instances

    ref, lean = _with_rows(_random_figure_ops(seed))
    assert len(lean) == len(ref)
    for cls in (XS.Figure, XS.Span):
        assert count_instances(lean, cls) == len(set(ref.subjects(RDF.type, cls))), cls
    subjects = [None, *SUBJECTS[:3], *FIGURES, *FIGURE_SPANS[:2]]
    predicates = [None, RDF.type, PREDICATES[1], *FIGURE_PREDICATES[1:], HAS_FIGURE, OA.start]
    objects_ = [None, *FIGURE_OBJECTS, FIGURES[5], Literal(0)]
    _assert_answers_like(ref, lean, subjects, predicates, objects_)


@pytest.mark.parametrize("seed", range(6))
def test_each_triple_is_every_triple_in_the_order_triples_gives(seed):
    """The snapshot-free iteration (store writes) gives ``triples((None, None, None))``:
    index triples, span rows, figure rows, rows made triples, in the same order."""
    ops = _random_span_ops(seed) if seed % 2 else _random_figure_ops(seed)
    ref, lean = _with_rows(ops)
    got = list(lean.store.each_triple())
    assert got == [t for t, _ in lean.store.triples((None, None, None))]
    assert len(got) == len(lean) and set(got) == set(ref)


def test_each_triple_of_the_sample_build(sample_build):
    _, report = sample_build
    store = report.graph.store
    assert store.spans.live > 1000 and store.figures.live > 10
    got = list(store.each_triple())
    assert got == [t for t, _ in store.triples((None, None, None))] and len(got) == len(report.graph)


def test_figures_as_the_builder_adds_them_are_rows_in_order():
    """A problem's figures as rows (none of their triples in the indexes) and its xs:hasFigure
    objects as numbers; the classes' order, the Turtle and the mirror as rdflib's."""
    ops = [
        ("add", (SUBJECTS[0], RDF.type, URIRef(f"{EX}C"))),
        ("add", (SUBJECTS[0], HAS_FIGURE, FIGURES[0])),
        ("figure", (0, 0)),
        ("add", (SUBJECTS[1], RDF.type, URIRef(f"{EX}D"))),
        ("add", (SUBJECTS[0], HAS_FIGURE, FIGURES[2])),
        ("figure", (2, 1)),
        ("add", (SUBJECTS[1], HAS_FIGURE, FIGURES[1])),
        ("figure", (1, 0)),
        ("figure", (1, 0)),  # the same again: nothing new
    ]
    ref, lean = _with_rows(ops)
    store = lean.store
    assert store.figures.live == 3 and not any(f in store._spo for f in FIGURES)
    assert store._spo[SUBJECTS[0]][HAS_FIGURE] == (~0, ~2)  # numbers, not IRIs
    assert len(lean) == len(ref) == 2 + 3 + 3 * 6 + 3 * 5
    assert list(lean.triples((None, RDF.type, None))) == list(ref.triples((None, RDF.type, None)))
    assert list(lean.objects(SUBJECTS[0], HAS_FIGURE)) == [FIGURES[0], FIGURES[2]]
    assert lean.value(FIGURES[2], RDF.value) == Literal("12.5", datatype=XSD.decimal)
    assert lean.value(FIGURES[2], XS.evidence) == SPANS[2][0]
    assert sorted(lean.subjects(HAS_FIGURE, FIGURES[1])) == [SUBJECTS[1]]
    assert serialize_turtle(lean) == serialize_turtle(ref)
    rows, edges = mirror(lean)
    assert (rows, edges) == mirror(ref)
    assert ("s0", "xr:figure-0000000000000002", "xs:hasFigure") in {(a.rsplit("/", 1)[-1], b, c) for a, b, c in edges}
    # a triple about a figure makes its row triples, in the indexes
    for g in (ref, lean):
        g.add((FIGURES[0], RDFS_COMMENT, Literal("注")))
    assert store.figures.live == 2 and FIGURES[0] in store._spo
    assert sorted(lean) == sorted(ref)
