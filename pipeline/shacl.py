"""SHACL Core validation in one pass over the graph, for the constraints the shapes use.

pyshacl validated the 1,000-bulletin graph in about 330 s (most of a default build's time,
five times the rest of it), on a copy of its 2.7 million triples in a context-aware store;
at 10,000 bulletins the copy alone would not fit in memory. This engine reads the shapes
(``ontology/shapes.ttl``), compiles each node shape's targets and each property shape's
constraints, and validates every focus node in one walk over the graph's subjects
(:func:`pipeline.build.subject_index`: the build store's own index, read in place), with
the semantics pyshacl gives them. ``tests/test_shacl.py`` checks that the two report the
same results on the sample's graph with random faults put into it.

Supported: targets ``sh:targetClass`` (with ``rdfs:subClassOf`` from the data and the
ontology), ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; property
shapes with a predicate path; ``sh:minCount``, ``sh:maxCount``, ``sh:class``,
``sh:datatype``, ``sh:nodeKind``, ``sh:in``, ``sh:hasValue``, ``sh:minInclusive``,
``sh:maxInclusive``, ``sh:minExclusive``, ``sh:maxExclusive``, ``sh:minLength``,
``sh:maxLength``, ``sh:pattern`` (with ``sh:flags``), ``sh:uniqueLang``,
``sh:lessThanOrEquals``, ``sh:lessThan``, ``sh:equals``, ``sh:disjoint``, ``sh:or`` /
``sh:and`` / ``sh:not`` of shapes with such value constraints; ``sh:message``,
``sh:severity``, ``sh:deactivated``. Shapes that use anything else raise
:class:`Unsupported` (:func:`pipeline.validate.validate_graph` then hands them to pyshacl).

The report is a ``sh:ValidationReport`` graph as pyshacl writes it (results with
``sh:focusNode``, ``sh:resultPath``, ``sh:value``, ``sh:sourceShape``,
``sh:sourceConstraintComponent``, ``sh:resultSeverity``, ``sh:resultMessage``), its results
in a fixed order and its blank nodes named from what they hold, so the same graph gives
the same report bytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

from .memstore import CompactMemory, objects, raw_objects, split_index, term
from .vocab import XS

_TYPE = RDF.type
_SPAN = XS.Span

# parameters that only describe a shape (or declare prefixes for SPARQL-based ones)
_DESCRIPTIVE = {SH.name, SH.description, SH.order, SH.group, SH.defaultValue, SH.declare, RDFS.label, RDFS.comment}
_NODE_KINDS = {
    SH.IRI: (URIRef,), SH.Literal: (Literal,), SH.BlankNode: (BNode,),
    SH.BlankNodeOrIRI: (BNode, URIRef), SH.BlankNodeOrLiteral: (BNode, Literal), SH.IRIOrLiteral: (URIRef, Literal),
}
# a datatype's Python value type (rdflib's), as pyshacl checks it beside the IRI
_VALUE_TYPES = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: (int,), XSD.float: (float,),
    XSD.decimal: (Decimal,), XSD.boolean: (bool,), XSD.date: (date,), XSD.time: (time,), XSD.dateTime: (datetime,),
}


_streq = str.__eq__  # str's own: an rdflib term's __eq__ runs in Python


def _plain(t) -> str:
    """A term as a plain string (dict and set lookups with rdflib terms call their Python
    ``__eq__``; plain strings compare in C)."""
    return str.__str__(t)


class Unsupported(Exception):
    """The shapes use a construct this engine does not evaluate (named in the message)."""


@dataclass(frozen=True)
class Result:
    """One validation result."""

    focus: object
    path: URIRef | None
    component: URIRef  # sh:…ConstraintComponent
    value: object | None
    shape: object  # the shape node in the shapes graph (a property shape, or a node shape)
    message: Literal | None
    severity: URIRef

    def key(self) -> tuple:
        """What the result says, as strings (for sorting and for comparing reports)."""
        return (str(self.focus), str(self.path or ""), str(self.component).rsplit("#", 1)[-1],
                "" if self.value is None else self.value.n3(), str(self.message or ""))


# --------------------------------------------------------------------------- compiled shapes


@dataclass(eq=False)
class _Constraint:
    """A constraint of a shape: ``kind`` (the SHACL parameter's local name) and its argument."""

    kind: str
    arg: object
    component: URIRef


@dataclass(eq=False)  # shapes are compared and hashed by identity
class _Shape:
    node: object
    path: URIRef | None = None  # None for a node shape
    value_checks: list[_Constraint] = field(default_factory=list)  # each value on its own
    set_checks: list[_Constraint] = field(default_factory=list)  # over a focus node's values
    properties: list[_Shape] = field(default_factory=list)
    message: Literal | None = None
    severity: URIRef = SH.Violation
    target_classes: list = field(default_factory=list)
    target_nodes: list = field(default_factory=list)
    subjects_of: list = field(default_factory=list)
    objects_of: list = field(default_factory=list)


_VALUE_KINDS = {
    "class": SH.ClassConstraintComponent, "datatype": SH.DatatypeConstraintComponent,
    "nodeKind": SH.NodeKindConstraintComponent, "in": SH.InConstraintComponent,
    "minInclusive": SH.MinInclusiveConstraintComponent, "maxInclusive": SH.MaxInclusiveConstraintComponent,
    "minExclusive": SH.MinExclusiveConstraintComponent, "maxExclusive": SH.MaxExclusiveConstraintComponent,
    "minLength": SH.MinLengthConstraintComponent, "maxLength": SH.MaxLengthConstraintComponent,
    "pattern": SH.PatternConstraintComponent, "or": SH.OrConstraintComponent,
    "and": SH.AndConstraintComponent, "not": SH.NotConstraintComponent,
}
_SET_KINDS = {
    "minCount": SH.MinCountConstraintComponent, "maxCount": SH.MaxCountConstraintComponent,
    "uniqueLang": SH.UniqueLangConstraintComponent, "hasValue": SH.HasValueConstraintComponent,
    "lessThanOrEquals": SH.LessThanOrEqualsConstraintComponent, "lessThan": SH.LessThanConstraintComponent,
    "equals": SH.EqualsConstraintComponent, "disjoint": SH.DisjointConstraintComponent,
}
_TARGETS = {SH.targetClass: "target_classes", SH.targetNode: "target_nodes",
            SH.targetSubjectsOf: "subjects_of", SH.targetObjectsOf: "objects_of"}


class Shapes:
    """The shapes of a shapes graph, compiled (:class:`Unsupported` for what is not)."""

    def __init__(self, sg: Graph):
        self.graph = sg
        self._compiled: dict = {}
        nodes = set(sg.subjects(_TYPE, SH.NodeShape))
        for p in (*_TARGETS, SH.property):
            nodes.update(sg.subjects(p, None))
        implicit = [s for s in nodes if (s, _TYPE, RDFS.Class) in sg or (s, _TYPE, OWL.Class) in sg]
        if implicit:
            raise Unsupported(f"implicit class target: {implicit[0]}")
        # property shapes only reached through sh:property are compiled with their node shape
        self.node_shapes = [self._compile(n, top=True) for n in sorted(nodes - set(sg.objects(None, SH.property)), key=_order)]
        self.node_shapes = [s for s in self.node_shapes if s is not None]

    def _compile(self, node, top: bool = False) -> _Shape | None:
        if node in self._compiled:
            return self._compiled[node]
        sg = self.graph
        if sg.value(node, SH.deactivated) == Literal(True):
            self._compiled[node] = None
            return None
        shape = _Shape(node)
        self._compiled[node] = shape
        for p, o in sorted(sg.predicate_objects(node), key=lambda po: (str(po[0]), _order(po[1]))):
            if p == _TYPE or p in _DESCRIPTIVE:
                continue
            if p in _TARGETS:
                if not top:
                    raise Unsupported(f"a target on a nested shape: {node}")
                getattr(shape, _TARGETS[p]).append(o)
                continue
            if p == SH.property:
                prop = self._compile(o)
                if prop is not None:
                    shape.properties.append(prop)
                continue
            if p == SH.path:
                if not isinstance(o, URIRef):
                    raise Unsupported(f"a path other than one predicate: {node}")
                shape.path = o
                continue
            if p == SH.message:
                shape.message = o
                continue
            if p == SH.severity:
                shape.severity = o
                continue
            if p in (SH.flags, SH.deactivated):
                continue
            name = str(p)[len(str(SH)):] if str(p).startswith(str(SH)) else None
            if name in _VALUE_KINDS:
                shape.value_checks.append(_Constraint(name, self._argument(node, name, o), _VALUE_KINDS[name]))
            elif name in _SET_KINDS:
                shape.set_checks.append(_Constraint(name, self._argument(node, name, o), _SET_KINDS[name]))
            else:
                raise Unsupported(f"{p} (on shape {node})")
        if shape.path is None and shape.set_checks and any(c.kind not in ("hasValue",) for c in shape.set_checks):
            raise Unsupported(f"a count or pair constraint on a node shape: {node}")
        if shape.path is None and shape.properties and not top:
            raise Unsupported(f"a property shape inside a logical constraint: {node}")
        return shape

    def _argument(self, node, name: str, o):
        sg = self.graph
        if name == "in":
            return frozenset(Collection(sg, o))
        if name in ("or", "and"):
            members = [self._compile(m) for m in Collection(sg, o)]
            return [m for m in members if m is not None]
        if name == "not":
            return self._compile(o)
        if name == "pattern":
            flags = 0
            for f in str(sg.value(node, SH.flags) or ""):
                flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}.get(f, 0)
            return re.compile(str(o), flags)
        if name in ("minCount", "maxCount", "minLength", "maxLength"):
            return int(o)
        if name == "uniqueLang":
            return bool(o.toPython()) if isinstance(o, Literal) else False
        if name == "nodeKind" and o not in _NODE_KINDS:
            raise Unsupported(f"sh:nodeKind {o}")
        return o


