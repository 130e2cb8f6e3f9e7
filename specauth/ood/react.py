"""ReAct: energy of the logits of clipped activations (Sun et al., 2021)."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING

import numpy as np

from specauth._validation import Interval
from specauth.ood._shaping import PercentileHeadDetector
from specauth.ood.energy import energy_score

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["ReAct", "react_score"]


def react_score(
    features: ArrayLike, weight: np.ndarray, bias: np.ndarray, clip: float
) -> np.ndarray:
    """Return the energy of the logits of the features clipped at ``clip``.

    ``score = logsumexp(min(features, clip) @ weight + bias)``, the clipping
    element-wise.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Embeddings (inputs of the last Dense layer).
    weight : ndarray of shape (n_features, n_classes)
        Kernel of the last Dense layer.
    bias : ndarray of shape (n_classes,)
        Its bias.
    clip : float
        Largest activation kept; larger ones are set to it.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher means more in-distribution.

    Examples
    --------
    >>> import numpy as np
    >>> react_score(np.array([[1.0, 0.0], [9.0, 0.0]]), np.eye(2),
    ...             np.zeros(2), clip=2.0).round(4)
    array([1.3133, 2.1269])
    """
    clipped = np.minimum(np.asarray(features, dtype=np.float64), clip)
    return energy_score(clipped @ weight + bias)


class ReAct(PercentileHeadDetector):
    """ReAct: rectified activations, then the energy score, on the embedding.

    Out-of-distribution inputs often drive a few units of the embedding to
    unusually large values, which inflate the logits. ReAct clips every
    activation at ``c``, the ``percentile``-th percentile of all the training
    activations (every value of the ``(n_samples, n_features)`` training
    embedding), and scores the energy ``logsumexp(min(z, c) @ W + b)`` of the
    logits recomputed from the clipped features through the last Dense
    layer ``W, b``. **Higher = more in-distribution** (pytorch-ood returns
    the opposite sign).

    The last Dense layer comes from ``model.head_weights()`` when a model
    is given, else from ``weight`` and ``bias`` (which
    :class:`~specauth.openset.OpenSetClassifier` sets from its classifier).

    Inputs: with ``model=None``, ``X`` is the embedding ``(n_samples,
    n_features)`` and ``weight``/``bias`` are required; with ``model=clf`` (a
    fitted ``CNNClassifier``), ``X`` holds spectra and the detector calls
    ``clf.transform`` in batches of 1024 rows, without modifying ``clf``.

    The only thing learned from the training points is the clipping value, a
    percentile of all ``n_samples * n_features`` activations, on which one
    point has a negligible influence; the threshold is therefore set on the
    in-sample training scores.

    %(threshold_rule)s

    Parameters
    ----------
    percentile : float, default=90
        Percentile of the training activations at which to clip, in (0, 100]
        (100: the largest training activation).
    weight : array-like of shape (n_features, n_classes) or None, default=None
        Kernel of the last Dense layer, when ``model`` is None.
    bias : array-like of shape (n_classes,) or None, default=None
        Its bias, when ``model`` is None.
    model : estimator or None, default=None
        Fitted classifier providing the embedding and the last layer, or
        ``None`` when ``X`` is the embedding.
    %(alpha)s

    Attributes
    ----------
    clip_ : float
        The clipping value ``c``.
    weight_ : ndarray of shape (n_features, n_classes)
        Kernel of the last layer used.
    bias_ : ndarray of shape (n_classes,)
        Bias of the last layer used.
    %(threshold_attributes)s
    n_features_in_ : int
        Width of the embedding.

    See Also
    --------
    ASH : prunes the small activations of each sample instead.
    SCALE : rescales the logits by each sample's activation profile.
    Energy : the energy of the unclipped logits.

    References
    ----------
    .. [1] Y. Sun, C. Guo, Y. Li, "ReAct: Out-of-distribution Detection With
       Rectified Activations", NeurIPS 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import ReAct
    >>> rng = np.random.default_rng(0)
    >>> features = np.abs(rng.normal(size=(100, 4))) + [3.0, 0.0, 0.0, 0.0]
    >>> weight, bias = np.eye(4)[:, :2], np.zeros(2)
    >>> det = ReAct(weight=weight, bias=bias).fit(features)
    >>> bool(det.clip_ < features.max())
    True
    >>> det.predict([[3.5, 0.5, 0.5, 0.5], [0.0, 0.0, 0.0, 0.0]])
    array([ 1, -1])
    """

    _parameter_constraints = {
        **PercentileHeadDetector._parameter_constraints,
        "percentile": [Interval(Real, 0, 100, closed="right")],
    }

    def _fit(self, Z, y):
        super()._fit(Z, y)
        self.clip_ = float(np.percentile(Z, self.percentile))

    def _score(self, Z):
        return react_score(Z, self.weight_, self.bias_, self.clip_)
