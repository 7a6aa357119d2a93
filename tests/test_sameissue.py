"""Same-issue links (pipeline/sameissue.py): the sample built once, the gold pairs, blocking,
and the normaliser and scorer on short strings."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from conftest import load_bench
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.namespace import RDF

from pipeline import sameissue as si
from pipeline.vocab import XS

ROOT = Path(__file__).resolve().parent.parent

# Reported by bench/eval_same_issue.py on the sample at the default threshold (all gold pairs).
REPORTED_PRECISION = 0.929
REPORTED_RECALL = 0.867
MARGIN = 0.07  # one pair either way (13/14 → 13/15, 13/15 → 12/15)


_load = load_bench  # a bench script as a module


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sample built by the real pipeline (enrich passes, SHACL), once for this module."""
    from pipeline.workflow import run_build

    out = tmp_path_factory.mktemp("sameissue")
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        report = run_build(["corpus"], out, html=False, shacl=True)
    finally:
        os.chdir(old)
    return report


@pytest.fixture(scope="module")
def g(built) -> Graph:
    return built.graph


def problem(g: Graph, pos: int, ordinal: str, prefix: str = ""):
    hits = [
        p
        for p in g.subjects(RDF.type, XS.Problem)
        if str(g.value(p, XS.ordinal)) == ordinal
        and int(g.value(g.value(p, XS.inBulletin), XS.position)) == pos
        and str(g.value(p, XS.text)).startswith(prefix)
    ]
    assert len(hits) == 1, (pos, ordinal, prefix, hits)
    return hits[0]


def links(g: Graph) -> list:
    return sorted(set(g.subjects(RDF.type, XS.IssueLink)))


# --- the sample ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ((0, "55"), (2, "(五)")),  # 干部选拔任用监督信息沟通工作机制不够健全, verbatim
        ((0, "56"), (2, "(十三)")),  # 年轻干部选拔培养 / “年轻干部培养选拔力度不够”
        ((0, "70"), (1, "(二)")),  # “三转不到位” / 落实“三转”仍不到位
        ((0, "49"), (1, "(二)")),  # 某国企纪委书记分管法务、风控等工作, quoted in 1/(二)
        ((0, "66"), (2, "(十二)")),  # 两新 Party committee, same measures
    ],
)
def test_key_restatements_are_linked(g, a, b):
    pa, pb = problem(g, *a), problem(g, *b)
    assert (pa, XS.sameIssueAs, pb) in g
    assert (pb, XS.sameIssueAs, pa) in g


def test_hard_negatives_are_not_linked(g):
    # identical heading 案件办理不规范, two different discipline bodies (sibling attachments)
    assert (problem(g, 1, "(六)"), XS.sameIssueAs, problem(g, 4, "问题28")) not in g
    # shared heading 意识形态工作责任制落实不到位, different findings
    assert (problem(g, 0, "33"), XS.sameIssueAs, problem(g, 2, "(三)")) not in g
    # 房地产 tax share: 32% of the 新区 vs 70% of the park
    assert (problem(g, 0, "4"), XS.sameIssueAs, problem(g, 4, "问题6")) not in g


def test_never_within_one_bulletin(g):
    for lk in links(g):
        s, t = g.value(lk, XS.source), g.value(lk, XS.target)
        assert g.value(s, XS.inBulletin) != g.value(t, XS.inBulletin)
    for a, b in g.subject_objects(XS.sameIssueAs):
        assert g.value(a, XS.inBulletin) != g.value(b, XS.inBulletin)


def test_same_issue_is_symmetric_and_backed_by_a_scored_link(g):
    pairs = set(g.subject_objects(XS.sameIssueAs))
    assert pairs
    for a, b in pairs:
        assert (b, a) in pairs
        s, t = sorted((a, b))
        node = si.link_iri(str(s), str(t))
        assert (node, RDF.type, XS.IssueLink) in g
        assert g.value(node, XS.source) == s and g.value(node, XS.target) == t
        assert float(g.value(node, XS.score)) >= si.THRESHOLD
        methods = list(g.objects(node, XS.method))
        assert len(methods) == 1 and "char-ngram" in str(methods[0])


