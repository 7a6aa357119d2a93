"""Same-issue links: problems that state the same issue in different bulletins.

A main bulletin often restates a finding that an attachment reports in full (干部选拔任用监督
信息沟通工作机制不够健全 in the main bulletin and again in the organisation department's
attachment), and a later round restates an earlier one. Such problems are *linked, never
merged*: each keeps its own status, measures and evidence, and the pair gets an ``xs:IssueLink``
node (``xs:source``/``xs:target`` ordered by IRI, ``xs:score``, ``xs:method``) plus
``xs:sameIssueAs`` both ways when the score reaches :data:`THRESHOLD`. Pairs scoring between
:data:`REPORT_FLOOR` and the threshold keep their ``xs:IssueLink`` only, so analysts can review
near-misses (and accept them with a decision); lower pairs leave no trace.

The core is a pure function over plain records, :func:`link_problems`, so it can be tested and
benchmarked without a graph; :func:`same_issue_pass` is the thin enrich pass around it.

How a pair is scored (every signal is deterministic; :meth:`Scorer.combine` has the formula):

- **text**: character n-grams (Han 2- and 3-grams within runs of Han characters, plus numbers
  as tokens) of the NFKC-normalised statement, punctuation and quotes removed, weighted by IDF
  over the corpus (or over a pinned reference's counts: :mod:`pipeline.reference`) and
  down-weighted further when they are genre boilerplate (不到位, 问题, 工作 …);
  their weighted containment (how much of the summarising statement the other covers) with a
  bag-of-characters containment that forgives reordered words (年轻干部选拔培养 /
  年轻干部培养选拔). Text counts on its own only above a gate: a shared heading with different
  specifics (意识形态工作责任制落实不到位 …) is a theme, not an issue. The cosine is computed and
  shown by ``bench/eval_same_issue.py --show`` but calibrated to weight 0.
- **measures**: the same weighted containment over the texts of the measures that address
  each problem: a restatement is usually rectified with the same actions, often in the same
  words (对全区党组织近三年民主评议党员情况进行“回头看”), while look-alike statements of two
  different findings are not.
- **figures**: numbers with a unit (32%, 18项): shared → bonus; both print figures but none
  shared → penalty (房地产 32% of the 新区 vs 70% of one park are two findings); weaker across
  rounds, where figures are expected to change.
- **themes** (``xs:theme``, when the themes pass tagged both problems): shared → bonus,
  disjoint → penalty; absent → no effect.
- **units** (``xs:concernsUnit``, compared by label with 某/个别/有的 stripped), or a main-bulletin
  problem naming the body that issued the attachment (岳麓高新区): bonus.
- **category**: the feedback-category labels' n-gram cosine (calibrated to weight 0: in
  compound files an attachment's categories are its problems, so they add nothing).
- **scope** of the two bulletins: an attachment and the bulletin it is part of, or two bulletins
  of the same publisher (rounds of one unit), may restate one another (bonus); two sibling
  attachments or bulletins of unrelated publishers report findings about *different bodies*,
  so the same wording there is the same kind of problem (a theme), not the same issue
  (案件办理不规范 of two discipline bodies): penalty, and the score is capped below the
  threshold (such pairs can still show up as near-misses).

The content evidence is the larger of the gated text evidence and the measure evidence; the
agreements corroborate it (adding at most as much again) and never link two problems alone.

Blocking keeps the cost near-linear: only pairs where one problem holds one of the other's
heaviest (rarest, non-boilerplate) n-grams of its statement or its measures — a fixed number of
keys per problem — *within a scope group* (its compound file, or its publisher's rounds: pairs of
different bodies could not reach the threshold anyway) are scored, never all pairs; a key
shared by more than :attr:`Params.df_cap` problems of a group pairs none of them.
Weights and threshold were calibrated on ``tests/eval/same_issue_gold.tsv`` with
``bench/eval_same_issue.py --calibrate``.
"""

from __future__ import annotations

import bisect
import math
import re
import sys
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .enrich import EnrichContext, adder, register
from .hangrams import MadeAsRead, distinct, gram_keys, unpack
from .records import stable_id
from .reference import SAME_ISSUE_SPACES, SpaceStats
from .reference import of as reference_of
from .vocab import XR, XS

# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One problem as the linker sees it (plain ids and strings, no graph)."""

    id: str  # problem id (an IRI in the pass); links are ordered by it
    bulletin: str  # bulletin id: two problems of one bulletin are never linked
    text: str  # the problem statement (xs:text; from a graph, its literal: a str)
    themes: frozenset[str] = frozenset()  # xs:theme concept ids
    units: frozenset[str] = frozenset()  # labels of the units the problem concerns
    category: str = ""  # the feedback category's label
    parent: str = ""  # the bulletin this one is an attachment of ("" for a main bulletin)
    publisher: str = ""  # the issuing unit's id ("" when unknown)
    # the texts of the measures that address the problem: joined by newlines, or (from a
    # graph) its literals in order, joined as they are read (:attr:`measures_text`)
    measures: str | tuple[str, ...] = ""
    publisher_label: str = ""  # the issuing unit's label (中共岳麓高新技术产业开发区工作委员会)
    recurs: bool = False  # the text says it was raised before (xs:recurrenceCue / xs:previouslyRaisedIn)

    @property
    def measures_text(self) -> str:
        """The measures' texts joined by newlines."""
        m = self.measures
        return m if type(m) is str else "\n".join(m)


@dataclass(frozen=True)
class Link:
    """A scored candidate pair; ``source < target``; ``score`` already rounded to 3 places."""

    source: str
    target: str
    score: float
    method: str
    same: bool  # score >= threshold


