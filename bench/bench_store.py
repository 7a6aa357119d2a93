"""SPARQL time of the named queries on a large graph: rdflib in memory vs the Oxigraph store.

The large graph is the sample build's graph repeated N times (default 71 copies ≈ 10,000
problems, ≈ 1.2 M triples), each copy a new source document: every ``xr:`` IRI gets a copy
suffix, and the status of every seventh problem is rotated by copy, so counts differ between
copies. Themes and statuses (``xs:``) are shared, as in a real corpus.

Timed, in one run:

- getting a queryable graph: rdflib parsing the Turtle (what ``xunshi query`` does on every
  call) vs writing the store once (``pipeline.store.write_store``) and opening it;
- each named query (plus two with parameters): rdflib (``pipeline.query.run_query``, in a
  worker process with a time budget and a memory cap, so one runaway query cannot stall or
  sink the run; the worker builds the same graph) vs the store
  (``pipeline.store.query_store``, best of three, rows converted to rdflib terms as the CLI
  gets them), on disk and copied into memory (as ``xunshi serve`` holds a store). Row counts are compared as a sanity check. An rdflib query past ``--budget``
  seconds or the ``--mem`` GB cap is stopped and shown as such.

With ``--build DIR --store STORE`` the large graph is a real build instead (e.g. the
10,000-bulletin benchmark corpus built with ``xunshi build … --store STORE``): the rdflib side
reads ``DIR`` as ``xunshi query --graph DIR`` does (:func:`pipeline.query.load_graph` with the
ontology, into the build's own rdflib store), the store side queries ``STORE`` in place as
``xunshi query --graph STORE`` and ``xunshi serve STORE`` do (a store above
``IN_MEMORY_MAX_TRIPLES`` is served from disk, so there is no in-memory column then). An rdflib
query may run for ``max(--budget, --factor × the store's time)``, so a stopped one still shows
whether the ratio reaches ``--factor``.

Prints seconds and ratios rdflib / store. Machines here are shared and noisy: compare the
ratios, not the seconds; nothing here is asserted in tests.

usage: python bench/bench_store.py [--copies 71] [--budget 60] [--mem 10] [--graph graphs] [--no-parse]
                                   [--queries unfinished,bulletins]
       python bench/bench_store.py --build BUILD_DIR --store STORE_DIR [--budget 60] [--factor 5] [--max-budget 300]
                                   [--no-dump] [--mem 16]
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUSES = ("Completed", "PartiallyCompleted", "NotCompleted", "InProgress", "LongTerm", "Unknown")
BOUND = [("unit-problems", {"unit_label": "岳麓高新区"}), ("policies", {"policy_label": "招商工作指引"})]


def synthetic(base, copies: int):
    """``base`` repeated ``copies`` times with new IRIs per copy (copy 0 is ``base`` itself), in
    the build's own rdflib store, as ``xunshi query --graph`` holds a graph folder."""
    from rdflib import URIRef

    from pipeline.memstore import BuildGraph
    from pipeline.vocab import XR, XS

    xr = str(XR)
    problems = sorted(base.subjects(XS.status, None))
    rotate = {p for i, p in enumerate(problems) if i % 7 == 0}
    out = BuildGraph()  # the store `xunshi query --graph` reads a graph folder into
    add = out.add
    for k in range(copies):
        suffix = f"-s{k:03d}" if k else ""
        cache: dict = {}

        def ren(t, suffix=suffix, cache=cache):
            got = cache.get(t)
            if got is None:
                got = cache[t] = URIRef(f"{t}{suffix}") if suffix and isinstance(t, URIRef) and str(t).startswith(xr) else t
            return got

        for s, p, o in base:
            if k and p == XS.status and s in rotate:
                o = XS[STATUSES[(STATUSES.index(str(o).rsplit("#", 1)[-1]) + k) % len(STATUSES)]]
            add((ren(s), p, ren(o)))
    return out


