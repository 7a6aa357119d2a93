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

Prints seconds and ratios rdflib / store. Machines here are shared and noisy: compare the
ratios, not the seconds; nothing here is asserted in tests.

usage: python bench/bench_store.py [--copies 71] [--budget 60] [--mem 10] [--graph graphs] [--no-parse]
                                   [--queries unfinished,bulletins]
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
    """``base`` repeated ``copies`` times with new IRIs per copy (copy 0 is ``base`` itself)."""
    from rdflib import Graph, URIRef

    from pipeline.vocab import XR, XS

    xr = str(XR)
    problems = sorted(base.subjects(XS.status, None))
    rotate = {p for i, p in enumerate(problems) if i % 7 == 0}
    out = Graph()
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
    ``(seconds, rows)``, or ``("memory", None)`` when the query hit the memory cap."""
    import resource

    cap = int(mem_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))  # MemoryError here, not the OOM killer
    from pipeline.query import load_graph, run_query
    from pipeline.vocab import ontology_dir

    big = synthetic(load_graph(ttl), copies)
    for name in ("xunshi.ttl", "themes.ttl"):
        big.parse(ontology_dir() / name, format="turtle")
    conn.send("ready")
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

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, *self.args), daemon=True)
        self.proc.start()
        child.close()
        if not self.conn.poll(900) or self.conn.recv() != "ready":
            raise RuntimeError("the rdflib worker did not start")

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
    return best, rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=71, help="copies of the sample graph (71 ≈ 10,000 problems)")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds allowed per rdflib query")
    ap.add_argument("--mem", type=float, default=10.0, help="GB of address space for the rdflib worker")
    ap.add_argument("--graph", help="a built graph folder to replicate (default: build the sample)")
    ap.add_argument("--no-parse", action="store_true", help="skip timing rdflib's Turtle parse of the large graph")
    ap.add_argument("--queries", help="comma-separated named queries (default: all, plus two with parameters)")
    args = ap.parse_args()

    from rdflib import Graph
    from rdflib.namespace import RDF

    from pipeline.build import serialize_turtle
    from pipeline.query import load_graph, named_queries
    from pipeline.serve import open_dataset
    from pipeline.store import open_store, write_store
    from pipeline.vocab import XS

    work = Path(tempfile.mkdtemp(prefix="xunshi-bench-store-"))
    try:
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
        mem = open_dataset(work / "store", read_only=True)  # what `xunshi serve` queries
        t_mem = time.perf_counter() - t

        del big
        gc.collect()
        worker = RdflibWorker(graph_dir / "xunshi.ttl", args.copies, args.mem)

        print(f"rdflib: parse the Turtle: {t_parse:.1f} s" if t_parse is not None else "rdflib: Turtle parse not timed")
        print(
            f"store:  write {t_write:.1f} s ({stats.documents} document graphs, {stats.triples:,} quads), "
            f"open {t_open * 1000:.0f} ms, copy into memory (serve) {t_mem:.1f} s, rewrite unchanged {t_rewrite:.1f} s"
        )

        cases = [(n, {}) for n in named_queries()] + BOUND + node_bound
        if args.queries:
            wanted = set(args.queries.split(","))
            cases = [c for c in cases if c[0] in wanted]
        print()
        print(f"{'query':34s} {'rows':>7s} {'rdflib s':>9s} {'store s':>9s} {'rdflib/store':>13s} {'in-memory s':>12s} {'rdflib/mem':>11s}")
        ratios, t_r, t_s, t_m = [], 0.0, 0.0, 0.0
        for name, bindings in cases:
            label = name + ("?" + "&".join(f"{k}={v}" for k, v in bindings.items()) if bindings else "")
            s_time, s_rows = time_store(store, name, bindings)
            m_time, _ = time_store(mem, name, bindings)
            t_m += m_time
            r_time, r_rows = worker.ask(name, bindings, args.budget)
            if r_time == "memory":
                print(f"{label:34s} {s_rows:7d} {'> ' + format(args.mem, '.0f') + ' GB':>9s} {s_time:9.3f} {'-':>13s} {m_time:12.3f} {'-':>11s}", flush=True)
            elif r_time == "budget":
                print(
                    f"{label:34s} {s_rows:7d} {'>' + format(args.budget, '.0f'):>9s} {s_time:9.3f} {'>' + format(args.budget / s_time, '.1f'):>13s}"
                    f" {m_time:12.3f} {'>' + format(args.budget / m_time, '.0f'):>11s}",
                    flush=True,
                )
                ratios.append(args.budget / s_time)
                t_r += args.budget
            else:
                note = "" if r_rows == s_rows else f"  (rows differ: rdflib {r_rows})"
                print(
                    f"{label:34s} {s_rows:7d} {r_time:9.2f} {s_time:9.3f} {r_time / s_time:13.1f} {m_time:12.3f} {r_time / m_time:11.0f}{note}",
                    flush=True,
                )
                ratios.append(r_time / s_time)
                t_r += r_time
            t_s += s_time
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print()
        print(
            f"queries rdflib answered or timed out on: rdflib {t_r:.1f} s (timeouts counted at the budget), "
            f"store {t_s:.2f} s, in memory {t_m:.2f} s (all queries); ratio of totals ≥ {t_r / t_s:.1f} (disk), "
            f"≥ {t_r / t_m:.0f} (memory); geometric mean of rdflib/store ≥ {geo:.1f}"
        )
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        worker.stop()
        del store, mem
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
