"""Plots: every function renders a non-trivial PNG and draws the right data."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from specauth.axis import SpectralAxis  # noqa: E402
from specauth.explain.plots import (  # noqa: E402
    bokeh_spectrum_importance,
    plot_confusion_matrix,
    plot_detector_scores,
    plot_history,
    plot_image_cam,
    plot_lr_find,
    plot_score_histograms,
    plot_spectrum_importance,
    plot_top_losses,
    save_html,
)
from specauth.ood import Energy  # noqa: E402
from specauth.openset import figures_of_merit  # noqa: E402
from specauth.training import LRFinderResult  # noqa: E402

RNG = np.random.default_rng(0)
N_POINTS = 60
ENERGY = np.linspace(50.0, 650.0, N_POINTS)
SPECTRUM = np.exp(-(((ENERGY - 200) / 30) ** 2)) + 0.7 * np.exp(
    -(((ENERGY - 500) / 40) ** 2)
)
IMPORTANCE = np.exp(-(((ENERGY - 500) / 60) ** 2))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png(fig, tmp_path, name="plot"):
    """Save ``fig`` as PNG, read it back and check it is not blank."""
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=60)
    pixels = mpimg.imread(path)[:, :, :3]
    _assert_non_trivial(pixels)
    return pixels


def _assert_non_trivial(pixels, min_colours=8):
    colours = np.unique(pixels.reshape(-1, 3).round(3), axis=0)
    assert len(colours) >= min_colours, f"only {len(colours)} distinct colours"
    assert pixels.std() > 0.05


def _coloured_pixels(pixels, spread=0.3):
    """Number of saturated (not grey) pixels: channels differ by > ``spread``."""
    return int(((pixels.max(axis=2) - pixels.min(axis=2)) > spread).sum())


# ------------------------------------------------------------------ spectrum
# The band / background / annotation / panel behaviour is tested in
# tests/explain/test_plots_importance.py; here the old look (style="line").
def test_spectrum_importance_line_collection_and_colorbar(tmp_path):
    ax = plot_spectrum_importance(
        SPECTRUM, IMPORTANCE, axis=ENERGY, style="line", title="t", top_k=0
    )
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1
    line = lines[0]
    np.testing.assert_allclose(line.get_array(), IMPORTANCE)
    # One 3-vertex piece per point, passing through the point itself.
    segments = line.get_segments()
    assert len(segments) == N_POINTS
    middles = np.array([s[1] for s in segments])
    np.testing.assert_allclose(middles, np.column_stack([ENERGY, SPECTRUM]))
    # Adjacent pieces meet at the midpoint between points.
    np.testing.assert_allclose(segments[3][2], segments[4][0])
    np.testing.assert_allclose(segments[3][2][0], (ENERGY[3] + ENERGY[4]) / 2)
    # Non-negative importance: a sequential scale from 0 to the maximum.
    assert line.norm.vmin == 0
    assert line.norm.vmax == pytest.approx(IMPORTANCE.max())
    fig = ax.figure
    assert len(fig.axes) == 2
    assert fig.axes[1].get_ylabel() == "importance"
    assert ax.get_xlabel() == "x" and ax.get_title() == "t"  # plain values: "x"
    assert ax.get_xlim() == (ENERGY[0], ENERGY[-1])
    pixels = _png(fig, tmp_path)
    assert _coloured_pixels(pixels) > 100


def test_spectrum_importance_on_given_axes_with_channels_and_column_input():
    fig, ax = plt.subplots()
    out = plot_spectrum_importance(
        SPECTRUM[:, None], IMPORTANCE, ax=ax, colorbar=False, vmin=0, vmax=2
    )
    assert out is ax and len(fig.axes) == 1
    assert ax.get_xlabel() == "channel"
    band = ax.collections[0]
    corners = np.array([p.vertices[2] for p in band.get_paths()])  # the points
    np.testing.assert_allclose(corners[:, 0], np.arange(N_POINTS))
    assert band.norm.vmax == 2


def test_spectrum_importance_energy_is_a_deprecated_alias_of_axis():
    with pytest.warns(DeprecationWarning, match="`energy` is deprecated"):
        ax = plot_spectrum_importance(SPECTRUM, IMPORTANCE, energy=ENERGY)
    assert ax.get_xlabel() == "energy"
    assert ax.get_xlim() == (ENERGY[0], ENERGY[-1])
    with pytest.raises(TypeError, match="`energy` is its deprecated alias"):
        plot_spectrum_importance(SPECTRUM, IMPORTANCE, axis=ENERGY, energy=ENERGY)


def test_spectrum_importance_decreasing_axis_and_inputs_unchanged():
    spectrum = SPECTRUM.copy()
    importance = IMPORTANCE.copy()
    axis = ENERGY[::-1].copy()
    plot_spectrum_importance(spectrum, importance, axis=axis)
    np.testing.assert_array_equal(spectrum, SPECTRUM)
    np.testing.assert_array_equal(importance, IMPORTANCE)
    np.testing.assert_array_equal(axis, ENERGY[::-1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"importance": IMPORTANCE[:-1]}, "same length"),
        ({"spectrum": np.r_[np.nan, SPECTRUM[1:]]}, "`spectrum` contains NaN"),
        ({"importance": np.ones((N_POINTS, 2))}, "`importance` must be a 1D"),
        ({"spectrum": [], "importance": []}, "at least 2"),
        ({"axis": ENERGY[:-2]}, "`axis` has 58 values but the spectra have 60"),
        ({"axis": np.r_[ENERGY[:30], ENERGY[:30]]}, "strictly increasing"),
        ({"axis": np.r_[np.nan, ENERGY[1:]]}, "must be finite"),
        ({"spectrum": None}, "got None"),
        ({"spectrum": ["a"] * N_POINTS}, "could not be converted"),
        ({"style": "area"}, "`style` must be one of 'band', 'background', 'line'"),
        ({"top_k": -1}, r"`top_k` must be an int in \[0, inf\)"),
        ({"signed": True, "vmin": 0.0}, "`vmin` must be < 0 < `vmax`"),
    ],
)
def test_spectrum_importance_bad_input(kwargs, match):
    args = {"spectrum": SPECTRUM, "importance": IMPORTANCE, **kwargs}
    with pytest.raises(ValueError, match=match):
        plot_spectrum_importance(args.pop("spectrum"), args.pop("importance"), **args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ax": "left"}, "`ax` must be a matplotlib Axes"),
        ({"signed": "yes"}, "`signed` must be"),
        ({"invert_x": 1}, "`invert_x` must be"),
        ({"top_k": 1.5}, "`top_k` must be an int"),
        ({"axis": "wavenumber"}, "`axis` must be the axis values"),
    ],
)
def test_spectrum_importance_bad_types(kwargs, match):
    with pytest.raises(TypeError, match=match):
        plot_spectrum_importance(SPECTRUM, IMPORTANCE, **kwargs)


# --------------------------------------------------------------------- image
def _gaf(x):
    phi = np.arccos(x)
    return np.cos(np.add.outer(phi, phi))


def test_image_cam_overlay_and_marginals(tmp_path):
    marginal = np.linspace(0, 1, 64) ** 2
    image = _gaf(np.linspace(-1, 1, 32))
    cam = np.outer(np.arange(8.0), np.ones(8))
    ax = plot_image_cam(image, cam, spectrum=marginal, alpha=0.4, title="g")
    assert len(ax.images) == 2
    np.testing.assert_allclose(ax.images[1].get_array(), cam)
    assert ax.images[1].get_alpha() == 0.4
    assert ax.images[0].get_extent() == ax.images[1].get_extent()
    assert ax.images[0].get_extent() == [-0.5, 31.5, 31.5, -0.5]
    fig = ax.figure
    assert len(fig.axes) == 4  # image, top marginal, right marginal, colorbar
    top, right = fig.axes[1], fig.axes[2]
    # 64 points spread over 32 pixels: point i at pixel (i + 0.5) / 2 - 0.5.
    expected = (np.arange(64) + 0.5) / 2 - 0.5
    np.testing.assert_allclose(top.lines[0].get_xdata(), expected)
    np.testing.assert_allclose(top.lines[0].get_ydata(), marginal)
    np.testing.assert_allclose(right.lines[0].get_xdata(), marginal)
    np.testing.assert_allclose(right.lines[0].get_ydata(), expected)
    assert top.get_title() == "g"
    assert fig.axes[3].get_ylabel() == "importance"
    pixels = _png(fig, tmp_path)
    assert _coloured_pixels(pixels) > 500


def test_image_cam_rgb_without_marginals_on_given_axes():
    fig, ax = plt.subplots()
    image = RNG.uniform(0, 255, (16, 20, 3))
    original = image.copy()
    out = plot_image_cam(image, RNG.random((4, 5)), ax=ax, colorbar=False)
    assert out is ax and len(fig.axes) == 1
    shown = ax.images[0].get_array()
    assert shown.shape == (16, 20, 3)
    assert shown.min() == pytest.approx(0) and shown.max() == pytest.approx(1)
    np.testing.assert_array_equal(image, original)  # not rescaled in place


@pytest.mark.parametrize(
    ("image", "cam", "kwargs", "error", "match"),
    [
        (np.ones((8, 8)), np.ones((1, 4, 4)), {}, ValueError, "`cam_map` must be"),
        (np.ones((2, 8, 8, 3)), np.ones((4, 4)), {}, ValueError, "`image` must be"),
        (np.ones((8, 8, 2)), np.ones((4, 4)), {}, ValueError, "`image` must be"),
        (np.ones((8, 8)), np.full((4, 4), np.nan), {}, ValueError, "NaN"),
        (np.ones((8, 8)), np.ones((4, 4)), {"alpha": 1.5}, ValueError, "`alpha`"),
        (np.ones((8, 8)), np.ones((4, 4)), {"alpha": "x"}, TypeError, "`alpha`"),
        (
            np.ones((8, 8)),
            np.ones((4, 4)),
            {"spectrum": [1.0]},
            ValueError,
            "`spectrum` must hold at least 2",
        ),
    ],
)
def test_image_cam_bad_input(image, cam, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_image_cam(image, cam, **kwargs)


# ----------------------------------------------------------------- confusion
def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_confusion_matrix_square(tmp_path):
    matrix = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    ax = plot_confusion_matrix(["a", "b", "c"], matrix)
    assert _texts(ax) == [str(v) for v in matrix.ravel()]
    np.testing.assert_array_equal(ax.images[0].get_array(), matrix)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert len(ax.figure.axes) == 2  # colorbar
    # Text is readable: white on the darkest cell, black on the lightest.
    assert ax.texts[8].get_color() == "white" and ax.texts[2].get_color() == "black"
    _png(ax.figure, tmp_path)


def test_confusion_matrix_from_figures_of_merit():
    y_true = ["a", "a", "b", "b", "x", "x", "y"]
    y_pred = ["a", "b", "b", "unknown", "unknown", "a", "unknown"]
    fom = figures_of_merit(y_pred, y_true, known_classes=["a", "b"])
    ax = plot_confusion_matrix(fom)
    assert _texts(ax) == [str(v) for v in fom["confusion_matrix"].ravel()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "unknown"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "x", "y"]
    # The same with the parts passed separately.
    ax2 = plot_confusion_matrix(
        fom["rows"], fom["confusion_matrix"], column_labels=fom["columns"]
    )
    assert _texts(ax2) == _texts(ax)


@pytest.mark.parametrize("normalize", ["true", "pred", "all"])
def test_confusion_matrix_normalized(normalize):
    matrix = np.array([[4, 0, 1], [0, 0, 0], [3, 2, 0]])  # an empty row and column
    ax = plot_confusion_matrix([0, 1, 2], matrix, normalize=normalize)
    m = matrix.astype(float)
    if normalize == "true":
        totals = m.sum(axis=1)[:, None]
    elif normalize == "pred":
        totals = m.sum(axis=0)[None, :]
    else:
        totals = np.full_like(m, m.sum())
    expected = np.divide(m, totals, out=np.zeros_like(m), where=totals > 0)
    np.testing.assert_allclose(ax.images[0].get_array(), expected)
    assert _texts(ax) == [f"{v:.2f}" for v in expected.ravel()]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((["a", "b"], np.ones((3, 3))), {}, "`labels` must be a 1D sequence of 3"),
        ((["a", "b"], [[1, -1], [0, 2]]), {}, "counts >= 0"),
        ((["a", "b"], [[1, np.nan], [0, 2]]), {}, "NaN"),
        ((["a", "b"], np.ones(2)), {}, "2D array"),
        ((["a", "b"],), {}, "`matrix` is required"),
        ((["a", "b"], np.ones((2, 2))), {"normalize": "rows"}, "`normalize`"),
        (({"confusion_matrix": np.ones((2, 2))},), {}, "missing"),
    ],
)
def test_confusion_matrix_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_confusion_matrix(*args, **kwargs)


def test_confusion_matrix_dict_with_matrix_is_refused():
    fom = figures_of_merit(["a", "b"], ["a", "b"], ["a", "b"])
    with pytest.raises(ValueError, match="either the dict"):
        plot_confusion_matrix(fom, np.ones((2, 3)))


# -------------------------------------------------------------- top losses
def _top_loss_data():
    X = np.stack([SPECTRUM * (1 + 0.3 * i) for i in range(5)])
    importances = np.stack([np.roll(IMPORTANCE, 5 * i) for i in range(5)])
    losses = np.array([0.1, 2.5, 0.3, 1.7, 0.9])
    return X, losses, list("aabbc"), list("abbac"), importances


def test_top_losses_largest_k_with_explanations(tmp_path):
    X, losses, actual, predicted, importances = _top_loss_data()
    fig = plot_top_losses(X, 3, losses, actual, predicted, importances, ncols=2)
    shown = [1, 3, 4]  # indices of the 3 largest losses, largest first
    panels = fig.axes[:3]
    for ax, i in zip(panels, shown, strict=True):
        assert ax.get_title().startswith(f"{actual[i]} / {predicted[i]}\n")
        assert f"row {i}" in ax.get_title()
        assert f"{losses[i]:.3g}" in ax.get_title()
        np.testing.assert_allclose(ax.collections[0].get_array(), importances[i])
        # The band's polygons reach up to the spectrum at each point.
        tops = np.array([p.vertices[2][1] for p in ax.collections[0].get_paths()])
        np.testing.assert_allclose(tops, X[i])
    assert not fig.axes[3].axison  # the unused fourth panel is hidden
    pixels = _png(fig, tmp_path)
    assert _coloured_pixels(pixels) > 100


def test_top_losses_given_indices_plain_lines_on_given_axes():
    X, losses, actual, predicted, _ = _top_loss_data()
    fig, axes = plt.subplots(1, 2)
    out = plot_top_losses(X[:, :, None], [2, -1], losses, actual, predicted, axes=axes)
    assert out is fig
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), X[2])
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), X[4])


def test_top_losses_axis_gives_label_unit_and_direction_without_region_labels():
    X, losses, actual, predicted, importances = _top_loss_data()
    wavenumbers = SpectralAxis(np.linspace(1800.0, 600.0, N_POINTS), "wn", "cm-1")
    fig = plot_top_losses(
        X, 2, losses, actual, predicted, importances, axis=wavenumbers
    )
    plain = plot_top_losses(X, 2, losses, actual, predicted, axis=wavenumbers)
    for ax in (*fig.axes[:2], *plain.axes[:2]):
        assert ax.get_xlabel() == "wavenumber (cm⁻¹)"
        assert ax.get_xlim()[0] > ax.get_xlim()[1]  # drawn decreasing
    assert not any(ax.texts for ax in fig.axes)  # top_k=0 by default
    np.testing.assert_allclose(plain.axes[0].lines[0].get_xdata(), wavenumbers.values)


def test_top_losses_top_k_and_style_reach_the_panels():
    X, losses, actual, predicted, importances = _top_loss_data()
    axis = SpectralAxis(ENERGY, "energy", "keV")
    fig = plot_top_losses(
        X, 1, losses, actual, predicted, importances, axis=axis, style="line", top_k=1
    )
    ax = fig.axes[0]
    assert isinstance(ax.collections[0], LineCollection)
    assert len(ax.texts) == 1 and ax.texts[0].get_text().endswith("keV")


def test_top_losses_energy_is_a_deprecated_alias_of_axis():
    X, losses, actual, predicted, importances = _top_loss_data()
    with pytest.warns(DeprecationWarning, match="`energy` is deprecated"):
        fig = plot_top_losses(
            X, 2, losses, actual, predicted, importances, energy=ENERGY
        )
    assert fig.axes[0].get_xlabel() == "energy"
    np.testing.assert_allclose(fig.axes[0].get_xlim(), (ENERGY[0], ENERGY[-1]))
    with pytest.raises(TypeError, match="both were given"):
        plot_top_losses(X, 2, losses, actual, predicted, axis=ENERGY, energy=ENERGY)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"losses": [1.0, 2.0]}, "`losses` must have one value per row"),
        ({"indices": [0, 5]}, "valid row indices"),
        ({"indices": 0}, r"must be in \[1, 5\]"),
        ({"indices": [0.5]}, "`indices` must be a non-empty 1D array"),
        ({"actual": ["a"]}, "`actual` must be a 1D sequence of 5"),
        ({"importances": np.ones((5, 7))}, "`importances` must have the shape"),
        ({"X": np.ones((5, 10, 2))}, "one-channel"),
        ({"ncols": 0}, "`ncols` must be an int >= 1"),
        ({"axes": [None]}, "at least one Axes per spectrum"),
        ({"axis": np.ones(N_POINTS)}, "`axis` is not a valid spectral axis"),
        ({"axis": ENERGY[:-1]}, "`axis` has 59 values"),
        ({"style": "dots"}, "style"),
    ],
)
def test_top_losses_bad_input(change, match):
    X, losses, actual, predicted, importances = _top_loss_data()
    args = {
        "X": X,
        "indices": 2,
        "losses": losses,
        "actual": actual,
        "predicted": predicted,
        "importances": importances,
        **change,
    }
    with pytest.raises(ValueError, match=match):
        plot_top_losses(
            args.pop("X"),
            args.pop("indices"),
            args.pop("losses"),
            args.pop("actual"),
            args.pop("predicted"),
            args.pop("importances"),
            **args,
        )


# ------------------------------------------------------------------ training
def _lr_result():
    lrs = np.logspace(-5, 0, 30)
    losses = np.r_[np.linspace(2.0, 0.5, 25), [0.6, 1.0, 2.0, 4.0, 8.0]]
    return LRFinderResult(lrs, losses)


def test_lr_find_plot_uses_the_result_plot(tmp_path):
    result = _lr_result()
    ax = plot_lr_find(result)
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(ax.lines[1].get_xdata(), result.lrs)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), result.losses)
    labels = [line.get_label() for line in ax.lines]
    for name in ("valley", "slide", "minimum", "steep"):
        assert f"{name}: {result.suggestions[name]:.2e}" in labels
    _png(ax.figure, tmp_path)


def test_lr_find_from_estimator_and_given_axes():
    fig, ax = plt.subplots()
    estimator = SimpleNamespace(lr_finder_=_lr_result())
    assert plot_lr_find(estimator, ax, suggestions=False) is ax
    assert len(ax.lines) == 2


def test_lr_find_bad_input():
    with pytest.raises(TypeError, match="`result` must be an LRFinderResult"):
        plot_lr_find({"lrs": [1, 2]})
    with pytest.raises(TypeError, match="`ax` must be a matplotlib Axes"):
        plot_lr_find(_lr_result(), ax=3)


def _history():
    lrs = np.r_[np.linspace(1e-3, 1e-2, 10), np.linspace(1e-2, 1e-5, 30)]
    return {
        "loss": [1.5, 1.1, 0.8, 0.6, 0.5],
        "val_loss": [1.6, 1.3, 1.0, 0.9, 0.85],
        "accuracy": [0.4, 0.6, 0.7, 0.8, 0.9],
        "lr": [1e-2, 8e-3, 5e-3, 1e-3, 1e-5],
        "lr_per_batch": list(lrs),
        "phase": ["head", "head", "head", "fine_tune", "fine_tune"],
    }


def test_history_metrics_lr_and_phases(tmp_path):
    history = _history()
    ax = plot_history(history, title="h")
    assert [line.get_label() for line in ax.lines[:3]] == [
        "loss",
        "val_loss",
        "accuracy",
    ]
    for line in ax.lines[:3]:
        np.testing.assert_allclose(line.get_xdata(), [1, 2, 3, 4, 5])
        np.testing.assert_allclose(line.get_ydata(), history[line.get_label()])
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1
    lr_line = twins[0].lines[0]
    np.testing.assert_allclose(lr_line.get_ydata(), history["lr_per_batch"])
    # 40 batches over 5 epochs: batch b starts at epoch b / 8.
    np.testing.assert_allclose(lr_line.get_xdata(), np.arange(40) / 8)
    # One phase change, after epoch 3, and both phases named.
    vlines = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert len(vlines) == 1 and list(vlines[0].get_xdata()) == [3, 3]
    assert sorted(_texts(ax)) == ["fine_tune", "head"]
    legend = twins[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()][-1] == "learning rate"
    _png(ax.figure, tmp_path)


def test_history_from_estimator_or_keras_history_and_selected_metrics():
    history = _history()
    del history["phase"]
    ax = plot_history(SimpleNamespace(history_=history), metrics="loss", lr=False)
    assert [line.get_label() for line in ax.lines] == ["loss"]
    assert len(ax.figure.axes) == 1
    # A keras History (``.history``) without lr_per_batch: per-epoch "lr".
    keras_like = SimpleNamespace(history={"loss": [1.0, 0.5], "lr": [0.1, 0.01]})
    ax = plot_history(keras_like)
    twin = [a for a in ax.figure.axes if a is not ax][0]
    np.testing.assert_allclose(twin.lines[0].get_ydata(), [0.1, 0.01])
    np.testing.assert_allclose(twin.lines[0].get_xdata(), [1, 2])


@pytest.mark.parametrize(
    ("history", "kwargs", "error", "match"),
    [
        ({"loss": [1.0]}, {"metrics": ["acc"]}, ValueError, "not found"),
        ({"loss": [1.0, 0.5], "acc": [0.5]}, {}, ValueError, "one value per epoch"),
        ({"loss": []}, {}, ValueError, "at least one metric"),
        ({"lr_per_batch": [0.1]}, {}, ValueError, "at least one metric"),
        ({"loss": ["x"]}, {}, ValueError, r"`history\['loss'\]` must hold numbers"),
        ([1.0, 0.5], {}, TypeError, "`history` must be a dict"),
    ],
)
def test_history_bad_input(history, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_history(history, **kwargs)


# ----------------------------------------------------------------- detectors
def test_score_histograms_counts_edges_and_threshold(tmp_path):
    train = RNG.normal(2, 1, 200)
    test = RNG.normal(1.8, 1, 60)
    unknown = RNG.normal(-1, 1, 40)
    ax = plot_score_histograms(
        train, test, unknown, threshold=0.25, bins=12, density=False
    )
    edges = np.histogram_bin_edges(np.r_[train, test, unknown], bins=12)
    patches = ax.patches
    assert [p.get_label() for p in patches] == ["train", "test", "unknown"]
    for patch, scores in zip(patches, [train, test, unknown], strict=True):
        heights, patch_edges, _ = patch.get_data()
        np.testing.assert_array_equal(heights, np.histogram(scores, bins=edges)[0])
        np.testing.assert_allclose(patch_edges, edges)
    threshold = ax.lines[-1]
    assert list(threshold.get_xdata()) == [0.25, 0.25]
    assert ax.get_ylabel() == "count"
    pixels = _png(ax.figure, tmp_path)
    assert _coloured_pixels(pixels, spread=0.15) > 500  # translucent fills


def test_score_histograms_density_train_only():
    train = RNG.normal(size=100)
    ax = plot_score_histograms(train)
    heights, edges, _ = ax.patches[0].get_data()
    np.testing.assert_allclose(heights, np.histogram(train, bins=30, density=True)[0])
    assert np.sum(heights * np.diff(edges)) == pytest.approx(1.0)
    assert len(ax.lines) == 0


def _fitted_energy():
    logits = RNG.normal(size=(80, 3)) + [4.0, 0.0, 0.0]
    return Energy(alpha=0.1).fit(logits), logits


def test_detector_scores_with_a_fitted_detector(tmp_path):
    detector, logits = _fitted_energy()
    unknown = RNG.normal(size=(30, 3))
    ax = plot_detector_scores(detector, logits, X_unknown=unknown, density=False)
    assert [p.get_label() for p in ax.patches] == ["train", "unknown"]
    train_scores = detector.score_samples(logits)
    all_scores = np.r_[train_scores, detector.score_samples(unknown)]
    edges = np.histogram_bin_edges(all_scores, bins=30)
    np.testing.assert_array_equal(
        ax.patches[0].get_data()[0], np.histogram(train_scores, bins=edges)[0]
    )
    assert ax.lines[-1].get_xdata()[0] == detector.threshold_
    _png(ax.figure, tmp_path)


def test_detector_scores_of_an_open_set_classifier_like_object():
    detector, logits = _fitted_energy()
    osc = SimpleNamespace(score_samples=detector.score_samples, detector_=detector)
    ax = plot_detector_scores(osc, logits, logits[:10])
    assert [p.get_label() for p in ax.patches] == ["train", "test"]
    assert ax.lines[-1].get_xdata()[0] == detector.threshold_


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1.0, np.nan],), {}, "`train_scores` contains NaN"),
        (([1.0, 2.0], np.ones((2, 2))), {}, "`test_scores` must be a 1D"),
        (([1.0, 2.0], None, []), {}, "`unknown_scores` must hold at least 1"),
        ((None,), {}, "`train_scores`"),
        (([1.0, 2.0],), {"threshold": "high"}, "`threshold` must be a number"),
        (([1.0, 2.0],), {"threshold": np.inf}, "`threshold` must be finite"),
        (([1.0, 2.0],), {"bins": 0}, "`bins` must be an int >= 1"),
        (([1.0, 2.0],), {"bins": [0.0, 2.0, 1.0]}, "strictly increasing"),
    ],
)
def test_score_histograms_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_score_histograms(*args, **kwargs)


def test_detector_scores_bad_detector():
    with pytest.raises(TypeError, match="`detector` must be a fitted detector"):
        plot_detector_scores(object(), np.ones((3, 2)))


# ------------------------------------------------------------ never show()
def test_no_function_calls_show(monkeypatch):
    def refuse():
        raise AssertionError("plt.show() must not be called")

    monkeypatch.setattr(plt, "show", refuse)
    X, losses, actual, predicted, importances = _top_loss_data()
    plot_spectrum_importance(SPECTRUM, IMPORTANCE)
    plot_image_cam(np.eye(4), np.eye(2), spectrum=[1.0, 2.0, 3.0])
    plot_confusion_matrix([0, 1], [[1, 0], [0, 1]])
    plot_top_losses(X, 2, losses, actual, predicted, importances)
    plot_lr_find(_lr_result())
    plot_history(_history())
    plot_score_histograms([1.0, 2.0, 3.0], threshold=1.5)


# ------------------------------------------------------------------- bokeh
needs_bokeh = pytest.mark.skipif(
    importlib.util.find_spec("bokeh") is None,
    reason="bokeh is not installed (pip install 'specauth[explain]')",
)


@needs_bokeh
def test_bokeh_figure_data_hover_and_colorbar():
    from bokeh.models import ColorBar, HoverTool, Line, Patches

    axis = SpectralAxis(ENERGY, "energy", "keV")
    fig = bokeh_spectrum_importance(SPECTRUM, IMPORTANCE, axis=axis, title="b")
    bands = [r for r in fig.renderers if isinstance(r.glyph, Patches)]
    assert len(bands) == 1
    data = bands[0].data_source.data
    np.testing.assert_allclose(data["importance"], IMPORTANCE)
    np.testing.assert_allclose(data["value"], SPECTRUM)
    np.testing.assert_allclose(data["x"], ENERGY)
    # Each band polygon goes up to its point of the spectrum.
    np.testing.assert_allclose([xs[2] for xs in data["xs"]], ENERGY)
    np.testing.assert_allclose([ys[2] for ys in data["ys"]], SPECTRUM)
    hover = [t for t in fig.tools if isinstance(t, HoverTool)]
    assert len(hover) == 1
    fields = [name for name, _ in hover[0].tooltips]
    assert fields == ["energy (keV)", "intensity", "importance"]
    assert hover[0].mode == "vline"
    assert isinstance(hover[0].renderers[0].glyph, Line)
    bars = [m for m in fig.right if isinstance(m, ColorBar)]
    assert len(bars) == 1
    assert bars[0].color_mapper.low == 0  # non-negative: from zero
    assert bars[0].color_mapper.high == pytest.approx(IMPORTANCE.max())
    assert bars[0].title == "importance"
    assert fig.title.text == "b"
    assert fig.xaxis[0].axis_label == "energy (keV)"
    assert (fig.x_range.start, fig.x_range.end) == (ENERGY[0], ENERGY[-1])


@needs_bokeh
def test_bokeh_signed_wavenumbers_flip_x_and_centre_the_palette():
    from bokeh.models import ColorBar, HoverTool, Patches

    axis = SpectralAxis(np.linspace(400, 4000, N_POINTS), "wavenumber", "cm-1")
    signed = IMPORTANCE - 0.3
    fig = bokeh_spectrum_importance(
        SPECTRUM, signed, axis=axis, importance_label="SHAP value (model output)"
    )
    assert fig.x_range.start == 4000 and fig.x_range.end == 400  # decreasing
    mapper = [m for m in fig.right if isinstance(m, ColorBar)][0].color_mapper
    bound = np.abs(signed).max()
    assert (mapper.low, mapper.high) == (pytest.approx(-bound), pytest.approx(bound))
    # Blue for negative, red for positive.
    palette = mapper.palette
    assert palette[0].lower().startswith("#05") and palette[-1].lower() == "#67001f"
    hover = [t for t in fig.tools if isinstance(t, HoverTool)][0]
    assert [n for n, _ in hover.tooltips] == [
        "wavenumber (cm⁻¹)",
        "intensity",
        "SHAP value (model output)",
    ]
    # Background: one full-height rectangle per point.
    fig = bokeh_spectrum_importance(
        SPECTRUM, signed, axis=axis, style="background", invert_x=False
    )
    assert fig.x_range.start == 400
    quads = [r for r in fig.renderers if isinstance(r.glyph, Patches)][0]
    ys = np.array(quads.data_source.data["ys"])
    assert ys.shape == (N_POINTS, 4)
    np.testing.assert_allclose(ys.min(axis=1), fig.y_range.start)
    np.testing.assert_allclose(ys.max(axis=1), fig.y_range.end)


@needs_bokeh
def test_bokeh_channel_axis_and_bad_input():
    from bokeh.models import MultiLine

    fig = bokeh_spectrum_importance(
        SPECTRUM, IMPORTANCE, palette="Inferno256", style="line"
    )
    assert fig.xaxis[0].axis_label == "channel"
    assert any(isinstance(r.glyph, MultiLine) for r in fig.renderers)
    with pytest.raises(ValueError, match="same length"):
        bokeh_spectrum_importance(SPECTRUM, IMPORTANCE[1:])
    with pytest.raises(ValueError, match="`palette` must be the name"):
        bokeh_spectrum_importance(SPECTRUM, IMPORTANCE, palette="NoSuchPalette")
    with pytest.raises(ValueError, match="`importance` contains infinity"):
        bokeh_spectrum_importance(SPECTRUM, np.r_[np.inf, IMPORTANCE[1:]])
    with pytest.raises(ValueError, match="`style` must be one of"):
        bokeh_spectrum_importance(SPECTRUM, IMPORTANCE, style="bars")
    with pytest.raises(ValueError, match="`axis` has 59 values"):
        bokeh_spectrum_importance(SPECTRUM, IMPORTANCE, axis=ENERGY[1:])
    with pytest.warns(DeprecationWarning, match="`energy` is deprecated"):
        fig = bokeh_spectrum_importance(SPECTRUM, IMPORTANCE, energy=ENERGY)
    assert fig.xaxis[0].axis_label == "energy"
    with pytest.raises(TypeError, match="`fig` must be a bokeh"):
        save_html("not a figure", "x.html")


def test_bokeh_missing_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "bokeh.plotting", None)
    with pytest.raises(ImportError, match="pip install bokeh"):
        bokeh_spectrum_importance(SPECTRUM, IMPORTANCE)


def _save(tmp_path):
    fig = bokeh_spectrum_importance(SPECTRUM, IMPORTANCE, axis=ENERGY, style="line")
    return save_html(fig, tmp_path / "spectrum.html")


@needs_bokeh
def test_save_html_is_standalone(tmp_path):
    path = _save(tmp_path)
    html = path.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    # No script or stylesheet loaded from the network (a CDN would not load
    # offline); bokeh's JavaScript is inlined instead.
    remote = re.findall(r"<(?:script|link)[^>]+(?:src|href)\s*=\s*[\"']?https?:", html)
    assert remote == []
    assert "cdn.bokeh.org" not in html
    assert "Bokeh" in html and len(html) > 100_000
    assert '"importance"' in html  # the data is embedded


@needs_bokeh
def test_save_html_leaves_the_figure_free(tmp_path):
    from bokeh.document import Document

    fig = bokeh_spectrum_importance(SPECTRUM, IMPORTANCE, axis=ENERGY)
    save_html(fig, tmp_path / "a.html")
    assert fig.document is None
    save_html(fig, tmp_path / "b.html")  # and again
    Document().add_root(fig)  # what bokeh.io.show does; raised before


def _chromium():
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@needs_bokeh
def test_bokeh_html_renders_in_headless_chromium(tmp_path):
    binary = _chromium()
    if binary is None:
        pytest.skip("Chromium not found (install Debian's `chromium` package)")
    path = _save(tmp_path)
    shot = tmp_path / "shot.png"
    command = [
        binary,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=900,600",
        path.resolve().as_uri(),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False
    )
    assert shot.is_file(), result.stderr[-2000:]
    pixels = mpimg.imread(shot)[:, :, :3]
    _assert_non_trivial(pixels)
    # The coloured line and colorbar: viridis pixels, purple (low importance)
    # and yellow (high importance), not just grey axes and text.
    assert _coloured_pixels(pixels) > 500
    yellow = (pixels[..., 0] > 0.75) & (pixels[..., 1] > 0.75) & (pixels[..., 2] < 0.4)
    purple = (pixels[..., 0] < 0.4) & (pixels[..., 1] < 0.2) & (pixels[..., 2] > 0.3)
    assert yellow.sum() > 20 and purple.sum() > 20
