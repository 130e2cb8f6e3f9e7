"""Cells of ``03_pgaa_2d_pretrained.ipynb``."""

from _sources import FIND_SHARED, LOAD_PGAA, code, md, setup, summary_cell

CELLS = [
    md(
        """
# 03 · Gamma-ray spectra through a pretrained 2D network

The same PGAA spectra and open-set split as notebook 02, now through the
image route of Mahynski et al.: each spectrum becomes a **Gramian angular
field** and a **MobileNetV2 pretrained on ImageNet** extracts features from
it, with only a small head trained on top.

With specauth the imaging is a layer *inside* the network, computed on the
device batch by batch: the model takes raw spectra, nothing of size
2631 x 2631 is ever stored, and the saved model is the whole pipeline.
Finally the 2D class activation map, which lives on the image, is reduced
back to an importance per **energy bin**.
"""
    ),
    setup(
        """
IMAGE_SIZE = 64 if QUICK else 224  # side of the Gramian angular field, pixels
EPOCHS = 6 if QUICK else 30  # head on the frozen base, one-cycle
"""
    ),
    md(
        """
## Data and weights

As in notebook 02, `load_pgaa()` without a path finds a cached copy or
downloads the data; `model__weights="imagenet"` downloads the ImageNet
weights. Offline, the copies in `../shared/` are used: the weights file
holds torchvision's MobileNetV2 weights, which expect PyTorch's pixel
normalisation (`"torch"`); Keras' own weights expect `"auto"`.
"""
    ),
    code(FIND_SHARED),
    code(
        LOAD_PGAA
        + """from specauth.axis import SpectralAxis

energy_axis = SpectralAxis(energies, "energy", "keV")  # labels the plots
local_weights = find_shared("weights/mobilenet_v2_imagenet_notop.weights.h5")
WEIGHTS = "imagenet" if local_weights is None else str(local_weights)
PREPROCESSING = "auto" if local_weights is None else "torch"
print(f"train {X_train.shape}, test {X_test.shape}, unknown {X_unknown.shape}")
print("weights:", WEIGHTS)
"""
    ),
    md(
        """
## The network

`CNNClassifier("mobilenetv2", model__imaging="gasf", ...)` builds:
`GramianAngularLayer` (piecewise-aggregate the 2631 bins down to
`IMAGE_SIZE` points, scale to [-1, 1], `cos(φi + φj)`) → fixed channel adapter
(grey to RGB) → pixel scaling → frozen MobileNetV2 → global average pooling →
dropout → `Dense` logits. Only the head is trained (`epochs` with a
one-cycle schedule); a frozen base tolerates a higher learning rate than a
whole network.

An `OpenSetClassifier` pairs it with a k-nearest-neighbour detector on the
pooled MobileNetV2 features; the DIME detector then reuses the same trained
network from the cache.
"""
    ),
    code(
        """
from specauth.estimators import CNNClassifier
from specauth.ood import DIME, KNNDetector
from specauth.openset import OpenSetClassifier, figures_of_merit, ood_metrics

network = CNNClassifier(
    "mobilenetv2",
    epochs=EPOCHS,
    learning_rate=1e-2,
    random_state=SEED,
    model__imaging="gasf",
    model__image_size=IMAGE_SIZE,
    model__weights=WEIGHTS,
    model__preprocessing=PREPROCESSING,
)
tic = time.perf_counter()
osc = OpenSetClassifier(network, KNNDetector(alpha=0.01)).fit(X_train, y_train)
TRAIN_SECONDS = time.perf_counter() - tic
clf = osc.classifier_
print("layers:", [layer.name for layer in clf.network_.layers])
print(f"trained in {TRAIN_SECONDS:.1f} s")

TEST_ACCURACY = clf.score(X_test, y_test)
clf.transform(X_test)  # the embedding (imaging, MobileNetV2, pooling); warm-up
tic = time.perf_counter()
clf.transform(X_test)
SECONDS_PER_SPECTRUM = (time.perf_counter() - tic) / len(X_test)

X_eval = np.vstack([X_test, X_unknown])
y_eval = np.concatenate([y_test, y_unknown])
results = {}
for detector in [KNNDetector(alpha=0.01), DIME(alpha=0.01)]:
    model = OpenSetClassifier(network, detector).fit(X_train, y_train)  # cached network
    scores = ood_metrics(model.score_samples(X_test), model.score_samples(X_unknown))
    fom = figures_of_merit(model.predict(X_eval), y_eval, known_classes=model.classes_)
    results[type(detector).__name__] = {"AUROC": scores["AUROC"], **fom}
print(
    f"closed-set test accuracy {TEST_ACCURACY:.3f}; "
    f"{1000 * SECONDS_PER_SPECTRUM:.1f} ms per spectrum to embed"
)
for name, r in results.items():
    print(
        f"{name:<12} AUROC {r['AUROC']:.3f}  TEFF {r['TEFF']:.3f}  "
        f"TSNS {r['TSNS']:.3f}  TSPS {r['TSPS']:.3f}"
    )
"""
    ),
    md(
        """
## From the image back to the energies

`CAM2D` computes the class activation map on MobileNetV2's last feature map
and upsamples it to the Gramian field. Pixel `(i, j)` of a Gramian field
relates energy segments `i` and `j`, so `spectrum_importance` symmetrises the
map, averages it over one axis and spreads each value over the energy bins of
its segment: one importance per bin, comparable with the 1D CAM of notebook
02.
"""
    ),
    code(
        """
from specauth.explain import CAM2D, plot_image_cam, plot_spectrum_importance
from specauth.imaging import GramianAngularField

cam = CAM2D(clf)
importance, symmetric = cam.spectrum_importance(X_test[:4], return_symmetric=True)
predicted = clf.predict(X_test[:1])[0]
field = GramianAngularField(image_size=IMAGE_SIZE).fit_transform(X_test[:1])[0]
plot_image_cam(
    field, symmetric[0], spectrum=X_test[0], title=f"{y_test[0]} predicted {predicted}"
)
plt.show()

fig, ax = plt.subplots(figsize=(10, 3.5))
plot_spectrum_importance(
    X_test[0],
    importance[0],
    axis=energy_axis,
    ax=ax,
    title="2D CAM reduced to energy importances",
)
plt.show()
top = np.argsort(importance[0])[::-1]
print("most important energies (keV):", np.round(energies[top[:5]], 1))
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
    "TEST_ACCURACY": f"{TEST_ACCURACY:.4f}",
    "KNN_AUROC": f"{results['KNNDetector']['AUROC']:.4f}",
    "KNN_TEFF": f"{results['KNNDetector']['TEFF']:.4f}",
    "DIME_AUROC": f"{results['DIME']['AUROC']:.4f}",
    "DIME_TEFF": f"{results['DIME']['TEFF']:.4f}",
    "TRAIN_SECONDS": f"{TRAIN_SECONDS:.1f}",
    "MS_PER_SPECTRUM": f"{1000 * SECONDS_PER_SPECTRUM:.1f}",
}
"""
    ),
]
