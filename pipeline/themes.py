"""Themes pass: tag each problem with the recurring-issue themes of ``ontology/themes.ttl``.

Three steps, all deterministic:

1. **Scheme.** The SKOS concepts of ``themes.ttl`` are copied into the built graph (concepts,
   labels, definitions, ``skos:broader``, ``skos:topConceptOf`` and the scheme itself), so the
   graph answers theme queries and passes SHACL on its own.
2. **By rule (method "label").** Every ``skos:prefLabel``/``skos:altLabel`` of a theme is looked
   for in the problem's ``xs:text``, in its sub-items (``xs:ProblemPart``) and in its category
   heading (``xs:inCategory`` → ``rdfs:label``), all normalised the same way (NFKC, full/half
   width unified, quotes and spaces dropped: 落实“三转” = 落实"三转" = 落实三转). Where a label lies
   inside a longer label found at the same place (应景式 in 应景式招商), only the longer one
   counts. A heading's labels count only when the problem's own words name none of
   that theme. Each (problem, theme) gets ``xs:theme`` and one ``xs:ThemeAssignment`` whose
   ``xs:evidence`` are the matched words in the source (score 1.0). The six group concepts
   (``skos:topConceptOf``) gather themes and are never assigned.
3. **By similarity (method "similarity").** A problem no rule themed is compared with every
   rule-themed problem and with each theme's profile (its labels and definition). Problems are
   TF-IDF vectors of Han-character 1-3-grams (sublinear tf, smoothed idf, n-grams in more than
   a fifth of the problems dropped as stop-grams) of the statement and its sub-items, blended
   with the vector of the measures that address it (the statement is short; the measures name
   the field in more words). A theme's score is the larger of the nearest-neighbour vote (the
   summed cosines of the :data:`KNN_K` most similar rule-themed problems that carry it,
   divided by ``KNN_K``) and the cosine to its profile; the best theme is assigned when its
   score reaches :data:`SIM_THRESHOLD`, with that score as ``xs:score`` and the problem's own
   evidence. The threshold is calibrated by leave-one-out on the gold set
   (``bench/eval_themes.py --calibrate``: each rule-themed problem, its label words masked,
   against the others). Problems that resemble nothing stay without a theme.

With a reference (``ctx.options["reference"]``, :mod:`pipeline.reference`) the vocabulary, the
weights and the seeds are the reference's, not fitted on the corpus: a problem's similarity
themes then depend on nothing but its own words and measures.

Similarity is a sparse matrix product (SciPy) of the queries and the transposed seeds, a block
of queries at a time, so the pass never compares pairs in Python;
n-gram extraction and weighting are vectorised too. ``ctx.options["themes"]`` may name another
scheme file (tests, experiments).
"""

from __future__ import annotations

import hashlib
import operator
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from scipy import sparse

from .enrich import EnrichContext, add_span, adder, register
from .errors import Issue
from .hangrams import MadeAsRead, gram_keys, runs
from .records import stable_id
from .reference import Spilled, ThemeStats, scheme_digest
from .reference import of as reference_of
from .vocab import XR, XS, decimal_literal, ontology_dir, plain

# --- parameters (calibrated on tests/eval/themes_gold.tsv with bench/eval_themes.py) ----------

SIM_THRESHOLD = 0.17  # minimum similarity for a similarity assignment
SIM_MARGIN = 1.0  # a second theme is kept only when it scores as high as the best
SIM_MAX_THEMES = 2  # at most this many themes per problem by similarity
KNN_K = 3  # neighbours in the vote
KNN_MAX_SEEDS = 20_000  # rule-tagged problems the vote compares with, at most (see _seed_sample) ...
KNN_MIN_SEEDS_PER_THEME = 50  # ... but never fewer than this many of a theme that has them
CANDIDATES_KEPT = 5  # best themes kept per problem (the assignment looks at the first two)
MEASURE_WEIGHT = 2.0  # weight of the measures' vector beside the statement's
NGRAM_MAX = 3
MAX_DF = 0.2  # n-grams in more than this share of the documents are stop-grams ...
STOP_MIN_DF = 5  # ... and in more than this many (small corpora keep everything)
# problems whose n-grams are extracted at once when fitting (bounded memory): at 1,000 bulletins
# (18,114 problems) 20,000 made the fit the build's peak, +520 MB; 5,000 +137 MiB (traced), the
# most of any pass at that size; 2,000 +57 MiB, as fast
FIT_CHUNK = 2_000
COL_DTYPE = np.int32  # the column numbers of SparseRows
_BLOCK_CELLS = 1_000_000  # query-document scores computed at once (bounds memory: ~100 MB less than 4M, as fast)

THEME_PREFIX = str(XS) + "theme-"

# --- normalisation ---------------------------------------------------------------------------

_DROP = frozenset("“”‘’\"'『』「」〝〞‟„«»")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """``text`` normalised for matching, and for each normalised character the index of the
    original character it came from.

    NFKC per character (full-width letters, digits and punctuation become half-width), ASCII
    lower-cased, quotes (“”‘’"'『』「」) and white space dropped.

    Most texts need none of that: already NFKC (each of its characters then is too: one that
    NFKC changes on its own changes the whole) and without capitals, quotes or white space,
    they are returned as they are, without the loop over their characters.
    """
    if unicodedata.is_normalized("NFKC", text) and not _CHANGED_BY_MATCHING.search(text):
        return text, list(range(len(text)))
    out: list[str] = []
    where: list[int] = []
    cache = _NORMALISED
    for i, ch in enumerate(text):
        n = cache.get(ch)
        if n is None:
            n = cache[ch] = _normalise_char(ch)
        if len(n) == 1:
            out.append(n)
            where.append(i)
        elif n:
            out.append(n)
            where.extend([i] * len(n))
    return "".join(out), where