def test_issue_links_are_candidates_above_the_floor_only(g):
    assert links(g)
    for lk in links(g):
        s, t = g.value(lk, XS.source), g.value(lk, XS.target)
        assert str(s) < str(t)
        assert lk == si.link_iri(str(s), str(t))  # content-derived IRI over the ordered pair
        scores = list(g.objects(lk, XS.score))
        assert len(scores) == 1 and scores[0].datatype is not None and str(scores[0].datatype).endswith("decimal")
        score = float(scores[0])
        assert si.REPORT_FLOOR <= score <= 1.0
        assert len(str(scores[0]).split(".")[-1]) == 3  # rounded to 3 places
        # at the threshold ⇔ sameIssueAs
        assert ((s, XS.sameIssueAs, t) in g) == (score >= si.THRESHOLD)
    near = [lk for lk in links(g) if float(g.value(lk, XS.score)) < si.THRESHOLD]
    assert near, "near-misses are kept for review"
    n = len(set(g.subjects(RDF.type, XS.Problem)))
    assert len(links(g)) < n, "only candidate pairs above the floor, not all pairs"


def test_linked_problems_keep_their_own_status_and_evidence(g):
    a, b = problem(g, 0, "56"), problem(g, 2, "(十三)")
    assert a != b
    for p in (a, b):
        assert len(list(g.objects(p, XS.status))) == 1
        assert list(g.objects(p, XS.evidence))
        assert (p, RDF.type, XS.Problem) in g
    assert set(g.objects(a, XS.evidence)).isdisjoint(set(g.objects(b, XS.evidence)))
    assert set(g.subjects(XS.addresses, a)).isdisjoint(set(g.subjects(XS.addresses, b)))


def test_shacl_conforms(built):
    assert built.shacl["conforms"], built.shacl


def test_gold_precision_and_recall(g):
    ev = _load("eval_same_issue")
    gold = ev.read_gold(g)
    assert sum(gp.same for gp in gold) >= 10 and sum(not gp.same for gp in gold) >= 30
    linked = {(str(a), str(b)) for a, b in g.subject_objects(XS.sameIssueAs) if str(a) < str(b)}
    p, r, *_ = ev.prf(gold, linked)
    assert p >= REPORTED_PRECISION - MARGIN, p
    assert r >= REPORTED_RECALL - MARGIN, r


def test_paraphrase_in_a_later_round_links(g):
    """年轻干部选拔培养还欠缺力度 (this round) / 年轻干部培养选拔力度不够 (next round, same unit)."""
    items = si.items_from_graph(g)
    old = next(it for it in items if not it.parent and it.text.startswith("年轻干部选拔培养"))
    main = next(it for it in items if not it.parent)
    new = si.Item("zz-next", "zz-next-round", "年轻干部培养选拔力度不够。", publisher=main.publisher)
    other = si.Item("zz-other", "zz-other-unit", "年轻干部选拔培养还欠缺力度。", publisher="zz-someone-else")
    got = {(lk.source, lk.target): lk for lk in si.link_problems(items + [new, other])}
    assert got[tuple(sorted((old.id, new.id)))].same
    # the same words from an unrelated unit are another body's problem: never sameIssueAs
    lk = got.get(tuple(sorted((old.id, other.id))))
    assert lk is None or not lk.same


def test_works_without_themes(g):
    items = [replace(it, themes=frozenset()) for it in si.items_from_graph(g)]
    got = {(lk.source, lk.target) for lk in si.link_problems(items) if lk.same}
    a, b = str(problem(g, 0, "55")), str(problem(g, 2, "(五)"))
    assert tuple(sorted((a, b))) in got


# --- blocking --------------------------------------------------------------------------------


def test_candidates_grow_about_linearly():
    bench = _load("bench_link")
    counts = {}
    for n in (500, 2000):
        sc = si.Scorer(sorted(bench.synthetic_items(n), key=lambda it: it.id))
        counts[n] = len(sc.candidates())
    ratio = counts[2000] / counts[500]
    assert counts[500] > 0
    assert ratio < 4 * 1.6, (counts, "4× the problems should give about 4× the candidates, not 16×")
    assert counts[2000] < 2000 * 1999 / 2 / 20  # far from all pairs


def test_blocking_keeps_within_scope_groups():
    items = [
        si.Item("p1", "b1", "某国企纪委书记分管法务、风控等工作。", publisher="u1"),
        si.Item("p2", "b2", "某国企纪委书记分管法务、风控等工作。", publisher="u1"),  # next round
        si.Item("p3", "b3", "某国企纪委书记分管法务、风控等工作。", publisher="u2"),  # other unit
        si.Item("p4", "b1", "某国企纪委书记分管法务工作。", publisher="u1"),  # same bulletin as p1
    ]
    sc = si.Scorer(items)
    pairs = {(items[i].id, items[j].id) for i, j in sc.candidates()}
    assert ("p1", "p2") in pairs and ("p2", "p4") in pairs
    assert ("p1", "p4") not in pairs  # one bulletin
    assert not any("p3" in pair for pair in pairs)  # another body: not even a candidate


