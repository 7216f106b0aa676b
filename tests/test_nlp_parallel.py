"""The local pool: results in input order, a bounded window, and a worker that dies ends the
map with a clear error instead of hanging it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import cast

import pytest

from nlp.errors import WorkerLostError
from nlp.parallel import ordered_map

ROOT = Path(__file__).resolve().parents[1]


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


def _blas_threads(_state: object, _x: int) -> list[int]:
    # loaded in the worker after it started, if not inherited: they must be limited too
    import scipy.linalg  # noqa: F401 - scipy's own OpenBLAS
    import sklearn.utils._openmp_helpers  # noqa: F401 - the OpenMP runtime
    from threadpoolctl import threadpool_info

    return sorted({i["num_threads"] for i in threadpool_info()})


@pytest.mark.parametrize("workers", [1, 2])
def test_work_runs_with_one_blas_and_openmp_thread(workers: int) -> None:
    """Multi-threaded BLAS reductions change a fit's last bits with the thread count."""
    import numpy  # noqa: F401 - loads a BLAS in this process (forked workers inherit it)

    for threads in ordered_map(_blas_threads, None, range(4), workers=workers):
        assert threads == [1]


def test_worker_limit_covers_libraries_loaded_later() -> None:
    """A worker sets the limit without loading scikit-learn (0.65 s); what loads later reads it
    from the environment. Run in a fresh interpreter, where nothing is loaded yet."""
    code = (
        "from nlp.parallel import one_thread_for_life\n"
        "keep = one_thread_for_life()\n"
        "import sys\n"
        "assert 'sklearn' not in sys.modules and 'scipy.linalg' not in sys.modules\n"
        "import scipy.linalg, sklearn.utils._openmp_helpers\n"
        "from threadpoolctl import threadpool_info\n"
        "info = threadpool_info()\n"
        "assert {i['internal_api'] for i in info} >= {'openblas', 'openmp'}, info\n"
        "assert {i['num_threads'] for i in info} == {1}, info\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)


def test_rated_model_fits_alike_whatever_threads_the_process_may_use() -> None:
    """Fitted under 1 or 2 BLAS threads (a LocalCluster's client vs a pool), the rated model's
    coefficients and out-of-fold scores are bit-identical; they differed before."""
    import numpy as np
    import scipy.linalg  # noqa: F401 - its BLAS loaded now, so the limits below apply to it
    import scipy.sparse as sp
    import sklearn.utils._openmp_helpers  # noqa: F401
    from threadpoolctl import threadpool_limits

    from nlp.sentiment import RatedModel

    rng = np.random.default_rng(0)
    n_features = 2**16
    counts = sp.random(400, n_features, density=30 / n_features, random_state=rng, format="csr")
    labels = (rng.random(400) > 0.5).astype(int)
    fitted, oof = [], []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            model = RatedModel(n_features=n_features).fit_counts(counts, labels)
            fitted.append(model.clf_.coef_)
            oof.append(RatedModel(n_features=n_features).cross_val_counts(counts, labels))
    assert np.array_equal(fitted[0], fitted[1])
    assert np.array_equal(oof[0], oof[1])
