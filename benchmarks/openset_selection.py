"""Does a leave-class-out search pick the detector that does best on real unknowns?

Issue 15 ("tuning without unknowns"). For each case, classifier and seed:

1. **Every registered detector on the real unknowns.** One classifier is
   trained on the known training spectra; every detector of
   :func:`specauth.ood.list_detectors` (alpha = 0.05) is fitted on its
   embedding or logits (the classifier is trained once and reused through
   OpenSetClassifier's cache; the fits are counted). Reported: AUROC of the
   known test spectra against the unknown ones, and TEFF (with TSNS, TSPS) at
   the threshold set from the training spectra. A detector that cannot run
   with a classifier is recorded with its error message.
2. **The leave-class-out search**, on the known training spectra only:
   ``GridSearchCV(OpenSetClassifier(clf), {"detector": <all of them>},
   cv=LeaveClassesOut(n_unknown=1, n_splits=--n-splits, random_state=seed),
   scoring={"AUROC", "TEFF"} (make_openset_scorer), refit="TEFF")``. For each
   scorer: the detector chosen, its figures on the real unknowns, the best
   detector there in hindsight, the regret (best minus chosen), the rank of
   the chosen one among the detectors that ran (1 = best; ties share the best
   rank) and the Spearman correlation of the search's scores with the real
   ones. Its cost: the classifier trainings it made (``fit`` calls counted,
   refit included) and its wall time.

Cases:

- ``pgaa``: the authors' open-set split (``pgaa_open_set_split``: 243 train /
  61 test spectra of 10 known classes, 21 unknown spectra; the split is
  fixed, the seed changes the classifier). Preprocessing as in
  ``pgaa_openset.py`` (Crop, sum normalisation, log), then cast to float64
  (a Pipeline's linear head is checked to 1e-6 against its
  ``decision_function``, which float32 spectra fail: the head detectors
  would be refused for ``logreg``).
- ``coffee:<origin>``: the 60 coffee ATR-FTIR spectra of chemotools (SNV, as
  ``peers.py``); one origin (20 spectra) is the real unknown, the other two
  are known and split per seed into a stratified 75 % training / 25 % test
  part (30 / 10 spectra). ``coffee`` means all three origins.

With one origin held out, coffee has **two** known classes, and
LeaveClassesOut needs ``n_unknown + 2 = 3``: holding one of two classes out
leaves a one-class training part, on which no classifier can be trained. The
search is therefore *not run* on coffee (reported as not possible) -- nothing
is put in its place that would look at the held-out origin. As choices that
also use no coffee unknown, the table reports the package default detector
(``knn``) and the detector the search chose on PGAA for the same classifier
and seed, each against the best detector in hindsight.

Classifiers (``--classifiers``): ``cnn`` = ``CNNClassifier(random_state=seed)``
with its defaults; ``plsda`` = ``PLSDAClassifier(n_components=k)`` with ``k``
(1 to 20) chosen once per case and seed by a stratified 5-fold
cross-validation of the closed-set accuracy on the known training spectra;
``logreg`` = ``StandardScaler`` + ``LogisticRegression(max_iter=5000,
random_state=seed)`` (seeded so that OpenSetClassifier's cache reuses it).

``--n-splits`` defaults to 4: OpenSetClassifier's cache holds 4 fitted
classifiers, and GridSearchCV runs every split of one candidate before the
next candidate, so with more splits than cache entries every fit misses (the
fit count shows it: ``n_detectors * n_splits + 1``).

Printed per case and classifier, and written to ``openset_selection.json``.

Usage::

    python benchmarks/openset_selection.py [--cases pgaa coffee]
        [--classifiers cnn plsda logreg] [--seeds 3] [--seeds-for cnn=2]
        [--n-splits 4] [--out benchmarks/results]
    python benchmarks/openset_selection.py --report results/openset_selection.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ALPHA = 0.05
CLASSIFIERS = ("cnn", "plsda", "logreg")
COFFEE_ORIGINS = ("Brasil", "Ethiopia", "Vietnam")
SCORERS = ("AUROC", "TEFF")
DEFAULT_DETECTOR = "knn"  # OpenSetClassifier's default (KNNDetector)


# ------------------------------------------------------------------ data
def load_case(case, seed):
    """Return ``(X_train, y_train, X_test, y_test, X_unknown, y_unknown)``."""
    if case == "pgaa":
        from pgaa_openset import load

        parts = load("pgaa", seed)
        # float64: a Pipeline's linear head is checked against its
        # decision_function to 1e-6, which float32 spectra (PGAA) fail.
        return tuple(
            p.astype(np.float64) if i % 2 == 0 else p for i, p in enumerate(parts)
        )
    from peers import load_coffee
    from sklearn.model_selection import train_test_split

    origin = case.split(":", 1)[1]
    X, y = load_coffee()
    unknown = y == origin
    X_train, X_test, y_train, y_test = train_test_split(
        X[~unknown],
        y[~unknown],
        test_size=0.25,
        stratify=y[~unknown],
        random_state=seed,
    )
    return X_train, y_train, X_test, y_test, X[unknown], y[unknown]


def expand_cases(names):
    cases = []
    for name in names:
        if name == "coffee":
            cases += [f"coffee:{origin}" for origin in COFFEE_ORIGINS]
        elif name == "pgaa" or name.removeprefix("coffee:") in COFFEE_ORIGINS:
            cases.append(name)
        else:
            raise SystemExit(
                f"unknown case {name!r}: use pgaa, coffee or coffee:<origin> "
                f"with origin in {COFFEE_ORIGINS}"
            )
    return cases


# ----------------------------------------------------------- classifiers
def make_classifier(name, seed, X_train, y_train):
    """An unfitted classifier, and a note on how its parameters were set."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from specauth.estimators import CNNClassifier

    if name == "cnn":
        return CNNClassifier(random_state=seed), "defaults"
    if name == "logreg":
        logreg = LogisticRegression(max_iter=5000, random_state=seed)
        return make_pipeline(StandardScaler(), logreg), "max_iter=5000"
    if name == "plsda":
        k = plsda_components(seed, X_train, y_train)
        from specauth.estimators import PLSDAClassifier

        return PLSDAClassifier(n_components=k), f"n_components={k} (5-fold CV)"
    raise SystemExit(f"unknown classifier {name!r}; choose from {CLASSIFIERS}")


