"""bench/bench_stages.py runs the build's own stages, in the build's order, to the same graph."""

from __future__ import annotations

from pathlib import Path

from conftest import load_bench

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    return load_bench("bench_stages")


def test_stages_of_the_sample_build(tmp_path, sample_build):
    from pipeline.enrich import ENRICH_PIPELINE

    rows = _bench().run_stages(ROOT / "corpus", tmp_path)
    stages, tail = rows[:-1], rows[-1]
    names = [r["stage"] for r in stages]
    assert names == ["ingest + segment + extract", "link", "rdflib graph", *ENRICH_PIPELINE, "Turtle", "GraphML", "CSV", "evidence check"]
    assert {"rounds", "themes", "same_issue"} <= set(names)
    assert all(r["seconds"] >= 0 and r["peak_mb"] >= r["rss_mb"] * 0.5 > 0 for r in stages)
    # the same graph as the build's: every triple, every span round-trips
    _, report = sample_build
    assert tail["count"] == len(report.graph) and tail["not_round_tripping"] == 0
    assert (tmp_path / "xunshi.ttl").stat().st_size > 500_000 and (tmp_path / "problems.csv").is_file()


def test_stages_pinned_to_a_reference_write_the_same_graph(tmp_path):
    """--reference: the passes weigh by the reference (here the sample's own: the same Turtle)."""
    from pipeline.workflow import run_build

    ref = tmp_path / "ref.npz"
    run_build([ROOT / "corpus"], tmp_path / "build", html=False, shacl=False, use_cache=False, options={"save_reference": ref})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _bench().run_stages(ROOT / "corpus", tmp_path / "a")
    _bench().run_stages(ROOT / "corpus", tmp_path / "b", {"reference": ref})
    assert (tmp_path / "a" / "xunshi.ttl").read_bytes() == (tmp_path / "b" / "xunshi.ttl").read_bytes()
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a reference")
    import pytest

    from pipeline.errors import XunshiError

    with pytest.raises(XunshiError, match="E016"):
        _bench().run_stages(ROOT / "corpus", tmp_path / "b", {"reference": bad})


def test_full_stages_validate_and_write_the_view(tmp_path):
    rows = _bench().run_stages(ROOT / "corpus", tmp_path, full=True)
    assert [r["stage"] for r in rows[-3:-1]] == ["SHACL", "HTML view"]
    assert rows[-1]["conforms"] is True
    page = (tmp_path / "xunshi.html").read_text(encoding="utf-8")
    assert '"nodeCount":' in page and 'id="scope-note"' not in page  # the sample is drawn whole
