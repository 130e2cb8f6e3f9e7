"""TemplateMatcher against the plain loop over templates and rotations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from sklearn.base import clone

from specauth.ood import TemplateMatcher
from specauth.ood._template_search import _projected_candidates
from specauth.ood.template import (
    nearest_template,
    projection_basis,
    rotate_templates,
)

ANGLES = [0.0, 30.0, 90.0, 135.0]


def _patterns(n, shape=(16, 16), seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape), dtype=np.float32)


def _loop(patterns, references, angles, exclude_own=False, dtype=np.float32):
    """The published loop: min over templates and rotations of the L2 distance.

    The rotated templates are scipy's rotations stored in ``dtype``.
    """
    references = np.asarray(references, dtype=np.float64)
    scores = []
    for i, x in enumerate(np.asarray(patterns, dtype=np.float64)):
        best = np.inf
        for j, reference in enumerate(references):
            if exclude_own and i == j:
                continue
            for angle in angles:
                t = ndimage.rotate(reference, angle, reshape=False, order=1)
                t = t.astype(dtype).astype(np.float64)
                best = min(best, np.sum((x - t) ** 2))
        scores.append(-np.sqrt(best))
    return np.array(scores)


@pytest.fixture(scope="module")
def fitted():
    references = _patterns(5)
    matcher = TemplateMatcher(angles=ANGLES, alpha=0.2).fit(references)
    return references, matcher


def test_scores_equal_the_loop_bit_for_bit(fitted):
    references, matcher = fitted
    queries = _patterns(12, seed=1)
    expected = _loop(queries, references, ANGLES)
    scores = matcher.score_samples(queries)
    np.testing.assert_array_equal(scores, expected)
    np.testing.assert_array_equal(np.argsort(scores), np.argsort(expected))


def test_float64_templates_equal_the_loop_on_float64_rotations(fitted):
    references, matcher = fitted
    queries = _patterns(6, seed=2)
    wide = clone(matcher).set_params(dtype="float64").fit(references)
    assert wide.templates_.dtype == np.float64
    expected = _loop(queries, references, ANGLES, dtype=np.float64)
    np.testing.assert_array_equal(wide.score_samples(queries), expected)
    # Templates stored in float32 differ by their rounding only.
    np.testing.assert_allclose(matcher.score_samples(queries), expected, rtol=1e-6)


def test_training_scores_are_leave_one_out(fitted):
    references, matcher = fitted
    loo = _loop(references, references, ANGLES, exclude_own=True)
    np.testing.assert_array_equal(matcher.calibration_scores_, np.sort(loo))
    # k = floor(0.2 * 5) = 1 rejected; threshold halfway across the gap.
    s = np.sort(loo)
    assert matcher.threshold_ == pytest.approx((s[0] + s[1]) / 2)
    # Scored again, a reference finds its own unrotated copy.
    np.testing.assert_array_equal(matcher.score_samples(references), 0.0)


def test_a_rotated_template_scores_zero_and_is_found():
    # 90-degree turns of a square pattern are exact (no interpolation).
    references = _patterns(4, seed=3)
    matcher = TemplateMatcher(n_rotations=4, step=90.0).fit(references)
    np.testing.assert_array_equal(matcher.angles_, [0.0, 90.0, 180.0, 270.0])
    turned = np.rot90(references[[1, 3]], k=2, axes=(1, 2))
    np.testing.assert_array_equal(matcher.score_samples(turned), 0.0)
    distances, template, angle = matcher.match(turned)
    np.testing.assert_array_equal(template, [1, 3])
    np.testing.assert_array_equal(angle, [180.0, 180.0])


def test_a_pattern_turned_by_a_fitted_angle_scores_about_zero():
    # A rotation-symmetric-safe pattern: a smooth blob inside the inscribed
    # disk, turned by one of the angles (30 degrees) with scipy itself.
    rows, cols = np.indices((21, 21)) - 10.0
    blob = np.exp(-((rows - 3.0) ** 2 + (cols + 1.0) ** 2) / 6.0)
    references = np.stack([blob, np.roll(blob, 4, axis=0), blob.T])
    matcher = TemplateMatcher(angles=ANGLES, dtype="float64").fit(references)
    turned = ndimage.rotate(blob, 30.0, reshape=False, order=1)[None]
    assert matcher.score_samples(turned)[0] == 0.0
    _, template, angle = matcher.match(turned)
    assert (template[0], angle[0]) == (0, 30.0)


def test_templates_are_scipy_rotations_with_zero_corners():
    references = np.ones((2, 9, 9), dtype=np.float32)
    matcher = TemplateMatcher(angles=[0.0, 45.0]).fit(references)
    templates = matcher.templates_.reshape(2, 2, 9, 9)
    np.testing.assert_array_equal(templates[:, 0], 1.0)
    assert templates[0, 1, 0, 0] == 0.0  # the corner came from outside
    expected = ndimage.rotate(references[0], 45.0, reshape=False, order=1)
    np.testing.assert_array_equal(templates[0, 1], expected)
    wide = ndimage.rotate(references[0].astype(float), 45.0, reshape=False, order=1)
    np.testing.assert_array_equal(rotate_templates(references, [45.0])[0, 0], wide)


def test_disk_region_compares_only_the_inscribed_disk():
    references = _patterns(3, shape=(9, 11))
    matcher = TemplateMatcher(angles=[0.0, 45.0], region="disk").fit(references)
    assert matcher.mask_.sum() == matcher.templates_.shape[1] < 99
    assert matcher.mask_[4, 5] and not matcher.mask_[0, 0]
    query = references[:1].copy()
    query[0, 0, 0] += 100.0  # a corner pixel: outside the disk
    assert matcher.score_samples(query)[0] == 0.0


@pytest.mark.parametrize("normalize", ["l2", "max", "sum"])
def test_normalization_makes_the_scale_irrelevant(normalize):
    references = _patterns(4, seed=4)
    queries = _patterns(3, seed=5)
    matcher = TemplateMatcher(angles=ANGLES, normalize=normalize).fit(references)
    np.testing.assert_allclose(
        matcher.score_samples(7.0 * queries), matcher.score_samples(queries)
    )
    # Zero up to the float32 rounding of the stored (normalised) templates.
    assert matcher.score_samples(3.0 * references[:1])[0] == pytest.approx(0, abs=1e-6)


def test_tiny_memory_budget_gives_the_same_scores(fitted):
    references, matcher = fitted
    queries = _patterns(9, seed=6)
    tiny = clone(matcher).set_params(max_memory=1).fit(references)
    assert tiny._batch_rows() == 1
    np.testing.assert_array_equal(
        tiny.score_samples(queries), matcher.score_samples(queries)
    )
    np.testing.assert_array_equal(tiny.calibration_scores_, matcher.calibration_scores_)
    batched = clone(matcher).set_params(batch_size=2).fit(references)
    np.testing.assert_array_equal(
        batched.score_samples(queries), matcher.score_samples(queries)
    )


def test_nearest_template_blocks_do_not_change_the_answer():
    rng = np.random.default_rng(7)
    templates = rng.random((40, 30)).astype(np.float32)
    X = rng.random((25, 30))
    big = nearest_template(X, templates)
    small = nearest_template(X, templates, max_memory=1)
    np.testing.assert_array_equal(big[0], small[0])
    np.testing.assert_array_equal(big[1], small[1])
    loop = ((X[:, None, :] - templates[None].astype(np.float64)) ** 2).sum(axis=2)
    np.testing.assert_array_equal(big[1], loop.argmin(axis=1))


def _blobs(n, seed):
    """Smooth, structured patterns: a few Gaussian blobs each (low rank)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices((24, 24)) - 11.5
    out = np.zeros((n, 24, 24))
    for pattern in out:
        for centre in rng.normal(scale=4.0, size=(3, 2)):
            pattern += np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / 8)
    return out