def _worker(conn, ttl: str, copies: int, mem_gb: float) -> None:
    """The rdflib side, in its own process: build the same large graph (plus the ontology and
    themes, as ``xunshi query`` loads them), then answer ``(name, bindings)`` requests with
    ``(seconds, rows)``, or ``("memory", None)`` when the query hit the memory cap.
    ``copies == 0``: ``ttl`` is a build folder, read as ``xunshi query --graph`` reads it."""
    import resource

    cap = int(mem_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))  # MemoryError here, not the OOM killer
    from pipeline.query import load_graph, run_query
    from pipeline.vocab import ontology_dir

    t = time.perf_counter()
    if copies:
        big = synthetic(load_graph(ttl), copies)
        for name in ("xunshi.ttl", "themes.ttl"):
            big.parse(ontology_dir() / name, format="turtle")
    else:
        big = load_graph(ttl, with_ontology=True)
    conn.send(("ready", time.perf_counter() - t, len(big)))
    while True:
        request = conn.recv()
        if request is None:
            return
        name, bindings = request
        try:
            t = time.perf_counter()
            rows = len(list(run_query(big, name, bindings)))
            conn.send((time.perf_counter() - t, rows))
        except MemoryError:
            conn.send(("memory", None))
        gc.collect()


class RdflibWorker:
    """A process running rdflib queries with a time budget and a memory cap.

    rdflib can materialise huge intermediate results (one named query went past 20 GB on
    1.2 M triples and was killed by the system), and its evaluator has bare ``except:``
    clauses that swallow a timer's exception, so the query runs in a separate process with
    its address space capped; one past the budget is killed and the process started again.
    """

    def __init__(self, ttl: Path, copies: int, mem_gb: float):
        self.args = (str(ttl), copies, mem_gb)
        self.proc = None
        self.conn = None
        self.loaded = None

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, *self.args), daemon=True)
        self.proc.start()
        child.close()
        if not self.conn.poll(1800):
            raise RuntimeError("the rdflib worker did not start")
        ready = self.conn.recv()
        if ready[0] != "ready":
            raise RuntimeError("the rdflib worker did not start")
        self.loaded = ready[1:]  # (seconds to read the graph, triples)

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(10)
            self.conn.close()
            self.proc = self.conn = None

    def ask(self, name: str, bindings: dict, budget: float) -> tuple[float | str, int | None]:
        """(seconds, rows); ``("budget", None)`` or ``("memory", None)`` when stopped."""
        if self.proc is None:
            self._start()
        self.conn.send((name, bindings))
        try:
            if self.conn.poll(budget):
                answer = self.conn.recv()
                if answer[0] == "memory":
                    self.stop()  # a fresh process for the next query
                return answer
        except EOFError:  # killed by the system
            self.stop()
            return "memory", None
        self.stop()
        return "budget", None


