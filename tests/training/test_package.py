"""The training package imports its names lazily."""

import subprocess
import sys

import pytest

import specauth.training


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, specauth.training\n"
        "from specauth.training import lr_find, LRFinderResult\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib')\n"
        "         if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_public_names():
    assert set(specauth.training.__all__) == {
        "fit_network",
        "compile_network",
        "split_validation",
        "make_optimizer",
        "make_schedule",
        "RAdam",
        "Lookahead",
        "fit_unfrozen",
        "unfrozen_peak",
        "lr_find",
        "LRFinderResult",
        "CyclicalLearningRate",
        "OneCycleSchedule",
        "OneCycleMomentum",
        "LearningRateRecorder",
        "fine_tune",
        "freeze_base",
        "unfreeze_base",
        "discriminative_optimizer",
        "layer_rate_factors",
        "recompute_batch_norm",
        "frozen_batch_norm",
        "check_inference_agreement",
        "InferenceMismatchWarning",
        "StopOnNonFiniteLoss",
        "TrainingDivergedError",
        "auto_epochs",
        "adapt_normalization",
        "mixup_batch",
        "MixupBatches",
    }
    assert set(specauth.training.__all__) <= set(dir(specauth.training))
    for name in specauth.training.__all__:
        assert getattr(specauth.training, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'fit_one_cycle'"):
        specauth.training.fit_one_cycle  # noqa: B018
