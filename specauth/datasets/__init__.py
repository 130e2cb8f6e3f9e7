"""Data sets: the PGAA gamma-ray spectra, synthetic spectra and file readers.

- :func:`load_pgaa` and :func:`pgaa_open_set_split` -- the real PGAA spectra
  of Mahynski et al. (2023) and the authors' open-set split;
- :func:`make_spectra` -- synthetic peak spectra with known peak positions
  and held-out unknown classes;
- :func:`make_diffraction_patterns` -- synthetic 2D coherent diffraction
  patterns of spheres, sphere clusters and elongated particles;
- :func:`read_spectra` and :func:`read_labels` -- read ``.npy``, ``.npz``,
  CSV/TSV/text and HDF5 files; :func:`read_spectra_axis` reads the physical
  axis (energy, wavenumber ...) with them; :func:`iter_spectra` reads them in
  chunks, for inputs larger than memory;
- :func:`read_folder` -- a folder of files labelled by sub-folder, on one
  common axis; :func:`read_instrument_file` and the readers behind it:
  :func:`read_jcamp` (JCAMP-DX), :func:`read_gamma` (Ortec ``.Spe``/``.Chn``,
  Canberra ``.cnf``), :func:`read_spc` (Thermo/Galactic), :func:`read_xy`
  (x-y text);
- :class:`HDF5Dataset` -- batches of an HDF5 dataset read a block at a time
  (a Keras ``PyDataset``: ``CNNClassifier.fit``/``predict`` take it), and
  :func:`predict_to_hdf5` -- predictions written into an HDF5 file,
  resumably. Both load Keras, so they are imported on first use.
"""

from __future__ import annotations

from specauth._lazy import lazy_exports

from .diffraction import make_diffraction_patterns
from .files import (
    iter_spectra,
    read_axis,
    read_labels,
    read_spectra,
    read_spectra_axis,
)
from .folder import read_folder
from .gamma import read_gamma
from .instrument import INSTRUMENT_SUFFIXES, read_instrument_file
from .jcamp import read_jcamp
from .pgaa import PGAA_CNN_BINS, PGAA_UNKNOWN_CLASSES, load_pgaa, pgaa_open_set_split
from .spc import read_spc
from .synthetic import make_spectra
from .xy import read_xy

__all__ = [
    "PGAA_CNN_BINS",
    "PGAA_UNKNOWN_CLASSES",
    "load_pgaa",
    "make_spectra",
    "make_diffraction_patterns",
    "pgaa_open_set_split",
    "read_labels",
    "read_spectra",
    "read_spectra_axis",
    "read_axis",
    "iter_spectra",
    "read_folder",
    "read_instrument_file",
    "read_jcamp",
    "read_gamma",
    "read_spc",
    "read_xy",
    "INSTRUMENT_SUFFIXES",
    "HDF5Dataset",
    "predict_to_hdf5",
]

# HDF5Dataset is a keras.utils.PyDataset: importing it loads Keras.
_MODULES = {"HDF5Dataset": "hdf5", "predict_to_hdf5": "hdf5_predictions"}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
