"""The table of keras.applications bases, and a build of every base in it.

Build sweep timing, on the 2-core development machine (partly busy): all 40
bases (``weights=None``, smallest image) took about 145 s to build. The normal
suite (and CI) builds one base per Keras family (the smallest: 15 bases plus 3
one-channel builds, about 30 s with a forward pass each). The other 25 are
marked ``sweep``, which the default run deselects (``addopts`` in
pyproject.toml) to keep the suite under 15 minutes on 2 cores; run the full
sweep with ``python -m pytest -m sweep tests/models/test_applications.py``.
"""

import dataclasses
import inspect

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models import CNNFactory, list_bases
from specauth.models.applications import INTERNAL_PREPROCESSING, BaseSpec, base_spec

#: The smallest base of each family: the part of the sweep in the normal suite.
SMALLEST_PER_FAMILY = (
    "convnexttiny",
    "densenet121",
    "efficientnetb0",
    "efficientnetv2b0",
    "inceptionresnetv2",
    "inceptionv3",
    "mobilenet",
    "mobilenetv2",
    "mobilenetv3small",
    "nasnetmobile",
    "resnet50",
    "resnet50v2",
    "vgg16",
    "vgg19",
    "xception",
)
#: Bases also built on 1-channel images (tf, caffe and internal preprocessing).
ONE_CHANNEL = ("mobilenetv2", "resnet50", "efficientnetv2b0")

SWEEP = [
    pytest.param(name, marks=() if name in SMALLEST_PER_FAMILY else pytest.mark.sweep)
    for name in list_bases()
]


@pytest.fixture
def fresh_session(keras):
    """Free each base after its build (``clear_session`` runs ``gc.collect``)."""
    yield
    keras.backend.clear_session(free_memory=True)


# ------------------------------------------------------------------ the table
def test_list_bases_holds_the_40_lower_cased_keras_names(keras):
    names = list_bases()
    assert len(names) == 40
    assert names == sorted(names)
    assert len(set(names)) == 40
    for name in names:
        spec = base_spec(name)
        assert isinstance(spec, BaseSpec)
        assert spec.name == name == spec.keras_name.lower()
        assert callable(getattr(keras.applications, spec.keras_name))
    assert list_bases() is not list_bases()  # callers may not mutate the table


def test_smallest_per_family_covers_every_family_once():
    families = [base_spec(name).family for name in SMALLEST_PER_FAMILY]
    assert sorted(families) == sorted({base_spec(n).family for n in list_bases()})
    assert len(families) == len(set(families))


def test_base_spec_ignores_case_and_is_frozen():
    assert base_spec("MobileNetV2") is base_spec("mobilenetv2")
    assert base_spec("EFFICIENTNETV2S").keras_name == "EfficientNetV2S"
    with pytest.raises(dataclasses.FrozenInstanceError):
        base_spec("vgg16").min_size = 8


@pytest.mark.parametrize(
    "name, min_size, default_size",
    [
        ("xception", 71, 299),
        ("inceptionv3", 75, 299),
        ("inceptionresnetv2", 75, 299),
        ("mobilenetv2", 32, 224),
        ("nasnetlarge", 32, 331),
        ("efficientnetb7", 32, 600),
        ("efficientnetv2l", 32, 480),
    ],
)
def test_sizes(name, min_size, default_size):
    spec = base_spec(name)
    assert (spec.min_size, spec.default_size) == (min_size, default_size)


@pytest.mark.parametrize("family", sorted({base_spec(n).family for n in list_bases()}))
def test_pixel_mode_matches_the_keras_preprocess_input(family, keras):
    """The recorded mode reproduces the family's own ``preprocess_input``."""
    (spec,) = {
        base_spec(n).pixel_mode for n in list_bases() if base_spec(n).family == family
    }
    module = getattr(keras.applications, family)
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 4, 5, 3)).astype("float32")
    expected = to_numpy(module.preprocess_input(x.copy()))
    if spec == "none":
        np.testing.assert_allclose(expected, x)
    else:
        utils = keras.applications.imagenet_utils
        reference = to_numpy(utils.preprocess_input(x.copy(), mode=spec))
        np.testing.assert_allclose(expected, reference, rtol=1e-6, atol=1e-5)


