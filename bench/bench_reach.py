"""How far a change to one document reaches, over a whole corpus (``pipeline/incremental.py``).

Builds CORPUS_DIR (lean, pinned to a reference fitted on it, with the document cache in the
work folder so a second run is quick), reads the graph's couplings (:func:`incremental.read`,
timed), and for every document works out the documents a change to it alone reaches through
the couplings that hold whatever changed (family, round scope, same-issue group). A real
change can reach more (a relabelled unit, a year's teams, 原 units' successors: those need
the graph after the change, see ``tests/test_incremental.py``); this is the floor an
incremental rebuild has to redo. Prints the distribution of the reach's size.

usage: python bench/bench_reach.py CORPUS_DIR [--work DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--work", help="folder for the builds (default: a temporary one)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from pipeline import incremental
    from pipeline.workflow import run_build

    work = Path(args.work or tempfile.mkdtemp(prefix="xunshi-reach-"))
    ref = work / "reference.npz"
    if not ref.exists():
        run_build([args.corpus], work / "fit", html=False, shacl=False, options={"save_reference": str(ref)})
    t = time.perf_counter()
    report = run_build([args.corpus], work / "out", html=False, shacl=False, options={"reference": str(ref)})
    built = time.perf_counter() - t
    t = time.perf_counter()
    links = incremental.read(report.graph)
    read = time.perf_counter() - t
    t = time.perf_counter()
    sizes = sorted(len(incremental.reach({d}, links, links).docs) for d in links.docs)
    closed = time.perf_counter() - t
    n = len(sizes)
    pick = lambda q: sizes[min(n - 1, int(q * n))]  # noqa: E731
    print(f"{n:,} documents; build {built:.1f} s, read the couplings {read:.2f} s, {n:,} reaches {closed:.2f} s")
    print(f"documents reached by a change to one: median {pick(0.5)}, 90th percentile {pick(0.9)}, "
          f"99th {pick(0.99)}, most {sizes[-1]}; mean {sum(sizes) / n:.2f} ({100 * sum(sizes) / n / n:.2f} % of the corpus)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
