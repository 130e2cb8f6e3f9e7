"""The detector registry of specauth.ood: names, lookup, registration."""

import pytest

import specauth.ood as ood
from specauth.ood import (
    get_detector,
    list_detectors,
    make_detector,
    register_detector,
    registry,
)
from tests.conftest import python_output

BUILTIN = {
    "ash": "ASH",
    "dime": "DIME",
    "energy": "Energy",
    "fdbd": "FDBD",
    "gen": "GEN",
    "knn": "KNNDetector",
    "mahalanobis": "Mahalanobis",
    "maxlogit": "MaxLogit",
    "nnguide": "NNGuide",
    "react": "ReAct",
    "rmd": "RMD",
    "scale": "SCALE",
    "softmax": "MaxSoftmax",
    "vim": "ViM",
}


def test_every_builtin_detector_is_listed_under_its_command_line_name():
    assert list_detectors() == sorted(BUILTIN)
    for name, class_name in BUILTIN.items():
        assert get_detector(name) is getattr(ood, class_name)


def test_package_exports_every_builtin_class_and_registry_function():
    # __all__ is the detector classes plus the registry's functions, each
    # loaded lazily from its own module; MutualInformation (it reads an
    # ensemble, which the command line does not train) and TemplateMatcher (it
    # compares raw 2D patterns, not the embeddings every registered detector
    # is fitted on by `specauth demo`) have no registry name.
    expected = {
        *BUILTIN.values(),
        *registry.__all__,
        "MutualInformation",
        "TemplateMatcher",
    }
    assert set(ood.__all__) == expected
    assert len(ood.__all__) == len(expected)
    for name in ood.__all__:
        assert getattr(ood, name).__name__ == name
    assert set(dir(ood)) >= expected


def test_make_detector_returns_a_fresh_instance_with_the_parameters():
    first = make_detector("energy", alpha=0.01, temperature=2.0)
    assert isinstance(first, ood.Energy)
    assert (first.alpha, first.temperature) == (0.01, 2.0)
    assert make_detector("energy") is not make_detector("energy")


def test_unknown_name_lists_the_valid_ones_and_suggests_one():
    with pytest.raises(ValueError, match=r"Unknown detector 'energi'; did you mean"):
        get_detector("energi")
    with pytest.raises(ValueError, match="Valid names: ash, dime, energy, fdbd, "):
        make_detector("energi")
    with pytest.raises(TypeError, match="detector name must be a str; got 3"):
        get_detector(3)


def test_register_a_new_detector(monkeypatch):
    monkeypatch.setattr(registry, "_DETECTORS", {})

    @register_detector("my_knn")
    class MyKNN(ood.KNNDetector):
        pass

    assert "my_knn" in list_detectors()
    assert get_detector("my_knn") is MyKNN
    assert make_detector("my_knn", alpha=0.2).alpha == 0.2
    with pytest.raises(ValueError, match="'my_knn' is already registered"):
        register_detector("my_knn")


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("knn", ValueError, r"'knn' is already registered \(by specauth.ood.knn"),
        ("My-KNN", ValueError, "must be lower_snake"),
        ("", ValueError, "must be lower_snake"),
        (3, TypeError, "must be a str; got 3"),
    ],
)
def test_register_refuses_bad_names(name, error, match):
    with pytest.raises(error, match=match):
        register_detector(name)


def test_register_refuses_a_non_class(monkeypatch):
    monkeypatch.setattr(registry, "_DETECTORS", {})
    with pytest.raises(TypeError, match="decorates a detector class"):
        register_detector("fn")(lambda X: X)
    assert "fn" not in list_detectors()


def test_listing_imports_no_detector():
    code = (
        "import sys; from specauth.ood import list_detectors; list_detectors(); "
        "print(any(m.startswith(('sklearn', 'specauth.ood.knn')) for m in sys.modules))"
    )
    assert python_output(code) == "False"
