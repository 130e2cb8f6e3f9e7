"""Saving and restoring the fitted state of specauth estimators.

:class:`FittedStateMixin` is the contract :mod:`specauth.hub` uses: it saves
what ``get_fitted_state()`` returns and hands it back to ``set_fitted_state``
when loading, so that each estimator, not the hub, knows which of its
attributes are derived and what its restored attributes must be.
"""

from __future__ import annotations

__all__ = ["FittedStateMixin"]


class FittedStateMixin:
    """``get_fitted_state`` / ``set_fitted_state`` for an estimator."""

    #: Fitted attributes rebuilt from the others (or records not worth
    #: saving), left out of :meth:`get_fitted_state`.
    _derived_state: tuple[str, ...] = ()

    def get_fitted_state(self):
        """Return the fitted attributes that describe this estimator.

        Every public attribute ending in ``_``, except those derived from the
        others, which :meth:`set_fitted_state` rebuilds.

        Returns
        -------
        state : dict
            Attribute name -> value.
        """
        return {
            key: value
            for key, value in vars(self).items()
            if key.endswith("_")
            and not key.startswith("_")
            and key not in self._derived_state
        }

    def set_fitted_state(self, state):
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
        if "network_" in state:  # subclasses that hold a network take it out
            raise ValueError(f"{type(self).__name__} cannot hold a network.")
        for key, value in state.items():
            setattr(self, key, value)
        return self
