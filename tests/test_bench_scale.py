"""bench/bench_scale.py reads the build's own peak memory, not the harness's."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_bench

def _bench():
    return load_bench("bench_scale")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_builds_peak_is_its_own(tmp_path):
    """A child spawned from a process that has held a lot reports, through wait4, the
    spawner's high-water mark (Linux carries it over at exec): the harness must read the
    child's own."""
    held = bytearray(600 * 2**20)
    held[:: 4096] = b"\x01" * len(held[:: 4096])  # resident, not just reserved
    seconds, peak, code = _bench().child(["--help"], tmp_path)
    assert code == 0 and seconds > 0
    assert 10 < peak < 400, peak  # `xunshi --help` imports the CLI, not 600 MiB
    del held


def test_a_failing_build_is_reported(tmp_path, capsys):
    seconds, peak, code = _bench().child(["build", str(tmp_path / "missing")], tmp_path)
    assert code != 0 and peak > 0
    assert "exit" in capsys.readouterr().err
