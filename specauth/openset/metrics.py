"""Figures of merit for open-set (authentication) classifiers.

An open-set classifier either assigns a sample to one of the classes it was
trained on or rejects it as ``unknown_label``. :func:`figures_of_merit` scores
such predictions the way the chemometrics literature scores authentication
models (Pomerantsev & Rodionova, 2018): total sensitivity, specificity and
efficiency, their per-class versions, the accuracy and a confusion matrix with
an "unknown" column.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

# ``ood_metrics`` lives in its own module (one concept per file); it is
# re-exported here so both metrics can be imported from one place.
from specauth.openset.detection_metrics import ood_metrics

__all__ = ["figures_of_merit", "ood_metrics"]


def figures_of_merit(
    y_pred: ArrayLike,
    y_true: ArrayLike,
    known_classes: ArrayLike,
    unknown_label: Any = "unknown",
    *,
    score_using: Any = "all",
) -> dict[str, Any]:
    r"""Total and per-class sensitivity, specificity and efficiency.

    Scores the predictions of an open-set classifier, which either assigns a
    sample to one of ``known_classes`` or rejects it as ``unknown_label``.
    Samples whose true class is not in ``known_classes`` are *never-trained*
    samples: the right answer for them is ``unknown_label``.

    Note the argument order: predictions first, as in pychemauth (the
    reverse of scikit-learn's ``(y_true, y_pred)``).

    Parameters
    ----------
    y_pred : array-like of shape (n_samples,)
        Predicted labels; each one is a known class or ``unknown_label``.
    y_true : array-like of shape (n_samples,)
        True labels; labels outside ``known_classes`` mark never-trained
        samples.
    known_classes : array-like of shape (n_classes,)
        The distinct classes the model was trained on (``classes_``), in the
        order used for the confusion matrix.
    unknown_label : str or int, default="unknown"
        The label that means "rejected"; it must not be a known class. It may
        be of another type than the classes (``-1`` or ``"unknown"`` with
        integer classes): labels are compared as Python objects, so ``1`` and
        ``"1"`` differ while ``1`` and ``np.int64(1)`` are equal.
    score_using : "all" or a known class, default="all"
        ``"all"`` computes the total figures over every known class (see
        Notes). A known class ``c`` gives the one-class view, in which ``c``
        is the only inlier class and ``TSNS``, ``TSPS`` and ``TEFF`` equal
        ``CSNS[c]``, ``CSPS[c]`` and ``CEFF[c]``. The string ``"all"`` always
        means the total view, even if ``"all"`` is a known class.

    Returns
    -------
    fom : dict
        A plain dict (JSON- and pandas-friendly) with keys

        - ``"TSNS"``, ``"TSPS"``, ``"TEFF"``, ``"ACC"`` : float (NaN when
          undefined, see Notes);
        - ``"CSNS"``, ``"CSPS"``, ``"CEFF"`` : dict mapping each known class
          (in ``known_classes`` order) to a float;
        - ``"confusion_matrix"`` : ndarray of int64, shape (n_rows, n_classes
          + 1), counts of true class (row) against prediction (column);
        - ``"rows"`` : list, the row labels: every known class in
          ``known_classes`` order (all-zero rows for classes absent from
          ``y_true``), then each never-trained class found in ``y_true``,
          sorted (numbers before strings);
        - ``"columns"`` : list, the known classes then ``unknown_label``.

        Labels are returned as Python scalars (``str``, ``int``).

    Raises
    ------
    ValueError
        If the inputs are empty or not 1D, ``y_pred`` and ``y_true`` differ in
        length, ``known_classes`` holds duplicates or ``unknown_label``,
        ``y_pred`` holds a label that is neither a known class nor
        ``unknown_label``, ``y_true`` holds None/NaN, or ``score_using`` is
        neither ``"all"`` nor a known class.
    TypeError
        If a label is not hashable.

    See Also
    --------
    ood_metrics : Threshold-free scores of an out-of-distribution detector.

    Notes
    -----
    Let :math:`K` be the known classes, :math:`n_{t,p}` the number of samples
    of true class :math:`t` predicted :math:`p`, :math:`n_t = \sum_p n_{t,p}`,
    :math:`N` the number of samples, :math:`N_K = \sum_{t \in K} n_t` the
    number of known-class samples and :math:`N_U = N - N_K` the number of
    never-trained samples. With :math:`u` = ``unknown_label``:

    .. math::

        \mathrm{TSNS} &= \frac{1}{N_K} \sum_{k \in K} n_{k,k}
            \quad\text{(known samples accepted as their own class)}\\
        \mathrm{TSPS} &= \frac{1}{N_U} \sum_{t \notin K} n_{t,u}
            \quad\text{(never-trained samples rejected)}\\
        \mathrm{ACC} &= \frac{1}{N} \Big(\sum_{k \in K} n_{k,k}
            + \sum_{t \notin K} n_{t,u}\Big)\\
        \mathrm{CSNS}_c &= n_{c,c} / n_c\\
        \mathrm{CSPS}_c &= \frac{1}{N - n_c} \sum_{t \neq c}
            (n_t - n_{t,c})
            \quad\text{(samples not of class } c
            \text{, never-trained ones included, not predicted } c)

    Rejecting a never-trained sample counts as correct in ``ACC``; rejecting
    a known-class sample does not.

    In the one-class view (``score_using=c``): :math:`\mathrm{TSNS} =
    \mathrm{CSNS}_c`, :math:`\mathrm{TSPS} = \mathrm{CSPS}_c`; the other keys
    are the same as for ``"all"``.

    A ratio whose denominator is zero is NaN (no warning): ``TSPS`` when there
    are no never-trained samples, ``TSNS`` when there are no known-class
    samples, ``CSNS[c]`` when class ``c`` is absent from ``y_true``,
    ``CSPS[c]`` when every sample is of class ``c``.

    Efficiencies are geometric means, :math:`\mathrm{TEFF} =
    \sqrt{\mathrm{TSNS} \cdot \mathrm{TSPS}}` and :math:`\mathrm{CEFF}_c =
    \sqrt{\mathrm{CSNS}_c \cdot \mathrm{CSPS}_c}`, except that when one factor
    is NaN the efficiency is the other factor, as in pychemauth: with no
    never-trained samples ``TEFF = TSNS``, with only never-trained samples
    ``TEFF = TSPS``, and for a class absent from ``y_true`` ``CEFF[c] =
    CSPS[c]``.

    These are the definitions of Pomerantsev & Rodionova (2018) for a *hard*
    model (one answer per sample) extended with an unknown column; pychemauth
    normalises its multi-class TSNS and TSPS by the total number of samples
    instead, so its values differ when never-trained samples are present.

    References
    ----------
    .. [1] A. L. Pomerantsev and O. Ye. Rodionova, "Multiclass partial least
       squares discriminant analysis: Taking the right way - A critical
       tutorial", J. Chemometrics 32 (2018) e3030.
       https://doi.org/10.1002/cem.3030
    .. [2] A. L. Pomerantsev and O. Ye. Rodionova, "Popular decision rules in
       SIMCA: Critical review", J. Chemometrics 34 (2020) e3250.
    .. [3] N. A. Mahynski et al., pychemauth documentation,
       https://pychemauth.readthedocs.io

    Examples
    --------
    Two known classes and one never-trained sample ``"x"``; one ``"a"`` is
    mistaken for ``"b"`` and one ``"b"`` is wrongly rejected:

    >>> from specauth.openset.metrics import figures_of_merit
    >>> y_true = ["a", "a", "b", "b", "x"]
    >>> y_pred = ["a", "b", "b", "unknown", "unknown"]
    >>> fom = figures_of_merit(y_pred, y_true, known_classes=["a", "b"])
    >>> fom["TSNS"], fom["TSPS"], fom["ACC"]
    (0.5, 1.0, 0.6)
    >>> round(fom["TEFF"], 4)
    0.7071
    >>> fom["CSPS"]
    {'a': 1.0, 'b': 0.667}
    >>> fom["rows"], fom["columns"]
    (['a', 'b', 'x'], ['a', 'b', 'unknown'])
    >>> fom["confusion_matrix"]
    array([[1, 1, 0],
           [0, 1, 1],
           [0, 0, 1]])

    One-class view of class ``"a"``:

    >>> fom = figures_of_merit(y_pred, y_true, ["a", "b"], score_using="a")
    >>> fom["TSNS"], fom["TSPS"]
    (0.5, 1.0)
    """
    known = _check_known_classes(known_classes, unknown_label)
    pred = _as_labels(y_pred, "y_pred")
    true = _as_labels(y_true, "y_true")
    if len(pred) != len(true):
        raise ValueError(
            "`y_pred` and `y_true` must have the same length; got "
            f"len(y_pred)={len(pred)} and len(y_true)={len(true)}."
        )
    _check_no_missing(true, "y_true")
    columns = [*known, _scalar(unknown_label)]
    rows = known + _never_trained_classes(true, known)
    cm = _confusion_matrix(pred, true, rows, columns)

    fom = _total_figures(cm, len(known))
    per_class = _class_figures(cm, known)
    fom.update(per_class)
    if not (isinstance(score_using, str) and score_using == "all"):
        target = _check_score_using(score_using, known)
        fom["TSNS"] = per_class["CSNS"][target]
        fom["TSPS"] = per_class["CSPS"][target]
        fom["TEFF"] = per_class["CEFF"][target]
    fom.update(confusion_matrix=cm, rows=rows, columns=columns)
    return fom


def _scalar(value):
    """Return ``value`` as a Python scalar when it is a numpy scalar."""
    return value.item() if isinstance(value, np.generic) else value


def _as_labels(values, name):
    """Return ``values`` as a non-empty list of Python-scalar labels."""
    if values is None:
        raise ValueError(f"`{name}` must be a 1D array of labels; got None.")
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise ValueError(
            f"`{name}` must be a 1D array of labels; got an array of shape {arr.shape}."
        )
    if arr.size == 0:
        raise ValueError(f"`{name}` must hold at least one label; got an empty array.")
    return [_scalar(v) for v in arr]


def _check_no_missing(labels, name):
    """Raise if a label is None or NaN (they cannot be matched to a class)."""
    for i, value in enumerate(labels):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise ValueError(
                f"`{name}` must not hold missing labels; got {value!r} at index {i}."
            )


def _check_known_classes(known_classes, unknown_label):
    """Return the known classes as a list; refuse duplicates and unknown_label."""
    known = _as_labels(known_classes, "known_classes")
    _check_no_missing(known, "known_classes")
    try:
        distinct = set(known)
        clash = _scalar(unknown_label) in distinct
    except TypeError as err:
        raise TypeError(
            "`known_classes` and `unknown_label` must be hashable labels (str or "
            f"int); got {err}."
        ) from err
    if len(distinct) != len(known):
        dupes = sorted({repr(k) for k in known if known.count(k) > 1})
        raise ValueError(
            f"`known_classes` must hold distinct classes; got duplicates of "
            f"{', '.join(dupes)}."
        )
    if clash:
        raise ValueError(
            f"`unknown_label` must not be a known class; got {unknown_label!r}, "
            f"which is in known_classes={known}. Pick another rejection label."
        )
    return known


def _sort_key(label):
    """Order numbers before strings, each in their natural order."""
    if isinstance(label, numbers.Real):
        return (0, float(label), "")
    return (1, 0.0, str(label))


def _never_trained_classes(true, known):
    """Return the sorted true labels that are not known classes."""
    known_set = set(known)
    try:
        extra = {t for t in true if t not in known_set}
    except TypeError as err:
        raise TypeError(
            f"`y_true` labels must be hashable (str or int); got {err}."
        ) from err
    return sorted(extra, key=_sort_key)


def _confusion_matrix(pred, true, rows, columns):
    """Count true label (row) against predicted label (column)."""
    row_of = {label: i for i, label in enumerate(rows)}
    col_of = {label: j for j, label in enumerate(columns)}
    try:
        cols = [col_of.get(p, -1) for p in pred]
    except TypeError as err:
        raise TypeError(
            f"`y_pred` labels must be hashable (str or int); got {err}."
        ) from err
    if -1 in cols:
        bad = pred[cols.index(-1)]
        raise ValueError(
            f"`y_pred` must hold only known classes or unknown_label="
            f"{columns[-1]!r}; got {bad!r} at index {cols.index(-1)} "
            f"(known_classes={columns[:-1]})."
        )
    flat = np.array([row_of[t] for t in true]) * len(columns) + np.array(cols)
    counts = np.bincount(flat, minlength=len(rows) * len(columns))
    return counts.reshape(len(rows), len(columns)).astype(np.int64)


def _ratio(numerator, denominator):
    """Return ``numerator / denominator`` as a float; NaN when it is 0/0."""
    if denominator == 0:
        return math.nan
    return int(numerator) / int(denominator)


def _efficiency(sensitivity, specificity):
    """Geometric mean; the defined factor when the other one is NaN."""
    if math.isnan(sensitivity):
        return specificity
    if math.isnan(specificity):
        return sensitivity
    return math.sqrt(sensitivity * specificity)


def _total_figures(cm, n_known):
    """TSNS, TSPS, TEFF and ACC from the confusion matrix."""
    accepted_right = int(np.trace(cm[:n_known, :n_known]))
    rejected_right = int(cm[n_known:, n_known].sum())
    tsns = _ratio(accepted_right, cm[:n_known].sum())
    tsps = _ratio(rejected_right, cm[n_known:].sum())
    return {
        "TEFF": _efficiency(tsns, tsps),
        "TSNS": tsns,
        "TSPS": tsps,
        "ACC": _ratio(accepted_right + rejected_right, cm.sum()),
    }


def _class_figures(cm, known):
    """CSNS, CSPS and CEFF of every known class."""
    total = int(cm.sum())
    csns, csps, ceff = {}, {}, {}
    for i, label in enumerate(known):
        n_class = int(cm[i].sum())
        wrongly_accepted = int(cm[:, i].sum() - cm[i, i])
        csns[label] = _ratio(cm[i, i], n_class)
        csps[label] = _ratio(total - n_class - wrongly_accepted, total - n_class)
        ceff[label] = _efficiency(csns[label], csps[label])
    return {"CSNS": csns, "CSPS": csps, "CEFF": ceff}


def _check_score_using(score_using, known):
    """Return ``score_using`` as a known class, or raise naming the options."""
    target = _scalar(score_using)
    try:
        found = target in set(known)
    except TypeError:
        found = False
    if not found:
        raise ValueError(
            f'`score_using` must be "all" or one of the known classes {known}; '
            f"got {score_using!r}."
        )
    return target
