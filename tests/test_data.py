"""The data generator reproduces the committed CSV files byte for byte."""
import numpy as np
import pandas as pd

from backprop_course import REPO_ROOT
from backprop_course.authoring.data import backprop_csv_text

CANONICAL = REPO_ROOT / "data" / "backprop.csv"
SHIPPED = REPO_ROOT / "source" / "chain_rule" / "backprop.csv"
RELEASED = REPO_ROOT / "release" / "chain_rule" / "backprop.csv"


def test_generator_reproduces_committed_csv_byte_for_byte():
    assert CANONICAL.read_bytes() == backprop_csv_text().encode("ascii")


def test_shipped_and_released_copies_equal_the_canonical_file():
    assert SHIPPED.read_bytes() == CANONICAL.read_bytes()
    assert RELEASED.read_bytes() == CANONICAL.read_bytes()


def test_csv_has_the_documented_contents():
    table = pd.read_csv(CANONICAL)
    assert list(table.columns) == ["x", "y"]
    assert len(table) == 1000
    np.testing.assert_array_equal(table["x"].to_numpy(), np.linspace(-5, 5, 1000))
    np.testing.assert_allclose(table["y"], 1 / (1 + np.exp(-table["x"])), rtol=1e-15, atol=0)
