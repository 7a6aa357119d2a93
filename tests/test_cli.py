"""The ``xunshi`` command: build, view and validate through ``pipeline.cli.main``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_build_view_validate(tmp_path, capsys):
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["build", "corpus", "--out", "out", "--no-html", "-q"]) == 0
        out = capsys.readouterr()
        assert "通报 5 份, 问题 141 个" in out.out
        assert "完成 65, 阶段性完成 75, 未完成 1" in out.out
        assert "SHACL: 通过 (conforms)" in out.out
        assert "out/xunshi.ttl" in out.out and "out/stats.json" in out.out
        assert "W020" in out.err  # coded warnings go to stderr
        assert not Path("out/xunshi.html").exists()
        assert main(["view", "--graph", "out", "--out", "out/view.html"]) == 0
        html = Path("out/view.html").read_text(encoding="utf-8")
        assert "巡视整改" in html and "https://" not in html.split("<script", 1)[0]
        assert main(["validate", "--graph", "out"]) == 0
        assert "通过" in capsys.readouterr().out
    finally:
        os.chdir(old)


def test_outputs_an_earlier_build_left_are_pointed_out(tmp_path, capsys):
    """A build without the view (or validation) into a folder where an earlier build wrote
    one says that the page (or report) there is not this build's, and how to renew it; the
    report `validate --report` writes is the one a build writes."""
    out = tmp_path / "out"
    sample = str(ROOT / "corpus" / "xiangjiang-2023-12-22.txt")
    assert main(["build", sample, "--out", str(out), "-q"]) == 0
    assert "注意 (note)" not in capsys.readouterr().out
    report = (out / "shacl-report.ttl").read_bytes()
    (tmp_path / "more").mkdir()
    shutil.copy(sample, tmp_path / "more")
    (tmp_path / "more" / "copy.txt").write_text((ROOT / "corpus" / "xiangjiang-2023-12-22.txt").read_text(encoding="utf-8")
                                                .replace("2023年", "2024年"), encoding="utf-8")
    assert main(["build", str(tmp_path / "more"), "--out", str(out), "--no-html", "--no-shacl", "-q"]) == 0
    printed = capsys.readouterr().out
    assert f"注意 (note): {out / 'xunshi.html'} 是此前构建留下的, 未随本次构建更新; 需要时运行 xunshi view --graph {out}" in printed
    assert f"注意 (note): {out / 'shacl-report.ttl'} 是此前构建留下的" in printed
    assert f"xunshi validate --graph {out} --report {out / 'shacl-report.ttl'}" in printed
    assert main(["validate", "--graph", str(out), "--report", str(tmp_path / "r.ttl")]) == 0
    assert (tmp_path / "r.ttl").read_bytes() == report  # the graph conforms: the same report bytes
    # nothing rebuilt (up to date): nothing to say
    assert main(["build", str(tmp_path / "more"), "--out", str(out), "--no-html", "--no-shacl", "-q"]) == 0
    assert "注意 (note)" not in capsys.readouterr().out


def test_missing_input_is_a_clear_error(tmp_path, capsys):
    assert main(["build", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xunshi: 输入不存在") and "Traceback" not in err


def test_strict_exits_1_when_a_file_was_skipped(tmp_path, capsys):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "empty.txt").write_bytes(b"")
    shutil.copy(ROOT / "corpus" / "xiangjiang-2023-12-22.txt", tmp_path / "c")
    assert main(["build", str(tmp_path / "c"), "-o", str(tmp_path / "o"), "--no-html", "--no-shacl", "--strict", "-q"]) == 1
    assert "E001" in capsys.readouterr().err
    assert (tmp_path / "o" / "xunshi.ttl").is_file()  # -o is --out


def test_python_dash_m_and_console_script():
    r = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "build" in r.stdout and "query" in r.stdout
    exe = Path(sys.executable).parent / "xunshi"
    if exe.exists():
        r = subprocess.run([str(exe), "query", "--list"], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 0 and "unfinished" in r.stdout


def test_console_build_ends_fast_but_writes_and_reports_everything(tmp_path):
    """The console script ends a build without freeing its objects one by one (os._exit):
    its printed summary, its exit code and its outputs must all survive that."""
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "empty.txt").write_bytes(b"")
    shutil.copy(ROOT / "corpus" / "xiangjiang-2023-12-22.txt", tmp_path / "c")
    cmd = [sys.executable, "-m", "pipeline", "build", str(tmp_path / "c"), "--out", str(tmp_path / "o"), "--no-html", "--no-shacl"]
    r = subprocess.run([*cmd, "--strict"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1  # --strict: a file was skipped
    assert "通报 5 份, 问题 141 个" in r.stdout and str(tmp_path / "o" / "stats.json") in r.stdout  # the last lines too
    assert "E001" in r.stderr
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0
    stats = (tmp_path / "o" / "stats.json").read_text(encoding="utf-8")
    assert stats.endswith("}\n") and '"files_seen": 2' in stats
    assert (tmp_path / "o" / "xunshi.ttl").read_bytes().rstrip().endswith(b".")


def test_console_query_ends_fast_but_prints_every_row(tmp_path):
    """The console script ends a query (which read a whole graph) with os._exit too: every
    row is printed first, and the exit code is the verb's."""
    cmd = [sys.executable, "-m", "pipeline", "query", "unfinished", "--graph", str(ROOT / "graphs"), "-f", "csv"]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    from pipeline.query import load_graph, run_query

    assert len(r.stdout.strip().splitlines()) == 1 + len(run_query(load_graph(ROOT / "graphs", with_ontology=True), "unfinished"))
    bad = subprocess.run([*cmd[:4], "SELECT ?x WHERE {", "--graph", str(ROOT / "graphs")], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "xunshi:" in bad.stderr


def test_an_unchanged_build_is_not_redone(tmp_path, capsys):
    """Re-running a build whose inputs, code, options and outputs are unchanged rebuilds
    nothing (same summary, outputs untouched); any change, a touched output or --force
    rebuilds."""
    (tmp_path / "c").mkdir()
    shutil.copy(ROOT / "corpus" / "xiangjiang-2023-12-22.txt", tmp_path / "c")
    out = tmp_path / "o"
    cmd = ["build", str(tmp_path / "c"), "-o", str(out), "--no-html", "--no-shacl", "-q"]

    def build(*extra) -> str:
        assert main(cmd + list(extra)) == 0
        return capsys.readouterr().out

    def mtimes() -> dict:
        return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}

    first = build()
    assert "已是最新" not in first
    stamps = mtimes()
    second = build()
    assert "已是最新 (up to date)" in second and mtimes() == stamps
    # the same counts, statuses and outputs as the build that made them
    assert second.splitlines()[1:] == [line for line in first.splitlines() if not line.startswith("缓存")]
    assert "问题 " in second and "完成 " in second

    (out / "xunshi.graphml").unlink()  # an output removed: rebuilt
    assert "已是最新" not in build() and (out / "xunshi.graphml").is_file()
    assert "已是最新" in build()
    assert "已是最新" not in build("--force")
    assert "已是最新" not in build("--max-bytes", "100000000")  # other options
    with open(tmp_path / "c" / "xiangjiang-2023-12-22.txt", "a", encoding="utf-8") as fh:
        fh.write("\n")  # an input changed
    assert "已是最新" not in build("--max-bytes", "100000000")
    assert "已是最新" in build("--max-bytes", "100000000")


