import subprocess
import sys
from pathlib import Path

import pytest

import specauth.models as models
from specauth.models import (
    cnn1d,
    get_model,
    list_models,
    register_model,
    registry,
    resnet1d,
)

BUILT_IN = [
    "cnn1d",
    "cnn1d_flatten",
    "cnn1d_small",
    "inception_time",
    "inception_time_small",
    "lite",
    "lite_small",
    "resnet1d",
    "resnet1d_small",
]


@pytest.fixture
def scratch_registry(monkeypatch):
    """Let a test register names without leaking them into other tests."""
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))


def test_list_models_is_sorted_and_holds_the_built_ins():
    names = list_models()
    assert names == sorted(names)
    assert set(BUILT_IN) <= set(names)


def test_get_model_returns_the_builders():
    assert get_model("cnn1d") is cnn1d
    assert get_model("resnet1d") is resnet1d
    assert get_model("cnn1d_small").__name__ == "cnn1d_small"


def test_unknown_name_lists_valid_names_and_suggests():
    with pytest.raises(ValueError, match="did you mean 'vgg16'.*Valid names: cnn1d"):
        get_model("vgg_16")
    with pytest.raises(ValueError, match="did you mean 'resnet1d'"):
        get_model("resnet1")


def test_non_str_name_is_a_type_error():
    with pytest.raises(TypeError, match="must be a str; got 3"):
        get_model(3)
    with pytest.raises(TypeError, match="must be a str"):
        register_model(None)


def test_register_then_get(scratch_registry):
    @register_model("toy_net")
    def toy_net(input_shape, n_classes, *, seed=None, **options):
        return "built"

    assert get_model("toy_net") is toy_net
    assert "toy_net" in list_models()


def test_duplicate_registration_is_refused(scratch_registry):
    with pytest.raises(ValueError, match="'cnn1d' is already registered"):
        register_model("cnn1d")

    decorator = register_model("toy_net")
    decorator(lambda *a, **k: None)
    with pytest.raises(ValueError, match="already registered"):
        decorator(lambda *a, **k: None)  # second use of the same decorator


def test_registry_is_left_clean_by_the_fixture():
    assert "toy_net" not in list_models()


@pytest.mark.parametrize("name", ["CNN", "cnn-1d", "1cnn", "a__b", "cnn_", ""])
def test_names_must_be_lower_snake(name, scratch_registry):
    with pytest.raises(ValueError, match="lower_snake"):
        register_model(name)


def test_decorating_a_non_callable_is_a_type_error(scratch_registry):
    with pytest.raises(TypeError, match="callable"):
        register_model("toy_net")(42)
    assert "toy_net" not in list_models()


def test_public_names():
    assert set(models.__all__) == {
        "CNNFactory",
        "list_bases",
        "cnn1d",
        "resnet1d",
        "inception_time",
        "lite",
        "resnet2d",
        "vgg2d",
        "xresnet1d",
        "xresnet2d",
        "register_model",
        "list_models",
        "get_model",
        "dtype_policy_scope",
        "float32_head",
    }


def test_import_does_not_load_keras():
    code = (
        "import sys, specauth.models as m; m.list_models(); "
        "print('keras' in sys.modules, 'tensorflow' in sys.modules)"
    )
    root = Path(models.__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    assert out.stdout.split() == ["False", "False"]
