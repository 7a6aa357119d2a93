"""bench/bench_scale.py reads the build's own peak memory, not the harness's."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_bench

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    return load_bench("bench_scale")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_builds_peak_is_its_own(tmp_path):
    """A child spawned from a process that has held a lot reports, through wait4, the
    spawner's high-water mark (Linux carries it over at exec): the harness must read the
    child's own."""
    held = bytearray(600 * 2**20)
    held[:: 4096] = b"\x01" * len(held[:: 4096])  # resident, not just reserved
    bench = _bench()
    seconds, peak, code = bench.child(["--help"], tmp_path)
    assert code == 0 and seconds > 0
    assert 10 < peak < 400, peak  # `xunshi --help` imports the CLI, not 600 MiB
    # a build ends its process with os._exit (no teardown of its heap): still its own peak
    out = tmp_path / "out"
    seconds, peak, code = bench.child(["build", str(ROOT / "corpus"), "--out", str(out), "-q", "--no-html", "--no-shacl", "--no-cache"], tmp_path)
    assert code == 0 and (out / "xunshi.ttl").is_file()
    assert 50 < peak < 550, peak  # the sample's build, not the 600 MiB held here
    del held


def test_a_failing_build_is_reported(tmp_path, capsys):
    seconds, peak, code = _bench().child(["build", str(tmp_path / "missing")], tmp_path)
    assert code != 0 and peak > 0
    assert "exit" in capsys.readouterr().err


def test_incremental_rebuilds_pinned_to_a_reference_match_a_clean_build(tmp_path, capsys):
    """--incremental --pinned --validate on a few generated bulletins: every rebuild (add,
    change, delete one file) pinned to the reference fitted first and validating, the last
    identical to a clean build, its SHACL report too."""
    from argparse import Namespace

    bench = _bench()
    args = Namespace(workers=1, full=False, incremental=True, pinned=True, validate=True)
    (tmp_path / "work").mkdir()
    res = bench.run_one(6, args, tmp_path / "corpora", tmp_path / "work")
    assert res["identical"] is True
    assert all(res[k][2] == 0 for k in ("cold_cached", "unchanged", "add_one", "change_one", "delete_one"))
    assert (tmp_path / "work" / "reference-6.npz").is_file()
    assert res["unchanged"][0] < res["cold_cached"][0]  # up to date: nothing rebuilt
    bench.report([res], args)
    printed = capsys.readouterr().out
    assert "incremental (pinned to a reference fitted on the corpus), validating (--no-html)" in printed
    assert "problems table, SHACL report, run report) identical to a clean build: yes" in printed
    assert (tmp_path / "work" / "out-6" / "shacl-report.ttl").is_file()
