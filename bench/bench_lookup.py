"""Named queries bound to a label on an Oxigraph store: with and without the label lookup.

A query with a ``# lookup:`` line (``unit-problems``, ``policies``, ``policy-reused``) bound to
a label can first find the nodes whose label matches and bind them
(``pipeline.store.lookup_bindings``); without that, Oxigraph tests the label on every row.
This times, in one run on the same store, each case both ways (the query text with the label
alone, as ``bound_query`` sends it to any endpoint; and with ``store=`` given, as ``xunshi query
--graph STORE`` and ``xunshi serve`` run it), rows converted to rdflib terms as the CLI gets
them, and checks that both give the same rows. Also times the same queries bound to one node
IRI (what the lookup binds). Machines here are shared and noisy: compare within one run.

usage: python bench/bench_lookup.py STORE [--case unit-problems:unit_label=岳麓高新区 ...] [--repeat 1]

Without ``--case``: the prefLabel of the unit with the smallest IRI (unit-problems), the last
four characters of the label of the policy with the smallest IRI (policies, policy-reused: a
common suffix such as 工作指引, so many policies match).
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from pipeline.store import (  # noqa: E402
    bound_query,
    is_store,
    open_store,
    run_ox,
    to_result,
)

UNIT = "SELECT ?u ?l WHERE { ?u a xs:Unit ; skos:prefLabel ?l } ORDER BY ?u LIMIT 1"
POLICY = "SELECT ?p ?l WHERE { ?p a xs:Policy ; rdfs:label ?l } ORDER BY ?p LIMIT 1"


def default_cases(store) -> list[tuple[str, dict]]:
    cases = []
    for row in run_ox(store, UNIT):
        cases.append(("unit-problems", {"unit_label": row["l"].value}))
        cases.append(("unit-problems", {"unit": f"<{row['u'].value}>"}))
    for row in run_ox(store, POLICY):
        label = row["l"].value
        cases.append(("policies", {"policy_label": label[-4:]}))
        cases.append(("policy-reused", {"policy_label": label[-4:]}))
        cases.append(("policies", {"policy": f"<{row['p'].value}>"}))
    return cases


def rows(result) -> list[tuple]:
    return [tuple(r.get(v) for v in result.vars) for r in result.bindings]


def timed(store, text: str, repeat: int) -> tuple[float, list]:
    best, got = float("inf"), []
    for _ in range(repeat):
        t = time.perf_counter()
        got = rows(to_result(run_ox(store, text)))
        best = min(best, time.perf_counter() - t)
    return best, got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", help="a store folder (xunshi build --store) or an Oxigraph database folder")
    ap.add_argument("--case", action="append", default=[], help="NAME:PARAM=VALUE (repeatable)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case (best is reported)")
    args = ap.parse_args()
    # a store folder, or a bare Oxigraph database (e.g. a large build's Turtle bulk-loaded)
    store = open_store(args.store, read_only=True) if is_store(args.store) else ox.Store.read_only(args.store)
    cases = [(c.split(":", 1)[0], dict([c.split(":", 1)[1].split("=", 1)])) for c in args.case] or default_cases(store)
    print(f"# {platform.machine()}, {platform.python_version()}, store {Path(args.store).resolve()}")
    print("| query | binding | rows | filter alone s | with lookup s | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for name, bindings in cases:
        _, plain = bound_query(name, bindings)
        t = time.perf_counter()
        _, fast = bound_query(name, bindings, store=store)  # the lookup runs here
        lookup_s = time.perf_counter() - t
        s_fast, r_fast = timed(store, fast, args.repeat)
        s_fast += lookup_s
        same = fast == plain
        s_plain, r_plain = (s_fast, r_fast) if same else timed(store, plain, args.repeat)
        # GROUP_CONCAT order is the engine's: compare the rows as multisets of sorted cells
        norm = lambda rs: sorted(repr(tuple(sorted(re.split("; |, |、", str(c))) if c is not None else None for c in r)) for r in rs)  # noqa: E731
        check = "" if norm(r_plain) == norm(r_fast) else " ROWS DIFFER"
        (key, value), = bindings.items()
        print(f"| {name} | {key}={value} | {len(r_fast)} | {s_plain:.2f} | {s_fast:.2f} | {s_plain / s_fast:.1f}{check} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
