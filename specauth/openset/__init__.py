"""Open-set recognition: classify known classes, reject the never-seen ones.

- :class:`OpenSetClassifier` -- a classifier plus an OOD detector, predicting
  a known class or ``unknown_label``; tunable in one ``GridSearchCV``.
- :func:`figures_of_merit` -- TEFF, TSNS, TSPS, ACC, per-class CSNS/CSPS/CEFF
  and the confusion matrix with an unknown column.
- :func:`ood_metrics` -- AUROC, FPR at 95 % TPR, AUPR-in, AUPR-out.
- :func:`clear_classifier_cache` -- free the networks cached for fast
  detector tuning.
"""

from specauth.openset._cache import clear_classifier_cache
from specauth.openset.classifier import OpenSetClassifier
from specauth.openset.detection_metrics import ood_metrics
from specauth.openset.metrics import figures_of_merit

__all__ = [
    "OpenSetClassifier",
    "figures_of_merit",
    "ood_metrics",
    "clear_classifier_cache",
]
