"""Explanations of the networks' decisions, interpretation and plots.

- :class:`CAM1D`, :class:`CAM2D` -- class activation maps (CAM, HiResCAM,
  Grad-CAM) over the spectrum or the image, for any class, a batch at once,
  also through a pretrained base nested in the model; for imaged spectra a
  symmetrised map and its reduction to the spectrum axis;
  :func:`feature_map_dims` tells which of the two fits a network;
- :class:`ShapExplainer` -- model-agnostic SHAP values (shap's Partition or
  Permutation explainer) over contiguous spectral segments or image regions;
- :class:`Interpretation` -- confusion matrix, most confused pairs, top losses
  and a classification report, computed batch by batch;
- :mod:`specauth.explain.plots` -- matplotlib figures (spectra coloured by
  importance, CAM overlays, confusion matrices, top losses, training history,
  learning-rate finder, detector scores, a regressor's parity and residuals)
  and an interactive bokeh spectrum.

Names are imported on first use, so ``import specauth.explain`` does not load
TensorFlow.
"""

from __future__ import annotations

from specauth._lazy import lazy_exports

__all__ = [
    "CAM1D",
    "CAM2D",
    "feature_map_dims",
    "ShapExplainer",
    "Interpretation",
    "plot_spectrum_importance",
    "plot_importance_panels",
    "plot_image_cam",
    "plot_confusion_matrix",
    "plot_top_losses",
    "plot_lr_find",
    "plot_history",
    "plot_score_histograms",
    "plot_detector_scores",
    "plot_parity",
    "plot_residuals",
    "bokeh_spectrum_importance",
    "save_html",
]

_MODULES = {
    "CAM1D": "cam",
    "CAM2D": "cam",
    "ShapExplainer": "shap_explainer",
    "Interpretation": "interpretation",
    "feature_map_dims": "cam",
    **{name: "plots" for name in __all__[5:]},
}


__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