def plsda_components(seed, X_train, y_train):
    """Number of PLS components (1-20) by stratified 5-fold CV accuracy."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from specauth.estimators import PLSDAClassifier

    largest = min(20, X_train.shape[1], int(len(y_train) * 0.8) - 1)
    search = GridSearchCV(
        PLSDAClassifier(),
        {"n_components": list(range(1, largest + 1))},
        cv=StratifiedKFold(5, shuffle=True, random_state=seed),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X_train, y_train)
    return int(search.best_params_["n_components"])


@contextlib.contextmanager
def counting_fits(classifier):
    """Count the outermost ``fit`` calls of ``classifier``'s class."""
    cls = type(classifier)
    own = "fit" in vars(cls)
    original = cls.fit
    state = {"calls": 0, "depth": 0}

    def fit(self, *args, **kwargs):
        if state["depth"] == 0:
            state["calls"] += 1
        state["depth"] += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            state["depth"] -= 1

    cls.fit = fit
    try:
        yield state
    finally:
        if own:
            cls.fit = original
        else:
            del cls.fit


# -------------------------------------------------------------- detectors
def evaluate_detector(osc, data):
    """Fit ``osc``; its figures on known test + real unknown spectra."""
    from specauth.openset import figures_of_merit, ood_metrics

    X_train, y_train, X_test, y_test, X_unk, y_unk = data
    osc.fit(X_train, y_train)
    X_eval = np.vstack([X_test, X_unk])
    y_eval = np.concatenate([np.asarray(y_test), np.asarray(y_unk)])
    details = osc.predict_details(X_eval)
    scores = np.asarray(details.scores, dtype=float)
    known = np.arange(len(y_eval)) < len(y_test)
    if not np.isfinite(scores).all():
        raise ValueError(f"{np.sum(~np.isfinite(scores))} non-finite scores")
    fom = figures_of_merit(
        details.labels, y_eval, known_classes=osc.classes_, unknown_label="unknown"
    )
    closed = np.asarray(osc.classifier_.predict(X_test)) == np.asarray(y_test)
    return {
        "AUROC": float(ood_metrics(scores[known], scores[~known])["AUROC"]),
        "TEFF": float(fom["TEFF"]),
        "TSNS": float(fom["TSNS"]),
        "TSPS": float(fom["TSPS"]),
        "closed_set_accuracy": float(np.mean(closed)),
    }


