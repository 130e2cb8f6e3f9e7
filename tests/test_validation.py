"""The shared validation vocabulary of specauth._validation."""

import re
from numbers import Integral, Real

import numpy as np
import pytest

from specauth._validation import (
    FLOATS,
    Interval,
    Options,
    check_array_1d,
    check_bool,
    check_choice,
    check_int_tuple,
    check_pair,
    check_random_state_value,
    check_scalar,
    check_value,
)

POSITIVE_INT = Interval(Integral, 1, None)
UNIT = Interval(Real, 0, 1, closed="left")
POSITIVE = Interval(Real, 0, None, closed="neither")


def _exact(message):
    return "^" + re.escape(message) + "$"


# ------------------------------------------------------------------ Interval
@pytest.mark.parametrize(
    ("interval", "text"),
    [
        (POSITIVE_INT, "an int in [1, inf)"),
        (UNIT, "a number in [0, 1)"),
        (POSITIVE, "a number in (0, inf)"),
        (Interval(Real, None, None), "a number in (-inf, inf)"),
        (Interval(Real, -1, 1), "a number in [-1, 1]"),
    ],
)
def test_interval_says_what_it_accepts(interval, text):
    assert str(interval) == text


def test_interval_describe_plural_and_finite():
    assert POSITIVE_INT.describe(plural=True) == "ints in [1, inf)"
    assert POSITIVE.describe(finite=True) == "a finite number in (0, inf)"
    assert POSITIVE.describe(plural=True, finite=True) == ("finite numbers in (0, inf)")


@pytest.mark.parametrize("nan", [float("nan"), np.float64("nan"), np.float32("nan")])
def test_interval_rejects_nan_of_any_float_type(nan):
    assert not Interval(Real, None, None).accepts(nan)


# -------------------------------------------------------------- check_scalar
@pytest.mark.parametrize(
    ("value", "interval", "expected", "kind"),
    [
        (3, POSITIVE_INT, 3, int),
        (np.int64(3), POSITIVE_INT, 3, int),
        (np.uint8(1), POSITIVE_INT, 1, int),
        (0.5, UNIT, 0.5, float),
        (0, UNIT, 0.0, float),
        (np.float32(0.25), UNIT, 0.25, float),
        (float("inf"), POSITIVE, float("inf"), float),
    ],
)
def test_check_scalar_returns_a_python_number(value, interval, expected, kind):
    out = check_scalar("x", value, interval)
    assert out == expected and type(out) is kind


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a", "`lr` must be a number in (0, inf); got 'a' of type str."),
        (None, "`lr` must be a number in (0, inf); got None of type NoneType."),
        (True, "`lr` must be a number in (0, inf); got True of type bool."),
        (
            np.True_,
            "`lr` must be a number in (0, inf); got np.True_ of type bool.",
        ),
        ([1.0], "`lr` must be a number in (0, inf); got [1.0] of type list."),
    ],
)
def test_check_scalar_wrong_type_is_a_type_error(value, message):
    if isinstance(value, np.bool_):
        message = message.replace("of type bool", f"of type {type(value).__name__}")
        message = message.replace("np.True_", repr(value))
    with pytest.raises(TypeError, match=_exact(message)):
        check_scalar("lr", value, POSITIVE)


@pytest.mark.parametrize("value", [-1, 0, 0.0, float("nan"), float("-inf")])
def test_check_scalar_out_of_range_is_a_value_error(value):
    with pytest.raises(
        ValueError, match=_exact(f"`lr` must be a number in (0, inf); got {value!r}.")
    ):
        check_scalar("lr", value, POSITIVE)


def test_check_scalar_int_interval_rejects_floats():
    with pytest.raises(
        TypeError,
        match=_exact("`k` must be an int in [1, inf); got 2.0 of type float."),
    ):
        check_scalar("k", 2.0, POSITIVE_INT)


