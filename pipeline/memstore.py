"""A lean in-memory rdflib store for the build graph.

rdflib's ``SimpleMemory`` keeps three indexes of nested dicts (s→p→{o}, p→o→{s}, o→s→{p}):
a one-entry dict costs ~180 bytes, so a build graph pays about a kilobyte per triple, and a
corpus of ten thousand bulletins (~28M triples) does not fit in memory at all.

:class:`CompactMemory` keeps two indexes, and stores a lone value directly instead of in a
one-entry dict (almost every subject has one object per predicate, almost every literal one
subject): ``spo[s][p] = o`` or ``{o1: None, o2: None, …}``, ``pos[p][o] = s`` or
``[s1, s2, …]`` (a list: the s→p→o index already tells a new triple from one that is
there, and a list costs 8 bytes a member where a dict costs ~40).

A predicate's p→o→s index is made when a pattern first asks for it (``(None, p, …)``) and
kept up to date from then on; ``rdf:type``'s from the start. A build adds ~80 predicates and
asks by predicate for half a dozen (classes' members, the measures that address a problem, the
problems of a status): the others' indexes were a quarter of the build graph (~0.4 GB at
10,000 bulletins) and a dict insertion for every triple added. An object-only pattern
``(None, None, o)`` asks every predicate's index, so it makes them all.

Iteration follows insertion order, like ``SimpleMemory``, so a pass that happens to depend
on order sees the same order in both: a subject's triples always; a predicate's for
``rdf:type`` and for any predicate asked for before its triples came. An index made from
the subjects' rows lists objects in the order of their first subject and subjects in theirs,
then later triples as they come.

A subject's slots are a :class:`Row` rather than a dict: its predicates (a :class:`Shape`,
shared by every subject with the same predicates in the same order) and its slots in one
tuple. A six-predicate dict is 272–352 bytes, the row 112; a build's 200,000 subjects per
thousand bulletins share a few hundred shapes.

Evidence spans added with :meth:`CompactMemory.add_span` (the builder's and the passes') are
rows of a :class:`SpanTable` instead: the store answers every pattern from both. A span's IRI
is ``xr:span-`` and 16 hex digits: wherever it is an object (the evidence triples) the
indexes hold that 64-bit number (:func:`span_key`), and every read makes the IRI again
(:func:`span_iri`), so readers of the raw index (:class:`SubjectIndex`) meet ints.
Figures added with :meth:`CompactMemory.add_figure` are rows of a :class:`FigureTable` in the
same way (750,000 at 10,000 bulletins), and an ``xs:hasFigure`` object is held as the
figure's number's complement, a negative int (:func:`term` makes either kind its IRI).

Only what a plain :class:`rdflib.Graph` needs is implemented (no contexts, no quoted
graphs); SPARQL over it goes through rdflib's generic evaluator as with any store.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Mapping
from typing import Iterator

import numpy as np
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.plugins.stores.memory import SimpleMemory

from .vocab import OA, XR_URI, XS, int_literal, text_literal

_NO_CONTEXTS: tuple = ()


# str's own method: rdflib's Identifier.startswith copies both strings first (a Python call
# per triple added: 2.5M calls, ~1.5 s of a profiled 1,000-bulletin build)
_startswith = str.startswith


def _each(v) -> Iterator:
    """The members of an index slot: one term, or several (a tuple, or the keys of a dict,
    in the s→p→o index; a list in the p→o→s one); a span's or figure's number made its IRI
    (:func:`term`)."""
    t = type(v)
    if t is tuple or t is dict:
        # a copy: callers may remove while iterating
        return iter([term(x) if type(x) is int else x for x in v])
    if t is list:
        return iter(list(v))
    if t is int:
        return iter((term(v),))
    return iter((v,))


def objects(slot) -> tuple | list:
    """The objects in a :func:`pipeline.build.subject_index` slot (one term, a tuple or a
    dict of several, or a list), spans' and figures' numbers made their IRIs."""
    t = type(slot)
    if t is tuple or t is dict:
        return tuple([term(x) if type(x) is int else x for x in slot])
    if t is list:
        return slot
    if t is int:
        return (term(slot),)
    return (slot,)


def raw_objects(slot) -> tuple | list:
    """The members of a slot as the index holds them (a span or figure as its number)."""
    t = type(slot)
    if t is dict:
        return tuple(slot)
    if t is list or t is tuple:
        return slot
    return (slot,)


def _has(v, x) -> bool:
    t = type(v)
    return x in v if t is tuple or t is dict else v == x


class Shape:
    """The predicates of :class:`Row` s, in the order they were first added (as a dict's
    keys), with each one's place in the row. Made once per distinct sequence (:func:`_shape`)
    and shared."""

    __slots__ = ("preds", "at", "_plus")

    def __init__(self, preds: tuple):
        self.preds = preds
        self.at = {p: i for i, p in enumerate(preds, 1)}  # predicate -> its slot in a row
        self._plus: dict = {}

    def plus(self, p) -> Shape:
        """This shape with ``p`` added last."""
        got = self._plus.get(p)
        if got is None:
            got = self._plus[p] = _shape((*self.preds, p))
        return got

    def minus(self, p) -> Shape:
        """This shape without ``p``."""
        return _shape(tuple(q for q in self.preds if q != p))


_SHAPES: dict[tuple, Shape] = {}


def _shape(preds: tuple) -> Shape:
    got = _SHAPES.get(preds)
    if got is None:
        got = _SHAPES[preds] = Shape(preds)
    return got


_EMPTY = _shape(())
_tget = tuple.__getitem__
_tlen = tuple.__len__
# a slot of several objects: a tuple of up to this many (56 bytes for two, a dict 224), else
# a dict (membership in one lookup). ~8,000 of the 9,600 multi-object slots at 250 bulletins
# have two (a problem's figures, a node's evidence, its themes).
SMALL_SLOT = 8
_tnew = tuple.__new__
_titer = tuple.__iter__
_REST = slice(1, None)


class Row(tuple):
    """A subject's predicate → slot map in the s→p→o index, read only: element 0 is its
    :class:`Shape`, element ``i`` the slot of the shape's ``i``-th predicate (a lone object;
    several: a tuple of up to :data:`SMALL_SLOT`, else a dict whose keys they are). Reads like a ``Mapping``
    (``get``, ``[]``, ``in``, iteration over the predicates, ``items``); the store makes a
    new row to change one (:func:`_row_put`, :func:`_row_drop`)."""

    __slots__ = ()

    def get(self, p, default=None):
        i = _tget(self, 0).at.get(p)
        return default if i is None else _tget(self, i)

    def __getitem__(self, p):
        i = _tget(self, 0).at.get(p)
        if i is None:
            raise KeyError(p)
        return _tget(self, i)

    def __contains__(self, p) -> bool:
        return p in _tget(self, 0).at

    def __iter__(self) -> Iterator:
        return iter(_tget(self, 0).preds)

    def __len__(self) -> int:
        return _tlen(self) - 1

    def keys(self) -> tuple:
        return _tget(self, 0).preds

    def values(self) -> tuple:
        return _tget(self, _REST)

    def items(self):
        return zip(_tget(self, 0).preds, _tget(self, _REST))

    def __eq__(self, other) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    def __ne__(self, other) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]  # as a dict's

    def __reduce__(self):
        return _row, (_tget(self, 0).preds, _tget(self, _REST))

    def __repr__(self) -> str:
        return f"Row({dict(self.items())!r})"


Mapping.register(Row)


def _row(preds: tuple, slots: tuple) -> Row:
    """The row of these predicates and slots (unpickling)."""
    return _tnew(Row, (_shape(preds), *slots))


def _row_put(index: dict, s, p, o) -> bool:
    """The s→p→o index gains (s, p, o); False when it was already there."""
    row = index.get(s)
    if row is None:
        index[s] = _tnew(Row, (_EMPTY._plus.get(p) or _EMPTY.plus(p), o))
        return True
    shape = _tget(row, 0)
    i = shape.at.get(p)
    if i is None:  # (the shapes' own lookup inlined: a million calls a thousand bulletins)
        index[s] = _tnew(Row, (shape._plus.get(p) or shape.plus(p), *_tget(row, _REST), o))
        return True
    cur = _tget(row, i)
    t = type(cur)
    if t is dict:
        if o in cur:
            return False
        cur[o] = None
        return True
    if t is tuple:
        if o in cur:
            return False
        new = cur + (o,) if len(cur) < SMALL_SLOT else dict.fromkeys((*cur, o))
    elif cur == o:
        return False
    else:
        new = (cur, o)
    slots = list(_titer(row))
    slots[i] = new
    index[s] = _tnew(Row, slots)
    return True


def _row_drop(index: dict, s, p, o) -> None:
    """(s, p, o), which is there, leaves the s→p→o index."""
    row = index[s]
    shape = _tget(row, 0)
    i = shape.at[p]
    cur = _tget(row, i)
    t = type(cur)
    if t is dict:
        del cur[o]  # in place: the row changes only when it is small enough for a tuple
        if len(cur) > SMALL_SLOT:
            return
        slots = list(_titer(row))
        slots[i] = tuple(cur)
    elif t is tuple:
        k = cur.index(o)
        slots = list(_titer(row))
        slots[i] = cur[:k] + cur[k + 1 :] if len(cur) > 2 else cur[1 - k]
    else:
        slots = list(_titer(row))
        if _tlen(row) == 2:
            del index[s]
            return
        del slots[i]
        slots[0] = shape.minus(p)
    index[s] = _tnew(Row, slots)


def _pos_drop(index: dict, p, o, s) -> None:
    """(s, p, o), which is there, leaves the p→o→s index."""
    inner = index[p]
    cur = inner[o]
    if type(cur) is list:
        for k, x in enumerate(cur):  # the very object first, as a dict's lookup would
            if x is s:
                del cur[k]
                break
        else:
            cur.remove(s)
        if len(cur) == 1:
            inner[o] = cur[0]
    else:
        del inner[o]


def _index_rows(spo: dict, wanted: dict) -> None:
    """Fill the p→o→s indexes ``wanted`` (predicate → its empty dict) from the s→p→o rows:
    objects in the order of their first subject, subjects in their order."""
    for s, row in spo.items():
        at = _tget(row, 0).at
        for p, inner in wanted.items():
            i = at.get(p)
            if i is None:
                continue
            v = _tget(row, i)
            for o in v if type(v) is tuple or type(v) is dict else (v,):
                _pos_put(inner, o, s)


def _pos_put(inner: dict, o, s) -> None:
    """A predicate's p→o→s index gains (s, o), which is new: several subjects of one object
    are a list in the order they came (8 bytes a member, a dict ~40)."""
    cur = inner.get(o)
    if cur is None:
        inner[o] = s
    elif type(cur) is list:
        cur.append(s)
    else:
        inner[o] = [cur, s]


# A span row's predicates, in the order the builder used to add its triples; looked up by
# their plain strings (one dict lookup in C, whichever URIRef object the caller holds).
SPAN_PREDICATES = (RDF.type, XS.inDocument, OA.start, OA.end, OA.exact)
_SPAN_COL = {str(p): k for k, p in enumerate(SPAN_PREDICATES)}
_TYPE, _SPAN = RDF.type, XS.Span

# A span's IRI is xr:span- and 16 hex digits (records.stable_id): the store holds it as that
# 64-bit number (a span table row's key, an evidence triple's object) and makes the IRI when
# it is asked for. 2.3M spans at 10,000 bulletins: their IRI objects (~150 bytes each), the
# IRI → row dict and its ints were ~0.5 GB of the build graph.
SPAN_BASE = XR_URI + "span-"
_BLEN = len(SPAN_BASE)
_hex16 = re.compile(r"[0-9a-f]{16}\Z").match
_new_str = str.__new__


def span_key(t) -> int | None:
    """The number of span IRI ``t`` (``xr:span-`` and 16 lowercase hex digits), else None."""
    if type(t) is URIRef and _startswith(t, SPAN_BASE) and _hex16(t, _BLEN):
        return int(t[_BLEN:], 16)
    return None


def span_iri(k: int) -> URIRef:
    """The IRI of span number ``k`` (:func:`span_key`'s inverse). Made without
    ``URIRef.__new__``'s checks: the string is an absolute IRI of ASCII letters and digits."""
    return _new_str(URIRef, f"{SPAN_BASE}{k:016x}")


# A figure's IRI is xr:figure- and the 16 hex digits of its evidence span's (the same
# document and offsets: records.stable_id). Where it is an object (xs:hasFigure) the indexes
# hold the number's bitwise complement, a negative int, to tell it from a span's.
FIGURE_BASE = XR_URI + "figure-"
_FLEN = len(FIGURE_BASE)
FIGURE_PREDICATES = (RDF.type, RDF.value, XS.unitOfMeasure, XS.text, RDFS.label, XS.evidence)
_FIGURE_COL = {str(p): k for k, p in enumerate(FIGURE_PREDICATES)}
_FIGURE = XS.Figure


def figure_key(t) -> int | None:
    """The number of figure IRI ``t`` (``xr:figure-`` and 16 lowercase hex digits), else
    None."""
    if type(t) is URIRef and _startswith(t, FIGURE_BASE) and _hex16(t, _FLEN):
        return int(t[_FLEN:], 16)
    return None


def figure_iri(k: int) -> URIRef:
    """The IRI of figure number ``k`` (:func:`figure_key`'s inverse)."""
    return _new_str(URIRef, f"{FIGURE_BASE}{k:016x}")


def _canon(o):
    """``o`` as the indexes hold it: a span IRI as its number (:func:`span_key`), a figure
    IRI as its number's complement (:func:`figure_key`)."""
    k = span_key(o)
    if k is not None:
        return k
    k = figure_key(o)
    return o if k is None else ~k


def term(v):
    """The term of an index slot's member (a span's number, a figure's complemented number
    made its IRI)."""
    if type(v) is int:
        return span_iri(v) if v >= 0 else figure_iri(~v)
    return v


def index_iri(v: int) -> str:
    """The IRI string of a number as the indexes hold it (see :func:`term`)."""
    return f"{SPAN_BASE}{v:016x}" if v >= 0 else f"{FIGURE_BASE}{~v:016x}"


class _Rows:
    """Subjects of one kind held as rows of typed columns instead of triples: a row stands
    for the triples of :attr:`PREDICATES` about it, its subject is :attr:`BASE` and 16 hex
    digits (:func:`pipeline.records.stable_id`), held as that 64-bit number, and a row is
    found by its number in an open-addressing table of row numbers (4 bytes a slot; a dict of
    ints ~110 bytes an entry). A subclass says how a row is live and what its columns hold
    (:meth:`value`); the patterns are answered here, by scanning where no index helps."""

    BASE = ""
    PREDICATES: tuple = ()
    COL: dict[str, int] = {}  # a predicate's plain string -> its column
    CLASS = None  # the rows' rdf:type (column 0)

    def __init__(self) -> None:
        self.keys = array("Q")  # the subject's number, each row
        self._live_col = array("i")  # a subclass's column that is -1 where a row is evicted
        self.live = 0
        self._slots = array("i", [-1]) * 8  # key → its latest row, by linear probing
        self._mask = 7

    def key_of(self, s) -> int | None:
        """The number of subject ``s`` if it has this table's form, else None."""
        base = self.BASE
        if type(s) is URIRef and _startswith(s, base) and _hex16(s, len(base)):
            return int(s[len(base) :], 16)
        return None

    def row_of(self, k: int) -> int | None:
        """The latest row of number ``k``, live or evicted."""
        slots, keys, mask = self._slots, self.keys, self._mask
        h = k & mask
        while True:
            r = slots[h]
            if r < 0:
                return None
            if keys[r] == k:
                return r
            h = (h + 1) & mask

    def _place(self, k: int, r: int) -> None:
        slots, keys, mask = self._slots, self.keys, self._mask
        h = k & mask
        while True:
            x = slots[h]
            if x < 0 or keys[x] == k:
                slots[h] = r
                return
            h = (h + 1) & mask

    def _new_row(self, k: int) -> int:
        """A new row for number ``k`` (its columns are the subclass's to append): its number."""
        n = len(self.keys)
        if 2 * (n + 1) > len(self._slots):  # at most half full: short probes
            self._slots = array("i", [-1]) * (2 * len(self._slots))
            self._mask = len(self._slots) - 1
            for r, x in enumerate(self.keys):
                self._place(x, r)
        self.keys.append(k)
        self._place(k, n)
        self.live += 1
        return n

    def alive(self, r: int) -> bool:
        return self._live_col[r] >= 0

    def _alive_mask(self) -> np.ndarray:
        col = self._live_col
        return np.frombuffer(col, dtype=f"i{col.itemsize}") >= 0

    def _kill(self, r: int) -> None:
        self._live_col[r] = -1

    def value(self, r: int, col: int):
        """Row ``r``'s object of ``PREDICATES[col]``, a term."""
        raise NotImplementedError

    def raw(self, r: int, col: int):
        """Row ``r``'s object of ``PREDICATES[col]`` as the store's indexes hold it (a span
        as its number)."""
        return self.value(r, col)

    def value_key(self, r: int, col: int):
        """A small hashable key that decides row ``r``'s object of ``PREDICATES[col]`` (rows
        with the same key hold the same term), or None where the column's objects are (nearly)
        all different: what a reader that works out something of each object (the SHACL
        engine's value checks) keys its answers by."""
        return 0 if col == 0 else None

    def column_kind(self, col: int) -> str | None:
        """``"literal"`` when every object of ``PREDICATES[col]`` is a plain literal (no
        datatype, no language), ``"iri"`` when every one is an IRI, else None: what a check of
        a value's kind alone (the SHACL engine's node kinds and datatypes) need ask once."""
        return "iri" if col == 0 else None

    def find_key(self, k: int) -> int | None:
        """The live row of number ``k``, if there is one."""
        r = self.row_of(k) if self.live else None
        return r if r is not None and self.alive(r) else None

    def find(self, s) -> int | None:
        """The live row of subject ``s``, if it is one."""
        k = self.key_of(s) if self.live else None
        return self.find_key(k) if k is not None else None

    def iri(self, r: int) -> URIRef:
        return _new_str(URIRef, f"{self.BASE}{self.keys[r]:016x}")

    def raw_preds(self, r: int) -> dict:
        """Row ``r`` as the store's s→p→o index holds a subject (a span as its number)."""
        return {p: self.raw(r, k) for k, p in enumerate(self.PREDICATES)}

    def live_rows(self) -> Iterator[int]:
        return (r for r in range(len(self.keys)) if self.alive(r))

    def sorted_rows(self, chunk: int = 1 << 16) -> Iterator[tuple[str, int]]:
        """(IRI string, row) of every live row, in the order of their IRIs (of their
        numbers: 16 lowercase hex digits each), without a term or an int per row at once."""
        if not self.live:
            return
        keys = np.frombuffer(self.keys, dtype=f"u{self.keys.itemsize}")
        order = np.argsort(keys, kind="stable")
        order = order[self._alive_mask()[order]]
        keys = keys[order]
        base = self.BASE
        for i in range(0, len(order), chunk):
            for k, r in zip(keys[i : i + chunk].tolist(), order[i : i + chunk].tolist()):
                yield f"{base}{k:016x}", r

    def match(self, r: int, p, o) -> Iterator[tuple]:
        """The triples of row ``r`` matching predicate ``p`` and object ``o`` (None: any)."""
        s = self.iri(r)
        if p is not None:
            col = self.COL.get(str(p))
            if col is None:
                return
            v = self.value(r, col)
            if o is None or v == o:
                yield s, self.PREDICATES[col], v
            return
        for col, q in enumerate(self.PREDICATES):
            v = self.value(r, col)
            if o is None or v == o:
                yield s, q, v

    def rows_with(self, col: int, o) -> list[int]:
        """The live rows whose object of ``PREDICATES[col]`` equals ``o`` (as rdflib
        compares terms), in row order."""
        if col == 0:
            return list(self.live_rows()) if o == self.CLASS else []
        return [r for r in self.live_rows() if self.value(r, col) == o]

    def groups(self, col: int) -> list[tuple[object, list[int]]]:
        """The live rows grouped by their object of ``PREDICATES[col]``: (object, rows) in
        order of each object's first row (the order of a p→o→s index)."""
        by: dict = {}
        for r in self.live_rows():
            by.setdefault(self.value(r, col), []).append(r)
        return list(by.items())

    def evict(self, r: int) -> list[tuple]:
        """Take row ``r`` out of the table; its triples (for the caller to keep)."""
        triples = list(self.match(r, None, None))
        self._kill(r)
        self.live -= 1
        return triples


class SpanTable(_Rows):
    """Evidence spans as rows instead of triples: each ``xs:Span`` added with
    :meth:`CompactMemory.add_span` is its number (:func:`span_key`), its document's number,
    start and end (``array`` columns), standing for the five triples ``a xs:Span``,
    ``xs:inDocument``, ``oa:start``, ``oa:end`` and ``oa:exact``. The exact text is the
    document's text between the offsets (what the evidence round-trip guarantees), so it is
    not stored at all unless it differs.

    A build graph holds a span per piece of evidence, 229,307 at 1,000 bulletins: as
    triples, 1.15M of the store's 2.7M and about 780 bytes a span (the dict entries of two
    indexes and the literal); as a row about 40 bytes, and the evidence triples hold its
    number. :class:`CompactMemory` answers every triple pattern from the rows, making the
    terms as they are asked for.
    """

    BASE = SPAN_BASE
    PREDICATES = SPAN_PREDICATES
    COL = _SPAN_COL
    CLASS = _SPAN

    def __init__(self) -> None:
        super().__init__()
        self.doc = array("l")  # document number; -1 once the row is evicted
        self.start = array("q")
        self.end = array("q")
        self.docs: list[URIRef] = []
        self.texts: list[str] = []
        self.doc_no: dict[URIRef, int] = {}
        self.exact_other: dict[int, str] = {}  # rows whose exact text is not the document's
        self._live_col = self.doc

    def add_document(self, doc: URIRef, text: str) -> int:
        n = self.doc_no.setdefault(doc, len(self.docs))
        if n == len(self.docs):
            self.docs.append(doc)
            self.texts.append(text)
        return n

    def append(self, k: int, doc: int, start: int, end: int, exact: str) -> None:
        n = self._new_row(k)
        self.doc.append(doc)
        self.start.append(start)
        self.end.append(end)
        if self.texts[doc][start:end] != exact:
            self.exact_other[n] = exact

    def _kill(self, r: int) -> None:
        super()._kill(r)
        self.exact_other.pop(r, None)

    # the two lookups every span read makes, without the base class's calls
    def find_key(self, k: int) -> int | None:
        r = self.row_of(k) if self.live else None
        return r if r is not None and self.doc[r] >= 0 else None

    def find(self, s) -> int | None:
        k = span_key(s) if self.live else None
        return self.find_key(k) if k is not None else None

    def iri(self, r: int) -> URIRef:
        return span_iri(self.keys[r])

    def exact(self, r: int) -> str:
        other = self.exact_other.get(r) if self.exact_other else None
        return other if other is not None else self.texts[self.doc[r]][self.start[r] : self.end[r]]

    def value_key(self, r: int, col: int):
        if col == 0:
            return 0
        if col == 1:
            return self.doc[r]
        if col == 2:
            return self.start[r]
        if col == 3:
            return self.end[r]
        return None  # the exact texts

    def column_kind(self, col: int) -> str | None:
        return {0: "iri", 1: "iri", 4: "literal"}.get(col)

    def value(self, r: int, col: int):
        if col == 0:
            return _SPAN
        if col == 1:
            return self.docs[self.doc[r]]
        if col == 2:
            return int_literal(self.start[r])
        if col == 3:
            return int_literal(self.end[r])
        return text_literal(self.exact(r), None)

    def live_rows(self) -> Iterator[int]:
        return (r for r, d in enumerate(self.doc) if d >= 0)

    def rows_with(self, col: int, o) -> list[int]:
        if col == 0:
            return list(self.live_rows()) if o == _SPAN else []
        if col == 1:
            k = self.doc_no.get(o)
            return [r for r, d in enumerate(self.doc) if d == k] if k is not None else []
        if not isinstance(o, Literal):
            return []
        if col in (2, 3):
            try:
                n = int(o)
            except (TypeError, ValueError):
                return []
            if int_literal(n) != o:  # e.g. "01"^^xsd:integer: not the same term
                return []
            column = self.start if col == 2 else self.end
            return [r for r, (d, x) in enumerate(zip(self.doc, column)) if x == n and d >= 0]
        if Literal(str(o)) != o:  # exact texts are plain literals
            return []
        text = str(o)
        return [r for r in self.live_rows() if self.exact(r) == text]

    def groups(self, col: int) -> list[tuple[object, list[int]]]:
        if col == 0:
            rows = list(self.live_rows())
            return [(_SPAN, rows)] if rows else []
        by: dict = {}
        if col == 1:
            keys = self.doc
        elif col == 2:
            keys = self.start
        elif col == 3:
            keys = self.end
        else:
            keys = [self.exact(r) if d >= 0 else None for r, d in enumerate(self.doc)]
        for r, (d, k) in enumerate(zip(self.doc, keys)):
            if d >= 0:
                by.setdefault(k, []).append(r)
        return [(self.value(rows[0], col), rows) for rows in by.values()]

    def facts(self) -> Iterator[tuple[URIRef, URIRef, int, int, str]]:
        """(span, document, start, end, exact text) of every live row, in row order."""
        docs, texts, other = self.docs, self.texts, self.exact_other
        for r, (d, s, e) in enumerate(zip(self.doc, self.start, self.end)):
            if d >= 0:
                o = other.get(r) if other else None
                yield self.iri(r), docs[d], s, e, texts[d][s:e] if o is None else o


class FigureTable(_Rows):
    """Figures as rows instead of triples: each ``xs:Figure`` added with
    :meth:`CompactMemory.add_figure` is its number (its IRI is ``xr:figure-`` and the same 16
    hex digits as its evidence span's), its value, unit and text (numbers into a list of the
    distinct literals: figures repeat 1个, 3项, 人次 …) and its evidence span's number,
    standing for six triples: ``a xs:Figure``, ``rdf:value``, ``xs:unitOfMeasure``,
    ``xs:text`` and ``rdfs:label`` (the same text) and ``xs:evidence``.

    A build graph holds 750,000 figures at 10,000 bulletins: as triples each was an IRI, a
    row of six slots, its s→p→o entry and its evidence number, ~300 bytes; as a row 36, and
    the ``xs:hasFigure`` triples that point to it hold its number (:func:`figure_key`)."""

    BASE = FIGURE_BASE
    PREDICATES = FIGURE_PREDICATES
    COL = _FIGURE_COL
    CLASS = _FIGURE

    def __init__(self) -> None:
        super().__init__()
        self.value_no = array("i")
        self.unit_no = array("i")  # -1 once the row is evicted
        self.text_no = array("i")
        self.evidence = array("Q")  # the evidence span's number
        self.terms: list = []  # the distinct literals the rows hold
        self._term_no: dict = {}
        self._live_col = self.unit_no

    def _no(self, t) -> int:
        n = self._term_no.get(t)
        if n is None:
            n = self._term_no[t] = len(self.terms)
            self.terms.append(t)
        return n

    def append(self, k: int, value: Literal, unit: Literal, text: Literal, evidence: int) -> None:
        self._new_row(k)
        self.value_no.append(self._no(value))
        self.unit_no.append(self._no(unit))
        self.text_no.append(self._no(text))
        self.evidence.append(evidence)

    def same(self, r: int, value, unit, text, evidence: int) -> bool:
        """Whether row ``r`` holds exactly these objects."""
        terms = self.terms
        return (
            self.evidence[r] == evidence and terms[self.value_no[r]] == value
            and terms[self.unit_no[r]] == unit and terms[self.text_no[r]] == text
        )

    def value(self, r: int, col: int):
        if col == 0:
            return _FIGURE
        if col == 1:
            return self.terms[self.value_no[r]]
        if col == 2:
            return self.terms[self.unit_no[r]]
        if col < 5:
            return self.terms[self.text_no[r]]
        return span_iri(self.evidence[r])

    def raw(self, r: int, col: int):
        return self.evidence[r] if col == 5 else self.value(r, col)

    def value_key(self, r: int, col: int):
        if col == 0:
            return 0
        if col == 1:
            return self.value_no[r]
        if col == 2:
            return self.unit_no[r]
        if col < 5:
            return self.text_no[r]
        return None  # the evidence spans

    def column_kind(self, col: int) -> str | None:
        return "iri" if col in (0, 5) else None


class CompactMemory(SimpleMemory):
    """Triples in two compact indexes (see the module docstring), a :class:`SpanTable` and a
    :class:`FigureTable`; namespace bindings as in ``SimpleMemory``.

    A subject is either in the indexes or a row of a table, never both: adding any triple
    about a row's subject, or removing one of its triples, first moves the row's triples
    into the indexes (its triples then come after the other rows' in iteration order). An
    object that is a span's IRI is held as the span's number (:func:`span_key`) wherever it
    is, row or not, a figure's as its number's complement (:func:`figure_key`); subjects are
    held as terms.
    """

    def __init__(self, configuration=None, identifier=None):
        super().__init__(configuration, identifier)
        self._spo: dict = {}
        # p→o→s of the predicates asked for (see _pos_of); rdf:type from the start
        self._pos: dict = {_TYPE: {}}
        self._every = False  # every predicate indexed (an object-only pattern was asked)
        self._len = 0
        self.spans = SpanTable()
        self.figures = FigureTable()
        self._tables = (self.spans, self.figures)

    def add_document(self, doc: URIRef, text: str) -> int:
        """Register a source document for :meth:`add_span`: its number."""
        return self.spans.add_document(doc, text)

    def add_span(self, iri: URIRef, doc: int, start: int, end: int, exact: str) -> URIRef:
        """The span ``iri`` of document number ``doc`` (:meth:`add_document`): its five
        triples, as a row of the span table (as triples if its subject is already in the
        indexes, or if ``iri`` is not a span IRI of :func:`span_key`'s form). A span already
        there is left as it is. Returns ``iri``."""
        t = self.spans
        k = span_key(iri)
        if k is not None and t.find_key(k) is not None:
            return iri
        preds = self._spo.get(iri)
        if preds is not None or k is None:  # made of triples: it stays so
            if preds is not None and _has(preds.get(_TYPE, {}), _SPAN):
                return iri  # the span is there
            for triple in (
                (iri, _TYPE, _SPAN), (iri, XS.inDocument, t.docs[doc]), (iri, OA.start, int_literal(start)),
                (iri, OA.end, int_literal(end)), (iri, OA.exact, Literal(exact)),
            ):
                self.add(triple)
            return iri
        if not t.live:
            # where the rows' rdf:type group comes among the classes, as if their triples
            # were added now (an empty slot: the rows stand for its members)
            self._pos.setdefault(_TYPE, {}).setdefault(_SPAN, [])
        t.append(k, doc, start, end, exact)
        return iri

    def add_figure(self, iri: URIRef, value: Literal, unit: Literal, text: Literal, evidence: URIRef) -> None:
        """The figure ``iri``'s six triples (``a xs:Figure``; ``rdf:value``,
        ``xs:unitOfMeasure``, ``xs:text`` and ``rdfs:label`` ``text``, ``xs:evidence``), as a
        row of the figure table; as triples if its subject is already in the indexes, if it
        is a row that holds other objects, or if ``iri`` or ``evidence`` is not of
        :func:`figure_key`'s or :func:`span_key`'s form."""
        t = self.figures
        k, ev = figure_key(iri), span_key(evidence)
        if k is not None and ev is not None and iri not in self._spo:
            r = t.find_key(k)
            if r is None:
                if not t.live:  # the rows' rdf:type group among the classes (see add_span)
                    self._pos.setdefault(_TYPE, {}).setdefault(_FIGURE, [])
                t.append(k, value, unit, text, ev)
                return
            if t.same(r, value, unit, text, ev):
                return
        for p, o in zip(FIGURE_PREDICATES, (_FIGURE, value, unit, text, text, evidence)):
            self.add((iri, p, o))

    def _evict(self, s) -> None:
        for t in self._tables:
            r = t.find(s)
            if r is not None:
                for a, b, c in t.evict(r):
                    self._add(a, b, c)
                return

    def _add(self, s, p, o) -> None:
        # a span's IRI as its number, a figure's as its number's complement (span_key and
        # figure_key inlined: every triple a build adds)
        if type(o) is URIRef and _startswith(o, XR_URI):
            if _startswith(o, SPAN_BASE) and _hex16(o, _BLEN):
                o = int(o[_BLEN:], 16)
            elif _startswith(o, FIGURE_BASE) and _hex16(o, _FLEN):
                o = ~int(o[_FLEN:], 16)
        # _row_put's two common cases inlined (a new subject, a new predicate: most of the
        # millions of triples a build adds). Then the predicate's p→o→s index if it has one,
        # which needs no membership test (the row has just told a new triple from one that
        # is there).
        spo = self._spo
        row = spo.get(s)
        if row is None:
            spo[s] = _tnew(Row, (_EMPTY._plus.get(p) or _EMPTY.plus(p), o))
        else:
            shape = _tget(row, 0)
            if p not in shape.at:
                spo[s] = _tnew(Row, (shape._plus.get(p) or shape.plus(p), *_tget(row, _REST), o))
            elif not _row_put(spo, s, p, o):
                return
        self._len += 1
        inner = self._pos.get(p)
        if inner is None:
            if not self._every:
                return  # not indexed until asked for (_pos_of)
            inner = self._pos[p] = {}
        _pos_put(inner, o, s)

    def add(self, triple, context=None, quoted: bool = False) -> None:
        s, p, o = triple
        if (self.spans.live and _startswith(s, SPAN_BASE)) or (self.figures.live and _startswith(s, FIGURE_BASE)):
            self._evict(s)
        self._add(s, p, o)

    def remove(self, triple_pattern, context=None) -> None:
        found = [t for t, _ in self.triples(triple_pattern)]
        if self.spans.live or self.figures.live:
            for s, _, _ in found:
                self._evict(s)
        for s, p, o in found:
            o = _canon(o)
            _row_drop(self._spo, s, p, o)
            if p in self._pos:
                _pos_drop(self._pos, p, o, s)
            self._len -= 1

    def _pos_of(self, p) -> dict:
        """The p→o→s index of predicate ``p``, made from the s→p→o rows the first time
        it is asked for and kept up to date from then on."""
        inner = self._pos.get(p)
        if inner is None:
            inner = self._pos[p] = {}
            _index_rows(self._spo, {p: inner})
        return inner

    def _index_every(self) -> None:
        """Every predicate's p→o→s index (an object-only pattern asks them all)."""
        if not self._every:
            self._every = True
            todo = {}
            for row in self._spo.values():
                for q in _tget(row, 0).preds:
                    if q not in self._pos and q not in todo:
                        todo[q] = {}
            self._pos.update(todo)
            _index_rows(self._spo, todo)

    def __len__(self, context=None) -> int:
        return self._len + len(SPAN_PREDICATES) * self.spans.live + len(FIGURE_PREDICATES) * self.figures.live

    def each_triple(self) -> Iterator[tuple]:
        """Every triple, in the order of ``triples((None, None, None))``, without the
        snapshot of the index that method takes first so that callers may change the store
        while they iterate (a list of every subject: ~200 MB at 10,000 bulletins, made on
        each pass). The store must not change during this iteration."""
        for x, preds in self._spo.items():
            for q, v in preds.items():
                for y in _each(v):
                    yield x, q, y
        for t in self._tables:
            for r in t.live_rows():
                yield from t.match(r, None, None)

    def span_facts(self) -> Iterator[tuple]:
        """(span, document, start, end, exact) of every ``xs:Span`` subject, the rows of the
        span table and then the indexed ones (whose values are their terms, or None where a
        triple is missing)."""
        yield from self.spans.facts()
        for sp in list(_each(self._pos.get(_TYPE, {}).get(_SPAN, []))):
            preds = self._spo[sp]
            got = [preds.get(p) for p in SPAN_PREDICATES[1:]]
            yield (sp, *(term(next(iter(v))) if type(v) is tuple or type(v) is dict else term(v) for v in got))

    def count_instances(self, cls) -> int:
        """How many subjects are ``a cls`` (each has that triple once), a table's rows too
        for its class, without making a term."""
        v = self._pos[_TYPE].get(cls)
        return (0 if v is None else len(v) if type(v) is list else 1) + sum(t.live for t in self._tables if cls == t.CLASS)

    def subject_index(self) -> SubjectIndex:
        """subject → predicate → objects of every triple (see :class:`SubjectIndex`)."""
        return SubjectIndex(self)

    def _tables_of(self, p) -> list[tuple[_Rows, int]]:
        """(table, column) of each table with live rows that holds predicate ``p``."""
        ps = str(p)
        return [(t, col) for t in self._tables if t.live and (col := t.COL.get(ps)) is not None]

    def triples(self, triple_pattern, context=None):
        s, p, o = triple_pattern
        ctx = _NO_CONTEXTS
        ko = _canon(o)  # o as the indexes hold it
        if s is not None:
            preds = self._spo.get(s)
            if preds is None:
                for t in self._tables:
                    r = t.find(s)
                    if r is not None:
                        for triple in t.match(r, p, o):
                            yield triple, ctx
                        return
                return
            if p is not None:
                v = preds.get(p)
                if v is None:
                    return
                if o is not None:
                    if _has(v, ko):
                        yield (s, p, o), ctx
                    return
                for x in _each(v):
                    yield (s, p, x), ctx
                return
            for q, v in list(preds.items()):
                if o is not None:
                    if _has(v, ko):
                        yield (s, q, o), ctx
                    continue
                for x in _each(v):
                    yield (s, q, x), ctx
            return
        if p is not None:
            tables = self._tables_of(p)
            if tables:
                for triple in self._column(tables, p, o):
                    yield triple, ctx
                return
            objs = self._pos_of(p)
            if o is not None:
                v = objs.get(ko)
                if v is None:
                    return
                for x in _each(v):
                    yield (x, p, o), ctx
                return
            for y, v in list(objs.items()):
                y = term(y)
                for x in _each(v):
                    yield (x, p, y), ctx
            return
        if o is not None:
            self._index_every()
            for q, objs in list(self._pos.items()):
                v = objs.get(ko)
                if v is not None:
                    for x in _each(v):
                        yield (x, q, o), ctx
            for t in self._tables:
                if t.live:
                    for col, q in enumerate(t.PREDICATES):
                        for r in t.rows_with(col, o):
                            yield (t.iri(r), q, t.value(r, col)), ctx
            return
        for x, preds in list(self._spo.items()):
            for q, v in list(preds.items()):
                for y in _each(v):
                    yield (x, q, y), ctx
        for t in self._tables:
            for r in list(t.live_rows()):
                for triple in t.match(r, None, None):
                    yield triple, ctx

    def _column(self, tables: list[tuple[_Rows, int]], p, o) -> Iterator[tuple]:
        """(None, p, o) for a predicate the tables hold (``tables``: :meth:`_tables_of`):
        their rows and the indexes' triples, grouped by object as the p→o→s index groups them
        (the rows first in a group: they were added first)."""
        objs = self._pos_of(p)
        if o is not None:
            for t, col in tables:
                q = t.PREDICATES[col]
                for r in t.rows_with(col, o):
                    yield t.iri(r), q, t.value(r, col)
            for x in _each(objs.get(_canon(o), {})):
                yield x, p, o
            return
        if tables[0][1] == 0:  # rdf:type: each table's rows where its class's slot is
            pending = {t.CLASS: t for t, _ in tables}
            for y, v in list(objs.items()):
                t = pending.pop(y, None) if pending and type(y) is URIRef else None
                if t is not None:
                    for r in list(t.live_rows()):
                        yield t.iri(r), _TYPE, t.CLASS
                y = term(y)
                for x in _each(v):
                    yield x, p, y
            for t in pending.values():
                for r in list(t.live_rows()):
                    yield t.iri(r), _TYPE, t.CLASS
            return
        seen = set()
        for t, col in tables:
            q = t.PREDICATES[col]
            for y, rows in t.groups(col):
                for r in rows:
                    yield t.iri(r), q, y
                if y not in seen:
                    seen.add(y)
                    for x in _each(objs.get(_canon(y), {})):
                        yield x, p, y
        for y, v in list(objs.items()):
            y = term(y)
            if y not in seen:
                for x in _each(v):
                    yield x, p, y


class SubjectIndex(Mapping):
    """A :class:`CompactMemory`'s triples as subject → predicate → objects, what the Turtle
    writer and the GraphML mirror walk: the store's own s→p→o index (read only; a slot holds
    a lone object or a dict of several, a span or figure as its number: read them with
    :func:`objects`), then the tables' rows, each made into such a map as it is asked for."""

    def __init__(self, store: CompactMemory):
        self.indexed = store._spo  # the subjects in the indexes (s→p→o), without the rows
        self.spans = store.spans
        self.figures = store.figures
        self.tables = store._tables

    def __getitem__(self, s) -> dict:
        preds = self.indexed.get(s)
        if preds is None:
            for t in self.tables:
                r = t.find(s)
                if r is not None:
                    return t.raw_preds(r)
            raise KeyError(s)
        return preds

    def get(self, s, default=None):
        try:
            return self[s]
        except KeyError:
            return default

    def __contains__(self, s) -> bool:
        return s in self.indexed or any(t.find(s) is not None for t in self.tables)

    def __iter__(self) -> Iterator:
        yield from self.indexed
        for t in self.tables:
            for r in list(t.live_rows()):
                yield t.iri(r)

    def __len__(self) -> int:
        return len(self.indexed) + sum(t.live for t in self.tables)

    def items(self) -> Iterator[tuple]:
        yield from self.indexed.items()
        for t in self.tables:
            for r in list(t.live_rows()):
                yield t.iri(r), t.raw_preds(r)


def count_instances(g: Graph, cls) -> int:
    """How many subjects of ``g`` are ``a cls``, without a set of them (at 10,000 bulletins
    2.3M spans and 750,000 figures: sets of their IRIs were ~0.4 GB, twice the run report's
    peak): each has one such triple, so the triples are counted; the build store counts its
    index's entries (:meth:`CompactMemory.count_instances`)."""
    if isinstance(g.store, CompactMemory):
        return g.store.count_instances(cls)
    return sum(1 for _ in g.triples((None, RDF.type, cls)))


def split_index(index: Mapping) -> tuple[Mapping, SpanTable | None, FigureTable | None]:
    """(the subjects in the indexes, the span table, the figure table) of a
    :class:`SubjectIndex`, for readers that take the rows from their columns; ``(index, None,
    None)`` for any other index."""
    if isinstance(index, SubjectIndex):
        return index.indexed, index.spans, index.figures
    return index, None, None


class SpanDocs:
    """The document (and text) of a span, as a graph holds either: the build store's span
    rows read in place, any other graph's ``xs:inDocument`` triples."""

    def __init__(self, g: Graph) -> None:
        self.g = g
        store = g.store
        self.named = None  # spans whose IRIs are not the build's (not held as numbers) -> documents
        if isinstance(store, CompactMemory):
            self.table, self.spo, self.docs = store.spans, store._spo, None
            # a graph read from a file holds its spans in the index; the build's are numbers
            # there too, anyone else's (a graph made by hand) are IRIs
            named = {}
            for sp in _each(store._pos[_TYPE].get(_SPAN, ())):
                if type(sp) is not int and span_key(sp) is None:
                    slot = store._spo.get(sp, {}).get(XS.inDocument)
                    if slot is not None:
                        named[sp] = next(iter(objects(slot)))
            self.named = named or None
        else:
            self.table = self.spo = None
            self.docs = dict(g.subject_objects(XS.inDocument))

    def _row(self, m) -> int | None:
        return self.table.find_key(m) if type(m) is int and m >= 0 else None

    def of_member(self, m):
        """The document of index slot member ``m`` if it is a span (see :func:`objects`),
        else None."""
        if self.docs is not None:
            return self.docs.get(m)
        if type(m) is not int or m < 0:
            return None if self.named is None else self.named.get(m)
        r = self.table.find_key(m)
        if r is not None:
            return self.table.docs[self.table.doc[r]]
        preds = self.spo.get(span_iri(m))  # a span outside the table
        slot = None if preds is None else preds.get(XS.inDocument)
        return None if slot is None else next(iter(objects(slot)), None)

    def of_term(self, t):
        if self.docs is not None:
            return self.docs.get(t)
        k = span_key(t)
        if k is None:
            return None if self.named is None else self.named.get(t)
        return self.of_member(k)

    def facts(self, m) -> tuple | None:
        """(IRI, document, start, end, text) of index slot member ``m`` if it is a span."""
        r = None if self.docs is not None else self._row(m)
        t = self.table
        if r is not None:
            return t.iri(r), t.docs[t.doc[r]], t.start[r], t.end[r], t.exact(r)
        s = term(m) if type(m) is int else m
        doc = self.of_member(m)
        if doc is None:
            return None
        g = self.g
        start, end, exact = (g.value(s, p) for p in (OA.start, OA.end, OA.exact))
        if start is None or end is None or exact is None:
            return None
        return s, doc, int(start), int(end), str(exact)

    def exact(self, m) -> str | None:
        """The text of index slot member ``m`` if it is a span, else None."""
        r = None if self.docs is not None else self._row(m)
        if r is not None:
            return self.table.exact(r)
        x = self.g.value(term(m) if type(m) is int else m, OA.exact)
        return None if x is None else str(x)


class BuildGraph(Graph):
    """An rdflib ``Graph`` on a :class:`CompactMemory`, whose ``objects`` and ``value`` for a
    given subject and predicate read the store's s→p→o index (or span table) directly.

    The corpus passes ask those two questions millions of times (the problems' texts, their
    evidence spans' offsets); through ``Graph.triples`` each is a chain of generators. Same
    answers in the same order (the store's insertion order); any other form of either call
    (a list of subjects, a property path, ``unique``, ``any=False``) is rdflib's own.
    """

    def __init__(self, store: CompactMemory | None = None, **kwargs):
        super().__init__(store=store if store is not None else CompactMemory(), **kwargs)
        self._spo = self.store._spo
        self._tables = self.store._tables

    def _row_value(self, subject, predicate):
        """A table row's object of ``predicate`` (its first table that has the subject)."""
        for t in self._tables:
            r = t.find(subject)
            if r is not None:
                col = t.COL.get(str(predicate))
                return t.value(r, col) if col is not None else None
        return None

    def objects(self, subject=None, predicate=None, unique: bool = False):
        if subject is None or type(predicate) is not URIRef or unique or type(subject) is list:
            return super().objects(subject, predicate, unique)
        row = self._spo.get(subject)
        if row is None:
            v = self._row_value(subject, predicate)
            return iter((v,)) if v is not None else iter(())
        i = _tget(row, 0).at.get(predicate)  # Row.get without its Python frame
        return _each(_tget(row, i)) if i is not None else iter(())

    def value(self, subject=None, predicate=RDF.value, object=None, default=None, any: bool = True):
        if subject is None or object is not None or type(predicate) is not URIRef or not any:
            return super().value(subject, predicate, object, default, any)
        row = self._spo.get(subject)
        if row is not None:
            i = _tget(row, 0).at.get(predicate)  # Row.get without its Python frame
            v = _tget(row, i) if i is not None else None
        else:
            v = self._row_value(subject, predicate)
        if v is None:
            return default
        if type(v) is tuple or type(v) is dict:
            v = next(iter(v))
        return term(v) if type(v) is int else v