def test_projection_bounds_prune_without_changing_the_answer():
    references = _blobs(12, seed=12)
    turned = ndimage.rotate(references[:6], 33.0, axes=(2, 1), reshape=False, order=1)
    queries = np.concatenate([turned, _blobs(6, seed=13)])
    pruned = TemplateMatcher(n_rotations=8, n_components=16).fit(references)
    brute = TemplateMatcher(n_rotations=8, n_components=0).fit(references)
    assert pruned.basis_.shape == (16, 576) and brute.basis_ is None
    for a, b in zip(pruned.match(queries), brute.match(queries), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pruned.calibration_scores_, brute.calibration_scores_)
    expected = _loop(queries, references, pruned.angles_)
    np.testing.assert_array_equal(pruned.score_samples(queries), expected)
    # The bounds leave a handful of the 96 templates per pattern.
    flat = queries.reshape(len(queries), -1)
    projection = (pruned.basis_, pruned.template_projections_)
    kept = _projected_candidates(
        flat,
        np.einsum("ij,ij->i", flat, flat),
        pruned.templates_,
        pruned.template_sq_norms_,
        projection,
        None,
        2**28,
    ).sum(axis=1)
    assert kept.max() <= 12, kept


def test_projection_basis_is_orthonormal_and_its_bounds_are_lower_bounds():
    rng = np.random.default_rng(14)
    templates = rng.random((30, 50)).astype(np.float32)
    basis, projections = projection_basis(templates, 8)
    np.testing.assert_allclose(basis @ basis.T, np.eye(8), atol=1e-12)
    np.testing.assert_allclose(projections, templates @ basis.T, rtol=1e-5)
    X = rng.random((20, 50))
    wide = templates.astype(np.float64)
    sq_t = np.einsum("ij,ij->i", wide, wide)
    true = ((X[:, None] - wide[None]) ** 2).sum(axis=2)
    kept = _projected_candidates(
        X,
        np.einsum("ij,ij->i", X, X),
        templates,
        sq_t,
        (basis, projections),
        None,
        2**28,
    )
    # Every row keeps its nearest template, whatever the basis.
    assert kept[np.arange(20), true.argmin(axis=1)].all()


