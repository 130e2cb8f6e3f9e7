"""What a fitted classifier can give a detector: embedding, logits, head.

:class:`~specauth.openset.OpenSetClassifier` serves any scikit-learn
classifier. A detector reads one of two inputs (its ``input_kind``), and some
also need the classifier's last linear layer (their ``weight`` and ``bias``
parameters, as :class:`~specauth.ood.ViM` does). This module says where each
comes from, in order of preference:

- **embedding** (``input_kind="features"``): the classifier's own
  ``transform`` (a specauth network's embedding, a PLS-DA's scores); for a
  ``Pipeline`` whose last step has no ``transform``, the output of the steps
  before it (the input of its final classifier);
- **head** (``weight``, ``bias``): a specauth estimator's ``head_weights()``,
  or the ``coef_`` and ``intercept_`` of a ``Pipeline``'s final linear
  classifier -- used only when ``embedding @ weight + bias`` reproduces its
  ``decision_function`` on the training data;
- **logits** (``input_kind="logits"``): ``embedding @ weight + bias`` when
  there is a head; else ``decision_function`` (a binary classifier's single
  column ``d`` becomes ``[-d/2, d/2]``, whose softmax is its sigmoid); else
  the log of ``predict_proba``, whose softmax gives the probabilities back.
  Those log-probabilities sum, through ``exp``, to 1 for every sample, so a
  detector that reads the logits' scale (Energy, MaxLogit) cannot use them:
  it is refused with a message saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Capabilities", "capabilities", "embedding", "head", "logits"]

#: Detectors whose score depends on the logits' scale, not only on softmax.
SCALE_DETECTORS = ("Energy", "MaxLogit")
#: Rows of the training data on which a linear head is checked.
_HEAD_CHECK_ROWS = 64
#: Tolerance of that check, relative to the largest decision value.
_HEAD_RTOL = 1e-4


class Capabilities(NamedTuple):
    """What a classifier can give: booleans, and where logits come from."""

    embedding: bool
    logits: str | None  # "head", "decision_function", "predict_proba" or None


def _final_step(classifier):
    """The last step of a Pipeline (``None`` for anything else)."""
    from sklearn.pipeline import Pipeline

    if isinstance(classifier, Pipeline) and len(classifier.steps) > 1:
        return classifier.steps[-1][1]
    return None


def _has(obj, name):
    return callable(getattr(obj, name, None))


def capabilities(classifier: Any, head_available: bool = False) -> Capabilities:
    """What ``classifier`` (fitted or not) can give the detectors.

    Parameters
    ----------
    classifier : estimator
        The classifier (its methods are looked up, nothing is computed).
    head_available : bool, default=False
        Whether a linear head was found (see :func:`head`): logits then come
        from it.

    Returns
    -------
    capabilities : Capabilities

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> capabilities(make_pipeline(StandardScaler(), LogisticRegression()))
    Capabilities(embedding=True, logits='decision_function')
    >>> capabilities(LogisticRegression())
    Capabilities(embedding=False, logits='decision_function')
    """
    has_embedding = _has(classifier, "transform") or _final_step(classifier) is not None
    if head_available or _has(classifier, "head_weights"):
        source: str | None = "head"
    elif _has(classifier, "decision_function"):
        source = "decision_function"
    elif _has(classifier, "predict_proba"):
        source = "predict_proba"
    else:
        source = None
    return Capabilities(embedding=has_embedding, logits=source)


def embedding(classifier: Any, X: ArrayLike) -> np.ndarray:
    """The embedding of ``X``: ``transform``, or the steps before a final one.

    Parameters
    ----------
    classifier : estimator
        A fitted classifier with ``transform``, or a fitted ``Pipeline``.
    X : array-like
        Its inputs.

    Returns
    -------
    features : ndarray of shape (n_samples, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> embedding(pipe, X).ravel().round(3)
    array([-1.342, -0.447,  0.447,  1.342])
    """
    if _has(classifier, "transform"):
        features = classifier.transform(X)
    elif _final_step(classifier) is not None:
        features = classifier[:-1].transform(X)
    else:
        raise TypeError(
            f"{type(classifier).__name__} has no embedding: it needs a "
            "`transform` method, or must be a Pipeline whose steps before the "
            "final classifier transform the inputs."
        )
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        features = features.reshape(features.shape[0], -1)
    return features


def head(
    classifier: Any,
    features: np.ndarray | None = None,
    X: ArrayLike | None = None,
    *,
    check: bool = True,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The last linear layer ``(weight, bias)``, or ``None`` when there is none.

    A specauth estimator gives it through ``head_weights()`` (also as the
    final step of a Pipeline, whose ``transform`` then ends with that
    step's embedding). A Pipeline's final classifier with ``coef_`` and
    ``intercept_`` gives ``(coef_.T, intercept_)`` (a single row ``w`` of a
    binary classifier as the columns ``[-w/2, w/2]``), kept only if
    ``features @ weight + bias`` equals its ``decision_function`` on the
    first rows of ``X`` (``features`` being their embedding).

    Parameters
    ----------
    classifier : estimator
        A fitted classifier.
    features : ndarray of shape (n_samples, n_features), default=None
        Embedding of ``X``, for the check of a Pipeline's head.
    X : array-like, default=None
        Training inputs whose embedding is ``features``.
    check : bool, default=True
        Check a Pipeline's head on ``X`` (without ``features`` and ``X`` there
        is then no head); ``False`` trusts it (it was checked when fitting).

    Returns
    -------
    head : tuple of ndarray, or None
        ``weight`` of shape (n_features, n_classes) and ``bias`` of shape
        (n_classes,).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> weight, bias = head(pipe, embedding(pipe, X), X)
    >>> weight.shape, bias.shape
    ((1, 2), (2,))
    """
    final = _final_step(classifier)
    owner = classifier if _has(classifier, "head_weights") else None
    if owner is None and _has(final, "head_weights") and _has(classifier, "transform"):
        owner = final  # the Pipeline's transform ends with the final step's
    if owner is not None:
        weight, bias = owner.head_weights()
        return np.asarray(weight, np.float64), np.asarray(bias, np.float64)
    coef = getattr(final, "coef_", None)
    intercept = getattr(final, "intercept_", None)
    if coef is None or intercept is None or not _has(final, "decision_function"):
        return None
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    bias = np.broadcast_to(np.asarray(intercept, np.float64), coef.shape[:1])
    if coef.shape[0] == 1:  # binary: one decision column d -> [-d/2, d/2]
        weight = np.hstack([-coef.T / 2.0, coef.T / 2.0])
        bias = np.array([-bias[0] / 2.0, bias[0] / 2.0])
    else:
        weight = coef.T
    if not check:
        return weight, np.array(bias, dtype=np.float64)
    if features is None or X is None or weight.shape[0] != features.shape[1]:
        return None
    n = _HEAD_CHECK_ROWS
    first = X.iloc[:n] if hasattr(X, "iloc") else np.asarray(X)[:n]
    expected = _as_logits(np.asarray(classifier.decision_function(first), float))
    found = features[:n] @ weight + bias
    # Loose enough for float32 inputs (sklearn then computes in float32: a
    # relative error near 1e-6 on large spectra), tight enough to refuse a
    # head that is not the classifier's (a one-vs-one SVC is off by O(1)).
    scale = max(float(np.abs(expected).max(initial=0.0)), 1.0)
    if expected.shape != found.shape or not np.allclose(
        found, expected, rtol=_HEAD_RTOL, atol=_HEAD_RTOL * scale
    ):
        return None
    return weight, np.array(bias, dtype=np.float64)


def _as_logits(decision):
    """``decision_function`` output as one column per class."""
    if decision.ndim == 1:
        return np.column_stack([-decision / 2.0, decision / 2.0])
    return decision


def logits(
    classifier: Any,
    X: ArrayLike,
    *,
    features: np.ndarray | None = None,
    linear_head: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Class scores of ``X`` (see the module for where they come from).

    Parameters
    ----------
    classifier : estimator
        A fitted classifier.
    X : array-like
        Its inputs.
    features : ndarray, default=None
        The embedding of ``X``, when already computed (used with a head).
    linear_head : tuple of ndarray, default=None
        ``(weight, bias)`` from :func:`head`.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> from scipy.special import softmax
    >>> np.allclose(softmax(logits(clf, X), axis=1), clf.predict_proba(X))
    True
    """
    if linear_head is not None:
        if features is None:
            features = embedding(classifier, X)
        weight, bias = linear_head
        return features @ weight + bias
    if _has(classifier, "decision_function"):
        return _as_logits(np.asarray(classifier.decision_function(X), np.float64))
    if _has(classifier, "predict_proba"):
        proba = np.asarray(classifier.predict_proba(X), dtype=np.float64)
        return np.log(np.clip(proba, np.finfo(np.float64).tiny, None))
    raise TypeError(
        f"{type(classifier).__name__} gives no class scores: a logit detector "
        "needs `decision_function` or `predict_proba` (or a specauth network's "
        "head)."
    )
