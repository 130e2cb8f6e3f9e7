"""Save and share fitted models.

- :func:`save_pretrained` / :func:`load_pretrained` -- a folder with the Keras
  network (``.keras``), a JSON config and ``.npz`` arrays; never pickle.
- :func:`push_to_hub` / :func:`pull_from_hub` -- the same folder as a Hugging
  Face Hub model repository, with private repositories and revision pinning
  (needs ``pip install specauth[hub]``; ``huggingface_hub`` is imported only
  when they are called);
- :func:`make_model_card` -- the ``README.md`` model card written with every
  saved folder (Hugging Face front matter, metrics, intended use, limits).
"""

from __future__ import annotations

from specauth.hub.model_card import make_model_card
from specauth.hub.pretrained import load_pretrained, save_pretrained
from specauth.hub.remote import pull_from_hub, push_to_hub

__all__ = [
    "save_pretrained",
    "load_pretrained",
    "push_to_hub",
    "pull_from_hub",
    "make_model_card",
]
