"""``xunshi``: the command line. Argument parsing and messages here; the work is done by
importable functions (``pipeline.workflow.run_build``, ``pipeline.query.run_query`` …)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import Issue, UsageError, XunshiError
from .vocab import STATUS_ZH



def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


class Progress:
    """A progress line on a terminal (files, bulletins, rate); plain log lines otherwise."""

    def __init__(self, stream):
        import time

        self.stream, self.time = stream, time.monotonic
        self.tty = stream.isatty()
        self.start = self.time()
        self.files = self.bulletins = self.problems = 0

    def __call__(self, st) -> None:
        self.files += 1
        self.bulletins += st.n_bulletins
        self.problems += st.n_problems
        rate = self.files / max(self.time() - self.start, 1e-6)
        if self.tty:
            print(
                f"\r\033[K{self.files} 个文件 (files), {self.bulletins} 份通报, {self.problems} 个问题, {rate:.1f} 文件/秒 — {st.display}",
                file=self.stream,
                end="",
                flush=True,
            )
        else:
            print(f"[{st.outcome}] {st.display}: {st.n_bulletins} 份通报 (bulletins), "
                  f"{st.n_problems} 个问题 (problems)", file=self.stream)

    STAGES = {
        "link": "关联实体 (link)", "graph": "构建图谱 (graph)", "rounds": "此前轮次 (earlier rounds)",
        "round_groups": "轮次分组 (round groups)", "themes": "主题 (themes)", "same_issue": "同题链接 (same-issue links)",
        "decisions": "分析决定 (decisions)", "turtle": "写出 Turtle", "graphml": "写出 GraphML", "csv": "写出 CSV",
        "evidence": "核对原文出处 (evidence check)", "shacl": "SHACL 校验 (validation)", "html": "HTML 视图 (view)",
    }

    def stage(self, name: str) -> None:
        """A corpus stage starts: most of a large build's time comes after the last file."""
        label = self.STAGES.get(name, name)
        took = self.time() - self.start
        if self.tty:
            print(f"\r\033[K{self.files} 个文件 (files), {self.bulletins} 份通报, {self.problems} 个问题 — "
                  f"正在 (now): {label}, 已用 {took:.0f} 秒", file=self.stream, end="", flush=True)
        else:
            print(f"[阶段 stage] {label} (已用 {took:.1f} 秒 / elapsed)", file=self.stream, flush=True)

    def done(self) -> None:
        if self.tty:
            print(file=self.stream)


