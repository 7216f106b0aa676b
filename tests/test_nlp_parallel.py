"""The local pool: results in input order, a bounded window, and a worker that dies ends the
map with a clear error instead of hanging it."""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import cast

import pytest

from nlp.errors import WorkerLostError
from nlp.parallel import ordered_map


def _square_or_die(state: int, x: int) -> int:
    if x == state:
        os._exit(9)  # as the kernel's OOM killer would end it
    return x * x


def test_results_come_back_in_input_order() -> None:
    assert list(ordered_map(_square_or_die, -1, range(40), workers=2, window=3)) == [
        x * x for x in range(40)
    ]


def test_a_worker_that_dies_raises_worker_lost() -> None:
    with pytest.raises(WorkerLostError, match="worker process died"):
        list(ordered_map(_square_or_die, 5, range(20), workers=2))


def _logged(log: str, x: int) -> int:
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{x}\n")
    time.sleep(0.005)
    return x


def test_stopping_early_cancels_the_chunks_not_started(tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    it = cast(Generator[int], ordered_map(_logged, str(log), range(1000), workers=2, window=4))
    assert next(it) == 0
    it.close()  # the executor is shut down: queued chunks are cancelled
    assert len(log.read_text(encoding="utf-8").splitlines()) < 20