def _normalise_char(ch: str) -> str:
    """One character as :func:`normalise_with_map` writes it (zero, one or more characters)."""
    return "".join(c.lower() if c.isascii() else c for c in unicodedata.normalize("NFKC", ch) if not (c in _DROP or c.isspace()))


_NORMALISED: dict[str, str] = {}  # character -> _normalise_char(character); a corpus uses a few thousand
# what _normalise_char changes in a text that is already NFKC: ASCII capitals, quotes, white space
_CHANGED_BY_MATCHING = re.compile("[A-Z\\s" + re.escape("".join(sorted(_DROP))) + "]")


def normalise(text: str) -> str:
    """``text`` as the label matcher sees it (see :func:`normalise_with_map`)."""
    return normalise_with_map(text)[0]


# --- the scheme ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """One concept of the scheme, as the tagger needs it."""

    iri: URIRef
    slug: str  # the part after xs:theme-
    pref_label: str  # @zh
    labels: tuple[str, ...]  # prefLabel and altLabels (@zh), as printed in themes.ttl
    definition: str
    group: bool  # a top concept: gathers themes, never assigned


def themes_path() -> Path:
    return ontology_dir() / "themes.ttl"


@lru_cache(maxsize=4)
def _parse_scheme(path: str, mtime: float) -> Graph:
    g = Graph()
    g.parse(path, format="turtle")
    return g


def load_scheme(path: Path | None = None) -> Graph:
    """The SKOS scheme (parsed once per file version)."""
    p = Path(path or themes_path())
    return _parse_scheme(str(p), p.stat().st_mtime)


def _zh(g: Graph, node, prop) -> list[str]:
    return sorted(str(o) for o in g.objects(node, prop) if isinstance(o, Literal) and o.language == "zh")


def load_themes(scheme: Graph | None = None) -> list[Theme]:
    """The concepts of the scheme, sorted by IRI."""
    scheme = scheme if scheme is not None else load_scheme()
    out = []
    for c in sorted(set(scheme.subjects(RDF.type, SKOS.Concept))):
        pref = _zh(scheme, c, SKOS.prefLabel)
        alts = _zh(scheme, c, SKOS.altLabel)
        defs = _zh(scheme, c, SKOS.definition)
        group = (c, SKOS.topConceptOf, None) in scheme
        slug = str(c)[len(THEME_PREFIX):] if str(c).startswith(THEME_PREFIX) else str(c)
        out.append(Theme(c, slug, pref[0] if pref else "", tuple(pref + alts), " ".join(defs), group))
    return out


_COPIED = (SKOS.inScheme, SKOS.prefLabel, SKOS.altLabel, SKOS.definition, SKOS.broader, SKOS.narrower,
           SKOS.related, SKOS.topConceptOf, SKOS.hasTopConcept, DCTERMS.description)


def copy_scheme(scheme: Graph, g: Graph) -> int:
    """Copy the concept scheme and its concepts into ``g``; returns the number of triples added
    (counted here: ``len(g)`` walks the whole graph in rdflib's stores)."""
    added = 0
    nodes = set(scheme.subjects(RDF.type, SKOS.Concept)) | set(scheme.subjects(RDF.type, SKOS.ConceptScheme))
    for node in sorted(nodes):
        for t in sorted(scheme.objects(node, RDF.type)):
            if t in (SKOS.Concept, SKOS.ConceptScheme) and (node, RDF.type, t) not in g:
                g.add((node, RDF.type, t))
                added += 1
        for prop in _COPIED:
            for o in sorted(scheme.objects(node, prop)):
                if (node, prop, o) not in g:
                    g.add((node, prop, o))
                    added += 1
    return added


# --- rule: labels ----------------------------------------------------------------------------


def _trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, longest first at each position (a trie as regex)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return "(?:" + body + ")?"  # greedy: the longer word is tried first
        return body

    return build(trie)


@dataclass(frozen=True)
class LabelMatch:
    """A theme label found in a text: ``start``/``end`` index the original (unnormalised) text."""

    slug: str
    start: int
    end: int
    label: str  # the normalised label that matched


class LabelMatcher:
    """Finds the labels of the (non-group) themes in a text, after :func:`normalise`."""

    def __init__(self, themes: Sequence[Theme]):
        self.by_label: dict[str, tuple[str, ...]] = {}
        acc: dict[str, set[str]] = defaultdict(set)
        for t in themes:
            if t.group:
                continue
            for lab in t.labels:
                n = normalise(lab)
                if len(n) >= 2:  # a single character never names a theme
                    acc[n].add(t.slug)
        self.by_label = {k: tuple(sorted(v)) for k, v in sorted(acc.items())}
        self.regex = re.compile("(?=(" + _trie_regex(self.by_label) + "))") if self.by_label else None

    def find(self, text: str) -> list[LabelMatch]:
        """Every theme label in ``text``, sorted by position: the longest label at each
        position, and none that lies inside a longer one found elsewhere (应景式 inside
        应景式招商, 重招轻管 inside 招商引资重招轻管). Offsets index ``text`` itself; a quote that
        opens or closes inside the matched words is taken in with its partner (落实“三转”)."""
        if self.regex is None or not text:
            return []
        norm, where = normalise_with_map(text)
        raw = []
        for m in self.regex.finditer(norm):
            lab = m.group(1)
            if lab:
                raw.append((m.start(), m.start() + len(lab), lab))
        kept = []
        for s, e, lab in raw:
            if any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _ in raw):
                continue
            start, end = _balance_quotes(text, where[s], where[e - 1] + 1)
            for slug in self.by_label[lab]:
                kept.append(LabelMatch(slug, start, end, lab))
        return sorted(kept, key=lambda m: (m.start, m.end, m.slug))


_OPENING, _CLOSING = "“‘『「", "”’』」"


