"""``--preprocess``: chemometric steps by name on the command line."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from specauth.cli._pipeline import preprocessing_steps
from specauth.cli._preprocess import STEPS, parse_preprocess
from specauth.cli.main import build_parser, main
from specauth.datasets import make_spectra
from specauth.hub import load_pretrained

pytest.importorskip("chemotools")
pytest.importorskip("pybaselines")

TRAIN = ["train", "--x", "X.npy", "--y", "y.csv", "--out", "m"]


def _described(text):
    return [
        (name, type(step).__name__, step.get_params())
        for name, step in parse_preprocess(text)
    ]


def test_parses_names_and_positional_parameters():
    steps = _described("snv,savgol:11:2:1,msc,asls:1e5:0.01,airpls:1e4,rangecut:5:90")
    assert [(name, cls) for name, cls, _ in steps] == [
        ("snv", "StandardNormalVariate"),
        ("savgol", "SavitzkyGolay"),
        ("msc", "MultiplicativeScatterCorrection"),
        ("asls", "AsLs"),
        ("airpls", "AirPls"),
        ("rangecut", "RangeCut"),
    ]
    params = {name: p for name, _, p in steps}
    assert (params["savgol"]["window_length"], params["savgol"]["polyorder"]) == (11, 2)
    assert params["savgol"]["deriv"] == 1
    assert (params["asls"]["lam"], params["asls"]["penalty"]) == (1e5, 0.01)
    assert params["airpls"]["lam"] == 1e4
    assert (params["rangecut"]["start"], params["rangecut"]["end"]) == (5, 90)


def test_defaults_smoothing_repeats_and_pybaselines_methods():
    (_, cls, params), *_ = _described("savgol")
    assert cls == "SavitzkyGolayFilter"  # DERIV=0 smooths
    assert (params["window_length"], params["polyorder"]) == (11, 2)
    assert [n for n, *_ in _described("SNV, savgol:5:2, savgol:7:2:2")] == [
        "snv",
        "savgol",
        "savgol_2",
    ]
    (name, cls, params), *_ = _described("baseline:iasls:lam=1e6:p=0.02:max_iter=20")
    assert (name, cls) == ("baseline", "BaselineCorrector")
    assert params["method"] == "iasls"
    assert params["params"] == {"lam": 1e6, "p": 0.02, "max_iter": 20}
    assert isinstance(params["params"]["max_iter"], int)
    assert isinstance(params["params"]["lam"], float)
    assert _described("asls::0.05")[0][2]["penalty"] == 0.05  # LAM left default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("snvv", r"unknown step 'snvv'; valid steps:\n  snv +standard normal"),
        ("foo", r"\n  savgol\[:WINDOW=11\[:POLYORDER=2\[:DERIV=0\]\]\] +Savitzky"),
        ("snv,,msc", "comma-separated list of steps"),
        ("", "comma-separated list of steps"),
        (
            "savgol:11:x",
            r"POLYORDER must be an integer >= 0; got 'x' \(savgol\[:WINDOW",
        ),
        ("savgol:10:2", "odd WINDOW > POLYORDER >= DERIV; got WINDOW=10"),
        ("savgol:5:2:3", "odd WINDOW > POLYORDER >= DERIV"),
        ("asls:-1", "LAM must be a finite number > 0; got '-1'"),
        ("asls:1e5:2", r"P must be a number in \(0, 1\); got '2'"),
        ("snv:3", r"takes at most 0 parameters: snv\."),
        ("rangecut:5", "STOP is required: rangecut:START:STOP"),
        ("baseline", "give the pybaselines method"),
        ("baseline:aslss", r"`method` must be a pybaselines method, one of .*asls"),
        ("baseline:asls:lamda=3", "'lamda' is not a parameter of pybaselines' asls"),
        ("baseline:asls:lam", "parameters must be KEY=NUMBER; got 'lam'"),
    ],
)
def test_bad_values_are_refused_with_the_valid_choices(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse_preprocess(text)


def test_every_step_is_in_the_help_with_its_parameters(capsys):
    assert main(["train", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for name in STEPS:
        assert name in out
    assert "savgol[:WINDOW=11[:POLYORDER=2[:DERIV=0]]]" in out
    assert "with --preprocess (IR, Raman, NIR) neither is added" in out


def test_a_bad_preprocess_is_a_usage_error(capsys):
    assert main([*TRAIN, "--preprocess", "snv,foo"]) == 2
    err = capsys.readouterr().err
    assert "argument --preprocess: step 'foo': unknown step 'foo'" in err


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ([], ["normalize", "log"]),
        (["--preprocess", "snv,savgol:7:2:1"], ["snv", "savgol"]),
        (
            ["--preprocess", "snv", "--normalize", "max", "--log"],
            ["snv", "normalize", "log"],
        ),
        (["--preprocess", "msc", "--crop", "2:60"], ["crop", "msc"]),
        (["--normalize", "none", "--no-log"], []),
    ],
)
def test_chemometric_steps_come_first_and_replace_the_default(extra, names):
    args = build_parser().parse_args([*TRAIN, *extra])
    assert [name for name, _ in preprocessing_steps(args)] == names


def test_steps_are_fresh_copies_each_time():
    args = build_parser().parse_args([*TRAIN, "--preprocess", "msc"])
    first, second = preprocessing_steps(args)[0][1], preprocessing_steps(args)[0][1]
    assert first is not second and first is not args.preprocess[0][1]


def test_train_with_preprocess_saves_a_model_that_predicts(tmp_path, capsys):
    data = make_spectra(n_classes=3, n_samples_per_class=8, length=64, random_state=4)
    X = data.X + np.linspace(0.0, 1.0, 64)  # a sloped baseline
    header = ",".join(f"{1000 + 2 * i}" for i in range(64))
    np.savetxt(
        tmp_path / "X.csv", X, delimiter=",", fmt="%.6g", header=header, comments=""
    )
    (tmp_path / "y.csv").write_text("label\n" + "\n".join(data.y) + "\n")
    model = tmp_path / "model"
    args = ["--x", str(tmp_path / "X.csv"), "--y", str(tmp_path / "y.csv")]
    code = main(
        [
            "train",
            *args,
            "--out",
            str(model),
            "--preprocess",
            "snv,savgol:7:2:1,baseline:modpoly:poly_order=1",
            *("--model", "cnn1d_small", "--epochs", "2", "--quiet"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    config = json.loads((model / "config.json").read_text())
    steps = [s["class"] for s in config["data"]["preprocessing"]]
    # (train may put an AxisResampler first: the CSV header is an axis.)
    assert steps[-3:] == ["StandardNormalVariate", "SavitzkyGolay", "BaselineCorrector"]
    assert not {"SpectrumNormalizer", "LogTransform"} & set(steps)  # not with IR
    loaded = load_pretrained(model)
    assert [name for name, _ in loaded.steps[-4:-1]] == ["snv", "savgol", "baseline"]
    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), *args[:2], "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 1 + len(X)
