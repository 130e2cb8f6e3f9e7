"""Template matching of 2D patterns against rotated copies of reference patterns."""

from __future__ import annotations

import math
from collections.abc import Iterator
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import clone

from specauth._validation import Interval, Options, check_is_fitted, check_params
from specauth.ood._base import BaseDetector

if TYPE_CHECKING:
    from collections.abc import Iterable

    from numpy.typing import ArrayLike

__all__ = [
    "TemplateMatcher",
    "nearest_template",
    "projection_basis",
    "rotate_templates",
]

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


class TemplateMatcher(BaseDetector):
    """Distance of 2D patterns to the nearest rotated copy of reference patterns.

    ``fit`` takes a few hundred clean reference patterns (labelled or not) and
    stores each one rotated by every angle of ``angles`` (about the array
    centre; see :func:`rotate_templates`): by default 36 rotations by 5
    degrees, 0 to 175 -- half a turn, enough for diffraction patterns, which
    are centrosymmetric. A pattern's score is minus its smallest L2 distance
    to any rotated template, **higher = more in-distribution**: rank
    millions of patterns with :meth:`score_samples`, or reject them with
    :meth:`predict`.

    The distances equal those of the loop ``min over templates and rotations
    of sqrt(np.sum((x - t) ** 2))`` in float64, bit for bit, and so do the
    rankings; only the templates that may be nearest get that exact distance
    (see :func:`nearest_template`). The others are ruled out by lower bounds:
    the distance between the projections of pattern and template on
    ``n_components`` principal directions of the templates, plus the
    difference of the norms of what the projections miss -- a few templates
    per pattern are left when those directions hold most of the templates'
    energy (diffraction patterns) -- and, for the patterns this leaves
    undecided, matrix products with every template. Patterns are processed
    ``batch_size`` at a time against blocks of templates, within
    ``max_memory`` bytes of working memory (never ``n_patterns x
    n_templates x n_pixels``), plus the stored templates themselves:
    ``n_templates x n_angles x n_pixels`` values of ``dtype`` (1.9 GB for 200
    templates of 260 x 257 pixels in float32).

    ``X`` holds raw patterns, not a classifier's embedding: an array-like of
    shape ``(n_patterns, height, width)`` or ``(n_patterns, height, width, 1)``
    -- a numpy array, a memory map, an ``h5py.Dataset`` or any object with a
    ``shape`` and row slicing, read ``batch_size`` rows at a time -- or, after
    ``fit``, an iterator of such arrays (a generator of chunks). Inside
    :class:`~specauth.openset.OpenSetClassifier`, which hands its detector the
    classifier's embedding, it is refused with a message saying so.

    The threshold is the same for every detector (see ``BaseDetector``): the
    ``k = floor(alpha * n)`` lowest training scores are rejected and
    ``threshold_`` lies halfway between the k-th and (k+1)-th lowest. Each
    reference pattern's own rotations would put it at distance 0, so its
    training score is leave-one-out: the distance to the rotations of the
    *other* references.

    Parameters
    ----------
    angles : array-like of shape (n_angles,) or None, default=None
        Rotation angles in degrees (distinct, finite); None means
        ``step * arange(n_rotations)``.
    n_rotations : int, default=36
        Number of rotations when ``angles`` is None.
    step : float, default=5.0
        Degrees between rotations when ``angles`` is None.
    normalize : {None, "l2", "max", "sum"}, default=None
        Scale each pattern (references before rotation, and queries) to unit
        Euclidean norm, maximum absolute value or sum; a pattern whose norm
        is 0 is left as it is.
    region : {"full", "disk"}, default="full"
        Pixels compared: all, or those of the largest disk centred on the
        array centre, which no rotation moves outside the pattern (so the
        zero corners of rotated templates do not count).
    order : int, default=1
        Spline order of the rotation, 0 to 5 (1: bilinear).
    dtype : {"float32", "float64"}, default="float32"
        Storage of the templates and precision of the matrix products; the
        final distances are float64 either way.
    n_components : int, default=64
        Principal directions of the lower bounds; 0 compares every pattern
        with every template by matrix products. A speed setting only: the
        distances do not depend on it.
    batch_size : int or None, default=None
        Patterns per block; None chooses it from ``max_memory``.
    max_memory : int, default=268435456
        Bytes of working memory per block (256 MiB).
    %(alpha)s

    Attributes
    ----------
    angles_ : ndarray of shape (n_angles,)
        Rotation angles in degrees.
    pattern_shape_ : tuple of int
        ``(height, width)`` of the patterns.
    mask_ : ndarray of shape (height, width), dtype bool
        The pixels compared.
    templates_ : ndarray of shape (n_templates * n_angles, n_pixels)
        Rotated templates, flattened over the pixels of ``mask_``; row ``i *
        n_angles + r`` is template ``i`` rotated by ``angles_[r]``.
    template_sq_norms_ : ndarray of shape (n_templates * n_angles,)
        Their squared Euclidean norms (float64).
    basis_ : ndarray of shape (k, n_pixels) or None
        Orthonormal principal directions of the templates (``k <=
        n_components``); None when ``n_components=0``.
    template_projections_ : ndarray of shape (n_templates * n_angles, k) or None
        The templates' coordinates on ``basis_``.
    n_templates_ : int
        Number of reference patterns.
    n_features_in_ : int
        ``height * width``.
    %(threshold_attributes)s

    See Also
    --------
    KNNDetector : nearest neighbour on a classifier's embedding.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import TemplateMatcher
    >>> rng = np.random.default_rng(0)
    >>> references = rng.random((5, 16, 16), dtype=np.float32)
    >>> matcher = TemplateMatcher(n_rotations=4, step=90.0).fit(references)
    >>> turned = np.rot90(references[2], k=1)[None]  # exactly 90 degrees
    >>> float(matcher.score_samples(turned)[0])
    -0.0
    >>> distances, template, angle = matcher.match(turned)
    >>> int(template[0]), float(angle[0])
    (2, 90.0)
    >>> matcher.predict(np.full((1, 16, 16), 5.0))
    array([-1])
    """

    #: Raw patterns, not a classifier's embedding or logits.
    input_kind = "patterns"

    _parameter_constraints = {
        **BaseDetector._parameter_constraints,
        "angles": ["array-like", None],
        "n_rotations": [Interval(Integral, 1, None, closed="left")],
        "step": [Interval(Real, 0, None, closed="neither")],
        "normalize": [Options(str, {"l2", "max", "sum"}), None],
        "region": [Options(str, {"full", "disk"})],
        "order": [Interval(Integral, 0, 5, closed="both")],
        "dtype": [Options(str, {"float32", "float64"})],
        "n_components": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_memory": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        angles: ArrayLike | None = None,
        n_rotations: int = 36,
        step: float = 5.0,
        normalize: str | None = None,
        region: str = "full",
        order: int = 1,
        dtype: str = "float32",
        n_components: int = 64,
        batch_size: int | None = None,
        max_memory: int = 2**28,
        alpha: float = 0.05,
    ) -> None:
        self.angles = angles
        self.n_rotations = n_rotations
        self.step = step
        self.normalize = normalize
        self.region = region
        self.order = order
        self.dtype = dtype
        self.n_components = n_components
        self.batch_size = batch_size
        self.max_memory = max_memory
        self.alpha = alpha

    # --------------------------------------------------------------------- fit
    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> TemplateMatcher:
        """Store the rotated references and set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_patterns, height, width) or (..., 1)
            At least 2 reference patterns (an ``h5py.Dataset`` is read whole).
        y : array-like of shape (n_patterns,), default=None
            Ignored: references may be labelled or not.

        Returns
        -------
        self : TemplateMatcher
        """
        check_params(self)
        angles = self._check_angles()
        patterns = _as_patterns(np.asarray(X), "X", None)
        if patterns.shape[0] < 2:
            raise ValueError(
                "`X` must hold at least 2 reference patterns (the threshold "
                f"is set on leave-one-out distances); got {patterns.shape[0]}."
            )
        self.angles_ = angles
        self.pattern_shape_ = tuple(int(s) for s in patterns.shape[1:])
        self.n_features_in_ = math.prod(self.pattern_shape_)
        self.mask_ = _region_mask(self.pattern_shape_, self.region)
        self.n_templates_ = patterns.shape[0]
        references = _normalized(patterns, self.normalize)
        self.templates_ = self._rotated_templates(references)
        self.template_sq_norms_ = _sq_norms(self.templates_)
        self.basis_, self.template_projections_ = None, None
        if self.n_components > 0:
            self.basis_, self.template_projections_ = projection_basis(
                self.templates_, self.n_components
            )
        self._set_threshold(self._leave_one_out(references))
        return self

    def _rotated_templates(self, references):
        """Rotated references, flattened over ``mask_``, one angle at a time."""
        n_pixels = int(self.mask_.sum())
        references = references.astype(np.float64, copy=False)
        out = np.empty((references.shape[0], self.angles_.size, n_pixels), self.dtype)
        for r, angle in enumerate(self.angles_):
            out[:, r] = _flat(_rotate(references, angle, self.order), self.mask_)
        return out.reshape(-1, n_pixels)

    def _check_angles(self):
        if self.angles is None:
            return self.step * np.arange(self.n_rotations, dtype=np.float64)
        try:
            angles = np.asarray(self.angles, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"`angles` must be an array of degrees; got {self.angles!r}."
            ) from err
        if angles.ndim != 1 or angles.size == 0 or not np.isfinite(angles).all():
            raise ValueError(
                "`angles` must be a non-empty 1D array of finite degrees; got "
                f"{self.angles!r}."
            )
        turns = np.round(np.mod(angles, 360.0), 9) % 360.0
        if np.unique(turns).size != angles.size:
            raise ValueError(
                f"`angles` must be distinct modulo 360 degrees; got {angles.tolist()}."
            )
        return angles

    def _leave_one_out(self, references):
        """Training scores: each reference against the others' rotations."""
        n_angles = self.angles_.size
        scores = np.empty(references.shape[0])
        for start, block in _row_blocks(references, self._batch_rows()):
            owner = np.arange(start, start + block.shape[0])
            exclude = (
                np.arange(self.templates_.shape[0])[None, :] // n_angles
                == owner[:, None]
            )
            scores[start : start + block.shape[0]] = self._block_scores(block, exclude)
        return scores

    # ----------------------------------------------------------------- scoring
    def match(
        self, X: ArrayLike | Iterable[ArrayLike]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return each pattern's nearest rotated template and its distance.

        Parameters
        ----------
        X : array-like of shape (n_patterns, height, width) or (..., 1), or
            iterator of such arrays

        Returns
        -------
        distances : ndarray of shape (n_patterns,)
            L2 distance to the nearest rotated template.
        template : ndarray of shape (n_patterns,)
            Index of that template (a row of the references given to ``fit``).
        angle : ndarray of shape (n_patterns,)
            Its rotation, in degrees.
        """
        check_is_fitted(self)
        parts = [self._match_block(block) for block in self._blocks(X)]
        if not parts:
            return np.empty(0), np.empty(0, dtype=np.intp), np.empty(0)
        sq, index = (np.concatenate(p) for p in zip(*parts, strict=True))
        n_angles = self.angles_.size
        return np.sqrt(sq), index // n_angles, self.angles_[index % n_angles]

    def score_samples(self, X: ArrayLike | Iterable[ArrayLike]) -> np.ndarray:
        """Return minus each pattern's distance to the nearest rotated template.

        Parameters
        ----------
        X : array-like of shape (n_patterns, height, width) or (..., 1), or
            iterator of such arrays
            Patterns; read ``batch_size`` rows at a time.

        Returns
        -------
        scores : ndarray of shape (n_patterns,)
            Higher means more in-distribution; 0 for a stored template.
        """
        return -self.match(X)[0]

    def _match_block(self, patterns):
        flat = _flat(_normalized(patterns, self.normalize), self.mask_)
        return nearest_template(
            flat,
            self.templates_,
            self.template_sq_norms_,
            projection=self._projection(),
            max_memory=self.max_memory,
        )

    def _projection(self):
        if self.basis_ is None:
            return None
        return self.basis_, self.template_projections_

    def _block_scores(self, patterns, exclude):
        sq, _ = nearest_template(
            _flat(patterns, self.mask_),
            self.templates_,
            self.template_sq_norms_,
            projection=self._projection(),
            exclude=exclude,
            max_memory=self.max_memory,
        )
        return -np.sqrt(sq)

    def _batch_rows(self):
        if self.batch_size is not None:
            return self.batch_size
        per_row = 16 * self.templates_.shape[1] + 32 * self.templates_.shape[0]
        return max(1, self.max_memory // per_row)

    def _blocks(self, X):
        """Validated float blocks of at most ``_batch_rows()`` patterns."""
        rows = self._batch_rows()
        if isinstance(X, Iterator):
            for i, chunk in enumerate(X):
                name = f"chunk {i} of X"
                patterns = _as_patterns(chunk, name, self.pattern_shape_)
                for _, block in _row_blocks(patterns, rows):
                    yield block
            return
        if not (hasattr(X, "shape") and hasattr(X, "__getitem__")):
            X = np.asarray(X)
        _check_shape(tuple(X.shape), "X", self.pattern_shape_)
        for start in range(0, X.shape[0], rows):
            yield _as_patterns(X[start : start + rows], "X", self.pattern_shape_)

    # ------------------------------------------------------------ scikit-learn
    # BaseDetector's versions handle its ``model`` parameter, which this
    # detector does not have (it reads raw patterns): skip them.
    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        return type(self)(**{k: clone(v, safe=False) for k, v in params.items()})

    def __sklearn_tags__(self):
        tags = super(BaseDetector, self).__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.two_d_array = False
        return tags


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


_SHAPE_HINT = (
    "TemplateMatcher compares raw 2D patterns (of shape (n_patterns, height, "
    "width) or (n_patterns, height, width, 1)), not spectra or a classifier's "
    "embedding"
)


def _check_shape(shape, name, expected):
    """Raise unless ``shape`` is that of a stack of 2D patterns (of ``expected``)."""
    if len(shape) == 4 and shape[3] == 1:
        shape = shape[:3]
    if len(shape) != 3:
        raise ValueError(f"{_SHAPE_HINT}; `{name}` has shape {shape}.")
    if expected is not None and tuple(shape[1:]) != tuple(expected):
        raise ValueError(
            f"`{name}` holds patterns of shape {tuple(shape[1:])}, but "
            f"TemplateMatcher was fitted on patterns of shape {tuple(expected)}."
        )


def _as_patterns(X, name, expected):
    """``X`` as a finite float array of shape (n, height, width).

    float32 and float64 stay as they are (float32 is exact in float64, and the
    distances are float64 either way); other numbers become float64.
    """
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold numbers; got an array of dtype {X.dtype}.")
    _check_shape(X.shape, name, expected)
    X = X.reshape(X.shape[:3])
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if expected is None and X.shape[1] * X.shape[2] == 0:
        raise ValueError(f"`{name}` holds empty patterns of shape {X.shape[1:]}.")
    if not np.isfinite(X).all():
        bad = int(np.argwhere(~np.isfinite(X))[0][0])
        kind = "NaN" if np.isnan(X).any() else "infinity"
        raise ValueError(
            f"`{name}` contains {kind} (first in pattern {bad}); remove or "
            "repair those patterns."
        )
    return X


def _normalized(patterns, normalize):
    """``patterns`` scaled one by one (see ``TemplateMatcher``'s normalize)."""
    if normalize is None:
        return patterns
    flat = patterns.reshape(patterns.shape[0], -1)
    if normalize == "l2":
        scale = np.sqrt(np.einsum("ij,ij->i", flat, flat))
    elif normalize == "max":
        scale = np.abs(flat).max(axis=1)
    else:
        scale = flat.sum(axis=1)
    scale = np.where(scale != 0, scale, 1.0)
    return patterns / scale[:, None, None]


def _region_mask(shape, region):
    """The pixels compared: all, or the largest disk about the array centre."""
    if region == "full":
        return np.ones(shape, dtype=bool)
    rows, cols = np.indices(shape, dtype=np.float64)
    centre = [(s - 1) / 2.0 for s in shape]
    radius = (min(shape) - 1) / 2.0
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2 + 1e-9