def time_store(store, name: str, bindings: dict, repeat: int = 3) -> tuple[float, int]:
    from pipeline.store import query_store

    best, rows = math.inf, 0
    for _ in range(repeat):
        t = time.perf_counter()
        rows = len(list(query_store(store, name, bindings)))
        best = min(best, time.perf_counter() - t)
        if best > 10:  # one run of a slow query is enough
            break
    return best, rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=71, help="copies of the sample graph (71 ≈ 10,000 problems)")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds allowed per rdflib query")
    ap.add_argument("--factor", type=float, default=0.0,
                    help="allow an rdflib query at least this many times the store's time (default 0: --budget only)")
    ap.add_argument("--max-budget", type=float, default=math.inf, help="never allow an rdflib query more than this (seconds)")
    ap.add_argument("--no-dump", action="store_true", help="leave out `evidence` unbound (every span: 2.3M rows at 10,000 bulletins)")
    ap.add_argument("--mem", type=float, default=10.0, help="GB of address space for the rdflib worker")
    ap.add_argument("--graph", help="a built graph folder to replicate (default: build the sample)")
    ap.add_argument("--build", help="a built graph folder to query as it is (no copies); needs --store")
    ap.add_argument("--store", help="with --build: the store of that build (xunshi build --store)")
    ap.add_argument("--no-parse", action="store_true", help="skip timing rdflib's Turtle parse of the large graph")
    ap.add_argument("--queries", help="comma-separated named queries (default: all, plus two with parameters)")
    args = ap.parse_args()
    from pipeline.query import named_queries

    if bool(args.build) != bool(args.store):
        ap.error("--build and --store go together")

    work = Path(tempfile.mkdtemp(prefix="xunshi-bench-store-"))
    try:
        if args.build:
            store, mem, worker, node_bound = _real_build(args)
        else:
            store, mem, worker, node_bound = _copies(args, work)
        cases = [(n, {}) for n in named_queries()] + BOUND + node_bound
        if args.queries:
            wanted = set(args.queries.split(","))
            cases = [c for c in cases if c[0] in wanted]
        if args.no_dump:
            cases = [c for c in cases if c != ("evidence", {})]
        print()
        print(f"{'query':34s} {'rows':>7s} {'rdflib s':>9s} {'store s':>9s} {'rdflib/store':>13s} {'in-memory s':>12s} {'rdflib/mem':>11s}")
        ratios, t_r, t_s, t_m = [], 0.0, 0.0, 0.0
        for name, bindings in cases:
            label = name + ("?" + "&".join(f"{k}={v}" for k, v in bindings.items()) if bindings else "")
            s_time, s_rows = time_store(store, name, bindings)
            m_time = time_store(mem, name, bindings)[0] if mem is not None else None
            t_m += m_time or 0.0
            mem_s = f"{m_time:12.3f}" if m_time is not None else f"{'-':>12s}"
            budget = min(max(args.budget, args.factor * s_time), max(args.max_budget, args.budget))
            r_time, r_rows = worker.ask(name, bindings, budget)
            if r_time == "memory":
                print(f"{label:34s} {s_rows:7d} {'> ' + format(args.mem, '.0f') + ' GB':>9s} {s_time:9.3f} {'-':>13s} {mem_s} {'-':>11s}", flush=True)
            elif r_time == "budget":
                mem_r = f"{'>' + format(budget / m_time, '.0f'):>11s}" if m_time else f"{'-':>11s}"
                print(
                    f"{label:34s} {s_rows:7d} {'>' + format(budget, '.0f'):>9s} {s_time:9.3f} {'>' + format(budget / s_time, '.1f'):>13s}"
                    f" {mem_s} {mem_r}",
                    flush=True,
                )
                ratios.append(budget / s_time)
                t_r += budget
            else:
                note = "" if r_rows == s_rows else f"  (rows differ: rdflib {r_rows})"
                mem_r = f"{r_time / m_time:11.0f}" if m_time else f"{'-':>11s}"
                print(f"{label:34s} {s_rows:7d} {r_time:9.2f} {s_time:9.3f} {r_time / s_time:13.1f} {mem_s} {mem_r}{note}", flush=True)
                ratios.append(r_time / s_time)
                t_r += r_time
            t_s += s_time
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print()
        print(
            f"queries rdflib answered or timed out on: rdflib {t_r:.1f} s (timeouts counted at the budget), "
            f"store {t_s:.2f} s" + (f", in memory {t_m:.2f} s" if mem is not None else "") + " (all queries); "
            f"ratio of totals ≥ {t_r / t_s:.1f} (disk)" + (f", ≥ {t_r / t_m:.0f} (memory)" if mem is not None else "")
            + f"; geometric mean of rdflib/store ≥ {geo:.1f}; smallest {min(ratios):.1f}"
        )
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        worker.stop()
        del store, mem
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _real_build(args):
    """A build folder and its store, queried as they are (``--build``, ``--store``)."""
    import pyoxigraph as ox

    from pipeline.serve import IN_MEMORY_MAX_TRIPLES, open_dataset
    from pipeline.store import is_store, open_store

    # a store folder (xunshi build --store), or a bare Oxigraph database
    store = open_store(args.store, read_only=True) if is_store(args.store) else ox.Store.read_only(args.store)
    n_quads = len(store)
    mem = open_dataset(args.store) if is_store(args.store) and n_quads <= IN_MEMORY_MAX_TRIPLES else None
    first = next(iter(store.query(
        "SELECT (MIN(STR(?p)) AS ?m) WHERE { ?p a <https://w3id.org/xunshi/ontology#Problem> }",
        use_default_graph_as_union=True)))
    node_bound = [("evidence", {"node": first["m"].value})]
    print(f"store: {args.store}, {n_quads:,} quads" + ("" if mem is not None else f" (above {IN_MEMORY_MAX_TRIPLES:,}: served from disk, no in-memory column)"), flush=True)
    worker = RdflibWorker(Path(args.build), 0, args.mem)
    worker._start()
    secs, triples = worker.loaded
    print(f"rdflib: read {args.build} as `xunshi query --graph` does: {secs:.1f} s, {triples:,} triples", flush=True)
    return store, mem, worker, node_bound