@dataclass(frozen=True)
class Params:
    """Blocking limits, signal weights and cut-offs (calibrated on the gold set)."""

    df_cap: int = 200  # a blocking key shared by more problems (in one group) pairs none of them
    keys_per_item: int = 12  # each problem's heaviest text n-grams used as blocking keys
    measure_keys_per_item: int = 8  # … and of its measures' text
    boilerplate_factor: float = 0.25  # weight multiplier of genre boilerplate n-grams
    # text evidence T = w_cosine·cosine + w_containment·containment + w_chars·chars (sums to 1);
    # on its own it counts only above the gate: (T - text_gate) / (1 - text_gate), so a
    # restatement in the same or reordered words links while a shared heading
    # (意识形态工作责任制落实不到位) with different specifics does not. Calibration put no weight
    # on the cosine: containment says the same without penalising a short summary of a long
    # statement, and the bag of characters forgives reordered and reworded phrases.
    w_cosine: float = 0.0
    w_containment: float = 0.2
    w_chars: float = 0.8
    text_gate: float = 0.5
    # measure evidence M = w_measures·measures + measure_text·T: the same actions, in some
    # of the same words
    w_measures: float = 0.8
    measure_text: float = 0.2
    # … in full between a main bulletin and its attachments, which report the same measures
    # twice, and across rounds when one of the two says it was raised before (上轮…指出, 反弹).
    # Otherwise a unit's measures name its own rules and routines whatever the problem (on 200
    # synthetic bulletins 82 % of wrong cross-round links were carried by measures alone), so
    # the wording of the problems must carry the link: measures count × measures_across.
    measures_across: float = 0.0
    recur_text_floor: float = 0.3  # … and when the statements share at least this much wording
    # agreements and disagreements around the content evidence max(gated text, measures)
    figure_weight: float = 0.30  # one round: shared figures (18项) +, only different ones (32% / 70%) −
    figure_weight_rounds: float = 0.10  # across rounds figures are expected to change
    theme_bonus: float = 0.05
    theme_penalty: float = 0.10
    unit_bonus: float = 0.10
    w_category: float = 0.0
    scope_bonus: float = 0.10  # attachment ↔ its main bulletin, or same publisher
    scope_penalty: float = 0.70  # sibling attachments or unrelated publishers: other bodies …
    other_body_cap: float = 0.30  # … whose pairs never reach the threshold (kept as near-misses)
    threshold: float = 0.35
    floor: float = 0.20


DEFAULT = Params()
THRESHOLD = DEFAULT.threshold
REPORT_FLOOR = DEFAULT.floor

# --- normalisation and features ----------------------------------------------------------------

# Genre boilerplate: words every bulletin uses to frame a problem. An n-gram inside one of them
# keeps only ``boilerplate_factor`` of its IDF weight (IDF alone is noisy on a small corpus).
BOILERPLATE = (
    "不到位", "不够", "不足", "不力", "不严", "不实", "不深", "不规范", "不及时", "不健全", "不完善",
    "不彻底", "不明显", "不充分", "不高", "存在", "问题", "工作", "有待", "加强", "提升", "欠缺",
    "缺乏", "落实", "情况", "仍然", "仍未", "没有", "明显", "改善", "整改", "反馈", "健全", "完善",
    "机制", "个别", "有的", "部分", "较多", "较高", "较大", "偏低", "偏小", "力度", "方面", "相关",
    "有关", "进一步", "尚未", "还有", "差距", "薄弱", "有缺失", "有偏差", "欠扎实", "及时",
)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_intern = sys.intern
_NUM = re.compile(r"\d+(?:\.\d+)?")
_ANON = re.compile(r"^(某些|某个|某|个别|有的|部分|少数|一些|原)")


def normalise(text: str) -> str:
    """NFKC, quotes and punctuation removed: Han characters, letters and digits only."""
    t = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in t if ch.isalnum() or ch == ".").strip(".")


def han_runs(text: str) -> list[str]:
    """The runs of Han characters of the NFKC text (punctuation, quotes, digits split runs)."""
    return _HAN.findall(unicodedata.normalize("NFKC", text or ""))


def ngrams(text: str, sizes: tuple[int, ...] = (2, 3)) -> frozenset[str]:
    """Han n-grams within runs (never across punctuation) plus ``#number`` tokens."""
    out: set[str] = set()
    for run in han_runs(text):
        for n in sizes:
            # interned: a corpus repeats its n-grams across thousands of problems (memory)
            out.update(_intern(run[i : i + n]) for i in range(len(run) - n + 1))
    out.update("#" + m for m in _NUM.findall(unicodedata.normalize("NFKC", text or "")))
    return frozenset(out)


def chars(text: str) -> frozenset[str]:
    """The bag (set) of Han characters: insensitive to word order."""
    return frozenset(map(_intern, "".join(han_runs(text))))


def unit_kind(label: str) -> str:
    """A unit label with anonymising prefixes stripped: 某街道 and 个别街道 → 街道."""
    return _ANON.sub("", unicodedata.normalize("NFKC", label).strip())


_COMMITTEE = re.compile(r"(党工委|工委|党委|党组)$")


def body_key(label: str) -> str:
    """The body a unit label names, without its Party committee: 中共岳麓高新技术产业开发区
    工作委员会 and 岳麓高新区 → 岳麓高新区 (via :func:`pipeline.link.unit_key`)."""
    from .link import unit_key

    return _COMMITTEE.sub("", unit_key(label)) if label else ""


# every substring of a boilerplate word ("" too, as ``"" in w`` is true): a set lookup per
# n-gram, where a scan of the word list per n-gram was 0.4 s of the pass at 250 bulletins
_BOILERPLATE_PARTS = frozenset(w[i:j] for w in BOILERPLATE for i in range(len(w) + 1) for j in range(i, len(w) + 1))


def _is_boilerplate(gram: str) -> bool:
    """Whether ``gram`` lies inside a boilerplate word (``any(gram in w for w in BOILERPLATE)``)."""
    return gram in _BOILERPLATE_PARTS


_FIGURE = re.compile(r"(\d+(?:\.\d+)?)(%|万元|亿元|元|个|人|家|套|亩|项|次|宗|条|所|件|名|平方公里|公里|km)")


def figures(text: str) -> frozenset[str]:
    """Figures with a unit of measure (32%, 18项, 725人); years and dates are not figures."""
    return frozenset(n + u for n, u in _FIGURE.findall(unicodedata.normalize("NFKC", text or "")))


