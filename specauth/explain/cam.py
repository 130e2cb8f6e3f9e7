"""Class activation maps (CAM, HiResCAM, Grad-CAM) for 1D and 2D networks."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, overload

import numpy as np

from specauth._validation import Interval, check_choice, check_scalar
from specauth.explain._target import (
    class_indices,
    per_sample_classes,
    resolve_model,
)

if TYPE_CHECKING:
    from typing import Literal

    from numpy.typing import ArrayLike

    from specauth.explain._target import ExplainedModel

__all__ = ["CAM1D", "CAM2D", "feature_map_dims"]

_METHODS = ("cam", "hirescam", "gradcam")


def feature_map_dims(model: ExplainedModel) -> int:
    """Dimensionality of the last feature map of ``model``: 1 or 2.

    ``1`` means the network explains with :class:`CAM1D` (maps over the
    spectrum), ``2`` with :class:`CAM2D` (maps over an image, an imaged
    spectrum included).

    Parameters
    ----------
    model : CNNClassifier, OpenSetClassifier or keras.Model
        A fitted estimator, or a Keras network whose output is the logits.

    Returns
    -------
    dims : int

    Examples
    --------
    >>> from specauth.models import cnn1d
    >>> feature_map_dims(cnn1d((64, 1), 3, seed=0))
    1
    """
    from specauth.explain._network import split_network

    network, _, _ = resolve_model(model)
    return split_network(network).spatial_dims


class _BaseCAM:
    """Shared machinery of :class:`CAM1D` and :class:`CAM2D`."""

    _spatial_dims: int | None = None  # 1 or 2 in the subclasses

    def __init__(
        self,
        model: ExplainedModel,
        method: str = "cam",
        *,
        layer: str | None = None,
        batch_size: int = 32,
    ) -> None:
        from specauth.explain._network import split_network

        check_choice("method", method, _METHODS)
        check_scalar("batch_size", batch_size, Interval(Integral, 1, None))
        self.model = model
        self.method = method
        self.layer = layer
        self.batch_size = batch_size
        if method != "cam":
            from specauth.explain._gradients import gradient_function

            gradient_function(method=method)  # refuses a backend without them
        network, self.classes_, self._validate = resolve_model(model)
        self._split = split_network(network, layer)
        if self._split.spatial_dims != self._spatial_dims:
            other = "CAM2D" if self._split.spatial_dims == 2 else "CAM1D"
            raise ValueError(
                f"{type(self).__name__} explains networks with "
                f"{self._spatial_dims}D feature maps; this network's last feature "
                f"map is {self._split.spatial_dims}D. Use {other}."
            )
        if method == "cam" and self._split.cam_weights is None:
            where = (
                "this network's head has other layers"
                if layer is None
                else f"layer={layer!r} is not the last feature map"
            )
            raise ValueError(
                "method='cam' needs the last feature map followed by a "
                f"GlobalAveragePooling -> [Dropout] -> Dense head; {where}. Use "
                "method='hirescam' or 'gradcam'."
            )

    # ----------------------------------------------------------------- inputs
    def _inputs(self, X):
        if self._validate is not None:
            return self._validate(X)
        from specauth._validation import check_finite

        X = np.asarray(X, dtype=np.float32)
        check_finite(X, "X")
        expected = self._split.input_shape
        if X.ndim == len(expected) and X.shape == expected:
            X = X[np.newaxis]
        if X.ndim == len(expected) and len(expected) == 2 and expected[1] == 1:
            X = X[:, :, np.newaxis]
        if X.shape[1:] != expected:
            raise ValueError(
                f"`X` must hold samples of shape {expected}; got {X.shape[1:]}."
            )
        return X

    def _class_indices(self, classes, logits):
        return class_indices(classes, logits, self.classes_)

    # ------------------------------------------------------------------- maps
    def _feature_maps(self, X):
        # A direct call, not ``predict``: no function is traced per explainer,
        # so explaining a few spectra stays fast; ``X`` is one batch here.
        return _to_numpy(self._split.body(X, training=False)).astype(np.float32)

    def _low_resolution(self, features, indices):
        """Maps at the feature map's resolution, ``(n, *positions)``."""
        split = self._split
        if self.method == "cam":
            weights = split.cam_weights[:, indices].T  # (n, channels)
            return np.einsum("n...k,nk->n...", features.astype(np.float64), weights)
        from specauth.explain._gradients import logit_gradients

        grads = logit_gradients(split.head, features, indices).astype(np.float64)
        features = features.astype(np.float64)
        if self.method == "hirescam":
            return np.sum(grads * features, axis=-1)
        axes = tuple(range(1, grads.ndim - 1))
        alphas = grads.mean(axis=axes, keepdims=True)
        return np.maximum(np.sum(alphas * features, axis=-1), 0.0)

    def _explain(self, X, classes):
        X = self._inputs(X)
        if classes is not None:  # checked whole, before batching cuts it up
            classes = per_sample_classes(classes, len(X))
        maps, predicted, chosen = [], [], []
        for start in range(0, len(X), self.batch_size):
            batch = X[start : start + self.batch_size]
            features = self._feature_maps(batch)
            logits = _to_numpy(self._split.head(features, training=False))
            part = None if classes is None else _slice(classes, start, len(batch))
            indices = self._class_indices(part, logits)
            maps.append(self._low_resolution(features, indices))
            predicted.append(np.argmax(logits, axis=1))
            chosen.append(indices)
        from specauth.explain._resample import upsample

        low = np.concatenate(maps)
        self.class_indices_ = np.concatenate(chosen)
        self.predicted_indices_ = np.concatenate(predicted)
        self.low_resolution_maps_ = low
        return upsample(low, self._split.image_shape)

    def _label(self, indices):
        return indices if self.classes_ is None else self.classes_[indices]


