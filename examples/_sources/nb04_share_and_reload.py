"""Cells of ``04_share_and_reload.ipynb``."""

from _sources import code, md, setup, summary_cell

CELLS = [
    md(
        """
# 04 · Save, share and reload a model

A trained specauth model -- here a whole scikit-learn `Pipeline`:
normalisation, log transform and an open-set classifier (1D CNN + detector)
-- is saved as a plain folder: the Keras network (`.keras`), a JSON config,
`.npz` arrays and a model card (`README.md`). Nothing is pickled, so loading
a folder from someone else runs no code of theirs.

The same folder is what `push_to_hub` uploads to the Hugging Face Hub and
`pull_from_hub` downloads and loads, optionally pinned to one commit.
"""
    ),
    setup(
        """
N_PER_CLASS = 100  # spectra per class
EPOCHS = 30 if QUICK else 60  # training passes
""",
        plots=False,
    ),
    md(
        """
## A model to share

Synthetic spectra of four known classes and one class held out as unknown.
"""
    ),
    code(
        """
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.ood import KNNDetector
from specauth.openset import OpenSetClassifier, figures_of_merit, ood_metrics
from specauth.preprocessing import LogTransform, SpectrumNormalizer

data = make_spectra(
    n_classes=4,
    n_samples_per_class=N_PER_CLASS,
    length=1024,
    n_unknown_classes=1,
    random_state=SEED,
)
X_train, X_test, y_train, y_test = train_test_split(
    data.X, data.y, test_size=0.25, stratify=data.y, random_state=SEED
)
X_new = np.vstack([X_test, data.X_unknown])  # what the model will be asked about
y_new = np.concatenate([y_test, data.y_unknown])

model = make_pipeline(
    SpectrumNormalizer("sum"),
    LogTransform(),
    OpenSetClassifier(
        CNNClassifier(epochs=EPOCHS, random_state=SEED),
        KNNDetector(alpha=0.05),
    ),
)
model.fit(X_train, y_train)
predictions = model.predict(X_new)
scores = model.score_samples(X_new)
fom = figures_of_merit(predictions, y_new, known_classes=model.classes_)
auroc = ood_metrics(model.score_samples(X_test), model.score_samples(data.X_unknown))[
    "AUROC"
]
METRICS = {"teff": round(fom["TEFF"], 4), "auroc": round(auroc, 4)}
print(METRICS)
"""
    ),
    md(
        """
## Save and load a folder

`save_pretrained` writes the folder (the metrics go into the model card and
the config); `load_pretrained` rebuilds the fitted pipeline from it, in Keras'
safe mode.
"""
    ),
    code(
        """
from specauth.hub import load_pretrained, save_pretrained

OUT = Path("_output")
OUT.mkdir(exist_ok=True)
folder = save_pretrained(
    model,
    OUT / "synthetic_openset",
    metrics=METRICS,
    dataset="make_spectra(n_classes=4, length=1024)",
)
print(sorted(p.name for p in folder.iterdir()))
print((folder / "README.md").read_text(encoding="utf-8")[:700], "...")

reloaded = load_pretrained(folder)
RELOADED_SAME = bool(
    np.array_equal(reloaded.predict(X_new), predictions)
    and np.allclose(reloaded.score_samples(X_new), scores, atol=1e-5)
)
print("reloaded model gives the same answers:", RELOADED_SAME)
"""
    ),
    md(
        """
## Push to the Hub and pull it back

Online, log in once (`hf auth login`, or set `HF_TOKEN`) and call

```python
push_to_hub(model, "my-lab/synthetic-openset", private=True, metrics=METRICS)
pulled = pull_from_hub("my-lab/synthetic-openset")
```

without `endpoint=` (and without `token=`, taken from the login). To run
offline, this notebook starts a **loopback stand-in of the Hub** on
`127.0.0.1` -- the one the test suite uses -- and passes its address as
`endpoint=`; the `huggingface_hub` client runs unchanged against it.
"""
    ),
    code(
        """
import tempfile

from _loopback_hub import start_loopback_hub

from specauth.hub import pull_from_hub, push_to_hub

TOKEN = "hf_owner_token"  # the stand-in's only valid token
hub = start_loopback_hub(tokens=[TOKEN])
cache = tempfile.TemporaryDirectory()  # a fresh download cache, not ~/.cache

tic = time.perf_counter()
commit = push_to_hub(
    model,
    "my-lab/synthetic-openset",
    private=True,
    token=TOKEN,
    endpoint=hub.url,
    metrics=METRICS,
)
PUSH_SECONDS = time.perf_counter() - tic
print("pushed commit", commit.oid)

tic = time.perf_counter()
pulled = pull_from_hub(
    "my-lab/synthetic-openset",
    revision=commit.oid,
    token=TOKEN,
    endpoint=hub.url,
    cache_dir=cache.name,
)
PULL_SECONDS = time.perf_counter() - tic
PULLED_SAME = bool(np.array_equal(pulled.predict(X_new), predictions))
print("pulled model gives the same answers:", PULLED_SAME)
"""
    ),
    md(
        """
A private repository stays private: without the token the stand-in, like
the Hub, answers as if it did not exist.
"""
    ),
    code(
        """
try:
    pull_from_hub(
        "my-lab/synthetic-openset", token=False, endpoint=hub.url, cache_dir=cache.name
    )
except ValueError as err:
    PRIVATE_REFUSED = True
    print("refused:", str(err).splitlines()[0])
else:
    PRIVATE_REFUSED = False
hub.stop()
cache.cleanup()
"""
    ),
    md(
        """
## The same folder from the command line

`specauth predict` reads the folder too and writes one CSV row per spectrum:
the label (or `unknown`), the detector score and the class probabilities.
In a notebook: `!specauth predict _output/synthetic_openset --x new.npy`.
Here it runs as `python -m specauth`, so that a failure stops the notebook.
"""
    ),
    code(
        """
import csv
import subprocess
import sys

np.save(OUT / "new_spectra.npy", X_new)
command = [
    sys.executable,
    "-m",
    "specauth",
    "predict",
    str(folder),
    "--x",
    str(OUT / "new_spectra.npy"),
    "--out",
    str(OUT / "predictions.csv"),
]
print("$ specauth", " ".join(command[3:]))
result = subprocess.run(command, capture_output=True, text=True)
print(result.stdout, result.stderr)
result.check_returncode()  # stop here if the command failed
with open(OUT / "predictions.csv", newline="", encoding="utf-8") as handle:
    rows = list(csv.DictReader(handle))
print(len(rows), "rows; columns:", list(rows[0]))
CLI_SAME = [row["label"] for row in rows] == [str(p) for p in predictions]
print("command line gives the same labels:", CLI_SAME)
"""
    ),
    md(
        """
## Summary

The key numbers, one `KEY: value` per line (the test suite reads them).
"""
    ),
    summary_cell(
        """
summary = {
    "TEFF": METRICS["teff"],
    "AUROC": METRICS["auroc"],
    "RELOADED_SAME": RELOADED_SAME,
    "PULLED_SAME": PULLED_SAME,
    "PRIVATE_REFUSED": PRIVATE_REFUSED,
    "CLI_SAME": CLI_SAME,
    "PUSH_SECONDS": f"{PUSH_SECONDS:.1f}",
    "PULL_SECONDS": f"{PULL_SECONDS:.1f}",
}
"""
    ),
]
