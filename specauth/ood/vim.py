"""ViM: virtual-logit matching (Wang et al., 2022)."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.linalg import pinv
from scipy.special import logsumexp

from specauth._validation import Interval
from specauth.ood._head import HeadDetector
from specauth.ood._subspace import (
    cap_to_samples,
    resolve_n_components,
    scatter_matrix,
    sorted_eigh,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["PINV_RTOL", "ViM", "vim_score"]

PINV_RTOL = 1e-6
"""Relative cutoff of the pseudo-inverse giving ViM's origin.

Singular values of the last layer's kernel below ``PINV_RTOL`` times the
largest are treated as 0. A softmax head is often rank-deficient (its columns
nearly sum to zero, since adding a constant to every logit changes no
prediction); numpy's default cutoff (about ``1e-15`` relative) would invert
the rounding noise left in such a direction -- float32 weights carry a
relative precision of about ``1e-7`` -- and send the origin to ``1e16``.
``1e-6`` sits above float32 noise and far below any direction the head
actually uses.
"""


def vim_score(
    features: ArrayLike,
    weight: np.ndarray,
    bias: np.ndarray,
    origin: np.ndarray,
    residual_basis: np.ndarray,
    scale: float,
) -> np.ndarray:
    """Return ``logsumexp(logits) - scale * ||residual||``.

    ``logits = features @ weight + bias`` and the residual is the part of
    ``features - origin`` in the span of the columns of ``residual_basis``
    (the complement of the principal subspace).

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_features)
        Embeddings (inputs of the last Dense layer).
    weight : ndarray of shape (n_features, n_classes)
        Kernel of the last Dense layer.
    bias : ndarray of shape (n_classes,)
        Its bias.
    origin : ndarray of shape (n_features,)
        ``-pinv(weight.T) @ bias`` (see ``PINV_RTOL``).
    residual_basis : ndarray of shape (n_features, n_residual)
        Orthonormal basis of the residual space.
    scale : float
        Weight of the residual norm (``alpha`` in the paper).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher means more in-distribution.

    Examples
    --------
    >>> import numpy as np
    >>> weight, bias = np.eye(2), np.zeros(2)
    >>> basis = np.array([[0.0], [1.0]])  # residual = 2nd coordinate
    >>> vim_score(np.array([[1.0, 0.0], [1.0, 2.0]]), weight, bias,
    ...           np.zeros(2), basis, 1.0).round(4)
    array([1.3133, 0.3133])
    """
    features = np.asarray(features, dtype=np.float64)
    logits = features @ weight + bias
    residual = np.linalg.norm((features - origin) @ residual_basis, axis=1)
    return logsumexp(logits, axis=1) - scale * residual


class ViM(HeadDetector):
    """Virtual-logit matching (ViM) on the features and the last Dense layer.

    ViM combines the class evidence in the logits with how much of the
    feature vector lies *outside* the principal subspace of the training
    features. With the last layer ``logits = z @ W + b``:

    1. origin ``u = -pinv(W^T) b`` (the point whose logits are all 0, or
       nearest to it), with singular values of ``W`` below ``1e-6`` times the
       largest treated as 0 (see ``PINV_RTOL``);
    2. principal subspace: the ``n_components`` leading eigenvectors of
       ``sum_i (z_i - u)(z_i - u)^T / n`` (training features centred at
       ``u``, as in the paper), accumulated ``batch_size`` rows at a time;
    3. residual norm ``||(z - u)`` projected on the other eigenvectors ``||``;
    4. ``virtual_logit_scale_ = mean(max logit) / mean(residual norm)`` on the
       training data (the paper's ``alpha``; renamed, since ``alpha`` is the
       rejection fraction here); ``fit`` warns when it is ``<= 0`` (a mean
       max logit ``<= 0``), which turns the residual into evidence *for*
       being in-distribution;
    5. ``score = logsumexp(logits) - virtual_logit_scale_ * residual``, so
       **higher = more in-distribution**. The paper's softmax probability of
       the virtual logit is ``1 / (1 + exp(score))``, a decreasing function of
       this score; pytorch-ood returns ``-score``.

    The last Dense layer comes from ``model.head_weights()`` when a model
    is given, else from ``weight`` and ``bias``.

    Inputs: with ``model=None``, ``X`` is the embedding ``(n_samples,
    n_features)`` and ``weight``/``bias`` are required; with ``model=clf`` (a
    fitted ``CNNClassifier``, whose last layer is a Dense layer producing the
    logits), ``X`` holds spectra and the detector calls ``clf.transform`` in
    batches of 1024 rows, without modifying ``clf``.

    %(threshold_rule_cross_fit)s

    The subspace must be estimated from enough samples: ``n_components_`` is
    at most ``n_samples // 2`` (with fewer samples than dimensions, the
    training features would have no residual at all, the scale would blow
    up and every new sample would be rejected); a larger value is lowered
    to it with a ``UserWarning``.

    Parameters
    ----------
    n_components : int, float or None, default=None
        Dimension of the principal subspace: an int in ``[1, n_features -
        1]``, a float in (0, 1] (smallest number of components explaining that
        fraction of the variance, at most ``n_features - 1``), or None for
        ``n_features // 2`` (about the ratio the paper uses, 1000 of 2048);
        in each case at most ``n_samples // 2``.
    weight : array-like of shape (n_features, n_classes) or None, default=None
        Kernel of the last Dense layer, when ``model`` is None.
    bias : array-like of shape (n_classes,) or None, default=None
        Its bias, when ``model`` is None.
    batch_size : int, default=1024
        Rows per block when accumulating the scatter matrix.
    model : estimator or None, default=None
        Fitted classifier providing the embedding and the last layer, or
        ``None`` when ``X`` is the embedding.
    %(alpha)s

    Attributes
    ----------
    weight_ : ndarray of shape (n_features, n_classes)
        Kernel of the last layer used.
    bias_ : ndarray of shape (n_classes,)
        Bias of the last layer used.
    origin_ : ndarray of shape (n_features,)
        ``u = -pinv(weight_.T) @ bias_``.
    residual_basis_ : ndarray of shape (n_features, n_features - n_components_)
        Orthonormal basis of the residual space.
    n_components_ : int
        Dimension of the principal subspace.
    virtual_logit_scale_ : float
        The paper's ``alpha``: mean max logit over mean residual norm.
    %(threshold_attributes)s
    n_features_in_ : int
        Width of the embedding.

    See Also
    --------
    DIME : residual distance alone, around the mean.
    Energy : log-sum-exp of the logits alone.

    References
    ----------
    .. [1] H. Wang, Z. Li, L. Feng, W. Zhang, "ViM: Out-Of-Distribution with
       Virtual-logit Matching", CVPR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import ViM
    >>> rng = np.random.default_rng(0)
    >>> weight, bias = rng.normal(size=(4, 2)), np.zeros(2)
    >>> features = np.zeros((100, 4))
    >>> features[:, :2] = rng.normal(size=(100, 2)) * 3.0
    >>> features[:, 2:] = rng.normal(size=(100, 2)) * 0.1
    >>> det = ViM(n_components=2, weight=weight, bias=bias).fit(features)
    >>> det.residual_basis_.shape
    (4, 2)
    >>> new = np.array([[1.0, -2.0, 0.05, 0.0], [1.0, -2.0, 2.0, 2.0]])
    >>> det.predict(new)  # the second lies far outside the principal plane
    array([ 1, -1])
    """

    _parameter_constraints = {
        **HeadDetector._parameter_constraints,
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
            None,
        ],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        n_components: int | float | None = None,
        weight: ArrayLike | None = None,
        bias: ArrayLike | None = None,
        batch_size: int = 1024,
        model: Any = None,
        alpha: float = 0.05,
    ) -> None:
        super().__init__(weight=weight, bias=bias, model=model, alpha=alpha)
        self.n_components = n_components
        self.batch_size = batch_size

    _cross_fit = True

    def _fit(self, Z, y):
        weight, bias = self._head_arrays()
        n_samples, n_features = Z.shape
        self._check_head(weight, bias, n_features)
        if n_features < 2:
            raise ValueError(
                "ViM needs features of width >= 2 (a principal subspace and a "
                f"non-empty residual); got width {n_features}."
            )
        origin = -pinv(weight.T, atol=0.0, rtol=PINV_RTOL) @ bias
        scatter = scatter_matrix(Z, origin, self.batch_size) / n_samples
        values, vectors = sorted_eigh(scatter)
        k = self.n_components
        k = max(n_features // 2, 1) if k is None else k
        k = resolve_n_components(k, values, n_features - 1, "ViM")
        k = cap_to_samples(k, max(n_samples // 2, 1), n_samples, n_features, "ViM")
        basis = np.ascontiguousarray(vectors[:, k:])
        residual = np.linalg.norm((Z - origin) @ basis, axis=1).mean()
        if not residual > 0:
            raise ValueError(
                "The training features have no residual outside the principal "
                f"subspace of dimension {k}; lower `n_components`."
            )
        self.weight_ = weight
        self.bias_ = bias
        self.origin_ = origin
        self.residual_basis_ = basis
        self.n_components_ = k
        max_logit = float((Z @ weight + bias).max(axis=1).mean())
        self.virtual_logit_scale_ = max_logit / float(residual)
        if not self.virtual_logit_scale_ > 0:
            warnings.warn(
                f"ViM: the mean largest logit of the training data is {max_logit:.4g}"
                f", so the virtual-logit scale is {self.virtual_logit_scale_:.4g} "
                "<= 0 and a larger residual scores *more* in-distribution. Shift "
                "the bias of the last layer (it changes no prediction) or use "
                "another detector.",
                UserWarning,
                stacklevel=3,
            )

    def _fold_overrides(self):
        # The copies fitted on 9 folds keep the dimension of the final fit.
        return {"n_components": self.n_components_}

    def _score(self, Z):
        return vim_score(
            Z,
            self.weight_,
            self.bias_,
            self.origin_,
            self.residual_basis_,
            self.virtual_logit_scale_,
        )
