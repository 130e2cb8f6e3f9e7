"""Thread settings of Dask workers, and the scheduler strings (no cluster)."""

from __future__ import annotations

import sys

import pytest

from specauth.distributed import check_scheduler, thread_environment
from specauth.distributed._dask import import_distributed
from tests.conftest import python_output


def test_thread_environment_gives_every_pool_the_same_count():
    env = thread_environment(3)
    for name in (
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
    ):
        assert env[name] == "3"
    assert "XLA_FLAGS" not in env


def test_one_thread_also_makes_xla_single_threaded():
    flags = thread_environment(1)["XLA_FLAGS"]
    assert "--xla_cpu_multi_thread_eigen=false" in flags
    assert "intra_op_parallelism_threads=1" in flags


@pytest.mark.parametrize(
    ("threads", "error"), [(0, ValueError), (2.0, TypeError), (True, TypeError)]
)
def test_bad_thread_counts_are_refused_by_name(threads, error):
    with pytest.raises(error, match="`threads` must be an int in"):
        thread_environment(threads)


@pytest.mark.parametrize(
    "address", ["local", "tcp://10.0.0.5:8786", "10.0.0.5:8786", "tls://node1:8786"]
)
def test_scheduler_strings_accepted(address):
    assert check_scheduler(address) == address


@pytest.mark.parametrize("address", ["", "Local", "10.0.0.5", "tcp://node1", "x y:1"])
def test_bad_scheduler_strings_are_refused(address):
    with pytest.raises(ValueError, match="'local' or a Dask scheduler address"):
        check_scheduler(address)


def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'specauth\[dask\]'"):
        import_distributed()


def test_import_loads_neither_dask_nor_tensorflow():
    code = (
        "import sys, specauth.distributed as d\n"
        "d.thread_environment, d.predict_files, d.output_paths\n"
        "print(sorted(m for m in ('dask', 'distributed', 'tensorflow', 'keras')\n"
        "             if m in sys.modules))"
    )
    assert python_output(code) == "[]"


def test_public_names():
    import specauth.distributed as package

    expected = (
        "check_scheduler connect limit_threads local_client output_paths "
        "predict_files thread_environment worker_threads"
    )
    assert sorted(package.__all__) == expected.split()
    for name in package.__all__:
        assert getattr(package, name).__name__ == name


def test_a_bad_profile_flag_is_refused_by_name():
    pytest.importorskip("distributed")
    from specauth.distributed import local_client

    with pytest.raises(TypeError, match="`profile`"):
        local_client(n_workers=1, profile="yes")
