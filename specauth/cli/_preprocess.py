"""``--preprocess``: chemometric steps (chemotools, pybaselines) by name.

The option takes a comma-separated list of steps, applied in order, each
``NAME`` or ``NAME:PARAM:PARAM...`` (parameters by position; trailing ones may
be left out for their defaults)::

    --preprocess snv,savgol:11:2:1            # SNV, then a 1st derivative
    --preprocess msc,asls:1e5:0.01,rangecut:100:900
    --preprocess baseline:iasls:lam=1e6:p=0.02

``baseline:METHOD[:KEY=VALUE...]`` is any method of pybaselines
(:class:`~specauth.preprocessing.BaselineCorrector`); the other steps are
chemotools transformers (:data:`STEPS` lists them with their parameters).
A bad list is an argparse usage error that lists the valid names.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_optional
from specauth.cli._options import metric_pair

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["STEPS", "parse_preprocess", "preprocess_help"]


def _int(low: int) -> Callable[[str], int]:
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise ValueError(f"an integer >= {low}")
        return value

    return convert


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _positive(text: str) -> float:
    value = _float(text)
    if not (math.isfinite(value) and value > 0):
        raise ValueError("a finite number > 0")
    return value


def _fraction(text: str) -> float:
    value = _float(text)
    if not 0 < value < 1:
        raise ValueError("a number in (0, 1)")
    return value


@dataclass(frozen=True)
class StepSpec:
    """One ``--preprocess`` step: its parameters and how to build it."""

    #: chemotools module and class ("" for specauth's BaselineCorrector).
    target: str
    #: (PARAM name in the usage, keyword of the class, converter, default).
    params: tuple[tuple[str, str, Callable[[str], Any], Any], ...]
    summary: str

    def usage(self, name: str) -> str:
        """``name[:A=default[:B=default]]`` as shown in the help."""
        text = name
        for label, _, _, default in self.params:
            if default is None:
                text += f":{label}"
            else:
                shown = f"{default:.0e}" if default >= 1e4 else f"{default:g}"
                shown = shown.replace("e+0", "e")
                text += f"[:{label}={shown}"
        return text + "]" * sum(p[3] is not None for p in self.params)


_WINDOW = ("WINDOW", "window_length", _int(1), 11)
_LAM = ("LAM", "lam", _positive, 1e5)
STEPS: dict[str, StepSpec] = {
    "snv": StepSpec("scatter.StandardNormalVariate", (), "standard normal variate"),
    "rnv": StepSpec(
        "scatter.RobustNormalVariate",
        (("PERCENTILE", "percentile", _positive, 25.0),),
        "robust normal variate",
    ),
    "msc": StepSpec(
        "scatter.MultiplicativeScatterCorrection",
        (),
        "multiplicative scatter correction (reference: the mean training spectrum)",
    ),
    "emsc": StepSpec(
        "scatter.ExtendedMultiplicativeScatterCorrection",
        (("ORDER", "order", _int(0), 2),),
        "extended MSC with a polynomial baseline of degree ORDER",
    ),
    "savgol": StepSpec(
        "derivative.SavitzkyGolay",
        (
            _WINDOW,
            ("POLYORDER", "polyorder", _int(0), 2),
            ("DERIV", "deriv", _int(0), 0),
        ),
        "Savitzky-Golay smoothing (DERIV=0) or derivative (odd WINDOW points)",
    ),
    "mean": StepSpec("smooth.MeanFilter", (_WINDOW,), "moving-average smoothing"),
    "median": StepSpec("smooth.MedianFilter", (_WINDOW,), "moving-median smoothing"),
    "whittaker": StepSpec("smooth.WhittakerSmooth", (_LAM,), "Whittaker smoothing"),
    "asls": StepSpec(
        "baseline.AsLs",
        (_LAM, ("P", "penalty", _fraction, 0.01)),
        "asymmetric least squares baseline removal",
    ),
    "airpls": StepSpec("baseline.AirPls", (_LAM,), "airPLS baseline removal"),
    "arpls": StepSpec(
        "baseline.ArPls",
        (_LAM, ("RATIO", "ratio", _fraction, 0.01)),
        "arPLS baseline removal",
    ),
    "poly": StepSpec(
        "baseline.PolynomialCorrection",
        (("ORDER", "order", _int(0), 1),),
        "subtract a polynomial fitted to the whole spectrum",
    ),
    "linear": StepSpec(
        "baseline.LinearCorrection", (), "subtract the line through the end points"
    ),
    "rubberband": StepSpec(
        "baseline.RubberbandCorrection", (), "rubber-band (convex hull) baseline"
    ),
    "rangecut": StepSpec(
        "feature_selection.RangeCut",
        (("START", "start", _int(0), None), ("STOP", "end", _int(1), None)),
        "keep the columns START..STOP-1 (indices)",
    ),
    "baseline": StepSpec(
        "",
        (("METHOD", "method", str, None),),
        "any pybaselines method, its parameters as KEY=VALUE (numbers)",
    ),
}
"""The steps ``--preprocess`` knows, by name."""


def preprocess_help() -> str:
    """The list of steps for ``--help``: ``snv, savgol[:WINDOW=11...], ...``."""
    return ", ".join(line.split()[0] for line in _step_table().splitlines())


def _step_table() -> str:
    """One line per step: its usage and what it does."""
    usages = {
        name: spec.usage(name) + ("[:KEY=VALUE...]" if name == "baseline" else "")
        for name, spec in STEPS.items()
    }
    width = max(map(len, usages.values()))
    return "\n".join(
        f"  {usages[name]:<{width}}  {spec.summary}" for name, spec in STEPS.items()
    )


def _problem(step: str, message: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"step {step!r}: {message}")


def _keywords(step: str, spec: StepSpec, values: list[str]) -> dict[str, Any]:
    """The class keywords of ``values``, the step's positional parameters."""
    name = step.split(":")[0]
    if len(values) > len(spec.params):
        raise _problem(
            step, f"takes at most {len(spec.params)} parameters: {spec.usage(name)}."
        )
    out = {}
    for i, (label, keyword, convert, default) in enumerate(spec.params):
        if i >= len(values) or values[i] == "":
            if default is None:
                raise _problem(step, f"{label} is required: {spec.usage(name)}.")
            continue
        try:
            out[keyword] = convert(values[i])
        except ValueError as err:
            raise _problem(
                step, f"{label} must be {err}; got {values[i]!r} ({spec.usage(name)})."
            ) from err
    return out


