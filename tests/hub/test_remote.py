"""push_to_hub / pull_from_hub with the real client against a loopback Hub."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline, make_pipeline

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import pull_from_hub, push_to_hub, save_pretrained
from specauth.ood import KNNDetector
from specauth.openset import OpenSetClassifier
from specauth.preprocessing import SpectrumNormalizer
from tests.conftest import python_output

pytest.importorskip("huggingface_hub")

from tests.hub.hf_server import FakeHub  # noqa: E402

TOKEN = "hf_owner_token"
SAVED = {"config.json", "arrays.npz", "network.keras"}


@pytest.fixture(autouse=True)
def no_user_credentials(monkeypatch, tmp_path):
    """Never send a token or endpoint from the machine's own Hugging Face setup."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(
        "huggingface_hub.constants.HF_TOKEN_PATH", str(tmp_path / "no-token")
    )


@pytest.fixture(scope="module")
def hub():
    with FakeHub(tokens=[TOKEN]) as server:
        yield server


@pytest.fixture(scope="module")
def data():
    d = make_spectra(n_classes=2, n_samples_per_class=8, length=64, random_state=0)
    return d.X, d.y


@pytest.fixture(scope="module")
def openset_pipeline(data):
    """A network (CNN) plus detector arrays (KNN) behind a normaliser."""
    X, y = data
    osc = OpenSetClassifier(
        CNNClassifier("cnn1d_small", epochs=1, random_state=0), KNNDetector()
    )
    return make_pipeline(SpectrumNormalizer(), osc).fit(X, y)


@pytest.fixture(scope="module")
def normalizer(data):
    return SpectrumNormalizer("max").fit(data[0])


def test_round_trip_gives_identical_predictions_and_scores(
    hub, openset_pipeline, data, tmp_path
):
    X, _ = data
    commit = push_to_hub(
        openset_pipeline,
        "lab/openset",
        token=TOKEN,
        endpoint=hub.url,
        metrics={"accuracy": 0.97, "auroc": 0.91},
        dataset="make_spectra",
    )
    repo = hub.repos["lab/openset"]
    assert commit.oid == repo["branches"]["main"]
    assert commit.commit_url == f"{hub.url}/lab/openset/commit/{commit.oid}"
    assert repo["private"] is False
    files = repo["commits"][commit.oid]["files"]
    assert SAVED <= set(files)
    assert repo["commits"][commit.oid]["summary"] == "Upload Pipeline with specauth"

    loaded = pull_from_hub("lab/openset", endpoint=hub.url, cache_dir=tmp_path)
    assert isinstance(loaded, Pipeline)
    np.testing.assert_array_equal(loaded.predict(X), openset_pipeline.predict(X))
    np.testing.assert_array_equal(
        loaded.score_samples(X), openset_pipeline.score_samples(X)
    )
    np.testing.assert_array_equal(
        loaded.predict_proba(X), openset_pipeline.predict_proba(X)
    )
    # The files on disk are byte for byte what the server holds.
    snapshot = tmp_path / "models--lab--openset" / "snapshots" / commit.oid
    for name in SAVED:
        assert (snapshot / name).read_bytes() == files[name]
    # The model card on the Hub carries the metrics and the data set.
    card = files["README.md"].decode()
    assert "| Closed-set accuracy | 0.97 |" in card
    assert "| OOD AUROC | 0.91 |" in card
    assert "trained on make_spectra" in card


def test_pushing_an_unchanged_model_adds_no_commit(hub, normalizer, tmp_path):
    first = push_to_hub(normalizer, "lab/same", token=TOKEN, endpoint=hub.url)
    again = push_to_hub(normalizer, "lab/same", token=TOKEN, endpoint=hub.url)
    assert again.oid == first.oid
    assert len(hub.repos["lab/same"]["commits"]) == 2  # initial + one upload


