"""An image with its class activation map overlaid, and the imaged spectrum."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specauth._lazy import import_optional
from specauth.explain.plots._checks import as_curve, check_finite, new_axes

if TYPE_CHECKING:
    import matplotlib.axes
    import matplotlib.colors
    from numpy.typing import ArrayLike

__all__ = ["plot_image_cam"]


def _as_image(image):
    """Return ``image`` as a float array ``(h, w)`` or ``(h, w, 3)`` in [0, 1]."""
    if image is None:
        raise ValueError(
            "`image` must be an array of shape (h, w) or (h, w, c); got None."
        )
    try:
        arr = np.array(image, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"`image` must hold numbers; got {err}.") from err
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError(
            "`image` must be an array of shape (height, width), (height, width, 1) "
            f"or (height, width, 3); got shape {arr.shape}. For a batch, pass "
            "one image, e.g. `images[0]`."
        )
    if arr.size == 0:
        raise ValueError(f"`image` must not be empty; got shape {arr.shape}.")
    check_finite(arr, "image")
    low, high = arr.min(), arr.max()
    return (arr - low) / (high - low) if high > low else np.zeros_like(arr)


def _as_map(cam_map):
    if cam_map is None:
        raise ValueError("`cam_map` must be a 2D array (height, width); got None.")
    try:
        arr = np.array(cam_map, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"`cam_map` must hold numbers; got {err}.") from err
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(
            "`cam_map` must be a non-empty 2D array (height, width); got shape "
            f"{arr.shape}. For a batch of maps, pass one, e.g. `maps[0]`."
        )
    check_finite(arr, "cam_map")
    return arr


def _marginal_positions(n_points, n_pixels):
    """Pixel coordinate of each point of a spectrum spread over ``n_pixels``."""
    return (np.arange(n_points) + 0.5) * n_pixels / n_points - 0.5


def _add_marginals(ax, divider, spectrum, shape):
    """Draw ``spectrum`` along the top (columns) and the right (rows) of ``ax``."""
    top = divider.append_axes("top", size="20%", pad=0.05, sharex=ax)
    top.plot(_marginal_positions(spectrum.size, shape[1]), spectrum, color="k")
    top.tick_params(labelbottom=False)
    top.set_ylabel("spectrum")
    right = divider.append_axes("right", size="20%", pad=0.05, sharey=ax)
    right.plot(spectrum, _marginal_positions(spectrum.size, shape[0]), color="k")
    right.tick_params(labelleft=False)
    return top, right


def plot_image_cam(
    image: ArrayLike,
    cam_map: ArrayLike,
    *,
    spectrum: ArrayLike | None = None,
    alpha: float = 0.5,
    cmap: str | matplotlib.colors.Colormap = "jet",
    image_cmap: str | matplotlib.colors.Colormap = "gray",
    ax: matplotlib.axes.Axes | None = None,
    colorbar: bool = True,
    title: str | None = None,
) -> matplotlib.axes.Axes:
    """Show an image with its class activation map overlaid.

    The map is stretched over the whole image (bilinear display
    interpolation), so a low-resolution map from a network's last
    convolution can be passed as is. When the image is a picture of a
    spectrum (a Gramian angular field, a recurrence plot...), ``spectrum``
    draws the spectrum along the top (over the columns) and the right (over
    the rows), aligned with the pixels it was imaged into.

    Parameters
    ----------
    image : array-like of shape (height, width), (height, width, 1) or \
(height, width, 3)
        The image; it is rescaled to [0, 1] for display.
    cam_map : array-like of shape (map_height, map_width)
        Importance map, e.g. one map of :meth:`specauth.explain.CAM2D.explain`.
    spectrum : array-like of shape (n_points,), default=None
        The spectrum the image was made from, drawn in marginal axes.
    alpha : float, default=0.5
        Opacity of the map, in [0, 1].
    cmap : str or matplotlib colormap, default="jet"
        Colormap of the map.
    image_cmap : str or matplotlib colormap, default="gray"
        Colormap of a one-channel image.
    ax : matplotlib.axes.Axes, default=None
        Axes of the image; a new figure when None. Marginal axes and the
        colorbar are carved out of it.
    colorbar : bool, default=True
        Add a colorbar of the map, labelled "importance".
    title : str, default=None

    Returns
    -------
    ax : matplotlib.axes.Axes
        The image axes; ``ax.images`` holds the image then the map, and the
        marginal axes (with ``spectrum``) and the colorbar are in
        ``ax.figure.axes``.

    Raises
    ------
    ValueError
        If an array has the wrong shape, is empty or holds NaN or infinity,
        or ``alpha`` is outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.explain.plots import plot_image_cam
    >>> x = np.cos(np.linspace(0, 3, 32))
    >>> gaf = np.cos(np.add.outer(np.arccos(x), np.arccos(x)))
    >>> ax = plot_image_cam(gaf, np.outer(x, x)[::4, ::4], spectrum=x)
    >>> len(ax.images), len(ax.figure.axes)
    (2, 4)
    """
    picture = _as_image(image)
    heat = _as_map(cam_map)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)):
        raise TypeError(f"`alpha` must be a number in [0, 1]; got {alpha!r}.")
    if not 0 <= alpha <= 1:
        raise ValueError(f"`alpha` must be in [0, 1]; got {alpha!r}.")
    line = None if spectrum is None else as_curve(spectrum, "spectrum", min_length=2)
    ax = new_axes(ax)
    height, width = picture.shape[:2]
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)
    ax.imshow(picture, cmap=image_cmap, extent=extent)
    overlay = ax.imshow(
        heat, cmap=cmap, alpha=alpha, extent=extent, interpolation="bilinear"
    )
    grid = import_optional("mpl_toolkits.axes_grid1", package="matplotlib")
    divider = grid.make_axes_locatable(ax)
    title_ax = ax
    if line is not None:
        title_ax, _ = _add_marginals(ax, divider, line, (height, width))
    if colorbar:
        cax = divider.append_axes("right", size="5%", pad=0.1)
        ax.figure.colorbar(overlay, cax=cax, label="importance")
    if title is not None:
        title_ax.set_title(title)
    return ax
