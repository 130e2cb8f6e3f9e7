"""CNNFactory: pretrained weights, frozen base, .keras round trip, registry, errors.

Most networks here are a slim MobileNetV2 (``alpha=0.35``) on 32x32 images,
the cheapest base; the pretrained-weights tests load the MobileNetV2 file of
``../shared/weights`` at 96x96 and skip when that folder is absent.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

import specauth.models.layers  # noqa: F401  (registers the layers for loading)
from specauth.models import CNNFactory, get_model, list_bases, list_models
from specauth.models.layers import GramianAngularLayer
from tests.tolerance import assert_close

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED = PROJECT_ROOT / ".." / "shared"
WEIGHTS = (SHARED / "weights" / "mobilenet_v2_imagenet_notop.weights.h5").resolve()
SLIM = {"alpha": 0.35}
TORCH_MEAN = np.array([0.485, 0.456, 0.406])
TORCH_STD = np.array([0.229, 0.224, 0.225])


def _slim(**options):
    """A cheap factory: slim MobileNetV2, random weights unless given."""
    return CNNFactory(
        "mobilenetv2", **{"weights": None, "base_options": dict(SLIM), **options}
    )


def _images(shape, seed=0, high=255.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, high, size=shape).astype("float32")


def _spectra(n, length, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, length, 1)).cumsum(axis=1).astype("float32")


def _batchnorms(keras, base):
    norm = keras.layers.BatchNormalization
    return [layer for layer in base.layers if isinstance(layer, norm)]


@pytest.fixture(scope="module")
def weights_file():
    if not WEIGHTS.is_file():
        pytest.skip(f"MobileNetV2 weights not found at {WEIGHTS} (../shared absent)")
    return WEIGHTS


@pytest.fixture(scope="module")
def pretrained(weights_file):
    """MobileNetV2 with the shared ImageNet weights at 96x96, torch pixels."""
    factory = CNNFactory(
        "mobilenetv2", weights=weights_file, preprocessing="torch", dropout=0.0
    )
    return factory((96, 96, 3), 3, seed=0)


@pytest.fixture(scope="module")
def reference_base(keras, weights_file):
    """The same file loaded into a plain Keras MobileNetV2, independently."""
    base = keras.applications.MobileNetV2(
        include_top=False, weights=None, input_shape=(96, 96, 3)
    )
    base.load_weights(weights_file)
    return base


def _layer_output(keras, model, name, x):
    """The output of layer ``name`` of ``model`` on the model input ``x``."""
    probe = keras.Model(model.input, model.get_layer(name).output)
    return to_numpy(probe(x, training=False))


def _gap_features(keras, model, x):
    embedder = keras.Model(model.input, model.get_layer("gap").output)
    return to_numpy(embedder(x, training=False))


# --------------------------------------------------------- pretrained weights
def test_weights_file_is_loaded_into_the_base(pretrained, reference_base):
    base = pretrained.get_layer("base")
    ours, theirs = base.get_weights(), reference_base.get_weights()
    assert len(ours) == len(theirs) > 100
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_features_equal_the_reference_on_torch_pixels(
    keras, pretrained, reference_base
):
    x = _images((3, 96, 96, 3))
    torch_pixels = ((x / 255.0 - TORCH_MEAN) / TORCH_STD).astype("float32")
    expected = to_numpy(reference_base(torch_pixels, training=False)).mean(axis=(1, 2))
    np.testing.assert_allclose(
        _gap_features(keras, pretrained, x), expected, rtol=1e-4, atol=1e-4
    )


def test_features_come_from_the_file_not_from_the_seed(keras, pretrained, weights_file):
    factory = CNNFactory(
        "mobilenetv2", weights=weights_file, preprocessing="torch", dropout=0.0
    )
    other = factory((96, 96, 3), 3, seed=1)
    x = _images((2, 96, 96, 3), seed=1)
    np.testing.assert_array_equal(
        _gap_features(keras, other, x), _gap_features(keras, pretrained, x)
    )
    # ... while the seeded head differs, and random bases differ between builds.
    assert not np.allclose(
        other.get_layer("logits").get_weights()[0],
        pretrained.get_layer("logits").get_weights()[0],
    )
    first, second = (_slim()((32, 32, 3), 3, seed=0) for _ in range(2))
    assert not np.allclose(
        first.get_layer("base").get_weights()[0],
        second.get_layer("base").get_weights()[0],
    )


def _cosines(features):
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    return unit @ unit.T


def test_pretrained_features_tell_smooth_images_from_noise(keras, pretrained):
    """ImageNet features separate two kinds of image; random ones barely do."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:96, 0:96] / 96.0
    smooth = np.stack(
        [
            np.stack(
                [
                    127 + 120 * np.sin(2 * np.pi * (fx * xx + fy * yy) + p)
                    for p in (0, 1, 2)
                ],
                axis=-1,
            )
            for fx, fy in rng.uniform(0.5, 2.0, size=(8, 2))
        ]
    )
    x = np.concatenate([smooth, rng.uniform(0, 255, size=(8, 96, 96, 3))]).astype(
        "float32"
    )
    within, across = np.triu_indices(8, 1), np.s_[:8, 8:]

    def contrast(model):
        cos = _cosines(_gap_features(keras, model, x))
        inside = (cos[:8, :8][within].mean() + cos[8:, 8:][within].mean()) / 2
        return inside - cos[across].mean()

    random_base = CNNFactory(
        "mobilenetv2", weights=None, preprocessing="torch", dropout=0.0
    )((96, 96, 3), 3, seed=0)
    pretrained_contrast = contrast(pretrained)
    # Measured: 0.38 for ImageNet weights, 0.01 to 0.03 for random ones.
    assert pretrained_contrast > 0.25
    assert pretrained_contrast > 5 * abs(contrast(random_base))


