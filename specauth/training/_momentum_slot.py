"""Where an optimizer keeps its momentum: Adam's ``beta_1`` or SGD's ``momentum``."""

from __future__ import annotations

from numbers import Real
from typing import Any

__all__ = ["momentum_slot"]

# Adam, AdamW, Adamax, Nadam, Lamb and Lion keep the first-moment decay in
# ``beta_1``; SGD and RMSprop keep their momentum in ``momentum``.
_MOMENTUM_ATTRIBUTES = ("beta_1", "momentum")


def momentum_slot(optimizer: object) -> tuple[Any, str] | None:
    """Return ``(owner, attribute)`` holding ``optimizer``'s momentum, or None.

    A loss-scale wrapper is looked through to its ``inner_optimizer``. The
    attribute's value may be a float or a scalar variable.

    Parameters
    ----------
    optimizer : keras.optimizers.Optimizer or None
        The optimizer to inspect.

    Returns
    -------
    slot : tuple of (object, str) or None
        The object to read or write and the attribute name; ``None`` when the
        optimizer has neither ``beta_1`` nor ``momentum``.

    Examples
    --------
    >>> class Adamish:
    ...     beta_1 = 0.9
    >>> momentum_slot(Adamish())[1]
    'beta_1'
    >>> momentum_slot(object()) is None
    True
    """
    owner = getattr(optimizer, "inner_optimizer", optimizer)
    for attribute in _MOMENTUM_ATTRIBUTES:
        value = getattr(owner, attribute, None)
        if value is None or callable(value):
            continue
        # A scalar variable is taken as it is: converting it to a float would
        # wait for the device, and this runs at every batch.
        if not isinstance(value, Real) and tuple(getattr(value, "shape", (1,))) != ():
            continue
        return owner, attribute
    return None
