"""The parallel command's progress: tqdm's bar in a terminal, one line per notebook in a log file.

The bar lives in the driver process, which collects the Dask jobs as they
finish, so it is the same whether the workers are local or remote.
"""
import io
import sys
from typing import TextIO

from tqdm import tqdm


class Progress:
    """Counts, rate and time left, as tqdm formats them; ``step`` once per graded student."""

    def __init__(self, total: int, label: str, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        # A redrawn bar would fill a log file with carriage returns: there,
        # tqdm draws into nothing and each step is written as a line of its own.
        self.redraws = hasattr(stream, "isatty") and stream.isatty()
        self.bar = tqdm(total=total, desc=label, unit="notebook", dynamic_ncols=self.redraws,
                        file=stream if self.redraws else io.StringIO())

    def step(self, note: str = "") -> None:
        self.bar.set_postfix_str(note, refresh=False)
        self.bar.update()
        if not self.redraws:
            self.stream.write(f"{self.bar}\n")
            self.stream.flush()
        if self.bar.n == self.bar.total:
            self.bar.close()
