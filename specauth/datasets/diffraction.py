"""Synthetic far-field coherent diffraction patterns of small particles.

As in X-ray free-electron-laser single-particle imaging, each pattern is the
squared modulus of the Fourier transform of a particle's projected electron
density: one sphere gives Airy-like rings, a cluster of touching spheres rings
crossed by interference fringes, an elongated particle elliptical rings. A
beam stop hides the centre and Poisson photon noise sets the signal level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import numpy as np
import scipy.fft
from sklearn.utils import Bunch

from specauth._validation import (
    Interval,
    check_bool,
    check_choice,
    check_int_tuple,
    check_pair,
    check_scalar,
)

from .synthetic import _generator

__all__ = ["make_diffraction_patterns"]

_KINDS = ("single", "multiple", "non-spherical")
_MIN_SIZE = 16  # smallest pattern side, in pixels
_DEFAULT_RADIUS = (0.04, 0.07)  # default radius range, fraction of max(shape)
_MAX_TURN = 2.0 * np.pi / 3.0  # largest bend of a sphere chain at each sphere
_CHUNK_BYTES = 2**24  # size of one chunk's complex work array
_POSITIVE = Interval(Real, 0, None, closed="neither", finite=True)
_NON_NEGATIVE = Interval(Real, 0, None, finite=True)


def _check_shape(shape):
    if isinstance(shape, Integral) and not isinstance(shape, bool):
        shape = (shape, shape)
    return check_int_tuple("shape", shape, minimum=_MIN_SIZE, length=2)


def _check_classes(classes):
    """``[(label, kind), ...]`` from a sequence of kinds or a label->kind map."""
    expected = "a sequence of kinds or a mapping of labels to kinds"
    if isinstance(classes, Mapping):
        pairs = list(classes.items())
    elif isinstance(classes, Sequence) and not isinstance(classes, str):
        pairs = [(kind, kind) for kind in classes]
    else:
        raise TypeError(
            f"`classes` must be {expected}; got {classes!r} of type "
            f"{type(classes).__name__}."
        )
    for i, (label, kind) in enumerate(pairs):
        if not isinstance(label, str):
            raise TypeError(f"`classes` labels must be str; got {label!r}.")
        name = f"[{label!r}]" if isinstance(classes, Mapping) else f"[{i}]"
        check_choice(f"classes{name}", kind, _KINDS)
    labels = [label for label, _ in pairs]
    if not labels or len(set(labels)) < len(labels):
        raise ValueError(
            f"`classes` must name one or more distinct classes; got {labels!r}."
        )
    return pairs


def _largest_extent(kinds, radius, n_spheres, gap, aspect):
    """The largest width, in object pixels, of any particle of ``kinds``."""
    high = radius[1]
    extents = {
        "single": 2.0 * high,
        "multiple": n_spheres[1] * 2.0 * high + (n_spheres[1] - 1) * gap * high,
        "non-spherical": 2.0 * high * aspect[1] ** (2.0 / 3.0),
    }
    return max((extents[kind], kind) for kind in kinds)


def _empty_components(n, k):
    """Component table: centre (row, col), in-plane semi-axes, depth, angle."""
    table = {key: np.zeros((n, k)) for key in ("cy", "cx", "c", "theta")}
    table.update(a=np.ones((n, k)), b=np.ones((n, k)))
    return table


def _draw_single(rng, n, radius, settings):
    r = rng.uniform(*radius, size=n)
    table = _empty_components(n, 1)
    table.update(a=r[:, None], b=r[:, None], c=r[:, None])
    return table, dict(radii=r, aspects=np.ones(n), angles=np.full(n, np.nan))


def _draw_non_spherical(rng, n, radius, settings):
    """Prolate spheroids of volume-equivalent radius ``r``, long axis in plane."""
    r = rng.uniform(*radius, size=n)
    aspect = rng.uniform(*settings["aspect"], size=n)
    theta = rng.uniform(0.0, np.pi, size=n)
    short = r * aspect ** (-1.0 / 3.0)
    table = _empty_components(n, 1)
    table.update(
        a=(short * aspect)[:, None],
        b=short[:, None],
        c=short[:, None],
        theta=theta[:, None],
    )
    return table, dict(radii=r, aspects=aspect, angles=theta)


def _draw_multiple(rng, n, radius, settings):
    """Chains of equal spheres, touching or ``gap * radius`` apart, in plane."""
    low, high = settings["n_spheres"]
    r = rng.uniform(*radius, size=n)
    count = rng.integers(low, high + 1, size=n)
    first = rng.uniform(0.0, 2.0 * np.pi, size=(n, 1))
    turns = rng.uniform(-_MAX_TURN, _MAX_TURN, size=(n, high - 2))
    phi = np.cumsum(np.hstack([first, turns]), axis=1)
    bond = r[:, None] * (2.0 + settings["gap"] * rng.uniform(size=(n, high - 1)))
    steps = np.stack([bond * np.sin(phi), bond * np.cos(phi)], axis=-1)
    centres = np.concatenate([np.zeros((n, 1, 2)), np.cumsum(steps, axis=1)], axis=1)
    present = np.arange(high) < count[:, None]
    low_corner = np.where(present[..., None], centres, np.inf).min(axis=1)
    high_corner = np.where(present[..., None], centres, -np.inf).max(axis=1)
    centres -= (low_corner + high_corner)[:, None, :] / 2.0
    centres = np.where(present[..., None], centres, 0.0)
    table = _empty_components(n, high)
    depth = np.where(present, r[:, None], 0.0)
    table.update(cy=centres[..., 0], cx=centres[..., 1], c=depth)
    table.update(a=np.broadcast_to(r[:, None], (n, high)).copy())
    table.update(b=table["a"].copy())
    info = dict(radii=r, aspects=np.ones(n), angles=first[:, 0] % np.pi)
    return table, {**info, "n_particles": count}


_DRAW = {
    "single": _draw_single,
    "multiple": _draw_multiple,
    "non-spherical": _draw_non_spherical,
}


def _density(table, offsets):
    """Projected densities ``2 c sqrt(1 - t)`` of the components, summed.

    ``t`` is the ellipse form ``(u / a)**2 + (v / b)**2`` in the component's
    own axes, so a sphere of radius ``R`` projects to ``2 sqrt(R**2 - r**2)``.
    """
    n, k = table["a"].shape
    size = offsets.size
    total = np.zeros((n, size, size), dtype=np.float32)
    t = np.empty_like(total)
    cos, sin = np.cos(table["theta"]), np.sin(table["theta"])
    inv_a2, inv_b2 = table["a"] ** -2.0, table["b"] ** -2.0
    quad_x = (cos**2 * inv_a2 + sin**2 * inv_b2).astype(np.float32)
    quad_y = (sin**2 * inv_a2 + cos**2 * inv_b2).astype(np.float32)
    cross = (2.0 * sin * cos * (inv_a2 - inv_b2)).astype(np.float32)
    for j in range(k):
        dy = (offsets[None, :] - table["cy"][:, j, None]).astype(np.float32)
        dx = (offsets[None, :] - table["cx"][:, j, None]).astype(np.float32)
        np.add(
            (quad_y[:, j, None] * dy * dy)[:, :, None],
            (quad_x[:, j, None] * dx * dx)[:, None, :],
            out=t,
        )
        if np.any(cross[:, j]):
            t += (cross[:, j, None] * dy)[:, :, None] * dx[:, None, :]
        np.subtract(1.0, t, out=t)
        np.maximum(t, 0.0, out=t)
        np.sqrt(t, out=t)
        t *= (2.0 * table["c"][:, j]).astype(np.float32)[:, None, None]
        total += t
    return total


def _intensity(table, shifts, shape, oversampling):
    """``|F|**2`` on the detector, the zero frequency at ``shape // 2 + shifts``.

    The density is sampled every ``1 / oversampling`` object pixel in a window
    around the particle; the discrete Fourier transform over ``max(shape) *
    oversampling`` points then samples the pattern every ``2 pi / max(shape)``
    in q. A phase ramp on the density moves the pattern by ``shifts``.
    """
    h, w = shape
    side = max(shape)
    reach = np.max(np.abs(np.stack([table["cy"], table["cx"]])) + table["a"])
    half = int(np.ceil(reach * oversampling)) + 1
    offsets = np.arange(-half, half + 1) / oversampling
    rho = _density(table, offsets).astype(np.complex64)
    ramps = np.exp(2j * np.pi * shifts[:, :, None] * offsets / side)
    rho *= ramps[:, 0, :, None].astype(np.complex64)
    rho *= ramps[:, 1, None, :].astype(np.complex64)
    n_fft = side * oversampling
    columns = (np.arange(w) - w // 2) % n_fft
    rows = (np.arange(h) - h // 2) % n_fft
    field = scipy.fft.fft(rho, n=n_fft, axis=2)[:, :, columns]
    field = scipy.fft.fft(field, n=n_fft, axis=1)[:, rows, :]
    return field.real**2 + field.imag**2


def _patterns(rng, table, shifts, out, settings):
    """Normalised (or photon-count) patterns, written to ``X[rows]`` in chunks."""
    X, rows = out
    n, shape = rows.size, X.shape[1:]
    n_fft = max(shape) * settings["oversampling"]
    chunk = max(1, _CHUNK_BYTES // (8 * n_fft * n_fft))
    mask = settings["mask"]
    for start in range(0, n, chunk):
        part = slice(start, start + chunk)
        sub = {key: value[part] for key, value in table.items()}
        pattern = _intensity(sub, shifts[part], shape, settings["oversampling"])
        pattern[:, ~mask] = 0.0
        pattern /= pattern.sum(axis=(1, 2), keepdims=True, dtype=np.float64)
        if settings["photons"] is not None:
            pattern = rng.poisson(pattern * settings["photons"])
        X[rows[part]] = pattern


def _beam_stop_mask(shape, radius):
    rows = np.arange(shape[0]) - shape[0] // 2
    cols = np.arange(shape[1]) - shape[1] // 2
    return rows[:, None] ** 2 + cols[None, :] ** 2 >= radius**2


def _check_settings(n_samples, shape, pairs, radius, n_spheres, gap, aspect):
    n_samples = check_scalar("n_samples", n_samples, Interval(Integral, 1, None))
    if n_samples < len(pairs):
        raise ValueError(
            f"`n_samples` must be at least the number of classes ({len(pairs)}); "
            f"got {n_samples}."
        )
    side = max(shape)
    if radius is None:
        radius = (_DEFAULT_RADIUS[0] * side, _DEFAULT_RADIUS[1] * side)
    radius = check_pair("radius", radius, _POSITIVE, allow_scalar=True)
    settings = dict(
        n_spheres=check_pair(
            "n_spheres", n_spheres, Interval(Integral, 2, None), allow_scalar=True
        ),
        gap=check_scalar("gap", gap, _NON_NEGATIVE),
        aspect=check_pair(
            "aspect", aspect, Interval(Real, 1, None, finite=True), allow_scalar=True
        ),
    )
    extent, kind = _largest_extent({kind for _, kind in pairs}, radius, **settings)
    if extent > side / 2:
        raise ValueError(
            f"`radius` up to {radius[1]:g} gives {kind!r} particles up to "
            f"{extent:.1f} pixels across, more than half the field of view "
            f"(max(shape) / 2 = {side / 2:g}); use a smaller `radius`, fewer "
            "`n_spheres`, a smaller `gap` or `aspect`, or a larger `shape`."
        )
    return n_samples, radius, settings


def make_diffraction_patterns(
    n_samples: int = 100,
    shape: int | tuple[int, int] = (128, 128),
    *,
    classes: Sequence[str] | Mapping[str, str] = ("single", "multiple"),
    radius: float | tuple[float, float] | None = None,
    n_spheres: int | tuple[int, int] = (2, 3),
    gap: float = 0.2,
    aspect: float | tuple[float, float] = (1.5, 2.5),
    center_shift: float = 1.0,
    beam_stop: float = 4.0,
    photons: float | None = None,
    oversampling: int = 2,
    shuffle: bool = True,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
) -> Bunch:
    """Generate labelled far-field coherent diffraction patterns of particles.

    Every pattern is ``|F(q)|**2``, the squared Fourier transform of the
    projected electron density of a particle of uniform density (the small
    angle, single-scattering picture of X-ray free-electron-laser single
    particle imaging), on a square-pixel detector of ``shape`` pixels. The
    particle kinds are:

    - ``"single"``: one sphere, projected density ``2 sqrt(R**2 - r**2)``;
      the pattern is circular Airy-like rings ``(3 (sin x - x cos x) /
      x**3)**2`` with ``x = q R``.
    - ``"multiple"``: ``n_spheres`` equal spheres in a chain, touching or up
      to ``gap * R`` apart, in the plane of the detector at a random angle;
      interference fringes cross the rings.
    - ``"non-spherical"``: a prolate spheroid (long axis ``aspect`` times the
      short ones) of the volume of a sphere of radius ``R``, its long axis in
      the plane at a random angle; the rings are ellipses elongated across it.

    Each pattern's centre moves by up to ``center_shift`` pixels, the pixels
    within ``beam_stop`` of the nominal centre are zero, and, with
    ``photons``, the values are Poisson photon counts.

    Parameters
    ----------
    n_samples : int, default=100
        Number of patterns, shared between the classes as evenly as
        possible (the first classes get one more where it does not divide).
    shape : int or (int, int), default=(128, 128)
        Detector rows and columns, each at least 16.
    classes : sequence of str or dict, default=("single", "multiple")
        Particle kinds to draw, among ``"single"``, ``"multiple"`` and
        ``"non-spherical"``; they are also the labels. A dict maps labels of
        your own to kinds, e.g. ``{"monomer": "single", "dimer":
        "multiple"}``.
    radius : float or (float, float), default=None
        Range of the sphere radius ``R`` (the volume-equivalent radius for
        ``"non-spherical"``) in object pixels, ``max(shape)`` of which span
        the field of view (see Notes). ``None`` means ``(0.04, 0.07) *
        max(shape)``: rings about 7 to 12 pixels apart whatever the shape.
    n_spheres : int or (int, int), default=(2, 3)
        Number of spheres of a ``"multiple"`` particle, or the inclusive range
        it is drawn from; at least 2.
    gap : float, default=0.2
        Largest gap between neighbouring spheres, as a fraction of ``R``
        (0 makes them touch).
    aspect : float or (float, float), default=(1.5, 2.5)
        Range of the long-to-short axis ratio of ``"non-spherical"``
        particles, at least 1.
    center_shift : float, default=1.0
        Largest offset of the pattern centre along each axis, in pixels.
    beam_stop : float, default=4.0
        Radius, in pixels, of the disc around the nominal centre
        ``(h // 2, w // 2)`` that the beam stop hides; 0 for none.
    photons : float or None, default=None
        Expected total photon count of each pattern outside the beam stop;
        the values are Poisson draws. ``None`` returns noiseless intensities
        normalised to sum to 1 (each pixel's share of the photons). With the
        defaults 5 to 13 % of the photons land beyond a particle's first
        minimum, so ``photons=150`` leaves about 10 photons in the rings
        (strong noise) and ``photons=1e7`` is close to noiseless.
    oversampling : int, default=2
        Object-grid points per object pixel along each axis; larger values
        push aliasing further out in q at a quadratic cost in time. Within a
        quarter of the field of view the rings follow the continuous form
        factor to about 10 % with 2 and about 3 % with 4.
    shuffle : bool, default=True
        Shuffle the samples (otherwise they are grouped by class).
    random_state : int, numpy Generator or RandomState, default=None
        Seed; the same value gives identical output.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - ``X`` : ndarray of shape (n_samples, h, w), float32, non-negative;
          integer counts when ``photons`` is set.
        - ``y`` : ndarray of str, the labels.
        - ``target_names`` : the sorted labels.
        - ``centers`` : ndarray of shape (n_samples, 2), the (row, column)
          position of ``q = 0`` in each pattern.
        - ``radii`` : ndarray of shape (n_samples,), ``R`` in object pixels.
        - ``aspects`` : ndarray of shape (n_samples,), the axis ratio (1 for
          spheres).
        - ``angles`` : ndarray of shape (n_samples,), in [0, pi): the
          direction ``(sin a, cos a)`` in (row, column) of the long axis or
          of the first pair of spheres; NaN for ``"single"``.
        - ``n_particles`` : ndarray of shape (n_samples,), spheres per
          ``"multiple"`` particle, 1 otherwise.
        - ``mask`` : ndarray of bool of shape (h, w), False behind the beam
          stop.
        - ``photons`` : the ``photons`` argument.
        - ``q_per_pixel`` : ``2 pi / max(shape)``, the momentum transfer of
          one detector pixel in inverse object pixels.

    Raises
    ------
    ValueError
        If a parameter is out of range, ``n_samples`` is below the number of
        classes, or the particles would span more than half the field of
        view.
    TypeError
        If a parameter has the wrong type.

    See Also
    --------
    make_spectra : Synthetic 1D peak spectra.

    Notes
    -----
    The object is sampled on a grid of ``max(shape)`` pixels per side (finer
    by ``oversampling``), so detector pixel ``k`` from the centre sees
    ``q = 2 pi k / max(shape)`` in inverse object pixels. A sphere of radius
    ``R`` then has its first minimum at ``k = 4.493 max(shape) / (2 pi R)``
    and later ones about ``max(shape) / (2 R)`` pixels apart. Rows and
    columns share this q scale, so rings stay circular on non-square
    detectors.

    Examples
    --------
    >>> data = make_diffraction_patterns(4, 32, photons=100, random_state=0)
    >>> data.X.shape, data.X.dtype
    ((4, 32, 32), dtype('float32'))
    >>> sorted(data.y.tolist())
    ['multiple', 'multiple', 'single', 'single']
    >>> bool(data.X[:, ~data.mask].any())
    False
    """
    pattern_shape = _check_shape(shape)
    pairs = _check_classes(classes)
    n_samples, radius, settings = _check_settings(
        n_samples, pattern_shape, pairs, radius, n_spheres, gap, aspect
    )
    limit = Interval(Real, 0, min(pattern_shape) / 2, closed="left", finite=True)
    shift = check_scalar("center_shift", center_shift, limit)
    stop = check_scalar("beam_stop", beam_stop, limit)
    settings.update(
        photons=check_scalar("photons", photons, _POSITIVE, allow_none=True),
        oversampling=check_scalar(
            "oversampling", oversampling, Interval(Integral, 1, 8)
        ),
        mask=_beam_stop_mask(pattern_shape, stop),
    )
    X, data = _generate(
        random_state,
        pairs,
        n_samples,
        pattern_shape,
        (radius, shift),
        settings,
        check_bool("shuffle", shuffle),
    )
    return Bunch(
        X=X,
        **data,
        target_names=np.array(sorted(label for label, _ in pairs)),
        mask=settings["mask"],
        photons=settings["photons"],
        q_per_pixel=2.0 * np.pi / max(pattern_shape),
    )


def _generate(random_state, pairs, n_samples, shape, sizes, settings, shuffle):
    """Patterns ``X`` and per-sample metadata, the classes in ``pairs`` balanced.

    Each class draws from its own seed, so a class's particles do not depend
    on the other classes; with ``shuffle`` the samples are permuted (each
    pattern written once, straight to its final row).
    """
    seeds = np.random.SeedSequence(int(_generator(random_state).integers(2**63)))
    shuffle_seed, class_seed = seeds.spawn(2)
    k = len(pairs)
    counts = [n_samples // k + (i < n_samples % k) for i in range(k)]
    order = np.arange(n_samples)
    if shuffle:
        order = np.random.default_rng(shuffle_seed).permutation(n_samples)
    destination = np.argsort(order)  # final row of each class-grouped sample
    X = np.empty((n_samples,) + shape, dtype=np.float32)
    starts = np.cumsum([0] + counts[:-1])
    parts = [
        _draw_class(
            np.random.default_rng(seed),
            kind,
            (X, destination[start : start + n]),
            sizes,
            settings,
        )
        for seed, (_, kind), start, n in zip(
            class_seed.spawn(k), pairs, starts, counts, strict=True
        )
    ]
    data = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    data["y"] = np.repeat(np.array([label for label, _ in pairs]), counts)
    return X, {key: value[order] for key, value in data.items()}


def _draw_class(rng, kind, out, sizes, settings):
    """Draw particles of one kind; write their patterns to ``out = (X, rows)``.

    Returns the particles' metadata.
    """
    X, rows = out
    (n, shape), (radius, shift) = (rows.size, X.shape[1:]), sizes
    table, info = _DRAW[kind](rng, n, radius, settings)
    shifts = rng.uniform(-shift, shift, size=(n, 2))
    _patterns(rng, table, shifts, out, settings)
    nominal = np.array([shape[0] // 2, shape[1] // 2], dtype=float)
    info.setdefault("n_particles", np.ones(n, dtype=int))
    return dict(centers=nominal + shifts, **info)
