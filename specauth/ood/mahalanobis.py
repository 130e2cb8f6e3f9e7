"""Class-conditional Mahalanobis distance (Lee et al., 2018)."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.linalg import LinAlgError, cholesky, solve_triangular
from sklearn.utils.validation import column_or_1d

from specauth._validation import Interval
from specauth.ood._base import BaseDetector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Mahalanobis", "mahalanobis_score"]


def mahalanobis_score(
    features: ArrayLike,
    means: np.ndarray,
    covariance: np.ndarray,
    *,
    batch_size: int = 1024,
) -> np.ndarray:
    """Return minus the smallest squared Mahalanobis distance to a class mean.

    ``score(x) = -min_c (x - means[c])^T covariance^-1 (x - means[c])``,
    computed by whitening with the Cholesky factor of ``covariance``,
    ``batch_size`` rows and one class at a time.

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_features)
        Embeddings.
    means : ndarray of shape (n_classes, n_features)
        Class means.
    covariance : ndarray of shape (n_features, n_features)
        Shared, positive-definite covariance.
    batch_size : int, default=1024
        Rows processed at a time.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher means more in-distribution.

    Examples
    --------
    >>> import numpy as np
    >>> mahalanobis_score(np.array([[2.0, 0.0], [0.0, 3.0]]),
    ...                   np.zeros((1, 2)), np.diag([4.0, 1.0]))
    array([-1., -9.])
    """
    try:
        lower = cholesky(covariance, lower=True)
    except LinAlgError as err:
        raise ValueError(
            "The covariance matrix is not positive definite (singular features); "
            "increase `reg`."
        ) from err
    features = np.asarray(features, dtype=np.float64)
    white_means = solve_triangular(lower, means.T, lower=True).T
    scores = np.empty(features.shape[0])
    for start in range(0, features.shape[0], batch_size):
        stop = start + batch_size
        white = solve_triangular(lower, features[start:stop].T, lower=True).T
        best = np.full(white.shape[0], np.inf)
        for centre in white_means:
            diff = white - centre
            best = np.minimum(best, np.einsum("ij,ij->i", diff, diff))
        scores[start:stop] = -best
    return scores


class Mahalanobis(BaseDetector):
    """Class-conditional Gaussian (Mahalanobis) detector on the features.

    Each class ``c`` is modelled by a Gaussian with its own mean ``mu_c`` and
    a covariance shared by all classes (tied, maximum likelihood: ``1/n`` of
    the scatter around the class means). The score is minus the smallest
    squared Mahalanobis distance, ``-min_c (x - mu_c)^T S^-1 (x - mu_c)``, so
    **higher = more in-distribution** (pytorch-ood returns the opposite
    sign).

    So that duplicated or constant features do not make ``S`` singular, the
    covariance used is ``S + reg * trace(S) / n_features * I`` (``reg * I``
    when the trace is 0). The fit accumulates the scatter matrix
    ``batch_size`` rows at a time and scoring runs ``batch_size`` rows and one
    class at a time (no ``n x n`` matrix).

    Inputs: with ``model=None``, ``X`` is the embedding ``(n_samples,
    n_features)`` and ``y`` (the class labels) is required; with ``model=clf``
    (a fitted ``CNNClassifier`` or any fitted object with ``transform(X)``),
    ``X`` holds spectra and the detector calls ``clf.transform`` in batches of
    1024 rows, without modifying ``clf``; there, if ``y`` is None, the
    classes predicted by ``clf.predict(X)`` are used instead.

    %(threshold_rule_cross_fit)s

    With fewer training samples than features (more exactly, ``n - n_classes
    < n_features``) the covariance is singular and only ``reg`` keeps it
    invertible; ``fit`` then emits a ``UserWarning``.

    Parameters
    ----------
    reg : float, default=1e-6
        Ridge added to the covariance, relative to its mean diagonal (>= 0).
    batch_size : int, default=1024
        Rows processed at a time.
    %(model_features)s
    %(alpha)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    means_ : ndarray of shape (n_classes, n_features)
        Class means, in the order of ``classes_``.
    covariance_ : ndarray of shape (n_features, n_features)
        Shared covariance, regularisation included.
    %(threshold_attributes)s
    n_features_in_ : int
        Width of the embedding.

    See Also
    --------
    DIME : distance to a class-agnostic linear model of the embedding.
    KNNDetector : distance to the nearest training samples.

    References
    ----------
    .. [1] K. Lee, K. Lee, H. Lee, J. Shin, "A Simple Unified Framework for
       Detecting Out-of-Distribution Samples and Adversarial Attacks",
       NeurIPS 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import Mahalanobis
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> features = rng.normal(size=(100, 2)) + 6.0 * y[:, None]
    >>> det = Mahalanobis().fit(features, y)
    >>> det.means_.round(0)
    array([[-0., -0.],
           [ 6.,  6.]])
    >>> det.predict([[0.0, 0.0], [6.0, 6.0], [3.0, 3.0]])
    array([ 1,  1, -1])
    """

    _parameter_constraints = {
        **BaseDetector._parameter_constraints,
        "reg": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        reg: float = 1e-6,
        batch_size: int = 1024,
        model: Any = None,
        alpha: float = 0.05,
    ) -> None:
        super().__init__(model=model, alpha=alpha)
        self.reg = reg
        self.batch_size = batch_size

    _cross_fit = True

    def _fit_targets(self, X, y, n_samples):
        if y is None and self.model is not None:
            y = self._model_call("predict", X)
        if y is None:
            raise ValueError(
                "Mahalanobis requires y to be passed, but the target y is None: "
                "pass the class labels `y` of the training features (or a fitted "
                "`model`, whose predictions are then used)."
            )
        y = column_or_1d(y)
        if y.shape[0] != n_samples:
            raise ValueError(
                f"`y` must hold one label per training sample ({n_samples}); "
                f"got {y.shape[0]} labels."
            )
        return y

    def _fit(self, Z, y):
        classes, codes = np.unique(y, return_inverse=True)
        counts = np.bincount(codes, minlength=classes.size)
        means = np.zeros((classes.size, Z.shape[1]))
        np.add.at(means, codes, Z)
        means /= counts[:, None]
        scatter = np.zeros((Z.shape[1], Z.shape[1]))
        for start in range(0, Z.shape[0], self.batch_size):
            stop = start + self.batch_size
            block = Z[start:stop] - means[codes[start:stop]]
            scatter += block.T @ block
        covariance = scatter / Z.shape[0]
        ridge = np.trace(covariance) / Z.shape[1]
        covariance += self.reg * (ridge if ridge > 0 else 1.0) * np.eye(Z.shape[1])
        if Z.shape[0] - classes.size < Z.shape[1]:
            warnings.warn(
                f"{type(self).__name__}: {Z.shape[0]} training samples in "
                f"{classes.size} classes leave the covariance of {Z.shape[1]} "
                "features singular; "
                "only `reg` makes it invertible and the distances depend on it. "
                "Use more samples or a smaller embedding.",
                UserWarning,
                stacklevel=3,
            )
        self.classes_ = classes
        self.means_ = means
        self.covariance_ = covariance

    def _score(self, Z):
        return mahalanobis_score(
            Z, self.means_, self.covariance_, batch_size=self.batch_size
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.model is None
        return tags
