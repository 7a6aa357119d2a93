"""A persistent on-disk graph store (Oxigraph, through ``pyoxigraph``): one named graph per
source document, so a changed or deleted document replaces exactly its own triples.

rdflib in memory stays the default for small corpora (``xunshi query`` parses ``graphs/``);
the store is for corpora where parsing Turtle and rdflib's SPARQL engine become the cost.

Layout of a store folder::

    STORE/oxigraph/        the Oxigraph (RocksDB) database
    STORE/manifest.json    one entry per named graph: kind, triple count, a digest of its content
                           (:class:`Digest`: the sum of its N-Triples lines' SHA-256)

Named graphs
    * ``<xr:doc-…>`` — one per ``xs:SourceDocument``, named by the document's IRI;
    * ``xr:graph-corpus`` — facts that belong to no single document (see :func:`partition`);
    * ``xr:graph-ontology`` — ``ontology/xunshi.ttl`` and ``themes.ttl`` (status and class labels,
      as ``xunshi query`` loads them), less the triples the data graphs already hold.

Every data triple is in exactly one named graph; queries run over their union
(``use_default_graph_as_union``), so they see the same graph the rdflib path sees. Oxigraph
keeps typed numbers canonical: an ``xsd:decimal`` written ``1.0`` comes back as ``1`` (same
value; the rdflib path keeps the lexical form).

The partition rule (:func:`partition`)
    1. A span's document is its ``xs:inDocument``; a ``xs:SourceDocument``'s document is itself.
    2. A node's *home* is the set of documents of the spans it points to (``xs:evidence``,
       ``xs:statusEvidence``, ``xs:recurrenceEvidence`` … — any property whose object is a span).
       A node with no span of its own inherits the homes of the nodes it points to (one step,
       ``rdf:type`` excluded): an ``xs:IssueLink`` between two problems of one document is that
       document's. Nodes with no home (themes, rounds) are corpus-level.
    3. A triple goes to
       * the span's document when its subject is a span or a document, or its object is a span
         (so a node shared by two documents keeps each document's evidence in that document);
       * the subject's document when the subject has exactly one home, unless the object is a
         node homed in exactly one *other* document (a cross-document link such as
         ``xs:sameIssueAs``: corpus);
       * ``xr:graph-corpus`` otherwise (nodes shared by several documents, e.g. one policy
         cited in two files; corpus-level nodes).

Parameters of named queries are bound with ``VALUES`` blocks built from pyoxigraph term
objects (their N-Triples serialisation, which escapes everything), injected right after the
``{`` of the query's ``WHERE`` group and of every group pattern that uses the variable
(sub-selects, ``UNION`` branches, ``OPTIONAL`` …) — the value stands in for the variable
everywhere, as with rdflib's ``initBindings``, and Oxigraph starts from it. pyoxigraph's
own ``substitutions`` (SEP-0007) only accepts projected variables, and the named queries'
filter parameters (``?unit_label`` …) are not projected. A label parameter is first looked
up in the store when the query says how (``# lookup:``; :func:`lookup_bindings`), and the
nodes found are bound the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import RDF, XSD
from rdflib.query import Result
from rdflib.term import Identifier

from pipeline.errors import UsageError
from pipeline.fsio import atomic_write
from pipeline.memstore import FIGURE_BASE, SPAN_BASE, CompactMemory, span_iri
from pipeline.query import load_query, query_lookup, resolve_bindings, to_term
from pipeline.vocab import PREFIXES, XR, XS, ontology_dir

STORE_FORMAT = "xunshi-store/1"
DB_DIR = "oxigraph"
MANIFEST = "manifest.json"
CORPUS_GRAPH = XR["graph-corpus"]
ONTOLOGY_GRAPH = XR["graph-ontology"]
ONTOLOGY_FILES = ("xunshi.ttl", "themes.ttl")
_CORPUS, _ONTOLOGY = str(CORPUS_GRAPH), str(ONTOLOGY_GRAPH)  # as the manifest keys them

_XSD_STRING = str(XSD.string)
_startswith = str.startswith


class StoreError(UsageError):
    """A store or endpoint problem, with a code (reported on one line, like :class:`UsageError`).

    Codes: E080 not a store; E081 store locked or unreadable; E082 bad parameter value;
    E083 SPARQL the store cannot run.
    """

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(f"{code}: {message}")


# ---------------------------------------------------------------- terms


class _Terms:
    """rdflib → pyoxigraph terms, IRIs cached (a graph repeats its predicates and nodes)."""

    def __init__(self) -> None:
        self.iris: dict[str, ox.NamedNode] = {}

    def iri(self, value: str) -> ox.NamedNode:
        got = self.iris.get(value)
        if got is None:
            got = self.iris[value] = ox.NamedNode(value)
        return got

    def term(self, t: Identifier):
        if isinstance(t, URIRef):
            return self.iri(str(t))
        if isinstance(t, Literal):
            if t.language:
                return ox.Literal(str(t), language=t.language)
            if t.datatype is not None and str(t.datatype) != _XSD_STRING:
                return ox.Literal(str(t), datatype=self.iri(str(t.datatype)))
            return ox.Literal(str(t))
        if isinstance(t, BNode):
            return ox.BlankNode(str(t))
        raise TypeError(f"not an RDF term: {t!r}")


def to_ox(term: Identifier):
    """One rdflib term as a pyoxigraph term (``xsd:string`` literals become simple literals)."""
    return _Terms().term(term)


def from_ox(term) -> Identifier | None:
    """One pyoxigraph term as an rdflib term (simple literals without a datatype, as rdflib
    parses them), ``None`` for an unbound value."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value, datatype=None if dt == _XSD_STRING else URIRef(dt))
    raise TypeError(f"unsupported term in a result: {term!r}")  # RDF-star triples: not produced


