"""The installed CLI finds ontology/ and the rule data from a wheel, not only from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_carries_ontology_queries_and_rule_data(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("xunshi_kg-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        check=True,
    )
    code = (
        "import pipeline, pipeline.vocab as v, pipeline.query as q, pipeline.extract as e;"
        "print(pipeline.__file__); print(v.ontology_dir()); print(sorted(q.named_queries()));"
        "print(e.build_nlp().pipe_names); print(len(v.XS.Problem))"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0].startswith(str(target))  # the wheel's copy, not the checkout
    assert lines[1] == str(target / "pipeline" / "_ontology")
    assert "unfinished" in lines[2] and "problems-by-status" in lines[2]
    assert "xunshi_policies" in lines[3]
