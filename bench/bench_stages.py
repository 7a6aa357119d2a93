"""Where a build's time and memory go: each stage of ``xunshi build`` timed in one process.

Runs the stages the build runs, in its order and with the cyclic garbage collector paused as
in a build (``pipeline.workflow.gc_paused``): ingest + segment + extract, link, the rdflib
graph, each corpus pass (rounds, themes, same-issue, …), then the Turtle, the GraphML, the
CSV and the evidence check, written into a temporary folder. Prints the seconds of each, the
resident memory after it and the peak so far (MiB, as ``bench_scale.py`` prints them).
Machines here are shared and noisy: compare stages within one run, and runs by their shares
rather than their seconds.

With ``--reference FILE`` the passes weigh by a pinned reference (``xunshi build --reference``);
with ``--full`` the default build's SHACL validation and HTML view are timed too.

usage: python bench/bench_stages.py CORPUS_DIR [--reference FILE] [--full] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import ingest  # noqa: E402
from pipeline.build import iri, subject_index, write_turtle  # noqa: E402
from pipeline.enrich import ENRICH_PIPELINE, PASSES, EnrichContext, load_passes  # noqa: E402
from pipeline.mirror import write_graphml_to, write_problems_csv  # noqa: E402
from pipeline.validate import check_evidence, validate_graph  # noqa: E402
from pipeline.view import write_view  # noqa: E402
from pipeline.workflow import ANALYST_FILES, RecordSpill, gc_paused, link_and_build, process_all  # noqa: E402


def rss_mb() -> float:
    """Resident memory now, MiB (as ``bench_scale.py``'s peak)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    """Peak resident memory so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_stages(corpus: Path, out: Path, options: dict | None = None, full: bool = False) -> list[dict]:
    """[{"stage", "seconds", "rss_mb", "peak_mb"}] of a build of ``corpus`` (outputs in ``out``;
    ``options`` as a build's, e.g. ``{"reference": path}``); ``full``: the default build's
    SHACL validation and HTML view too."""
    rows: list[dict] = []
    t0 = time.perf_counter()

    def mark(stage: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        rows.append({"stage": stage, "seconds": now - t0, "rss_mb": rss_mb(), "peak_mb": peak_mb()})
        t0 = time.perf_counter()

    with gc_paused(), RecordSpill() as spill:  # as a build does: records on disk until the graph reads them
        paths = [p for p in ingest.discover([corpus]) if p.name not in ANALYST_FILES]
        states = process_all(paths, {"max_bytes": 200_000_000}, spill=spill)
        mark("ingest + segment + extract")
        good = [s for s in states if s.outcome == "ok"]
        g = link_and_build(good, spill, mark)
        ctx = EnrichContext({str(iri(s.source.id)): s.source.text for s in good}, options=dict(options or {}))
        load_passes()
        for name in list(ENRICH_PIPELINE):
            PASSES[name](g, ctx)
            mark(name)
        index = subject_index(g)
        with open(out / "xunshi.ttl", "wb") as fh:
            write_turtle(fh, g, index)
        mark("Turtle")
        with open(out / "xunshi.graphml", "wb") as fh:
            write_graphml_to(fh, g, index)
        del index
        mark("GraphML")
        with open(out / "problems.csv", "wb") as fh:
            write_problems_csv(fh, g)
        mark("CSV")
        bad = check_evidence(g, ctx.texts)
        mark("evidence check")
        conforms = None
        if full:
            conforms = validate_graph(g).conforms
            mark("SHACL")
            write_view(g, out / "xunshi.html")
            mark("HTML view")
    rows.append({"stage": "triples", "count": len(g), "not_round_tripping": len(bad), "conforms": conforms})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path, help="a folder of bulletins (e.g. one bench/gen_corpus.py wrote)")
    ap.add_argument("--reference", type=Path, help="weigh the passes by this reference (xunshi build --reference)")
    ap.add_argument("--full", action="store_true", help="also the default build's SHACL validation and HTML view")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = run_stages(args.corpus, Path(tmp), {"reference": args.reference} if args.reference else None, full=args.full)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    stages, tail = rows[:-1], rows[-1]
    total = sum(r["seconds"] for r in stages)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}; corpus: {args.corpus} ({tail['count']:,} triples)")
    print(f"{'stage':<28}{'seconds':>9}{'share':>8}{'RSS MiB':>9}{'peak MiB':>9}")
    for r in stages:
        print(f"{r['stage']:<28}{r['seconds']:>9.1f}{r['seconds'] / total:>8.0%}{r['rss_mb']:>9,.0f}{r['peak_mb']:>9,.0f}")
    print(f"{'total':<28}{total:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