def _to_numpy(tensor):
    """A backend tensor as numpy; torch's need detaching and moving to the CPU."""
    from specauth._lazy import import_keras

    return import_keras().ops.convert_to_numpy(tensor)


def _slice(classes, start, size):
    return classes if classes.ndim == 0 else classes[start : start + size]


class CAM1D(_BaseCAM):
    """Class activation maps of a 1D network over the spectrum.

    For the last convolutional feature map ``A`` (positions x channels) and a
    class ``c``:

    - ``"cam"`` (Zhou et al. 2016): ``sum_k W[k, c] A[:, k]`` with ``W`` the
      weights of the GAP -> Dense head; no gradients;
    - ``"hirescam"`` (Draelos & Carin 2020): ``sum_k dy_c/dA[:, k] * A[:, k]``
      -- for a GAP head exactly ``cam / positions``, and defined for any head;
    - ``"gradcam"`` (Selvaraju et al. 2017): ``relu(sum_k alpha_k A[:, k])``
      with ``alpha_k`` the gradient averaged over positions.

    Maps are linearly upsampled from the feature positions to the spectrum
    length (cell centres). The model is never modified; only its head is
    differentiated, so explanations are cheap.

    Backends: ``"cam"`` needs no gradients and runs on any Keras backend; the
    gradient methods run on the tensorflow, jax and torch backends (checked
    against the same analytic results on each; torch on a CUDA GPU) and are
    refused with a ValueError on others (e.g. ``"numpy"``).

    Parameters
    ----------
    model : CNNClassifier, OpenSetClassifier or keras.Model
        Fitted estimator, or a Keras model that outputs logits through a
        global-average-pooling (or flatten) head.
    method : {"cam", "hirescam", "gradcam"}, default="cam"
    layer : str or None, default=None
        Name of the layer whose output is the feature map. None: the last
        feature map (the input of the pooling head). An earlier layer gives
        finer maps, with the gradient methods only.
    batch_size : int, default=32
        Spectra per forward pass.

    Attributes
    ----------
    classes_ : ndarray or None
        The model's class labels (None for a bare Keras model).
    class_indices_, predicted_indices_ : ndarray of int
        After :meth:`explain`: the explained and the predicted class index of
        each sample.
    low_resolution_maps_ : ndarray
        After :meth:`explain`: the maps at feature-map resolution.

    Raises
    ------
    ValueError
        For an unknown method, a network with 2D feature maps (use
        :class:`CAM2D`), ``"cam"`` on a head other than GAP -> Dense, or a
        gradient method on a Keras backend without gradients here.
    TypeError
        For a model of another type.

    Examples
    --------
    >>> from specauth.datasets import make_spectra
    >>> from specauth.estimators import CNNClassifier
    >>> data = make_spectra(3, 20, length=128, random_state=0)
    >>> clf = CNNClassifier("cnn1d_small", epochs=3, random_state=0)
    >>> clf = clf.fit(data.X, data.y)
    >>> CAM1D(clf).explain(data.X[:4]).shape
    (4, 128)
    """

    _spatial_dims = 1

    def explain(self, X: ArrayLike, classes: ArrayLike | None = None) -> np.ndarray:
        """Return one importance map per spectrum.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points) or (n_samples, n_points, \
n_channels)
            Spectra, as given to the model's ``predict``.
        classes : label, array-like of labels, or None, default=None
            Class to explain, one for all or one per spectrum (labels of
            ``classes_``; class indices for a bare Keras model). None: the
            predicted class.

        Returns
        -------
        maps : ndarray of shape (n_samples, n_points)
            Importance of every point (higher: more evidence for the class).
        """
        return self._explain(X, classes)