# ---------------------------------------------------------------- partition


class Router:
    """Which named graph each triple of ``graph`` goes to, by the rule in the module
    docstring: the documents of the spans and the nodes' homes, found in two passes over the
    triples (the triples themselves are not kept), then :meth:`target` per triple.

    A build graph's spans are rows of its span table (:class:`~pipeline.memstore.SpanTable`),
    whose IRIs are made afresh each time the triples are read: their documents are read from
    the rows, not copied into a dict keyed by those IRIs (2.3M of them at 10,000 bulletins,
    ~0.3 GB). Other spans are looked up in a dict of their ``xs:inDocument``."""

    def __init__(self, graph: Graph):
        store = graph.store
        compact = isinstance(store, CompactMemory)
        table = store.spans if compact and store.spans.live else None
        self.table = table
        # figure rows: their home is their evidence span's document, read from the row
        self.figures = store.figures if compact and store.figures.live else None
        self._last_figure = (None, None)
        span_doc: dict = {}  # spans that are not table rows -> their documents
        docs: set = set()
        for s, _p, o in graph.triples((None, XS.inDocument, None)):
            docs.add(o)
            if table is None or table.find(s) is None:
                span_doc[s] = o
        docs.update(graph.subjects(RDF.type, XS.SourceDocument))
        self.span_doc, self.docs = span_doc, docs
        self._last = (None, None)  # (span, document): a row's five triples come together
        doc_of = self.doc_of
        ones = {d: frozenset((d,)) for d in docs}  # most homes are one document: share the set
        self.ones = ones
        # a node's home: the documents of the spans it points to (a document's home is itself)
        home: dict = {d: ones[d] for d in docs}
        self.home = home
        is_figure_row = self.is_figure_row
        for s, _p, o in each_triple(graph):
            d = doc_of(o)
            if d is not None and doc_of(s) is None and not is_figure_row(s):
                hs = home.get(s)
                if hs is None:
                    home[s] = ones.get(d) or frozenset((d,))
                elif d not in hs:
                    home[s] = hs | {d}
        # a node with no span of its own inherits the homes of the nodes it points to (one
        # step); a node pointing at a span has a home already
        inherited: dict = {}
        typ = RDF.type
        home_of = self.home_of
        for s, p, o in each_triple(graph):
            if p != typ and s not in home and doc_of(s) is None and not is_figure_row(s):
                ho = home_of(o)
                if ho is not None:
                    hs = inherited.get(s)
                    inherited[s] = ho if hs is None or hs == ho else hs | ho
        home.update(inherited)

    def is_figure_row(self, t) -> bool:
        f = self.figures
        return f is not None and type(t) is URIRef and _startswith(t, FIGURE_BASE) and f.find(t) is not None

    def home_of(self, t):
        """The documents node ``t``'s evidence is in (a frozenset), or None: a figure row's
        from its row (~780,000 of them at 10,000 bulletins, their IRIs made afresh on each
        read), any other node's from the dict the passes made."""
        h = self.home.get(t)
        f = self.figures
        if h is not None or f is None or type(t) is not URIRef or not _startswith(t, FIGURE_BASE):
            return h
        last = self._last_figure
        if last[0] is t:
            return last[1]
        r = f.find(t)
        if r is not None:
            d = self.doc_of(span_iri(f.evidence[r]))
            h = None if d is None else self.ones.get(d) or frozenset((d,))
        self._last_figure = (t, h)
        return h

    def doc_of(self, t):
        """The document of span ``t``; None if ``t`` is not a span."""
        d = self.span_doc.get(t)
        if d is not None or self.table is None or type(t) is not URIRef or not _startswith(t, SPAN_BASE):
            return d
        last = self._last
        if last[0] is t:
            return last[1]
        table = self.table
        r = table.find(t)
        d = None if r is None else table.docs[table.doc[r]]
        self._last = (t, d)
        return d

    def target(self, s, p, o) -> URIRef:
        doc_of = self.doc_of
        d = doc_of(s)
        if d is not None:
            return d
        if s in self.docs:
            return s
        d = doc_of(o)
        if d is not None:
            return d
        hs = self.home_of(s)
        if hs and len(hs) == 1:
            ho = self.home_of(o) if not isinstance(o, Literal) else None
            if not ho or len(ho) > 1 or ho == hs:
                return next(iter(hs))
        return CORPUS_GRAPH


def each_triple(graph: Graph) -> Iterator[tuple]:
    """Every triple of ``graph``, which must not change meanwhile: a build graph's without
    the copy of its index that ``graph.triples`` makes first
    (:meth:`~pipeline.memstore.CompactMemory.each_triple`)."""
    if isinstance(graph.store, CompactMemory):
        return graph.store.each_triple()
    return graph.triples((None, None, None))


def partition(graph: Graph) -> dict[URIRef, list[tuple]]:
    """Split ``graph`` into named graphs by the rule in the module docstring (:class:`Router`).

    Returns graph IRI → triples (rdflib terms), document graphs and :data:`CORPUS_GRAPH`
    (present only when non-empty). Every triple of ``graph`` is in exactly one of them.
    """
    router = Router(graph)
    out: dict[URIRef, list[tuple]] = defaultdict(list)
    for t in each_triple(graph):
        out[router.target(*t)].append(t)
    return dict(out)


_NT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_NT_SPECIAL = re.compile(r'[\\"\n\r]')


