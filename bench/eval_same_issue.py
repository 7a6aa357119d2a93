"""Precision and recall of the same-issue links on the gold pairs of the sample.

Builds the sample (``corpus/``) in a temporary folder with the real pipeline, reads its
problems back from the graph (with whatever ``xs:theme`` the themes pass gave them), runs
:func:`pipeline.sameissue.link_problems` and compares the links with
``tests/eval/same_issue_gold.tsv``:

- precision = gold-"same" pairs linked / gold pairs linked; a linked pair the gold does not
  label is listed as *unlabelled* (read it and add it to the gold), one labelled "unsure" as
  such; neither is counted;
- recall = gold-"same" pairs linked / gold-"same" pairs;
- both on all gold pairs and on the high-confidence ones, at the threshold and at a few others;
- the synthetic cross-round cases (``CROSS_ROUND``: a later round restating, or not, a problem
  of the sample in other words), since the sample has a single round.

Options: ``--exhaustive`` scores every cross-bulletin pair instead of the blocked candidates
(what blocking hides); ``--no-themes`` ignores ``xs:theme`` (as without a themes pass);
``--simulate-themes`` tags themes by label matching when the graph has none; ``--show`` lists
the signals of every gold pair; ``--calibrate`` grid-searches the weights and the threshold
(F1 on the gold with blocking, then without) and prints the best settings: the defaults in
``pipeline/sameissue.py`` come from such a run. The same gold serves for calibration and
evaluation (there is no held-out set): read the numbers as an upper bound.

usage: python bench/eval_same_issue.py [--exhaustive] [--no-themes] [--show] [--calibrate]
                                       [--graph xunshi.ttl]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "eval" / "same_issue_gold.tsv"
sys.path.insert(0, str(ROOT))

from rdflib import Graph
from rdflib.namespace import RDF

from pipeline import sameissue as si
from pipeline.vocab import XS


@dataclass(frozen=True)
class GoldPair:
    a: str  # problem IRI
    b: str
    same: bool
    high: bool
    row: str  # as written in the gold file, for messages

    @property
    def key(self) -> tuple[str, str]:
        return tuple(sorted((self.a, self.b)))  # type: ignore[return-value]


def build_sample_graph() -> Graph:
    """The sample built by the real pipeline (enrich passes included), without writing HTML."""
    from pipeline.workflow import run_build

    old = os.getcwd()
    os.chdir(ROOT)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            report = run_build(["corpus"], tmp, html=False, shacl=False)
    finally:
        os.chdir(old)
    return report.graph


def problem_index(g: Graph) -> dict[tuple[int, str], list[tuple[str, str]]]:
    """(bulletin position, ordinal) → [(problem IRI, text)]."""
    idx: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for p in sorted(set(g.subjects(RDF.type, XS.Problem))):
        b = g.value(p, XS.inBulletin)
        pos = g.value(b, XS.position) if b is not None else None
        ordinal = g.value(p, XS.ordinal)
        if pos is None or ordinal is None:
            continue
        idx.setdefault((int(pos), str(ordinal)), []).append((str(p), str(g.value(p, XS.text) or "")))
    return idx


def resolve(idx, pos: str, ordinal: str, prefix: str) -> str:
    """The one problem at (position, ordinal) whose text starts with ``prefix``."""
    hits = [p for p, text in idx.get((int(pos), ordinal), []) if text.startswith(prefix)]
    if len(hits) != 1:
        raise LookupError(f"gold reference {pos}/{ordinal}/{prefix}: {len(hits)} problems match")
    return hits[0]


UNSURE: set[tuple[str, str]] = set()  # gold pairs labelled "unsure" (filled by read_gold)


def read_gold(g: Graph, path: Path = GOLD) -> list[GoldPair]:
    idx = problem_index(g)
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    out = []
    for row in csv.DictReader(lines, delimiter="\t"):
        a = resolve(idx, row["pos_a"], row["ordinal_a"], row["prefix_a"])
        b = resolve(idx, row["pos_b"], row["ordinal_b"], row["prefix_b"])
        if row["label"] not in ("same", "different"):
            UNSURE.add(tuple(sorted((a, b))))
            continue  # "unsure": read, but too ambiguous to score against
        desc = f"{row['pos_a']}/{row['ordinal_a']} ↔ {row['pos_b']}/{row['ordinal_b']}"
        out.append(GoldPair(a, b, row["label"] == "same", row["confidence"] == "high", desc))
    return out


def simulate_themes(items: list) -> list:
    """Dev aid when no themes pass ran: tag items whose text contains a label of a theme of
    ontology/themes.ttl (quotes ignored), as a rule-based tagger would."""
    from rdflib.namespace import SKOS

    t = Graph().parse(ROOT / "ontology" / "themes.ttl")
    top = set(t.subjects(SKOS.topConceptOf, None))
    strip = si.normalise
    labels = []
    for c in sorted(set(t.subjects(SKOS.inScheme, None)) - top):
        for lab in list(t.objects(c, SKOS.prefLabel)) + list(t.objects(c, SKOS.altLabel)):
            if getattr(lab, "language", None) == "zh" and len(strip(str(lab))) >= 2:
                labels.append((strip(str(lab)), str(c)))
    out = []
    for it in items:
        norm = strip(it.text)
        out.append(replace(it, themes=frozenset(c for lab, c in labels if lab in norm)))
    return out


def prf(gold: list[GoldPair], linked: set[tuple[str, str]]) -> tuple[float, float, float, int, int, int]:
    tp = sum(1 for gp in gold if gp.same and gp.key in linked)
    fp = sum(1 for gp in gold if not gp.same and gp.key in linked)
    fn = sum(1 for gp in gold if gp.same and gp.key not in linked)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, fp, fn


def score_all(items, params: si.Params) -> list:
    """Every cross-bulletin pair scored, no blocking (the sample is small): what blocking hides."""
    sc = si.Scorer(sorted(items, key=lambda it: it.id), params)
    out = []
    for i in range(len(sc.items)):
        for j in range(i + 1, len(sc.items)):
            if sc.items[i].bulletin == sc.items[j].bulletin:
                continue
            f = sc.features(i, j)
            s = sc.combine(f)
            if s >= params.floor:
                out.append(si.Link(sc.items[i].id, sc.items[j].id, s, sc.method(f), s >= params.threshold))
    return out


def evaluate(items, gold, params: si.Params, exhaustive: bool = False) -> dict:
    links = score_all(items, params) if exhaustive else si.link_problems(items, params)
    scores = {(lk.source, lk.target): lk.score for lk in links}
    out = {"links": links, "scores": scores, "at": {}}
    for th in sorted({params.threshold, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60}):
        linked = {k for k, s in scores.items() if s >= th}
        out["at"][th] = {"all": prf(gold, linked), "high": prf([gp for gp in gold if gp.high], linked)}
    return out


# Synthetic cross-round cases (a later round of the main bulletin's publisher restating, or
# not, one of the sample's problems in other words): the sample has no second round, and the
# calibration must not buy precision on attachments by losing these. (text, prefix of the
# sample problem of the main bulletin, expected link)
CROSS_ROUND = [
    ("年轻干部培养选拔力度不够。", "年轻干部选拔培养", True),
    ("“三转”落实不到位问题仍未整改到位。", "“三转不到位”", True),
    ("干部选拔任用监督信息沟通机制还不够健全。", "干部选拔任用监督", True),
    ("房地产业税收占比较高,挤占产业发展空间。", "2019年至2022年,房", True),
    ("招商引资“重招轻管”问题依然存在。", "“招商引资重招轻管”", True),
    ("部分小区雨污分流改造尚未完成。", "部分小区未实现雨污", True),
    ("部分小区停车难问题突出。", "存在停车难问题", True),
    ("个别街道纪工委书记分管与监督无关的工作。", "某街道纪工委书记", True),
    ("年轻干部交流轮岗力度不大。", "年轻干部选拔培养", False),
    ("房地产项目烂尾楼问题突出。", "2019年至2022年,房", False),
    ("机关党建工作质量不高。", "党工委落实党建主体", False),
]


def cross_round_items(items: list) -> tuple[list, list[tuple[str, str, bool]]]:
    """The sample's items plus one later-round bulletin of the main publisher (CROSS_ROUND)."""
    main = next(it for it in items if not it.parent)
    extra, pairs = [], []
    for k, (text, prefix, expected) in enumerate(CROSS_ROUND):
        old = next(it for it in items if not it.parent and it.text.startswith(prefix))
        new = si.Item(f"zz-round2-{k:02d}", "zz-round2", text, publisher=main.publisher,
                      publisher_label=main.publisher_label)
        extra.append(new)
        pairs.append((new.id, old.id, expected))
    return items + extra, pairs


