"""Time same-issue linking (:func:`pipeline.sameissue.link_problems`) on synthetic corpora.

The corpora are made of the sample's own phrases: the problem statements and measures of
``corpus/xiangjiang-2023-12-22.txt`` (read with a few regular expressions, not the pipeline)
are cut into clauses and recombined, with other units and other numbers, into problems of
bulletins of synthetic units: compound files (a main bulletin and four attachments) over three
rounds. About one problem in ten restates a problem of a related bulletin (the main bulletin of
its file, or the same unit's previous round) in slightly different words, so there is something
to find. Everything is seeded: the same sizes give the same corpora.

For each size (default 1,000 and 10,000 problems) it prints the time of ``link_problems``
(feature extraction, blocking, scoring), the number of candidate pairs, the links, and the
ratios between sizes: with blocking the cost should grow about 10× for 10× the problems (all
pairs would be 100×). Machines here are shared and noisy, so compare ratios, not seconds;
nothing here is asserted in tests (``tests/test_sameissue.py`` checks the candidate growth).

usage: python bench/bench_link.py [--sizes 1000 10000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "xiangjiang-2023-12-22.txt"
sys.path.insert(0, str(ROOT))

from pipeline import sameissue as si

_PROBLEM = re.compile(r"^(?:\d+\.(?:问题\d+:)?|\([一二三四五六七八九十]+\)(?:反馈问题|问题\d+):)(.+)$")
_MEASURE = re.compile(r"^整改情况:(.+)$")
_CLAUSE = re.compile(r"[^,。;,;]+[,。;,;]?")
_UNITS = ("某国企", "某街道", "某园区", "个别街镇", "有的部门", "某局", "某公司", "个别单位", "某社区", "个别党组织")
DISTRICTS = ("东城", "西湖", "南湖", "北山", "龙泉", "金星", "云溪", "江滨", "麓谷", "梅溪", "望城", "高塘", "白沙", "青竹")
KINDS = ("国企", "街道", "园区", "局", "中心", "公司", "学校", "医院", "社区", "集团")


def sample_phrases() -> tuple[list[str], list[str]]:
    """Clauses of the sample's problem statements and of its measures."""
    problems, measures = [], []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if m := _PROBLEM.match(line):
            problems.extend(c for c in _CLAUSE.findall(m.group(1)) if len(c) >= 6)
        elif m := _MEASURE.match(line):
            measures.extend(c for c in _CLAUSE.findall(m.group(1)) if len(c) >= 8)
    return problems, measures


def _vary(rng: random.Random, clause: str) -> str:
    """The clause with other numbers and other (anonymised or named) units."""
    clause = re.sub(r"\d+(?:\.\d+)?", lambda m: str(rng.randint(2, 999)), clause)
    for u in _UNITS:
        if u in clause:
            clause = clause.replace(u, rng.choice(DISTRICTS) + rng.choice(KINDS), 1)
    return clause


def _statement(rng: random.Random, clauses: list[str], k: int) -> str:
    text = "".join(_vary(rng, rng.choice(clauses)) for _ in range(k))
    return text.rstrip(",,;;") + ("" if text.endswith("。") else "。")  # noqa: B005 (a set of marks)


def _restate(rng: random.Random, text: str) -> str:
    """A restatement: clauses dropped or swapped, a framing phrase added."""
    parts = [p for p in re.split(r"[,。,]", text) if p]
    rng.shuffle(parts)
    kept = parts[: max(1, len(parts) - rng.randint(0, 1))]
    return rng.choice(("", "仍然存在", "“", "巡视指出")) + ",".join(kept) + rng.choice(("。", "问题仍然存在。", "”问题没有明显改善。"))


def synthetic_items(n: int, seed: int = 7, per_bulletin: int = 30) -> list[si.Item]:
    """``n`` problems in compound files (main + 4 attachments) of synthetic units, 3 rounds."""
    rng = random.Random(seed)
    pclauses, mclauses = sample_phrases()
    items: list[si.Item] = []
    n_bulletins = max(1, n // per_bulletin)
    prev_round: dict[str, list[si.Item]] = {}
    for b in range(n_bulletins):
        family, pos = divmod(b, 5)
        unit_no, round_no = divmod(family, 3)
        publisher = f"unit-{unit_no:05d}-{pos}"
        bulletin = f"bulletin-{b:06d}"
        parent = "" if pos == 0 else f"bulletin-{family * 5:06d}"
        main_items = [it for it in items if it.bulletin == parent] if parent else []
        earlier = prev_round.get(publisher, [])
        mine = []
        for k in range(per_bulletin):
            if len(items) >= n:
                break
            pool = main_items or earlier
            if pool and rng.random() < 0.1:
                text = _restate(rng, rng.choice(pool).text)
            else:
                text = _statement(rng, pclauses, rng.choice((1, 2, 2, 3)))
            measures = "".join(_vary(rng, rng.choice(mclauses)) for _ in range(rng.randint(1, 4)))
            it = si.Item(
                f"problem-{b:06d}-{k:03d}", bulletin, text, units=frozenset(), category="",
                parent=parent, publisher=publisher, measures=measures,
                publisher_label=f"{DISTRICTS[unit_no % len(DISTRICTS)]}第{unit_no}单位{pos}",
            )
            items.append(it)
            mine.append(it)
        if round_no < 2:
            prev_round[f"unit-{unit_no + 0:05d}-{pos}"] = mine
    return items[:n]


def run(n: int, repeat: int) -> dict:
    items = synthetic_items(n)
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        links = si.link_problems(items)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    sc = si.Scorer(sorted(items, key=lambda it: it.id))
    cands = len(sc.candidates())
    same = sum(lk.same for lk in links)
    return {"n": n, "seconds": best, "candidates": cands, "links": len(links), "same": same}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest is kept")
    args = ap.parse_args()
    rows = [run(n, args.repeat) for n in args.sizes]
    print(f"{'problems':>9} {'seconds':>8} {'candidates':>11} {'cand/problem':>12} {'links':>6} {'sameIssueAs':>11}")
    for r in rows:
        print(f"{r['n']:>9} {r['seconds']:>8.2f} {r['candidates']:>11} {r['candidates'] / r['n']:>12.1f} "
              f"{r['links']:>6} {r['same']:>11}")
    for a, b in itertools.pairwise(rows):
        size = b["n"] / a["n"]
        print(f"{a['n']} → {b['n']} ({size:.0f}× problems): time ×{b['seconds'] / a['seconds']:.1f}, "
              f"candidates ×{b['candidates'] / max(1, a['candidates']):.1f} (all pairs would be ×{size * size:.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
