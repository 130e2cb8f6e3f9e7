"""Routed ``prefix__name`` parameters of the Keras estimators.

scikit-learn estimators list their parameters in ``__init__``. The Keras
estimators also accept open-ended options for the pieces they build -- the
network builder, the optimizer, the learning-rate schedule, ``Model.fit`` and
the learning-rate finder -- as ``model__filters=...``,
``optimizer__weight_decay=...``, ``schedule__pct_start=...``,
``fit__shuffle=...``, ``lr_find__num_it=...`` and
``fine_tune__lr_mult=...``. They are stored as attributes under their full
name, reported by ``get_params`` and accepted by ``set_params``, so
``clone`` and ``GridSearchCV`` handle them like any other parameter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sklearn.base import BaseEstimator

    # The mixin is used with scikit-learn's BaseEstimator, whose get_params and
    # set_params it extends; at run time it is a plain class.
    from sklearn.base import BaseEstimator as _EstimatorBase
else:
    _EstimatorBase = object

_RoutedT = TypeVar("_RoutedT", bound="RoutedParamsMixin")

__all__ = [
    "ROUTE_PREFIXES",
    "RoutedParamsMixin",
    "check_routed_names",
    "check_routed_options",
    "route",
    "routed_params",
]

ROUTE_PREFIXES = (
    "model__",
    "optimizer__",
    "schedule__",
    "fit__",
    "lr_find__",
    "fine_tune__",
    "augmentation__",
)


def check_routed_names(names: Iterable[str], owner: str) -> None:
    """Raise a ``TypeError`` for keyword arguments that are not routed."""
    bad = [name for name in names if not name.startswith(ROUTE_PREFIXES)]
    if bad:
        prefixes = ", ".join(f"`{p}...`" for p in ROUTE_PREFIXES)
        raise TypeError(
            f"{owner}() got unexpected keyword argument(s) {bad}; extra options "
            f"must be routed with one of the prefixes {prefixes}, "
            "e.g. `model__filters=(8, 16)`."
        )


def routed_params(estimator: BaseEstimator) -> dict[str, Any]:
    """Return the extra keyword parameters stored on ``estimator`` as a dict.

    These are the attributes set by ``**routed`` in ``__init__``: neither a
    named ``__init__`` argument, nor private (``_x``), nor fitted (``x_``).
    Names without a valid prefix are kept too (so ``clone`` preserves them)
    and rejected by :func:`check_routed_names` when the estimator is fitted.
    """
    named = set(type(estimator)._get_param_names())
    return {
        key: value
        for key, value in vars(estimator).items()
        if key not in named and not key.startswith("_") and not key.endswith("_")
    }


def route(params: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Select the parameters under ``prefix`` with the prefix removed.

    Examples
    --------
    >>> route({"model__filters": (8,), "fit__shuffle": False}, "model")
    {'filters': (8,)}
    """
    head = prefix + "__"
    return {k[len(head) :]: v for k, v in params.items() if k.startswith(head)}


def check_routed_options(routed: Mapping[str, Any], owner: str) -> None:
    """Check routed option names once per fit: prefixes, fine-tuning, ``fit__``.

    Their values are checked by the estimator's declared constraints.
    """
    from specauth.training.loop import RESERVED_FIT_OPTIONS
    from specauth.training.unfrozen import UNFROZEN_DEFAULTS

    check_routed_names(routed, owner)
    unknown = sorted(set(route(routed, "fine_tune")) - set(UNFROZEN_DEFAULTS))
    if unknown:
        raise ValueError(
            f"Unknown `fine_tune__...` option(s) {unknown}; valid: "
            f"{sorted(UNFROZEN_DEFAULTS)}."
        )
    reserved = sorted(set(route(routed, "fit")) & set(RESERVED_FIT_OPTIONS))
    if reserved:
        raise ValueError(
            f"`fit__{reserved[0]}` is set by {owner} itself; use the estimator's "
            "own parameter instead."
        )


class RoutedParamsMixin(_EstimatorBase):
    """``get_params``/``set_params`` that report and accept routed options."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep=deep)
        params.update(routed_params(self))
        return params

    def set_params(self: _RoutedT, **params: Any) -> _RoutedT:
        routed = {k: v for k, v in params.items() if "__" in k}
        check_routed_names(routed, f"{type(self).__name__}.set_params")
        for key, value in routed.items():
            setattr(self, key, value)
        plain = {k: v for k, v in params.items() if k not in routed}
        if plain:
            super().set_params(**plain)
        return self
