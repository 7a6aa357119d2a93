"""Shared fixtures: the sample bulletin through each stage, computed once per session.

Each stage's test is fed the previous stage's output (as graphrag's ``tests/verbs`` do), so a
failure points at the stage that broke.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_bench(name: str):
    """A script of ``bench/`` as a module (they are scripts, not a package); registered in
    ``sys.modules`` (dataclasses look their module up there), loaded once."""
    import importlib.util
    import sys

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
SAMPLE = ROOT / "corpus" / "xiangjiang-2023-12-22.txt"
SAMPLE_SHA256 = "8ca64429d0fd3f145e4cae3914af4ad54b5b74693cbc4db90d71e1eac99e263f"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def sample_doc():
    from pipeline.ingest import read_document

    doc, issues = read_document(SAMPLE, "corpus/xiangjiang-2023-12-22.txt")
    assert issues == []
    return doc


@pytest.fixture(scope="session")
def sample_bulletins(sample_doc):
    from pipeline.segment import segment

    bulletins, issues = segment(sample_doc)
    return bulletins


@pytest.fixture(scope="session")
def sample_extractions(sample_doc, sample_bulletins):
    from pipeline.extract import extract

    extractions, issues = extract(sample_doc, sample_bulletins)
    return extractions


@pytest.fixture(scope="session")
def sample_linked(sample_doc, sample_extractions):
    from pipeline.link import link
    from pipeline.records import DocumentResult

    return link([DocumentResult(sample_doc, tuple(sample_extractions))])


@pytest.fixture(scope="session")
def sample_graph(sample_linked):
    from pipeline.build import build_graph

    return build_graph(sample_linked)


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """A full ``run_build`` of a copy of corpus/ (paths relative to a temporary cwd)."""
    import os

    from pipeline.workflow import run_build

    work = tmp_path_factory.mktemp("build")
    shutil.copytree(ROOT / "corpus", work / "corpus")
    old = os.getcwd()
    os.chdir(work)
    try:
        report = run_build(["corpus"], "graphs")
    finally:
        os.chdir(old)
    return work, report
