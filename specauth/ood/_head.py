"""Detectors that read the classifier's last Dense layer as well as its features.

ViM, fDBD, ReAct, ASH, SCALE and NNGuide score the embedding *and* the logits
it produces, ``logits = features @ weight + bias``. :class:`HeadDetector`
owns where that last layer comes from -- ``model.head_weights()`` when a
fitted model is given, else the ``weight`` and ``bias`` parameters, which
:class:`~specauth.openset.OpenSetClassifier` sets from its classifier -- and
checks its shape against the features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.ood._base import BaseDetector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["HeadDetector"]


class HeadDetector(BaseDetector):
    """Base of the detectors that need the last Dense layer; not used directly.

    ``_fit`` of a subclass calls :meth:`_fit_head` first, which sets
    ``weight_`` and ``bias_`` (float64 copies) from ``model.head_weights()``
    or from the ``weight`` and ``bias`` parameters. A subclass that needs the
    layer before setting them (ViM) calls :meth:`_head_arrays` and
    :meth:`_check_head` itself.

    Parameters
    ----------
    weight : array-like of shape (n_features, n_classes) or None, default=None
        Kernel of the last Dense layer, when ``model`` is None.
    bias : array-like of shape (n_classes,) or None, default=None
        Its bias, when ``model`` is None.
    model : estimator or None, default=None
        Fitted classifier providing the embedding and ``head_weights()``.
    alpha : float, default=0.05
        Fraction of the training data rejected, in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import ReAct
    >>> det = ReAct(weight=np.eye(2), bias=np.zeros(2)).fit(np.eye(2))
    >>> det.weight_.dtype, det.bias_.shape
    (dtype('float64'), (2,))
    """

    input_kind = "features"

    _parameter_constraints: dict[str, list[Any]] = {
        **BaseDetector._parameter_constraints,
        "weight": ["array-like", None],
        "bias": ["array-like", None],
    }

    def __init__(
        self,
        *,
        weight: ArrayLike | None = None,
        bias: ArrayLike | None = None,
        model: Any = None,
        alpha: float = 0.05,
    ) -> None:
        super().__init__(model=model, alpha=alpha)
        self.weight = weight
        self.bias = bias

    def _fit_head(self, n_features: int) -> None:
        """Set ``weight_`` and ``bias_`` and check them against the features."""
        weight, bias = self._head_arrays()
        self._check_head(weight, bias, n_features)
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise ValueError("`weight` and `bias` must be finite; got NaN or inf.")
        self.weight_ = weight
        self.bias_ = bias

    def _check_head(
        self, weight: np.ndarray, bias: np.ndarray, n_features: int
    ) -> None:
        """Raise a ValueError unless ``weight`` and ``bias`` fit the features."""
        if weight.ndim != 2 or weight.shape[0] != n_features:
            raise ValueError(
                f"`weight` must have shape (n_features, n_classes) with n_features="
                f"{n_features}, the width of the features; got shape {weight.shape}."
            )
        if bias.shape != (weight.shape[1],):
            raise ValueError(
                f"`bias` must have shape ({weight.shape[1]},) to match `weight`; "
                f"got shape {bias.shape}."
            )

    def _head_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(weight, bias)`` as float64 copies, from the model or params.

        A ``head_weights()`` giving the kernel alone (a head without a bias)
        gets a zero bias.
        """
        name = type(self).__name__
        given = self.weight is not None or self.bias is not None
        if self.model is not None:
            if given:
                raise ValueError(
                    "Pass either a fitted `model` or `weight` and `bias`, not both: "
                    f"with a model, {name} reads its last Dense layer."
                )
            if not callable(getattr(self.model, "head_weights", None)):
                raise TypeError(
                    "`model` must be a fitted classifier whose `head_weights()` "
                    "returns its last Dense layer, such as a CNNClassifier; got "
                    f"{type(self.model).__name__}."
                )
            arrays = self.model.head_weights()
        elif self.weight is None or self.bias is None:
            raise ValueError(
                f"{name} needs the last Dense layer of the classifier: pass "
                "`weight` (n_features, n_classes) and `bias` (n_classes,), or a "
                f"fitted `model`; got weight={_shape(self.weight)}, "
                f"bias={_shape(self.bias)}."
            )
        else:
            arrays = [self.weight, self.bias]
        weight = np.array(arrays[0], dtype=np.float64)
        if len(arrays) < 2:
            return weight, np.zeros(weight.shape[-1])
        return weight, np.array(arrays[1], dtype=np.float64)

    def _logits(self, Z: np.ndarray) -> np.ndarray:
        """Logits of the features ``Z`` through the fitted last layer."""
        return Z @ self.weight_ + self.bias_


def _shape(value):
    return None if value is None else np.shape(value)
