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
from specauth.ood._template_search import (
    _flat,
    _rotate,
    _row_blocks,
    _sq_norms,
    nearest_template,
    projection_basis,
    rotate_templates,
)
from specauth.training.streams import is_stream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from numpy.typing import ArrayLike

__all__ = [
    "TemplateMatcher",
    "nearest_template",
    "projection_basis",
    "rotate_templates",
]


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
    ``fit``, an iterator of such arrays (a generator of chunks) or an
    :class:`~specauth.datasets.HDF5Dataset`. Inside
    :class:`~specauth.openset.OpenSetClassifier` (``input_kind="patterns"``)
    it receives the patterns themselves, not the classifier's embedding, so
    it works around any classifier of patterns; it is not fitted on a stream
    there, since it would keep every training pattern.

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
        if is_stream(X):  # an HDF5Dataset: its batches, in order
            X = _stream_inputs(X)
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


def _stream_inputs(stream):
    """The input arrays of a stream's batches (a ``keras.utils.PyDataset``)."""
    for index in range(len(stream)):
        batch = stream[index]
        yield batch[0] if isinstance(batch, tuple) else batch


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
