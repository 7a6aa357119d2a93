"""A lean in-memory rdflib store for the build graph.

rdflib's ``SimpleMemory`` keeps three indexes of nested dicts (s→p→{o}, p→o→{s}, o→s→{p}):
a one-entry dict costs ~180 bytes, so a build graph pays about a kilobyte per triple, and a
corpus of ten thousand bulletins (~28M triples) does not fit in memory at all.

:class:`CompactMemory` keeps two indexes, and stores a lone value directly instead of in a
one-entry dict (almost every subject has one object per predicate, almost every literal one
subject): ``spo[s][p] = o`` or ``{o1: None, o2: None, …}``, ``pos[p][o] = s`` or
``{s1: None, …}``. An object-only pattern ``(None, None, o)`` asks each predicate's index
(a build uses ~80 predicates). Iteration follows insertion order, like ``SimpleMemory``, so a
pass that happens to depend on order sees the same order in both.

Only what a plain :class:`rdflib.Graph` needs is implemented (no contexts, no quoted
graphs); SPARQL over it goes through rdflib's generic evaluator as with any store.
"""

from __future__ import annotations

from typing import Iterator

from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.stores.memory import SimpleMemory

_NO_CONTEXTS: tuple = ()


def _each(v) -> Iterator:
    """The members of an index slot: one term, or the keys of a dict of several."""
    if type(v) is dict:
        return iter(list(v))  # a copy: callers may remove while iterating
    return iter((v,))


def objects(slot) -> tuple | list:
    """The objects in a :func:`pipeline.build.subject_index` slot (one term, a dict of
    several, or a list)."""
    t = type(slot)
    if t is dict:
        return tuple(slot)
    if t is list or t is tuple:
        return slot
    return (slot,)


def _has(v, x) -> bool:
    return x in v if type(v) is dict else v == x


def _put(index: dict, k1, k2, v) -> bool:
    """index[k1][k2] gains v; False when it was already there."""
    inner = index.get(k1)
    if inner is None:
        index[k1] = {k2: v}
        return True
    cur = inner.get(k2)
    if cur is None:
        inner[k2] = v
        return True
    if type(cur) is dict:
        if v in cur:
            return False
        cur[v] = None
        return True
    if cur == v:
        return False
    inner[k2] = {cur: None, v: None}
    return True


def _drop(index: dict, k1, k2, v) -> None:
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


class CompactMemory(SimpleMemory):
    """Triples in two compact indexes (see the module docstring); namespace bindings as in
    ``SimpleMemory``."""

    def __init__(self, configuration=None, identifier=None):
        super().__init__(configuration, identifier)
        self._spo: dict = {}
        self._pos: dict = {}
        self._len = 0

    def add(self, triple, context=None, quoted: bool = False) -> None:
        s, p, o = triple
        if _put(self._spo, s, p, o):
            _put(self._pos, p, o, s)
            self._len += 1

    def remove(self, triple_pattern, context=None) -> None:
        for (s, p, o), _ in list(self.triples(triple_pattern)):
            _drop(self._spo, s, p, o)
            _drop(self._pos, p, o, s)
            self._len -= 1

    def __len__(self, context=None) -> int:
        return self._len

    def triples(self, triple_pattern, context=None):
        s, p, o = triple_pattern
        ctx = _NO_CONTEXTS
        if s is not None:
            preds = self._spo.get(s)
            if preds is None:
                return
            if p is not None:
                v = preds.get(p)
                if v is None:
                    return
                if o is not None:
                    if _has(v, o):
                        yield (s, p, o), ctx
                    return
                for x in _each(v):
                    yield (s, p, x), ctx
                return
            for q, v in list(preds.items()):
                if o is not None:
                    if _has(v, o):
                        yield (s, q, o), ctx
                    continue
                for x in _each(v):
                    yield (s, q, x), ctx
            return
        if p is not None:
            objs = self._pos.get(p)
            if objs is None:
                return
            if o is not None:
                v = objs.get(o)
                if v is None:
                    return
                for x in _each(v):
                    yield (x, p, o), ctx
                return
            for y, v in list(objs.items()):
                for x in _each(v):
                    yield (x, p, y), ctx
            return
        if o is not None:
            for q, objs in list(self._pos.items()):
                v = objs.get(o)
                if v is not None:
                    for x in _each(v):
                        yield (x, q, o), ctx
            return
        for x, preds in list(self._spo.items()):
            for q, v in list(preds.items()):
                for y in _each(v):
                    yield (x, q, y), ctx


class BuildGraph(Graph):
    """An rdflib ``Graph`` on a :class:`CompactMemory`, whose ``objects`` and ``value`` for a
    given subject and predicate read the store's s→p→o index directly.

    The corpus passes ask those two questions millions of times (the problems' texts, their
    evidence spans' offsets); through ``Graph.triples`` each is a chain of generators. Same
    answers in the same order (the store's insertion order); any other form of either call
    (a list of subjects, a property path, ``unique``, ``any=False``) is rdflib's own.
    """

    def __init__(self, store: CompactMemory | None = None, **kwargs):
        super().__init__(store=store if store is not None else CompactMemory(), **kwargs)
        self._spo = self.store._spo

    def objects(self, subject=None, predicate=None, unique: bool = False):
        if subject is None or type(predicate) is not URIRef or unique or type(subject) is list:
            return super().objects(subject, predicate, unique)
        preds = self._spo.get(subject)
        v = preds.get(predicate) if preds is not None else None
        return _each(v) if v is not None else iter(())

    def value(self, subject=None, predicate=RDF.value, object=None, default=None, any: bool = True):
        if subject is None or object is not None or type(predicate) is not URIRef or not any:
            return super().value(subject, predicate, object, default, any)
        preds = self._spo.get(subject)
        v = preds.get(predicate) if preds is not None else None
        if v is None:
            return default
        return next(iter(v)) if type(v) is dict else v
