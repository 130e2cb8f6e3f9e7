"""Option values are checked while parsing: a bad one is a usage error (exit 2)."""

from __future__ import annotations

import argparse

import pytest

from specauth.cli._options import (
    crop_range,
    fraction,
    learning_rate,
    metric_pair,
    non_negative_int,
    positive_int,
)
from specauth.cli.main import main

TRAIN = ["train", "--x", "X.npy", "--y", "y.csv", "--out", "m"]
EXPLAIN = ["explain", "m", "--x", "X.npy", "--out", "o"]


def test_type_functions_accept_good_values():
    assert positive_int("1") == 1 and non_negative_int("0") == 0
    assert fraction("0.25") == 0.25
    assert learning_rate("find") == "find" and learning_rate("1e-3") == 1e-3
    assert crop_range("5:90") == (5, 90) and crop_range(":7") == (None, 7)
    assert metric_pair(" auroc = 0.5") == ("auroc", 0.5)


@pytest.mark.parametrize(
    ("function", "text", "message"),
    [
        (positive_int, "0", "integer >= 1; got 0"),
        (positive_int, "2.5", "must be an integer; got '2.5'"),
        (non_negative_int, "-2", "integer >= 0; got -2"),
        (fraction, "1", r"must be in \(0, 1\); got 1"),
        (fraction, "0", r"must be in \(0, 1\); got 0"),
        (fraction, "half", "a number in"),
        (learning_rate, "-1", "number > 0 or 'find'; got -1"),
        (learning_rate, "inf", "number > 0 or 'find'"),
        (crop_range, "7", "START:STOP"),
        (crop_range, "a:b", "got 'a:b'"),
        (metric_pair, "=0.5", "NAME=VALUE"),
        (metric_pair, "acc=high", "NAME=VALUE"),
        (metric_pair, "acc=nan", "NAME=VALUE"),
    ],
)
def test_type_functions_refuse_bad_values(function, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        function(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*TRAIN, "--alpha", "1.5"], "argument --alpha: must be in (0, 1); got 1.5."),
        ([*TRAIN, "--crop", "a:b"], "argument --crop: must look like START:STOP"),
        ([*TRAIN, "--batch-size", "-3"], "argument --batch-size: must be an integer"),
        ([*TRAIN, "--epochs", "0"], "argument --epochs: must be an integer >= 1"),
        ([*TRAIN, "--lr", "fast"], "argument --lr: must be a number > 0 or 'find'"),
        ([*TRAIN, "--validation-fraction", "1"], "argument --validation-fraction"),
        ([*TRAIN, "--fine-tune", "-1"], "argument --fine-tune: must be an integer"),
        (
            [*TRAIN, "--model", "cnn1d_small", "--image-size", "32"],
            "--image-size only applies to pretrained 2D bases",
        ),
        (
            [*TRAIN, "--imaging", "gasf", "--fine-tune", "2"],
            "--imaging, --fine-tune only apply to pretrained 2D bases",
        ),
        ([*TRAIN, "--model", "mobilenetv2"], "--model mobilenetv2 is a 2D base: add"),
        (["demo", "--alpha", "0"], "argument --alpha: must be in (0, 1); got 0."),
        ([*EXPLAIN, "--first", "0"], "argument --first: must be an integer >= 1"),
        (
            ["predict", "m", "--x", "x.csv", "--batch-size", "0"],
            "argument --batch-size: must be an integer >= 1",
        ),
        ([*EXPLAIN, "--index", "2", "-1"], "argument --index: must be an integer >= 0"),
        (
            [*EXPLAIN, "--background", "X.npy"],
            "--background only applies to --method shap; got --method cam.",
        ),
        (
            [
                "report",
                "m",
                "--x",
                "X.npy",
                "--y",
                "y",
                "--out",
                "r",
                "--examples",
                "-1",
            ],
            "argument --examples: must be an integer >= 0; got -1.",
        ),
        (
            ["push", "m", "a/b", "--metrics", "accuracy=0.9", "auroc"],
            "argument --metrics: must look like NAME=VALUE",
        ),
    ],
)
def test_bad_option_values_exit_with_2_and_the_usage(capsys, args, message):
    # None of the files exist: the options are refused before anything is read.
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: specauth {args[0]} ")
    assert f"specauth {args[0]}: error: {message}" in err
    assert "Traceback" not in err


def test_good_2d_options_pass_the_check(capsys):
    # A 2D base with --imaging gets past parsing; then the missing file fails.
    args = [*TRAIN, "--model", "mobilenetv2", "--imaging", "gasf"]
    assert main([*args, "--image-size", "32", "--fine-tune", "1"]) == 1
    assert "X.npy" in capsys.readouterr().err
