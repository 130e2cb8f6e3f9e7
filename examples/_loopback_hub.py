"""Start the test suite's loopback Hugging Face Hub stand-in (for notebook 04).

The stand-in, ``FakeHub`` in ``tests/hub/hf_server.py``, serves the handful of
Hub endpoints that ``huggingface_hub`` uses to create a repository, upload a
folder and download a snapshot, from memory, on ``127.0.0.1``. It lets the
notebook show the real push / pull calls without an account or a network.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "tests" / "hub" / "hf_server.py"


def start_loopback_hub(tokens=("hf_owner_token",)):
    """Start a loopback Hub accepting ``tokens``; return it (``.url``, ``.stop()``).

    Raises FileNotFoundError outside a clone of the repository (the server
    lives in its tests).
    """
    if not SERVER.is_file():
        raise FileNotFoundError(
            f"The loopback Hub server {SERVER} is part of the specauth repository's "
            "tests; run this notebook from a clone of the repository."
        )
    spec = importlib.util.spec_from_file_location("specauth_loopback_hub", SERVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FakeHub(tokens=tokens).start()