# texts whose n-grams are found in one numpy pass: 20,000 made this pass the peak of a
# 1,000-bulletin build (+290 MiB) and was slower (7.1 s against 6.2 s for 5,000)
FEATURE_CHUNK = 5_000
_EXPAND = 1 << 18  # candidate postings expanded at a time (~10 temporaries of 2 MB each)
_CODES_HELD = 1 << 22  # candidate pair codes held before their duplicates are merged away
_POSTINGS_AT_ONCE = 1 << 21  # the candidate search's postings at a time (a slice of the key space)
_SCAN = 1 << 20  # n-gram ids scanned at once (counted, or searched for a slice's postings)
PAIR_CHUNK = 2_000  # candidate pairs whose shared n-grams are found at once (transient ~16 MB)


def _fsums(vals: list[float], bounds: list[int]) -> list[float]:
    """``math.fsum(vals[bounds[k] : bounds[k + 1]])`` for each ``k``."""
    fsum = math.fsum
    return [fsum(vals[bounds[k] : bounds[k + 1]]) for k in range(len(bounds) - 1)]


def _idf(df: int, n: int) -> float:
    return math.log((n + 1) / (df + 1)) + 1.0


def _id_type(size: int) -> type:
    """The smallest array type for ids of a vocabulary of ``size``: uint16 up to 65,536 (the
    n-gram spaces of 10,000 bulletins have 741–38,607 features; half the memory of int32)."""
    return np.uint16 if size <= 1 << 16 else np.int32


