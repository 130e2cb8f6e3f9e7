"""Saving and restoring the fitted state of specauth estimators.

:class:`FittedStateMixin` is the contract :mod:`specauth.hub` uses: it saves
what ``get_fitted_state()`` returns and hands it back to ``set_fitted_state``
when loading, so that each estimator, not the hub, knows which of its
attributes are derived and what its restored attributes must be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Collection

_FittedT = TypeVar("_FittedT", bound="FittedStateMixin")

__all__ = ["FittedStateMixin", "get_fitted_state", "set_fitted_state"]


def get_fitted_state(
    estimator: object, derived: Collection[str] = ()
) -> dict[str, Any]:
    """Fitted attributes of ``estimator`` to save.

    Its own ``get_fitted_state()`` where it has one; else every public
    attribute ending in ``_`` that is not in ``derived``.
    """
    own = getattr(estimator, "get_fitted_state", None)
    if callable(own):
        return own()
    return _public_fitted(estimator, derived)


def set_fitted_state(estimator: object, state: dict[str, Any]) -> Any:
    """Restore ``state`` on ``estimator``: its own ``set_fitted_state`` where it
    has one; else each attribute is set, and a ``network_`` is refused."""
    own = getattr(estimator, "set_fitted_state", None)
    if callable(own):
        return own(state)
    return _restore(estimator, state)


def _public_fitted(estimator, derived):
    return {
        key: value
        for key, value in vars(estimator).items()
        if key.endswith("_") and not key.startswith("_") and key not in derived
    }


def _restore(estimator, state):
    if "network_" in state:  # estimators that hold a network take it out first
        raise ValueError(f"{type(estimator).__name__} cannot hold a network.")
    for key, value in state.items():
        setattr(estimator, key, value)
    return estimator


class FittedStateMixin:
    """``get_fitted_state`` / ``set_fitted_state`` for an estimator."""

    #: Fitted attributes rebuilt from the others (or records not worth
    #: saving), left out of :meth:`get_fitted_state`.
    _derived_state: tuple[str, ...] = ()

    def get_fitted_state(self) -> dict[str, Any]:
        """Return the fitted attributes that describe this estimator.

        Every public attribute ending in ``_``, except those derived from the
        others, which :meth:`set_fitted_state` rebuilds.

        Returns
        -------
        state : dict
            Attribute name -> value.
        """
        return _public_fitted(self, self._derived_state)

    def set_fitted_state(self: _FittedT, state: dict[str, Any]) -> _FittedT:
        """Restore fitted attributes returned by :meth:`get_fitted_state`.

        Parameters
        ----------
        state : dict
            Attribute name -> value, as saved.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If a value cannot be what the attribute holds.
        """
        return _restore(self, state)
