"""SHAP values of spectra (contiguous segments) and images (blurred regions)."""

from __future__ import annotations

from contextlib import contextmanager
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np

from specauth._lazy import import_optional
from specauth._validation import (
    Interval,
    check_choice,
    check_random_state_value,
    check_scalar,
)
from specauth.explain._target import (
    class_indices,
    per_sample_classes,
    resolve_model,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from specauth.explain._target import ExplainedModel

__all__ = ["ShapExplainer"]

_ALGORITHMS = ("partition", "permutation")
_BACKGROUNDS = ("blur", "mean", "zeros")
_OUTPUTS = ("logit", "probability")
_DEFAULT_SEGMENTS = 64


def segment_edges(n_points: int, n_segments: int) -> np.ndarray:
    """Return the ``n_segments + 1`` edges of contiguous, near-equal segments.

    Segment ``s`` covers points ``edges[s]:edges[s + 1]``; lengths differ by at
    most one point and are all >= 1 when ``n_segments <= n_points``.
    """
    return (np.arange(n_segments + 1, dtype=np.int64) * n_points) // n_segments


def contiguous_linkage(n_segments: int) -> np.ndarray:
    """Balanced hierarchical clustering that only merges *adjacent* segments.

    Returns a linkage matrix in :func:`scipy.cluster.hierarchy.linkage` format
    (``n_segments - 1`` rows of ``[left, right, height, size]``): level by
    level, neighbouring clusters are merged in pairs, so every cluster of the
    tree is a contiguous range of the spectrum and the tree is ``log2`` deep.
    """
    clusters = [(i, 1) for i in range(n_segments)]
    rows, next_id, level = [], n_segments, 0
    while len(clusters) > 1:
        level += 1
        merged = []
        for j in range(0, len(clusters) - 1, 2):
            (left, n_left), (right, n_right) = clusters[j], clusters[j + 1]
            rows.append([left, right, level, n_left + n_right])
            merged.append((next_id, n_left + n_right))
            next_id += 1
        if len(clusters) % 2:
            merged.append(clusters[-1])
        clusters = merged
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


@contextmanager
def _seeded_numpy(seed):
    """Seed numpy's global generator (shap draws from it), then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


class ShapExplainer:
    """SHAP values of a classifier's class score, over spectral segments or pixels.

    Model-agnostic: the network is only called forward on masked inputs (no
    gradients; shap's ``DeepExplainer`` is not used, it does not work with
    Keras 3), so any network works, one that images spectra inside included.

    **Spectra** ``(n_points,)`` or ``(n_points, channels)``: the SHAP features
    are ``n_segments`` contiguous segments of near-equal length. A coalition
    keeps some segments of the spectrum and replaces the others by a
    *reference* spectrum (``background``). ``"partition"`` computes Owen values
    (``shap.PartitionExplainer``) over a balanced tree that only merges
    adjacent segments, so coalitions are contiguous ranges of the spectrum;
    ``"permutation"`` samples orderings (``shap.PermutationExplainer``, which
    also respects the tree). Each point receives its segment's value divided
    by the segment's length, so the map is a density and sums to the segment
    values' sum.

    **Images** ``(height, width, channels)``: ``shap.maskers.Image`` splits the
    image hierarchically into rectangles; hidden ones take the reference
    image's pixels. Maps are summed over channels.

    Either way SHAP's efficiency property holds:
    ``maps[i].sum() == f(x_i) - f(reference_i)`` (``output_values_ -
    base_values_``), whatever ``max_evals``.

    Parameters
    ----------
    model : CNNClassifier, OpenSetClassifier or keras.Model
        Fitted estimator, or a Keras model that outputs logits.
    algorithm : {"partition", "permutation"}, default="partition"
        ``"partition"``: Owen values, exact from about ``2/3 * n_segments**2``
        evaluations (2,732 for 64 segments); with fewer, the coalitions whose
        score changes most are refined first and the credit of an unrefined
        range is shared equally among its segments. ``"permutation"``:
        antithetic permutation sampling, ``max_evals // (2 * n_features + 1)``
        permutations; needs ``max_evals >= 2 * n_features + 1``, so it is
        meant for spectra.
    n_segments : int or None, default=None
        Number of spectral segments (spectra only); None: ``min(64,
        n_points)``. Must be in ``[1, n_points]``.
    background : {"blur", "mean", "zeros"} or array-like, default="blur"
        What hidden segments or pixels are replaced by:

        - ``"blur"``: the sample itself smoothed -- a Gaussian of standard
          deviation ``blur_width`` points along the spectrum (it removes the
          peaks and keeps the continuum, so a segment's value measures its
          peaks), or a ``blur_width`` x ``blur_width`` box blur of the image
          (shap's ``"blur(k,k)"`` image masker). Needs no training data.
        - ``"mean"``: the mean of the samples passed to :meth:`explain`.
        - ``"zeros"``: zero (a missing signal, after normalisation).
        - an array: one sample, or a set of samples (e.g. training spectra)
          whose mean is the reference. A single reference keeps the cost at
          ``max_evals`` network calls per sample.

        **Prefer the training spectra when you have them**
        (``background=X_train``). The blurred spectrum needs no data but can
        lie outside what the network saw in training: on log-transformed
        peak spectra (``benchmarks/explain_groundtruth.py``) the network
        scored the blurred spectrum *higher* than the real one, and the
        attributions missed the discriminating peaks, while the mean training
        spectrum as reference located them.
    blur_width : float or None, default=None
        Width of ``"blur"``: Gaussian sigma in points for spectra (None: one
        segment length), box size in pixels for images (None: a quarter of
        the larger side).
    output : {"logit", "probability"}, default="logit"
        Score explained. Logits are additive evidence, do not saturate and are
        what CAM explains; probabilities near 0 or 1 compress every change, so
        segments of a confidently classified sample get near-zero values.
    max_evals : int, default=500
        Most network evaluations (masked samples) per explained sample; the
        cost is linear in it. :meth:`explain` also runs one forward pass over
        the unmasked samples to find their predicted class.
    batch_size : int, default=64
        Masked samples per network call.
    random_state : int or None, default=None
        Seed of the permutations (and of the partition's tie-breaking).
        numpy's global generator, which shap uses, is restored afterwards.

    Attributes
    ----------
    classes_ : ndarray or None
        The model's class labels (None for a bare Keras model).
    class_indices_, predicted_indices_ : ndarray of int, shape (n_samples,)
        After :meth:`explain`: the explained and the predicted class indices.
    output_values_ : ndarray of shape (n_samples,)
        After :meth:`explain`: the explained score of each sample.
    base_values_ : ndarray of shape (n_samples,)
        After :meth:`explain`: the score of each sample's reference.
    segment_values_ : ndarray of shape (n_samples, n_segments) or None
        After :meth:`explain` on spectra: the SHAP value of every segment.
    segment_edges_ : ndarray of shape (n_segments + 1,) or None
        After :meth:`explain` on spectra: segment ``s`` covers points
        ``segment_edges_[s]:segment_edges_[s + 1]``.
    n_evals_ : ndarray of int, shape (n_samples,)
        After :meth:`explain`: network evaluations spent on each sample.

    Raises
    ------
    ImportError
        If shap is not installed (``pip install specauth[explain]``).
    ValueError
        For an unknown algorithm, background or output, ``n_segments`` out of
        ``[1, n_points]``, or ``max_evals`` too small for the algorithm.
    TypeError
        For a model of another type, or non-integer counts.

    See Also
    --------
    CAM1D, CAM2D : Class activation maps, one forward pass per sample.

    References
    ----------
    .. [1] Lundberg & Lee, "A unified approach to interpreting model
       predictions", NeurIPS 2017.
    .. [2] Owen, "Values of games with a priori unions", 1977.

    Examples
    --------
    >>> from specauth.datasets import make_spectra
    >>> from specauth.estimators import CNNClassifier
    >>> data = make_spectra(3, 10, length=64, random_state=0)
    >>> clf = CNNClassifier("cnn1d_small", epochs=1, random_state=0)
    >>> clf = clf.fit(data.X, data.y)
    >>> explainer = ShapExplainer(clf, n_segments=8, max_evals=100)
    >>> maps = explainer.explain(data.X[:2])
    >>> maps.shape
    (2, 64)
    >>> bool(np.allclose(maps.sum(axis=1),
    ...                  explainer.output_values_ - explainer.base_values_,
    ...                  atol=1e-4))
    True
    """

    def __init__(
        self,
        model: ExplainedModel,
        algorithm: str = "partition",
        *,
        n_segments: int | None = None,
        background: str | ArrayLike = "blur",
        blur_width: float | None = None,
        output: str = "logit",
        max_evals: int = 500,
        batch_size: int = 64,
        random_state: int | None = None,
    ) -> None:
        self._shap = import_optional(
            "shap", package="specauth[explain]", purpose="compute SHAP explanations"
        )
        check_choice("algorithm", algorithm, _ALGORITHMS)
        check_choice("output", output, _OUTPUTS)
        check_scalar(
            "n_segments", n_segments, Interval(Integral, 1, None), allow_none=True
        )
        check_scalar("max_evals", max_evals, Interval(Integral, 2, None))
        check_scalar("batch_size", batch_size, Interval(Integral, 1, None))
        check_random_state_value("random_state", random_state, generators=False)
        check_scalar(
            "blur_width",
            blur_width,
            Interval(Real, 0, None, closed="neither"),
            allow_none=True,
            finite=True,
        )
        self.model = model
        self.algorithm = algorithm
        self.n_segments = n_segments
        self.background = background
        self.blur_width = blur_width
        self.output = output
        self.max_evals = max_evals
        self.batch_size = batch_size
        self.random_state = random_state
        self._network, self.classes_, self._validate = resolve_model(model)
        self._sample_shape = tuple(self._network.input_shape[1:])
        self._images = len(self._sample_shape) == 3
        self._reference = self._check_background(background)
        if self._sample_shape[0] is not None:
            self._check_budget(self._n_features(self._sample_shape[0]))

    # ------------------------------------------------------------ validation
    def _check_background(self, background):
        """Return the fixed reference of an array background, else None."""
        if isinstance(background, str):
            check_choice("background", background, _BACKGROUNDS)
            return None
        if background is None:
            raise TypeError(
                "`background` must be one of "
                f"{', '.join(map(repr, _BACKGROUNDS))} or an array of samples; "
                "got None."
            )
        values = np.asarray(background, dtype=np.float32)
        if values.shape == self._sample_shape or (
            values.ndim == 1 and not self._images
        ):
            values = values[np.newaxis]
        return self._inputs(values, name="background").mean(axis=0)

    def _n_segments(self, n_points):
        if self.n_segments is None:
            return min(_DEFAULT_SEGMENTS, n_points)
        if self.n_segments > n_points:
            raise ValueError(
                f"`n_segments` must be in [1, n_points={n_points}]; got "
                f"{self.n_segments}."
            )
        return self.n_segments

    def _n_features(self, n_points):
        if self._images:
            return int(np.prod(self._sample_shape))
        return self._n_segments(n_points)

    def _check_budget(self, n_features):
        needed = 2 * n_features + 1
        if self.algorithm == "permutation" and self.max_evals < needed:
            raise ValueError(
                f"`max_evals` must be >= 2 * n_features + 1 = {needed} for "
                f"algorithm='permutation' ({n_features} features); got "
                f"{self.max_evals}. Raise max_evals, lower n_segments or use "
                "algorithm='partition'."
            )

    def _inputs(self, X: ArrayLike, name: str = "X") -> np.ndarray:
        """Validated float32 samples of the network's input shape."""
        if self._validate is not None and name == "X":
            return self._validate(X)
        from specauth._validation import check_spectra

        shape = self._sample_shape
        ndim = (4,) if self._images else tuple(sorted({2, len(shape) + 1}))
        X = check_spectra(X, name=name, ndim=ndim)
        if X.ndim == 2 and len(shape) == 2:
            X = X[:, :, np.newaxis]
        got = X.shape[1:]
        if len(got) != len(shape) or any(
            e is not None and e != g for e, g in zip(shape, got, strict=True)
        ):
            raise ValueError(f"`{name}` must hold samples of shape {shape}; got {got}.")
        return X

    # ---------------------------------------------------------------- scores
    def _scores(self, batch):
        """The network's outputs, as logits or probabilities, float64.

        At most ``batch_size`` samples go through the network at once (shap's
        partition batches can hold one more).
        """
        out = np.concatenate(
            [
                np.asarray(
                    self._network.predict_on_batch(batch[i : i + self.batch_size]),
                    dtype=np.float64,
                )
                for i in range(0, len(batch), self.batch_size)
            ]
        )
        if self.output == "probability":
            from scipy.special import softmax

            out = softmax(out, axis=1)
        return out

    def _class_indices(self, classes, scores):
        return class_indices(classes, scores, self.classes_)

    # ------------------------------------------------------------ references
    def _references(self, X):
        """One reference sample per sample of ``X``."""
        if self._reference is not None:
            return np.broadcast_to(self._reference, X.shape)
        if self.background == "zeros":
            return np.zeros_like(X)
        if self.background == "mean":
            return np.broadcast_to(X.mean(axis=0), X.shape)
        from scipy import ndimage

        if self._images:
            width = self.blur_width or max(X.shape[1:3]) / 4
            size = (1, max(1, round(width)), max(1, round(width)), 1)
            return ndimage.uniform_filter(X, size=size, mode="mirror")
        width = self.blur_width or X.shape[1] / self._n_segments(X.shape[1])
        return ndimage.gaussian_filter1d(X, width, axis=1, mode="nearest")

    # ---------------------------------------------------------------- SHAP
    def _run_shap(self, score, masker, row):
        """Explain ``row`` with shap; return ``(values, base value)``."""
        shap = self._shap
        # Owen evaluations come in pairs: an even budget is never overshot.
        budget = self.max_evals - self.max_evals % 2
        with _seeded_numpy(self.random_state):
            if self.algorithm == "partition":
                explainer = shap.PartitionExplainer(score, masker)
            else:
                explainer = shap.PermutationExplainer(
                    score, masker, seed=self.random_state
                )
                budget = self.max_evals
            result = explainer(
                row, max_evals=budget, batch_size=self.batch_size, silent=True
            )
        return np.asarray(result.values[0], dtype=np.float64), float(
            np.ravel(result.base_values)[0]
        )

    def _explain_spectrum(self, x, reference, index, counter):
        n_segments = len(self.segment_edges_) - 1
        lengths = np.diff(self.segment_edges_)
        point_segment = np.repeat(np.arange(n_segments), lengths)

        def score(kept):
            keep = np.asarray(kept)[:, point_segment] > 0.5
            counter[0] += len(keep)
            keep = keep.reshape(keep.shape + (1,) * (x.ndim - 1))
            batch = np.where(keep, x, reference)
            return self._scores(batch.astype(np.float32))[:, index]

        masker = self._shap.maskers.Partition(
            np.zeros((1, n_segments)), clustering=contiguous_linkage(n_segments)
        )
        values, base = self._run_shap(score, masker, np.ones((1, n_segments)))
        return (values / lengths)[point_segment], values, base

    def _explain_image(self, x, reference, index, counter):
        def score(images):
            counter[0] += len(images)
            return self._scores(np.asarray(images, dtype=np.float32))[:, index]

        masker = self._shap.maskers.Image(np.array(reference), x.shape)
        values, base = self._run_shap(score, masker, x[np.newaxis])
        return values.reshape(x.shape).sum(axis=-1), None, base

    def explain(self, X: ArrayLike, classes: ArrayLike | None = None) -> np.ndarray:
        """Return one SHAP map per sample.

        Parameters
        ----------
        X : array-like
            Spectra ``(n_samples, n_points)`` or ``(n_samples, n_points,
            n_channels)``, or images ``(n_samples, height, width, channels)``,
            as given to the model's ``predict``.
        classes : label, array-like of labels, or None, default=None
            Class to explain, one for all or one per sample (labels of
            ``classes_``; class indices for a bare Keras model). None: the
            predicted class.

        Returns
        -------
        maps : ndarray of shape (n_samples, n_points) or (n_samples, height, \
width)
            Contribution of every point (pixel) to the class score, relative
            to the reference; ``maps[i].sum()`` equals ``output_values_[i] -
            base_values_[i]``.
        """
        X = self._inputs(X)
        if classes is not None:  # before the forward pass
            classes = per_sample_classes(classes, len(X))
        scores = self._scores(X)
        indices = self._class_indices(classes, scores)
        if not self._images:
            n_segments = self._n_segments(X.shape[1])
            self._check_budget(n_segments)
            self.segment_edges_: np.ndarray | None = segment_edges(
                X.shape[1], n_segments
            )
        explain_one = self._explain_image if self._images else self._explain_spectrum
        references = self._references(X)
        maps, segments, bases, evals = [], [], [], []
        for x, reference, index in zip(X, references, indices, strict=True):
            counter = [0]
            point_map, segment_values, base = explain_one(x, reference, index, counter)
            maps.append(point_map)
            segments.append(segment_values)
            bases.append(base)
            evals.append(counter[0])
        self.predicted_indices_ = np.argmax(scores, axis=1)
        self.class_indices_ = indices
        self.output_values_ = scores[np.arange(len(X)), indices]
        self.base_values_ = np.array(bases)
        self.n_evals_ = np.array(evals, dtype=np.int64)
        self.segment_values_ = None if self._images else np.stack(segments)
        if self._images:
            self.segment_edges_ = None
        return np.stack(maps)