def evaluate_all(clf, data):
    """Every registered detector on one classifier; ``(rows, fits, seconds)``."""
    from specauth.ood import list_detectors, make_detector
    from specauth.openset import OpenSetClassifier

    rows = {}
    start = time.perf_counter()
    with counting_fits(clf) as count:
        for name in list_detectors():
            osc = OpenSetClassifier(clf, make_detector(name, alpha=ALPHA))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    rows[name] = evaluate_detector(osc, data)
            except (ValueError, TypeError, ArithmeticError) as err:
                rows[name] = {"error": f"{type(err).__name__}: {err}"}
    return rows, count["calls"], time.perf_counter() - start


# ----------------------------------------------------------------- search
def leave_class_out_search(clf, data, seed, n_splits):
    """The leave-class-out grid search over every detector, on known training data."""
    from sklearn.model_selection import GridSearchCV

    from specauth.ood import list_detectors, make_detector
    from specauth.openset import (
        LeaveClassesOut,
        OpenSetClassifier,
        clear_classifier_cache,
        make_openset_scorer,
    )

    X_train, y_train = data[0], data[1]
    n_classes = len(np.unique(y_train))
    if n_classes < 3:
        return {
            "status": f"not possible: {n_classes} known classes (LeaveClassesOut "
            "with n_unknown=1 needs 3)"
        }
    names = list_detectors()
    search = GridSearchCV(
        OpenSetClassifier(clf),
        {"detector": [make_detector(name, alpha=ALPHA) for name in names]},
        cv=LeaveClassesOut(n_unknown=1, n_splits=n_splits, random_state=seed),
        scoring={m: make_openset_scorer(m) for m in SCORERS},
        refit="TEFF",
        error_score=np.nan,
    )
    clear_classifier_cache()  # the search pays for every network it needs
    start = time.perf_counter()
    with counting_fits(clf) as count, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return search_summary(search, names, count["calls"], seconds, n_splits)


def search_summary(search, names, fits, seconds, n_splits):
    res = search.cv_results_
    out = {
        "status": "ok",
        "n_splits": n_splits,
        "fits": fits,
        "seconds": seconds,
        "refit": "TEFF",
        "scores": {},
        "chosen": {},
    }
    for metric in SCORERS:
        means = np.asarray(res[f"mean_test_{metric}"], dtype=float)
        out["scores"][metric] = {
            n: (None if np.isnan(v) else float(v))
            for n, v in zip(names, means, strict=True)
        }
        out["chosen"][metric] = names[int(np.argmin(res[f"rank_test_{metric}"]))]
    failed = [n for n, v in out["scores"]["AUROC"].items() if v is None]
    out["failed"] = failed
    out["refit_detector"] = type(search.best_estimator_.detector_).__name__
    return out


def compare(chosen, rows, metric):
    """Chosen detector vs the best in hindsight on the real unknowns."""
    ran = {n: r[metric] for n, r in rows.items() if "error" not in r}
    best = max(ran, key=ran.get)
    if chosen not in ran:
        return {"chosen": chosen, "best": best, "error": "chosen detector failed"}
    return {
        "chosen": chosen,
        "chosen_value": ran[chosen],
        "chosen_AUROC": rows[chosen]["AUROC"],
        "chosen_TEFF": rows[chosen]["TEFF"],
        "best": best,
        "best_value": ran[best],
        "n_best": sum(v == ran[best] for v in ran.values()),
        "regret": ran[best] - ran[chosen],
        "rank": 1 + sum(v > ran[chosen] for v in ran.values()),
        "n_ran": len(ran),
    }


def ranking_agreement(search, rows, metric):
    """Spearman correlation of the search's scores with the real ones."""
    from scipy.stats import spearmanr

    pairs = [
        (v, rows[n][metric])
        for n, v in search["scores"][metric].items()
        if v is not None and "error" not in rows[n]
    ]
    if len(pairs) < 3:
        return None
    rho = spearmanr(*zip(*pairs, strict=True)).statistic
    return None if np.isnan(rho) else float(rho)