def test_check_scalar_none():
    assert check_scalar("k", None, POSITIVE_INT, allow_none=True) is None
    with pytest.raises(
        TypeError,
        match=_exact("`k` must be an int in [1, inf); got None of type NoneType."),
    ):
        check_scalar("k", None, POSITIVE_INT)
    with pytest.raises(
        ValueError, match=_exact("`k` must be an int in [1, inf) or None; got 0.")
    ):
        check_scalar("k", 0, POSITIVE_INT, allow_none=True)


def test_check_scalar_finite():
    assert check_scalar("w", 2, POSITIVE, finite=True) == 2.0
    with pytest.raises(
        ValueError, match=_exact("`w` must be a finite number in (0, inf); got inf.")
    ):
        check_scalar("w", float("inf"), POSITIVE, finite=True)
    # An int interval never meets infinity: huge ints stay accepted.
    assert check_scalar("n", 10**30, POSITIVE_INT, finite=True) == 10**30


# -------------------------------------------------------------- check_choice
def test_check_choice():
    assert check_choice("mode", "b", ("a", "b")) == "b"
    assert check_choice("mode", None, ("a", "b"), allow_none=True) is None
    with pytest.raises(
        ValueError, match=_exact("`mode` must be one of 'a', 'b'; got 'c'.")
    ):
        check_choice("mode", "c", ("a", "b"))
    with pytest.raises(
        TypeError, match=_exact("`mode` must be one of 'a', 'b'; got 1 of type int.")
    ):
        check_choice("mode", 1, ("a", "b"))
    with pytest.raises(
        TypeError,
        match=_exact("`mode` must be one of 'a', 'b'; got None of type NoneType."),
    ):
        check_choice("mode", None, ("a", "b"))
    with pytest.raises(
        ValueError, match=_exact("`mode` must be one of 'a', 'b' or None; got 'c'.")
    ):
        check_choice("mode", "c", ("a", "b"), allow_none=True)
    with pytest.raises(TypeError, match="of type bool_?"):
        check_choice("mode", np.True_, ("a", "b"))


# ---------------------------------------------------------------- check_bool
@pytest.mark.parametrize("value", [True, False, np.True_, np.False_])
def test_check_bool_accepts_bools(value):
    out = check_bool("flag", value)
    assert out is bool(value)


@pytest.mark.parametrize("value", [1, 0, "yes", None, 1.0])
def test_check_bool_rejects_other_types(value):
    message = (
        f"`flag` must be True or False; got {value!r} of type {type(value).__name__}."
    )
    with pytest.raises(TypeError, match=_exact(message)):
        check_bool("flag", value)


def test_check_bool_none():
    assert check_bool("flag", None, allow_none=True) is None
    with pytest.raises(TypeError, match="must be True, False or None; got 1 "):
        check_bool("flag", 1, allow_none=True)


# -------------------------------------------------- check_random_state_value
def test_check_random_state_value_accepts_seeds_and_generators():
    assert check_random_state_value("rs", None) is None
    out = check_random_state_value("rs", np.int64(5))
    assert out == 5 and type(out) is int
    assert check_random_state_value("rs", 2**32 - 1) == 2**32 - 1
    rng, legacy = np.random.default_rng(0), np.random.RandomState(0)
    assert check_random_state_value("rs", rng) is rng
    assert check_random_state_value("rs", legacy) is legacy
    assert check_random_state_value("seed", 2**40, high=None) == 2**40


@pytest.mark.parametrize("value", [-1, 2**32])
def test_check_random_state_value_out_of_range(value):
    message = (
        "`rs` must be an int in [0, 4294967295], a numpy RandomState/Generator "
        f"or None; got {value}."
    )
    with pytest.raises(ValueError, match=_exact(message)):
        check_random_state_value("rs", value)


@pytest.mark.parametrize("value", [1.5, "0", True, np.True_, float("nan")])
def test_check_random_state_value_wrong_type(value):
    with pytest.raises(TypeError, match="^`rs` must be an int in .* of type"):
        check_random_state_value("rs", value)


def test_check_random_state_value_without_generators():
    message = "^`seed` must be an int in \\[0, inf\\) or None; got Generator\\(PCG64\\)"
    with pytest.raises(TypeError, match=message + ".* of type Generator\\.$"):
        check_random_state_value(
            "seed", np.random.default_rng(0), high=None, generators=False
        )


