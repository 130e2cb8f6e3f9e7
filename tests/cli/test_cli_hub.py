"""``specauth push`` / ``specauth pull`` against the loopback Hub server."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specauth.cli.main import main
from specauth.datasets import make_spectra
from specauth.hub import load_pretrained
from tests.hub.hf_server import FakeHub

TOKEN = "hf_cli_token"


@pytest.fixture
def hub(monkeypatch):
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    with FakeHub(tokens=[TOKEN]) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_hub")
    data = make_spectra(n_classes=2, n_samples_per_class=8, length=48, random_state=4)
    np.save(folder / "X.npy", data.X)
    (folder / "y.csv").write_text("\n".join(data.y) + "\n")
    args = ["train", "--x", str(folder / "X.npy"), "--y", str(folder / "y.csv")]
    args += ["--out", str(folder / "model"), "--quiet", "--epochs", "1"]
    args += ["--validation-fraction", "0.25"]  # the card records held-out metrics
    assert main([*args, "--model", "cnn1d_small"]) == 0
    return folder, data


def test_push_then_pull_a_private_pinned_model(hub, trained, tmp_path, capsys):
    folder, data = trained
    push = ["push", str(folder / "model"), "lab/cli-model", "--token", TOKEN]
    assert main([*push, "--private", "--message", "first"]) == 0
    oid = capsys.readouterr().out.strip().split()[-1]
    assert hub.repos["lab/cli-model"]["private"] is True
    pull = ["pull", "lab/cli-model", "--cache-dir", str(tmp_path / "cache")]
    assert main([*pull, "--out", str(tmp_path / "anon")]) == 1  # private: no token
    assert "lab/cli-model" in capsys.readouterr().err
    out = tmp_path / "pinned"
    assert main([*pull, "--token", TOKEN, "--revision", oid, "--out", str(out)]) == 0
    assert (out / "README.md").is_file() and (out / "network.keras").is_file()
    original = load_pretrained(folder / "model")
    np.testing.assert_array_equal(
        load_pretrained(out).predict(data.X), original.predict(data.X)
    )


def test_push_needs_a_saved_folder_and_a_valid_repo_id(hub, trained, tmp_path, capsys):
    folder, _ = trained
    assert main(["push", str(tmp_path), "lab/x", "--token", TOKEN]) == 1
    assert "no config.json" in capsys.readouterr().err
    assert main(["push", str(folder / "model"), "not a repo", "--token", TOKEN]) == 1
    assert "namespace/name" in capsys.readouterr().err
    assert main(["pull"]) == 2


def test_push_with_metrics_rewrites_the_card(hub, trained, tmp_path, capsys):
    folder, data = trained
    saved = json.loads((folder / "model" / "config.json").read_text())["metrics"]
    assert set(saved) == {"accuracy", "TSNS"}  # from --validation-fraction
    push = ["push", str(folder / "model"), "lab/scored", "--token", TOKEN]
    push += ["--metrics", "auroc=0.95", "accuracy=0.5", "--dataset", "synthetic"]
    assert main(push) == 0, capsys.readouterr().err
    oid = capsys.readouterr().out.strip().split()[-1]
    out = tmp_path / "scored"
    pull = ["pull", "lab/scored", "--token", TOKEN, "--revision", oid]
    assert main([*pull, "--out", str(out), "--cache-dir", str(tmp_path / "c")]) == 0
    config = json.loads((out / "config.json").read_text())
    # Given values replace saved ones; the others are kept.
    assert config["metrics"] == {"accuracy": 0.5, "TSNS": saved["TSNS"], "auroc": 0.95}
    assert config["dataset"] == "synthetic"
    card = (out / "README.md").read_text()
    assert 'datasets: ["synthetic"]' in card and "| OOD AUROC | 0.95 |" in card
    assert "| Closed-set accuracy | 0.5 |" in card
    # The model itself went through load + save unchanged.
    original = load_pretrained(folder / "model")
    pulled = load_pretrained(out)
    np.testing.assert_array_equal(pulled.predict(data.X), original.predict(data.X))
    np.testing.assert_allclose(
        pulled.score_samples(data.X), original.score_samples(data.X), rtol=1e-6
    )
    # The local folder is left as it was.
    after = json.loads((folder / "model" / "config.json").read_text())["metrics"]
    assert after == saved