def _order(t) -> tuple:
    return (type(t).__name__, str(t))


# --------------------------------------------------------------------------- the data


class _Data:
    """What the validation reads of a data graph (and the ontology mixed in, as pyshacl's
    ``ont_graph``): subject → predicate → objects, each node's types, and class membership
    through ``rdfs:subClassOf``."""

    def __init__(self, g: Graph, ont: Graph | None):
        from .build import subject_index

        self.index = subject_index(g)
        self.ont = {} if ont is None else {s: {p: objects(v) for p, v in preds.items()} for s, preds in subject_index(ont).items()}
        supers: dict = {}  # classes as plain strings (rdflib terms compare in Python)
        for src in (g, ont) if ont is not None else (g,):
            for s, o in src.subject_objects(RDFS.subClassOf):
                supers.setdefault(_plain(s), set()).add(_plain(o))
        self._supers = supers
        self._closure: dict = {}
        store = g.store
        self._tables = store._tables if isinstance(store, CompactMemory) else ()
        # a table row that is also a subject of the ontology has more types than its row's
        self.rows_in_ont = any(t.find(s) is not None for t in self._tables for s in self.ont)
        self._spo = store._spo if isinstance(store, CompactMemory) else None
        # the store's own predicate objects by their strings: its rows look a predicate up
        # by identity first (a shape's path is another object with the same string)
        self.canon: dict = {}
        if self._spo is not None:
            from .memstore import _SHAPES

            for shape in list(_SHAPES.values()):
                for p in shape.preds:
                    self.canon.setdefault(_plain(p), p)
            for t in self._tables:
                for p in t.PREDICATES:
                    self.canon.setdefault(_plain(p), p)

    def preds(self, s, slots=None) -> _Values:
        """predicate → objects (a tuple) of ``s``, the ontology's too, each predicate's made
        when asked for (``slots``: the index's entry of ``s`` when the caller has it)."""
        if slots is None:
            slots = self.index.get(s)
        return _Values(slots, self.ont.get(s))

    def types(self, s) -> tuple:
        if self._spo is not None:
            slots = self._spo.get(s)
            if slots is None:
                own: tuple = ()
                for t in self._tables:
                    if t.find(s) is not None:
                        own = (t.CLASS,)
                        break
            else:
                v = slots.get(_TYPE)
                own = () if v is None else objects(v)
        else:
            slots = self.index.get(s)
            own = () if slots is None or _TYPE not in slots else objects(slots[_TYPE])
        extra = self.ont.get(s)
        if extra and _TYPE in extra:
            own = tuple(dict.fromkeys((*own, *extra[_TYPE])))
        return own

    def row_class(self, m):
        """The class of index slot member ``m`` if it is a live row of the build store's
        span or figure table (a number: see :func:`pipeline.memstore.term`), else None."""
        if type(m) is not int or not self._tables:
            return None
        for t in self._tables:
            k = m if m >= 0 else ~m
            if (t.CLASS == _SPAN) == (m >= 0) and t.find_key(k) is not None:
                return t.CLASS
        return None

    def superclasses(self, c) -> frozenset:
        """``c`` and every class it is a subclass of, as plain strings."""
        got = self._closure.get(c)
        if got is None:
            seen, todo = {_plain(c)}, [_plain(c)]
            while todo:
                for sup in self._supers.get(todo.pop(), ()):
                    if sup not in seen:
                        seen.add(sup)
                        todo.append(sup)
            got = self._closure[c] = frozenset(seen)
        return got

    def is_instance(self, v, c) -> bool:
        if isinstance(v, Literal):
            return False
        c = _plain(c)
        return any(c in self.superclasses(t) for t in self.types(v))

    def subjects(self, rows: bool = True) -> Iterator[tuple[object, dict]]:
        """(subject, its slots as the index holds them) of every subject, the ontology's
        own subjects after the data's; ``rows=False``: not the build store's table rows."""
        yield from (self.index if rows else split_index(self.index)[0]).items()
        for s in self.ont:
            if self.index.get(s) is None:
                yield s, {}