def _baseline_keywords(step: str, values: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` parameters of a pybaselines method, values as numbers."""
    params = {}
    for item in values:
        try:
            key, value = metric_pair(item)
        except argparse.ArgumentTypeError:
            key, value = "", math.nan
        if not key.isidentifier():
            raise _problem(step, f"parameters must be KEY=NUMBER; got {item!r}.")
        whole = item.partition("=")[2].strip().lstrip("+-").isdigit()
        params[key] = int(value) if whole else value  # max_iter=20 stays an int
    return params


def _check_savgol(step: str, keywords: dict[str, Any]) -> None:
    window = keywords.get("window_length", 11)
    polyorder = keywords.get("polyorder", 2)
    deriv = keywords.get("deriv", 0)
    if window % 2 == 0 or polyorder >= window or deriv > polyorder:
        raise _problem(
            step,
            "needs an odd WINDOW > POLYORDER >= DERIV; got "
            f"WINDOW={window}, POLYORDER={polyorder}, DERIV={deriv}.",
        )


def _build(step: str) -> Any:
    name, *values = step.split(":")
    spec = STEPS.get(name.lower())
    if spec is None:
        raise _problem(step, f"unknown step {name!r}; valid steps:\n{_step_table()}")
    if name.lower() == "baseline":
        return _build_baseline(step, values)
    keywords = _keywords(step, spec, values)
    target = spec.target
    if name.lower() == "savgol":
        _check_savgol(step, keywords)
        if keywords.get("deriv", 0) == 0:  # smoothing: chemotools' filter
            keywords.pop("deriv", None)
            target = "smooth.SavitzkyGolayFilter"
        keywords.setdefault("window_length", 11)
        keywords.setdefault("polyorder", 2)
    module, _, cls = target.rpartition(".")
    found = import_optional(
        f"chemotools.{module}",
        package="chemotools",
        purpose=f"use --preprocess {name}",
    )
    return getattr(found, cls)(**keywords)


def _build_baseline(step: str, values: list[str]) -> Any:
    from specauth.preprocessing import BaselineCorrector

    if not values or not values[0]:
        raise _problem(
            step, "give the pybaselines method: baseline:METHOD[:KEY=VALUE...]."
        )
    method, params = values[0], _baseline_keywords(step, values[1:]) or None
    try:  # fit checks the method and the parameter names only
        BaselineCorrector(method, params=params).fit([[0.0, 0.0, 0.0]])
    except ValueError as err:
        raise _problem(step, str(err)) from err
    return BaselineCorrector(method, params=params)


def parse_preprocess(text: str) -> list[tuple[str, Any]]:
    """Parse a ``--preprocess`` value into ``(name, transformer)`` steps.

    Parameters
    ----------
    text : str
        Comma-separated steps ``NAME[:PARAM...]`` (see :data:`STEPS`).

    Returns
    -------
    steps : list of (str, transformer)
        Unfitted transformers in the order given, named after the step
        (``savgol``, ``savgol_2`` for a second one).

    Raises
    ------
    argparse.ArgumentTypeError
        For an unknown name or a bad parameter; the message lists the valid
        steps or the step's parameters.

    Examples
    --------
    >>> steps = parse_preprocess("snv,savgol:11:2:1,savgol:5")
    >>> [(name, type(step).__name__) for name, step in steps]
    [('snv', 'StandardNormalVariate'), ('savgol', 'SavitzkyGolay'),
     ('savgol_2', 'SavitzkyGolayFilter')]
    >>> parse_preprocess("asls:1e5:0.01")[0][1]
    AsLs(lam=100000.0)
    >>> parse_preprocess("savgol:11:x")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: step 'savgol:11:x': POLYORDER must be an integer ...
    """
    items = [item.strip() for item in text.split(",")]
    if not any(items) or not all(items):
        raise argparse.ArgumentTypeError(
            f"must be a comma-separated list of steps such as snv,savgol:11:2:1; "
            f"got {text!r}. Valid steps: {preprocess_help()}."
        )
    steps: list[tuple[str, Any]] = []
    for item in items:
        name = item.split(":")[0].lower()
        count = sum(1 for n, _ in steps if n == name or n.startswith(f"{name}_"))
        steps.append((name if count == 0 else f"{name}_{count + 1}", _build(item)))
    return steps