# --- normaliser and scorer on short strings --------------------------------------------------


def test_normalise_drops_punctuation_and_quotes():
    assert si.normalise("“三转”不到位,问题。") == "三转不到位问题"
    assert si.normalise("落实\"三转\"仍不到位") == si.normalise("落实“三转”仍不到位")
    assert si.normalise("ＡＢ１２３") == "AB123"  # NFKC


def test_ngrams_stay_within_runs_and_keep_numbers():
    gs = si.ngrams("甲乙,丙丁戊 18项")
    assert {"甲乙", "丙丁", "丁戊", "丙丁戊", "#18"} <= gs
    assert "乙丙" not in gs and "乙,丙" not in gs
    assert si.ngrams("“年轻干部”") == si.ngrams("年轻干部")


def _same_space(a: si._Space, b: si._Space) -> None:
    assert a.grams == b.grams
    assert len(a.ids) == len(b.ids) and all(x.tolist() == y.tolist() for x, y in zip(a.ids, b.ids))
    assert a.w.tolist() == b.w.tolist() and a.sums == b.sums and a.norms == b.norms


TRICKY = [
    "落实“三转”仍不到位,2019年省委巡视指出18项问题,占比32.5%。",
    "",
    "甲",
    "甲\x00乙丙",  # a NUL inside a text: documents are found by length, not by separator
    "ＡＢ１２３丁戊己",  # NFKC: full-width digits become a number token
    "𠀀𠀁丁戊 丁戊丁戊",  # characters beyond the BMP are not Han n-gram material here
    "丁戊己 丁戊己",
    "\ud800丁戊",  # a lone surrogate (a broken source) must not stop the pass
]


def test_vectorised_space_equals_the_set_reference():
    texts = TRICKY + [t[::-1] for t in TRICKY]
    f, boiler = si.DEFAULT.boilerplate_factor, si._is_boilerplate
    _same_space(si._Space.of_texts(texts, (2, 3), True, f, boiler), si._Space((si.ngrams(t) for t in texts), f, boiler))
    _same_space(si._Space.of_texts(texts, (1,), False), si._Space(si.chars(t) for t in texts))
    _same_space(si._Space.of_texts([], (2, 3), True), si._Space([]))


def test_vectorised_space_is_the_same_a_chunk_at_a_time(monkeypatch):
    texts = TRICKY * 3 + ["", "丁戊己"]
    f, boiler = si.DEFAULT.boilerplate_factor, si._is_boilerplate
    whole = si._Space.of_texts(texts, (2, 3), True, f, boiler)
    for chunk in (1, 4, 7):
        monkeypatch.setattr(si, "FEATURE_CHUNK", chunk)
        _same_space(si._Space.of_texts(texts, (2, 3), True, f, boiler), whole)
        _same_space(si._Space.of_texts(texts, (1,), False), si._Space(si.chars(t) for t in texts))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("三转不到位招商引资重轻管甲乙“”,。 0123.4%项\n\x00")), max_size=30), max_size=8))
def test_vectorised_space_equals_the_set_reference_on_any_text(texts):
    f, boiler = si.DEFAULT.boilerplate_factor, si._is_boilerplate
    _same_space(si._Space.of_texts(texts, (2, 3), True, f, boiler), si._Space((si.ngrams(t) for t in texts), f, boiler))
    _same_space(si._Space.of_texts(texts, (1,), False), si._Space(si.chars(t) for t in texts))


def test_chars_ignore_word_order():
    assert si.chars("年轻干部选拔培养") == si.chars("年轻干部培养选拔")


def test_figures_and_units():
    assert si.figures("2019年至2022年,占比均超过32%,协管18项工作") == {"32%", "18项"}
    assert si.unit_kind("个别街道") == si.unit_kind("某街道") == "街道"
    assert si.body_key("中共岳麓高新技术产业开发区工作委员会") == si.body_key("岳麓高新区")


def _corpus(*pairs):
    """Two rounds of one unit (bulletins r1, r2) plus background problems for the IDF."""
    background = [
        "招投标监管不够严格,个别工程项目招投标不够到位。",
        "个别贷款未及时纳入债务监测平台。",
        "干部交流轮岗力度不大。",
        "机关党建工作不够到位。",
        "对人才工作重视不够,人才政策没有连续性。",
        "部分小区未实现雨污分流。",
    ]
    items = [si.Item(f"bg{k}", "bg", t, publisher="u") for k, t in enumerate(background)]
    for k, (a, b) in enumerate(pairs):
        items += [si.Item(f"a{k}", "r1", a, publisher="u"), si.Item(f"b{k}", "r2", b, publisher="u")]
    return items


