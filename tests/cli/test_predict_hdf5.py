"""``specauth predict --out FILE.h5``: predictions into HDF5, resumable, safe."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from specauth.cli.main import main
from specauth.datasets import make_spectra

h5py = pytest.importorskip("h5py")

DATA = make_spectra(n_classes=3, n_samples_per_class=10, length=64, random_state=4)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict_h5")
    np.save(folder / "X.npy", DATA.X)
    (folder / "y.csv").write_text("\n".join(DATA.y) + "\n")
    with h5py.File(folder / "data.h5", "w") as f:
        f["spectra"] = DATA.X
    model = folder / "model"
    args = ["train", "--x", str(folder / "X.npy"), "--y", str(folder / "y.csv")]
    args += ["--out", str(model), "--model", "cnn1d_small", "--epochs", "2", "--quiet"]
    assert main(args) == 0
    return folder, model


def test_hdf5_output_matches_the_csv_output(trained):
    folder, model = trained
    x = f"{folder / 'data.h5'}:spectra"
    assert main(["predict", str(model), "--x", x, "--out", str(folder / "p.csv")]) == 0
    assert main(["predict", str(model), "--x", x, "--out", str(folder / "p.h5")]) == 0
    with open(folder / "p.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with h5py.File(folder / "p.h5") as f:
        group = f["predictions"]
        labels = group["label"][()].astype(str)
        proba = group["proba"][()]
        score = group["score"][()]
        assert int(group.attrs["rows_done"]) == len(DATA.X)
    assert labels.tolist() == [r["label"] for r in rows]
    classes = [k for k in rows[0] if k.startswith("p_")]
    np.testing.assert_allclose(
        proba, [[float(r[k]) for k in classes] for r in rows], rtol=1e-5
    )
    np.testing.assert_allclose(
        score, [float(r["ood_score"]) for r in rows], rtol=1e-5, atol=1e-6
    )
    # a finished file run again is left as it was
    before = (folder / "p.h5").read_bytes()
    assert main(["predict", str(model), "--x", x, "--out", str(folder / "p.h5")]) == 0
    assert (folder / "p.h5").read_bytes() == before


def test_an_unrelated_existing_file_is_never_modified(trained, capsys):
    folder, model = trained
    other = folder / "mine.h5"
    with h5py.File(other, "w") as f:
        f["keep"] = np.arange(3)
    before = other.read_bytes()
    x = f"{folder / 'data.h5'}:spectra"
    assert main(["predict", str(model), "--x", x, "--out", str(other)]) != 0
    assert "never overwritten" in capsys.readouterr().err
    assert other.read_bytes() == before
    code = main(
        [
            "predict",
            str(model),
            "--x",
            str(folder / "X.npy"),
            "--out",
            str(folder / "q.h5"),
        ]
    )
    assert code != 0 and "needs an HDF5 --x" in capsys.readouterr().err