class _Space:
    """IDF-weighted binary vectors of one kind of feature (n-grams, characters …) over a corpus.

    Each item's features are kept as a sorted array of vocabulary ids (uint16 or int32:
    :func:`_id_type`; the vocabulary in string order, so id order is string order), not as a set of strings: at
    10,000 bulletins the four spaces of 180,000 problems took ~5 GB as frozensets and take a
    tenth of that as arrays. All items' arrays are one (``flat``, item ``k``'s ids at
    ``off[k]:off[k + 1]``): an array object per item and space was ~80 MB at 10,000
    bulletins. Weighted sums are ``math.fsum`` (exactly rounded, so they do not depend on the
    order a set happens to iterate in: the same input gives the same scores in every process).
    """

    def __init__(self, sets: Iterable[Iterable[str]], factor: float = 1.0, is_boiler=None):
        """The space of the given feature sets (one per item). The scorer uses
        :meth:`of_texts`, which the tests hold to this definition."""
        ids_of: dict[str, int] = {}
        raw = []
        for s in sets:
            raw.append(np.fromiter((ids_of.setdefault(g, len(ids_of)) for g in s), dtype=np.int32))
        grams = list(ids_of)
        del ids_of
        order = sorted(range(len(grams)), key=grams.__getitem__)
        rank = np.empty(len(grams), dtype=np.int32)
        rank[order] = np.arange(len(grams), dtype=np.int32)
        ids = [np.sort(rank[a]) for a in raw]
        off = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, ids), np.int64, len(ids)), out=off[1:])
        flat = np.concatenate(ids) if ids else np.zeros(0, np.int32)
        self._weigh([grams[k] for k in order], flat.astype(_id_type(len(grams))), off, factor, is_boiler)

    @classmethod
    def of_texts(
        cls, texts: Sequence[str], sizes: tuple[int, ...], numbers: bool, factor: float = 1.0, is_boiler=None,
        ref: SpaceStats | None = None,
    ) -> _Space:
        """The space of :func:`ngrams` (``numbers``) or :func:`chars` (``sizes=(1,)``) of
        ``texts``: the same features, ids and weights as ``_Space(ngrams(t) for t in texts)``
        (``ref``: weighed by a reference's document frequencies instead of these texts'),
        with the n-grams found by numpy over the code points of :data:`FEATURE_CHUNK` texts at
        a time (the Python loop over every n-gram was most of the scorer's set-up; the
        per-occurrence arrays of all texts at once would be GBs at 10,000 bulletins)."""
        n = len(texts)

        def chunk_codes(a: int) -> tuple[list[str], np.ndarray, np.ndarray]:
            """A chunk's normalised texts, its local vocabulary (sorted n-gram keys) and its
            distinct (text, local id) codes."""
            norm = [unicodedata.normalize("NFKC", t or "") for t in texts[a : a + FEATURE_CHUNK]]
            dk, kk = gram_keys(norm, sizes)
            vc = distinct(kk)
            codes = dk * max(len(vc), 1) + np.searchsorted(vc, kk)
            del dk, kk
            if len(codes) and int(codes.max()) < 2**31:  # half the size to sort
                codes = codes.astype(np.int32)
            return norm, vc, distinct(codes)

        # two passes over the chunks: the vocabulary first, then each chunk's ids (its
        # n-grams found again). Holding every chunk's codes until the vocabulary was known
        # was this set-up's peak (~110 MB over the spaces at 10,000 bulletins).
        vocab = np.zeros(0, np.int64)
        extra: dict[str, int] = {}  # "#number" token -> its index after the n-grams
        numbers_of = []  # each chunk's (text, number token) as two arrays (a tuple each was ~60 MB)
        for a in range(0, n, FEATURE_CHUNK):
            norm, vc, _ = chunk_codes(a)
            vocab = distinct(np.concatenate([vocab, vc.astype(np.int64, copy=False)]))
            nums = [(i, extra.setdefault("#" + m, len(extra))) for i, t in enumerate(norm) for m in _NUM.findall(t)] if numbers else []
            numbers_of.append(tuple(np.array(x, dtype=np.int64) for x in zip(*nums)) if nums else None)
        grams = [unpack(k) for k in vocab.tolist()] + list(extra)
        order = sorted(range(len(grams)), key=grams.__getitem__)  # ids in string order
        rank = np.empty(len(grams), dtype=np.int64)
        rank[order] = np.arange(len(grams), dtype=np.int64)
        v = max(len(grams), 1)
        pieces: list[np.ndarray] = []  # each chunk's ids, its items' in turn
        lengths: list[np.ndarray] = []  # each chunk's items' numbers of ids
        df = np.zeros(len(grams), dtype=np.int64)
        for k, a in enumerate(range(0, n, FEATURE_CHUNK)):
            _, vc, codes = chunk_codes(a)
            nums = numbers_of[k]
            m = min(FEATURE_CHUNK, n - a)
            vcn = max(len(vc), 1)
            gid = np.searchsorted(vocab, vc)[codes % vcn] if len(vc) else np.zeros(0, np.int64)
            doc = (codes // vcn).astype(np.int64)
            del codes
            if nums is not None:
                nd, nk = nums
                doc, gid = np.concatenate([doc, nd]), np.concatenate([gid, nk + len(vocab)])
            mine = distinct(doc * v + rank[gid])  # (text, id in string order), each once, sorted
            del doc, gid
            bounds = np.searchsorted(mine, np.arange(m + 1, dtype=np.int64) * v)
            local = (mine % v).astype(_id_type(len(grams)))
            del mine
            df += np.bincount(local, minlength=len(grams))
            pieces.append(local)
            lengths.append(np.diff(bounds))
        off = np.zeros(n + 1, dtype=np.int64)
        if lengths:
            np.cumsum(np.concatenate(lengths), out=off[1:])
        # one array of all ids, the chunks' copied in and let go one by one (never all twice)
        flat = np.empty(int(off[-1]), dtype=_id_type(len(grams)))
        at = 0
        for k, piece in enumerate(pieces):
            pieces[k] = None
            flat[at : at + len(piece)] = piece
            at += len(piece)
        space = cls.__new__(cls)
        space._weigh([_intern(grams[k]) for k in order], flat, off, factor, is_boiler, df, ref)
        return space

    def _weigh(
        self, grams: list[str], flat: np.ndarray, off: np.ndarray, factor: float, is_boiler, df: np.ndarray | None = None,
        ref: SpaceStats | None = None,
    ) -> None:
        """``df``: each id's number of items, when the caller counted them (else counted here).
        ``ref``: the document frequencies and item count weights are computed from (default:
        these items')."""
        self.grams: list[str] = grams  # id -> n-gram, in string order
        self.flat = flat  # every item's ids, sorted within each item (uint16 or int32: _id_type)
        self.off = off  # item k's ids are flat[off[k] : off[k + 1]]
        n = len(off) - 1
        if ref is not None:
            df, n = ref.lookup(grams), ref.n
        elif df is None:
            df = np.bincount(flat, minlength=len(grams)) if len(flat) else np.zeros(len(grams), np.int64)
        self.df = df
        self.n_counted = n  # the items df counts (the reference's, when weighed by one)
        w = [_idf(int(d), n) * (factor if is_boiler and is_boiler(g) else 1.0) for g, d in zip(self.grams, self.df.tolist())]
        self.w = np.array(w, dtype=np.float64)
        self.w2 = self.w * self.w
        # Python floats in C arrays (a float object each was ~45 MB at 10,000 bulletins)
        self.sums = array("d", self._row_fsums(self.w))
        self.norms = array("d", map(math.sqrt, self._row_fsums(self.w2)))

    def _row_fsums(self, weights: np.ndarray) -> list[float]:
        """Each item's ``math.fsum`` of ``weights`` over its ids, ~1M ids at a time."""
        off, n, out = self.off.tolist(), len(self.off) - 1, []
        a = 0
        while a < n:
            b = max(a + 1, int(np.searchsorted(self.off, off[a] + (1 << 20), side="right")) - 1)
            b = min(b, n)
            base = off[a]
            out.extend(_fsums(weights[self.flat[base : off[b]]].tolist(), [o - base for o in off[a : b + 1]]))
            a = b
        return out

    @property
    def ids(self) -> list[np.ndarray]:
        """Each item's ids (views of :attr:`flat`; for reports and tests)."""
        flat, off = self.flat, self.off.tolist()
        return [flat[off[k] : off[k + 1]] for k in range(len(off) - 1)]

    def ids_of(self, i: int) -> np.ndarray:
        return self.flat[self.off[i] : self.off[i + 1]]

    def grams_of(self, i: int) -> frozenset[str]:
        """Item ``i``'s features as strings (for reports; the scores never need them)."""
        return frozenset(self.grams[k] for k in self.ids_of(i).tolist())

    def gather(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(each item's number of ids, their ids one item after the other) of ``items``."""
        starts = self.off[items]
        lens = self.off[items + 1] - starts
        idx = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(int(lens.sum()), dtype=np.int64)
        return lens, self.flat[idx]

    def weight(self, gram: str) -> float:
        k = bisect.bisect_left(self.grams, gram)
        return float(self.w[k]) if k < len(self.grams) and self.grams[k] == gram else 0.0

    def shared(self, i: int, j: int) -> np.ndarray:
        """The ids two items share (both arrays sorted and duplicate-free)."""
        a, b = self.ids_of(i), self.ids_of(j)
        if len(a) > len(b):
            a, b = b, a
        if not len(a):  # the shorter one
            return a
        pos = np.searchsorted(b, a)
        pos[pos == len(b)] = 0
        return a[b[pos] == a]

    def shared_weight(self, i: int, j: int) -> float:
        return math.fsum(self.w[self.shared(i, j)].tolist())

    def shared_sums(self, left: Sequence[int], right: Sequence[int], *weights: np.ndarray) -> list[list[float]]:
        """For each pair ``(left[k], right[k])`` and each of ``weights`` (:attr:`w`,
        :attr:`w2`): the sum of the weights of the ids the two items share, by ``math.fsum``
        (exactly what :meth:`shared_weight` and :meth:`cosine` sum), found for all pairs at
        once.

        Each side's ids numbered by pair (``pair × vocabulary + id``) are sorted already
        (pairs in turn, an item's ids sorted), so one ``searchsorted`` finds the shared ids of
        every pair: no numpy calls per pair (they were most of the scorer's time)."""
        m = len(left)
        if not m:
            return [[] for _ in weights]
        la, flat_a = self.gather(np.asarray(left, dtype=np.int64))
        lb, flat_b = self.gather(np.asarray(right, dtype=np.int64))
        if not len(flat_a) or not len(flat_b):
            return [[0.0] * m for _ in weights]
        v = len(self.grams)
        pair_b = np.repeat(np.arange(m, dtype=np.int64), lb)
        codes_a = np.repeat(np.arange(m, dtype=np.int64) * v, la) + flat_a
        codes_b = pair_b * v + flat_b
        pos = np.searchsorted(codes_a, codes_b)
        pos[pos == len(codes_a)] = 0
        hit = codes_a[pos] == codes_b
        got = flat_b[hit]
        bounds = np.searchsorted(pair_b[hit], np.arange(m + 1, dtype=np.int64)).tolist()
        return [_fsums(w[got].tolist(), bounds) for w in weights]

    def cosine(self, i: int, j: int, shared2: float | None = None) -> float:
        """``shared2``: the shared squared weights when known (:meth:`shared_sums`)."""
        if not self.norms[i] or not self.norms[j]:
            return 0.0
        if shared2 is None:
            shared2 = math.fsum(self.w2[self.shared(i, j)].tolist())
        return shared2 / (self.norms[i] * self.norms[j])

    def containment(self, i: int, j: int, shared: float | None = None) -> float:
        """Weighted overlap coefficient: how much of the lighter vector the other covers."""
        lo = min(self.sums[i], self.sums[j])
        if not lo:
            return 0.0
        return (self.shared_weight(i, j) if shared is None else shared) / lo

    def coverage(self, i: int, j: int, shared: float | None = None) -> float:
        """How much of vector ``i``'s weight vector ``j`` covers."""
        if not self.sums[i]:
            return 0.0
        return (self.shared_weight(i, j) if shared is None else shared) / self.sums[i]

    def overlap(self, i: int, j: int, direction: int, shared: float | None = None) -> float:
        """Coverage of the summarising side when known (``direction`` +1: ``i`` summarises
        ``j``; -1: ``j`` summarises ``i``), else the symmetric containment. ``shared``: the
        shared weight when known (:meth:`shared_sums`)."""
        if direction > 0:
            return self.coverage(i, j, shared)
        if direction < 0:
            return self.coverage(j, i, shared)
        return self.containment(i, j, shared)

    def stats(self) -> SpaceStats:
        """The space's n-grams, document frequencies and item count (as a reference holds them)."""
        return SpaceStats(np.array(self.grams, dtype=str), np.asarray(self.df, np.int64), self.n_counted)

    def heaviest(self, i: int, k: int) -> np.ndarray:
        """Item ``i``'s ``k`` heaviest ids shared with at least one other item (of the
        reference, when weighed by one), ties by string."""
        a = self.ids_of(i)
        a = a[self.df[a] >= 2]
        return a[np.lexsort((a, -self.w[a]))[:k]]


_measures_text = Item.measures_text.fget


class Scorer:
    """IDF statistics of a corpus of items and the pair score over them. ``reference``: the
    statistics pinned by a reference (:mod:`pipeline.reference`), by space name, instead of
    these items'."""

    SPACES = SAME_ISSUE_SPACES

    def __init__(self, items: list[Item], params: Params = DEFAULT, reference: dict[str, SpaceStats] | None = None):
        self.params = params
        self.items = items
        bf = params.boilerplate_factor
        ref = reference or {}
        text = [it.text for it in items]
        self.text = _Space.of_texts(text, (2, 3), True, bf, _is_boilerplate, ref=ref.get("text"))
        self.chars = _Space.of_texts(text, (1,), False, ref=ref.get("chars"))
        self.category = _Space.of_texts([it.category for it in items], (2, 3), True, bf, _is_boilerplate, ref=ref.get("category"))
        self.measures = _Space.of_texts(MadeAsRead(items, _measures_text), (2, 3), True, bf, _is_boilerplate, ref=ref.get("measures"))
        one: dict[frozenset, frozenset] = {}  # equal sets as one object (most are empty or repeat)
        self.figures = [one.setdefault(f, f) for f in map(figures, text)]

    def stats(self) -> dict[str, SpaceStats]:
        """Each space's statistics, as :mod:`pipeline.reference` stores them."""
        return {name: getattr(self, name).stats() for name in self.SPACES}

    # -- blocking --

    def key_ids(self, i: int) -> np.ndarray:
        """Item ``i``'s blocking keys: its heaviest n-grams (IDF × boilerplate factor; shared
        with at least one other problem) of its text as their text ids ``k``, then of its
        measures as ``len(text vocabulary) + k`` (one key space); ties by string."""
        p = self.params
        t = self.text.heaviest(i, p.keys_per_item).astype(np.int64)
        m = self.measures.heaviest(i, p.measure_keys_per_item).astype(np.int64) + len(self.text.grams)
        return np.concatenate([t, m])

    def blocking_keys(self, i: int) -> list[str]:
        """:meth:`key_ids` as n-grams (measures' prefixed ``m:``), for reports."""
        nt = len(self.text.grams)
        return [self.text.grams[k] if k < nt else "m:" + self.measures.grams[k - nt] for k in self.key_ids(i).tolist()]

    def candidates(self) -> list[tuple[int, int]]:
        """:meth:`candidate_pairs` as a list of ``(i, j)``."""
        left, right = self.candidate_pairs()
        return list(zip(left.tolist(), right.tolist()))

    def candidate_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Index pairs ``(left[k], right[k])``, ``left[k] < right[k]``, sorted, of different bulletins of one of their
        :func:`scope_groups` where one problem holds a blocking key of the other.

        Each problem probes an inverted index of its group(s) with its own keys, so a pair is
        found when *either* side's rarest n-grams occur in the other (a key list of fixed length
        per problem, postings longer than ``df_cap`` skipped: linear in the corpus size).
        Keys are :meth:`key_ids`. The index is a sorted array of (group, key, item) codes probed
        with ``searchsorted``, not a dict of tuples (10,000 bulletins: the pass's peak 10.9 →
        9.1 GB), one scope column at a time (its transient at 10,000: ~1.0 → ~0.6 GB) and one
        slice of the key space at a time (:meth:`_postings`, :meth:`_pairs_of`; 297 → 115 MiB).
        """
        n = len(self.items)
        none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        if n < 2:
            return none
        nt = len(self.text.grams)
        space = nt + len(self.measures.grams)  # the key space of key_ids
        small = np.int32 if max(space, n) < 2**31 else np.int64  # int32 until coded: half the size
        # each item's keys (key_ids) in one array, -1 after them:
        # 180,000 small arrays were ~45 MB at 10,000 bulletins
        held = np.full((n, self.params.keys_per_item + self.params.measure_keys_per_item), -1, dtype=small)
        for i in range(n):
            k = self.key_ids(i)
            held[i, : len(k)] = k
        filled = held >= 0
        q_item = np.repeat(np.arange(n, dtype=small), filled.sum(axis=1))
        q_key = held[filled]  # row by row: each item's text keys, then its measures'
        del held, filled
        wanted = np.zeros(space, dtype=bool)
        wanted[q_key] = True
        # the queries in key order: a slice of the key space is a range of them
        order = np.argsort(q_key, kind="stable")
        q_key, q_item = q_key[order], q_item[order]
        del order
        gid: dict[str, int] = {}
        groups = np.array([[gid.setdefault(g, len(gid)) for g in scope_groups(it)] for it in self.items], dtype=np.int64)
        bulletin: dict[str, int] = {}
        bul = np.array([bulletin.setdefault(it.bulletin, len(bulletin)) for it in self.items], dtype=np.int64)
        if len(gid) * space * n >= 2**63:
            raise OverflowError(f"same-issue blocking: {n:,} problems in {len(gid):,} groups overflow its 64-bit codes")
        spaces = ((self.text, 0), (self.measures, nt))
        # the postings (each item's features that are some item's key) a slice of the key
        # space at a time, each slice about _POSTINGS_AT_ONCE of them: all 8M at once, with
        # their codes and the queries' arrays, were ~300 MB at 10,000 bulletins
        count = np.zeros(space, np.int64)
        for sp, shift in spaces:  # (bincount makes its input intp: a chunk at a time)
            for c0 in range(0, len(sp.flat), _SCAN):
                count[shift : shift + len(sp.grams)] += np.bincount(sp.flat[c0 : c0 + _SCAN], minlength=len(sp.grams))
        count[~wanted] = 0
        ends = np.cumsum(count)
        del count
        if not len(ends) or not ends[-1]:
            return none
        cuts = np.searchsorted(ends, np.arange(_POSTINGS_AT_ONCE, int(ends[-1]), _POSTINGS_AT_ONCE), side="right")
        bounds = np.unique(np.concatenate([[0], cuts, [space]])).tolist()
        codes: list[np.ndarray] = []
        for k0, k1 in zip(bounds, bounds[1:]):
            size = int(ends[k1 - 1] - (ends[k0 - 1] if k0 else 0))
            qa, qb = np.searchsorted(q_key, [k0, k1]).tolist()
            if not size or qa == qb:
                continue
            post_key, post_item = self._postings(k0, k1, size, wanted, spaces, small)
            codes = self._pairs_of(codes, post_key, post_item, q_key[qa:qb], q_item[qa:qb], groups, bul, space)
            del post_key, post_item
        del q_item, q_key
        if not codes:
            return none
        pairs = np.unique(np.concatenate(codes))
        del codes
        return pairs // n, pairs % n

    def _postings(self, k0: int, k1: int, size: int, wanted: np.ndarray, spaces, small) -> tuple[np.ndarray, np.ndarray]:
        """(key, item) of every feature of an item whose key id is in ``[k0, k1)`` and is some
        item's key (``size`` of them): the spaces' flat ids scanned a chunk at a time."""
        post_key, post_item = np.empty(size, small), np.empty(size, small)  # filled in place
        at = 0
        for sp, shift in spaces:
            lo, hi = max(k0, shift), min(k1, shift + len(sp.grams))
            if lo >= hi:
                continue
            sel = np.zeros(len(sp.grams), dtype=bool)
            sel[lo - shift : hi - shift] = wanted[lo:hi]
            for c0 in range(0, len(sp.flat), _SCAN):
                chunk = sp.flat[c0 : c0 + _SCAN]
                kept = np.flatnonzero(sel[chunk])
                m = len(kept)
                np.add(chunk[kept], shift, out=post_key[at : at + m], dtype=small)  # not in uint16
                kept += c0
                post_item[at : at + m] = np.searchsorted(sp.off[1:], kept, side="right")  # the item of each
                at += m
        return post_key, post_item

    def _pairs_of(
        self, codes: list, post_key, post_item, q_key, q_item, groups: np.ndarray, bul: np.ndarray, space: int
    ) -> list[np.ndarray]:
        """``codes`` and the pair codes (``min * n + max``) the queries ``q_key``/``q_item``
        find in the postings ``post_key``/``post_item`` (of their slice of the key space),
        each scope column in turn; duplicates merged away when they pile up."""
        n = len(self.items)
        for c in range(groups.shape[1]):  # one scope column at a time (half the postings)
            # a posting is one sorted code: (group, key) then item, as a stable sort by
            # (group, key) would order them; a key's postings are the codes in
            # [(group, key) * n, (group, key) * n + n)
            post = groups[post_item, c]  # int64 (groups is), then coded in place: one array
            post *= space
            post += post_key
            post *= n
            post += post_item
            post.sort()
            qk = groups[q_item, c]  # each query's first possible code, in place as above
            qk *= space
            qk += q_key
            qk *= n
            lo = np.searchsorted(post, qk, side="left")
            qk += n
            length = np.searchsorted(post, qk, side="left")
            del qk
            length -= lo
            keep = (length > 0) & (length <= self.params.df_cap)
            lo = lo[keep]  # one array at a time
            length = length[keep]
            qi = q_item[keep].astype(np.int64)
            del keep
            if not len(qi):
                continue
            # the postings of the queries, expanded _EXPAND entries at a time (bounded memory)
            ends = np.cumsum(length)
            cuts = np.searchsorted(ends, np.arange(_EXPAND, int(ends[-1]), _EXPAND), side="right")
            for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(qi)]):
                ln = length[a:b]
                at = np.repeat(lo[a:b] - np.cumsum(ln) + ln, ln) + np.arange(int(ln.sum()))
                i, j = np.repeat(qi[a:b], ln), post[at] % n
                ok = bul[i] != bul[j]
                i, j = i[ok], j[ok]
                codes.append(np.unique(np.minimum(i, j) * n + np.maximum(i, j)))
                del at, i, j, ok
                if sum(map(len, codes)) > _CODES_HELD:  # the same pair found again and again
                    codes = [np.unique(np.concatenate(codes))]
            del post, qi, lo, length, ends, cuts
        if len(codes) > 1:
            codes = [np.unique(np.concatenate(codes))]
        return codes

    # -- scoring --

    def features_of(self, lefts: Sequence[int], rights: Sequence[int]) -> Iterator[tuple[int, int, dict[str, float]]]:
        """``(i, j, features(i, j))`` of each pair ``(lefts[k], rights[k])``, the same values, the
        shared n-grams of :data:`PAIR_CHUNK` pairs found at a time (:meth:`_Space.shared_sums`)."""
        for a in range(0, len(lefts), PAIR_CHUNK):
            left, right = _ints(lefts[a : a + PAIR_CHUNK]), _ints(rights[a : a + PAIR_CHUNK])
            text, text2 = self.text.shared_sums(left, right, self.text.w, self.text.w2)
            (chars,) = self.chars.shared_sums(left, right, self.chars.w)
            (measures,) = self.measures.shared_sums(left, right, self.measures.w)
            (category2,) = self.category.shared_sums(left, right, self.category.w2)
            for k, (i, j) in enumerate(zip(left, right)):
                yield i, j, self.features(i, j, (text[k], text2[k], chars[k], measures[k], category2[k]))

    def features(self, i: int, j: int, shared: tuple[float, ...] | None = None) -> dict[str, float]:
        """The signals of a pair: similarities in [0, 1], agreements in {-1, 0, 1}.
        ``shared``: the pair's shared weights when known (see :meth:`features_of`)."""
        st, st2, sc, sm, scat2 = shared if shared is not None else (None,) * 5
        ia, ib = self.items[i], self.items[j]
        theme = 0.0
        if ia.themes and ib.themes:
            theme = 1.0 if ia.themes & ib.themes else -1.0
        unit = 0.0
        if ia.units and ib.units and {unit_kind(u) for u in ia.units} & {unit_kind(u) for u in ib.units}:
            unit = 1.0
        # a main-bulletin problem that names the body issuing the attachment (岳麓高新区 …)
        d = direction(ia, ib)
        summary, detail = (ia, ib) if d > 0 else (ib, ia) if d < 0 else (None, None)
        if (
            summary is not None
            and detail.publisher_label
            and body_key(detail.publisher_label) in {body_key(u) for u in summary.units}
        ):
            unit = 1.0
        fig = 0.0
        if self.figures[i] and self.figures[j]:
            fig = 1.0 if self.figures[i] & self.figures[j] else -1.0
        return {
            "cosine": self.text.cosine(i, j, st2),
            "containment": self.text.overlap(i, j, d, st),
            "chars": self.chars.overlap(i, j, d, sc),
            "measures": self.measures.overlap(i, j, d, sm),
            "category": self.category.cosine(i, j, scat2),
            "theme": theme,
            "unit": unit,
            "figures": fig,
            "scope": float(scope(ia, ib)),
            "direction": float(d),
            "recurs": float(ia.recurs or ib.recurs),
        }

    def combine(self, f: dict[str, float]) -> float:
        """The score of a pair's signals, clamped to [0, 1] and rounded to 3 places.

        Content evidence E = max(gated text evidence, measure evidence); agreements (themes,
        units, figures, scope, category) corroborate it and add at most E again, so they never
        link two problems on their own; disagreements subtract. Problems of different bodies
        (scope -1) stay below the threshold whatever their wording.
        """
        p = self.params
        t = p.w_cosine * f["cosine"] + p.w_containment * f["containment"] + p.w_chars * f["chars"]
        text = max(0.0, (t - p.text_gate) / (1.0 - p.text_gate))
        measures = p.w_measures * f["measures"] + p.measure_text * t
        if not f["direction"] and not (f.get("recurs") and t >= p.recur_text_floor):
            measures *= p.measures_across
        evidence = max(text, measures)
        fig_w = p.figure_weight if f["direction"] else p.figure_weight_rounds
        plus = p.w_category * f["category"] + p.unit_bonus * f["unit"]
        minus = 0.0
        for value, bonus, penalty in (
            (f["theme"], p.theme_bonus, p.theme_penalty),
            (f["figures"], fig_w, fig_w),
            (f["scope"], p.scope_bonus, p.scope_penalty),
        ):
            if value > 0:
                plus += bonus * value
            else:
                minus -= penalty * value
        s = evidence + min(plus, evidence) - minus
        if f["scope"] < 0:
            s = min(s, p.other_body_cap)
        return round_score(s)

    def method(self, f: dict[str, float]) -> str:
        """The signals that took part in a pair's score, e.g. ``char-ngram+theme+unit+scope``."""
        parts = ["char-ngram"]
        for name in ("measures", "theme", "unit", "figures", "category"):
            if f[name] and getattr(self.params, _WEIGHT_OF[name]):
                parts.append(name)
        parts.append("scope")
        return "+".join(parts)

    def score(self, i: int, j: int) -> float:
        return self.combine(self.features(i, j))


_WEIGHT_OF = {"measures": "w_measures", "theme": "theme_bonus", "unit": "unit_bonus", "figures": "figure_weight", "category": "w_category"}


def _ints(xs) -> list[int]:
    return xs.tolist() if isinstance(xs, np.ndarray) else [int(x) for x in xs]


def round_score(x: float) -> float:
    """Clamp to [0, 1] and round to 3 decimals (the value written to the graph)."""
    return float(f"{min(1.0, max(0.0, x)):.3f}")


def scope(a: Item, b: Item) -> int:
    """+1: one bulletin is part of the other, or both have one publisher (rounds of a unit);
    -1: sibling attachments or unrelated publishers (findings about different bodies);
    0: not enough to tell (a publisher unknown)."""
    if (a.parent and a.parent == b.bulletin) or (b.parent and b.parent == a.bulletin):
        return 1
    if a.publisher and a.publisher == b.publisher:
        return 1
    if a.parent and a.parent == b.parent:
        return -1
    if a.publisher and b.publisher:
        return -1
    return 0


def scope_groups(it: Item) -> tuple[str, ...]:
    """The groups within which a problem is compared (blocking): its compound file (the main
    bulletin and its attachments) and its publisher's bulletins (its unit's rounds). Problems
    of different bodies can never reach the threshold (:func:`scope`), so they are not paired;
    a problem whose bulletin names no publisher is compared with every other such problem."""
    family = "f:" + (it.parent or it.bulletin)
    return (family, "p:" + it.publisher) if it.publisher else (family, "*")


def direction(a: Item, b: Item) -> int:
    """+1 when ``a`` is in the main bulletin that ``b``'s bulletin is attached to (``a``'s
    statement summarises ``b``'s), -1 the other way round, 0 otherwise."""
    if b.parent and b.parent == a.bulletin:
        return 1
    if a.parent and a.parent == b.bulletin:
        return -1
    return 0


def link_problems(
    items: Iterable[Item], params: Params = DEFAULT, reference: dict[str, SpaceStats] | None = None, fitted: dict | None = None
) -> list[Link]:
    """Score the blocked candidate pairs of ``items``; the links at or above ``params.floor``.

    Pure and deterministic: items are sorted by id first, links come sorted by (source,
    target). Two problems of one bulletin are never paired. ``reference``: pinned statistics
    (:class:`Scorer`); ``fitted``: a dict that receives the statistics used as
    ``fitted["same_issue"]``.
    """
    items = sorted(items, key=lambda it: it.id)
    sc = Scorer(items, params, reference)
    if fitted is not None:
        fitted["same_issue"] = reference if reference is not None else sc.stats()
    # the statements and measure texts are in the scorer's spaces now, and the pair features
    # read the rest: their copies here go (~90 MB at 10,000 bulletins, held through the
    # search and the scoring). The caller's items are not touched.
    items[:] = [replace(it, text="", measures="") for it in items]
    links = []
    for i, j, f in sc.features_of(*sc.candidate_pairs()):
        s = sc.combine(f)
        if s < params.floor:
            continue
        a, b = sorted((items[i].id, items[j].id))
        links.append(Link(a, b, s, sc.method(f), s >= params.threshold))
    links.sort(key=lambda lk: (lk.source, lk.target))
    return links


# --- graph pass --------------------------------------------------------------------------------


def items_from_graph(g: Graph) -> list[Item]:
    """The problems of the graph as :class:`Item` records (sorted by IRI)."""
    top = set(g.subjects(SKOS.topConceptOf, None))
    out = []
    # the values problems share (their bulletin, publisher, category, themes …) as one object
    # each: at 10,000 bulletins separate copies were ~160 of the items' ~440 MB
    shared: dict = {}

    def one(v):
        return shared.setdefault(v, v)

    for p in sorted(set(g.subjects(RDF.type, XS.Problem))):
        text = g.value(p, XS.text)
        b = g.value(p, XS.inBulletin)
        if text is None or b is None:
            continue
        cat = g.value(p, XS.inCategory)
        cat_label = g.value(cat, RDFS.label) if cat is not None else None
        units = set()
        for u in g.objects(p, XS.concernsUnit):
            label = g.value(u, SKOS.prefLabel) or g.value(u, RDFS.label)
            if label is not None:
                units.add(str(label))
        themes = frozenset(str(t) for t in g.objects(p, XS.theme) if t not in top)
        parent = g.value(b, DCTERMS.isPartOf)
        publisher = g.value(b, DCTERMS.publisher)
        pub_label = g.value(publisher, SKOS.prefLabel) if publisher is not None else None
        # the graph's own literals, joined as the scorer reads them (one string each was
        # ~60 MB at 10,000 bulletins)
        measures = sorted(
            ((int(g.value(m, XS.position) or 0), g.value(m, XS.text) or "") for m in g.subjects(XS.addresses, p)),
            key=lambda pt: (pt[0], str(pt[1])),
        )
        out.append(
            Item(
                str(p),
                one(str(b)),
                # the graph's own literal (a str), not a copy: the scorer reads it once and the
                # linker lets it go, but 180,000 freed copies stayed in the heap (~45 MB)
                text,
                one(themes),
                one(frozenset(units)),
                one(str(cat_label or "")),
                one(str(parent or "")),
                one(str(publisher or "")),
                tuple(t for _, t in measures),
                one(str(pub_label or "")),
                (p, XS.recurrenceCue, None) in g or (p, XS.previouslyRaisedIn, None) in g,
            )
        )
    return out


def link_iri(source: str, target: str) -> URIRef:
    """The ``xs:IssueLink`` IRI of an ordered pair (as the decisions pass mints it too)."""
    return XR[stable_id("issuelink", source, target)]


def add_links(g: Graph, links: list[Link]) -> None:
    """Emit ``xs:IssueLink`` nodes and, for links at the threshold, ``xs:sameIssueAs``."""
    add = adder(g)
    for lk in links:
        s, t = URIRef(lk.source), URIRef(lk.target)
        node = link_iri(lk.source, lk.target)
        add((node, RDF.type, XS.IssueLink))
        add((node, XS.source, s))
        add((node, XS.target, t))
        g.set((node, XS.score, Literal(f"{lk.score:.3f}", datatype=XSD.decimal)))
        g.set((node, XS.method, Literal(lk.method)))
        if lk.same:
            add((s, XS.sameIssueAs, t))
            add((t, XS.sameIssueAs, s))


@register("same_issue", 30)
def same_issue_pass(g: Graph, ctx: EnrichContext) -> None:
    """Link problems that state the same issue in different bulletins (see module doc)."""
    params = ctx.options.get("same_issue_params", DEFAULT)
    ref = reference_of(ctx.options, "same_issue")
    pinned = ref.same_issue if ref is not None else None
    fitted = ctx.fitted if ctx.options.get("save_reference") else None
    # an iterator, so that the list of items is let go once link_problems has sorted it
    add_links(g, link_problems(iter(items_from_graph(g)), params, pinned, fitted))