class _Values:
    """A subject's objects by predicate, as a tuple of terms each, made from the index's
    slots when first asked for (a shape reads a few of a subject's predicates)."""

    __slots__ = ("slots", "extra", "made")

    def __init__(self, slots, extra) -> None:
        self.slots, self.extra, self.made = slots, extra, {}

    def get(self, p, default=()):
        got = self.made.get(p)
        if got is None:
            slot = self.slots.get(p) if self.slots is not None else None
            got = () if slot is None else objects(slot)
            if self.extra and p in self.extra:
                got = tuple(dict.fromkeys((*got, *self.extra[p])))
            self.made[p] = got
        return got if got else default

    def raw(self, p) -> tuple | None:
        """The members of ``p``'s slot as the index holds them (a span or figure as its
        number), in the order of :meth:`get`'s terms; None when the ontology adds objects."""
        if self.extra and p in self.extra:
            return None
        slot = self.slots.get(p) if self.slots is not None else None
        return () if slot is None else tuple(raw_objects(slot))


# --------------------------------------------------------------------------- evaluation


def _compare(v, m) -> int | None:
    """-1/0/1 comparing literals ``v`` and ``m`` by value, None when they do not compare
    (not literals, ill-typed, a string and a non-string, incomparable types)."""
    if not isinstance(v, Literal) or not isinstance(m, Literal):
        return None
    a, b = v.value, m.value
    if a is None or b is None:
        a, b = (str(v) if v.datatype in (None, XSD.string) else None), (str(m) if m.datatype in (None, XSD.string) else None)
        if a is None or b is None:
            return None
    if isinstance(a, str) != isinstance(b, str):
        return None
    try:
        return (a > b) - (a < b)
    except TypeError:
        return None


