"""Cells of ``02_pgaa_open_set.ipynb``."""

from _sources import FIND_SHARED, LOAD_PGAA, code, md, setup, summary_cell

CELLS = [
    md(
        """
# 02 · Gamma-ray spectra: open-set recognition with a 1D CNN

Prompt-gamma activation analysis (PGAA) measures the gamma rays a material
emits under neutron irradiation. The NIST data set of Mahynski et al. (2023)
holds 325 spectra of 13 materials; following the authors' protocol, three
materials (Zircaloy, Phosphate Rock, Carbon Powder) are **never trained on**:
a trustworthy model must answer *unknown* for them instead of naming one of
the ten materials it knows.

This notebook trains a 1D CNN, pairs it with out-of-distribution detectors
(DIME and others), tunes network and detector together with `GridSearchCV`,
scores the result with the open-set figures of merit (TEFF, TSNS, TSPS) and
explains decisions with class activation maps and SHAP.

> Mahynski, Monroe, Sheen et al., "Classification and authentication of
> materials using prompt gamma ray activation analysis", *J. Radioanal.
> Nucl. Chem.* 332, 3259-3271 (2023), doi:10.1007/s10967-023-09024-x.
"""
    ),
    setup(
        """
EPOCHS = 10 if QUICK else 60  # training passes of every network
NETWORKS = ["cnn1d"] if QUICK else ["cnn1d", "resnet1d_small"]  # grid
CV_FOLDS = 2 if QUICK else 4  # cross-validation folds of the grid search
SHAP_EVALS = 300 if QUICK else 3000  # network calls per SHAP explanation
"""
    ),
    md(
        """
## The data and the authors' split

`load_pgaa()` with no argument looks for a local copy (`$SPECAUTH_DATA`, the
user cache) and otherwise downloads the authors' files. Here the copy in
`../shared/data/` is used when it is there, so the notebook runs offline.

`pgaa_open_set_split` sets the three unknown materials aside and splits the
other ten 80/20, stratified, with the authors' seed: 243 training, 61 test
and 21 unknown spectra. The networks see the first 2631 bins (up to about
7.6 MeV), each spectrum normalised to sum 1, then `log(clip(x, 1e-7))`.
"""
    ),
    code(FIND_SHARED),
    code(
        LOAD_PGAA
        + """from specauth.axis import SpectralAxis

# The physical axis of the spectra: labels and orients every plot below.
energy_axis = SpectralAxis(energies, "energy", "keV")
# Test and unknown spectra together: what a deployed model would meet.
X_eval = np.vstack([X_test, X_unknown])
y_eval = np.concatenate([y_test, y_unknown])
print(f"train {X_train.shape}, test {X_test.shape}, unknown {X_unknown.shape}")
print("unknown materials:", list(split.unknown_classes))

fig, ax = plt.subplots(figsize=(9, 3.5))
for material in ["Steel", "Concrete", "Coal and Coke"]:
    ax.plot(energies, X_train[y_train == material][0], lw=0.6, label=material)
ax.set(xlabel=energy_axis.label, ylabel="log(normalised counts)")
ax.legend()
plt.show()
"""
    ),
    md(
        """
## A 1D CNN and the DIME detector

`CNNClassifier()` is a strided 1D CNN whose depth adapts to the spectrum
length, trained with a one-cycle schedule. `OpenSetClassifier` trains it on
the known classes, embeds the training spectra once and fits the detector on
that embedding. DIME (distance to the modelled embedding, Sjögren & Trygg
2021) scores how far a spectrum's embedding lies from the principal subspace
of the training embeddings; `alpha=0.01` lets it reject 1 % of the
*training* spectra, so the threshold is set without ever looking at an
unknown material.
"""
    ),
    code(
        """
from specauth.estimators import CNNClassifier
from specauth.explain import plot_history
from specauth.ood import DIME
from specauth.openset import OpenSetClassifier, figures_of_merit, ood_metrics

network = CNNClassifier(epochs=EPOCHS, random_state=SEED)
tic = time.perf_counter()
osc = OpenSetClassifier(network, DIME(alpha=0.01)).fit(X_train, y_train)
TRAIN_SECONDS = time.perf_counter() - tic
CLOSED_SET_ACCURACY = osc.classifier_.score(X_test, y_test)
dime_ood = ood_metrics(osc.score_samples(X_test), osc.score_samples(X_unknown))
dime_fom = figures_of_merit(osc.predict(X_eval), y_eval, known_classes=osc.classes_)
print(f"trained in {TRAIN_SECONDS:.1f} s")
print(f"closed-set test accuracy {CLOSED_SET_ACCURACY:.3f}")
print(
    f"DIME: AUROC {dime_ood['AUROC']:.3f}, TEFF {dime_fom['TEFF']:.3f} "
    f"(TSNS {dime_fom['TSNS']:.3f}, TSPS {dime_fom['TSPS']:.3f})"
)
plot_history(osc.classifier_)
plt.show()
"""
    ),
    md(
        """
## Other detectors on the same network

`OpenSetClassifier` caches the trained network: another detector with the
same classifier settings on the same data reuses it, so comparing every
detector costs seconds. AUROC and FPR@95TPR compare the scores of the known
test spectra with those of the unknown ones (threshold-free); TEFF, TSNS and
TSPS score the predictions at the threshold set from training data.
"""
    ),
    code(
        """
from specauth import ood

detectors = {}
print(f"{'detector':<12} {'AUROC':>6} {'FPR95':>6} {'TEFF':>6} {'TSNS':>6} {'TSPS':>6}")
for name in "DIME Energy MaxSoftmax MaxLogit Mahalanobis KNNDetector ViM".split():
    model = OpenSetClassifier(network, getattr(ood, name)(alpha=0.01)).fit(
        X_train, y_train
    )
    scores = ood_metrics(model.score_samples(X_test), model.score_samples(X_unknown))
    fom = figures_of_merit(model.predict(X_eval), y_eval, known_classes=model.classes_)
    detectors[name] = {"AUROC": scores["AUROC"], "TEFF": fom["TEFF"]}
    print(
        f"{name:<12} {scores['AUROC']:6.3f} {scores['FPR@95TPR']:6.3f} "
        f"{fom['TEFF']:6.3f} {fom['TSNS']:6.3f} {fom['TSPS']:6.3f}"
    )
BEST_DETECTOR = max(detectors, key=lambda name: detectors[name]["AUROC"])
"""
    ),
    md(
        """
## Tuning network and detector together

`OpenSetClassifier` takes estimator *instances*, so `GridSearchCV` can tune
the network (`classifier__...`) and the detector (`detector`,
`detector__...`) in one search. Its `score` is TEFF, which needs unknown
samples in every validation fold -- but the real unknown materials must stay
unseen. So, inside the training set, two known materials play the unknowns:
`known_classes` trains on the other eight, and the two *pseudo-unknown*
materials count as correctly answered when rejected. Settings that change
only the detector reuse the cached network of each fold.
"""
    ),
    code(
        """
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from specauth.ood import KNNDetector

pseudo_unknown = ["Graphite/Urea Mixture", "Dolomitic Limestone"]
inner_known = [c for c in split.known_classes if c not in pseudo_unknown]
search = GridSearchCV(
    OpenSetClassifier(network, DIME(), known_classes=inner_known),
    {
        "classifier__model": NETWORKS,
        "detector": [DIME(), KNNDetector()],
        "detector__alpha": [0.01, 0.05],
    },
    cv=StratifiedKFold(CV_FOLDS, shuffle=True, random_state=SEED),
    refit=False,
)
tic = time.perf_counter()
search.fit(X_train, y_train)
GRID_SECONDS = time.perf_counter() - tic
for params, mean, std in zip(
    search.cv_results_["params"],
    search.cv_results_["mean_test_score"],
    search.cv_results_["std_test_score"],
    strict=True,
):
    print(f"TEFF {mean:.3f} ± {std:.3f}  {params}")
print("best:", search.best_params_)
"""
    ),
    md(
        """
The chosen settings are then trained on all ten known materials (the
pseudo-unknowns become known classes again) and scored, once, on the test
spectra and the real unknown materials.
"""
    ),
    code(
        """
from specauth.explain import plot_confusion_matrix, plot_score_histograms

best = clone(search.best_params_, safe=False)  # copies: the search keeps its own
GRID_BEST = (
    f"{best['classifier__model']} + {type(best['detector']).__name__}"
    f"(alpha={best['detector__alpha']})"
)
final = clone(search.estimator).set_params(**best, known_classes=None)
final.fit(X_train, y_train)
final_ood = ood_metrics(final.score_samples(X_test), final.score_samples(X_unknown))
final_fom = figures_of_merit(
    final.predict(X_eval), y_eval, known_classes=final.classes_
)
print(
    f"{GRID_BEST}: TEFF {final_fom['TEFF']:.3f}, TSNS {final_fom['TSNS']:.3f}, "
    f"TSPS {final_fom['TSPS']:.3f}, AUROC {final_ood['AUROC']:.3f}"
)

fig, ax = plt.subplots(figsize=(8, 7))
plot_confusion_matrix(final_fom, ax=ax, title="test + unknown spectra")
ax.tick_params(axis="x", labelrotation=90)
plt.show()
plot_score_histograms(
    final.score_samples(X_train),
    final.score_samples(X_test),
    final.score_samples(X_unknown),
    threshold=final.detector_.threshold_,
    title=f"{GRID_BEST} scores",
)
plt.show()
"""
    ),
    md(
        """
## Why this material? CAM and SHAP

A class activation map says which part of the spectrum the network's
evidence for a class comes from, at the cost of one forward pass.
`method="hirescam"` multiplies the last feature map by the gradient of the
class logit; for a global-average-pooling head it is the classic CAM (up to
a constant), and it works for any head.

SHAP (shap's Partition explainer over 64 contiguous energy segments) asks
the model directly: how much does the logit change when a segment is
replaced by the mean training spectrum? It needs hundreds of network calls
per spectrum, but no access to the network's inside.
"""
    ),
    code(
        """
from specauth.explain import CAM1D, ShapExplainer, plot_spectrum_importance

spectrum = X_test[:1]
label = final.predict(spectrum)[0]
cam = CAM1D(final, method="hirescam").explain(spectrum)[0]
tic = time.perf_counter()
explainer = ShapExplainer(
    final, n_segments=64, background=X_train, max_evals=SHAP_EVALS, random_state=SEED
)
shap_map = explainer.explain(spectrum)[0]
SHAP_SECONDS = time.perf_counter() - tic

fig, axes = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, layout="constrained")
plot_spectrum_importance(
    spectrum[0],
    cam,
    axis=energy_axis,
    ax=axes[0],
    importance_label="HiResCAM (logit contribution)",
    title=f"HiResCAM: {y_test[0]} predicted {label}",
)
plot_spectrum_importance(
    spectrum[0],
    shap_map,
    axis=energy_axis,
    ax=axes[1],
    importance_label="SHAP value (logit)",
    title="SHAP (64 segments)",
)
plt.show()
top = np.argsort(cam)[::-1][:5]
print("energies with the most CAM evidence (keV):", np.round(energies[top], 1))
"""
    ),
    md(
        """
## An interactive spectrum

`bokeh_spectrum_importance` draws the same explanation with a hover readout
(energy in keV, intensity, importance); `save_html` writes a standalone file that opens
offline in any browser. In Jupyter, bokeh's notebook output shows it inline.
"""
    ),
    code(
        """
from specauth.explain import bokeh_spectrum_importance, save_html


def cam_figure():
    \"\"\"A new bokeh figure (a bokeh figure belongs to one document only).\"\"\"
    return bokeh_spectrum_importance(
        spectrum[0], cam, axis=energy_axis, title=f"{y_test[0]}: HiResCAM", height=350
    )


OUT = Path("_output")
OUT.mkdir(exist_ok=True)
html_file = save_html(cam_figure(), OUT / "02_pgaa_cam.html", title="PGAA explanation")
print("written:", html_file.resolve())
try:
    from bokeh.io import output_notebook, show
    from bokeh.resources import INLINE
except ImportError:  # bokeh without its notebook support: open the file instead
    print("open the file above in a browser")
else:
    output_notebook(INLINE, hide_banner=True)  # INLINE: works offline too
    show(cam_figure())
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
    "N_TRAIN": len(X_train),
    "N_TEST": len(X_test),
    "N_UNKNOWN": len(X_unknown),
    "CLOSED_SET_ACCURACY": f"{CLOSED_SET_ACCURACY:.4f}",
    "DIME_AUROC": f"{dime_ood['AUROC']:.4f}",
    "DIME_TEFF": f"{dime_fom['TEFF']:.4f}",
    "BEST_DETECTOR": BEST_DETECTOR,
    "BEST_DETECTOR_AUROC": f"{detectors[BEST_DETECTOR]['AUROC']:.4f}",
    "GRID_BEST": GRID_BEST,
    "GRID_BEST_CV_TEFF": f"{search.best_score_:.4f}",
    "FINAL_AUROC": f"{final_ood['AUROC']:.4f}",
    "FINAL_TEFF": f"{final_fom['TEFF']:.4f}",
    "FINAL_TSNS": f"{final_fom['TSNS']:.4f}",
    "FINAL_TSPS": f"{final_fom['TSPS']:.4f}",
    "TRAIN_SECONDS": f"{TRAIN_SECONDS:.1f}",
    "GRID_SECONDS": f"{GRID_SECONDS:.1f}",
    "SHAP_SECONDS": f"{SHAP_SECONDS:.1f}",
}
"""
    ),
]