# ----------------------------------------------------------- check_int_tuple
def test_check_int_tuple():
    out = check_int_tuple("filters", [8, np.int32(16)])
    assert out == (8, 16) and all(type(v) is int for v in out)
    assert check_int_tuple("blocks", (0, 2), minimum=0) == (0, 2)
    assert check_int_tuple("size", (3, 4), length=2) == (3, 4)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (
            8,
            TypeError,
            "`filters` must be a tuple of one or more ints in [1, inf); got 8 of "
            "type int.",
        ),
        (
            "8",
            TypeError,
            "`filters` must be a tuple of one or more ints in [1, inf); got '8' of "
            "type str.",
        ),
        (
            None,
            TypeError,
            "`filters` must be a tuple of one or more ints in [1, inf); got None of "
            "type NoneType.",
        ),
        (
            (),
            ValueError,
            "`filters` must be a tuple of one or more ints in [1, inf); got ().",
        ),
        ((8, 0), ValueError, "`filters[1]` must be an int in [1, inf); got 0."),
        (
            (8, 2.0),
            TypeError,
            "`filters[1]` must be an int in [1, inf); got 2.0 of type float.",
        ),
        (
            (True,),
            TypeError,
            "`filters[0]` must be an int in [1, inf); got True of type bool.",
        ),
    ],
)
def test_check_int_tuple_errors(value, error, message):
    with pytest.raises(error, match=_exact(message)):
        check_int_tuple("filters", value)


def test_check_int_tuple_length_and_numpy_bool():
    with pytest.raises(
        ValueError,
        match=_exact("`size` must be a tuple of 2 ints in [1, inf); got (1, 2, 3)."),
    ):
        check_int_tuple("size", [1, 2, 3], length=2)
    with pytest.raises(TypeError, match=r"^`size\[0\]` must be an int"):
        check_int_tuple("size", (np.True_, 2))


# ---------------------------------------------------------------- check_pair
RANGE = Interval(Real, -1, 1)
RANGE_TEXT = "a pair (low, high) with low < high, each a number in [-1, 1]"


def test_check_pair_returns_converted_bounds():
    out = check_pair("r", (-1, np.float32(0.5)), RANGE, strict=True)
    assert out == (-1.0, 0.5) and all(type(v) is float for v in out)
    assert check_pair("r", np.array([0, 1]), RANGE) == (0.0, 1.0)
    assert check_pair("r", [0.5, 0.5], RANGE) == (0.5, 0.5)
    assert check_pair("n", 3, POSITIVE_INT, allow_scalar=True) == (3, 3)
    assert check_pair("n", (2, 5), POSITIVE_INT, allow_scalar=True) == (2, 5)


@pytest.mark.parametrize(
    ("value", "error", "got"),
    [
        (0.5, TypeError, "0.5 of type float"),
        ("ab", TypeError, "'ab' of type str"),
        (None, TypeError, "None of type NoneType"),
        ((0, 1, 2), ValueError, "(0, 1, 2)"),
        (("a", 1), TypeError, "('a', 1)"),
        ((True, 1), TypeError, "(True, 1)"),
        ((np.False_, 1), TypeError, "(np.False_, 1)"),
        ((-2, 1), ValueError, "(-2, 1)"),
        ((float("nan"), 1), ValueError, "(nan, 1)"),
        ((0.5, 0.5), ValueError, "(0.5, 0.5)"),
        ((1, 0), ValueError, "(1, 0)"),
    ],
)
def test_check_pair_errors(value, error, got):
    if isinstance(value, tuple) and isinstance(value[0], np.bool_):
        got = f"({value[0]!r}, 1)"
    with pytest.raises(error, match=_exact(f"`r` must be {RANGE_TEXT}; got {got}.")):
        check_pair("r", value, RANGE, strict=True)


