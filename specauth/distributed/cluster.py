"""Connect to a Dask cluster: a local one on this machine, or a scheduler's address.

:func:`local_client` starts worker processes on this machine, each running
one task at a time with its share of the CPUs for TensorFlow, XLA and BLAS;
:func:`connect` is what ``specauth predict --scheduler`` uses: ``"local"``
for such a cluster, or the address of a running scheduler.
"""

from __future__ import annotations

import re
from numbers import Integral
from typing import Any

from specauth._validation import Interval, check_bool, check_scalar
from specauth.distributed._dask import import_distributed
from specauth.distributed.threads import thread_environment

__all__ = ["check_scheduler", "connect", "local_client"]

_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?[\w.\-\[\]:]+:\d{1,5}$")


def _cpu_count() -> int:
    """CPUs this process may use (affinity mask and cgroup quota), per Dask."""
    from dask.system import CPU_COUNT

    return int(CPU_COUNT)


def local_client(
    n_workers: int = 2,
    *,
    threads: int | None = None,
    memory_limit: str | float | None = "auto",
    profile: bool = False,
    **cluster_options: Any,
) -> Any:
    """Start a Dask cluster of worker processes on this machine; return its client.

    Each worker is a process running one task at a time (one network fit,
    or one file of predictions) with ``threads`` threads for TensorFlow,
    XLA and BLAS (:func:`~specauth.distributed.thread_environment`, set
    before the worker starts). Closing the client (or leaving its ``with``
    block) stops the workers.

    Parameters
    ----------
    n_workers : int, default=2
        Worker processes.
    threads : int, default=None
        Compute threads per worker; ``None`` shares the CPUs this process
        may use evenly among the workers (at least one each).
    memory_limit : str, float or None, default="auto"
        Memory per worker, as Dask takes it (``"4GiB"``, bytes, ``"auto"``:
        the machine's memory shared among the workers; ``None``: no limit).
        A worker past 95 % of it is restarted by its nanny.
    profile : bool, default=False
        Keep Dask's statistical profiler on in the workers. It samples every
        thread's stack every 10 ms and keeps the call trees for the
        dashboard's profile page; with TensorFlow's deep stacks those trees
        grew a fitting worker by about 5 MiB per fit (90 MiB per 18 fits, on
        and on: ``benchmarks/dask_search.py``), so it is off unless asked for.
    **cluster_options
        Passed to :class:`distributed.LocalCluster` (``dashboard_address``,
        ``silence_logs`` ...); the dashboard gets a free port
        (``client.dashboard_link``).

    Returns
    -------
    client : distributed.Client

    Raises
    ------
    ImportError
        When Dask's distributed scheduler is not installed
        (``pip install 'specauth[dask]'``).

    See Also
    --------
    connect : A local cluster or a running scheduler, from one string.

    Examples
    --------
    >>> with local_client(n_workers=2, threads=1) as client:  # doctest: +SKIP
    ...     len(client.scheduler_info()["workers"])
    2
    """
    n_workers = check_scalar("n_workers", n_workers, Interval(Integral, 1, None))
    threads = check_scalar(
        "threads", threads, Interval(Integral, 1, None), allow_none=True
    )
    if threads is None:
        threads = max(1, _cpu_count() // n_workers)
    profile = check_bool("profile", profile)
    distributed = import_distributed("start a local Dask cluster")
    import dask

    options = {"dashboard_address": ":0", **cluster_options}
    # The nannies pass the configuration they were made with to every worker
    # they start, restarts included.
    with dask.config.set({"distributed.worker.profile.enabled": profile}):
        return distributed.Client(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            env=thread_environment(threads),
            memory_limit=memory_limit,
            **options,
        )


def check_scheduler(scheduler: str) -> str:
    """Return ``scheduler`` if it is ``"local"`` or a scheduler address.

    An address is ``HOST:PORT`` with an optional protocol
    (``tcp://10.0.0.5:8786``, ``tls://...``).

    Examples
    --------
    >>> check_scheduler("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    >>> check_scheduler("10.0.0.5")
    Traceback (most recent call last):
    ...
    ValueError: `scheduler` must be 'local' or a Dask scheduler address ...
    """
    if not isinstance(scheduler, str):
        raise TypeError(
            "`scheduler` must be a str ('local' or HOST:PORT); got "
            f"{type(scheduler).__name__}."
        )
    if scheduler == "local" or _ADDRESS.match(scheduler):
        return scheduler
    raise ValueError(
        "`scheduler` must be 'local' or a Dask scheduler address such as "
        f"'tcp://10.0.0.5:8786' (HOST:PORT, protocol optional); got {scheduler!r}."
    )


def connect(scheduler: str, *, n_workers: int = 2, timeout: float = 10.0) -> Any:
    """A client of a new local cluster (``"local"``) or of a running scheduler.

    Parameters
    ----------
    scheduler : str
        ``"local"``: :func:`local_client` with ``n_workers`` workers;
        otherwise the address of a running scheduler (``tcp://HOST:PORT``,
        as ``dask scheduler`` or ``SLURMCluster.scheduler_address`` gives).
    n_workers : int, default=2
        Workers of a local cluster (ignored for an address).
    timeout : float, default=10.0
        Seconds to wait for the scheduler at an address.

    Returns
    -------
    client : distributed.Client
        Close it when done (``with connect(...) as client:``).

    Raises
    ------
    ValueError
        When ``scheduler`` is neither ``"local"`` nor an address, or no
        scheduler answers at the address within ``timeout``.

    Examples
    --------
    >>> with connect("local", n_workers=1) as client:  # doctest: +SKIP
    ...     client.submit(sum, [1, 2]).result()
    3
    """
    scheduler = check_scheduler(scheduler)
    if scheduler == "local":
        return local_client(n_workers)
    distributed = import_distributed("reach a Dask scheduler")
    try:
        return distributed.Client(scheduler, timeout=timeout)
    except OSError as err:  # no scheduler there (TimeoutError is an OSError)
        raise ValueError(
            f"no Dask scheduler answered at {scheduler} within {timeout:g} s "
            f"({type(err).__name__}); start one (`dask scheduler`) or pass "
            "'local'."
        ) from err