class CAM2D(_BaseCAM):
    """Class activation maps of a 2D network, and of imaged spectra.

    Same methods as :class:`CAM1D` on a 2D feature map (a pretrained base of
    :class:`~specauth.models.CNNFactory` nested inside the model included),
    bilinearly upsampled to the image size. For a network that images spectra
    inside (``imaging="gasf"``), maps have the size of the Gramian field and
    :meth:`spectrum_importance` reduces them to one importance per point of
    the spectrum.

    Parameters
    ----------
    model : CNNClassifier, OpenSetClassifier or keras.Model
    method : {"cam", "hirescam", "gradcam"}, default="cam"
    layer : str or None, default=None
        As in :class:`CAM1D`; layers inside a nested pretrained base cannot be
        chosen (its output, layer ``"base"``, is the default map).
    batch_size : int, default=32

    Examples
    --------
    A Keras network from :class:`~specauth.models.CNNFactory` (untrained
    here, to keep the example fast; a fitted ``CNNClassifier`` works the same
    and takes class labels):

    >>> from specauth.datasets import make_spectra
    >>> from specauth.models import CNNFactory
    >>> data = make_spectra(3, 10, length=64, random_state=0)
    >>> network = CNNFactory("mobilenetv2", weights=None, imaging="gasf",
    ...                      image_size=32, base_options={"alpha": 0.35})
    >>> cam = CAM2D(network((64, 1), 3, seed=0), method="gradcam")
    >>> cam.explain(data.X[:2]).shape, cam.spectrum_importance(data.X[:2]).shape
    ((2, 32, 32), (2, 64))
    """

    _spatial_dims = 2

    def explain(self, X: ArrayLike, classes: ArrayLike | None = None) -> np.ndarray:
        """Return one map per image (or per imaged spectrum).

        Parameters
        ----------
        X : array-like
            Images ``(n, height, width, channels)``, or spectra for a network
            that images them inside.
        classes : label, array-like of labels, or None, default=None
            As in :meth:`CAM1D.explain`.

        Returns
        -------
        maps : ndarray of shape (n_samples, height, width)
        """
        return self._explain(X, classes)

    @overload
    def spectrum_importance(
        self,
        X: ArrayLike,
        classes: ArrayLike | None = ...,
        *,
        return_symmetric: Literal[False] = ...,
    ) -> np.ndarray: ...
    @overload
    def spectrum_importance(
        self,
        X: ArrayLike,
        classes: ArrayLike | None = ...,
        *,
        return_symmetric: Literal[True],
    ) -> tuple[np.ndarray, np.ndarray]: ...
    @overload
    def spectrum_importance(
        self,
        X: ArrayLike,
        classes: ArrayLike | None = ...,
        *,
        return_symmetric: bool,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]: ...
    def spectrum_importance(
        self,
        X: ArrayLike,
        classes: ArrayLike | None = None,
        *,
        return_symmetric: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Reduce the maps of imaged spectra to importances over the spectrum.

        The map is symmetrised (a Gramian field relates points ``i`` and ``j``
        symmetrically) and averaged over one axis; every spectrum point takes
        the value of its piecewise-aggregate segment.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Spectra.
        classes : label, array-like of labels, or None, default=None
        return_symmetric : bool, default=False
            Also return the symmetrised 2D maps.

        Returns
        -------
        importance : ndarray of shape (n_samples, n_points)
        symmetric : ndarray of shape (n_samples, size, size)
            Only with ``return_symmetric=True``.

        Raises
        ------
        ValueError
            If the network does not image spectra inside
            (no ``GramianAngularLayer``).
        """
        if self._split.imaging is None:
            raise ValueError(
                "spectrum_importance needs a network that images spectra inside "
                "(CNNFactory(..., imaging='gasf')); this one takes images."
            )
        from specauth.explain._resample import image_map_to_spectrum

        maps = self._explain(X, classes)
        symmetric, importance = image_map_to_spectrum(maps, self._split.input_shape[0])
        return (importance, symmetric) if return_symmetric else importance
