"""Cells of ``01_xrd_gramian_transfer.ipynb``."""

from _sources import FIND_SHARED, code, md, setup, summary_cell

CELLS = [
    md(
        """
# 01 · Diffraction patterns as images: transfer learning from ImageNet

The classic fastai recipe for X-ray diffraction, done with specauth:

1. image every 1D pattern as a **Gramian angular field** (GASF) -- here
   *inside* the network, so the model takes raw patterns and a saved model is
   the whole pipeline;
2. feed the images to a **pretrained MobileNetV2** (ImageNet weights) kept
   frozen, and train a small class-activation-map head on top;
3. pick the learning rate with the **learning-rate finder**, train with a
   **one-cycle** schedule, then **fine-tune** the whole network with
   discriminative learning rates;
4. look at the **confusion matrix** and the **top losses** with their class
   activation maps, and check that patterns of phases never seen in training
   stand out.

Everything runs on a laptop CPU; a GPU only makes it faster.
"""
    ),
    setup(
        """
N_PER_CLASS = 40 if QUICK else 100  # patterns per phase
IMAGE_SIZE = 64 if QUICK else 224  # side of the Gramian angular field, pixels
LR_FIND_STEPS = 30 if QUICK else 100  # mini-batches of the learning-rate sweep
EPOCHS = 6 if QUICK else 20  # head on the frozen base, one-cycle
FINE_TUNE_EPOCHS = 1 if QUICK else 4  # then the whole network
"""
    ),
    md(
        """
## Pretrained weights

`model__weights="imagenet"` makes Keras download the ImageNet weights of
MobileNetV2 once (about 9 MB). Offline, a local weights file works the same:
this repository's CI uses `../shared/weights/`, which holds torchvision's
MobileNetV2 weights converted to Keras; they expect PyTorch's pixel
normalisation (`model__preprocessing="torch"`), while Keras' own weights
expect their own (`"auto"`).
"""
    ),
    code(FIND_SHARED),
    code(
        """
local_weights = find_shared("weights/mobilenet_v2_imagenet_notop.weights.h5")
WEIGHTS = "imagenet" if local_weights is None else str(local_weights)
PREPROCESSING = "auto" if local_weights is None else "torch"
print("weights:", WEIGHTS, "| pixel preprocessing:", PREPROCESSING)
"""
    ),
    md(
        """
## Powder-diffraction-like patterns

`make_spectra` draws each phase as a set of pseudo-Voigt peaks; every pattern
jitters the peak positions, widths and heights, sits on a sloping background
and carries Poisson counting noise. Five phases are the known classes; two
more phases are held out entirely: they play the *anomalies*, samples of a
phase the model was never trained on.
"""
    ),
    code(
        """
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from specauth.axis import SpectralAxis
from specauth.datasets import make_spectra
from specauth.preprocessing import LogTransform, SpectrumNormalizer

data = make_spectra(
    n_classes=5,
    n_samples_per_class=N_PER_CLASS,
    length=1024,
    n_unknown_classes=2,
    random_state=SEED,
)
# Degrees 2θ: the x axis of the plots (labels them and their annotations).
pattern_axis = SpectralAxis(np.linspace(10.0, 80.0, data.X.shape[1]), "2theta", "deg")
X_train, X_test, y_train, y_test = train_test_split(
    data.X, data.y, test_size=0.25, stratify=data.y, random_state=SEED
)
# Scale each pattern to its highest peak and take the log, so that weak
# reflections are visible next to strong ones.
prep = make_pipeline(SpectrumNormalizer("max"), LogTransform(1e-3)).fit(X_train)
A_train, A_test = prep.transform(X_train), prep.transform(X_test)
A_anomalies = prep.transform(data.X_unknown)
print(f"train {A_train.shape}, test {A_test.shape}, anomalies {A_anomalies.shape}")

fig, ax = plt.subplots(figsize=(9, 3.5))
for offset, phase in enumerate(data.target_names):
    ax.plot(
        pattern_axis.values,
        A_train[y_train == phase][0] + 3 * offset,
        lw=0.8,
        label=phase,
    )
ax.set(xlabel=pattern_axis.label, ylabel="log intensity (offset)")
ax.legend(fontsize="small", ncols=5, loc="upper center")
plt.show()
"""
    ),
    md(
        """
## What the network sees

The network starts with a `GramianAngularLayer`: each pattern is averaged
down to `IMAGE_SIZE` points, scaled to [-1, 1], read as angles, and turned
into the image `cos(φi + φj)`. `specauth.imaging.GramianAngularField`
computes the same field on the CPU, to look at it:
"""
    ),
    code(
        """
from specauth.imaging import GramianAngularField

gasf = GramianAngularField(image_size=IMAGE_SIZE)
field = gasf.fit_transform(A_train[:1])[0, :, :, 0]
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
left.plot(pattern_axis.values, A_train[0], lw=0.8)
left.set(xlabel=pattern_axis.label, title=f"pattern ({y_train[0]})")
right.imshow(field, cmap="gray", origin="lower")
right.set(title=f"its {IMAGE_SIZE}x{IMAGE_SIZE} GASF")
plt.show()
"""
    ),
    md(
        """
## The model and the learning-rate finder

`CNNClassifier("mobilenetv2", model__imaging="gasf", ...)` builds
*GASF layer → pixel scaling → frozen MobileNetV2 → global average pooling →
dropout → Dense* and is a scikit-learn classifier. `lr_find` trains a fresh
copy for a few mini-batches with a learning rate growing exponentially and
records the loss; its `valley` suggestion is fastai's default choice.
"""
    ),
    code(
        """
from specauth.estimators import CNNClassifier
from specauth.training import lr_find


def make_classifier(**options):
    \"\"\"MobileNetV2 on on-device Gramian fields; ``options`` as CNNClassifier's.\"\"\"
    return CNNClassifier(
        "mobilenetv2",
        random_state=SEED,
        model__imaging="gasf",
        model__image_size=IMAGE_SIZE,
        model__weights=WEIGHTS,
        model__preprocessing=PREPROCESSING,
        **options,
    )


tic = time.perf_counter()
finder = lr_find(
    make_classifier(), A_train, y_train, num_it=LR_FIND_STEPS, random_state=SEED
)
LR_FIND_SECONDS = time.perf_counter() - tic
print(finder)
finder.plot()
plt.show()
LEARNING_RATE = float(finder.valley)
"""
    ),
    md(
        """
## One-cycle training, then fine-tuning

One `fit` does both phases, as fastai's `fine_tune`:

- `epochs` with the base frozen: only the head learns, with a one-cycle
  schedule peaking at the finder's rate;
- `fine_tune_epochs` with the base unfrozen (its BatchNorm layers stay
  frozen): the head peaks at `fine_tune__learning_rate` and the base's
  earliest layers `fine_tune__lr_mult` times lower -- discriminative learning
  rates, so the generic early filters barely move. With so few patterns a
  gentle peak (1e-4) keeps the pretrained features intact.
"""
    ),
    code(
        """
from specauth.explain import plot_history

clf = make_classifier(
    epochs=EPOCHS,
    learning_rate=LEARNING_RATE,
    fine_tune_epochs=FINE_TUNE_EPOCHS,
    fine_tune__learning_rate=1e-4,
    fine_tune__lr_mult=100,
)
tic = time.perf_counter()
clf.fit(A_train, y_train)
FIT_SECONDS = time.perf_counter() - tic
TEST_ACCURACY = clf.score(A_test, y_test)
print(f"trained in {FIT_SECONDS:.1f} s; test accuracy {TEST_ACCURACY:.3f}")
plot_history(clf)
plt.show()
"""
    ),
    md(
        """
## Interpretation: confusion matrix and top losses

`Interpretation` runs the classifier over the test set once and keeps the
predictions and losses. The top losses are the patterns the model got most
wrong (or right with the least confidence); `CAM2D.spectrum_importance`
reduces each one's class activation map -- computed on the Gramian field --
to an importance per point of the pattern, so the plot shows which
reflections drove the decision. The map has the resolution of MobileNetV2's
last feature map, `IMAGE_SIZE / 32` cells a side (7 at 224 pixels).
"""
    ),
    code(
        """
from specauth.explain import Interpretation, plot_confusion_matrix

interp = Interpretation.from_estimator(clf, A_test, y_test)
cm = interp.confusion_matrix()
plot_confusion_matrix(cm.rows, cm.matrix, column_labels=cm.columns)
plt.show()
print("most confused (actual, predicted, count):", interp.most_confused())
print(interp.classification_report(zero_division=0))
"""
    ),
    code(
        """
from specauth.explain import CAM2D, plot_image_cam, plot_top_losses

worst = interp.top_losses(k=6)
spectra = A_test[worst.indices]
cam = CAM2D(clf)
importance, symmetric = cam.spectrum_importance(spectra, return_symmetric=True)
fig = plot_top_losses(
    spectra,
    np.arange(len(spectra)),
    worst.losses,
    worst.actual,
    worst.predicted,
    importances=importance,
    axis=pattern_axis,
)
plt.show()

field = gasf.transform(spectra[:1])[0]
plot_image_cam(
    field,
    symmetric[0],
    spectrum=spectra[0],
    title=f"{worst.actual[0]} predicted {worst.predicted[0]}",
)
plt.show()
"""
    ),
    md(
        """
## Patterns of phases never seen

A classifier always answers one of its classes. An out-of-distribution
detector on the network's embedding tells whether a pattern looks like the
training data at all: `KNNDetector(model=clf)` scores each pattern by its
distance to the nearest training pattern (higher = more familiar) and rejects
the `alpha` fraction of the training patterns that score lowest.
"""
    ),
    code(
        """
from specauth.explain import plot_score_histograms
from specauth.ood import KNNDetector
from specauth.openset import ood_metrics

detector = KNNDetector(model=clf, alpha=0.05).fit(A_train)
scores_test = detector.score_samples(A_test)
scores_anomalies = detector.score_samples(A_anomalies)
ANOMALY_METRICS = ood_metrics(scores_test, scores_anomalies)
ANOMALIES_FLAGGED = float(np.mean(detector.predict(A_anomalies) == -1))
TEST_FLAGGED = float(np.mean(detector.predict(A_test) == -1))
print({k: round(v, 3) for k, v in ANOMALY_METRICS.items()})
print(
    f"flagged: {ANOMALIES_FLAGGED:.0%} of the anomalies, "
    f"{TEST_FLAGGED:.0%} of the test patterns"
)
plot_score_histograms(
    detector.score_samples(A_train),
    scores_test,
    scores_anomalies,
    threshold=detector.threshold_,
)
plt.show()
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
    "IMAGE_SIZE": IMAGE_SIZE,
    "N_TRAIN": len(A_train),
    "LR_VALLEY": f"{LEARNING_RATE:.3g}",
    "TEST_ACCURACY": f"{TEST_ACCURACY:.4f}",
    "ANOMALY_AUROC": f"{ANOMALY_METRICS['AUROC']:.4f}",
    "ANOMALIES_FLAGGED": f"{ANOMALIES_FLAGGED:.4f}",
    "TEST_FLAGGED": f"{TEST_FLAGGED:.4f}",
    "LR_FIND_SECONDS": f"{LR_FIND_SECONDS:.1f}",
    "FIT_SECONDS": f"{FIT_SECONDS:.1f}",
}
"""
    ),
]