def _balance_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``text[start:end]`` by the partner of a quote left open or closed inside it."""
    seg = text[start:end]
    opened = sum(seg.count(c) for c in _OPENING) - sum(seg.count(c) for c in _CLOSING)
    if opened > 0 and end < len(text) and text[end] in _CLOSING:
        end += 1
    elif opened < 0 and start > 0 and text[start - 1] in _OPENING:
        start -= 1
    for q in "\"'":  # straight quotes open and close alike: take the one beside the words
        if seg.count(q) % 2:
            if end < len(text) and text[end] == q:
                end += 1
            elif start > 0 and text[start - 1] == q:
                start -= 1
    return start, end


# --- the problems as the pass sees them ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Anchored:
    """A text of the graph and where it starts in a source document (``None`` if not found)."""

    text: str
    doc: URIRef | None
    offset: int


@dataclass(slots=True)
class ProblemView:
    """A problem as the pass reads it from the graph."""

    iri: URIRef
    text: Anchored
    parts: list[Anchored] = field(default_factory=list)
    category: Anchored | None = None
    evidence: tuple[URIRef, int, int] | None = None
    # the texts of the measures that address it, in printed order: the graph's own literals
    # (joined when read: at 10,000 bulletins the joined strings of 180,000 problems, ~100 MB,
    # were held through the pass)
    measure_texts: tuple[str, ...] = ()

    @property
    def measures(self) -> str:
        """The measures' texts joined, one per line."""
        return "\n".join(self.measure_texts)

    def sim_text(self) -> str:
        """What the similarity compares beside the measures: the statement and its sub-items
        (not the heading, which the problems of one category share)."""
        return "\n".join([self.text.text] + [p.text for p in self.parts])


def _anchor(text: str, ev: tuple[URIRef, int, int] | None, ctx: EnrichContext) -> Anchored:
    """Locate ``text`` in the source through its node's evidence span ``ev``."""
    if ev is None or not text:
        return Anchored(text, None, 0)
    doc, s, e = ev
    src = ctx.text_of(doc)
    if src[s : s + len(text)] == text:
        return Anchored(text, doc, s)
    k = src.find(text, s, max(e, s + len(text)))
    if k >= 0:
        return Anchored(text, doc, k)
    # the stored text differs from the source (e.g. joined lines): match in the span itself
    return Anchored(src[s:e], doc, s) if src[s:e] else Anchored(text, None, 0)


def _first_evidence(g: Graph, nodes: set) -> dict[URIRef, tuple[URIRef, int, int]]:
    """:func:`pipeline.enrich.evidence_of` for many nodes at once (a build graph answers
    each node's spans from its own index and the spans' values from its span table: no
    scan of every evidence triple, 2.3M at 10,000 bulletins, for the 400,000 nodes asked)."""
    from .vocab import OA

    out = {}
    value, objects = g.value, g.objects
    for node in nodes:
        cands = []
        for sp in objects(node, XS.evidence):
            d, s, e = value(sp, XS.inDocument), value(sp, OA.start), value(sp, OA.end)
            if d is not None and s is not None and e is not None:
                cands.append((int(s), int(e), d))
        if cands:
            s, e, d = min(cands, key=lambda c: (c[0], c[1], str(c[2])))
            out[node] = (d, s, e)
    return out


def collect_problems(g: Graph, ctx: EnrichContext) -> list[ProblemView]:
    """Every ``xs:Problem`` with its text, sub-items, category heading and measures, sorted
    by IRI. The graph is read predicate by predicate (not node by node): fast on big graphs."""
    problems = sorted(set(g.subjects(RDF.type, XS.Problem)))
    pset = set(problems)
    parts: dict[URIRef, list[URIRef]] = defaultdict(list)
    for q, owner in g.subject_objects(XS.partOf):
        if owner in pset:
            parts[owner].append(q)
    measures: dict[URIRef, list[URIRef]] = defaultdict(list)
    for m, owner in g.subject_objects(XS.addresses):
        if owner in pset:
            measures[owner].append(m)
    category = {p: c for p, c in g.subject_objects(XS.inCategory) if p in pset}
    nodes = pset | {q for qs in parts.values() for q in qs} | set(category.values())
    # the texts of these nodes only, looked up (not of every node with an xs:text, figures
    # included: ~2M copies at 10,000 bulletins); a measure's text and position are looked up
    # as its problem is read, and its literal kept as it is (a str; join copies its
    # characters): dicts of the 500,000 measures' were ~70 MB at 10,000 bulletins
    value = g.value
    texts: dict[URIRef, str] = {}
    for n in nodes:
        o = value(n, XS.text)
        if o is not None:
            texts[n] = str(o)

    def position(m: URIRef) -> int:
        o = value(m, XS.position)
        return int(o) if isinstance(o, Literal) else 0

    def text(m: URIRef) -> str:
        o = value(m, XS.text)
        return o if o is not None else ""

    ev = _first_evidence(g, nodes)
    cats: dict[URIRef, Anchored] = {}
    out = []
    for p in problems:
        view = ProblemView(p, _anchor(texts.get(p, ""), ev.get(p), ctx), evidence=ev.get(p))
        for q in sorted(parts.get(p, []), key=lambda q: (ev[q][1] if q in ev else -1, str(q))):
            view.parts.append(_anchor(texts.get(q, ""), ev.get(q), ctx))
        cat = category.get(p)
        if cat is not None:
            if cat not in cats:
                cats[cat] = _anchor(str(g.value(cat, RDFS.label) or ""), ev.get(cat), ctx)
            view.category = cats[cat]
        ms = sorted(measures.get(p, []), key=lambda m: (position(m), str(m)))
        view.measure_texts = tuple([text(m) for m in ms])
        out.append(view)
    return out


@dataclass(frozen=True, slots=True)  # ~200,000 at 10,000 bulletins, held through the pass
class Assignment:
    """A theme given to a problem, with why."""

    problem: URIRef
    slug: str
    method: str  # "label" or "similarity"
    score: float
    spans: tuple[tuple[URIRef, int, int], ...]  # (document, start, end) of the evidence