def cmd_build(args) -> int:
    from .workflow import run_build

    inputs = args.inputs or ["corpus"]
    for i in inputs:
        if not Path(i).exists():
            raise UsageError(f"输入不存在 (input not found): {i}")
    progress = None if args.quiet else Progress(sys.stderr)

    report = run_build(
        inputs,
        args.out,
        html=not args.no_html,
        shacl=not args.no_shacl,
        view_budget=args.view_budget,
        max_bytes=args.max_bytes,
        progress=progress,
        options={**{k: Path(v) for k, v in (("decisions", args.decisions), ("reference", args.reference),
                                           ("save_reference", args.save_reference)) if v},
                 **({"refit": True} if args.refit else {})},
        workers=args.workers,
        use_cache=not args.no_cache,
        skip_unchanged=not (args.force or args.store or args.save_reference),
        stage=progress.stage if progress else None,
        incremental=not (args.force or args.store),
    )
    if progress:
        progress.done()
    if report.up_to_date is not None:
        print("已是最新 (up to date): 输入、代码与输出均未改变, 未重建; 强制重建请加 --force "
              "(inputs, code and outputs unchanged: nothing rebuilt)")
    if args.store:
        from .store import write_store

        st = write_store(report.graph, args.store)
        print(f"图谱存储 (store): {args.store} — {st}")
    d = report.as_dict()
    c = d["counts"]
    for issue in d["issues"]:
        _err(Issue.format(issue))
    print(
        f"文件 {d['files_seen']} 个 (files): 成功 {d['files_ok']}, 跳过 {d['files_skipped']}; "
        f"通报 {c.get('bulletins', 0)} 份, 问题 {c.get('problems', 0)} 个, 措施 {c.get('measures', 0)} 条, "
        f"制度 {c.get('policies', 0)} 项, 引用文献 {c.get('cited_works', 0)} 项, 单位 {c.get('units', 0)} 个, "
        f"人员 {c.get('people', 0)} 名"
    )
    print("整改状态 (status): " + ", ".join(f"{STATUS_ZH[k]} {v}" for k, v in d["problems_by_status"].items() if v))
    if d["shacl"]:
        print(f"SHACL: {'通过 (conforms)' if d['shacl']['conforms'] else '未通过 (violations: %d)' % d['shacl']['violations']}")
    if d.get("view"):
        print(f"HTML 视图 (view): {d['view']['note']}")
    print(f"警告 {d['warnings']} 条, 错误 {d['errors']} 条 (see stats.json)")
    if report.reference.get("used"):
        print(f"参考统计已固定 (pinned to reference statistics) {report.reference['used']}; 重新拟合请加 --refit (to refit)")
        if not (args.no_html or args.no_cache or args.quiet):  # the view is what keeps this build from being incremental
            print("提示 (hint): 加 --no-html 时, 下次构建只重建变动涉及的文件 (增量重建); 视图可随后用 xunshi view 生成 "
                  "(without the HTML view a pinned build is rebuilt incrementally; write the view with xunshi view)")
    if report.reference.get("saved"):
        print(f"参考统计 (reference statistics): {args.save_reference} — {report.reference['saved']}")
    if report.cache:
        print(f"缓存 (cache): 复用 {report.cache['hits']} 个文件, 新处理 {report.cache['misses']} 个 (reused / processed)")
    if report.rebuilt:
        r = report.rebuilt
        print(f"增量重建 (incremental rebuild): {r['changed']} 个文件有变动, 重建其涉及的 {r['documents']} 个文件、"
              f"{r['subjects']} 个节点, 其余沿用上次输出 (changed files / documents rebuilt / subjects rewritten; "
              "--force 全部重建 rebuilds everything)")
    print("输出 (outputs):")
    for name, path in d["outputs"].items():
        print(f"  {path}")
    if report.up_to_date is None:
        # outputs an earlier build wrote into the folder and this one did not: no longer the graph's
        out = Path(args.out)
        for name, skipped, how in (("xunshi.html", args.no_html, f"xunshi view --graph {out}"),
                                   ("shacl-report.ttl", args.no_shacl, f"xunshi validate --graph {out} --report {out / 'shacl-report.ttl'}")):
            if skipped and (out / name).exists():
                print(f"注意 (note): {out / name} 是此前构建留下的, 未随本次构建更新; 需要时运行 {how} "
                      f"(left by an earlier build, not updated by this one)")
    if args.strict and d["errors"]:
        return 1
    return 0


def cmd_query(args) -> int:
    from .query import format_result, load_graph, named_queries, run_query

    if args.list:
        for name, path in sorted(named_queries().items()):
            print(f"{name}\t{path}")
        return 0
    if not args.spec:
        raise UsageError("请给出查询: 名称、.rq 文件或 SPARQL 文本 (give a named query, a .rq file or SPARQL); see --list")
    bindings = {}
    for b in args.bind or []:
        if "=" not in b:
            raise UsageError(f"--bind 需要 name=value 形式 (expected name=value): {b}")
        k, v = b.split("=", 1)
        bindings[k.lstrip("?$")] = v
    from .store import is_store, query_store

    if is_store(args.graph):  # an Oxigraph store (`build --store`): query it in place
        result = query_store(args.graph, args.spec, bindings)
    else:
        graph = load_graph(args.graph, with_ontology=True)  # status and class labels for the table
        result = run_query(graph, args.spec, bindings)
    sys.stdout.write(format_result(result, args.format))
    return 0


def cmd_view(args) -> int:
    from .query import load_graph
    from .store import is_store, view_subgraph
    from .view import VIEW_BUDGET, write_view

    budget = VIEW_BUDGET if args.budget is None else args.budget
    out = Path(args.out) if args.out else Path(args.graph) / "xunshi.html"
    if is_store(args.graph):  # read in place: only the documents the page covers
        graph, documents, totals = view_subgraph(args.graph, budget, args.match)
        scope = write_view(graph, out, budget=budget, match=args.match, documents=documents, totals=totals)
    else:
        graph = load_graph(args.graph)
        scope = write_view(graph, out, budget=budget, match=args.match)
    print(f"已写入 (written): {out}")
    if scope is not None and scope.partial:
        print(scope.note())
    return 0


def cmd_validate(args) -> int:
    from .query import load_graph
    from .validate import validate_graph

    graph = load_graph(args.graph)
    res = validate_graph(graph)
    if args.report:
        from .fsio import atomic_write

        atomic_write(Path(args.report), res.report.serialize(format="turtle", encoding="utf-8"))
    if res.conforms:
        print("SHACL: 通过 (conforms)")
        return 0
    print(res.text)
    print(f"SHACL: 未通过, {res.violations} 处违反约束 (violations)")
    return 1