class _Stream:
    """A text stream that says whether it is a terminal."""

    def __init__(self, tty: bool):
        import io

        self.buf, self.tty = io.StringIO(), tty

    def isatty(self) -> bool:
        return self.tty

    def write(self, s: str) -> int:
        return self.buf.write(s)

    def flush(self) -> None:
        pass


def test_progress_names_the_corpus_stages_after_the_files(tmp_path):
    """Files, bulletins and rate while files are read; then each corpus stage as it starts
    (most of a large build's time): one line each in a log, one rewritten line on a terminal."""
    from pipeline.cli import Progress
    from pipeline.workflow import run_build

    seen = {}
    for tty in (False, True):
        stream = _Stream(tty)
        progress = Progress(stream)
        run_build([ROOT / "corpus"], tmp_path / f"out-{tty}", html=False, shacl=False, use_cache=False,
                  progress=progress, stage=progress.stage)
        progress.done()
        seen[tty] = stream.buf.getvalue()
    log = seen[False].splitlines()
    assert log[0] == "[ok] corpus/xiangjiang-2023-12-22.txt: 5 份通报 (bulletins), 141 个问题 (problems)"
    stages = [line.split("] ", 1)[1].rsplit(" (已用", 1)[0] for line in log[1:]]
    assert stages == ["关联实体 (link)", "构建图谱 (graph)", "此前轮次 (earlier rounds)", "轮次分组 (round groups)",
                      "主题 (themes)", "同题链接 (same-issue links)", "分析决定 (decisions)", "写出 Turtle", "写出 GraphML",
                      "写出 CSV", "核对原文出处 (evidence check)"]
    term = seen[True]
    assert "\n" not in term[:-1] and term.endswith("\n") and term.count("\r\033[K") == 1 + len(stages)
    assert "1 个文件 (files), 5 份通报, 141 个问题 — 正在 (now): 核对原文出处 (evidence check)" in term.rsplit("\r\033[K", 1)[1]
    assert "文件/秒" in term