def test_private_repo_needs_a_token(hub, normalizer, data, tmp_path):
    X, _ = data
    push_to_hub(normalizer, "lab/secret", private=True, token=TOKEN, endpoint=hub.url)
    assert hub.repos["lab/secret"]["private"] is True
    for token in (None, "hf_wrong_token", False):
        with pytest.raises(ValueError, match="'lab/secret' was not found.*token"):
            pull_from_hub(
                "lab/secret", token=token, endpoint=hub.url, cache_dir=tmp_path
            )
    with pytest.raises(ValueError, match="refused access to 'lab/secret'.*token"):
        push_to_hub(normalizer, "lab/secret", endpoint=hub.url)
    loaded = pull_from_hub(
        "lab/secret", token=TOKEN, endpoint=hub.url, cache_dir=tmp_path
    )
    np.testing.assert_array_equal(loaded.transform(X), normalizer.transform(X))


def test_revision_pins_a_commit(hub, openset_pipeline, normalizer, data, tmp_path):
    X, _ = data
    first = push_to_hub(openset_pipeline, "lab/versions", token=TOKEN, endpoint=hub.url)
    second = push_to_hub(
        normalizer,
        "lab/versions",
        token=TOKEN,
        endpoint=hub.url,
        commit_message="normaliser only",
    )
    assert first.oid != second.oid
    assert hub.repos["lab/versions"]["commits"][second.oid]["summary"] == (
        "normaliser only"
    )
    pinned = pull_from_hub(
        "lab/versions", revision=first.oid, endpoint=hub.url, cache_dir=tmp_path
    )
    np.testing.assert_array_equal(pinned.predict(X), openset_pipeline.predict(X))
    for revision in ("main", None):
        latest = pull_from_hub(
            "lab/versions", revision=revision, endpoint=hub.url, cache_dir=tmp_path
        )
        assert isinstance(latest, SpectrumNormalizer)
        assert latest.method == "max"


def test_missing_repo_revision_and_config_are_clear_errors(hub, normalizer, tmp_path):
    push_to_hub(normalizer, "lab/known", token=TOKEN, endpoint=hub.url)
    kwargs = {"endpoint": hub.url, "cache_dir": tmp_path, "token": TOKEN}
    with pytest.raises(ValueError, match="Repository 'lab/missing' was not found"):
        pull_from_hub("lab/missing", **kwargs)
    with pytest.raises(
        ValueError, match="Revision 'nope' was not found in .*'lab/known'"
    ):
        pull_from_hub("lab/known", revision="nope", **kwargs)
    unknown_oid = "0" * 40
    with pytest.raises(ValueError, match=f"Revision '{unknown_oid}' was not found"):
        pull_from_hub("lab/known", revision=unknown_oid, **kwargs)
    with pytest.raises(ValueError, match="Revision 'dev' was not found"):
        push_to_hub(
            normalizer, "lab/known", revision="dev", token=TOKEN, endpoint=hub.url
        )
    hub.create_repo("lab/not-a-model", private=False)  # only .gitattributes
    with pytest.raises(
        ValueError, match="'lab/not-a-model' at revision 'main' holds no config.json"
    ):
        pull_from_hub("lab/not-a-model", **kwargs)


@pytest.mark.parametrize(
    "repo_id",
    ["no-namespace", "a/b/c", "lab/bad--name", "lab/.hidden", "lab/", "/name",
     "lab/na me", "lab/x..y", "x" * 97 + "/y", "lab/name-"],
)  # fmt: skip
def test_bad_repo_ids_fail_before_any_request(hub, normalizer, repo_id):
    before = len(hub.requests)
    with pytest.raises(ValueError, match="`repo_id` must be 'namespace/name'"):
        push_to_hub(normalizer, repo_id, token=TOKEN, endpoint=hub.url)
    with pytest.raises(ValueError, match="`repo_id` must be 'namespace/name'"):
        pull_from_hub(repo_id, endpoint=hub.url)
    assert len(hub.requests) == before


