"""Principal subspaces from a batched scatter matrix (shared by DIME and ViM).

Only ``n_features x n_features`` matrices are formed: the scatter matrix is
accumulated over row blocks and eigendecomposed, so memory does not grow with
the number of samples (no ``n x n`` matrix, no SVD of the full data).
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from scipy.linalg import eigh

__all__ = ["cap_to_samples", "scatter_matrix", "sorted_eigh", "resolve_n_components"]


def scatter_matrix(X: np.ndarray, center: np.ndarray, batch_size: int) -> np.ndarray:
    """Return ``sum_i (x_i - center)(x_i - center)^T``, accumulated in blocks.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data.
    center : ndarray of shape (n_features,)
        Point the deviations are taken from.
    batch_size : int
        Rows per block.

    Returns
    -------
    scatter : ndarray of shape (n_features, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> scatter_matrix(np.array([[1.0, 0.0], [-1.0, 0.0]]), np.zeros(2), 1)
    array([[2., 0.],
           [0., 0.]])
    """
    n_features = X.shape[1]
    scatter = np.zeros((n_features, n_features))
    for start in range(0, X.shape[0], batch_size):
        block = X[start : start + batch_size] - center
        scatter += block.T @ block
    return scatter


def sorted_eigh(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (decreasing, clipped at 0) and eigenvectors of a PSD matrix.

    Parameters
    ----------
    matrix : ndarray of shape (n, n)
        Symmetric positive semi-definite matrix.

    Returns
    -------
    values : ndarray of shape (n,)
    vectors : ndarray of shape (n, n)
        ``vectors[:, j]`` belongs to ``values[j]``.

    Examples
    --------
    >>> import numpy as np
    >>> sorted_eigh(np.diag([1.0, 3.0]))[0]
    array([3., 1.])
    """
    values, vectors = eigh(matrix)
    return np.clip(values[::-1], 0.0, None), vectors[:, ::-1]


def resolve_n_components(
    n_components: int | float,
    eigenvalues: np.ndarray,
    max_components: int,
    owner: str,
) -> int:
    """Turn ``n_components`` (int, or explained-variance fraction) into a count.

    Parameters
    ----------
    n_components : int or float
        A number of components (int >= 1), or a float in (0, 1]: the smallest
        number of leading components whose eigenvalues sum to at least that
        fraction of the total.
    eigenvalues : ndarray of shape (n_features,)
        Eigenvalues in decreasing order.
    max_components : int
        Largest number allowed; a larger int is an error, a fraction is
        capped at it.
    owner : str
        Detector name for the error message.

    Returns
    -------
    k : int

    Examples
    --------
    >>> import numpy as np
    >>> resolve_n_components(0.9, np.array([6.0, 3.0, 1.0]), 3, "DIME")
    2
    """
    if isinstance(n_components, Integral) and not isinstance(n_components, bool):
        if n_components > max_components:
            raise ValueError(
                f"`n_components` must be <= {max_components} for {owner} on "
                f"features of width {eigenvalues.size}; got {n_components}."
            )
        return int(n_components)
    total = float(eigenvalues.sum())
    if total <= 0.0:  # constant training data: every direction is empty
        return 1
    ratio = np.cumsum(eigenvalues) / total
    k = int(np.searchsorted(ratio, n_components * (1.0 - 1e-12), side="left")) + 1
    return min(k, max_components)


def cap_to_samples(
    k: int, limit: int, n_samples: int, n_features: int, owner: str
) -> int:
    """Lower a subspace dimension ``k`` to ``limit``, warning when it must.

    The principal subspace of ``n_samples`` training points cannot hold more
    than about ``n_samples`` meaningful directions: beyond that the training
    data have no residual left, and a residual-based score rejects every new
    sample.

    Parameters
    ----------
    k : int
        Dimension asked for (or resolved from a fraction).
    limit : int
        Largest dimension the training data support.
    n_samples, n_features : int
        Shape of the training data, for the message.
    owner : str
        Detector name, for the message.

    Returns
    -------
    k : int
        ``min(k, limit)``; a ``UserWarning`` is emitted when it is lower.

    Examples
    --------
    >>> cap_to_samples(3, 10, 20, 8, "ViM")
    3
    """
    if k <= limit:
        return k
    warnings.warn(
        f"{owner}: {n_samples} training samples are few for features of width "
        f"{n_features}; the principal subspace is lowered from {k} to {limit} "
        "dimensions so that the training data keep a residual. Use more "
        "samples (several times the width) or a smaller `n_components`.",
        UserWarning,
        stacklevel=4,
    )
    return limit