class _CountingDataset:
    """An HDF5-like dataset that records the rows of each read."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.shape = dataset.shape
        self.reads = []

    def __getitem__(self, key):
        self.reads.append(len(range(*key.indices(self.shape[0]))))
        return self.dataset[key]


def test_streams_an_hdf5_dataset_block_by_block(fitted, tmp_path):
    h5py = pytest.importorskip("h5py")
    references, matcher = fitted
    queries = _patterns(11, seed=8)[..., None]  # (n, h, w, 1)
    path = tmp_path / "patterns.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("X", data=queries)
    small = clone(matcher).set_params(batch_size=4).fit(references)
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(
            small.score_samples(f["X"]), matcher.score_samples(queries)
        )
        counting = _CountingDataset(f["X"])
        small.score_samples(counting)
    assert counting.reads == [4, 4, 3]


def test_scores_an_iterator_of_chunks(fitted):
    references, matcher = fitted
    queries = _patterns(7, seed=9)
    chunks = iter([queries[:3], queries[3:3], queries[3:]])
    np.testing.assert_array_equal(
        matcher.score_samples(chunks), matcher.score_samples(queries)
    )
    assert matcher.score_samples(iter([])).shape == (0,)


def test_threshold_decision_and_predict_follow_the_detector_contract(fitted):
    references, matcher = fitted
    queries = np.concatenate([references[:2], 5.0 + _patterns(2, seed=10)])
    scores = matcher.score_samples(queries)
    np.testing.assert_array_equal(
        matcher.decision_function(queries), scores - matcher.threshold_
    )
    np.testing.assert_array_equal(matcher.predict(queries), [1, 1, -1, -1])
    assert matcher.offset_ == matcher.threshold_
    held_out = _patterns(4, seed=11)
    calibrated = clone(matcher).fit(references).calibrate(held_out)
    assert calibrated.calibration_scores_.size == 4


def test_clone_and_params():
    matcher = TemplateMatcher(angles=[0.0, 10.0], normalize="l2", alpha=0.1)
    copy = clone(matcher)
    assert copy.get_params() == matcher.get_params()
    assert "model" not in matcher.get_params()
    assert TemplateMatcher.input_kind == "patterns"


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.zeros((5, 16)), r"raw 2D patterns.*shape \(5, 16\)"),
        (np.zeros(16), r"raw 2D patterns"),
        (np.zeros((5, 16, 16, 3)), r"raw 2D patterns"),
        (np.zeros((0, 16, 16)), r"at least 2 reference patterns.*got 0"),
        (np.zeros((1, 16, 16)), r"at least 2 reference patterns.*got 1"),
    ],
)
def test_fit_refuses_what_is_not_a_stack_of_patterns(X, message):
    with pytest.raises(ValueError, match=message):
        TemplateMatcher().fit(X)


def test_fit_and_score_refuse_nan():
    references = _patterns(3)
    references[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"`X` contains NaN \(first in pattern 1\)"):
        TemplateMatcher().fit(references)
    matcher = TemplateMatcher(angles=[0.0]).fit(_patterns(3))
    with pytest.raises(ValueError, match="infinity"):
        matcher.score_samples(np.full((1, 16, 16), np.inf))


def test_score_names_both_shapes(fitted):
    _, matcher = fitted
    with pytest.raises(ValueError, match=r"shape \(16, 15\).*shape \(16, 16\)"):
        matcher.score_samples(np.zeros((2, 16, 15)))
    with pytest.raises(ValueError, match=r"chunk 1 of X.*\(8, 8\)"):
        matcher.score_samples(iter([np.zeros((1, 16, 16)), np.zeros((1, 8, 8))]))
    with pytest.raises(ValueError, match="embedding"):
        matcher.score_samples(np.zeros((2, 256)))


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"angles": []}, ValueError, "non-empty 1D"),
        ({"angles": [0.0, np.nan]}, ValueError, "finite"),
        ({"angles": [[0.0, 5.0]]}, ValueError, "1D"),
        ({"angles": [10.0, 370.0]}, ValueError, "distinct modulo 360"),
        ({"angles": ["a"]}, TypeError, "array of degrees"),
        ({"n_rotations": 0}, ValueError, "n_rotations"),
        ({"step": -5.0}, ValueError, "step"),
        ({"normalize": "std"}, ValueError, "normalize"),
        ({"region": "square"}, ValueError, "region"),
        ({"dtype": "float16"}, ValueError, "dtype"),
    ],
)
def test_bad_parameters_are_refused(params, error, message):
    with pytest.raises(error, match=message):
        TemplateMatcher(**params).fit(_patterns(3))