def test_bad_arguments(hub, normalizer, tmp_path):
    with pytest.raises(TypeError, match="`repo_id` must be a string"):
        pull_from_hub(123)
    with pytest.raises(TypeError, match="`token` must be None"):
        pull_from_hub("lab/x", token=123)
    with pytest.raises(TypeError, match="`revision` must be None or a non-empty"):
        pull_from_hub("lab/x", revision="")
    with pytest.raises(TypeError, match="`cache_dir` must be None or a path"):
        pull_from_hub("lab/x", cache_dir=5)
    with pytest.raises(TypeError, match="`local_files_only` must be True or False"):
        pull_from_hub("lab/x", local_files_only="yes")
    with pytest.raises(TypeError, match="`private` must be True, False or None"):
        push_to_hub(normalizer, "lab/x", private="no")
    with pytest.raises(ValueError, match="`endpoint` .* must be an http"):
        pull_from_hub("lab/x", endpoint="ftp://example.org")
    with pytest.raises(ValueError, match="`create_pr=True` .* got 'dev'"):
        push_to_hub(normalizer, "lab/x", create_pr=True, revision="dev")
    with pytest.raises(ValueError, match="has no config.json"):
        push_to_hub(tmp_path, "lab/x", token=TOKEN, endpoint=hub.url)
    with pytest.raises(NotFittedError):
        push_to_hub(CNNClassifier(), "lab/unfitted", token=TOKEN, endpoint=hub.url)
    assert "lab/unfitted" not in hub.repos and "lab/x" not in hub.repos


def test_metrics_only_with_an_estimator(hub, normalizer, tmp_path):
    folder = save_pretrained(normalizer, tmp_path / "saved")
    with pytest.raises(ValueError, match="pass them there"):
        push_to_hub(folder, "lab/m", metrics={"accuracy": 1.0}, endpoint=hub.url)
    with pytest.raises(TypeError, match="`metrics`"):
        push_to_hub(normalizer, "lab/m", metrics=[1.0], endpoint=hub.url)
    assert "lab/m" not in hub.repos


def test_push_a_saved_folder_and_exist_ok(hub, normalizer, data, tmp_path):
    X, _ = data
    folder = save_pretrained(normalizer, tmp_path / "saved")
    (folder / "notes.txt").write_text("extra files are uploaded too")
    commit = push_to_hub(folder, "lab/folder", token=TOKEN, endpoint=hub.url)
    files = hub.repos["lab/folder"]["commits"][commit.oid]["files"]
    assert files["notes.txt"] == b"extra files are uploaded too"
    assert files["config.json"] == (folder / "config.json").read_bytes()
    with pytest.raises(ValueError, match="'lab/folder' already exists.*exist_ok"):
        push_to_hub(folder, "lab/folder", token=TOKEN, endpoint=hub.url, exist_ok=False)
    loaded = pull_from_hub("lab/folder", endpoint=hub.url, cache_dir=tmp_path / "c")
    np.testing.assert_array_equal(loaded.transform(X), normalizer.transform(X))


def test_pull_request_leaves_main_unchanged(hub, normalizer, data, tmp_path):
    X, _ = data
    main = push_to_hub(normalizer, "lab/pr", token=TOKEN, endpoint=hub.url)
    proposal = SpectrumNormalizer("sum").fit(X)
    commit = push_to_hub(
        proposal, "lab/pr", token=TOKEN, endpoint=hub.url, create_pr=True
    )
    assert commit.pr_revision == "refs/pr/1"
    assert commit.pr_url == f"{hub.url}/lab/pr/discussions/1"
    assert hub.repos["lab/pr"]["branches"]["main"] == main.oid
    loaded = pull_from_hub(
        "lab/pr", revision="refs/pr/1", endpoint=hub.url, cache_dir=tmp_path
    )
    assert loaded.method == "sum"