def rule_assignments(problems: Sequence[ProblemView], matcher: LabelMatcher) -> list[Assignment]:
    """Themes named by a label in a problem's words, its sub-items or its category heading."""
    out = []
    for pv in problems:
        own: dict[str, list] = defaultdict(list)
        for a in [pv.text] + pv.parts:
            if a.doc is None:
                continue
            for m in matcher.find(a.text):
                own[m.slug].append((a.doc, a.offset + m.start, a.offset + m.end))
        heading: dict[str, list] = defaultdict(list)
        if pv.category is not None and pv.category.doc is not None:
            for m in matcher.find(pv.category.text):
                heading[m.slug].append((pv.category.doc, pv.category.offset + m.start, pv.category.offset + m.end))
        for slug in sorted(set(own) | set(heading)):
            spans = own.get(slug) or heading[slug]
            out.append(Assignment(pv.iri, slug, "label", 1.0, tuple(sorted(set(spans)))))
    return out


# --- similarity ------------------------------------------------------------------------------

# quotes, and NUL, which separates documents below (a regex deletes them several times faster
# than str.translate, which looks every character up)
_FOLD = re.compile("[" + re.escape("".join(sorted(_DROP | {"\x00"}))) + "]")


def fold(text: str) -> str:
    """Fast normalisation for n-grams: NFKC of the whole text, quotes dropped (line breaks and
    other non-Han characters stay: they separate n-grams)."""
    return _FOLD.sub("", unicodedata.normalize("NFKC", text))


def han_ngrams(text: str, n_max: int = NGRAM_MAX) -> Counter:
    """Counts of the 1..``n_max``-grams of Han characters in ``text`` (after :func:`fold`);
    n-grams never cross a non-Han character. The reference for :class:`TfidfModel`."""
    grams: Counter = Counter()
    for run in _HAN.findall(fold(text)):
        for n in range(1, n_max + 1):
            for i in range(len(run) - n + 1):
                grams[run[i : i + n]] += 1
    return grams


def _gram_keys(texts: Sequence[str], n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """(document index, n-gram key) of every Han 1..``n_max``-gram occurrence in ``texts``
    after :func:`fold` (see :func:`pipeline.hangrams.gram_keys`)."""
    return gram_keys([fold(t) for t in texts], range(1, n_max + 1))


def doc_freq(dids: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct n-gram keys of (document, key) occurrences, sorted, and in how many
    distinct documents each occurs."""
    vocab, _ = runs(np.sort(keys))
    if not len(vocab):
        return vocab, np.zeros(0, np.int64)
    lo = int(dids.min())
    span = int(dids.max()) - lo + 1
    inv = np.searchsorted(vocab, keys)
    pairs, _ = runs(np.sort(inv * span + (dids - lo)))
    return vocab, np.bincount(pairs // span, minlength=len(vocab))


@dataclass(frozen=True)
class SparseRows:
    """Rows of a sparse matrix in CSR form (``indptr``, ``indices``, ``data``). Column numbers
    are :data:`COL_DTYPE` (SciPy's own index type: its matrices share them, no copy)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.indptr[i], self.indptr[i + 1]
        return self.indices[a:b], self.data[a:b]

    def csr(self, n_cols: int) -> sparse.csr_matrix:
        """The same rows as a SciPy matrix of ``n_cols`` columns (the values shared; SciPy
        may narrow the index arrays to 32 bits, a copy)."""
        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=(self.n_rows, n_cols))

    @staticmethod
    def vstack(parts: Sequence[SparseRows]) -> SparseRows:
        """The rows of ``parts``, one after the other."""
        ptrs = [np.zeros(1, np.int64)]
        base = 0
        for part in parts:
            ptrs.append(part.indptr[1:] + base)
            base += int(part.indptr[-1])
        return SparseRows(
            np.concatenate(ptrs),
            np.concatenate([part.indices for part in parts]) if parts else np.zeros(0, COL_DTYPE),
            np.concatenate([part.data for part in parts]) if parts else np.zeros(0, np.float64),
        )

    def take(self, rows: Sequence[int]) -> SparseRows:
        parts = [self.row(i) for i in rows]
        lens = np.array([len(ix) for ix, _ in parts], dtype=np.int64)
        ptr = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(lens, out=ptr[1:])
        if not parts:
            return SparseRows(ptr, np.zeros(0, COL_DTYPE), np.zeros(0, np.float64))
        return SparseRows(ptr, np.concatenate([ix for ix, _ in parts]), np.concatenate([w for _, w in parts]))

    @staticmethod
    def from_triples(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_rows: int, unique: bool = False) -> SparseRows:
        """Sum duplicate (row, col) entries, sort, and L2-normalise every row (``unique``: the
        entries are already distinct and sorted by row, then column)."""
        if rows.size and not unique:
            span = int(cols.max()) + 1
            key = rows * span + cols
            order = np.argsort(key, kind="stable")
            uniq, counts = runs(key[order])
            vals = np.add.reduceat(vals[order], np.cumsum(counts) - counts)
            rows, cols = uniq // span, uniq % span
        norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=n_rows))
        vals = vals / np.where(norms[rows] > 0, norms[rows], 1.0)
        ptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=ptr[1:])
        if cols.size and int(cols.max()) >= 2**31:
            raise OverflowError("more n-gram features than 32-bit column numbers hold")
        return SparseRows(ptr, cols.astype(COL_DTYPE), vals.astype(np.float64))


def blend(a: SparseRows, b: SparseRows, weight_b: float) -> SparseRows:
    """Row-wise ``normalise(a + weight_b * b)`` of two matrices with the same rows."""
    ra = np.repeat(np.arange(a.n_rows), np.diff(a.indptr))
    rb = np.repeat(np.arange(b.n_rows), np.diff(b.indptr))
    return SparseRows.from_triples(
        np.concatenate([ra, rb]), np.concatenate([a.indices, b.indices]),
        np.concatenate([a.data, weight_b * b.data]), a.n_rows,
    )


