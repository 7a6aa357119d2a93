"""Analysts' decisions survive rebuilds and show in the graph as such."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS, SKOS

from pipeline.vocab import XS
from pipeline.workflow import run_build

ROOT = Path(__file__).resolve().parent.parent
SRC = "corpus/xiangjiang-2023-12-22.txt"

DECISIONS = "\t".join(["action", "subject", "object", "value", "who", "when", "why"]) + "\n" + "\n".join(
    "\t".join(row)
    for row in [
        ["accept-link", f"{SRC}|正文|1", f"{SRC}|附件4|问题5", "", "王审计", "2026-11-20", "同属主导产业规模问题"],
        ["reject-link", f"{SRC}|正文|55", f"{SRC}|附件2|(五)", "", "王审计", "2026-11-20", "测试:人工否决"],
        ["merge", "湘江新区机关党组织党建工作标准化管理若干规范", "机关党组织标准化管理若干规范", "", "李研究员", "2026-11-21", "同一文件的简称"],
        ["status", f"{SRC}|正文|2", "", "Completed", "王审计", "2026-11-22", "已核实完成"],
        ["status", f"{SRC}|附件3|问题1", "", "Completed", "王审计", "2026-11-22", "有歧义"],
        ["frobnicate", "x", "", "", "", "", ""],
        ["merge", "不存在的单位", "湖南湘江新区", "", "", "", ""],
    ]
) + "\n"


def _build(tmp_path: Path) -> tuple[Graph, dict]:
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    (tmp_path / "corpus" / "decisions.tsv").write_text(DECISIONS, encoding="utf-8")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        run_build(["corpus"], "graphs", html=False)
    finally:
        os.chdir(old)
    g = Graph().parse(tmp_path / "graphs" / "xunshi.ttl")
    stats = json.loads((tmp_path / "graphs" / "stats.json").read_text(encoding="utf-8"))
    return g, stats


def _problem(g: Graph, att: str | None, ordinal: str):
    for p in g.subjects(XS.ordinal, Literal(ordinal, lang="zh")):
        b = g.value(p, XS.inBulletin)
        if (p, RDF.type, XS.Problem) in g and g.value(b, XS.attachmentLabel) == (Literal(att, lang="zh") if att else None):
            return p
    raise AssertionError(ordinal)


def test_decisions_are_applied_and_recorded(tmp_path):
    g, stats = _build(tmp_path)
    decisions = list(g.subjects(RDF.type, XS.Decision))
    assert len(decisions) == 4  # the four applicable lines
    p1, q5 = _problem(g, None, "1"), _problem(g, "附件4", "问题5")
    assert (p1, XS.sameIssueAs, q5) in g and (q5, XS.sameIssueAs, p1) in g
    p55, a5 = _problem(g, None, "55"), _problem(g, "附件2", "(五)")
    assert (p55, XS.sameIssueAs, a5) not in g and (a5, XS.sameIssueAs, p55) not in g
    links = [l for l in g.subjects(RDF.type, XS.IssueLink) if {g.value(l, XS.source), g.value(l, XS.target)} == {p55, a5}]
    assert len(links) == 1 and str(g.value(links[0], XS.decision)) == "reject"
    merged = list(g.subjects(RDFS.label, Literal("湘江新区机关党组织党建工作标准化管理若干规范", lang="zh")))
    assert len(merged) == 1
    assert Literal("机关党组织标准化管理若干规范", lang="zh") in set(g.objects(merged[0], SKOS.altLabel))
    assert not list(g.subjects(RDFS.label, Literal("机关党组织标准化管理若干规范", lang="zh")))
    assert len(list(g.subjects(XS.establishes, merged[0]))) == 2  # both bulletins' measures now point here
    p2 = _problem(g, None, "2")
    assert g.value(p2, XS.status) == XS.Completed and str(g.value(p2, XS.statusText)) == "阶段性完成"
    d = g.value(p2, XS.decidedIn)
    assert str(g.value(d, XS.decidedBy)) == "王审计" and str(g.value(d, XS.reason)) == "已核实完成"
    codes = stats["issue_counts"]
    assert codes.get("W050") == 1 and codes.get("W051") == 1 and codes.get("W053") == 1  # ambiguous 问题1 of 附件3
    assert stats["evidence"]["not_round_tripping"] == 0 and stats["shacl"]["conforms"] is True
    assert {f["path"]: f["outcome"] for f in stats["files"]}["corpus/decisions.tsv"] == "decisions"