def test_hf_endpoint_environment_variable_is_honoured(hub, normalizer, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", hub.url + "/")
    commit = push_to_hub(normalizer, "lab/env", token=TOKEN)
    assert commit.commit_url.startswith(hub.url + "/lab/env/commit/")
    assert isinstance(pull_from_hub("lab/env"), SpectrumNormalizer)


def test_cached_model_loads_with_the_server_stopped(normalizer, data, tmp_path):
    X, _ = data
    with FakeHub(tokens=[TOKEN]) as hub:
        commit = push_to_hub(normalizer, "lab/cached", token=TOKEN, endpoint=hub.url)
        pull_from_hub("lab/cached", endpoint=hub.url, cache_dir=tmp_path)
        n_requests = len(hub.requests)
    kwargs = {"endpoint": hub.url, "cache_dir": tmp_path}
    for revision in (None, commit.oid):
        offline = pull_from_hub(
            "lab/cached", revision=revision, local_files_only=True, **kwargs
        )
        np.testing.assert_array_equal(offline.transform(X), normalizer.transform(X))
    # Unreachable Hub: the cached copy of "main" is used.
    assert isinstance(pull_from_hub("lab/cached", **kwargs), SpectrumNormalizer)
    assert len(hub.requests) == n_requests
    with pytest.raises(ValueError, match="'lab/cached' at revision 'dev' is not in"):
        pull_from_hub("lab/cached", revision="dev", local_files_only=True, **kwargs)
    with pytest.raises(ConnectionError, match="Could not reach .*'lab/other'"):
        pull_from_hub("lab/other", **kwargs)


def test_missing_huggingface_hub_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    monkeypatch.setitem(sys.modules, "huggingface_hub.errors", None)
    with pytest.raises(ImportError, match=r"pip install specauth\[hub\]"):
        pull_from_hub("lab/x")


def test_importing_specauth_hub_does_not_import_huggingface_hub():
    code = "import sys, specauth.hub; print('huggingface_hub' in sys.modules)"
    assert python_output(code) == "False"


def test_pull_downloads_only_the_model_files(hub, normalizer, data, tmp_path):
    X, _ = data
    folder = save_pretrained(normalizer, tmp_path / "saved")
    (folder / "notes.txt").write_text("not part of the model")
    (folder / "data").mkdir()
    (folder / "data" / "train.npy").write_bytes(b"big training data")
    commit = push_to_hub(folder, "lab/extras", token=TOKEN, endpoint=hub.url)
    assert {"notes.txt", "data/train.npy"} <= set(
        hub.repos["lab/extras"]["commits"][commit.oid]["files"]
    )
    start = len(hub.requests)
    cache = tmp_path / "cache"
    loaded = pull_from_hub("lab/extras", endpoint=hub.url, cache_dir=cache)
    np.testing.assert_array_equal(loaded.transform(X), normalizer.transform(X))
    fetched = {path for method, path in hub.requests[start:] if "/resolve/" in path}
    assert sorted(p.rsplit("/", 1)[-1] for p in fetched) == [
        "README.md",
        "arrays.npz",
        "config.json",
    ]
    snapshot = cache / "models--lab--extras" / "snapshots" / commit.oid
    assert sorted(p.name for p in snapshot.iterdir()) == [
        "README.md",
        "arrays.npz",
        "config.json",
    ]


def test_pull_into_a_folder_that_is_not_a_model_is_refused(hub, normalizer, tmp_path):
    push_to_hub(normalizer, "lab/into", token=TOKEN, endpoint=hub.url)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "README.md").write_text("my notes")
    kwargs = {"endpoint": hub.url, "cache_dir": tmp_path / "c", "local_dir": mine}
    with pytest.raises(ValueError, match="not empty and holds no specauth model"):
        pull_from_hub("lab/into", **kwargs)
    assert (mine / "README.md").read_text() == "my notes"
    out = tmp_path / "out"
    pull_from_hub("lab/into", **{**kwargs, "local_dir": out})
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "arrays.npz",
        "config.json",
    ]
    (out / "notes.txt").write_text("kept")
    pull_from_hub("lab/into", **{**kwargs, "local_dir": out})  # a model: updated
    assert (out / "notes.txt").read_text() == "kept"