# --------------------------------------------------------------- frozen base
def _assert_batchnorm_in_inference_mode(keras, model, x):
    base = model.get_layer("base")
    norms = _batchnorms(keras, base)
    assert norms
    before = [keras.ops.convert_to_numpy(layer.moving_mean) for layer in norms]
    features = keras.Model(model.input, model.get_layer("gap").output)
    train_a = to_numpy(features(x, training=True))
    train_b = to_numpy(features(x, training=True))
    np.testing.assert_array_equal(train_a, train_b)
    np.testing.assert_allclose(
        train_a, to_numpy(features(x, training=False)), rtol=1e-5, atol=1e-6
    )
    # Batch statistics would make a sample's features depend on its batch. A
    # batch of one runs other convolution kernels on torch: a few float32 ulps
    # more (2.5e-5 relative measured on its CPU build).
    rtol = 1e-4 if keras.backend.backend() == "torch" else 1e-5
    np.testing.assert_allclose(
        to_numpy(features(x[:1], training=True)), train_a[:1], rtol=rtol, atol=1e-6
    )
    for layer, mean in zip(norms, before, strict=True):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(layer.moving_mean), mean
        )


def test_base_with_weights_is_frozen_by_default(keras, pretrained):
    base = pretrained.get_layer("base")
    assert base.trainable is False
    assert base.trainable_weights == []
    assert sorted(w.path for w in pretrained.trainable_weights) == [
        "logits/bias",
        "logits/kernel",
    ]
    _assert_batchnorm_in_inference_mode(keras, pretrained, _images((4, 96, 96, 3)))


def test_random_base_frozen_on_request(keras):
    model = _slim(freeze_base=True, dropout=0.0)((32, 32, 3), 3, seed=0)
    assert model.get_layer("base").trainable_weights == []
    _assert_batchnorm_in_inference_mode(keras, model, _images((4, 32, 32, 3)))


