"""Registry of network builders, looked up by name.

Every builder registered here follows the same contract (see
:mod:`specauth.models`): ``builder(input_shape, n_classes, *, seed=None,
**options)`` returns an uncompiled functional ``keras.Model`` whose last layer
is ``Dense(n_classes, name="logits")``.
"""

from __future__ import annotations

from collections.abc import Callable

from specauth._registry import check_new_name, check_str_name, unknown_name

__all__ = ["register_model", "list_models", "get_model"]

_MODELS: dict[str, Callable] = {}


def _refuse_duplicate(name: str) -> None:
    if name in _MODELS:
        existing = _MODELS[name]
        where = f"{existing.__module__}.{getattr(existing, '__qualname__', existing)}"
        raise ValueError(
            f"A model named {name!r} is already registered (by {where}); "
            "choose another name."
        )


def register_model(name: str) -> Callable[[Callable], Callable]:
    """Return a decorator that registers a network builder under ``name``.

    Parameters
    ----------
    name : str
        A lower_snake name such as ``"cnn1d_small"`` (letters, digits and
        single underscores, starting with a letter). It must not be registered
        yet.

    Returns
    -------
    decorator : callable
        Registers the decorated builder and returns it unchanged.

    Raises
    ------
    TypeError
        If ``name`` is not a str or the decorated object is not callable.
    ValueError
        If ``name`` is not lower_snake or is already registered.

    See Also
    --------
    list_models : Names of the registered builders.
    get_model : Look a builder up by name.

    Examples
    --------
    >>> from specauth.models import register_model
    >>> register_model("cnn1d")
    Traceback (most recent call last):
    ...
    ValueError: A model named 'cnn1d' is already registered ...
    """
    name = check_new_name("model", name, "cnn1d_small")
    _refuse_duplicate(name)

    def decorator(builder: Callable) -> Callable:
        if not callable(builder):
            raise TypeError(
                f"`register_model({name!r})` must decorate a callable builder; "
                f"got {builder!r}."
            )
        _refuse_duplicate(name)
        _MODELS[name] = builder
        return builder

    return decorator


def list_models() -> list[str]:
    """Return the sorted names of all registered network builders.

    Returns
    -------
    names : list of str
        Sorted alphabetically.

    See Also
    --------
    get_model : Look a builder up by name.

    Examples
    --------
    >>> from specauth.models import list_models
    >>> "cnn1d" in list_models()
    True
    """
    return sorted(_MODELS)


def get_model(name: str) -> Callable:
    """Return the network builder registered under ``name``.

    Parameters
    ----------
    name : str
        A name from :func:`list_models`.

    Returns
    -------
    builder : callable
        ``builder(input_shape, n_classes, *, seed=None, **options)`` returning
        an uncompiled ``keras.Model`` that outputs logits.

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If no builder is registered under ``name``; the message lists the valid
        names.

    Examples
    --------
    >>> from specauth.models import get_model
    >>> get_model("cnn1d").__name__
    'cnn1d'
    >>> get_model("cnn1d_smal")
    Traceback (most recent call last):
    ...
    ValueError: Unknown model 'cnn1d_smal'; did you mean 'cnn1d_small'? ...
    """
    name = check_str_name("model", name)
    if name not in _MODELS:
        raise unknown_name("model", name, list_models())
    return _MODELS[name]