class TfidfModel:
    """TF-IDF over Han 1..n-grams: sublinear term frequency, smoothed IDF, L2-normalised rows.

    N-grams found in more than ``max_df`` of the fitting documents (and in more than
    ``STOP_MIN_DF`` of them) are stop-grams (整改, 工作, 问题 …) and left out, as sklearn's
    ``max_df`` does. Everything is vectorised with numpy.
    """

    def __init__(self, docs: Sequence[str], n_max: int = NGRAM_MAX, max_df: float | None = None):
        self.n_max = n_max
        dids, keys = _gram_keys(docs, n_max)
        self._fit(dids, keys, len(docs), MAX_DF if max_df is None else max_df)

    @classmethod
    def from_grams(cls, dids: np.ndarray, keys: np.ndarray, n_docs: int, n_max: int = NGRAM_MAX) -> TfidfModel:
        """A model fitted on n-grams already extracted by :func:`_gram_keys`."""
        model = cls.__new__(cls)
        model.n_max = n_max
        model._fit(dids, keys, n_docs, MAX_DF)
        return model

    @classmethod
    def from_doc_freq(cls, parts: Sequence[tuple[np.ndarray, np.ndarray]], n_docs: int, n_max: int = NGRAM_MAX) -> TfidfModel:
        """A model fitted from the :func:`doc_freq` of disjoint sets of documents (a corpus
        counted a chunk at a time): the same model as fitted on all of them at once."""
        model = cls.__new__(cls)
        model.n_max = n_max
        keys = np.concatenate([k for k, _ in parts]) if parts else np.zeros(0, np.int64)
        dfs = np.concatenate([d for _, d in parts]) if parts else np.zeros(0, np.int64)
        order = np.argsort(keys, kind="stable")
        vocab, counts = runs(keys[order])
        df = np.add.reduceat(dfs[order], np.cumsum(counts) - counts) if len(vocab) else np.zeros(0, np.int64)
        model._keep(vocab, df, n_docs, MAX_DF)
        return model

    @classmethod
    def pinned(cls, keys: np.ndarray, idf: np.ndarray, n_max: int = NGRAM_MAX) -> TfidfModel:
        """A model of given (sorted) n-gram keys and IDF weights (a reference's)."""
        model = cls.__new__(cls)
        model.n_max, model.keys, model.idf, model.n_features = n_max, keys, idf, len(keys)
        return model

    def _fit(self, dids: np.ndarray, keys: np.ndarray, n: int, max_df: float) -> None:
        self._keep(*doc_freq(dids, keys), n, max_df)

    def _keep(self, vocab: np.ndarray, df: np.ndarray, n: int, max_df: float) -> None:
        keep = df <= max(max_df * n, STOP_MIN_DF)
        self.keys = vocab[keep]  # sorted n-gram keys
        self.idf = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
        self.n_features = len(self.keys)

    def weigh(self, dids: np.ndarray, keys: np.ndarray, n_rows: int) -> SparseRows:
        """The TF-IDF rows of n-grams extracted by :func:`_gram_keys` (unknown ones ignored)."""
        empty = np.zeros(0, np.int64)
        if keys.size == 0 or self.n_features == 0:
            return SparseRows.from_triples(empty, empty, np.zeros(0), n_rows)
        pos = np.minimum(np.searchsorted(self.keys, keys), self.n_features - 1)
        known = self.keys[pos] == keys
        key = dids[known] * self.n_features + pos[known]
        uniq, counts = runs(np.sort(key))
        cols = uniq % self.n_features
        vals = (1.0 + np.log(counts)) * self.idf[cols]
        return SparseRows.from_triples(uniq // self.n_features, cols, vals, n_rows, unique=True)

    def transform(self, texts: Sequence[str]) -> SparseRows:
        dids, keys = _gram_keys(texts, self.n_max)
        return self.weigh(dids, keys, len(texts))


def cosine(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Cosine of two L2-normalised sparse vectors ``(ids, weights)``."""
    common, ia, ib = np.intersect1d(a[0], b[0], assume_unique=True, return_indices=True)
    return float(np.dot(a[1][ia], b[1][ib])) if len(common) else 0.0


def ngram_cosine(a: str, b: str, n_max: int = NGRAM_MAX) -> float:
    """Cosine of two strings under a TF-IDF model fitted on just the two of them (no
    stop-grams)."""
    m = TfidfModel([a, b], n_max, max_df=1.0)
    v = m.transform([a, b])
    return cosine(v.row(0), v.row(1))


class InvertedIndex:
    """The rows of a matrix transposed (features × documents), for scoring queries against
    them all."""

    def __init__(self, docs: SparseRows, n_features: int):
        self.n_docs = docs.n_rows
        self.n_features = n_features
        self.postings = docs.csr(n_features).T.tocsr()

    def cosines(self, queries: SparseRows) -> Iterable[tuple[int, np.ndarray]]:
        """Yield ``(first query, block)`` with ``block[i, j]`` = cosine of query ``first + i``
        and document ``j``, a block of queries at a time (at most ``_BLOCK_CELLS`` scores, at
        least one query: bounded memory).

        A sparse product: each score is the sum of its products in the order of the query's
        features, the same floating-point sum whatever the block size."""
        q = queries.csr(self.n_features)
        step = max(1, _BLOCK_CELLS // max(self.n_docs, 1))
        for q0 in range(0, queries.n_rows, step):
            yield q0, (q[q0 : q0 + step] @ self.postings).toarray()


def top_k(block: np.ndarray, k: int) -> np.ndarray:
    """``np.argsort(-block, axis=1, kind="stable")[:, :k]`` without sorting whole rows: the
    k best columns of each row, best first, ties to the lower column."""
    rows, n = block.shape
    if k >= n or rows == 0:
        return np.argsort(-block, axis=1, kind="stable")[:, :k]
    neg = -block
    part = np.argpartition(neg, k - 1, axis=1)[:, :k]
    kth = np.take_along_axis(neg, part, axis=1).max(axis=1)
    # a row where more than k values reach its k-th best has ties across the cut: which of
    # them are kept is settled below, in column order; elsewhere the k are the partition's
    wide = np.flatnonzero((neg <= kth[:, None]).sum(axis=1) > k)
    vals = np.take_along_axis(neg, part, axis=1)
    out = np.take_along_axis(part, np.lexsort((part, vals), axis=1), axis=1)
    for r in wide:
        cols = np.flatnonzero(neg[r] <= kth[r])
        out[r] = cols[np.lexsort((cols, neg[r, cols]))][:k]
    return out


def theme_scores(
    queries: SparseRows,
    seeds: SparseRows | InvertedIndex,
    seed_themes: Sequence[Iterable[int]],
    profiles: SparseRows,
    n_features: int,
    *,
    k: int = KNN_K,
    exclude: Sequence[int] | None = None,
) -> np.ndarray:
    """``scores[i, t]``: the similarity of query ``i`` to theme ``t``.

    The larger of (a) the nearest-neighbour vote: the summed cosines of the query's ``k``
    most similar seeds that carry ``t``, divided by ``k`` (a theme carried by all ``k``
    neighbours scores their mean similarity), and (b) the cosine to the theme's profile.
    ``exclude[i]`` is a seed that query ``i`` must not see (itself, when calibrating by
    leave-one-out), or -1. ``seeds`` may be given as their :class:`InvertedIndex` (the
    caller can then let the rows go before the scoring).
    """
    nt = profiles.n_rows
    out = np.zeros((queries.n_rows, nt))
    index = seeds if isinstance(seeds, InvertedIndex) else InvertedIndex(seeds, n_features)
    if index.n_docs:
        member = np.zeros((index.n_docs, nt))
        for j, ts in enumerate(seed_themes):
            member[j, list(ts)] = 1.0
        kk = min(k, index.n_docs)
        for q0, block in index.cosines(queries):
            if exclude is not None:
                ex = np.asarray(exclude[q0 : q0 + len(block)])
                rows = np.nonzero(ex >= 0)[0]
                block[rows, ex[rows]] = -1.0
            # the k best seeds per row; ties go to the lower seed index (stable, deterministic)
            top = top_k(block, kk)
            sims = np.clip(np.take_along_axis(block, top, axis=1), 0.0, None)
            out[q0 : q0 + len(block)] = np.einsum("qk,qkt->qt", sims, member[top]) / k
    pindex = InvertedIndex(profiles, n_features)
    for q0, block in pindex.cosines(queries):
        out[q0 : q0 + len(block)] = np.maximum(out[q0 : q0 + len(block)], block)
    return out


def _selected(sel: np.ndarray, dids: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (document, key) occurrences of the documents ``sel`` marks, the documents numbered
    in order among them."""
    mine = sel[dids]
    return (np.cumsum(sel) - 1)[dids[mine]], keys[mine]


def _profiles(themes: Sequence[Theme]) -> tuple[list[str], list[str]]:
    """The assignable themes' slugs and profile texts (labels and definition)."""
    assignable = [t for t in themes if not t.group]
    return [t.slug for t in assignable], ["\n".join(t.labels) + "\n" + t.definition for t in assignable]


def _scheme_digest(themes: Sequence[Theme]) -> str:
    """What a reference's seeds were tagged with (:func:`pipeline.reference.scheme_digest`)."""
    return scheme_digest(list(zip(*_profiles(themes))))


def vectors(model: TfidfModel, statements: Sequence[str], measures: Sequence[str]) -> SparseRows:
    """Problems' vectors under ``model``: each statement's blended with its measures'."""
    return blend(model.transform(statements), model.transform(measures), MEASURE_WEIGHT)


@dataclass
class SimilaritySpace:
    """The vectors the similarity step compares, fitted on one corpus.

    A problem is represented by its statement (with sub-items) blended with the measures
    that address it (weight :data:`MEASURE_WEIGHT`): the statement is short, the measures
    name the field in more words (档案馆, 调档流程 for an archive complaint). IDF is fitted on
    the problems (statement and measures as one document) and the theme profiles.
    """

    model: TfidfModel
    slugs: list[str]
    problems: SparseRows  # one row per problem given to fit() (or per row of ``rows``)
    profiles: SparseRows  # one row per assignable theme (labels and definition)
    groups: list[SparseRows] = field(default_factory=list)  # one per group given to fit()

    @classmethod
    def fit(
        cls,
        statements: Sequence[str],
        measures: Sequence[str],
        themes: Sequence[Theme],
        rows: Sequence[int] | None = None,
        groups: Sequence[Sequence[int]] | None = None,
    ) -> SimilaritySpace:
        """The space of these problems. ``rows``: the problems whose vectors are wanted
        (default all): the IDF is fitted on every problem either way, but only these are
        weighed, and ``problems`` holds their vectors in increasing row order (the
        comparisons use the unthemed problems and a sample of the themed: at 10,000
        bulletins 51,000 of 180,000 rows, ~600 MB of vectors otherwise). ``groups``: instead,
        several increasing lists of rows, weighed one after the other into ``groups`` (what
        ``problems.take(group)`` would hold; ``problems`` is then empty): the queries' and the
        seeds' vectors without both copies taken out of the whole (~70 MB less at 10,000
        bulletins). ``statements`` and ``measures`` are read a chunk at a time (slices) and
        row by row: they may make their strings as they are read."""
        if rows is not None and groups is not None:
            raise ValueError("rows or groups, not both")
        for group in groups or ():
            if any(b <= a for a, b in zip(group, group[1:])):
                raise ValueError("each group's rows must be increasing")
        slugs, profiles = _profiles(themes)
        n = len(statements)
        chunks = [(a, min(a + FIT_CHUNK, n)) for a in range(0, n, FIT_CHUNK)]

        def grams(a: int, b: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
            return _gram_keys(statements[a:b], NGRAM_MAX), _gram_keys(measures[a:b], NGRAM_MAX)

        # counted a chunk of problems at a time, then weighed a chunk at a time (the n-grams
        # extracted again for the weighing, except the last chunk's): the occurrence arrays
        # of a whole corpus, with the copies sorting them takes, were several GB at 10,000
        # bulletins
        dp, kp = _gram_keys(profiles, NGRAM_MAX)
        parts, last = [], None
        for a, b in chunks:
            last = (a, b, grams(a, b))
            (ds, ks), (dm, km) = last[2]
            parts.append(doc_freq(np.concatenate([ds + a, dm + a]), np.concatenate([ks, km])))
        parts.append(doc_freq(dp + n, kp))
        model = TfidfModel.from_doc_freq(parts, n + len(profiles))
        del parts

        def mask(rows: Sequence[int]) -> np.ndarray:
            wanted = np.zeros(n, dtype=bool)
            wanted[np.asarray(rows, dtype=np.int64)] = True
            return wanted

        def weigh(wanted: np.ndarray | None) -> SparseRows:
            """The vectors of the ``wanted`` rows (None: all), in row order."""
            vec_parts = []
            for a, b in chunks:
                m = b - a
                if last[:2] == (a, b):  # the last chunk's n-grams are still at hand (one chunk: nothing redone)
                    (ds, ks), (dm, km) = last[2]
                    if wanted is not None:  # the wanted rows only, numbered in order
                        sel = wanted[a:b]
                        (ds, ks), (dm, km) = _selected(sel, ds, ks), _selected(sel, dm, km)
                        m = int(sel.sum())
                elif wanted is None:
                    (ds, ks), (dm, km) = grams(a, b)
                else:  # the n-grams of the wanted rows only (at 10,000 bulletins 51,000 of 180,000)
                    picked = (np.flatnonzero(wanted[a:b]) + a).tolist()
                    m = len(picked)
                    ds, ks = _gram_keys([statements[i] for i in picked], NGRAM_MAX)
                    dm, km = _gram_keys([measures[i] for i in picked], NGRAM_MAX)
                vec_parts.append(blend(model.weigh(ds, ks, m), model.weigh(dm, km, m), MEASURE_WEIGHT))
            return SparseRows.vstack(vec_parts) if vec_parts else model.weigh(np.zeros(0, np.int64), np.zeros(0, np.int64), 0)

        profile_vecs = model.weigh(dp, kp, len(profiles))
        if groups is not None:
            return cls(model, slugs, weigh(mask([])), profile_vecs, [weigh(mask(group)) for group in groups])
        return cls(model, slugs, weigh(mask(rows) if rows is not None else None), profile_vecs)

    def vectors(self, statements: Sequence[str], measures: Sequence[str]) -> SparseRows:
        """Vectors of other problems in this space (e.g. with words masked, to calibrate)."""
        return vectors(self.model, statements, measures)


def similarity_candidates(
    problems: Sequence[ProblemView],
    themes: Sequence[Theme],
    rule: Sequence[Assignment],
    reference: ThemeStats | None = None,
    fitted: dict | None = None,
) -> dict[URIRef, list[tuple[float, str]]]:
    """For each problem without a rule theme: every theme's similarity (:func:`theme_scores`),
    best first, against the rule-themed problems and the theme profiles.

    ``reference``: pinned statistics (:mod:`pipeline.reference`) — the vocabulary, weights and
    seeds come from it, and a problem's candidates depend on nothing else in the corpus.
    ``fitted``: a dict that receives the statistics used, as ``fitted["themes"]`` (a
    :class:`~pipeline.reference.ThemeStats`, :class:`~pipeline.reference.Spilled` to disk when
    fitted here; fitted even when every problem has a rule theme)."""
    tagged: dict[URIRef, set[str]] = defaultdict(set)
    for a in rule:
        tagged[a.problem].add(a.slug)
    queries = [i for i, pv in enumerate(problems) if pv.iri not in tagged]
    if not queries and fitted is None:
        return {}
    if reference is not None:
        slugs, profile_texts = _profiles(themes)
        model = TfidfModel.pinned(reference.keys, reference.idf)
        query_rows = SparseRows.vstack([  # a chunk of problems at a time (bounded memory)
            vectors(model, [problems[i].sim_text() for i in part], [problems[i].measures for i in part])
            for part in (queries[a : a + FIT_CHUNK] for a in range(0, len(queries), FIT_CHUNK))
        ])
        seed_rows = SparseRows(reference.seed_indptr, reference.seed_indices, reference.seed_data)
        seed_themes = reference.seed_themes
        profiles, n_features = model.transform(profile_texts), model.n_features
        if fitted is not None:
            fitted["themes"] = reference
    else:
        seeds = _seed_sample([(i, pv.iri) for i, pv in enumerate(problems) if pv.iri in tagged], tagged)
        # the statements and measures made as the fit reads them, the queries' and the seeds'
        # vectors weighed apart (both increasing lists of problems)
        space = SimilaritySpace.fit(
            MadeAsRead(problems, ProblemView.sim_text), MadeAsRead(problems, operator.attrgetter("measures")), themes,
            groups=[queries, seeds],
        )
        query_rows, seed_rows = space.groups
        slugs, profiles, n_features = space.slugs, space.profiles, space.model.n_features
        seed_themes = [tuple(sorted(tagged[problems[i].iri])) for i in seeds]
        if fitted is not None:  # on disk until saved (the seeds' rows go once the index holds them)
            fitted["themes"] = Spilled(ThemeStats(
                space.model.keys, space.model.idf, seed_rows.indptr, seed_rows.indices, seed_rows.data, tuple(seed_themes),
                _scheme_digest(themes),
            ))
        del space
    if not queries:
        return {}
    col = {s: k for k, s in enumerate(slugs)}
    index = InvertedIndex(seed_rows, n_features)
    del seed_rows  # the index holds them transposed (~50 MB at 10,000 bulletins)
    scores = theme_scores(query_rows, index, [[col[s] for s in ts if s in col] for ts in seed_themes], profiles, n_features)
    del query_rows, index
    out = {}
    kept = min(CANDIDATES_KEPT, len(slugs))
    # the kept-th best score of each row, unrounded: a score more than 1e-4 below it cannot
    # round into the kept ones (ties included), so only the others are rounded and sorted
    floor = -np.partition(-scores, kept - 1, axis=1)[:, kept - 1] - 1e-4 if kept else np.zeros(len(queries))
    for r, i in enumerate(queries):
        row = [(round(float(scores[r, c]), 4), slugs[c]) for c in np.flatnonzero(scores[r] >= floor[r])]
        out[problems[i].iri] = sorted(row, key=lambda x: (-x[0], x[1]))[:kept]
    return out


def _seed_sample(seeds: list[tuple[int, URIRef]], tagged: dict[URIRef, set[str]]) -> list[int]:
    """The rule-tagged problems the nearest-neighbour vote compares with. Every query is
    compared with every seed, so the vote's cost grows with the square of the corpus: up to
    :data:`KNN_MAX_SEEDS` seeds (about 1,300 bulletins) all of them are used; beyond, a fixed
    sample — problems in the order of a hash of their IRI, taken while the sample is short
    of the cap or one of the problem's themes is short of :data:`KNN_MIN_SEEDS_PER_THEME`
    (rare themes keep their votes). The cost then grows linearly, and the sample does not
    depend on the order of the input."""
    if len(seeds) <= KNN_MAX_SEEDS:
        return [i for i, _ in seeds]
    taken: Counter = Counter()
    keep = []
    for i, iri in sorted(seeds, key=lambda x: hashlib.sha1(str(x[1]).encode()).digest()):
        themes = tagged[iri]
        if len(keep) < KNN_MAX_SEEDS or any(taken[t] < KNN_MIN_SEEDS_PER_THEME for t in themes):
            keep.append(i)
            taken.update(themes)
    return sorted(keep)


def similarity_assignments(
    problems: Sequence[ProblemView],
    candidates: dict[URIRef, list[tuple[float, str]]],
    threshold: float = SIM_THRESHOLD,
    margin: float = SIM_MARGIN,
    max_themes: int = SIM_MAX_THEMES,
) -> list[Assignment]:
    """The best theme(s) of each candidate list: the first when its score reaches
    ``threshold``, the next ones too when they also reach it and ``margin`` times the best."""
    out = []
    for pv in problems:
        cands = candidates.get(pv.iri)
        if not cands or pv.evidence is None:
            continue
        top = cands[0][0]
        if top < threshold:
            continue
        for score, slug in cands[:max_themes]:
            if score >= threshold and score >= margin * top:
                out.append(Assignment(pv.iri, slug, "similarity", score, (pv.evidence,)))
    return out


# --- the pass --------------------------------------------------------------------------------


def assignment_iri(problem: URIRef, slug: str) -> URIRef:
    return XR[stable_id("themeassignment", str(problem)[len(str(XR)):], slug)]


def emit(g: Graph, ctx: EnrichContext, assignments: Sequence[Assignment]) -> None:
    """Add ``xs:theme`` and the ``xs:ThemeAssignment`` node of each assignment."""
    add = adder(g)
    concepts: dict[str, URIRef] = {}
    for a in sorted(assignments, key=lambda a: (str(a.problem), a.slug)):
        concept = concepts.get(a.slug)
        if concept is None:
            concept = concepts[a.slug] = URIRef(THEME_PREFIX + a.slug)
        node = assignment_iri(a.problem, a.slug)
        add((a.problem, XS.theme, concept))
        add((node, RDF.type, XS.ThemeAssignment))
        add((node, XS.problem, a.problem))
        add((node, XS.concept, concept))
        add((node, XS.method, plain(a.method)))
        add((node, XS.score, decimal_literal(str(round(a.score, 4)))))
        for doc, s, e in a.spans:
            add((node, XS.evidence, add_span(g, doc, s, e, ctx.text_of(doc))))


@dataclass
class ThemeResult:
    rule: list[Assignment]
    similarity: list[Assignment]
    candidates: dict[URIRef, list[tuple[float, str]]]


def tag_problems(g: Graph, ctx: EnrichContext, scheme: Graph | None = None) -> ThemeResult:
    """The pure part of the pass: what themes the problems of ``g`` get (nothing is added).
    With a reference (``ctx.options["reference"]``) the similarity step uses its statistics;
    with ``ctx.options["save_reference"]`` the statistics used go to ``ctx.fitted``."""
    themes = load_themes(scheme)
    problems = collect_problems(g, ctx)
    rule = rule_assignments(problems, LabelMatcher(themes))
    ref = reference_of(ctx.options, "themes")
    pinned = ref.themes if ref is not None else None
    if pinned is not None:
        now = _scheme_digest(themes)
        if pinned.scheme != now:
            ctx.issues.append(Issue("W035", "", {"ref": pinned.scheme, "now": now}))
    fitted = ctx.fitted if ctx.options.get("save_reference") else None
    cands = similarity_candidates(problems, themes, rule, pinned, fitted)
    return ThemeResult(rule, similarity_assignments(problems, cands), cands)


@register("themes", 20)
def themes_pass(g: Graph, ctx: EnrichContext) -> None:
    """Copy the scheme into the graph and tag every problem (see the module docstring)."""
    scheme = load_scheme(ctx.options.get("themes"))
    copy_scheme(scheme, g)
    res = tag_problems(g, ctx, scheme)
    emit(g, ctx, res.rule + res.similarity)
