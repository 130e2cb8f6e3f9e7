"""Out-of-distribution detectors on a classifier's embedding or logits.

Every detector follows scikit-learn's outlier-detector convention:
``fit(X)``, ``score_samples(X)`` (**higher = more in-distribution**),
``decision_function(X)`` (score minus ``threshold_``), ``predict(X)`` (+1
inlier, -1 outlier) and ``score_percentile(X)`` (calibrated on the training
scores). ``alpha`` is the fraction of the training data rejected, and every
detector sets its threshold the same way: the ``floor(alpha * n)`` lowest
training scores are rejected, and ``threshold_`` lies halfway between the
last rejected and the first kept training score.

``X`` is either the precomputed features/logits (``model=None``) or the
classifier's inputs when a fitted classifier is passed as ``model``.

=============  =========  ================================================
Detector       Input      Score
=============  =========  ================================================
Energy         logits     ``T * logsumexp(logits / T)``
MaxSoftmax     logits     largest softmax probability
MaxLogit       logits     largest logit
DIME           features   minus the distance to a PCA hyperplane
Mahalanobis    features   minus the smallest class Mahalanobis distance
KNNDetector    features   minus the distance to the k-th nearest neighbour
ViM            features   log-sum-exp of logits minus scaled residual norm
=============  =========  ================================================
"""

from specauth.ood.dime import DIME
from specauth.ood.energy import Energy
from specauth.ood.knn import KNNDetector
from specauth.ood.mahalanobis import Mahalanobis
from specauth.ood.max_logit import MaxLogit
from specauth.ood.max_softmax import MaxSoftmax
from specauth.ood.vim import ViM

__all__ = [
    "DIME",
    "Energy",
    "KNNDetector",
    "Mahalanobis",
    "MaxLogit",
    "MaxSoftmax",
    "ViM",
]
