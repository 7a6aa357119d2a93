"""The synthetic mode of ``bench/eval_same_issue.py``: graph problems mapped to the manifest of
``bench/gen_corpus.py`` and the same-issue links scored against its families.

One small corpus (12 files, with rounds and attachments) is generated and built once per module
(a few seconds); the pure parts (gold pairs, kinds, the mapping's offsets) are checked on
hand-made data.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from math import comb
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

ROOT = Path(__file__).resolve().parent.parent
N, SEED = 12, 0


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, mod)
    spec.loader.exec_module(mod)
    return mod


ev = _load("eval_same_issue", ROOT / "bench" / "eval_same_issue.py")
gen = _load("gen_corpus", ROOT / "bench" / "gen_corpus.py")
XS = ev.XS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    gen.generate(N, out, SEED)
    return out


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory):
    from pipeline.workflow import run_build

    return run_build([corpus / "bulletins"], tmp_path_factory.mktemp("build"), html=False, shacl=False,
                     use_cache=False).graph


@pytest.fixture(scope="module")
def result(built, corpus):
    return ev.evaluate_synthetic(built, corpus)


def test_every_problem_is_mapped(result, corpus):
    m = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    assert len(result["mapping"]) == result["n_graph_problems"] == m["totals"]["problems"]
    assert len(set(result["mapping"].values())) == len(result["mapping"])
    assert not [n for n in result["notes"] if n.startswith("unmapped")]
    assert any(sp.bindex for sp in result["probs"].values()), "the corpus should hold an attachment"


def test_gold_is_every_pair_of_a_family(result, corpus):
    m = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    sizes: dict[int, int] = {}
    for f in m["files"]:
        for fam in f["families"]:
            sizes[fam] = sizes.get(fam, 0) + 1
    assert len(result["gold"]) == sum(comb(k, 2) for k in sizes.values())
    for pr, kind in result["links"].items():  # listed restatements are gold, round-theme pairs are not
        assert (pr in result["gold"]) == (kind != "round-theme")
        if kind != "round-theme":
            assert result["kinds"][pr] == kind


def test_mapping_lines_up_with_the_texts(result):
    """A wrong offset would pair unrelated statements: the listed restatements, which keep their
    original's template, mostly share their text's characters once mapped."""
    diag = result["diag"]
    rounds = [pr for pr, k in result["kinds"].items() if k in ("round", "attachment")]
    assert rounds
    similar = sum(diag[pr]["features"]["chars"] >= 0.5 for pr in rounds)
    assert similar >= 0.8 * len(rounds)


def test_scores_are_consistent(result):
    same, il, gold = result["same"], result["issue_links"], result["gold"]
    assert same <= set(il)
    assert all(il[pr][0] >= ev.si.THRESHOLD for pr in same)
    assert set(result["fps"]) == same - gold
    for pr in same:  # the re-scoring agrees with the graph
        assert abs(result["diag"][pr]["score"] - il[pr][0]) < 1e-9


def test_report_runs(built, corpus, tmp_path):
    ttl = tmp_path / "xunshi.ttl"
    built.serialize(ttl, format="turtle")
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_same_issue.py"), "--synthetic", str(corpus),
                          "--graph", str(ttl), "--examples", "1"], capture_output=True, text=True, check=True)
    out = run.stdout
    assert "(a) xs:sameIssueAs" in out and "(b) all xs:IssueLink" in out
    assert "recall by kind" in out and "false positives of xs:sameIssueAs" in out


def test_offsets_of_attachments(tmp_path):
    """Manifest position = the problems of the file's earlier bulletins + xs:position."""
    manifest = {"bulletins": "bulletins", "files": [{
        "path": "bulletins/synthetic-00001.txt", "unit_id": "u1", "problems": 5, "families": [1, 2, 3, 1, 4],
        "links": [[3, "bulletins/synthetic-00001.txt", 0, "attachment"]],
        "per_bulletin": [{"issuer": "甲", "problems": 3}, {"issuer": "乙", "problems": 2}]}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    g = Graph()
    src = Literal(str(tmp_path / "bulletins" / "synthetic-00001.txt"))
    for bpos, (label, n) in enumerate((("甲", 3), ("附件1 乙", 2))):
        b = URIRef(f"urn:b{bpos}")
        g.add((b, RDF.type, XS.Bulletin))
        g.add((b, DCTERMS.source, src))
        g.add((b, XS.position, Literal(bpos)))
        g.add((b, RDFS.label, Literal(label)))
        for q in range(n):
            p = URIRef(f"urn:b{bpos}p{q}")
            g.add((p, RDF.type, XS.Problem))
            g.add((p, XS.inBulletin, b))
            g.add((p, XS.position, Literal(q)))
    m, probs, links = ev.load_manifest(tmp_path)
    mapping, notes = ev.map_problems(g, tmp_path, m, probs)
    assert notes == []
    assert mapping["urn:b1p0"] == ("bulletins/synthetic-00001.txt", 3)
    assert mapping["urn:b0p2"] == ("bulletins/synthetic-00001.txt", 2)
    gold = ev.gold_pairs(probs)
    assert gold == {(("bulletins/synthetic-00001.txt", 0), ("bulletins/synthetic-00001.txt", 3))}
    assert ev.pair_kind(next(iter(gold)), probs, links) == "attachment"
