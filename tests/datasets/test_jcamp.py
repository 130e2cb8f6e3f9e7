"""Round trips of JCAMP-DX files written here with known content."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from specauth.datasets.jcamp import read_jcamp

pytest.importorskip("jcamp")


def jdx_block(
    x,
    y,
    *,
    xunits="1/CM",
    kind="INFRARED SPECTRUM",
    yfactor=0.001,
    form="(X++(Y..Y))",
    title="sample",
):
    """One block; y is stored as integers times ``yfactor`` (as instruments do)."""
    ints = np.round(np.asarray(y) / yfactor).astype(int)
    head = [
        f"##TITLE={title}",
        "##JCAMP-DX=4.24",
        f"##DATA TYPE={kind}",
        f"##XUNITS={xunits}",
        "##YUNITS=ABSORBANCE",
        "##XFACTOR=1.0",
        f"##YFACTOR={yfactor}",
        f"##FIRSTX={x[0]:.6f}",
        f"##LASTX={x[-1]:.6f}",
        f"##NPOINTS={len(x)}",
    ]
    if form == "(X++(Y..Y))":
        head.append("##XYDATA=(X++(Y..Y))")
        for start in range(0, len(x), 5):
            values = " ".join(str(v) for v in ints[start : start + 5])
            head.append(f"{x[start]:.6f} {values}")
    else:
        head.append("##XYPOINTS=(XY..XY)")
        head += [f"{xi:.6f}, {yi}" for xi, yi in zip(x, ints, strict=True)]
    return "\n".join([*head, "##END="]) + "\n"


def independent_y(text):
    """y values of an (X++(Y..Y)) block read with numpy (tokens after the X)."""
    lines = text.split("##XYDATA=(X++(Y..Y))\n")[1].split("##END")[0].splitlines()
    factor = float(text.split("##YFACTOR=")[1].splitlines()[0])
    return (
        np.concatenate([np.array(line.split()[1:], float) for line in lines]) * factor
    )


@pytest.fixture
def spectrum():
    x = np.linspace(4000.0, 3000.0, 23)
    y = np.round(np.abs(np.sin(x / 97.0)), 3)
    return x, y


def test_xydata_round_trip_decreasing_wavenumbers(tmp_path, spectrum):
    x, y = spectrum
    text = jdx_block(x, y)
    path = tmp_path / "ir.jdx"
    path.write_text(text)
    X, axis, info = read_jcamp(path, metadata=True)
    assert X.shape == (1, x.size) and X.dtype == np.float32
    np.testing.assert_allclose(X[0], independent_y(text), rtol=1e-6)
    np.testing.assert_allclose(X[0], y, atol=1e-6)
    np.testing.assert_allclose(axis.values, x)
    assert (axis.quantity, axis.unit) == ("wavenumber", "cm⁻¹")
    assert not axis.increasing
    assert info["yunits"] == "ABSORBANCE" and info["title"] == "sample"
    assert info["n_blocks"] == 1


def test_xypoints_round_trip_and_units(tmp_path):
    x = np.arange(10.0, 20.0, 0.5)
    y = np.linspace(0.0, 1.0, x.size)
    path = tmp_path / "uv.DX"
    path.write_text(jdx_block(x, y, xunits="NANOMETERS", form="(XY..XY)"))
    X, axis = read_jcamp(path)
    table = np.loadtxt(
        path.read_text().split("(XY..XY)\n")[1].split("##END")[0].splitlines(),
        delimiter=",",
    )
    np.testing.assert_allclose(axis.values, table[:, 0])
    np.testing.assert_allclose(X[0], table[:, 1] * 0.001, rtol=1e-6)
    assert (axis.quantity, axis.unit) == ("wavelength", "nm")


@pytest.mark.parametrize(
    ("xunits", "kind", "expected"),
    [
        ("MICROMETERS", "INFRARED SPECTRUM", ("wavelength", "µm")),
        ("DEGREES", "X-RAY DIFFRACTION", ("two_theta", "°")),
        ("KEV", "GAMMA SPECTRUM", ("energy", "keV")),
        ("1/CM", "RAMAN SPECTRUM", ("raman_shift", "cm⁻¹")),
        ("ARBITRARY UNITS", "OTHER", ("ARBITRARY UNITS", None)),
    ],
)
def test_xunits_give_quantity_and_unit(tmp_path, spectrum, xunits, kind, expected):
    x, y = spectrum
    path = tmp_path / "s.jcamp"
    path.write_text(jdx_block(x[::-1], y, xunits=xunits, kind=kind))
    _, axis = read_jcamp(path)
    assert (axis.quantity, axis.unit) == expected


def link_file(*blocks):
    head = "##TITLE=compound\n##JCAMP-DX=5.01\n##DATA TYPE=LINK\n"
    return head + f"##BLOCKS={len(blocks)}\n" + "".join(blocks) + "##END=\n"


def test_compound_file_blocks(tmp_path, spectrum):
    x, y = spectrum
    path = tmp_path / "two.jdx"
    path.write_text(
        link_file(jdx_block(x, y, title="a"), jdx_block(x, 2 * y, title="b"))
    )
    X, axis, info = read_jcamp(path, metadata=True)
    np.testing.assert_allclose(X, np.stack([y, 2 * y]), atol=1e-6)
    assert info["n_blocks"] == 2 and info["title"] == "a"
    X1, _ = read_jcamp(path, block=1)
    np.testing.assert_allclose(X1[0], 2 * y, atol=1e-6)


def test_compound_blocks_on_different_axes_are_refused(tmp_path, spectrum):
    x, y = spectrum
    path = tmp_path / "mixed.jdx"
    path.write_text(link_file(jdx_block(x, y), jdx_block(x + 1.0, y)))
    with pytest.raises(
        ValueError, match=r"mixed.jdx: block 1 is not on the axis.*block="
    ):
        read_jcamp(path)
    with pytest.raises(ValueError, match=r"`block` must be in \[0, 2\)"):
        read_jcamp(path, block=2)
    with pytest.raises(TypeError, match="`block` must be an int"):
        read_jcamp(path, block="1")  # type: ignore[arg-type]


def test_errors_name_the_file(tmp_path):
    empty = tmp_path / "empty.jdx"
    empty.write_text("##TITLE=nothing\n##END=\n")
    with pytest.raises(ValueError, match=r"empty.jdx holds no ##XYDATA="):
        read_jcamp(empty)
    broken = tmp_path / "broken.jdx"
    broken.write_text("##TITLE=x\n##XYDATA=(X++(Y..Y))\n1 2 3\n##END=\n")
    with pytest.raises(ValueError, match=r"broken.jdx is not a readable JCAMP-DX"):
        read_jcamp(broken)
    with pytest.raises(ValueError, match=r"unsupported extension '.txt'"):
        read_jcamp(tmp_path / "a.txt")
    with pytest.raises(FileNotFoundError, match="gone.jdx"):
        read_jcamp(tmp_path / "gone.jdx")


def test_missing_package_names_it(tmp_path, spectrum, monkeypatch):
    path = tmp_path / "ir.jdx"
    path.write_text(jdx_block(*spectrum))
    monkeypatch.setitem(sys.modules, "jcamp", None)
    with pytest.raises(ImportError, match="pip install jcamp"):
        read_jcamp(path)


ASDF = """##TITLE=compressed
##JCAMP-DX=5.01
##XUNITS=1/CM
##YUNITS=ABSORBANCE
##XFACTOR=1
##YFACTOR=0.5
##FIRSTX=1
##LASTX=6
##NPOINTS=6
##XYDATA=(X++(Y..Y))
1A0J%
3{check}jTj
##END=
"""


def test_compressed_asdf_and_y_check(tmp_path):
    # SQZ A0 = 10, DIF J = +1, % = +0; the second line repeats 11 as a check,
    # then j = -1 twice (T: DUP 2) and once more: 10, 11, 11, 10, 9, 8.
    path = tmp_path / "asdf.jdx"
    path.write_text(ASDF.format(check="A1"))
    X, axis = read_jcamp(path)
    np.testing.assert_array_equal(X[0], 0.5 * np.array([10, 11, 11, 10, 9, 8]))
    np.testing.assert_array_equal(axis.values, np.arange(1.0, 7.0))
    path.write_text(ASDF.format(check="A2"))
    with pytest.warns(UserWarning, match=r"asdf.jdx: Y-Check failed"):
        read_jcamp(path)