def _datatype_ok(v, dt) -> bool:
    if not isinstance(v, Literal):
        return False
    if v.datatype is not None and _streq(v.datatype, dt):
        if getattr(v, "ill_typed", None) is True:
            return False
        want = _VALUE_TYPES.get(dt)
        return want is None or (isinstance(v.value, want) and not (dt != XSD.boolean and isinstance(v.value, bool)))
    if _streq(dt, RDF.langString):
        return bool(v.language)
    if _streq(dt, XSD.string):
        return v.datatype is None and v.language is None
    if _streq(dt, RDFS.Literal):
        return True
    if _streq(dt, RDFS.Datatype):
        return v.datatype is not None
    return False


class _Validator:
    def __init__(self, data: _Data):
        self.data = data
        self.results: list[Result] = []

    # a value on its own (also what sh:or / sh:and / sh:not members check)
    def value_ok(self, c: _Constraint, v) -> bool:
        k, a = c.kind, c.arg
        if k == "class":
            return self.data.is_instance(v, a)
        if k == "datatype":
            return _datatype_ok(v, a)
        if k == "nodeKind":
            return isinstance(v, _NODE_KINDS[a])
        if k == "in":
            return v in a
        if k in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
            cmp = _compare(v, a)
            if cmp is None:
                return False
            return {"minInclusive": cmp >= 0, "maxInclusive": cmp <= 0, "minExclusive": cmp > 0, "maxExclusive": cmp < 0}[k]
        if k in ("minLength", "maxLength", "pattern"):
            if isinstance(v, BNode):
                return k == "minLength" and a == 0
            s = str(v)
            if k == "pattern":
                return a.search(s) is not None
            return len(s) >= a if k == "minLength" else len(s) <= a
        if k == "or":
            return any(self.conforms(m, v) for m in a)
        if k == "and":
            return all(self.conforms(m, v) for m in a)
        if k == "not":
            return a is None or not self.conforms(a, v)
        raise Unsupported(k)

    def conforms(self, shape: _Shape, v) -> bool:
        """Whether ``v`` as a focus node conforms to the (value-constraint) ``shape``."""
        if shape.path is not None:
            preds = self.data.preds(v)
            values = preds.get(shape.path, ())
            return all(self.value_ok(c, x) for c in shape.value_checks for x in values) and not self._set_faults(shape, v, values, preds)
        if not all(self.value_ok(c, v) for c in shape.value_checks):
            return False
        return not any(c.kind == "hasValue" and c.arg != v for c in shape.set_checks)

    def _set_faults(self, shape: _Shape, focus, values: tuple, preds: _Values) -> list[tuple[_Constraint, object]]:
        faults: list[tuple[_Constraint, object]] = []
        for c in shape.set_checks:
            _set_fault(c, values, preds, faults)
        return faults

    def validate_focus(self, shape: _Shape, focus) -> None:
        """The results of ``shape``'s constraints on the focus node itself."""
        add = self.results.append
        for c in shape.value_checks:
            if not self.value_ok(c, focus):
                add(Result(focus, None, c.component, focus, shape.node, shape.message, shape.severity))
        for c in shape.set_checks:
            if c.kind == "hasValue" and c.arg != focus:
                add(Result(focus, None, c.component, focus, shape.node, shape.message, shape.severity))

    def validate(self, shape: _Shape, focus, preds: _Values) -> None:
        """Every result of ``focus`` against node shape ``shape``."""
        add = self.results.append
        if shape.value_checks or shape.set_checks:  # constraints on the focus node itself
            self.validate_focus(shape, focus)
        for prop in shape.properties:
            values = preds.get(prop.path, ())
            for c in prop.value_checks:
                # a class check on a span or figure: its class read from its table
                raws = preds.raw(prop.path) if c.kind == "class" and values and type(preds) is _Values else None
                if raws is not None:
                    for v, m in zip(values, raws):
                        if not _row_value_ok(self.data, self, c, m, v):
                            add(Result(focus, prop.path, c.component, v, prop.node, prop.message, prop.severity))
                    continue
                for v in values:
                    if not self.value_ok(c, v):
                        add(Result(focus, prop.path, c.component, v, prop.node, prop.message, prop.severity))
            if prop.set_checks:
                for c, v in self._set_faults(prop, focus, values, preds):
                    add(Result(focus, prop.path, c.component, v, prop.node, prop.message, prop.severity))