def test_random_base_trains_by_default(keras):
    model = _slim(dropout=0.0)((32, 32, 3), 3, seed=0)
    base = model.get_layer("base")
    assert base.trainable is True
    assert len(base.trainable_weights) > 50
    # As documented: a trainable base's BatchNorm uses batch statistics.
    features = keras.Model(model.input, model.get_layer("gap").output)
    x = _images((4, 32, 32, 3))
    assert not np.allclose(
        to_numpy(features(x, training=True)), to_numpy(features(x, training=False))
    )


# ---------------------------------------------------------- .keras round trip
ROUND_TRIPS = {
    "gasf_spectra": (dict(imaging="gasf", image_size=32), (64, 1)),
    "learned_adapter_1_channel": (dict(channel_adapter="learned"), (32, 32, 1)),
    "resized_2_channels": (dict(image_size=32, dense_units=8), (40, 48, 2)),
}


@pytest.fixture(scope="module")
def saved_networks(tmp_path_factory):
    """Each ROUND_TRIPS network saved as ``<case>.keras``, with inputs and outputs.

    Built once for the in-process and the fresh-process round trips; a channel
    adapter gets a kernel away from its initial matrix (as after training).
    """
    folder = tmp_path_factory.mktemp("networks")
    layer_names, custom = {}, {}
    for case, (options, input_shape) in ROUND_TRIPS.items():
        model = _slim(**options)(input_shape, 3, seed=0)
        if "channel_adapter" in [layer.name for layer in model.layers]:
            adapter = model.get_layer("channel_adapter")
            kernel = np.random.default_rng(1).normal(size=adapter.kernel.shape)
            adapter.kernel.assign(kernel.astype("float32"))
        if len(input_shape) == 2:
            x = _spectra(4, input_shape[0])
        else:
            x = _images((4, *input_shape), high=255.0)
        np.save(folder / f"{case}_x.npy", x)
        np.save(folder / f"{case}_expected.npy", to_numpy(model(x, training=False)))
        model.save(folder / f"{case}.keras")
        layer_names[case] = [layer.name for layer in model.layers]
        custom[case] = sorted(_custom_layer_classes(model))
    return folder, layer_names, custom


def _custom_layer_classes(model):
    """Class names of the non-Keras layers of ``model``, nested models too."""
    found = set()
    for layer in model.layers:
        if not type(layer).__module__.startswith("keras"):
            found.add(type(layer).__name__)
        if hasattr(layer, "layers"):
            found |= _custom_layer_classes(layer)
    return found


@pytest.mark.parametrize("case", sorted(ROUND_TRIPS))
def test_keras_round_trip_gives_identical_predictions(case, keras, saved_networks):
    folder, layer_names, _ = saved_networks
    loaded = keras.saving.load_model(folder / f"{case}.keras")
    assert [layer.name for layer in loaded.layers] == layer_names[case]
    assert isinstance(loaded.get_layer("pixel_scaling"), keras.layers.EinsumDense)
    x = np.load(folder / f"{case}_x.npy")
    np.testing.assert_allclose(
        to_numpy(loaded(x, training=False)),
        np.load(folder / f"{case}_expected.npy"),
        rtol=1e-6,
        atol=1e-6,
    )


# A fresh interpreter that never imports specauth loads the image networks; the
# imaged network needs ``import specauth.models.layers`` (its GramianAngularLayer).
_LOAD_ELSEWHERE = """
import sys
import keras
import numpy as np

folder = sys.argv[1]


def run(case):
    model = keras.saving.load_model(f"{folder}/{case}.keras", safe_mode=True)
    x = np.load(f"{folder}/{case}_x.npy")
    np.save(f"{folder}/{case}_got.npy", np.asarray(model(x, training=False)))


run("learned_adapter_1_channel")
run("resized_2_channels")
assert not [name for name in sys.modules if name.startswith("specauth")]
try:
    run("gasf_spectra")
except TypeError as err:
    print("without specauth:", err)
import specauth.models.layers  # noqa: E402,F401
run("gasf_spectra")
"""


