"""backprop.csv, the data of chain_rule, written the same everywhere.

``backprop.csv`` is written with pure-Python floats (``math.exp`` and ``repr``)
rather than numpy, because numpy may pick a different SIMD ``exp`` on another
CPU and the file must come out byte for byte the same everywhere.
"""
import math
import sys
from pathlib import Path

BACKPROP_ROWS = 1000
BACKPROP_X_RANGE = (-5.0, 5.0)


def backprop_points():
    """The (x, y) rows of backprop.csv: evenly spaced x, y the logistic of x."""
    start, stop = BACKPROP_X_RANGE
    step = (stop - start) / (BACKPROP_ROWS - 1)
    # Same arithmetic as np.linspace: start + k * step, with the end pinned.
    xs = [start + k * step for k in range(BACKPROP_ROWS - 1)] + [stop]
    return [(x, 1.0 / (1.0 + math.exp(-x))) for x in xs]


def backprop_csv_text():
    lines = ["x,y"] + [f"{x!r},{y!r}" for x, y in backprop_points()]
    return "\n".join(lines) + "\n"


def write_backprop_csv(path):
    Path(path).write_text(backprop_csv_text(), encoding="ascii")


if __name__ == "__main__":
    write_backprop_csv(sys.argv[1] if len(sys.argv) > 1 else "backprop.csv")  # make sync writes the shipped one