def _set_fault(c: _Constraint, values: tuple, preds, faults: list) -> None:
    """Append to ``faults`` (constraint, value or None) of set constraint ``c`` over a focus
    node's ``values`` (``preds``: the focus node's objects by predicate, for the pair
    constraints)."""
    k, a = c.kind, c.arg
    if k == "minCount":
        if len(values) < a:
            faults.append((c, None))
    elif k == "maxCount":
        if len(values) > a:
            faults.append((c, None))
    elif k == "hasValue":
        if a not in values:
            faults.append((c, None))
    elif k == "uniqueLang":
        if a:
            seen: set = set()
            dup: list = []
            for v in values:
                lang = v.language.lower() if isinstance(v, Literal) and v.language else None
                if lang is not None:
                    if lang in seen and lang not in dup:
                        dup.append(lang)
                    seen.add(lang)
            faults.extend((c, None) for _ in dup)
    elif k in ("lessThanOrEquals", "lessThan"):
        others = preds.get(a, ())
        for v in values:
            for o in others:
                cmp = _compare_pair(v, o)
                if cmp is None or cmp > 0 or (k == "lessThan" and cmp == 0):
                    faults.append((c, v))
    elif k == "equals":
        others = set(preds.get(a, ()))
        faults.extend((c, v) for v in values if v not in others)
        faults.extend((c, o) for o in preds.get(a, ()) if o not in set(values))
    elif k == "disjoint":
        others = set(preds.get(a, ()))
        faults.extend((c, v) for v in values if v in others)


def _compare_pair(v, o) -> int | None:
    """sh:lessThan(OrEquals) as pyshacl compares: IRIs and string literals as strings,
    other literals by value; a string against a non-string does not compare."""
    return _pair_cmp(_pair_norm(v), _pair_norm(o))


def _pair_norm(x) -> tuple | None:
    """What :func:`_compare_pair` compares of ``x``: ("s", its string) for an IRI or a
    string literal, ("v", its value) for another literal (value None if ill-typed), None for
    a blank node."""
    if isinstance(x, URIRef):
        return "s", str(x)
    if isinstance(x, Literal):
        value = x.value
        if isinstance(value, str) or (value is None and x.datatype in (None, XSD.string)):
            return "s", str(x)
        return "v", value
    return None


def _pair_cmp(a: tuple | None, b: tuple | None) -> int | None:
    if a is None or b is None or (a[0] == "s") != (b[0] == "s"):
        return None
    x, y = a[1], b[1]
    if x is None or y is None or isinstance(x, str) != isinstance(y, str):
        return None
    try:
        return (x > y) - (x < y)
    except TypeError:
        return None