class NTriples:
    """N-Triples lines of rdflib triples (IRIs cached), the form the store is loaded from and
    the content digests are computed over. ``xsd:string`` literals are written as simple
    literals, as Oxigraph stores them."""

    CACHE = 20_000  # IRIs cached: the predicates and classes come first; not every node

    def __init__(self) -> None:
        self.iris: dict = {}

    def term(self, t) -> str:
        if isinstance(t, URIRef):
            got = self.iris.get(t)
            if got is None:
                got = f"<{t}>"
                if len(self.iris) < self.CACHE:
                    self.iris[t] = got
            return got
        if isinstance(t, Literal):
            lex = '"' + _NT_SPECIAL.sub(lambda m: _NT_ESCAPES[m.group()], str(t)) + '"'
            if t.language:
                return f"{lex}@{t.language}"
            if t.datatype is not None and str(t.datatype) != _XSD_STRING:
                return f"{lex}^^{self.term(t.datatype)}"
            return lex
        if isinstance(t, BNode):
            return f"_:{t}"
        raise TypeError(f"not an RDF term: {t!r}")

    def line(self, s, p, o) -> str:
        return f"{self.term(s)} {self.term(p)} {self.term(o)} ."


class Digest:
    """An order-free digest of a set of N-Triples lines: the sum, modulo 2²⁵⁶, of each line's
    SHA-256. Same triples → same digest, in any order, without keeping or sorting the lines
    (a 10,000-bulletin build's 27.5M lines would take gigabytes)."""

    __slots__ = ("count", "_sum")
    SCHEME = "sum-sha256"

    def __init__(self) -> None:
        self.count = 0
        self._sum = 0

    def add(self, line: str) -> None:
        self.count += 1
        self._sum += int.from_bytes(hashlib.sha256(line.encode("utf-8")).digest(), "big")

    def hexdigest(self) -> str:
        return f"{self.SCHEME}:{self._sum % (1 << 256):064x}"


def _digest(lines: Iterable[str]) -> str:
    d = Digest()
    for line in lines:
        d.add(line)
    return d.hexdigest()


# ---------------------------------------------------------------- the store folder


@dataclass(frozen=True)
class StoreStats:
    """What a write or a removal did. Graph IRIs are sorted, so the record is deterministic."""

    store_dir: str
    documents: int  # document graphs in the store afterwards
    triples: int  # quads in the store afterwards
    written: tuple[str, ...] = ()  # graphs replaced (content changed or new)
    unchanged: tuple[str, ...] = ()  # graphs left as they were (same digest)
    removed: tuple[str, ...] = ()  # graphs dropped (documents gone)
    triples_written: int = 0
    triples_removed: int = 0  # corpus triples pruned by remove_document
    seconds: float = field(default=0.0, compare=False)

    def __str__(self) -> str:
        """One line for the console: counts, not the graphs' IRIs (10,003 of them at 10,000
        bulletins)."""
        removed = f", 删去三元组 (triples pruned) {self.triples_removed:,}" if self.triples_removed else ""
        return (f"{self.documents:,} 个文档图, {self.triples:,} 条三元组 (document graphs, triples); "
                f"写入 (written) {len(self.written):,} 个图 / {self.triples_written:,} 条, 未变 (unchanged) "
                f"{len(self.unchanged):,}, 删除 (removed) {len(self.removed):,}{removed}; {self.seconds:.1f} 秒")

    def as_dict(self) -> dict:
        return {
            "store": self.store_dir,
            "documents": self.documents,
            "triples": self.triples,
            "written": list(self.written),
            "unchanged": list(self.unchanged),
            "removed": list(self.removed),
            "triples_written": self.triples_written,
            "triples_removed": self.triples_removed,
        }


def is_store(path: str | Path) -> bool:
    """True if ``path`` is a store folder written by :func:`write_store`."""
    p = Path(path)
    return (p / MANIFEST).is_file() and (p / DB_DIR).is_dir()


