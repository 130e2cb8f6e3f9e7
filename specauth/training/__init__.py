"""Training tools in the fastai style: one training loop, finder, schedules.

- :func:`fit_network` -- the training loop every specauth network goes
  through (with :func:`compile_network`, :func:`split_validation`,
  :func:`make_optimizer`, :func:`make_schedule`),
- :class:`RAdam`, :class:`Lookahead` -- optimizers Keras lacks; Lookahead
  around RAdam is Ranger (``optimizer="ranger"``),
- :func:`lr_find` -- learning-rate range test with named suggestions,
- :class:`CyclicalLearningRate`, :class:`OneCycleSchedule` -- per-step
  learning-rate schedules (Keras ``LearningRateSchedule`` objects),
- :class:`OneCycleMomentum`, :class:`LearningRateRecorder` -- callbacks,
- :func:`fine_tune` (with :func:`freeze_base`, :func:`unfreeze_base`,
  :func:`discriminative_optimizer`, :func:`layer_rate_factors`) -- train the
  head of a pretrained-base network, then unfreeze it with discriminative
  learning rates,
- :func:`auto_epochs` -- how many epochs ``epochs="auto"`` trains: at least
  1000 optimizer steps, so that small data sets train as long as large ones,
- :func:`adapt_normalization` -- per-point input standardisation
  (``input_norm="standard"``) from the training data,
- :func:`mixup_batch` -- mixup of a batch of inputs and their one-hot or
  regression targets, in numpy; :class:`MixupBatches` -- the mixed batches
  ``fit_network(mixup=alpha)`` trains on,
- :func:`recompute_batch_norm`, :func:`frozen_batch_norm`,
  :func:`check_inference_agreement`, :class:`StopOnNonFiniteLoss`,
  :class:`TrainingDivergedError` -- what keeps a fit on small data honest:
  BatchNorm statistics that match the trained weights, weights that match
  them (training with BatchNorm frozen), a warning when ``predict``
  disagrees with training, an error instead of a network with NaN weights.

Names are imported on first use, so ``import specauth.training`` does not load
TensorFlow.
"""

from __future__ import annotations

from specauth._lazy import lazy_exports

__all__ = [
    "fit_network",
    "compile_network",
    "split_validation",
    "make_optimizer",
    "make_schedule",
    "RAdam",
    "Lookahead",
    "lr_find",
    "LRFinderResult",
    "CyclicalLearningRate",
    "OneCycleSchedule",
    "OneCycleMomentum",
    "LearningRateRecorder",
    "fine_tune",
    "fit_unfrozen",
    "unfrozen_peak",
    "freeze_base",
    "unfreeze_base",
    "discriminative_optimizer",
    "layer_rate_factors",
    "recompute_batch_norm",
    "frozen_batch_norm",
    "check_inference_agreement",
    "InferenceMismatchWarning",
    "StopOnNonFiniteLoss",
    "TrainingDivergedError",
    "auto_epochs",
    "adapt_normalization",
    "mixup_batch",
    "MixupBatches",
]

_MODULES = {
    "fit_network": "loop",
    "compile_network": "loop",
    "split_validation": "loop",
    "make_optimizer": "optimizers",
    "make_schedule": "optimizers",
    "RAdam": "radam",
    "Lookahead": "lookahead",
    "lr_find": "lr_finder",
    "LRFinderResult": "lr_finder_result",
    "CyclicalLearningRate": "cyclical",
    "OneCycleSchedule": "one_cycle",
    "OneCycleMomentum": "momentum",
    "LearningRateRecorder": "recorder",
    "fine_tune": "fine_tuning",
    "fit_unfrozen": "unfrozen",
    "unfrozen_peak": "unfrozen",
    "freeze_base": "fine_tuning",
    "unfreeze_base": "fine_tuning",
    "discriminative_optimizer": "discriminative",
    "layer_rate_factors": "discriminative",
    "recompute_batch_norm": "batch_norm",
    "frozen_batch_norm": "batch_norm",
    "check_inference_agreement": "batch_norm",
    "InferenceMismatchWarning": "batch_norm",
    "StopOnNonFiniteLoss": "divergence",
    "TrainingDivergedError": "divergence",
    "auto_epochs": "budget",
    "adapt_normalization": "normalization",
    "mixup_batch": "mixup",
    "MixupBatches": "mixup_batches",
}


__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
