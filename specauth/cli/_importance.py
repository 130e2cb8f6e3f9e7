"""Importance maps of a loaded model, with the titles and spectra they are
shown with: shared by ``specauth explain`` and ``specauth report``."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "IMPORTANCE_LABELS",
    "display_axis",
    "display_spectrum",
    "importance_maps",
    "network_estimator",
    "sample_title",
]

#: Colour-bar label of each method's maps, with their units.
IMPORTANCE_LABELS = {
    "cam": "CAM: logit evidence per point",
    "hirescam": "HiResCAM: logit contribution per point",
    "gradcam": "Grad-CAM (relative, >= 0)",
    "shap": "SHAP value (logit units)",
}


def network_estimator(final: Any, where: str) -> Any:
    """The CNN estimator holding the network of ``final``; error if none."""
    inner = getattr(final, "classifier_", final)
    if not hasattr(inner, "network_"):
        raise ValueError(
            f"{where} holds a {type(final).__name__} without a neural network; "
            "explanations need a CNNClassifier (or an OpenSetClassifier "
            "around one)."
        )
    return inner


def _spatial_dims(estimator):
    from specauth.explain import feature_map_dims

    return feature_map_dims(estimator)


def importance_maps(
    final: Any,
    Xt: np.ndarray,
    classes: Any = None,
    *,
    method: str = "cam",
    background: str | np.ndarray = "blur",
) -> np.ndarray:
    """Importance of every point of the preprocessed spectra ``Xt``.

    Parameters
    ----------
    final : CNNClassifier or OpenSetClassifier
        The last step of a loaded model.
    Xt : ndarray of shape (n_samples, n_points)
        Spectra after the model's preprocessing.
    classes : label, array-like of labels or None, default=None
        Class explained for each spectrum; None: the most probable one.
    method : {"cam", "hirescam", "gradcam", "shap"}, default="cam"
    background : {"blur", "mean", "zeros"} or ndarray, default="blur"
        SHAP only: the reference that replaces hidden segments, as in
        :class:`~specauth.explain.ShapExplainer` (an array is in the space of
        ``Xt``, e.g. :func:`background_mean` of training spectra).

    Returns
    -------
    maps : ndarray of shape (n_samples, n_points)
    """
    from specauth.explain import CAM1D, CAM2D, ShapExplainer

    estimator = network_estimator(final, "The model")
    with warnings.catch_warnings():
        # Keras warns that the CAM's sub-network gets a tensor, not a dict.
        warnings.filterwarnings("ignore", "The structure of `inputs`", UserWarning)
        if method == "shap":
            explainer = ShapExplainer(
                estimator, background=background, max_evals=300, random_state=0
            )
            return np.asarray(explainer.explain(Xt, classes))
        if _spatial_dims(estimator) == 2:
            cam = CAM2D(estimator, method=method)
            return cam.spectrum_importance(Xt, classes)
        return CAM1D(estimator, method=method).explain(Xt, classes)


def sample_title(
    index: int,
    label: object,
    proba: np.ndarray,
    classes: Sequence[Any],
    explained: object,
) -> str:
    """Title: predicted label, probability and the class explained."""
    top = int(np.argmax(proba))
    known = {str(c) for c in classes}
    if str(label) in known:
        head = f"sample {index}: {label} (p={proba[top]:.2f})"
    else:
        head = f"sample {index}: {label} (closest {classes[top]}, p={proba[top]:.2f})"
    return f"{head}; importance for {explained}"


def display_axis(model: Any, n_points: int) -> Any:
    """The axis the network sees (after crops), when it has ``n_points`` values."""
    from specauth.cli._axis import model_axis

    axis = model_axis(model, where="final")
    return axis if axis is not None and len(axis) == n_points else None


def display_spectrum(
    raw: np.ndarray, preprocessed: np.ndarray, model: Any = None
) -> np.ndarray:
    """The spectrum drawn under a map of ``preprocessed.shape[-1]`` points.

    The raw spectrum when its length matches the map; the raw spectrum's
    kept points when the model crops it on a known axis; else the
    preprocessed spectrum.
    """
    n_points = preprocessed.shape[-1]
    if raw.shape[-1] == n_points:
        return raw
    if model is not None:
        from specauth.cli._axis import model_axis

        source = model_axis(model)
        final = display_axis(model, n_points)
        if source is not None and final is not None and len(source) == raw.shape[-1]:
            index = np.searchsorted(np.sort(source.values), final.values)
            order = np.argsort(source.values)
            index = order[np.clip(index, 0, len(order) - 1)]
            if np.allclose(source.values[index], final.values):
                return raw[index]
    return preprocessed
