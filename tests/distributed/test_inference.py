"""predict_files in this process (client=None) and its checks, without a cluster.

A logistic regression stands in for a network: the file handling, naming
and checks are the same for every model, and it needs no TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from specauth.cli.main import main
from specauth.distributed import output_paths, predict_files
from specauth.hub import save_pretrained


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    rng = np.random.default_rng(0)
    X = rng.random((30, 8))
    model = save_pretrained(
        LogisticRegression().fit(X, ["a", "b", "c"] * 10), folder / "model"
    )
    inputs = []
    for i in range(3):
        np.save(folder / f"run{i}.npy", rng.random((5 + i, 8)))
        inputs.append(folder / f"run{i}.npy")
    return folder, model, inputs


def test_each_file_gets_the_csv_of_specauth_predict(setup, tmp_path, capsys):
    folder, model, inputs = setup
    done = predict_files(model, inputs, tmp_path / "out")
    assert [d["n_spectra"] for d in done] == [5, 6, 7]
    assert capsys.readouterr().err.count("spectra in") == 3  # one line per file
    for x, summary in zip(inputs, done, strict=True):
        single = tmp_path / f"{x.stem}_single.csv"
        assert main(["predict", str(model), "--x", str(x), "--out", str(single)]) == 0
        assert summary["output"] == str(tmp_path / "out" / f"{x.stem}.csv")
        with open(summary["output"]) as many, open(single) as one:
            assert many.read() == one.read()


def test_existing_output_is_refused_before_any_work(setup, tmp_path):
    _, model, inputs = setup
    out = tmp_path / "out"
    out.mkdir()
    (out / "run1.csv").write_text("mine")
    with pytest.raises(ValueError, match=r"run1.csv of .*run1.npy exists.*overwrite"):
        predict_files(model, inputs, out, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["run1.csv"]
    assert (out / "run1.csv").read_text() == "mine"
    predict_files(model, inputs, out, overwrite=True, progress=False)
    assert (out / "run1.csv").read_text().startswith("index,label,p_a")


def test_missing_input_is_named(setup, tmp_path):
    _, model, inputs = setup
    with pytest.raises(ValueError, match=r"no such spectra file: .*absent.npy"):
        predict_files(model, [*inputs, tmp_path / "absent.npy"], tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_folder_without_a_model_is_refused(setup, tmp_path):
    _, _, inputs = setup
    with pytest.raises(ValueError, match="`model_dir` .* is not a model folder"):
        predict_files(tmp_path, inputs, tmp_path / "o")


def test_two_inputs_with_one_output_are_refused(tmp_path):
    with pytest.raises(ValueError, match="would both write"):
        output_paths([tmp_path / "a" / "x.npy", tmp_path / "b" / "x.csv"], tmp_path)


def test_output_over_an_input_is_refused(setup):
    folder, model, _ = setup
    np.savetxt(folder / "table.csv", np.ones((2, 8)), delimiter=",")
    with pytest.raises(ValueError, match="is the same file as `files`"):
        predict_files(model, [folder / "table.csv"], folder, overwrite=True)


def test_cli_out_dir_in_this_process(setup, tmp_path, capsys):
    _, model, inputs = setup
    args = ["predict", str(model), "--x", *map(str, inputs)]
    assert main([*args, "--out-dir", str(tmp_path / "p")]) == 0
    assert "wrote 18 predictions of 3 files" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "run0.csv",
        "run1.csv",
        "run2.csv",
    ]
    assert main([*args, "--out-dir", str(tmp_path / "p")]) == 1
    assert "exists" in capsys.readouterr().err
    assert main([*args, "--out-dir", str(tmp_path / "p"), "--overwrite"]) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scheduler", "somewhere"], "--scheduler: must be 'local' or a Dask"),
        (["--scheduler", "local"], "--scheduler need --out-dir"),
        (["--out", "p.csv", "--out-dir", "p"], "--out and --out-dir exclude"),
        (["--overwrite"], "--overwrite applies to --out-dir"),
    ],
)
def test_cli_option_errors_exit_with_2(setup, capsys, extra, message):
    _, model, inputs = setup
    assert main(["predict", str(model), "--x", str(inputs[0]), *extra]) == 2
    assert message in capsys.readouterr().err


def test_cli_several_files_need_out_dir(setup, capsys):
    _, model, inputs = setup
    assert main(["predict", str(model), "--x", *map(str, inputs)]) == 2
    assert "several --x files need --out-dir" in capsys.readouterr().err
