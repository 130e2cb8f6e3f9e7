"""Out-of-distribution detectors on a classifier's embedding or logits.

Every detector follows scikit-learn's outlier-detector convention:
``fit(X)``, ``score_samples(X)`` (**higher = more in-distribution**),
``decision_function(X)`` (score minus ``threshold_``), ``predict(X)`` (+1
inlier, -1 outlier) and ``score_percentile(X)`` (calibrated on the training
scores). ``alpha`` is the fraction of the training data rejected, and every
detector sets its threshold the same way: the ``floor(alpha * n)`` lowest
training scores are rejected, and ``threshold_`` lies halfway between the
last rejected and the first kept training score. Detectors whose fit adapts
to the training points score them out-of-sample for this (KNNDetector and
NNGuide leave-one-out; Mahalanobis, RMD, DIME and ViM out-of-fold), so
that about ``alpha`` of new in-distribution samples are rejected too.

Each detector is registered under a short name (the one the command line
takes): :func:`list_detectors`, :func:`get_detector`, :func:`make_detector`.
Names are imported on first use, so listing the detectors imports none.

``X`` is either the precomputed features/logits (``model=None``) or the
classifier's inputs when a fitted classifier is passed as ``model``. The
detectors marked "+ head" also read the last Dense layer (``weight``,
``bias``, or ``model.head_weights()``).

=================  ===============  ================================================
Detector           Input            Score
=================  ===============  ================================================
Energy             logits           ``T * logsumexp(logits / T)``
MaxSoftmax         logits           largest softmax probability
MaxLogit           logits           largest logit
GEN                logits           minus the generalized entropy of the top softmax
                                    probabilities
DIME               features         minus the distance to a PCA hyperplane
Mahalanobis        features         minus the smallest class Mahalanobis distance
RMD                features         minus the smallest class Mahalanobis distance
                                    relative to that of one Gaussian of all data
KNNDetector        features         minus the distance to the k-th nearest neighbour
ViM                features + head  log-sum-exp of logits minus scaled residual norm
FDBD               features + head  mean distance to the decision boundaries over
                                    the distance to the training mean
ReAct              features + head  energy of the logits of clipped features
ASH                features + head  energy of the logits of pruned, rescaled
                                    features (ASH-S)
SCALE              features + head  energy of the logits of rescaled features
NNGuide            features + head  energy times the similarity to confident
                                    training neighbours
MutualInformation  members          minus the disagreement of an ensemble's members
TemplateMatcher    raw 2D patterns  minus the distance to the nearest rotated
                                    reference pattern
=================  ===============  ================================================

``MutualInformation`` reads the members of an
:class:`~specauth.estimators.EnsembleClassifier`; it has no registry name
(the command line trains single networks).

``TemplateMatcher`` reads no classifier at all: it scores raw 2D patterns
(diffraction images) by minus their L2 distance to the nearest rotated copy
of reference patterns. It has no registry name either (the command line and
the demo give detectors a classifier's embedding).
"""

from specauth._lazy import lazy_exports
from specauth.ood import registry as _registry
from specauth.ood.registry import BUILTIN_DETECTORS

__all__ = [
    "ASH",
    "DIME",
    "Energy",
    "FDBD",
    "GEN",
    "KNNDetector",
    "Mahalanobis",
    "MaxLogit",
    "MaxSoftmax",
    "MutualInformation",
    "NNGuide",
    "RMD",
    "ReAct",
    "SCALE",
    "TemplateMatcher",
    "ViM",
    "get_detector",
    "list_detectors",
    "make_detector",
    "register_detector",
]

# Each name comes from the module that defines it: a detector class from the
# registry's table of built-in detectors, a registry function from the registry.
_MODULES = {
    **{cls: module.rsplit(".", 1)[1] for module, cls in BUILTIN_DETECTORS.values()},
    **{name: "registry" for name in _registry.__all__},
    "MutualInformation": "mutual_information",
    "TemplateMatcher": "template",
}

__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
