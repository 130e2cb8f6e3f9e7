"""Save and share fitted models.

- :func:`save_pretrained` / :func:`load_pretrained` -- a folder with the Keras
  network (``.keras``), a JSON config and ``.npz`` arrays; never pickle.
"""

from specauth.hub.pretrained import load_pretrained, save_pretrained

__all__ = ["save_pretrained", "load_pretrained"]
