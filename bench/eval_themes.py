"""Precision and recall of the themes pass against ``tests/eval/themes_gold.tsv``.

Builds the sample corpus (``corpus/``) into a temporary folder, reads the ``xs:ThemeAssignment``
nodes of the graph and compares the (problem, theme) pairs with the gold annotations. Micro
precision, recall and F1 are printed three times:

- ``rule``: pairs assigned by label; recall over all gold pairs (what the rules alone find);
- ``similarity``: pairs assigned by similarity; recall over the gold pairs of the problems the
  rules left without a theme (the only problems similarity looks at);
- ``overall``: every assigned pair; recall over all gold pairs.

usage: python bench/eval_themes.py [--errors] [--sweep]
  --errors  list the wrong and the missed pairs
  --sweep      the similarity candidates of the problems no rule themed, and the scores of
               the similarity step over a range of thresholds
  --calibrate  leave-one-out calibration of the threshold: every rule-themed problem, with
               the label words masked out of its statement and measures (so it looks like a
               problem no rule matched), is scored against the other rule-themed problems;
               prints precision and recall of its gold themes per threshold

The functions are imported by ``tests/test_themes.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "eval" / "themes_gold.tsv"
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rdflib import Graph, URIRef  # noqa: E402
from rdflib.namespace import RDF  # noqa: E402

from pipeline.vocab import XS  # noqa: E402

Key = tuple[int, str, int]  # bulletin position, ordinal, occurrence of that pair (0-based)


@dataclass(frozen=True)
class GoldRow:
    key: Key
    themes: frozenset[str]
    note: str


def read_gold(path: Path = GOLD) -> list[GoldRow]:
    """The gold rows; a (position, ordinal) printed twice is told apart by order."""
    rows: list[GoldRow] = []
    seen: dict[tuple[int, str], int] = defaultdict(int)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("position\t"):
            continue
        cols = line.split("\t")
        pos, ordinal, themes = int(cols[0]), cols[1], cols[2] if len(cols) > 2 else ""
        n = seen[(pos, ordinal)]
        seen[(pos, ordinal)] += 1
        rows.append(GoldRow((pos, ordinal, n), frozenset(t for t in themes.split(",") if t), cols[3] if len(cols) > 3 else ""))
    return rows


def problem_keys(g: Graph) -> dict[URIRef, Key]:
    """Each problem's gold key: its bulletin's xs:position, its xs:ordinal and occurrence."""
    rows = []
    for p in g.subjects(RDF.type, XS.Problem):
        b = g.value(p, XS.inBulletin)
        rows.append((int(g.value(b, XS.position)), int(g.value(p, XS.position)), str(g.value(p, XS.ordinal)), p))
    seen: dict[tuple[int, str], int] = defaultdict(int)
    out = {}
    for bpos, _ppos, ordinal, p in sorted(rows):
        out[p] = (bpos, ordinal, seen[(bpos, ordinal)])
        seen[(bpos, ordinal)] += 1
    return out


def predicted(g: Graph) -> list[tuple[URIRef, str, str, float]]:
    """(problem, theme slug, method, score) of every xs:ThemeAssignment."""
    out = []
    for a in g.subjects(RDF.type, XS.ThemeAssignment):
        c = str(g.value(a, XS.concept))
        out.append((g.value(a, XS.problem), c.split("#theme-", 1)[1], str(g.value(a, XS.method)), float(g.value(a, XS.score))))
    return sorted(out)


@dataclass(frozen=True)
class Scores:
    tp: int
    predicted: int
    expected: int

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, name: str) -> str:
        return (f"{name:<11} precision {self.precision:.3f} ({self.tp}/{self.predicted})  "
                f"recall {self.recall:.3f} ({self.tp}/{self.expected})  F1 {self.f1:.3f}")


def evaluate(g: Graph, gold: list[GoldRow], pred: list[tuple[URIRef, str, str, float]] | None = None) -> dict[str, Scores]:
    """Micro scores of (problem, theme) pairs: ``rule``, ``similarity`` and ``overall``."""
    keys = problem_keys(g)
    gold_pairs = {(r.key, t) for r in gold for t in r.themes}
    pred = predicted(g) if pred is None else pred
    by_method: dict[str, set] = defaultdict(set)
    for p, slug, method, _score in pred:
        by_method[method].add((keys[p], slug))
    rule = by_method.get("label", set())
    sim = by_method.get("similarity", set())
    ruled = {k for k, _ in rule}
    sim_gold = {(k, t) for k, t in gold_pairs if k not in ruled}
    allp = rule | sim
    return {
        "rule": Scores(len(rule & gold_pairs), len(rule), len(gold_pairs)),
        "similarity": Scores(len(sim & gold_pairs), len(sim), len(sim_gold)),
        "overall": Scores(len(allp & gold_pairs), len(allp), len(gold_pairs)),
    }


def build_sample(out_dir: Path):
    """``run_build`` of ``corpus/`` (cwd = repository root) without HTML and SHACL."""
    from pipeline.workflow import run_build

    old = os.getcwd()
    os.chdir(ROOT)
    try:
        return run_build(["corpus"], out_dir, html=False, shacl=False)
    finally:
        os.chdir(old)


def errors(g: Graph, gold: list[GoldRow], pred) -> list[str]:
    keys = problem_keys(g)
    texts = {keys[p]: str(g.value(p, XS.text))[:40] for p in keys}
    gold_pairs = {(r.key, t) for r in gold for t in r.themes}
    got = {(keys[p], s): (m, sc) for p, s, m, sc in pred}
    lines = []
    for (k, t), (m, sc) in sorted(got.items()):
        if (k, t) not in gold_pairs:
            lines.append(f"wrong   {k[0]} {k[1]:<7} {t:<28} {m} {sc:.3f}  {texts[k]}")
    for k, t in sorted(gold_pairs - set(got)):
        lines.append(f"missed  {k[0]} {k[1]:<7} {t:<28}  {texts[k]}")
    return lines


def sweep(g: Graph, ctx, gold: list[GoldRow]) -> None:
    from pipeline import themes

    res = themes.tag_problems(g, ctx)
    keys = problem_keys(g)
    gold_by_key = {r.key: r.themes for r in gold}
    for p, cands in sorted(res.candidates.items(), key=lambda kv: keys[kv[0]]):
        print(keys[p], sorted(gold_by_key[keys[p]]), cands[:3])
    rule = [(a.problem, a.slug, a.method, a.score) for a in res.rule]
    problems = themes.collect_problems(g, ctx)
    for th in [x / 100 for x in range(6, 41, 2)]:
        sim = themes.similarity_assignments(problems, res.candidates, threshold=th)
        s = evaluate(g, gold, rule + [(a.problem, a.slug, a.method, a.score) for a in sim])
        print(f"threshold {th:.2f}  " + s["similarity"].line("similarity") + f" | overall F1 {s['overall'].f1:.3f}")


def _mask(text: str, matcher) -> str:
    out = list(text)
    for m in matcher.find(text):
        out[m.start : m.end] = "|" * (m.end - m.start)
    return "".join(out)


def calibrate(g: Graph, ctx, gold: list[GoldRow]) -> None:
    """Leave-one-out precision/recall of the similarity step on the rule-themed problems."""
    from pipeline import themes as T

    themes = T.load_themes()
    problems = T.collect_problems(g, ctx)
    matcher = T.LabelMatcher(themes)
    tagged: dict = defaultdict(set)
    for a in T.rule_assignments(problems, matcher):
        tagged[a.problem].add(a.slug)
    statements = [pv.sim_text() for pv in problems]
    meas = [pv.measures for pv in problems]
    space = T.SimilaritySpace.fit(statements, meas, themes)
    vecs = space.problems
    col = {s: k for k, s in enumerate(space.slugs)}
    seeds = [i for i, pv in enumerate(problems) if pv.iri in tagged]
    qv = space.vectors([_mask(statements[i], matcher) for i in seeds], [_mask(meas[i], matcher) for i in seeds])
    scores = T.theme_scores(qv, vecs.take(seeds), [[col[s] for s in tagged[problems[i].iri]] for i in seeds],
                            space.profiles, space.model.n_features, exclude=list(range(len(seeds))))
    keys = problem_keys(g)
    gold_by_key = {r.key: r.themes for r in gold}
    expected = sum(len(gold_by_key[keys[problems[i].iri]]) for i in seeds)
    print(f"leave-one-out over {len(seeds)} rule-themed problems ({expected} gold pairs), top theme only")
    for th in [x / 100 for x in range(6, 41, 1)]:
        tp = fp = 0
        for r, i in enumerate(seeds):
            k = int(np.argmax(scores[r]))
            if scores[r, k] >= th:
                if space.slugs[k] in gold_by_key[keys[problems[i].iri]]:
                    tp += 1
                else:
                    fp += 1
        print(f"threshold {th:.2f}  " + Scores(tp, tp + fp, expected).line("loo"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--calibrate", action="store_true")
    args = ap.parse_args()
    gold = read_gold()
    with tempfile.TemporaryDirectory() as tmp:
        report = build_sample(Path(tmp))
    g = report.graph
    n_problems = len(set(g.subjects(RDF.type, XS.Problem)))
    if len(gold) != n_problems:
        print(f"gold has {len(gold)} rows, the graph {n_problems} problems")
    pred = predicted(g)
    themed = {p for p, *_ in pred}
    print(f"problems {n_problems}, with a theme {len(themed)}, assignments {len(pred)} "
          f"(label {sum(m == 'label' for _, _, m, _ in pred)}, similarity {sum(m == 'similarity' for _, _, m, _ in pred)})")
    for name, s in evaluate(g, gold, pred).items():
        print(s.line(name))
    if args.errors:
        print("\n".join(errors(g, gold, pred)))
    if args.sweep or args.calibrate:
        from pipeline.build import iri
        from pipeline.enrich import EnrichContext

        ctx = EnrichContext({str(iri(s.source.id)): s.source.text for s in report.files if s.outcome == "ok"})
    if args.sweep:
        sweep(g, ctx, gold)
    if args.calibrate:
        calibrate(g, ctx, gold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
