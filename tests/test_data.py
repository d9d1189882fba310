"""chain_rule's data generator reproduces the shipped CSV byte for byte."""
import numpy as np
import pandas as pd

from backprop_course import REPO_ROOT
from backprop_course.units import unit

SHIPPED = REPO_ROOT / "source" / "chain_rule" / "backprop.csv"
RELEASED = REPO_ROOT / "release" / "chain_rule" / "backprop.csv"


def test_generator_reproduces_the_shipped_and_released_csv_byte_for_byte():
    text = unit(REPO_ROOT, "chain_rule").trusted.data.backprop_csv_text().encode("ascii")
    assert SHIPPED.read_bytes() == text
    assert RELEASED.read_bytes() == text


def test_csv_has_the_documented_contents():
    table = pd.read_csv(SHIPPED)
    assert list(table.columns) == ["x", "y"]
    assert len(table) == 1000
    np.testing.assert_array_equal(table["x"].to_numpy(), np.linspace(-5, 5, 1000))
    np.testing.assert_allclose(table["y"], 1 / (1 + np.exp(-table["x"])), rtol=1e-15, atol=0)