def _score(items, a="a0", b="b0"):
    sc = si.Scorer(sorted(items, key=lambda it: it.id))
    pos = {it.id: i for i, it in enumerate(sc.items)}
    return sc.score(pos[a], pos[b])


def test_scorer_links_restatements_not_lookalikes():
    assert _score(_corpus(("干部选拔任用监督信息沟通工作机制不够健全。", "干部选拔任用监督信息沟通工作机制不够健全。"))) == 1.0
    para = _score(_corpus(("年轻干部选拔培养还欠缺力度。", "年轻干部培养选拔力度不够。")))
    other = _score(_corpus(("年轻干部选拔培养还欠缺力度。", "干部交流轮岗力度不大。")))
    assert para >= si.THRESHOLD > other


def test_scorer_scope_and_figures():
    same_words = ("案件办理不规范。", "案件办理不规范。")
    items = _corpus(same_words)
    items = [replace(it, publisher="u2") if it.id == "b0" else it for it in items]
    assert _score(items) < si.THRESHOLD  # two bodies: a theme, not an issue
    # one compound file: figures that differ mark two findings
    a = si.Item("a0", "main", "房地产业税占比均超过32%,房地产挤占产业发展空间。", publisher="u")
    b = si.Item("b0", "att", "房地产业税占比超过70%,挤占产业发展空间。", parent="main", publisher="v")
    c = si.Item("c0", "att", "房地产业税占比超过32%,挤占产业发展空间。", parent="main", publisher="v")
    sc = si.Scorer([a, b, c])
    assert sc.features(0, 1)["figures"] == -1 and sc.features(0, 2)["figures"] == 1
    assert sc.score(0, 1) < sc.score(0, 2)


def test_link_problems_is_deterministic_and_pure():
    items = _corpus(("年轻干部选拔培养还欠缺力度。", "年轻干部培养选拔力度不够。"), ("三转不到位问题仍然存在。", "落实三转仍不到位。"))
    one = si.link_problems(items)
    two = si.link_problems(list(reversed(items)))
    assert one == two
    assert all(lk.source < lk.target for lk in one)
    assert all(lk.score == round(lk.score, 3) and 0.0 <= lk.score <= 1.0 for lk in one)
    assert all(lk.same == (lk.score >= si.THRESHOLD) for lk in one)
    assert not any(lk.source.startswith("bg") and lk.target.startswith("bg") for lk in one)  # one bulletin


def _candidates_by_dicts(sc: si.Scorer) -> list[tuple[int, int]]:
    """The blocking as first written, with dicts and sets: the reference for the vectorised one."""
    keys = [sc.blocking_keys(i) for i in range(len(sc.items))]
    index: dict = {}
    for i, it in enumerate(sc.items):
        held = sc.text.grams_of(i) | {"m:" + g for g in sc.measures.grams_of(i)}
        for grp in si.scope_groups(it):
            for g in held:
                index.setdefault((grp, g), []).append(i)
    pairs = set()
    for i, it in enumerate(sc.items):
        for grp in si.scope_groups(it):
            for g in keys[i]:
                post = index.get((grp, g), ())
                if len(post) <= sc.params.df_cap:
                    pairs.update((min(i, j), max(i, j)) for j in post if sc.items[j].bulletin != it.bulletin)
    return sorted(pairs)


def test_vectorised_blocking_equals_the_dict_reference(monkeypatch):
    bench = _load("bench_link")
    items = sorted(bench.synthetic_items(600), key=lambda it: it.id)
    found = {}
    for cap in (3, 200):  # a cap that skips many postings, and the default
        sc = si.Scorer(items, si.Params(df_cap=cap))
        found[cap] = sc.candidates()
        assert found[cap] == _candidates_by_dicts(sc)
        assert all(i < j for i, j in found[cap])
    assert 100 < len(found[3]) < len(found[200])
    # the same pairs with every bound of the search small: postings a slice of the key space
    # at a time (slices across both spaces, single keys over the bound), the flat ids
    # scanned in chunks, the postings expanded and the pair codes merged in small batches
    sc = si.Scorer(items, si.Params(df_cap=200))
    for at_once, scan, expand, held in [(2_000, 5_000, 300, 2_000), (100, 30_000, 7, 50), (40_000, 1_000, 10**6, 10**9)]:
        monkeypatch.setattr(si, "_POSTINGS_AT_ONCE", at_once)
        monkeypatch.setattr(si, "_SCAN", scan)
        monkeypatch.setattr(si, "_EXPAND", expand)
        monkeypatch.setattr(si, "_CODES_HELD", held)
        assert sc.candidates() == found[200], (at_once, scan, expand, held)