def _copies(args, work: Path):
    """The sample's graph (or ``--graph``'s) ×``--copies`` as separate documents, written to a
    new store in ``work``."""
    from rdflib import Graph
    from rdflib.namespace import RDF

    from pipeline.build import serialize_turtle
    from pipeline.query import load_graph
    from pipeline.serve import open_dataset
    from pipeline.store import open_store, write_store
    from pipeline.vocab import XS

    if args.graph:
        graph_dir = Path(args.graph)
    else:
        from pipeline.workflow import run_build

        shutil.copytree(ROOT / "corpus", work / "corpus")
        old = os.getcwd()
        os.chdir(work)
        try:
            run_build(["corpus"], "graphs", html=False, shacl=False)
        finally:
            os.chdir(old)
        graph_dir = work / "graphs"
    base = load_graph(graph_dir / "xunshi.ttl")
    # `evidence` as it is meant to be asked (its ?node bound; unbound it dumps every span):
    # the problem whose IRI sorts first, present in copy 0
    node_bound = [("evidence", {"node": str(min(base.subjects(RDF.type, XS.Problem), key=str))})]

    t = time.perf_counter()
    big = synthetic(base, args.copies)
    t_synth = time.perf_counter() - t
    n_problems = len(set(big.subjects(RDF.type, XS.Problem)))
    n_docs = len(set(big.subjects(RDF.type, XS.SourceDocument)))
    print(f"graph: {args.copies} copies, {n_docs} documents, {n_problems:,} problems, {len(big):,} triples (made in {t_synth:.1f} s)", flush=True)
    del base

    t_parse = None
    if not args.no_parse:
        ttl = work / "big.ttl"
        ttl.write_bytes(serialize_turtle(big))
        t = time.perf_counter()
        parsed = Graph().parse(ttl, format="turtle")
        t_parse = time.perf_counter() - t
        del parsed
        ttl.unlink()

    t = time.perf_counter()
    stats = write_store(big, work / "store")
    t_write = time.perf_counter() - t
    t = time.perf_counter()
    again = write_store(big, work / "store")
    t_rewrite = time.perf_counter() - t
    assert again.written == ()
    # open read-only only now: a read-only view of a store rewritten under it is undefined
    t = time.perf_counter()
    store = open_store(work / "store", read_only=True)
    t_open = time.perf_counter() - t
    t = time.perf_counter()
    mem = open_dataset(work / "store", read_only=True, in_memory=True)  # what `xunshi serve` queries
    t_mem = time.perf_counter() - t

    del big
    gc.collect()
    worker = RdflibWorker(graph_dir / "xunshi.ttl", args.copies, args.mem)

    print(f"rdflib: parse the Turtle: {t_parse:.1f} s" if t_parse is not None else "rdflib: Turtle parse not timed")
    print(
        f"store:  write {t_write:.1f} s ({stats.documents} document graphs, {stats.triples:,} quads), "
        f"open {t_open * 1000:.0f} ms, copy into memory (serve) {t_mem:.1f} s, rewrite unchanged {t_rewrite:.1f} s"
    )
    return store, mem, worker, node_bound


if __name__ == "__main__":
    sys.exit(main())