def cross_round_check(items, params: si.Params) -> tuple[int, list[str]]:
    """How many CROSS_ROUND cases come out as expected (blocking included), and the misses."""
    allitems, pairs = cross_round_items(items)
    links = {(lk.source, lk.target): lk for lk in si.link_problems(allitems, params)}
    ok, bad = 0, []
    for new, old, expected in pairs:
        lk = links.get(tuple(sorted((new, old))))
        got = bool(lk and lk.same)
        ok += got == expected
        if got != expected:
            text = next(it.text for it in allitems if it.id == new)
            bad.append(f"{text} (score {lk.score if lk else 0:.3f}, expected {'link' if expected else 'none'})")
    return ok, bad


def calibrate(items, gold) -> si.Params:
    """Coarse grid search of the weights and threshold. Best first by the cross-round cases
    right, then by F1 on all gold pairs with the blocked candidates, then with every pair."""
    base = si.DEFAULT
    allitems, cross_pairs = cross_round_items(items)
    xscorer = si.Scorer(sorted(allitems, key=lambda it: it.id), base)
    xpos = {it.id: i for i, it in enumerate(xscorer.items)}
    xcands = set(xscorer.candidates())
    cross = []
    for new, old, expected in cross_pairs:
        i, j = sorted((xpos[new], xpos[old]))
        cross.append((xscorer.features(i, j), (i, j) in xcands, expected))
    scorer = si.Scorer(sorted(items, key=lambda it: it.id), base)
    ids = [it.id for it in scorer.items]
    cands = set(scorer.candidates())
    feats = {}
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            if scorer.items[i].bulletin != scorer.items[j].bulletin:
                feats[(ids[i], ids[j]) if ids[i] < ids[j] else (ids[j], ids[i])] = (scorer.features(i, j), (i, j) in cands)
    grid = itertools.product(
        ((0.0, 0.2, 0.8), (0.0, 0.4, 0.6), (0.2, 0.4, 0.4)),  # text weights: cosine, containment, chars
        (0.5, 0.6),  # text gate
        (0.8, 1.0),  # w_measures
        (0.0, 0.2),  # measure_text
        (0.05, 0.1),  # theme bonus
        (0.1,),  # unit bonus
        (0.1, 0.3),  # figures (one round)
        (0.0, 0.05),  # category
        [x / 100 for x in range(30, 51, 5)],  # threshold
    )
    best = None
    for (wc, wk, wch), gate, wm, mt, tb, ub, fw, wcat, thr in grid:
        p = replace(base, w_cosine=wc, w_containment=wk, w_chars=wch, text_gate=gate, w_measures=wm,
                    measure_text=mt, theme_bonus=tb, unit_bonus=ub, figure_weight=fw, w_category=wcat,
                    threshold=thr)
        scorer.params = xscorer.params = p
        cross_ok = sum((c and xscorer.combine(f) >= thr) == expected for f, c, expected in cross)
        scores = {k: (scorer.combine(f), c) for k, (f, c) in feats.items()}
        blocked = {k for k, (s, c) in scores.items() if c and s >= thr}
        every = {k for k, (s, c) in scores.items() if s >= thr}
        _, _, f_blocked, *_ = prf(gold, blocked)
        _, _, f_every, *_ = prf(gold, every)
        key = (cross_ok, round(f_blocked, 3), round(f_every, 3))
        if best is None or key > best[0]:
            best = (key, p)
    (_, f_blocked, f_every), params = best
    ok, bad = cross_round_check(items, params)
    print(f"best: F1={f_blocked:.3f} (blocked) {f_every:.3f} (every pair); cross-round cases {ok}/{len(CROSS_ROUND)}")
    print(f"  {params}")
    for b in bad:
        print(f"  cross-round miss: {b}")
    return params


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--show", action="store_true", help="list the scores of every gold pair and link")
    ap.add_argument("--exhaustive", action="store_true",
                    help="score every cross-bulletin pair instead of the blocked candidates")
    ap.add_argument("--graph", help="read a built xunshi.ttl instead of building the sample")
    ap.add_argument("--no-themes", action="store_true", help="ignore xs:theme (as without a themes pass)")
    ap.add_argument("--simulate-themes", action="store_true",
                    help="tag themes by label matching when the graph has none (no themes pass yet)")
    args = ap.parse_args()
    g = Graph().parse(args.graph) if args.graph else build_sample_graph()
    items = si.items_from_graph(g)
    if args.no_themes:
        items = [replace(it, themes=frozenset()) for it in items]
        print("themes: ignored (--no-themes)")
    if args.simulate_themes and not any(it.themes for it in items):
        items = simulate_themes(items)
        print("themes: simulated by label matching (no xs:theme in the graph)")
    gold = read_gold(g)
    n_same = sum(gp.same for gp in gold)
    themed = sum(1 for it in items if it.themes)
    print(f"sample: {len(items)} problems ({themed} with xs:theme); gold: {len(gold)} pairs, {n_same} same "
          f"({sum(gp.same and gp.high for gp in gold)} high-confidence), {len(gold) - n_same} different")
    params = calibrate(items, gold) if args.calibrate else si.DEFAULT
    res = evaluate(items, gold, params, args.exhaustive)
    if args.exhaustive:
        print("exhaustive: every cross-bulletin pair scored (no blocking)")
    links = res["links"]
    n_same_links = sum(lk.same for lk in links)
    print(f"links: {n_same_links} sameIssueAs (score >= {params.threshold}), "
          f"{len(links) - n_same_links} near-miss IssueLinks ({params.floor} <= score < {params.threshold})")
    print(f"{'threshold':>9}  {'P(all)':>6} {'R(all)':>6} {'F1':>5}  {'P(high)':>7} {'R(high)':>7}  tp/fp/fn(all)")
    for th, r in res["at"].items():
        pa, ra, fa, tp, fp, fn = r["all"]
        ph, rh, *_ = r["high"]
        mark = " <- threshold" if th == params.threshold else ""
        print(f"{th:>9.2f}  {pa:>6.3f} {ra:>6.3f} {fa:>5.3f}  {ph:>7.3f} {rh:>7.3f}  {tp}/{fp}/{fn}{mark}")
    ok, bad = cross_round_check(items, params)
    print(f"cross-round paraphrase cases (synthetic second round): {ok}/{len(CROSS_ROUND)} as expected")
    for b in bad:
        print(f"  cross-round miss: {b}")
    gold_keys = {gp.key: gp for gp in gold}
    text = {it.id: it.text for it in items}
    misses = [gp for gp in gold if gp.same and res["scores"].get(gp.key, 0.0) < params.threshold]
    fps = [gp for gp in gold if not gp.same and res["scores"].get(gp.key, 0.0) >= params.threshold]
    unlabelled = [lk for lk in links if lk.same and (lk.source, lk.target) not in gold_keys]
    for title, rows in (("missed", misses), ("false links", fps)):
        for gp in rows:
            print(f"  {title}: {gp.row} score={res['scores'].get(gp.key, 0.0):.3f}"
                  f"  {text[gp.a][:24]} | {text[gp.b][:24]}")
    for lk in unlabelled:
        kind = "unsure-labelled" if (lk.source, lk.target) in UNSURE else "unlabelled"
        print(f"  {kind} link: {lk.score:.3f} {lk.method}  {text[lk.source][:28]} | {text[lk.target][:28]}")
    if args.show:
        scorer = si.Scorer(sorted(items, key=lambda it: it.id), params)
        pos = {it.id: i for i, it in enumerate(scorer.items)}
        for gp in gold:
            f = scorer.features(pos[gp.a], pos[gp.b])
            fs = " ".join(f"{k}={v:.2f}" for k, v in f.items())
            print(f"  {'SAME' if gp.same else 'diff'} {gp.row:<22} {scorer.combine(f):.3f} "
                  f"{'(blocked out)' if gp.key not in res['scores'] and scorer.combine(f) >= params.floor else ''} {fs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