def read_manifest(store_dir: str | Path) -> dict:
    """The store's manifest: ``{"format": …, "graphs": {iri: {"kind", "triples", "digest"}}}``
    (``digest``: :class:`Digest`; an entry of an older store without one is rewritten once)."""
    path = Path(store_dir) / MANIFEST
    if not path.is_file():
        return {"format": STORE_FORMAT, "graphs": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError("E081", f"无法读取存储清单 {path}: {exc} (cannot read the store manifest)") from exc
    if data.get("format") != STORE_FORMAT:
        raise StoreError("E080", f"{store_dir} 不是本工具的图谱存储 (format {data.get('format')!r}, expected {STORE_FORMAT})")
    return data


def _write_manifest(store_dir: Path, manifest: dict) -> None:
    """Write the manifest atomically (temporary file, then rename), keys sorted."""
    manifest = {"format": STORE_FORMAT, "graphs": dict(sorted(manifest["graphs"].items()))}
    data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    atomic_write(store_dir / MANIFEST, data)


def open_store(store_dir: str | Path, *, read_only: bool = False, create: bool = False) -> ox.Store:
    """Open the Oxigraph database of a store folder.

    ``read_only`` opens a second, read-only view (several readers may share a store; none
    should write meanwhile: a read-only view of a store rewritten under it is undefined
    behaviour in RocksDB — reopen after a write). ``create`` makes a new, empty store where there is none. A
    read-write open takes the database's lock: a second writer gets :class:`StoreError` E081.
    """
    root = Path(store_dir)
    if not is_store(root):
        if not create:
            raise StoreError("E080", f"图谱存储不存在: {root} (not a store; build one with `xunshi build --store DIR`)")
        if root.exists() and any(root.iterdir()) and not (root / DB_DIR).exists():
            raise StoreError("E080", f"{root} 不是空目录,也不是图谱存储 (not empty and not a store): choose another folder")
        root.mkdir(parents=True, exist_ok=True)
        _write_manifest(root, {"graphs": {}})
    try:
        if read_only:
            return ox.Store.read_only(str(root / DB_DIR))
        return ox.Store(str(root / DB_DIR))
    except OSError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError("E081", f"无法打开图谱存储 {root}: {first} (store locked by another process, or unreadable)") from exc


def _ontology_triples(data: Graph) -> list[tuple]:
    """The ontology and themes files' triples that ``data`` does not already hold."""
    out = []
    for name in ONTOLOGY_FILES:
        path = ontology_dir() / name
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            t = (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
            if t not in data:
                out.append(t)
    return sorted(set(out))


def write_store(
    graph: Graph,
    store_dir: str | Path,
    *,
    replace_docs: set[str] | None = None,
    with_ontology: bool = True,
) -> StoreStats:
    """Write ``graph`` (a whole corpus build) into the store at ``store_dir``, one named graph
    per document (see :func:`partition`), creating the store if needed.

    A named graph whose content digest equals the stored one is left alone; a changed one is
    dropped and rewritten (its manifest entry is removed first and written back last, so a
    write interrupted half-way is redone by the next one). ``replace_docs`` (document IRIs)
    limits the document graphs considered to those: each is rewritten if changed, or dropped
    if ``graph`` no longer has it; other document graphs are not touched. With ``None``,
    every document graph is synchronised and stored documents missing from ``graph`` are
    dropped. The corpus graph (and the ontology graph with ``with_ontology``) is always
    synchronised: it is derived from the whole corpus.
    """
    t0 = time.perf_counter()
    root = Path(store_dir)
    router = Router(graph)
    onto = _ontology_triples(graph) if with_ontology else []
    wanted_docs = None if replace_docs is None else {str(d) for d in replace_docs}

    def kind(key: str) -> str:
        return "corpus" if key == _CORPUS else "ontology" if key == _ONTOLOGY else "document"

    def routed(keys: set[str] | None = None):
        """(graph key, triple) for every triple of the graphs considered (``keys``: only those)."""
        target = router.target
        for t in each_triple(graph):
            key = str(target(*t))
            if (keys is None or key in keys) and (wanted_docs is None or key in wanted_docs or kind(key) != "document"):
                yield key, t
        if onto and (keys is None or _ONTOLOGY in keys):
            for t in onto:
                yield _ONTOLOGY, t

    store = open_store(root, create=True)
    loader = _Loader(store)
    try:
        manifest = read_manifest(root)
        stored: dict[str, dict] = manifest["graphs"]
        stored_names = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
        # Entries for graphs the database does not have are stale (an interrupted write):
        # those graphs are written afresh below.
        if any(k not in stored_names for k in stored):
            for k in [k for k in stored if k not in stored_names]:
                del stored[k]
            _write_manifest(root, manifest)

        # One pass: each considered graph's digest; a graph the database does not have yet is
        # written as it goes (nothing to compare it with), in bounded chunks.
        nt = NTriples()
        digests: dict[str, Digest] = {}
        for key, (s, p, o) in routed():
            d = digests.get(key)
            if d is None:
                d = digests[key] = Digest()
            line = nt.line(s, p, o)
            d.add(line)
            if key not in stored_names:
                loader.add(key, line, (s, o))
        loader.flush()
        fresh = sorted(k for k in digests if k not in stored_names)
        entries = {k: {"kind": kind(k), "triples": d.count, "digest": d.hexdigest()} for k, d in digests.items()}

        # Stored graphs no longer produced: deleted documents, or the ontology graph of a store
        # now written without it (unlisted documents stay with replace_docs); graphs in the
        # database the manifest does not know (an interrupted write) and no longer produced.
        to_remove = set()
        for key, entry in stored.items():
            if key in entries:
                continue
            if entry.get("kind") == "document" and wanted_docs is not None and key not in wanted_docs:
                continue
            to_remove.add(key)
        to_remove |= {g for g in stored_names if g not in stored and g not in entries}
        changed = {k for k in entries if k in stored_names and stored.get(k, {}).get("digest") != entries[k]["digest"]}
        # Mark what is about to change as unknown first: an interrupted write is redone next time.
        for key in changed | to_remove:
            stored.pop(key, None)
        _write_manifest(root, manifest)

        for key in sorted(to_remove | changed):
            store.remove_graph(ox.NamedNode(key))
        if changed:  # a second pass for the graphs that were in the database and changed
            for key, (s, p, o) in routed(changed):
                loader.add(key, nt.line(s, p, o), (s, o))
            loader.flush()
        written = sorted(changed.union(fresh))
        for key in written:
            stored[key] = entries[key]
        unchanged = sorted(k for k in entries if k not in changed and k not in fresh)
        store.flush()
        if written or to_remove:
            # Many bulk loads leave many small files; compacting them makes reads several
            # times faster (≈3 s for 1.2 M quads).
            store.optimize()
        _write_manifest(root, manifest)
        n_docs = sum(1 for e in stored.values() if e.get("kind") == "document")
        total = sum(e.get("triples", 0) for e in stored.values())
    finally:
        loader.close()  # after an error: the thread goes before the store does
        del store, loader
    return StoreStats(
        str(root),
        n_docs,
        total,
        tuple(written),
        tuple(unchanged),
        tuple(sorted(to_remove)),
        sum(entries[k]["triples"] for k in written),
        0,
        time.perf_counter() - t0,
    )



class _Loader:
    """N-Quads into the store by ``bulk_load`` (~2.5× faster than the transactional load; not
    atomic, but a graph's manifest entry is only written after it, so an interrupted write is
    redone) in chunks of about :attr:`CHUNK` characters, so a large build never holds its
    whole N-Quads text (5 GB at 10,000 bulletins). A chunk loads in a second thread (Oxigraph
    releases the GIL while it loads) while the caller makes the next one; one chunk at a time
    is in flight. Oxigraph names the blank nodes of each load afresh, so triples with a blank
    node are kept per graph and loaded at :meth:`flush`, one load per graph: a graph's blank
    nodes stay one node each, as when each graph was loaded whole."""

    CHUNK = 8 << 20

    def __init__(self, store: ox.Store):
        self.store = store
        self.buf: list[str] = []
        self.size = 0
        self.bnodes: dict[str, list[str]] = defaultdict(list)
        self.tags: dict[str, str] = {}
        self.pool: ThreadPoolExecutor | None = None
        self.pending: Future | None = None

    def add(self, key: str, line: str, ends: tuple) -> None:
        tag = self.tags.get(key)
        if tag is None:
            tag = self.tags[key] = f"<{key}> .\n"
        quad = line[:-1] + tag  # "<s> <p> <o> ." → "<s> <p> <o> <g> .\n"
        if type(ends[0]) is BNode or type(ends[1]) is BNode:
            self.bnodes[key].append(quad)
            return
        self.buf.append(quad)
        self.size += len(quad)
        if self.size >= self.CHUNK:
            self._send()

    def _send(self, quads: list[str] | None = None) -> None:
        if quads is None:
            quads, self.buf, self.size = self.buf, [], 0
        if not quads:
            return
        text = "".join(quads)
        quads.clear()
        data = text.encode("utf-8")
        del text
        self._wait()  # the previous chunk first: at most one in flight
        if self.pool is None:
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="store-loader")
        self.pending = self.pool.submit(self.store.bulk_load, input=data, format=ox.RdfFormat.N_QUADS)

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            try:
                pending.result()  # a load's error is raised here, in the caller's thread
            except BaseException:
                self.close()
                raise

    def flush(self) -> None:
        """Load what is buffered, and wait for every load."""
        try:
            self._send()
            for key in sorted(self.bnodes):
                self._send(self.bnodes[key])
            self.bnodes.clear()
            self._wait()
        finally:
            self.close()

    def close(self) -> None:
        """Stop the loader thread (after its current load)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


def remove_document(store_dir: str | Path, doc_iri: str) -> StoreStats:
    """Drop one document's named graph, and the corpus-graph triples about nodes that only
    that document had.

    Pruned from ``xr:graph-corpus``: triples whose subject or object is a node that was a
    subject in the document's graph and in no other document graph, and every triple of a
    corpus record with no evidence of its own that pointed at such a node (a same-issue link
    to one of its problems). Corpus aggregates that only a rebuild can recompute (e.g. a
    shared policy's ``xs:mentionCount``) stay until the next :func:`write_store`.
    Removing a document the store does not have changes nothing.
    """
    t0 = time.perf_counter()
    root = Path(store_dir)
    key = str(doc_iri)
    store = open_store(root)
    try:
        manifest = read_manifest(root)
        stored = manifest["graphs"]
        g_doc = ox.NamedNode(key)
        corpus = ox.NamedNode(str(CORPUS_GRAPH))
        removed: tuple[str, ...] = ()
        pruned = 0
        if store.contains_named_graph(g_doc):
            others = {ox.NamedNode(k) for k, e in stored.items() if e.get("kind") == "document" and k != key}
            subjects = {q.subject for q in store.quads_for_pattern(None, None, None, g_doc)}
            orphans = {
                s for s in subjects if not any(q.graph_name in others for q in store.quads_for_pattern(s, None, None, None))
            }
            doomed = set()
            records = set()
            for n in orphans:
                doomed.update(store.quads_for_pattern(n, None, None, corpus))
                for q in store.quads_for_pattern(None, None, n, corpus):
                    doomed.add(q)
                    records.add(q.subject)
            evidence = ox.NamedNode(str(XS.evidence))
            for r in records:
                if r not in orphans and not any(True for _ in store.quads_for_pattern(r, evidence, None, None)):
                    doomed.update(store.quads_for_pattern(r, None, None, corpus))
            stored.pop(key, None)
            _write_manifest(root, manifest)  # the document is gone from the manifest first
            store.remove_graph(g_doc)
            for q in doomed:
                store.remove(q)
            pruned = len(doomed)
            removed = (key,)
            if pruned and str(CORPUS_GRAPH) in stored:
                left = list(store.quads_for_pattern(None, None, None, corpus))
                nt = NTriples()
                lines = [nt.line(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in left]
                stored[str(CORPUS_GRAPH)] = {"kind": "corpus", "triples": len(lines), "digest": _digest(lines)}
            store.flush()
            _write_manifest(root, manifest)
        n_docs = sum(1 for e in stored.values() if e.get("kind") == "document")
        total = sum(e.get("triples", 0) for e in stored.values())
    finally:
        del store
    return StoreStats(str(root), n_docs, total, (), (), removed, 0, pruned, time.perf_counter() - t0)


def store_documents(store_dir: str | Path) -> dict[str, int]:
    """Document graph IRI → triple count, from the manifest (no database open)."""
    graphs = read_manifest(store_dir)["graphs"]
    return {k: v["triples"] for k, v in graphs.items() if v.get("kind") == "document"}


def delete_store(store_dir: str | Path) -> None:
    """Remove a store folder (only one that :func:`is_store` recognises)."""
    root = Path(store_dir)
    if not is_store(root):
        raise StoreError("E080", f"{root} 不是图谱存储,未删除 (not a store; nothing deleted)")
    shutil.rmtree(root)


# ---------------------------------------------------------------- bindings and queries

_TOKENS = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<colon>:)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def check_bindings(name: str, text: str, bindings: Mapping[str, object] | None) -> dict[str, object]:
    """Validate ``bindings`` against a query as :func:`pipeline.query.run_query` does and turn
    the values into pyoxigraph terms (``None`` values are dropped: the variable stays unbound).

    Values go through :func:`pipeline.query.to_term` (``xs:Completed``, ``<…>``, ``http…``
    → IRI; anything else a plain literal), then pyoxigraph's constructors, which reject an
    invalid IRI (E082) instead of letting it into the query.
    """

    def convert(value):
        if isinstance(value, (ox.NamedNode, ox.Literal, ox.BlankNode)):
            return value
        try:
            return to_ox(to_term(value))
        except ValueError as exc:
            raise StoreError("E082", f"参数的值不是合法的 IRI: {value!r} ({exc}) (invalid IRI value)") from exc

    return resolve_bindings(name, text, bindings, convert)


@dataclass
class _Group:
    """A ``{ … }`` block of a query's text (see :func:`_groups`)."""

    start: int  # offset just after its "{"
    kind: str  # "where" (a query's or sub-select's WHERE), "group", "data" (VALUES), "template"
    opener: str | None = None  # the keyword before its "{": OPTIONAL, EXISTS, UNION, WHERE …
    parent: int = -1  # the enclosing block's index in :func:`_groups`' list, -1 for none
    first: str | None = None  # its first token ("SELECT": the braces of a sub-select)
    mentions: set[str] = field(default_factory=set)  # variables at its own level
    assigns: set[str] = field(default_factory=set)  # variables bound there by "AS ?v"


def _groups(text: str) -> list[_Group]:
    """Every ``{ … }`` block of a query's text in order of its ``{`` (an enclosing block before
    those inside it), with the variables each mentions at its own level (not in nested
    blocks). Comments, strings and IRIs are skipped."""
    stack: list[int] = []
    done: list[_Group] = []
    pending = None  # what the next "{" opens: "where", "template", "data" or a plain group
    prev_kind = prev_text = None
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup
        if kind == "comment":
            continue
        tok = m.group()
        if kind == "other" and tok.isspace():
            continue
        top = done[stack[-1]] if stack else None
        if top is not None and top.first is None:
            top.first = tok.upper()
        if kind == "word" and prev_kind != "colon":
            word = tok.upper()
            if word in ("SELECT", "ASK", "DESCRIBE", "WHERE"):
                pending = "where"
            elif word == "CONSTRUCT":
                pending = "template"
            elif word == "VALUES":
                pending = "data"
        elif kind == "var" and top is not None:
            top.mentions.add(tok[1:])
            if prev_kind == "word" and prev_text == "AS":
                top.assigns.add(tok[1:])
        elif kind == "open":
            opener = prev_text if prev_kind == "word" else None
            done.append(_Group(m.end(), pending or "group", opener=opener, parent=stack[-1] if stack else -1))
            stack.append(len(done) - 1)
            pending = None
        elif kind == "close" and stack:
            stack.pop()
        prev_kind, prev_text = kind, tok.upper()
    return done


def inline_bindings(text: str, bindings: Mapping[str, object]) -> str:
    """``text`` with a ``VALUES ?var { … }`` line at the top of each group pattern (a
    ``WHERE``, sub-select, ``UNION`` branch, ``OPTIONAL``, ``EXISTS`` … block) that mentions
    the variable at its own level, and — for a single value — of the query's outer ``WHERE``.

    ``bindings`` maps variable names to a pyoxigraph term (as :func:`check_bindings` returns
    them) or a list of terms (the variable takes any of them, none for an empty list: see
    :func:`lookup_bindings`).
    A single value placed in every group that uses the variable means what rdflib's
    ``initBindings`` means (the value in place of the variable; the outer ``WHERE`` gets it
    even when the query never mentions it, so it is projected as ``initBindings`` projects
    it), and it lets Oxigraph start each ``UNION`` branch from the value instead of joining
    the branches' whole answers on it (``unit-problems`` with a unit bound: 7.5 s → 10 ms at
    10,000 bulletins). A list is only placed where the variable is used (in the outer group
    of a query that never mentions it, it would multiply the rows), and not again in an
    ``OPTIONAL`` or ``EXISTS`` block inside a group that has it.

    Each term is written in its N-Triples form by pyoxigraph, so no user text is ever
    formatted into the query. Comments, strings and IRIs in ``text`` are skipped when looking
    for braces and variables; ``VALUES`` data blocks, ``CONSTRUCT`` templates, the braces
    around a sub-select and a group that binds the variable itself (``AS ?var``) get
    nothing. The result runs on any SPARQL 1.1 engine.
    """
    if not bindings:
        return text
    values: dict[str, list] = {}
    single: set[str] = set()  # variables bound to one value (not a list)
    for var, term in bindings.items():
        one = not isinstance(term, (list, tuple))
        if one:
            single.add(var)
        values[var] = terms = [term] if one else list(term)
        for t in terms:
            if not isinstance(t, (ox.NamedNode, ox.Literal, ox.BlankNode)):
                raise TypeError(f"binding ?{var} must be a pyoxigraph term, got {type(t).__name__}")
    inserts: list[tuple[int, str]] = []
    groups = _groups(text)
    placed: list[set[str]] = []  # per group: the variables it or an enclosing group binds
    for group in groups:
        above = placed[group.parent] if group.parent >= 0 else set()
        placed.append(set(above))
        if group.kind not in ("where", "group") or group.first == "SELECT":
            continue
        outer = group.parent < 0 and group.kind == "where"
        # a list is not repeated in a block evaluated once per row of an enclosing block
        # that has it already (OPTIONAL, EXISTS): that would test every value on every row
        per_row = group.opener in ("OPTIONAL", "EXISTS")
        wanted = [
            v for v in sorted(values)
            if v not in group.assigns
            and (v in group.mentions or (outer and v in single))
            and (v in single or not (per_row and v in above))
        ]
        placed[-1].update(wanted)
        if wanted:
            # no values: no solutions (rdflib 7 fails on an empty VALUES block)
            lines = [f"VALUES ?{v} {{ {' '.join(str(t) for t in values[v])} }}" if values[v] else "FILTER (false)" for v in wanted]
            inserts.append((group.start, " " + " ".join(lines) + "\n"))
    out = text
    for pos, snippet in sorted(inserts, reverse=True):
        out = out[:pos] + snippet + out[pos:]
    return out


def strip_comments(text: str) -> str:
    """``text`` without its ``#`` comments (those inside strings and IRIs are kept).

    Some clients sniff the query form from the raw text; SPARQLWrapper 2.0 reads a comment
    such as "…when the ontology is loaded" as a ``LOAD`` update and sends it as one.
    """
    out = []
    for m in _TOKENS.finditer(text):
        if m.lastgroup != "comment":
            out.append(m.group())
    return re.sub(r"\n[ \t]*(?=\n)", "\n", "".join(out)).strip() + "\n"


def bound_query(
    spec: str, bindings: Mapping[str, object] | None = None, *, keep_comments: bool = True, store: ox.Store | None = None
) -> tuple[str, str]:
    """``(name, text)`` of a named query, ``.rq`` file or SPARQL string with its parameters
    bound by :func:`inline_bindings`: ready to send to any SPARQL endpoint.
    ``keep_comments=False`` strips comments (see :func:`strip_comments`). With ``store`` (the
    store the text will run on), a bound label parameter is first looked up in it
    (:func:`lookup_bindings`)."""
    name, text = load_query(spec)
    bound = check_bindings(name, text, bindings)
    if store is not None:
        bound.update(lookup_bindings(store, text, bound))
    text = inline_bindings(text, bound)
    return name, text if keep_comments else strip_comments(text)


LOOKUP_MAX = 20_000  # more nodes than this: the query runs with its filter alone


def lookup_bindings(store: ox.Store, text: str, bound: Mapping[str, object]) -> dict[str, list]:
    """The nodes a bound label parameter can match, found first by the query's ``# lookup:``
    pattern (:func:`pipeline.query.query_lookup`): ``{node variable: [nodes, sorted]}``, or
    ``{}`` when the query has no lookup, its parameter is unbound, its node variable is bound
    already, or the pattern finds more than :data:`LOOKUP_MAX` nodes.

    Oxigraph evaluates a label filter such as ``unit-problems``' over every problem's unit
    links before it tests a label (51.8 s for 11 rows at 10,000 bulletins); bound to the few
    units whose label matches, the same query starts from them. The query keeps its filter,
    so the rows are the same as without the lookup.
    """
    lookup = query_lookup(text)
    if lookup is None:
        return {}
    param, node, pattern = lookup
    if param not in bound or node in bound:
        return {}
    find = inline_bindings(f"SELECT DISTINCT ?{node} WHERE {pattern}", {param: bound[param]})
    nodes = []
    for row in run_ox(store, find):
        nodes.append(row[0])
        if len(nodes) > LOOKUP_MAX:
            return {}
    return {node: sorted(nodes, key=str)}


def _sparql_error(exc: Exception) -> StoreError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError("E083", f"SPARQL 查询无法执行: {first} (query cannot be run)")


def run_ox(store: ox.Store, text: str, **options):
    """Run SPARQL text on a pyoxigraph store over the union of its graphs, with the project's
    prefixes; syntax errors become :class:`StoreError` E083."""
    options.setdefault("use_default_graph_as_union", True)
    try:
        return store.query(text, prefixes=dict(PREFIXES), **options)
    except SyntaxError as exc:
        raise _sparql_error(exc) from exc


def to_result(res) -> Result:
    """A pyoxigraph query answer as an rdflib :class:`~rdflib.query.Result`, so
    :func:`pipeline.query.format_result` renders it exactly as it renders ``run_query``'s."""
    if isinstance(res, ox.QueryBoolean):
        out = Result("ASK")
        out.askAnswer = bool(res)
        return out
    if isinstance(res, ox.QueryTriples):
        out = Result("CONSTRUCT")
        g = Graph()
        for t in res:
            g.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
        out.graph = g
        return out
    variables = [v.value for v in res.variables]
    out = Result("SELECT")
    out.vars = [Variable(v) for v in variables]
    rows = []
    seen: dict = {}  # one rdflib term per distinct value: rows repeat nodes, paths, statuses
    pairs = list(zip(variables, out.vars))
    for sol in res:
        row = {}
        for v, var in pairs:
            ot = sol[v]
            if ot is None:
                continue
            term = seen.get(ot)
            if term is None:
                term = from_ox(ot)
                if len(seen) < 200_000:
                    seen[ot] = term
            row[var] = term
        rows.append(row)
    out.bindings = rows
    return out


def query_store(store_or_dir: ox.Store | str | Path, spec: str, bindings: Mapping[str, object] | None = None) -> Result:
    """Run a named query, ``.rq`` file or SPARQL string on a store, parameters bound as
    :func:`pipeline.query.run_query` binds them; returns an rdflib ``Result``.

    ``store_or_dir`` is an open :class:`pyoxigraph.Store` or a store folder (opened
    read-only for this call). The query sees the union of all named graphs.
    """
    if isinstance(store_or_dir, ox.Store):
        return to_result(run_ox(store_or_dir, bound_query(spec, bindings, store=store_or_dir)[1]))
    store = open_store(store_or_dir, read_only=True)
    try:
        return to_result(run_ox(store, bound_query(spec, bindings, store=store)[1]))
    finally:
        del store


_VIEW_PREFIXES = """PREFIX xs: <https://w3id.org/xunshi/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def view_subgraph(store_dir: str | Path, budget: int | None, match: str | None) -> tuple[Graph, list, tuple[int, int]]:
    """What the HTML view of a store reads: (the named graphs of the documents
    :func:`pipeline.view.choose_documents` picks, with the corpus graph's triples about the
    nodes they mention, as an rdflib graph; those documents; (documents, drawable nodes) of
    the whole store). The store is read in place: a 10,000-bulletin build is far too large
    to parse into rdflib for one page."""
    from pipeline.view import _DRAWN_CLASSES, choose_documents

    store = open_store(store_dir, read_only=True)
    try:
        classes = " ".join(f"<{c}>" for c in dict.fromkeys(_DRAWN_CLASSES))
        skip = f"FILTER (?doc != <{CORPUS_GRAPH}> && ?doc != <{ONTOLOGY_GRAPH}>)"

        ask = store.query

        def rows(q: str):
            return ask(_VIEW_PREFIXES + q, use_default_graph_as_union=True)

        sources = {from_ox(r["doc"]): str(r["src"].value) for r in rows(
            "SELECT ?doc ?src WHERE { GRAPH ?doc { ?doc a xs:SourceDocument ; dcterms:source ?src } }")}
        dated: dict = {}
        words: dict = defaultdict(list)
        for r in rows("SELECT ?doc ?issued ?title WHERE { GRAPH ?doc { ?b a xs:Bulletin "
                      "OPTIONAL { ?b dcterms:issued ?issued } OPTIONAL { ?b dcterms:title ?title } } " + skip + " }"):
            doc = from_ox(r["doc"])
            if r["issued"] is not None and str(r["issued"].value) > dated.get(doc, ""):
                dated[doc] = str(r["issued"].value)
            if r["title"] is not None:
                words[doc].append(str(r["title"].value))
        for r in rows("SELECT DISTINCT ?doc ?label WHERE { GRAPH ?doc { ?b a xs:Bulletin ; dcterms:publisher ?u } "
                      "?u skos:prefLabel|skos:altLabel ?label " + skip + " }"):
            words[from_ox(r["doc"])].append(str(r["label"].value))
        own = {from_ox(r["doc"]): int(r["n"].value) for r in rows(
            "SELECT ?doc (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?doc { ?s a ?c } VALUES ?c { " + classes + " } "
            + skip + " } GROUP BY ?doc")}
        total = next(iter(rows("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c VALUES ?c { " + classes + " } }")))["n"]
        chosen = choose_documents(sources, dated, words, own, budget, match)
        g = Graph()
        subjects: set = set()
        nodes: set = set()
        for d in chosen:
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(d))):
                t = (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
                g.add(t)
                subjects.add(t[0])
                nodes.add(t[0])
                if not isinstance(t[2], Literal):
                    nodes.add(t[2])
        # the corpus graph's triples about those nodes (labels of shared units and policies,
        # rounds, themes, links between the documents' problems), then about the nodes those
        # name (a theme's group, a round …), a few steps out
        wanted, seen = set(nodes), set()
        for _step in range(4):
            if not wanted:
                break
            seen |= wanted
            found: set = set()
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(CORPUS_GRAPH))):
                s_, o_ = from_ox(q.subject), from_ox(q.object)
                if s_ in wanted or (_step == 0 and o_ in subjects):
                    g.add((s_, from_ox(q.predicate), o_))
                    for n in (s_, o_):
                        if not isinstance(n, Literal) and n not in seen:
                            found.add(n)
            wanted = found
        # a node read from the corpus graph with evidence only in other documents is not on
        # the page (the build's own view leaves it out: its evidence places it elsewhere);
        # without that evidence here it would look like a corpus-level node
        spans = {s_ for s_ in g.subjects(XS.inDocument, None)}
        bare = sorted((s_ for s_ in set(g.subjects()) - subjects - spans
                       if not any(o_ in spans for o_ in g.objects(s_, None))), key=str)
        elsewhere: set = set()
        for i in range(0, len(bare), 500):
            values = " ".join(n.n3() for n in bare[i:i + 500] if isinstance(n, URIRef))
            if values:
                elsewhere |= {from_ox(r["n"]) for r in rows(
                    "SELECT DISTINCT ?n WHERE { VALUES ?n { " + values + " } ?n ?p ?sp . ?sp a xs:Span }")}
        for n in elsewhere:
            g.remove((n, None, None))
    finally:
        ask = rows = None
        del store
    return g, chosen, (len(sources), int(total.value))


OX_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS}


def load_files_into(store: ox.Store, paths: Iterable[str | Path], *, graph: ox.NamedNode | None = None) -> int:
    """Parse RDF files (by suffix: .ttl .nt .trig .nq) into ``store``; triples go to ``graph``
    (default: the default graph), quads keep their graphs. Returns the number of files."""
    formats = OX_FORMATS
    n = 0
    for path in paths:
        p = Path(path)
        fmt = formats.get(p.suffix)
        if fmt is None:
            raise UsageError(f"不支持的图谱文件类型 {p.suffix} (unsupported graph file); 支持 (supported): {', '.join(formats)}")
        try:
            if fmt.supports_datasets:
                store.load(path=str(p), format=fmt)
            else:
                store.load(path=str(p), format=fmt, to_graph=graph or ox.DefaultGraph())
        except (SyntaxError, ValueError, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"无法解析 {p}: {first[:200]} (cannot parse RDF file)") from exc
        n += 1
    return n


def graph_files(graph_dir_or_file: str | Path) -> list[Path]:
    """The RDF files :func:`pipeline.query.load_graph` reads from a folder or file."""
    from pipeline.query import graph_files as files

    return files(graph_dir_or_file)


def memory_store(graph_dir_or_file: str | Path, *, with_ontology: bool = True) -> ox.Store:
    """An in-memory pyoxigraph store of the files ``xunshi query --graph`` reads (plus the
    ontology and themes with ``with_ontology``, as ``xunshi query`` adds them), all triples in
    the default graph (so duplicates across files collapse, as in one rdflib ``Graph``)."""
    store = ox.Store()
    files = graph_files(graph_dir_or_file)
    if with_ontology:
        files = files + [ontology_dir() / f for f in ONTOLOGY_FILES]
    load_files_into(store, files)
    return store