@pytest.mark.slow
def test_image_networks_load_with_plain_keras_in_a_fresh_process(saved_networks):
    folder, _, _ = saved_networks
    path = os.pathsep.join(
        filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])
    )
    run = subprocess.run(
        [sys.executable, "-c", _LOAD_ELSEWHERE, str(folder)],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": path},  # specauth importable, not imported
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "without specauth:" in run.stdout
    assert "Could not locate class 'GramianAngularLayer'" in run.stdout
    for case in ROUND_TRIPS:
        np.testing.assert_allclose(
            np.load(folder / f"{case}_got.npy"),
            np.load(folder / f"{case}_expected.npy"),
            rtol=1e-6,
            atol=1e-6,
        )


def test_round_trip_models_have_the_documented_layers(keras):
    gasf = _slim(imaging="gasf", image_size=32)((64, 1), 3, seed=0)
    assert isinstance(gasf.get_layer("imaging"), GramianAngularLayer)
    assert gasf.get_layer("imaging").output.shape == (None, 32, 32, 1)
    # The field's range (-1, 1) maps to "tf" pixels in [-1, 1]: the identity,
    # after the fixed adapter has copied the single channel to R, G and B.
    x = _spectra(2, 64)
    field = _layer_output(keras, gasf, "imaging", x)
    adapted = _layer_output(keras, gasf, "channel_adapter", x)
    assert_close(adapted, np.repeat(field, 3, axis=-1))
    np.testing.assert_allclose(
        _layer_output(keras, gasf, "pixel_scaling", x), adapted, atol=1e-6
    )
    assert gasf.get_layer("channel_adapter").trainable is False
    assert gasf.get_layer("pixel_scaling").trainable is False

    learned = _slim(channel_adapter="learned")((32, 32, 3), 3, seed=0)
    adapter = learned.get_layer("channel_adapter")
    assert isinstance(adapter, keras.layers.EinsumDense) and adapter.trainable is True
    np.testing.assert_array_equal(to_numpy(adapter.kernel), np.eye(3))
    assert [w.path for w in adapter.trainable_weights] == ["channel_adapter/kernel"]
    # Default input range (0, 255) to "tf" pixels: x / 127.5 - 1.
    images = _images((2, 32, 32, 3))
    np.testing.assert_allclose(
        _layer_output(keras, learned, "pixel_scaling", images),
        images / 127.5 - 1.0,
        atol=1e-5,
    )
    assert learned.get_layer("pixel_scaling").trainable_weights == []

    resized = _slim(image_size=(32, 36), head="flatten", dense_units=8, dropout=0.0)(
        (40, 48, 3), 3, seed=0
    )
    names = [layer.name for layer in resized.layers]
    assert names == [
        "image",
        "resize",
        "pixel_scaling",
        "base",
        "flatten",
        "dense",
        "logits",
    ]
    assert resized.get_layer("resize").output.shape == (None, 32, 36, 3)


# ------------------------------------------------------------------ options
def test_seed_fixes_the_head():
    first, second = (_slim(dense_units=4)((32, 32, 3), 3, seed=5) for _ in range(2))
    for name in ("dense", "logits"):
        for a, b in zip(
            first.get_layer(name).get_weights(),
            second.get_layer(name).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)


def test_overrides_apply_to_one_build_only():
    factory = _slim()
    model = factory((32, 32, 1), 3, seed=0, channel_adapter="learned", dropout=0.0)
    assert model.get_layer("channel_adapter").trainable is True
    assert "dropout" not in [layer.name for layer in model.layers]
    assert factory.channel_adapter == "fixed" and factory.dropout == 0.2
    assert CNNFactory.build is CNNFactory.__call__


def test_config_repr_and_equality():
    options = {"alpha": 0.35}
    factory = CNNFactory("mobilenetv2", weights=None, base_options=options)
    assert factory.get_config()["base_options"] is options
    assert factory == CNNFactory(
        "mobilenetv2", weights=None, base_options={"alpha": 0.35}
    )
    assert factory != CNNFactory("mobilenetv2", weights=None)
    assert repr(factory) == (
        "CNNFactory('mobilenetv2', weights=None, base_options={'alpha': 0.35})"
    )
    assert repr(CNNFactory()) == "CNNFactory('mobilenetv2')"


def test_internal_preprocessing_is_switched_off_for_other_modes(keras):
    options = {}
    tf_mode = CNNFactory(
        "mobilenetv3small", weights=None, preprocessing="tf", base_options=options
    )((32, 32, 3), 3, seed=0)
    assert options == {}  # the user's dict is not modified
    auto = CNNFactory("mobilenetv3small", weights=None)((32, 32, 3), 3, seed=0)

    def rescales(model):
        base = model.get_layer("base")
        return any(isinstance(layer, keras.layers.Rescaling) for layer in base.layers)

    # "none" leaves 0-255 pixels as they are; "tf" maps them to [-1, 1].
    x = _images((1, 32, 32, 3))
    np.testing.assert_allclose(
        _layer_output(keras, auto, "pixel_scaling", x), x, rtol=1e-6
    )
    assert rescales(auto)
    np.testing.assert_allclose(
        _layer_output(keras, tf_mode, "pixel_scaling", x), x / 127.5 - 1, atol=1e-5
    )
    assert not rescales(tf_mode)


def test_image_networks_are_built_in_layers_only(saved_networks):
    _, _, custom = saved_networks
    assert custom == {
        "gasf_spectra": ["GramianAngularLayer"],
        "learned_adapter_1_channel": [],
        "resized_2_channels": [],
    }


# ------------------------------------------------------------------ registry
def test_every_base_is_a_registered_image_builder():
    registered = set(list_models())
    for name in list_bases():
        assert name in registered
        builder = get_model(name)
        assert builder.__name__ == name
        assert builder.input_kind == "image"


def test_registry_builder_matches_the_factory():
    via_registry = get_model("mobilenetv2")(
        (32, 32, 1), 3, seed=0, weights=None, base_options=dict(SLIM)
    )
    via_factory = _slim()((32, 32, 1), 3, seed=0)

    def outline(model):
        return [
            (layer.name, type(layer).__name__, tuple(layer.output.shape))
            for layer in model.layers
        ]

    assert outline(via_registry) == outline(via_factory)
    base_a, base_b = via_registry.get_layer("base"), via_factory.get_layer("base")
    assert [type(x).__name__ for x in base_a.layers] == [
        type(x).__name__ for x in base_b.layers
    ]
    assert via_registry.count_params() == via_factory.count_params()
    for a, b in zip(
        via_registry.get_layer("logits").get_weights(),
        via_factory.get_layer("logits").get_weights(),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- bad input
BAD = [
    # (factory options, input_shape, call options, error, message fragment)
    (
        {"base": "mobilenet_v2"},
        (32, 32, 3),
        {},
        ValueError,
        "did you mean 'mobilenetv2'",
    ),
    ({"base": "resnet5"}, (32, 32, 3), {}, ValueError, "did you mean 'resnet50'"),
    ({"base": 3}, (32, 32, 3), {}, TypeError, "`base` must be a str"),
    ({}, (16, 16, 3), {}, ValueError, "at least 32x32; the images would be 16x16"),
    (
        {"base": "inceptionv3"},
        (64, 64, 3),
        {},
        ValueError,
        "'inceptionv3' needs images of at least 75x75",
    ),
    ({}, (64, 64, 3), {"image_size": 16}, ValueError, "the images would be 16x16"),
    (
        {"imaging": "gasf", "image_size": 16},
        (64, 1),
        {},
        ValueError,
        "the Gramian field would be 16x16",
    ),
    ({}, (64, 1), {}, ValueError, "set imaging='gasf' or 'gadf'"),
    ({}, (64,), {}, ValueError, "takes images"),
    ({"imaging": "gasf"}, (32, 32, 3), {}, ValueError, "Pass imaging=None for images"),
    ({"imaging": "gasf"}, (64, 2), {}, ValueError, "single-channel spectra"),
    ({"imaging": "gasf", "image_size": (32, 40)}, (64, 1), {}, ValueError, "square"),
    ({"imaging": "gasf", "image_size": 64}, (48, 1), {}, ValueError, "larger than"),
    ({"imaging": "gaf"}, (64, 1), {}, ValueError, "`imaging` must be one of"),
    ({"image_size": (32, 32, 3)}, (32, 32, 3), {}, ValueError, "pair"),
    ({}, [32, 32], {}, ValueError, "takes images"),
    ({}, "32x32", {}, TypeError, "`input_shape` must be a tuple"),
    ({"preprocessing": "keras"}, (32, 32, 3), {}, ValueError, "`preprocessing`"),
    ({"channel_adapter": "auto"}, (32, 32, 3), {}, ValueError, "`channel_adapter`"),
    ({"head": "max"}, (32, 32, 3), {}, ValueError, "`head` must be one of"),
    ({"dropout": 1.5}, (32, 32, 3), {}, ValueError, "`dropout`"),
    ({"dense_units": 0}, (32, 32, 3), {}, ValueError, "`dense_units`"),
    ({"freeze_base": "yes"}, (32, 32, 3), {}, TypeError, "`freeze_base`"),
    ({"weights": 3}, (32, 32, 3), {}, TypeError, "`weights` must be 'imagenet'"),
    (
        {"base_options": {"weights": "imagenet"}},
        (32, 32, 3),
        {},
        ValueError,
        r"`base_options` must not set \['weights'\]",
    ),
    ({"base_options": {"bogus": 1}}, (32, 32, 3), {}, TypeError, "rejected"),
    ({}, (32, 32, 3), {"n_classes": 0}, ValueError, "`n_classes`"),
    (
        {},
        (32, 32, 3),
        {"foo": 1},
        TypeError,
        r"Unknown CNNFactory option\(s\) \['foo'\]",
    ),
]


@pytest.mark.parametrize("options, input_shape, call, error, match", BAD)
def test_bad_input(options, input_shape, call, error, match):
    overrides = dict(call)
    n_classes = overrides.pop("n_classes", 3)
    factory = CNNFactory(**{"weights": None, **options})
    with pytest.raises(error, match=match):
        factory(input_shape, n_classes, seed=0, **overrides)


def test_missing_weights_file(tmp_path):
    missing = tmp_path / "nowhere.weights.h5"
    with pytest.raises(FileNotFoundError, match="`weights` file .* does not exist"):
        CNNFactory(weights=missing)((32, 32, 3), 3)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Keras lists each misfit
@pytest.mark.parametrize(
    "base, options", [("mobilenet", {}), ("efficientnetb0", {}), ("mobilenetv2", SLIM)]
)
def test_weights_of_another_architecture_do_not_fit(base, options, weights_file):
    with pytest.raises(ValueError, match=f"does not fit base '{base}'"):
        CNNFactory(base, weights=weights_file, base_options=dict(options))(
            (32, 32, 3), 3
        )


# ------------------------------------------------- ImageNet download failures
def _patch_get_file(monkeypatch, error):
    from keras.src.utils import file_utils

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(file_utils, "get_file", failing)


@pytest.mark.parametrize(
    "error",
    [
        Exception("URL fetch failure on https://example/x.h5: None -- no network"),
        OSError("[Errno -3] Temporary failure in name resolution"),
    ],
)
def test_failed_imagenet_download_is_a_connection_error(monkeypatch, error):
    _patch_get_file(monkeypatch, error)
    factory = CNNFactory("mobilenetv2", base_options={"alpha": 0.35})
    with pytest.raises(ConnectionError, match="Could not get the ImageNet weights"):
        factory((96, 96, 3), 2, seed=0)


def test_other_constructor_errors_are_not_blamed_on_the_download(monkeypatch):
    _patch_get_file(monkeypatch, RuntimeError("something else broke"))
    factory = CNNFactory("mobilenetv2", base_options={"alpha": 0.35})
    with pytest.raises(RuntimeError, match="something else broke"):
        factory((96, 96, 3), 2, seed=0)
