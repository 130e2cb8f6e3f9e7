"""Scale-out on Dask: model search and inference over many files.

- :func:`local_client` -- a cluster of worker processes on this machine,
  each running one task at a time with its share of the CPUs;
  :func:`connect` -- that, or a client of a running scheduler, from one
  string (``"local"`` or ``tcp://HOST:PORT``), as ``specauth predict
  --scheduler`` takes it; :func:`check_scheduler` checks the string;
- :func:`thread_environment`, :func:`limit_threads`, :func:`worker_threads`
  -- the TensorFlow, XLA and BLAS threads of each worker: the variables,
  setting them on a running cluster's workers, reading them back;
- :func:`predict_files` -- one CSV of predictions per spectra file, each
  file a task that opens it on the worker, with the model loaded once per
  worker (:func:`output_paths` names the outputs).

Model search needs no code of its own: scikit-learn's ``GridSearchCV``,
``RandomizedSearchCV`` and ``cross_validate`` run their fits on the cluster
inside ``joblib.parallel_config(backend="dask")``; each worker builds and
trains its own networks (see the guide page "Scaling out on Dask").

Needs ``pip install 'specauth[dask]'``. Names are imported on first use, so
``import specauth.distributed`` loads neither Dask nor TensorFlow.
"""

from __future__ import annotations

from specauth._lazy import lazy_exports

__all__ = [
    "check_scheduler",
    "connect",
    "limit_threads",
    "local_client",
    "output_paths",
    "predict_files",
    "thread_environment",
    "worker_threads",
]

_MODULES = {
    "check_scheduler": "cluster",
    "connect": "cluster",
    "local_client": "cluster",
    "limit_threads": "threads",
    "thread_environment": "threads",
    "worker_threads": "threads",
    "output_paths": "inference",
    "predict_files": "inference",
}

__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
