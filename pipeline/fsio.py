"""Writing files so that a reader never sees a half-written one: a temporary file beside the
target, renamed into place (the build's outputs, its cache entries, a store's manifest)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Staged:
    """Outputs written to hidden temporary files beside their final names (large ones
    streamed), then all renamed into place together: an interrupted build never leaves a
    half-written or a mixed set of outputs."""

    def __init__(self, out: Path):
        self.out = out
        self.files: dict[str, str] = {}  # name -> temporary path

    def write(self, name: str, fill: Callable) -> None:
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        self.files[name] = tmp
        with os.fdopen(fd, "wb") as fh:
            fill(fh)

    def put(self, name: str, data: bytes) -> None:
        self.write(name, lambda fh: fh.write(data))

    def commit(self) -> None:
        mask = _umask()
        for name, tmp in sorted(self.files.items()):
            os.chmod(tmp, 0o666 & ~mask)
            os.replace(tmp, self.out / name)
        self.files.clear()

    def discard(self) -> None:
        for tmp in self.files.values():
            Path(tmp).unlink(missing_ok=True)
        self.files.clear()


def atomic_write(path: Path, data: bytes | Callable) -> None:
    """``data`` to ``path`` through a temporary file renamed into place; ``data`` is the
    bytes, or a function that writes them to the binary file it is given."""
    staged = Staged(path.parent)
    try:
        if callable(data):
            staged.write(path.name, data)
        else:
            staged.put(path.name, data)
        staged.commit()
    finally:
        staged.discard()