# ------------------------------------------------------------------- run
def run_one(case, clf_name, seed, n_splits):
    """One case, classifier and seed: detectors, then the search."""
    from specauth.openset import clear_classifier_cache

    data = load_case(case, seed)
    clf, how = make_classifier(clf_name, seed, data[0], data[1])
    search = leave_class_out_search(clf, data, seed, n_splits)
    # The refit left the full-data classifier in the cache: reused here.
    rows, fits, seconds = evaluate_all(clf, data)
    clear_classifier_cache()
    result = {
        "seed": seed,
        "classifier": how,
        "detectors": rows,
        "detector_fits": fits,
        "detector_seconds": seconds,
        "search": search,
    }
    add_selection(result)
    return result


def add_selection(run):
    """The search's choices, and the default detector's, vs hindsight."""
    rows, search = run["detectors"], run["search"]
    run["selection"] = {}
    for metric in SCORERS:
        if search["status"] == "ok":
            pick = compare(search["chosen"][metric], rows, metric)
            pick["spearman"] = ranking_agreement(search, rows, metric)
            run["selection"][metric] = pick
    for metric in SCORERS:  # the package default, a choice without any search
        run["selection"][f"default:{metric}"] = compare(DEFAULT_DETECTOR, rows, metric)


def add_pgaa_transfer(results):
    """On coffee: how the detector the search chose on PGAA would do."""
    for case, per_clf in results.items():
        if not case.startswith("coffee") or "pgaa" not in results:
            continue
        for clf_name, runs in per_clf.items():
            pgaa_runs = results["pgaa"].get(clf_name, [])
            by_seed = {r["seed"]: r for r in pgaa_runs}
            for run in runs:
                pgaa = by_seed.get(run["seed"])
                if pgaa is None or pgaa["search"]["status"] != "ok":
                    continue
                for metric in SCORERS:
                    chosen = pgaa["search"]["chosen"][metric]
                    run["selection"][f"pgaa_search:{metric}"] = compare(
                        chosen, run["detectors"], metric
                    )


