"""The synthetic-corpus generator (``bench/gen_corpus.py``): deterministic, marked as synthetic,
and read back by the pipeline exactly as its manifest says.

One small corpus (20 files, about 23 bulletins; with seed 4 it holds ASCII files, files with
full-width punctuation and files with full-width numbering too) is generated twice and its
``bulletins/`` folder built once per session; the whole module runs in a few seconds.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
N, SEED = 20, 4
WIDE = re.compile("[\uff0c\uff1a\uff1b\uff08\uff09]")  # ， ： ； （ ）
ASCII = re.compile("[,:;()]")
# numbering: 12. 12、 12． 问题12: (1), in full-width or ASCII digits (folded punctuation)
NUMBERING = re.compile(r"^(?:([0-9\uff10-\uff19]+)[.\uff0e、]|问题([0-9\uff10-\uff19]+):|\(([0-9\uff10-\uff19]+)\))", re.MULTILINE)
FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # full-width forms -> ASCII, as pipeline.ingest.match_text
PUNCT_FOLD = str.maketrans("\uff0c\uff1a\uff1b\uff08\uff09", ",:;()")


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_corpus", ROOT / "bench" / "gen_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_corpus", mod)
    spec.loader.exec_module(mod)
    return mod


gen = _load_generator()


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    manifest = gen.generate(N, out, seed=SEED)
    return out, manifest


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory):
    from pipeline.workflow import run_build

    out, _ = corpus
    # the folder: it holds the bulletins only (the manifest is one level up, no E004)
    return run_build([out / "bulletins"], tmp_path_factory.mktemp("graphs"), html=False, shacl=False, use_cache=False, keep_records=True)


def _widths(text: str) -> tuple[str, set[str]]:
    """A file's punctuation as printed (after the marker line, which is the same in every
    file): ``ascii`` or ``fullwidth``; and the widths of the digits of its numbering lines."""
    body = text.split("\n", 1)[1]
    wide, narrow = bool(WIDE.search(body)), bool(ASCII.search(body))
    assert wide != narrow, "one width per file"
    digits = {"wide" if "\uff10" <= "".join(filter(None, m.groups()))[0] <= "\uff19" else "ascii"
              for m in NUMBERING.finditer(body.translate(PUNCT_FOLD))}
    return ("fullwidth" if wide else "ascii"), digits


def _path(st) -> str:
    """A built file's path as the manifest gives it (relative to the manifest's folder)."""
    return f"bulletins/{Path(st.display).name}"


def test_same_seed_same_bytes(corpus, tmp_path):
    out, manifest = corpus
    again = gen.generate(N, tmp_path / "again", seed=SEED)
    assert again == manifest
    assert _tree(tmp_path / "again") == _tree(out)
    other = gen.generate(N, tmp_path / "other", seed=SEED + 1)
    assert other["files"][0]["path"] == manifest["files"][0]["path"]
    assert (tmp_path / "other" / other["files"][0]["path"]).read_bytes() != (out / manifest["files"][0]["path"]).read_bytes()


def test_files_and_manifest(corpus):
    out, manifest = corpus
    files = manifest["files"]
    assert manifest["n"] == N and manifest["seed"] == SEED and manifest["version"] == gen.VERSION
    assert len(files) == N
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    # bulletins in OUT/bulletins/, the manifest beside that folder; paths relative to OUT
    assert sorted(p.name for p in out.iterdir()) == ["bulletins", "manifest.json"]
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert on_disk == sorted([f["path"] for f in files] + ["manifest.json"])
    assert files[0]["path"] == "bulletins/synthetic-00001.txt" and files[-1]["path"] == f"bulletins/synthetic-{N:05d}.txt"
    for f in files:
        text = (out / f["path"]).read_text(encoding="utf-8")
        assert text.split("\n", 1)[0] == gen.MARKER, f["path"]
        assert len(gen.MARKER) > 40  # never mistaken for an issuer line above a one-line title
        assert 2018 <= f["year"] <= 2025
        assert 5 <= min(b["problems"] for b in f["per_bulletin"]) and max(b["problems"] for b in f["per_bulletin"]) <= 40
        assert sum(b["problems"] for b in f["per_bulletin"]) == f["problems"] == sum(f["status"].values())
        assert sum(1 for ln in text.split("\n") if ln.startswith("附件") and ln[2:].isdigit()) == f["bulletins"] - 1
    t = manifest["totals"]
    assert t["problems"] == sum(f["problems"] for f in files)
    assert t["bulletins"] == sum(f["bulletins"] for f in files)
    assert t["bytes"] == sum((out / f["path"]).stat().st_size for f in files)


def test_widths(corpus):
    """Full-width and ASCII files both occur, one width per file, as the manifest says."""
    out, manifest = corpus
    seen = Counter()
    for f in manifest["files"]:
        punct, digits = _widths((out / f["path"]).read_text(encoding="utf-8"))
        assert punct == ("ascii" if f["width"] == "ascii" else "fullwidth"), f["path"]
        # full-width digits in the numbering of those files only (a file numbering its
        # problems (一)(二)… alone has no digits to show)
        assert digits <= ({"wide"} if f["width"] == "fullwidth-digits" else {"ascii"}), (f["path"], digits)
        seen[f["width"]] += 1
    assert dict(seen) == {k: v for k, v in manifest["totals"]["widths"].items() if v}
    assert seen["ascii"] and seen["fullwidth"] and seen["fullwidth-digits"], seen
    wide_numbered = [f for f in manifest["files"] if _widths((out / f["path"]).read_text(encoding="utf-8"))[1] == {"wide"}]
    assert wide_numbered and all(f["width"] == "fullwidth-digits" for f in wide_numbered)
    assert sum(seen.values()) == N


def test_patterns_the_segmenter_now_takes(corpus):
    """持续推进 as a status, 12、2019年… as a problem line, 反馈问题4个方面25个 as a total: the
    corpus holds each (and the build test below reads them as the manifest says)."""
    out, manifest = corpus
    text = "".join((out / f["path"]).read_text(encoding="utf-8").translate(FOLD) for f in manifest["files"])
    assert re.search(r"(?::|^)持续推进。?$", text, re.MULTILINE)
    assert re.search(r"^[0-9]+、[0-9]{4}年", text, re.MULTILINE)
    assert re.search(r"反馈(?:问题|意见)[0-9]+个方面[0-9]+个", text)


def test_pipeline_reads_what_the_manifest_says(corpus, built):
    _, manifest = corpus
    report = built
    errors = [str(i) for i in report.issues if i.severity.value == "error"]
    warnings = [str(i) for i in report.issues if i.severity.value == "warning"]
    assert errors == [] and warnings == [], (errors, warnings)
    assert report.issues == []
    by_path = {_path(st): st for st in report.files}
    assert len(by_path) == N and set(by_path) == {f["path"] for f in manifest["files"]}
    widths = Counter()
    for f in manifest["files"]:
        st = by_path[f["path"]]
        assert st.outcome == "ok", f["path"]
        assert len(st.extractions) == f["bulletins"], f["path"]
        for ex, b in zip(st.extractions, f["per_bulletin"]):
            assert ex.bulletin.issuer == b["issuer"]
            assert ex.bulletin.attachment == b["attachment"]
            assert len(ex.bulletin.problems) == b["problems"], (f["path"], b["attachment"])
            got = Counter(p.status.key for p in ex.bulletin.problems)
            assert {k: got.get(k, 0) for k in gen.STATUS_KEYS} == b["status"], (f["path"], b["attachment"])
            assert ex.inspection is not None and ex.inspection.team  # the opening names the inspection
        assert sum(len(ex.bulletin.problems) for ex in st.extractions) == f["problems"]
        widths[f["width"]] += 1
    # full-width and ASCII files alike are read as the manifest says
    assert widths["ascii"] and widths["fullwidth"] + widths["fullwidth-digits"]
    assert report.counts()["problems"] == manifest["totals"]["problems"]
    assert report.by_status() == manifest["totals"]["status"]


def test_near_duplicates_but_no_copies(corpus, built):
    _, manifest = corpus
    files = {f["path"]: f for f in manifest["files"]}
    texts = {}  # (path, position) -> problem statement as the pipeline read it
    for st in built.files:
        path = _path(st)
        for pos, p in enumerate(pr for ex in st.extractions for pr in ex.bulletin.problems):
            texts[(path, pos)] = p.text
    # tolerance 0: no two problem statements of the corpus are byte-identical
    dup = [t for t, c in Counter(texts.values()).items() if c > 1]
    assert dup == []
    # some unit has bulletins of two or more years, and later rounds restate earlier problems
    years = {}
    for f in manifest["files"]:
        years.setdefault(f["unit_id"], set()).add(f["year"])
    assert any(len(y) >= 2 for y in years.values())
    rounds = [(f["path"], link) for f in manifest["files"] for link in f["links"] if link[3] == "round"]
    assert len(rounds) >= 5

    def grams(s: str) -> set[str]:
        return {s[i:i + 2] for i in range(len(s) - 1)}

    shares = []
    for path, (pos, earlier, epos, _kind) in rounds:
        assert files[earlier]["unit_id"] == files[path]["unit_id"]
        assert files[earlier]["year"] < files[path]["year"]
        a, b = texts[(path, pos)], texts[(earlier, epos)]
        assert a != b
        a, b = a.translate(FOLD), b.translate(FOLD)  # the wording, whatever the widths of the two files
        shares.append(len(grams(a) & grams(b)) / len(grams(b)))
    # paraphrases, not strangers: the later statement covers on average most of the earlier
    # one's character bigrams (reworded alternatives, new figures and a recurrence clause lower it)
    assert min(shares) >= 0.15 and sum(shares) / len(shares) >= 0.5, shares


def test_recurrences_are_seen_by_the_rounds_pass(corpus, built):
    """Restated problems name the earlier round or carry a cue; the pipeline finds them."""
    from pipeline.build import iri
    from pipeline.vocab import XS

    _, manifest = corpus
    g = built.graph
    ids = {}
    for st in built.files:
        path = _path(st)
        for pos, p in enumerate(pr for ex in st.extractions for pr in ex.bulletin.problems):
            ids[(path, pos)] = iri(p.id)
    recurring = [ids[(f["path"], link[0])] for f in manifest["files"] for link in f["links"] if link[3].startswith("round")]
    seen = [p for p in recurring if (p, XS.recurrenceCue, None) in g or (p, XS.previouslyRaisedIn, None) in g]
    assert len(seen) == len(recurring)


def test_cli_summary(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "gen_corpus.py"), "3", str(tmp_path), "--seed", "5"],
                         capture_output=True, text=True, check=True)
    line = res.stdout.strip()
    assert "\n" not in line
    m = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    t = m["totals"]
    assert f"{t['files']} files, {t['bulletins']} bulletins, {t['problems']} problems" in line and "MB" in line
    assert f"{t['files'] - t['widths']['ascii']} full-width" in line
    assert str(tmp_path / "bulletins") in line and str(tmp_path / "manifest.json") in line
    assert sorted(p.name for p in (tmp_path / "bulletins").iterdir()) == [f"synthetic-0000{i}.txt" for i in (1, 2, 3)]


def test_regressions_on_a_multi_round_corpus_same_rows_in_both_engines(built):
    """`regressions` finds completed problems flagged again in a later round of the
    synthetic corpus, and Oxigraph returns exactly rdflib's rows (the query is written so
    Oxigraph starts from the citing problems; both engines must still agree)."""
    import pyoxigraph as ox

    from pipeline.query import run_query
    from pipeline.store import query_store
    from pipeline.vocab import ontology_graph

    g = built.graph
    both = g + ontology_graph()
    ours = run_query(both, "regressions")
    store = ox.Store()
    store.load(input=both.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    theirs = query_store(store, "regressions")
    rows = lambda res: [tuple("" if v is None else str(v) for v in row) for row in res]  # noqa: E731
    assert len(ours) > 0
    assert sorted(rows(ours)) == sorted(rows(theirs))
    # and in the same order: a pair found by both branches, or rows of documents that share
    # labels and ordinals, would tie on the printed columns alone
    assert rows(ours) == rows(theirs)
    assert {str(r.how) for r in ours} <= {"同一问题 (sameIssueAs)", "引用此前轮次 (previouslyRaisedIn)"}
    assert all(str(r.year2) > str(r.year1) for r in ours)
    # a citation pairs the citing problem with problems of the inspection it cites, never
    # with other units' problems of that round (a round covers many units)
    from pipeline.vocab import XS

    cited = [r for r in ours if str(r.how).startswith("引用")]
    assert cited
    for r in cited:
        assert set(g.objects(r.earlier, XS.raisedIn)) & set(g.objects(r.later, XS.previouslyRaisedIn)), r
