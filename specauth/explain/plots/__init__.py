"""Plots of spectra, explanations, training and detectors.

matplotlib functions return the ``Axes`` (or the ``Figure`` for a grid) they
drew on, take an optional ``ax`` and never call ``plt.show()``:

- :func:`plot_spectrum_importance` -- a spectrum on its physical axis with
  the importance as a coloured band beneath it (or background, or line), a
  zero-centred colour scale for signed importances and the top regions
  labelled with their axis values,
- :func:`plot_importance_panels` -- several spectra, or several classes of
  one, stacked on one shared colour scale,
- :func:`plot_image_cam` -- an image with its CAM overlaid and the imaged
  spectrum in the margins,
- :func:`plot_confusion_matrix` -- square or open-set (with "unknown"),
- :func:`plot_top_losses` -- the worst-predicted spectra with explanations,
- :func:`plot_lr_find`, :func:`plot_history` -- learning-rate finder and
  training history with the learning-rate schedule,
- :func:`plot_score_histograms`, :func:`plot_detector_scores` -- detector
  scores of train, test and unknown data with the threshold,
- :func:`plot_parity`, :func:`plot_residuals` -- a regressor's predictions
  against the reference values.

Interactive (needs bokeh, ``pip install 'specauth[explain]'``):

- :func:`bokeh_spectrum_importance`, :func:`save_html` -- the same spectrum
  plot with a hover readout, saved as standalone HTML.

matplotlib and bokeh are imported when a function is called.
"""

from __future__ import annotations

from specauth.explain.plots.confusion import plot_confusion_matrix
from specauth.explain.plots.detectors import plot_detector_scores, plot_score_histograms
from specauth.explain.plots.image import plot_image_cam
from specauth.explain.plots.interactive import bokeh_spectrum_importance, save_html
from specauth.explain.plots.losses import plot_top_losses
from specauth.explain.plots.regression import plot_parity, plot_residuals
from specauth.explain.plots.spectrum import (
    plot_importance_panels,
    plot_spectrum_importance,
)
from specauth.explain.plots.training import plot_history, plot_lr_find

__all__ = [
    "plot_spectrum_importance",
    "plot_importance_panels",
    "plot_image_cam",
    "plot_confusion_matrix",
    "plot_top_losses",
    "plot_lr_find",
    "plot_history",
    "plot_score_histograms",
    "plot_parity",
    "plot_residuals",
    "plot_detector_scores",
    "bokeh_spectrum_importance",
    "save_html",
]