def test_check_pair_with_scalar_and_finite():
    text = (
        "an int in [1, inf) or a pair (low, high) with low <= high, each an int "
        "in [1, inf)"
    )
    with pytest.raises(ValueError, match=_exact(f"`n` must be {text}; got (5, 2).")):
        check_pair("n", (5, 2), POSITIVE_INT, allow_scalar=True)
    with pytest.raises(
        TypeError, match=_exact(f"`n` must be {text}; got 2.5 of type float.")
    ):
        check_pair("n", 2.5, POSITIVE_INT, allow_scalar=True)
    with pytest.raises(
        ValueError, match=_exact("`n` must be an int in [1, inf); got 0.")
    ):
        check_pair("n", 0, POSITIVE_INT, allow_scalar=True)
    assert check_pair("w", (1, np.inf), POSITIVE) == (1.0, np.inf)
    with pytest.raises(ValueError, match="each a finite number in"):
        check_pair("w", (1, np.inf), POSITIVE, finite=True)


# ------------------------------------------------------------ check_array_1d
def test_check_array_1d_returns_a_float64_copy():
    values = np.array([1, 2, 3], dtype=np.int32)
    out = check_array_1d("v", values)
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0, 3.0]
    floats = np.array([1.0, 2.0])
    assert check_array_1d("v", floats) is not floats
    assert check_array_1d("v", [[1.0], [2.0]], column=True).shape == (2,)
    assert check_array_1d("v", [1.0, np.nan], finite=False).shape == (2,)
    assert check_array_1d("v", [], min_length=0).shape == (0,)


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        (None, {}, "`v` must be a 1D array of numbers; got None."),
        (
            [[1.0, 2.0]],
            {},
            "`v` must be a 1D array of numbers; got an array of shape (1, 2).",
        ),
        (
            [[1.0], [2.0]],
            {},
            "`v` must be a 1D array of numbers; got an array of shape (2, 1).",
        ),
        (
            [1.0],
            {"length": 2},
            "`v` must be a 1D array of shape (2,); got an array of shape (1,).",
        ),
        ([1.0], {"min_length": 2}, "`v` must hold at least 2 value(s); got 1."),
    ],
)
def test_check_array_1d_errors(values, kwargs, message):
    with pytest.raises(ValueError, match=_exact(message)):
        check_array_1d("v", values, **kwargs)


def test_check_array_1d_rejects_text_and_non_finite_values():
    with pytest.raises(ValueError, match="it could not be converted to float"):
        check_array_1d("v", ["a"])
    with pytest.raises(ValueError, match=r"`v` contains NaN \(first at index \(1,\)\)"):
        check_array_1d("v", [1.0, np.nan])
    with pytest.raises(ValueError, match="`v` contains infinity"):
        check_array_1d("v", [np.inf])


# --------------------------------------------------------------- check_value
def test_check_value():
    constraints = [Options(str, {"all"}), POSITIVE_INT]
    assert check_value("unfreeze", "all", constraints) == "all"
    assert check_value("unfreeze", 3, constraints) == 3
    with pytest.raises(
        ValueError,
        match=_exact(
            "`unfreeze` must be one of 'all' or an int in [1, inf); got 'some'."
        ),
    ):
        check_value("unfreeze", "some", constraints)
    with pytest.raises(TypeError, match="got 1.5 of type float"):
        check_value("unfreeze", 1.5, constraints)
    with pytest.raises(TypeError, match="got True of type bool"):
        check_value("unfreeze", True, constraints)


def test_floats_is_the_one_definition():
    from specauth.imaging import _base
    from specauth.preprocessing import crop, log, normalize

    assert FLOATS == (np.float64, np.float32)
    for module in (_base, crop, log, normalize):
        assert not hasattr(module, "_FLOATS")


def test_a_finite_interval_refuses_infinities_and_says_so():
    # issue 14: CNNClassifier(learning_rate=float("inf")) was in (0, inf)
    positive = Interval(Real, 0, None, closed="neither", finite=True)
    assert positive.accepts(1e30) and not positive.accepts(float("inf"))
    assert not Interval(Real, None, None, finite=True).accepts(float("-inf"))
    assert str(positive) == "a finite number in (0, inf)"
    with pytest.raises(ValueError, match=r"`lr` must be a finite number in \(0, inf\)"):
        check_scalar("lr", float("inf"), positive)