def cmd_trace(args) -> int:
    import json
    from dataclasses import asdict

    from .query import load_graph
    from .recurrence import format_timeline, trace

    graph = load_graph(args.graph, with_ontology=True)
    t = trace(graph, args.theme)
    if args.format == "json":
        print(json.dumps(asdict(t), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(format_timeline(t))
    return 0


def cmd_diff(args) -> int:
    import csv

    from .query import load_graph
    from .recurrence import DIFF_COLUMNS, diff, diff_table_rows

    graph = load_graph(args.graph, with_ontology=True)
    label_a, label_b, rows = diff(graph, args.a, args.b)
    table = diff_table_rows(rows)
    if args.csv:
        with open(args.csv, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(DIFF_COLUMNS)
            w.writerows(table)
    if args.format == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(DIFF_COLUMNS)
        w.writerows(table)
        return 0
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.change] = counts.get(r.change, 0) + 1
    changed = sum(r.status_changed for r in rows)
    print(f"A = {label_a}; B = {label_b}")
    print(
        "延续 (carried-over) {0}, 改写 (reworded) {1}, 新增 (new) {2}, 不再出现 (dropped) {3}; 状态变化 (status-changed) {4}".format(
            counts.get("carried-over", 0), counts.get("reworded", 0), counts.get("new", 0), counts.get("dropped", 0), changed
        )
    )
    for row in table:
        print(f"{row[0]}{'  ' + row[1] if row[1] else ''}{'  相似度 ' + row[2] if row[2] else ''}")
        if row[3]:
            print(f"    A {row[3]} [{row[5]}] {row[4][:40]}")
        if row[6]:
            print(f"    B {row[6]} [{row[8]}] {row[7][:40]}")
    if args.csv:
        print(f"已写入 (written): {args.csv}")
    return 0


def cmd_serve(args) -> int:
    from .serve import serve

    if not args.allow_remote and args.host not in ("127.0.0.1", "localhost", "::1"):
        raise UsageError("只在本机监听;如需对外服务请加 --allow-remote (bound to localhost unless --allow-remote)")
    print(f"SPARQL 端点 (endpoint): http://{args.host}:{args.port}/query  ({'可写 writable' if args.writable else '只读 read-only'}); Ctrl-C 停止")
    serve(args.graph, args.host, args.port, read_only=not args.writable)
    return 0


def cmd_push(args) -> int:
    from .serve import auth_from_env, push

    res = push(args.graph, args.endpoint, graph_iri=args.graph_iri, auth=auth_from_env(), replace=not args.add)
    print(f"已推送 (pushed): {res}")
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="xunshi", description="巡视巡察整改通报 → 知识图谱 (inspection-rectification bulletins → RDF knowledge graph)")
    sub = ap.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="构建知识图谱 (build graphs/ from a folder or files)")
    b.add_argument("inputs", nargs="*", help="folders or files (default: corpus)")
    b.add_argument("-o", "--out", default="graphs", help="output folder (default: graphs)")
    b.add_argument("--no-html", action="store_true", help="skip the HTML view")
    b.add_argument("--no-shacl", action="store_true", help="skip SHACL validation")
    b.add_argument("--view-budget", type=int, default=None, help="nodes the HTML view draws at most: a larger graph's "
                   "page covers the newest files that fit (default 20000; 0: the whole graph)")
    b.add_argument("--max-bytes", type=int, default=200_000_000, help="skip files larger than this (E007)")
    b.add_argument("--strict", action="store_true", help="exit 1 when any file was skipped")
    b.add_argument("--decisions", help="analysts' decisions file (default: decisions.tsv among the inputs)")
    b.add_argument("--reference", help="pin the themes' and same-issue statistics to this reference file "
                   "(default: reference.npz among the inputs)")
    b.add_argument("--save-reference", help="write the statistics this build used to this file (a reference for later builds)")
    b.add_argument("--refit", action="store_true", help="fit the statistics on the corpus, ignoring a reference.npz among the inputs")
    b.add_argument("--store", help="also write an on-disk Oxigraph store (one named graph per document) to this folder")
    b.add_argument("-j", "--workers", type=int, default=1, help="processes for ingest, segment and extract (same output)")
    b.add_argument("--no-cache", action="store_true", help="reprocess every file (ignore OUT/.cache)")
    b.add_argument("--force", action="store_true", help="rebuild everything, even when inputs, code and outputs are unchanged (no incremental rebuild)")
    b.add_argument("-q", "--quiet", action="store_true")
    b.set_defaults(func=cmd_build)

    q = sub.add_parser("query", help="SPARQL 查询 (run SPARQL: a named query, a .rq file or a string)")
    q.add_argument("spec", nargs="?", help="named query, .rq file or SPARQL text")
    q.add_argument("--graph", default="graphs", help="graph folder, file or store folder (default: graphs)")
    q.add_argument("--format", "-f", default="table", choices=["table", "csv", "tsv", "json"])
    q.add_argument("--bind", action="append", metavar="NAME=VALUE", help="pre-bind a query variable")
    q.add_argument("--list", action="store_true", help="list the named queries")
    q.set_defaults(func=cmd_query)

    v = sub.add_parser("view", help="生成离线 HTML 图 (write the offline HTML view)")
    v.add_argument("--graph", default="graphs")
    v.add_argument("-o", "--out", help="HTML file (default: GRAPH/xunshi.html)")
    v.add_argument("--match", help="只收录源文件路径、通报标题或发文单位含此关键词的文件 "
                   "(only the source files whose path, bulletin title or publisher contains this text)")
    v.add_argument("--budget", type=int, default=None, help="draw at most about this many nodes: a larger graph's page "
                   "covers the newest files that fit (default 20000; 0: the whole graph)")
    v.set_defaults(func=cmd_view)

    t = sub.add_parser("trace", help="追踪反复出现的问题 (timeline of a theme across rounds)")
    t.add_argument("theme", help="主题名称或别名,如 三转;找不到主题时按文本检索 (theme name or alias, else a phrase)")
    t.add_argument("--graph", default="graphs")
    t.add_argument("--format", "-f", default="text", choices=["text", "json"])
    t.set_defaults(func=cmd_trace)

    d = sub.add_parser("diff", help="比较两份通报或两个轮次 (compare two bulletins or rounds)")
    d.add_argument("a", help="通报/轮次 IRI、文件路径、文件|附件N 或年份 (bulletin or round)")
    d.add_argument("b")
    d.add_argument("--graph", default="graphs")
    d.add_argument("--format", "-f", default="table", choices=["table", "csv"])
    d.add_argument("--csv", help="also write the table to this CSV file (UTF-8 with BOM)")
    d.set_defaults(func=cmd_diff)

    sv = sub.add_parser("serve", help="SPARQL 端点 (SPARQL 1.1 endpoint over a graph folder or store)")
    sv.add_argument("graph", nargs="?", default="graphs", help="graph folder or store folder (default: graphs)")
    sv.add_argument("--port", type=int, default=7878)
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    sv.add_argument("--writable", action="store_true", help="accept /update and Graph Store writes")
    sv.set_defaults(func=cmd_serve)

    pu = sub.add_parser("push", help="推送到 SPARQL 图存储端点 (load the graph into a Graph Store Protocol endpoint)")
    pu.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:7878/store, Fuseki …/DATASET/data")
    pu.add_argument("--graph", default="graphs", help="graph folder, file or store (default: graphs)")
    pu.add_argument("--graph-iri", help="target named graph (default: the default graph)")
    pu.add_argument("--add", action="store_true", help="POST (add) instead of PUT (replace)")
    pu.set_defaults(func=cmd_push)

    val = sub.add_parser("validate", help="SHACL 校验 (validate a built graph)")
    val.add_argument("--graph", default="graphs")
    val.add_argument("--report", help="also write the validation report (Turtle) to this file, as a build writes shacl-report.ttl")
    val.set_defaults(func=cmd_validate)
    return ap


_FAST_EXIT = ("build", "query", "view", "validate", "trace", "diff")


def main(argv: list[str] | None = None, *, fast_exit: bool = False) -> int:
    """Run one verb; the exit code. ``fast_exit`` (the console script): once ``build`` (or a
    verb that reads a whole graph: ``query``, ``view``, ``validate``, ``trace``, ``diff``)
    has written and closed every output, end the process at once instead of freeing the
    graph's objects one by one — at 10,000 bulletins that teardown took over two minutes
    after a build, half a minute after ``view``."""
    args = parser().parse_args(argv)
    try:
        code = args.func(args)
    except (UsageError, XunshiError) as err:
        _err(f"xunshi: {err}")
        return 2
    except KeyboardInterrupt:
        _err("xunshi: 已中断 (interrupted); 输出未改动 (outputs left as they were)")
        return 130
    except BrokenPipeError:
        return 0
    if fast_exit and args.command in _FAST_EXIT:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def entry() -> None:
    """The ``xunshi`` console script and ``python -m pipeline``."""
    sys.exit(main(fast_exit=True))


if __name__ == "__main__":
    entry()
