"""Training tools in the fastai style: learning-rate finder and schedules.

- :func:`lr_find` -- learning-rate range test with named suggestions,
- :class:`CyclicalLearningRate`, :class:`OneCycleSchedule` -- per-step
  learning-rate schedules (Keras ``LearningRateSchedule`` objects),
- :class:`OneCycleMomentum`, :class:`LearningRateRecorder` -- callbacks,
- :func:`fine_tune` (with :func:`freeze_base`, :func:`unfreeze_base`,
  :func:`discriminative_optimizer`, :func:`layer_rate_factors`) -- train the
  head of a pretrained-base network, then unfreeze it with discriminative
  learning rates.

Names are imported on first use, so ``import specauth.training`` does not load
TensorFlow.
"""

from __future__ import annotations

from specauth._lazy import lazy_exports

__all__ = [
    "lr_find",
    "LRFinderResult",
    "CyclicalLearningRate",
    "OneCycleSchedule",
    "OneCycleMomentum",
    "LearningRateRecorder",
    "fine_tune",
    "freeze_base",
    "unfreeze_base",
    "discriminative_optimizer",
    "layer_rate_factors",
]

_MODULES = {
    "lr_find": "lr_finder",
    "LRFinderResult": "lr_finder_result",
    "CyclicalLearningRate": "cyclical",
    "OneCycleSchedule": "one_cycle",
    "OneCycleMomentum": "momentum",
    "LearningRateRecorder": "recorder",
    "fine_tune": "fine_tuning",
    "freeze_base": "fine_tuning",
    "unfreeze_base": "fine_tuning",
    "discriminative_optimizer": "discriminative",
    "layer_rate_factors": "discriminative",
}


__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