def test_batched_pair_features_equal_the_pair_by_pair_ones(monkeypatch):
    bench = _load("bench_link")
    items = sorted(bench.synthetic_items(300), key=lambda it: it.id)
    items += [si.Item(f"zz{k}", f"zzb{k}", t, measures=t[::-1], category=t[:3]) for k, t in enumerate(TRICKY)]
    sc = si.Scorer(items)
    n = len(items)
    # the candidates, every pair of the tricky texts with each other and with the first items,
    # both ways round (left and right play different parts in the search) and repeated
    pairs = sc.candidates() + [(i, j) for i in range(n - len(TRICKY), n) for j in [*range(8), *range(n - len(TRICKY), n)]]
    pairs += [(j, i) for i, j in pairs[:50]] + pairs[:5]
    assert len(sc.candidates()) > 100
    cl, cr = sc.candidate_pairs()
    assert cl.dtype == cr.dtype == np.int64 and list(zip(cl.tolist(), cr.tolist())) == sc.candidates()
    want = [(i, j, sc.features(i, j)) for i, j in pairs]
    left, right = [i for i, _ in pairs], [j for _, j in pairs]
    assert list(sc.features_of(left, right)) == want
    assert list(sc.features_of(np.array(left), np.array(right))) == want
    for chunk in (1, 7):  # the chunking changes nothing
        monkeypatch.setattr(si, "PAIR_CHUNK", chunk)
        assert list(sc.features_of(left[:200], right[:200])) == want[:200]
    # and the sums are the per-pair ones, exactly
    w, w2 = sc.text.shared_sums(left, right, sc.text.w, sc.text.w2)
    assert w == [sc.text.shared_weight(i, j) for i, j in pairs]
    assert w2 == [math.fsum(sc.text.w2[sc.text.shared(i, j)].tolist()) for i, j in pairs]
    assert sum(x > 0 for x in w) > len(pairs) // 2
    assert sc.text.shared_sums([], [], sc.text.w) == [[]]


def test_measures_as_the_graphs_literals_score_as_the_joined_text():
    """Items from a graph hold their measures' literals (joined as the scorer reads them):
    the same spaces and links as the texts joined by newlines."""
    from rdflib import Literal

    bench = _load("bench_link")
    items = sorted(bench.synthetic_items(200), key=lambda it: it.id)
    cut = [len(it.measures) // 2 for it in items]  # two measures each
    joined = [replace(it, measures=it.measures[:k] + "\n" + it.measures[k:]) for it, k in zip(items, cut)]
    parts = [replace(it, measures=(Literal(it.measures[:k], lang="zh"), Literal(it.measures[k:], lang="zh"))) for it, k in zip(items, cut)]
    assert sum(len(it.measures) > 10 for it in items) > 100
    assert all(a.measures_text == b.measures for a, b in zip(parts, joined))
    a, b = si.Scorer(joined), si.Scorer(parts)
    assert a.measures.grams == b.measures.grams and a.measures.w.tolist() == b.measures.w.tolist()
    assert [a.measures.ids_of(i).tolist() for i in range(len(joined))] == [b.measures.ids_of(i).tolist() for i in range(len(parts))]
    assert si.link_problems(parts) == si.link_problems(joined) != []


def test_boilerplate_lookup_is_the_substring_test():
    """_is_boilerplate is a set lookup now; it says what ``any(gram in w for w in BOILERPLATE)``
    says, on every substring of the words and on random strings over their characters."""
    import random

    from pipeline.sameissue import BOILERPLATE, _is_boilerplate

    chars = sorted(set("".join(BOILERPLATE))) + list("国企单位#12")
    rng = random.Random(7)
    grams = [w[i:j] for w in BOILERPLATE for i in range(len(w) + 1) for j in range(i, len(w) + 1)]
    grams += ["".join(rng.choice(chars) for _ in range(rng.randint(0, 4))) for _ in range(20_000)]
    assert [_is_boilerplate(g) for g in grams] == [any(g in w for w in BOILERPLATE) for g in grams]
    assert _is_boilerplate("到位") and _is_boilerplate("") and not _is_boilerplate("国企")
