"""Training tools in the fastai style: learning-rate finder and schedules.

- :func:`lr_find` -- learning-rate range test with named suggestions,
- :class:`CyclicalLearningRate`, :class:`OneCycleSchedule` -- per-step
  learning-rate schedules (Keras ``LearningRateSchedule`` objects),
- :class:`OneCycleMomentum`, :class:`LearningRateRecorder` -- callbacks.

Names are imported on first use, so ``import specauth.training`` does not load
TensorFlow.
"""

from __future__ import annotations

import importlib

__all__ = [
    "lr_find",
    "LRFinderResult",
    "CyclicalLearningRate",
    "OneCycleSchedule",
    "OneCycleMomentum",
    "LearningRateRecorder",
]

_MODULES = {
    "lr_find": "lr_finder",
    "LRFinderResult": "lr_finder_result",
    "CyclicalLearningRate": "cyclical",
    "OneCycleSchedule": "one_cycle",
    "OneCycleMomentum": "momentum",
    "LearningRateRecorder": "recorder",
}


def __getattr__(name):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
