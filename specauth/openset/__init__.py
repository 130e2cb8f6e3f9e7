"""Open-set recognition: classify known classes, reject the never-seen ones.

- :class:`OpenSetClassifier` -- a classifier plus an OOD detector, predicting
  a known class or ``unknown_label``; tunable in one ``GridSearchCV``.
- :func:`figures_of_merit` -- TEFF, TSNS, TSPS, ACC, per-class CSNS/CSPS/CEFF
  and the confusion matrix with an unknown column.
- :func:`ood_metrics` -- AUROC, FPR at 95 % TPR, AUPR-in, AUPR-out.
- :func:`clear_classifier_cache` -- free the networks cached for fast
  detector tuning.
- :class:`LeaveClassesOut` -- cross-validation holding whole classes out of
  training, as pseudo-unknowns, to tune rejection without unknown spectra.
- :func:`make_openset_scorer` -- TEFF, TSNS, TSPS, ACC or AUROC scorers for
  ``GridSearchCV``.
"""

from specauth.openset._cache import clear_classifier_cache
from specauth.openset.classifier import OpenSetClassifier
from specauth.openset.detection_metrics import ood_metrics
from specauth.openset.metrics import figures_of_merit
from specauth.openset.model_selection import LeaveClassesOut
from specauth.openset.scoring import make_openset_scorer

__all__ = [
    "OpenSetClassifier",
    "figures_of_merit",
    "ood_metrics",
    "clear_classifier_cache",
    "LeaveClassesOut",
    "make_openset_scorer",
]