def validate(data: Graph, shapes: Shapes | Graph, ont: Graph | None = None, *, rows: bool = True) -> list[Result]:
    """Every validation result of ``data`` (with ``ont`` mixed in, as pyshacl's
    ``ont_graph``) against ``shapes``, in a fixed order. :class:`Unsupported` if the shapes
    use a construct this engine does not evaluate.

    The build store's span and figure rows (:class:`pipeline.memstore.SpanTable`,
    :class:`~pipeline.memstore.FigureTable`: most of a build's subjects) are validated a
    column at a time (:func:`_validate_rows`); ``rows=False`` validates them one subject at a
    time like the rest (the same results: the tests compare the two)."""
    compiled = shapes if isinstance(shapes, Shapes) else Shapes(shapes)
    d = _Data(data, ont)
    v = _Validator(d)
    by_class: dict = {}  # a class (or subclass of a target class) -> the shapes it targets
    by_subject_of: dict = {}
    by_object_of: dict = {}
    by_node: dict = {}
    _canonicalise(compiled, d.canon)
    for shape in compiled.node_shapes:
        for c in shape.target_classes:
            by_class.setdefault(_plain(c), []).append(shape)
        for p in shape.subjects_of:
            by_subject_of.setdefault(p, []).append(shape)
        for p in shape.objects_of:
            by_object_of.setdefault(p, []).append(shape)
        for n in shape.target_nodes:
            by_node.setdefault(n, []).append(shape)
    class_shapes: dict = {}  # a node's type -> the shapes targeting it through its classes

    def shapes_of_type(t) -> list:
        got = class_shapes.get(t)
        if got is None:
            got = class_shapes[t] = [s for c in sorted(d.superclasses(t), key=str) for s in by_class.get(c, ())]
        return got

    extra: dict = {}  # (node, shape) targeted only as an object of a predicate

    def targets(s, slots, nodes: bool = True) -> list:
        targeted: list = []
        for t in d.types(s):
            for shape in shapes_of_type(t):
                if shape not in targeted:
                    targeted.append(shape)
        for p in slots.keys() if by_subject_of else ():
            for shape in by_subject_of.get(p, ()):
                if shape not in targeted:
                    targeted.append(shape)
        for shape in by_node.get(s, ()) if nodes else ():
            if shape not in targeted:
                targeted.append(shape)
        return targeted

    def objects_targeted(p, members) -> None:
        """The objects ``members`` (as the index holds them) of predicate ``p``: into
        ``extra`` for the shapes that target the objects of ``p``, unless validated as
        subjects anyway."""
        for shape in by_object_of.get(p, ()):
            for m in members:
                cls = d.row_class(m)
                if cls is not None and shape in shapes_of_type(cls):
                    continue  # a span or figure row: validated by its class anyway
                o = term(m)
                if not _targeted_otherwise(d, shape, o, by_subject_of, shapes_of_type):
                    extra.setdefault((o, shape), None)

    def visit(s, slots) -> None:
        if by_object_of:
            for p in slots.keys():
                if p in by_object_of:
                    objects_targeted(p, raw_objects(slots[p]))
        targeted = targets(s, slots)
        if targeted:
            preds = d.preds(s, slots)
            for shape in targeted:
                v.validate(shape, s, preds)

    # rows a column at a time, unless one of them is also a subject of the ontology (its
    # types and objects are then more than its row's)
    rows = rows and bool(d._tables) and not d.rows_in_ont
    for s, slots in d.subjects(rows=not rows):
        visit(s, slots)
    if rows:
        for t in d._tables:
            if t.live:
                first = next(iter(t.live_rows()))
                _validate_rows(d, v, t, targets(t.iri(first), t.raw_preds(first), nodes=False), by_node, by_object_of,
                               objects_targeted, visit)
    for n, shapes_n in by_node.items():  # target nodes that are no subject of the data
        if d.index.get(n) is None and n not in d.ont:
            for shape in shapes_n:
                v.validate(shape, n, {})
    for o, shape in extra:
        v.validate(shape, o, d.preds(o))
    return sorted(v.results, key=Result.key)


class _RowPreds:
    """A table row's objects by predicate (one each), as :class:`_Values` gives a subject's."""

    __slots__ = ("t", "r")

    def __init__(self, t, r: int) -> None:
        self.t, self.r = t, r

    def get(self, p, default=()):
        col = self.t.COL.get(_plain(p))
        return (term(self.t.raw(self.r, col)),) if col is not None else default