# ----------------------------------------------------------------- print
def _stat(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{np.mean(values):.3f} ({np.min(values):.3f})"


def print_detectors(case, clf_name, runs):
    names = list(runs[0]["detectors"])
    print(
        f"\n== {case} / {clf_name} ({runs[0]['classifier']}): {len(runs)} "
        f"seed(s); mean (min) over seeds; alpha={ALPHA}"
    )
    head = ("detector", "AUROC", "TEFF", "TSNS", "TSPS", "LCO AUROC", "LCO TEFF")
    print(f"  {head[0]:<12}" + "".join(f"{h:>16}" for h in head[1:]))
    for name in names:
        cells = [_detector_cell(runs, name, key) for key in head[1:5]]
        cells += [_search_cell(runs, name, key) for key in SCORERS]
        print(f"  {name:<12}" + "".join(f"{c:>16}" for c in cells))
    errors = {r["detectors"][n].get("error") for r in runs for n in names}
    for name in names:
        for run in runs:
            message = run["detectors"][name].get("error")
            if message and message in errors:
                errors.discard(message)
                print(f"  ! {name} (seed {run['seed']}): {message[:150]}")


def _detector_cell(runs, name, key):
    rows = [r["detectors"][name] for r in runs]
    if any("error" in row for row in rows):
        return "error"
    return _stat([row[key] for row in rows])


def _search_cell(runs, name, metric):
    values = [
        r["search"]["scores"][metric][name]
        for r in runs
        if r["search"]["status"] == "ok"
    ]
    return _stat(values) if values else "-"


def print_selection(runs):
    for run in runs:
        search = run["search"]
        if search["status"] != "ok":
            print(f"  seed {run['seed']}: search {search['status']}")
        else:
            print(
                f"  seed {run['seed']}: search cost {search['fits']} classifier "
                f"fits, {search['seconds']:.1f} s ({search['n_splits']} splits x "
                f"{len(run['detectors'])} detectors, refit on TEFF); failed in "
                f"search: {search['failed'] or 'none'}"
            )
        for label, pick in run["selection"].items():
            print(f"    {label:<20} {_pick_text(pick)}")


def _pick_text(pick):
    if "error" in pick:
        return f"chose {pick['chosen']}: {pick['error']}; best {pick['best']}"
    text = (
        f"chose {pick['chosen']:<11} (AUROC {pick['chosen_AUROC']:.3f}, TEFF "
        f"{pick['chosen_TEFF']:.3f}); best {_best_text(pick):<15} "
        f"{pick['best_value']:.3f}; regret {pick['regret']:.3f}; rank "
        f"{pick['rank']}/{pick['n_ran']}"
    )
    if pick.get("spearman") is not None:
        text += f"; spearman {pick['spearman']:.2f}"
    return text


def _best_text(pick):
    tied = pick.get("n_best", 1) - 1
    return pick["best"] + (f" (+{tied} tied)" if tied else "")


def print_summary(cases):
    """One line per case, classifier and choice rule, over the seeds."""
    print(
        "\n== summary: the choice vs the best in hindsight on the real unknowns "
        "(per seed; rank 1 = best, ties share it)"
    )
    print(
        f"  {'case':<16}{'classifier':<11}{'rule':<20}{'chosen per seed':<34}"
        f"{'mean regret':>12}{'ranks':>12}{'fits':>8}{'seconds':>9}"
    )
    for case, per_clf in cases.items():
        for clf_name, runs in per_clf.items():
            for rule in runs[0]["selection"] if runs else ():
                picks = [r["selection"][rule] for r in runs if rule in r["selection"]]
                regrets = [p["regret"] for p in picks if "regret" in p]
                ranks = ",".join(str(p.get("rank", "x")) for p in picks)
                search = [
                    r["search"]
                    for r in runs
                    if r["search"]["status"] == "ok" and rule in SCORERS
                ]
                fits = f"{np.mean([x['fits'] for x in search]):.0f}" if search else "-"
                sec = (
                    f"{np.mean([x['seconds'] for x in search]):.0f}" if search else "-"
                )
                chosen = ",".join(p["chosen"] for p in picks)
                regret = f"{np.mean(regrets):.3f}" if regrets else "-"
                print(
                    f"  {case:<16}{clf_name:<11}{rule:<20}{chosen:<34}"
                    f"{regret:>12}{ranks:>12}{fits:>8}{sec:>9}"
                )


# ------------------------------------------------------------------ main
def code_version():
    """The commit, and the files of specauth/ changed since (being edited)."""
    import subprocess

    def git(*args):
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    changed = git("status", "--porcelain", "specauth")
    return {"commit": git("rev-parse", "HEAD"), "uncommitted": changed.splitlines()}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["pgaa", "coffee"])
    parser.add_argument(
        "--classifiers", nargs="+", default=list(CLASSIFIERS), choices=CLASSIFIERS
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--seeds-for",
        nargs="*",
        default=[],
        metavar="CLASSIFIER=N",
        help="fewer seeds for some classifiers, e.g. cnn=2",
    )
    parser.add_argument("--n-splits", type=int, default=4)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument(
        "--report", metavar="JSON", help="only print the tables of a results file"
    )
    return parser.parse_args(argv)


def print_report(result):
    for case, per_clf in result["cases"].items():
        for clf_name, runs in per_clf.items():
            if runs:
                print_detectors(case, clf_name, runs)
                print_selection(runs)
    print_summary(result["cases"])


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        result = json.loads(Path(args.report).read_text())
        for runs in (r for c in result["cases"].values() for r in c.values()):
            for run in runs:
                add_selection(run)
        add_pgaa_transfer(result["cases"])
        print_report(result)
        return result
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    seeds = {clf: args.seeds for clf in args.classifiers}
    seeds.update({k: int(v) for k, v in (s.split("=") for s in args.seeds_for)})
    path = Path(args.out) / "openset_selection.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    cases = expand_cases(args.cases)
    result = {
        "machine": platform.platform(),
        "code": code_version(),
        "seeds": seeds,
        "n_splits": args.n_splits,
        "alpha": ALPHA,
        "cases": {case: {} for case in cases},
    }
    for clf_name in args.classifiers:  # the fast classifiers first, if listed so
        for case in cases:
            runs = result["cases"][case].setdefault(clf_name, [])
            for seed in range(seeds[clf_name]):
                start = time.perf_counter()
                runs.append(run_one(case, clf_name, seed, args.n_splits))
                print(
                    f"{case} / {clf_name} / seed {seed}: "
                    f"{time.perf_counter() - start:.1f} s",
                    flush=True,
                )
                path.write_text(json.dumps(result, indent=1))
    add_pgaa_transfer(result["cases"])
    path.write_text(json.dumps(result, indent=1))
    print_report(result)
    print(f"\nwritten: {path}")
    return result


if __name__ == "__main__":
    main()