def test_internal_preprocessing_families_are_those_with_the_switch(keras):
    with_switch = {
        base_spec(name).family
        for name in list_bases()
        if "include_preprocessing"
        in inspect.signature(
            getattr(keras.applications, base_spec(name).keras_name)
        ).parameters
    }
    assert with_switch == set(INTERNAL_PREPROCESSING)


@pytest.mark.parametrize(
    "name, suggestions",
    [
        ("mobilenet_v2", ["'mobilenetv2'"]),
        ("resnet5", ["'resnet50'"]),
        ("efficientnet_b0", ["'efficientnetb0'"]),
        ("vgg", ["'vgg16'", "'vgg19'"]),
    ],
)
def test_unknown_name_suggests_close_names(name, suggestions):
    with pytest.raises(
        ValueError, match=f"Unknown base '{name}'; did you mean"
    ) as info:
        base_spec(name)
    message = str(info.value)
    hint = message.split("All bases:")[0]
    for suggestion in suggestions:
        assert suggestion in hint
    assert "mobilenetv3small" in message.split("All bases:")[1]  # the full list


def test_unknown_name_without_close_match_lists_all_names():
    with pytest.raises(ValueError, match=r"Unknown base 'zzz'\. All bases: conv"):
        base_spec("zzz")


@pytest.mark.parametrize("name", [3, None, ["mobilenetv2"]])
def test_non_str_name_is_a_type_error(name):
    with pytest.raises(TypeError, match="`base` must be a str"):
        base_spec(name)


# ------------------------------------------------------------ the build sweep
def _pixels_by_hand(pixels, mode):
    """What ``preprocess_input`` of ``mode`` makes of 0-255 RGB pixels, in numpy."""
    if mode == "tf":
        return pixels / 127.5 - 1.0
    if mode == "torch":
        return (pixels / 255.0 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    if mode == "caffe":
        return pixels[..., ::-1] - [103.939, 116.779, 123.68]
    return pixels


def _check_built(model, keras, size, channels, n_classes=3):
    names = [layer.name for layer in model.layers]
    adapter = ["channel_adapter"] if channels != 3 else []
    assert names == [
        "image",
        *adapter,
        "pixel_scaling",
        "base",
        "gap",
        "dropout",
        "logits",
    ]
    assert model.input_shape == (None, size, size, channels)
    assert model.output_shape == (None, n_classes)
    base = model.get_layer("base")
    assert isinstance(base, keras.Model)
    assert base.input_shape == (None, size, size, 3)
    if channels != 3:
        assert model.get_layer("channel_adapter").output.shape == (None, size, size, 3)
    # GAP pools the 4D feature map that the base outputs.
    gap_input = model.get_layer("gap").input
    assert len(gap_input.shape) == 4
    assert gap_input.shape[-1] == base.output_shape[-1]
    up_to_gap = keras.Model(model.input, gap_input)
    assert up_to_gap.layers[-1] is base
    x = np.random.default_rng(0).uniform(0, 255, size=(1, size, size, channels))
    logits = to_numpy(model(x.astype("float32"), training=False))
    assert logits.shape == (1, n_classes)
    assert np.isfinite(logits).all()


@pytest.mark.parametrize("name", SWEEP)
def test_every_base_builds(name, keras, fresh_session):
    if name == "nasnetmobile" and keras.backend.backend() == "torch":
        pytest.skip("Keras has no NASNetMobile on torch (docs/backends.md)")
    spec = base_spec(name)
    size = spec.min_size
    model = CNNFactory(name, weights=None)((size, size, 3), 3, seed=0)
    # The pixel scaling applies the base's convention to 0-255 pixels.
    scaling = model.get_layer("pixel_scaling")
    assert isinstance(scaling, keras.layers.EinsumDense) and not scaling.trainable
    pixels = np.random.default_rng(1).uniform(0, 255, size=(1, size, size, 3))
    np.testing.assert_allclose(
        to_numpy(scaling(pixels.astype("float32"))),
        _pixels_by_hand(pixels, spec.pixel_mode),
        rtol=1e-5,
        atol=1e-4,
    )
    _check_built(model, keras, size, 3)


@pytest.mark.parametrize("name", ONE_CHANNEL)
def test_bases_build_on_one_channel_images(name, keras, fresh_session):
    size = base_spec(name).min_size
    model = CNNFactory(name, weights=None)((size, size, 1), 3, seed=0)
    _check_built(model, keras, size, 1)