def _validate_rows(d: _Data, v: _Validator, t, targeted: list, by_node: dict, by_object_of: dict,
                   objects_targeted: Callable, visit: Callable) -> None:
    """Validate every live row of table ``t`` as :func:`validate` validates a subject, a
    check at a time over the rows. Every row has the same type and predicates, one object
    each, so the rows are targeted by the same shapes (``targeted``; a row that is also a
    target node goes the subject's way), a count constraint has one answer for them all, and
    a value check has one answer per distinct object: the columns whose objects repeat (a
    span's document and offsets, a figure's value, unit and text) are checked once per
    object (``value_key``). Results that sort the same (:meth:`Result.key`: the same focus
    node, path, component, value and message) come from one row, in the order of its shapes,
    property shapes and constraints, as the subject walk gives them."""
    special = {r for n in by_node if (r := t.find(n)) is not None}  # rows that are target nodes
    add = v.results.append
    # what targets objects: in row order, as the subject walk meets them (see visit)
    watched = [(col, p) for col, p in enumerate(t.PREDICATES) if p in by_object_of]
    for r in t.live_rows():
        if r in special:
            visit(t.iri(r), t.raw_preds(r))
        else:
            for col, p in watched:
                objects_targeted(p, (t.raw(r, col),))
    col_of = t.COL
    norms: dict = {}  # (column, value key) -> the object's _pair_norm
    for shape in targeted:
        if shape.value_checks or shape.set_checks:  # on the focus node itself: one row at a time
            for r in t.live_rows():
                if r not in special:
                    v.validate_focus(shape, t.iri(r))
        for prop in shape.properties:
            col = col_of.get(_plain(prop.path))
            found = (prop.node, prop.message, prop.severity)
            # count constraints and the like: the same for every row (one object, or none)
            fixed, per_row = [], []
            for c in prop.set_checks:
                if c.kind in ("minCount", "maxCount") or (col is None and c.kind != "equals") or c.kind == "uniqueLang":
                    faults: list = []
                    _set_fault(c, () if col is None else (None,), {}, faults)
                    fixed.extend(c for _ in faults)
                else:
                    per_row.append(c)
            if not (col is not None and prop.value_checks) and not fixed and not per_row:
                continue
            checks = prop.value_checks if col is not None else []
            # a check that only asks what kind of term a value is (a literal, its datatype)
            # has one answer for a column whose objects are all of one kind (a span's texts)
            kind = t.column_kind(col) if checks else None
            by_kind = [kind is not None and (c.kind in ("nodeKind", "datatype") or (c.kind == "class" and kind == "literal"))
                       for c in checks]
            # sh:lessThan(OrEquals) between two columns: their objects compared as
            # _compare_pair compares them, each column's normal form made once per object
            pairs = [(c, oc) for c in per_row if col is not None and c.kind in ("lessThan", "lessThanOrEquals")
                     and (oc := col_of.get(_plain(c.arg))) is not None]
            per_row = [c for c in per_row if all(c is not q for q, _ in pairs)]
            memo: dict = {}  # (check, value key) -> whether the value passes
            for r in t.live_rows():
                if r in special:
                    continue
                x = None
                if checks:
                    key = t.value_key(r, col)
                    keys = [key if key is not None else (_KIND if k else None) for k in by_kind]
                    passed = True
                    for i, k in enumerate(keys):  # the answers known for this object, if it was met before
                        if k is None or not memo.get((i, k), False):
                            passed = False
                            break
                    if not passed:
                        raw = t.raw(r, col)
                        x = term(raw)
                        for i, c in enumerate(checks):
                            k = keys[i]
                            ok = memo.get((i, k)) if k is not None else None
                            if ok is None:
                                ok = _row_value_ok(d, v, c, raw, x)
                                if k is not None:
                                    memo[(i, k)] = ok
                            if not ok:
                                add(Result(t.iri(r), prop.path, c.component, x, *found))
                for c in fixed:
                    add(Result(t.iri(r), prop.path, c.component, None, *found))
                faults: list = []
                for c, oc in pairs:
                    cmp = _pair_cmp(_row_norm(t, r, col, norms), _row_norm(t, r, oc, norms))
                    if cmp is None or cmp > 0 or (c.kind == "lessThan" and cmp == 0):
                        faults.append((c, term(t.raw(r, col))))
                if per_row:
                    if x is None and col is not None:
                        x = term(t.raw(r, col))
                    values = () if x is None else (x,)
                    preds = _RowPreds(t, r)
                    for c in per_row:
                        _set_fault(c, values, preds, faults)
                for c, o in faults:
                    add(Result(t.iri(r), prop.path, c.component, o, *found))


_KIND = object()  # the memo key of a check answered once for a column of one kind of term


def _row_norm(t, r: int, col: int, norms: dict):
    """:func:`_pair_norm` of row ``r``'s object in column ``col``, kept per distinct object."""
    key = t.value_key(r, col)
    if key is None:
        return _pair_norm(term(t.raw(r, col)))
    got = norms.get((col, key), norms)
    if got is norms:
        got = norms[(col, key)] = _pair_norm(term(t.raw(r, col)))
    return got


def _row_value_ok(d: _Data, v: _Validator, c: _Constraint, raw, x) -> bool:
    """``v.value_ok(c, x)`` for a row's object ``x`` (``raw``: as the index holds it); a
    class check on a span or figure row read from its table."""
    if c.kind == "class" and type(raw) is int and not d.rows_in_ont:
        cls = d.row_class(raw)
        if cls is not None:
            return _plain(c.arg) in d.superclasses(cls)
    return v.value_ok(c, x)


def _canonicalise(compiled: Shapes, canon: dict) -> None:
    """The shapes' predicates made the data store's own objects (see :class:`_Data`)."""
    if not canon:
        return
    seen: set = set()

    def walk(shape: _Shape | None) -> None:
        if shape is None or id(shape) in seen:
            return
        seen.add(id(shape))
        if shape.path is not None:
            shape.path = canon.get(_plain(shape.path), shape.path)
        shape.subjects_of = [canon.get(_plain(p), p) for p in shape.subjects_of]
        shape.objects_of = [canon.get(_plain(p), p) for p in shape.objects_of]
        for c in shape.set_checks:
            if c.kind in ("lessThanOrEquals", "lessThan", "equals", "disjoint"):
                c.arg = canon.get(_plain(c.arg), c.arg)
        for c in shape.value_checks:
            if c.kind in ("or", "and"):
                for m in c.arg:
                    walk(m)
            elif c.kind == "not":
                walk(c.arg)
        for prop in shape.properties:
            walk(prop)

    for shape in compiled.node_shapes:
        walk(shape)


