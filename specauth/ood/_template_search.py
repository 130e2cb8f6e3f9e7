"""The search behind :class:`~specauth.ood.TemplateMatcher`: rotated templates,
projected lower bounds and exact distances, in memory-bounded blocks."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["rotate_templates", "nearest_template", "projection_basis"]

#: Relative half-width of the float32 candidate window, per sqrt(pixel): a
#: float32 dot product of K terms errs by about sqrt(K) * 2**-24 relative to
#: |x| |t|; 16 such standard deviations are allowed for.
_FLOAT32_WINDOW = 16 * 2.0**-24
#: Proven bound for float64 (twice gamma_K of a K-term dot product, doubled).
_FLOAT64_WINDOW = 4 * 2.0**-53
#: Candidate pairs whose exact distance is computed at a time (at most).
_PAIRS = 16
#: Relative rounding margin of the projected lower bounds, per pixel: 64
#: times the unit roundoff of float64 (the bound of a K-term dot product is
#: K * 2**-53).
_PROJECTION_MARGIN = 64 * 2.0**-53
#: Templates whose exact distance gives each row its first upper bound.
_FIRST_GUESSES = 2


def rotate_templates(
    patterns: ArrayLike, angles: ArrayLike, *, order: int = 1
) -> np.ndarray:
    """Return every pattern rotated by every angle about the array centre.

    Each rotation is :func:`scipy.ndimage.rotate` with ``reshape=False`` (the
    output keeps the pattern's shape), spline interpolation of ``order`` (1:
    bilinear) and ``mode="constant"``: output pixels whose source lies outside
    the pattern -- the corners of a rectangle turned by a non-multiple of 90
    degrees -- are 0.

    Parameters
    ----------
    patterns : array-like of shape (n_patterns, height, width)
    angles : array-like of shape (n_angles,)
        Angles in degrees, counter-clockwise as :func:`scipy.ndimage.rotate`.
    order : int, default=1
        Spline order of the interpolation, 0 to 5.

    Returns
    -------
    rotated : ndarray of shape (n_patterns, n_angles, height, width), float64

    Examples
    --------
    >>> import numpy as np
    >>> pattern = np.zeros((1, 3, 3))
    >>> pattern[0, 0, 1] = 1.0
    >>> rotate_templates(pattern, [0, 90])[0, 1]
    array([[0., 0., 0.],
           [1., 0., 0.],
           [0., 0., 0.]])
    """
    patterns = np.asarray(patterns, dtype=np.float64)
    angles = np.asarray(angles, dtype=np.float64).ravel()
    out = np.empty((patterns.shape[0], angles.size, *patterns.shape[1:]))
    for r, angle in enumerate(angles):
        out[:, r] = _rotate(patterns, angle, order)
    return out


def _rotate(patterns, angle, order):
    """``patterns`` (n, height, width) rotated by ``angle`` (see above)."""
    from scipy import ndimage

    return ndimage.rotate(
        patterns, angle, axes=(2, 1), reshape=False, order=order, mode="constant"
    )


def nearest_template(
    X: np.ndarray,
    templates: np.ndarray,
    sq_norms: np.ndarray | None = None,
    *,
    projection: tuple[np.ndarray, np.ndarray] | None = None,
    exclude: np.ndarray | None = None,
    max_memory: int = 2**28,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the squared L2 distance to, and index of, each row's nearest template.

    The distances are those of the plain loop, ``np.sum((x - t) ** 2)`` in
    float64, minimised over the templates (the first template wins a tie).
    Only the templates that may be nearest get their exact loop distance.
    They are found by lower bounds of the distances, exact up to a rounding
    margin that is allowed for:

    - with ``projection``, an orthonormal basis ``P`` of ``k`` rows
      (``K = n_pixels`` columns): ``|P x - P t|^2 + (|r_x| - |r_t|)^2``, where
      ``r`` is the part of a pattern outside the span of ``P``. It costs ``k``
      products per pixel instead of one per template, and when the basis
      holds most of the templates' energy it leaves a few templates per row
      (the exact distance of the best two by this bound sets the cut);
    - for the rows the projection leaves more than an eighth of the
      templates (or without one), ``|x|^2 - 2 x.t + |t|^2`` for every
      template by matrix products in the templates' dtype, within a window
      of ``c (|x|^2 + |t|^2)`` for rounding: ``c = 4 K 2**-53`` for float64,
      a proven bound; ``c = 16 sqrt(K) 2**-24`` for float32, 16 standard
      deviations of the rounding of a ``K``-term dot product.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_pixels)
        Flattened patterns (float32 or float64; other types become float64).
    templates : ndarray of shape (n_templates, n_pixels)
        Flattened templates, float32 or float64.
    sq_norms : ndarray of shape (n_templates,), default=None
        Squared norms of the templates (float64); computed when None.
    projection : tuple of ndarray, default=None
        ``(basis, template_projections)``: ``basis`` of shape (k, n_pixels)
        with orthonormal rows (float64), ``template_projections`` of shape
        (n_templates, k) = ``templates @ basis.T``; see
        :func:`projection_basis`.
    exclude : ndarray of shape (n_samples, n_templates), dtype bool, default=None
        Templates not to consider for each row.
    max_memory : int, default=2**28
        Bytes of working memory for one block of products or differences.

    Returns
    -------
    sq_distances : ndarray of shape (n_samples,)
    index : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> templates = np.array([[0.0, 0.0], [3.0, 4.0]])
    >>> nearest_template(np.array([[3.0, 3.0]]), templates)
    (array([1.]), array([1]))
    """
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.shape[0] == 0:
        return np.empty(0), np.empty(0, dtype=np.intp)
    if sq_norms is None:
        sq_norms = _sq_norms(templates)
    sq_x = _sq_norms(X)
    n_templates = templates.shape[0]
    loose = np.ones(X.shape[0], dtype=bool)
    candidates = np.ones((X.shape[0], n_templates), dtype=bool)
    if projection is not None:
        candidates = _projected_candidates(
            X, sq_x, templates, sq_norms, projection, exclude, max_memory
        )
        loose = candidates.sum(axis=1) > max(n_templates // 8, _FIRST_GUESSES)
    if loose.any():
        low, high = _bounds(
            X[loose],
            sq_x[loose],
            templates,
            sq_norms,
            None if exclude is None else exclude[loose],
            max_memory,
        )
        candidates[loose] &= low <= high.min(axis=1, keepdims=True)
    return _exact_minimum(X, templates, candidates, max_memory)


def projection_basis(
    templates: np.ndarray, n_components: int, *, max_rows: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """Return an orthonormal basis of the templates' main directions.

    The basis spans the leading principal directions (uncentred) of at most
    ``max(max_rows, 4 * n_components)`` templates taken evenly; its rows are
    orthonormalised again (QR), which is all the lower bounds of
    :func:`nearest_template` need: a poorer basis makes them looser, never
    wrong.

    Parameters
    ----------
    templates : ndarray of shape (n_templates, n_pixels)
    n_components : int
        Rows of the basis (fewer when the templates span fewer dimensions).
    max_rows : int, default=256
        Templates the basis is computed from, at least.

    Returns
    -------
    basis : ndarray of shape (k, n_pixels), float64
    template_projections : ndarray of shape (n_templates, k), float64

    Examples
    --------
    >>> import numpy as np
    >>> templates = np.array([[1.0, 1.0, 0.0], [2.0, 2.0, 0.0]])
    >>> basis, projections = projection_basis(templates, 2)
    >>> basis.shape, np.abs(projections.ravel()).round(4).tolist()
    ((1, 3), [1.4142, 2.8284])
    """
    n_rows = min(templates.shape[0], max(max_rows, 4 * n_components))
    picks = np.unique(np.linspace(0, templates.shape[0] - 1, n_rows).round())
    sample = templates[picks.astype(np.intp)].astype(np.float64)
    values, vectors = np.linalg.eigh(sample @ sample.T)
    values, vectors = values[::-1], vectors[:, ::-1]
    k = min(n_components, int(np.sum(values > values[0] * 1e-12)))
    basis = (vectors[:, :k].T @ sample) / np.sqrt(values[:k])[:, None]
    basis = np.ascontiguousarray(np.linalg.qr(basis.T)[0].T)
    projections = np.empty((templates.shape[0], k))
    for start in range(0, templates.shape[0], 64):
        block = templates[start : start + 64].astype(np.float64)
        projections[start : start + 64] = block @ basis.T
    return basis, projections


def _projected_candidates(
    X, sq_x, templates, sq_norms, projection, exclude, max_memory
):
    """Templates whose projected lower bound does not exceed a known distance."""
    basis, proj_t = projection
    n_pixels = templates.shape[1]
    proj_x = X @ basis.T
    sq_px = _sq_norms(proj_x)
    sq_pt = _sq_norms(proj_t)
    margin = _PROJECTION_MARGIN * n_pixels
    lo_x, hi_x = _residual_norms(sq_x, sq_px, margin)
    lo_t, hi_t = _residual_norms(sq_norms, sq_pt, margin)
    total = sq_x[:, None] + sq_norms[None, :]
    low = sq_px[:, None] + sq_pt[None, :] - 2.0 * (proj_x @ proj_t.T)
    gap = np.maximum(lo_x[:, None] - hi_t[None, :], lo_t[None, :] - hi_x[:, None])
    low += np.square(np.maximum(gap, 0.0)) - margin * total
    if exclude is not None:
        low[exclude] = np.inf
    guesses = min(_FIRST_GUESSES, templates.shape[0])
    cols = np.argpartition(low, guesses - 1, axis=1)[:, :guesses].ravel()
    rows = np.repeat(np.arange(X.shape[0]), guesses)
    exact = _pair_distances(X, templates, rows, cols, max_memory)
    if exclude is not None:
        exact[exclude[rows, cols]] = np.inf
    upper = exact.reshape(X.shape[0], guesses).min(axis=1)
    return low <= upper[:, None]


def _residual_norms(sq_norms, sq_projected, margin):
    """Interval of ``|r|`` from ``|r|^2 = |x|^2 - |P x|^2`` and its rounding."""
    residual = sq_norms - sq_projected
    slack = margin * sq_norms
    low = np.sqrt(np.maximum(residual - slack, 0.0))
    return low, np.sqrt(np.maximum(residual + slack, 0.0))


def _bounds(X, sq_x, templates, sq_norms, exclude, max_memory):
    """Lower and upper bounds of every squared distance (matrix products)."""
    n_pixels = templates.shape[1]
    if templates.dtype == np.float32:
        width = _FLOAT32_WINDOW * math.sqrt(n_pixels)
    else:
        width = _FLOAT64_WINDOW * n_pixels
    queries = X.astype(templates.dtype, copy=False)
    step = max(1, max_memory // (8 * 4 * max(X.shape[0], 1)))
    low = np.empty((X.shape[0], templates.shape[0]))
    high = np.empty_like(low)
    for start in range(0, templates.shape[0], step):
        stop = start + step
        total = sq_x[:, None] + sq_norms[None, start:stop]
        approx = total - 2.0 * (queries @ templates[start:stop].T)
        low[:, start:stop] = approx - width * total
        high[:, start:stop] = approx + width * total
    if exclude is not None:
        low[exclude] = np.inf
        high[exclude] = np.inf
    return low, high


def _pair_distances(X, templates, rows, cols, max_memory):
    """``np.sum((X[i] - templates[j]) ** 2)`` in float64 for each pair (i, j)."""
    exact = np.empty(rows.size)
    step = int(np.clip(max_memory // (32 * templates.shape[1]), 1, _PAIRS))
    for start in range(0, rows.size, step):
        pairs = slice(start, start + step)
        diff = X[rows[pairs]].astype(np.float64) - templates[cols[pairs]]
        exact[pairs] = np.sum(diff * diff, axis=1)
    return exact


def _exact_minimum(X, templates, candidates, max_memory):
    """Loop distances of the candidate pairs; each row's minimum and its index."""
    rows, cols = np.nonzero(candidates)
    exact = _pair_distances(X, templates, rows, cols, max_memory)
    order = np.lexsort((cols, exact, rows))  # by row, then distance, then index
    first = np.r_[0, np.flatnonzero(np.diff(rows[order])) + 1]
    return exact[order[first]], cols[order[first]]


def _sq_norms(rows, block=64):
    """Squared Euclidean norm of each row, in float64."""
    out = np.empty(rows.shape[0])
    for start in range(0, rows.shape[0], block):
        part = rows[start : start + block]
        out[start : start + block] = np.einsum("ij,ij->i", part, part, dtype=np.float64)
    return out


def _flat(patterns, mask):
    """``patterns`` (n, height, width) as rows of the pixels of ``mask``."""
    if mask.all():
        return patterns.reshape(patterns.shape[0], -1)
    return patterns[:, mask]


def _row_blocks(patterns, rows):
    for start in range(0, patterns.shape[0], rows):
        yield start, patterns[start : start + rows]
