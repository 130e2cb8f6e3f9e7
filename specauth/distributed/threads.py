"""How many threads TensorFlow, XLA and BLAS use in each Dask worker.

TensorFlow sizes its thread pools from ``TF_NUM_INTRAOP_THREADS`` and
``TF_NUM_INTEROP_THREADS`` when it starts, XLA from ``XLA_FLAGS``, OpenMP and
the BLAS libraries from ``OMP_NUM_THREADS`` and friends: the variables must be
in a worker's environment before it imports any of them. Dask's nanny sets
a worker's environment before the worker starts, so the variables go there:
:func:`~specauth.distributed.local_client` passes them to its local workers,
and :func:`limit_threads` registers them with every nanny of a running
cluster (workers restart once to take them; workers that join later start
with them).
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

from specauth._validation import Interval, check_scalar
from specauth.distributed._dask import import_distributed

__all__ = ["PLUGIN_NAME", "limit_threads", "thread_environment", "worker_threads"]

#: Name under which :func:`limit_threads` registers its nanny plugin.
PLUGIN_NAME = "specauth-thread-limits"

_TF_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
_BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_environment(threads: int) -> dict[str, str]:
    """Environment variables that give a process ``threads`` compute threads.

    TensorFlow's intra- and inter-op pools, OpenMP and the BLAS libraries get
    ``threads`` each; with one thread XLA is also told to run single-threaded
    (``XLA_FLAGS``), as the jax backend otherwise starts one thread per CPU.

    Parameters
    ----------
    threads : int
        Threads per worker process, usually the cores it may use.

    Returns
    -------
    environment : dict of str to str
        Variable names and values, to set before TensorFlow is imported.

    Examples
    --------
    >>> thread_environment(4)["TF_NUM_INTRAOP_THREADS"]
    '4'
    >>> sorted(thread_environment(1))  # doctest: +NORMALIZE_WHITESPACE
    ['MKL_NUM_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS',
     'TF_NUM_INTEROP_THREADS', 'TF_NUM_INTRAOP_THREADS', 'XLA_FLAGS']
    """
    threads = check_scalar("threads", threads, Interval(Integral, 1, None))
    value = str(threads)
    environment = dict.fromkeys((*_TF_VARIABLES, *_BLAS_VARIABLES), value)
    if threads == 1:
        environment["XLA_FLAGS"] = (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
    return environment


def limit_threads(client: Any, threads: int) -> dict[str, Any]:
    """Give every worker of a running cluster ``threads`` compute threads.

    Registers :func:`thread_environment` with the cluster's nannies
    (:class:`distributed.diagnostics.plugin.Environ`), which restart their
    workers once so that the variables are set before TensorFlow loads;
    workers that join later (an adaptive ``SLURMCluster``) start with them.
    Call it before submitting work: running tasks are lost in the restart.
    Workers started without a nanny (``--no-nanny``) cannot be configured
    this way; start them with the variables in their environment instead.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster.
    threads : int
        Threads per worker, usually the cores each worker may use.

    Returns
    -------
    result : dict
        What :meth:`distributed.Client.register_plugin` returns (by worker).

    See Also
    --------
    worker_threads : Read the settings back from the workers.

    Examples
    --------
    >>> from specauth.distributed import local_client
    >>> with local_client(n_workers=1) as client:  # doctest: +SKIP
    ...     _ = limit_threads(client, 2)
    ...     worker_threads(client)
    {'tcp://127.0.0.1:...': {'TF_NUM_INTRAOP_THREADS': '2', ...}}
    """
    environment = thread_environment(threads)
    distributed = import_distributed("configure Dask workers")
    plugin = distributed.diagnostics.plugin.Environ(environment)
    return client.register_plugin(plugin, name=PLUGIN_NAME)


def _thread_settings() -> dict[str, str | None]:
    """The thread variables of this process (run on each worker)."""
    import os

    names = (*_TF_VARIABLES, *_BLAS_VARIABLES, "XLA_FLAGS")
    return {name: os.environ.get(name) for name in names}


def worker_threads(client: Any) -> dict[str, dict[str, str | None]]:
    """The thread variables each worker of ``client``'s cluster runs with.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster.

    Returns
    -------
    settings : dict
        Worker address -> {variable name: value, or None where unset}.

    Examples
    --------
    >>> from specauth.distributed import local_client
    >>> with local_client(n_workers=1, threads=1) as client:  # doctest: +SKIP
    ...     [s["TF_NUM_INTRAOP_THREADS"] for s in worker_threads(client).values()]
    ['1']
    """
    return client.run(_thread_settings)