def _targeted_otherwise(d: _Data, shape: _Shape, o, by_subject_of: dict, shapes_of_type: Callable) -> bool:
    """Whether ``o`` is validated against ``shape`` anyway as a subject of the data (by its
    class, as a subject of a predicate, or as a target node): the walk over the subjects does
    that, and once is enough."""
    if isinstance(o, Literal):
        return False
    if any(shape in shapes_of_type(t) for t in d.types(o)):
        return True
    if shape.target_nodes and o in shape.target_nodes and (d.index.get(o) is not None or o in d.ont):
        return True
    if shape.subjects_of:
        slots = d.index.get(o)
        return slots is not None and any(p in slots for p in shape.subjects_of)
    return False


# --------------------------------------------------------------------------- the report


def report_graph(results: Iterable[Result], shapes: Shapes) -> tuple[bool, Graph]:
    """(conforms, the ``sh:ValidationReport`` graph) of ``results``: conforms unless a result
    is a violation (warnings and infos are reported, as pyshacl's ``allow_warnings``)."""
    results = list(results)
    conforms = not any(r.severity == SH.Violation for r in results)
    g = Graph()
    report = BNode("report")
    g.add((report, _TYPE, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(conforms)))
    copied: dict = {}
    for i, r in enumerate(results):
        node = BNode(f"result{i:07d}")
        g.add((report, SH.result, node))
        g.add((node, _TYPE, SH.ValidationResult))
        g.add((node, SH.focusNode, r.focus))
        if r.path is not None:
            g.add((node, SH.resultPath, r.path))
        if r.value is not None:
            g.add((node, SH.value, r.value))
        g.add((node, SH.sourceConstraintComponent, r.component))
        g.add((node, SH.resultSeverity, r.severity))
        if r.message is not None:
            g.add((node, SH.resultMessage, r.message))
        g.add((node, SH.sourceShape, _copy_shape(shapes.graph, r.shape, g, copied)))
    return conforms, g


def portable(results: Iterable[Result], shapes: Shapes) -> list[Result]:
    """``results`` with each blank-node shape named as the report names it (a digest of what
    it holds): results kept from one run for another (each parse of the shapes gives their
    blank nodes new names). :func:`attach` turns them back."""
    import dataclasses

    scratch: Graph = Graph()
    copied: dict = {}
    return [dataclasses.replace(r, shape=_copy_shape(shapes.graph, r.shape, scratch, copied)) for r in results]


def attach(results: Iterable[Result], shapes: Shapes) -> list[Result]:
    """:func:`portable` results with their shapes as nodes of ``shapes`` again (for
    :func:`report_graph`); a shape ``shapes`` does not hold stays as it is."""
    import dataclasses

    scratch: Graph = Graph()
    copied: dict = {}
    nodes = {}
    for node in sorted({s for s in shapes.graph.subjects() if isinstance(s, BNode)}, key=str):
        nodes.setdefault(_copy_shape(shapes.graph, node, scratch, copied), node)
    return [r if not isinstance(r.shape, BNode) else dataclasses.replace(r, shape=nodes.get(r.shape, r.shape)) for r in results]


def _copy_shape(sg: Graph, node, into: Graph, copied: dict):
    """``node`` of the shapes graph into the report: an IRI as itself, a blank node (a
    property shape, a list) with its triples, named by a digest of what it holds."""
    if not isinstance(node, BNode):
        return node
    got = copied.get(node)
    if got is not None:
        return got
    triples = sorted(sg.predicate_objects(node), key=lambda po: (str(po[0]), _order(po[1])))
    body = []
    for p, o in triples:
        if isinstance(o, BNode):
            o = _copy_shape(sg, o, into, copied)
        body.append((p, o))
    name = BNode("shape" + hashlib.sha1(repr([(str(p), _order(o)) for p, o in body]).encode("utf-8")).hexdigest()[:16])
    copied[node] = name
    for p, o in body:
        into.add((name, p, o))
    return name


def describe(results: list[Result], conforms: bool, limit: int | None = None) -> str:
    """The results as lines of text (at most ``limit`` of them), as an analyst reads them."""
    lines = [f"SHACL 校验报告 (validation report): {'通过 (conforms)' if conforms else '未通过 (does not conform)'}",
             f"结果 (results): {len(results)}"]
    shown = results if limit is None else results[:limit]
    for r in shown:
        severity = str(r.severity).rsplit("#", 1)[-1]
        lines.append(f"- [{severity}] {r.focus}")
        if r.path is not None:
            lines.append(f"    属性 (path): {r.path}")
        if r.value is not None:
            lines.append(f"    值 (value): {r.value.n3()}")
        lines.append(f"    约束 (constraint): {str(r.component).rsplit('#', 1)[-1]}")
        if r.message is not None:
            lines.append(f"    说明 (message): {r.message}")
    if limit is not None and len(results) > limit:
        lines.append(f"… 另有 {len(results) - limit} 条结果 (more results): see the report graph")
    return "\n".join(lines) + "\n"
