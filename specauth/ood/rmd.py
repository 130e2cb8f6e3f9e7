"""Relative Mahalanobis distance (Ren et al., 2021)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specauth.ood._subspace import scatter_matrix
from specauth.ood.mahalanobis import Mahalanobis, mahalanobis_score

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["RMD", "rmd_score"]


def rmd_score(
    features: ArrayLike,
    means: np.ndarray,
    covariance: np.ndarray,
    background_mean: np.ndarray,
    background_covariance: np.ndarray,
    *,
    batch_size: int = 1024,
) -> np.ndarray:
    """Return minus the smallest relative squared Mahalanobis distance.

    ``score(x) = -min_c [MD_c(x) - MD_0(x)]``, where ``MD_c`` is the squared
    Mahalanobis distance to class mean ``means[c]`` under the shared
    ``covariance`` and ``MD_0`` the one to ``background_mean`` under
    ``background_covariance`` (one Gaussian fitted to all the training
    data).

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Embeddings.
    means : ndarray of shape (n_classes, n_features)
        Class means.
    covariance : ndarray of shape (n_features, n_features)
        Shared, positive-definite class covariance.
    background_mean : ndarray of shape (n_features,)
        Mean of all the training features.
    background_covariance : ndarray of shape (n_features, n_features)
        Their positive-definite covariance.
    batch_size : int, default=1024
        Rows processed at a time.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher means more in-distribution.

    Examples
    --------
    >>> import numpy as np
    >>> rmd_score(np.array([[2.0, 0.0], [0.0, 3.0]]), np.zeros((1, 2)),
    ...           np.eye(2), np.zeros(2), 4.0 * np.eye(2))
    array([-3.  , -6.75])
    """
    features = np.asarray(features, dtype=np.float64)
    classes = mahalanobis_score(features, means, covariance, batch_size=batch_size)
    background = mahalanobis_score(
        features,
        np.asarray(background_mean)[None, :],
        background_covariance,
        batch_size=batch_size,
    )
    return classes - background


class RMD(Mahalanobis):
    """Relative Mahalanobis distance (RMD) detector on the features.

    The class-conditional Gaussians of :class:`Mahalanobis` (class means
    ``mu_c``, a covariance ``S`` shared by all classes) are compared with a
    *background* Gaussian fitted to all the training features together
    (mean ``mu_0``, covariance ``S_0``). With ``MD_c(x) = (x - mu_c)^T S^-1
    (x - mu_c)`` and ``MD_0(x) = (x - mu_0)^T S_0^-1 (x - mu_0)``, the score
    is ``-min_c [MD_c(x) - MD_0(x)]``: directions in which all the classes
    spread alike (and which say nothing about the class) count less. **Higher
    = more in-distribution** (the paper's confidence score).

    Both covariances are maximum likelihood (``1/n`` of the scatter) plus
    ``reg * trace(S) / n_features * I`` (``reg * I`` when the trace is 0),
    accumulated ``batch_size`` rows at a time, as in :class:`Mahalanobis`.

    Inputs: with ``model=None``, ``X`` is the embedding ``(n_samples,
    n_features)`` and ``y`` (the class labels) is required; with ``model=clf``
    (a fitted ``CNNClassifier`` or any fitted object with ``transform(X)``),
    ``X`` holds spectra and the detector calls ``clf.transform`` in batches of
    1024 rows, without modifying ``clf``; there, if ``y`` is None, the
    classes predicted by ``clf.predict(X)`` are used instead.

    %(threshold_rule_cross_fit)s

    Parameters
    ----------
    reg : float, default=1e-6
        Ridge added to both covariances, relative to their mean diagonal
        (>= 0).
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
        Shared class covariance, regularisation included.
    background_mean_ : ndarray of shape (n_features,)
        Mean of all the training features.
    background_covariance_ : ndarray of shape (n_features, n_features)
        Their covariance, regularisation included.
    %(threshold_attributes)s
    n_features_in_ : int
        Width of the embedding.

    See Also
    --------
    Mahalanobis : the class distances alone.

    References
    ----------
    .. [1] J. Ren, S. Fort, J. Liu, A. G. Roy, S. Padhy, B. Lakshminarayanan,
       "A Simple Fix to Mahalanobis Distance for Improving Near-OOD
       Detection", arXiv:2106.09022, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import RMD
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> features = rng.normal(size=(100, 2)) + 6.0 * y[:, None]
    >>> det = RMD().fit(features, y)
    >>> det.background_mean_.round(0)
    array([3., 3.])
    >>> det.predict([[0.0, 0.0], [6.0, 6.0], [3.0, 3.0]])
    array([ 1,  1, -1])
    """

    def _fit(self, Z, y):
        super()._fit(Z, y)
        mean = Z.mean(axis=0)
        covariance = scatter_matrix(Z, mean, self.batch_size) / Z.shape[0]
        ridge = np.trace(covariance) / Z.shape[1]
        covariance += self.reg * (ridge if ridge > 0 else 1.0) * np.eye(Z.shape[1])
        self.background_mean_ = mean
        self.background_covariance_ = covariance

    def _score(self, Z):
        return rmd_score(
            Z,
            self.means_,
            self.covariance_,
            self.background_mean_,
            self.background_covariance_,
            batch_size=self.batch_size,
        )
