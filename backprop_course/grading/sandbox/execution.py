"""nbgrader's Execute, bounded: a wall-clock budget per notebook, and outputs capped in bytes as they arrive.

nbgrader_config.py puts ``BoundedExecute`` where nbgrader's ``Execute`` was,
so every way of autograding (the command, formgrader's button, the parallel
command) has the same bounds, set as its settings::

    c.BoundedExecute.notebook_seconds = 120

- **Time.** ``Execute.timeout`` bounds one cell; ``notebook_seconds``
  bounds the whole notebook, from the kernel's start. A cell's timeout is
  never longer than what is left of the budget. Once the budget is spent,
  the cell running is interrupted, the kernel is stopped, and every later
  code cell gets a ``CellTimeoutError`` output saying that it did not run:
  its test fails, and the notebook's status is "timed out" with a reason
  that names the budget (``BUDGET_KEY`` in the notebook's metadata). A
  cell that goes on after its interrupt, or a kernel that dies, ends the
  notebook the same way ("timed out", "crashed"): the cells before keep
  what they earned, where nbgrader would fail the whole notebook.
- **Memory.** Each output is measured as it arrives from the kernel. Past
  ``cell_output_bytes`` in a cell, or ``notebook_output_bytes`` in the
  notebook, it is dropped rather than kept, and the cell ends with one line
  that says how much was dropped. So what the grader holds, and the
  autograded notebook it writes, do not grow with what a kernel sends. A
  test cell's probe records have a budget of their own
  (``record_bytes``): a flood of printing in the notebook cannot starve
  the records that its grade is read from (``verdicts.JudgeProbes``).
- **Size.** A submission whose own cells hold more than ``notebook_bytes``
  less ``notebook_output_bytes`` is not run (``NotebookTooLarge``): so the
  autograded notebook stays under ``notebook_bytes``.
"""
import math
import time
from typing import Any

from jupyter_core.utils import run_sync
from jupyter_client.manager import KernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from ...gradecheck.probes import PROBE_MIME
from ..cells import is_test_cell

BUDGET_KEY = "backprop_execution"  # the notebook's metadata: what the bounds did
ERROR_CHARS, TRACEBACK_LINES = 2000, 50  # what an error keeps: its message, and the lines of its traceback


class NotebookTooLarge(RuntimeError):
    """A submission too large to run: nbgrader fails this student alone, and says why in the log."""


def content_bytes(value: object) -> int:
    """About how many bytes a message's content holds: the length of its strings, as JSON would keep them."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(key)) + content_bytes(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return sum(content_bytes(item) for item in value)
    return 8


def shorten_error(content: dict[str, Any]) -> dict[str, Any]:
    """An error's message and traceback cut to ERROR_CHARS each line and TRACEBACK_LINES lines, in place."""
    content["evalue"] = str(content.get("evalue", ""))[:ERROR_CHARS]
    traceback = [str(line)[:ERROR_CHARS] for line in (content.get("traceback") or [])]
    content["traceback"] = traceback[:TRACEBACK_LINES // 2] + traceback[-(TRACEBACK_LINES // 2):] \
        if len(traceback) > TRACEBACK_LINES else traceback
    return content


def _megabytes(size):
    return f"{size / 2**20:.1f} MB"


class BoundedExecute(Execute):
    """Execute with a wall-clock budget per notebook and byte caps on outputs as they arrive."""

    notebook_seconds = Integer(120, help="Wall-clock seconds that one notebook may run, its kernel's start "
                                         "included; then the kernel is stopped and the cells left fail."
                               ).tag(config=True)
    cell_output_bytes = Integer(2 * 2**20, help="Bytes of output kept per cell; later outputs are dropped."
                                ).tag(config=True)
    notebook_output_bytes = Integer(8 * 2**20, help="Bytes of output kept per notebook; later outputs are dropped."
                                    ).tag(config=True)
    record_bytes = Integer(4 * 2**20, help="Bytes of probe records kept per test cell.").tag(config=True)
    # Widgets' state would be kept in the notebook's metadata, outside the caps; graded notebooks need none.
    store_widget_state = Bool(False, help="Keep widgets' state in the notebook (uncapped).").tag(config=True)
    notebook_bytes = Integer(20 * 2**20, help="The largest autograded notebook: a submission whose cells hold "
                                              "more than this less notebook_output_bytes is not run.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any = None,
                   km: KernelManager | None = None) -> tuple[NotebookNode, dict[str, Any]]:
        cells = sum(content_bytes(cell.get("source", "")) + content_bytes(cell.get("attachments", {}))
                    for cell in nb.cells)
        if cells > self.notebook_bytes - self.notebook_output_bytes:
            raise NotebookTooLarge(
                f"the submitted notebook's cells hold {_megabytes(cells)}, more than the "
                f"{_megabytes(self.notebook_bytes - self.notebook_output_bytes)} a submission may hold; it was not run")
        self.start_bounds()
        nb, resources = super().preprocess(nb, resources, km)
        dropped = [sum(counts) for counts in zip(*self._dropped.values())] or [0, 0]
        ename, why = self._stopped or (None, "")
        nb.metadata[BUDGET_KEY] = {
            "budget_seconds": self.notebook_seconds, "timed_out": ename == "CellTimeoutError",
            "died": ename == "DeadKernelError", "not_run": self._not_run,
            "reason": f"{why}: the kernel was stopped, and {self._not_run} code cell(s) after it did not run"
                      if ename else "",
            "dropped_outputs": dropped[0], "dropped_bytes": dropped[1]}
        return nb, resources

    def start_bounds(self) -> None:
        """A new notebook's budget and counts."""
        self._deadline = time.monotonic() + self.notebook_seconds
        self._stopped = None   # (ename, why) once the kernel is stopped, or dead: no later cell runs
        self._cut_by_budget = False
        self._kept = {}        # cell index -> bytes of output kept (-1: display updates)
        self._records = {}     # cell index -> bytes of probe records kept
        self._dropped = {}     # cell index -> [outputs, bytes] dropped
        self._not_run = 0

    # Time

    def _remaining(self):
        return self._deadline - time.monotonic()

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        if cell is None or not hasattr(self, "_deadline"):
            return timeout
        left = max(1, math.ceil(self._remaining()))
        self._cut_by_budget = timeout is None or left < timeout  # a timeout of this cell spends the budget
        return left if self._cut_by_budget else timeout

    async def async_execute_cell(self, cell: NotebookNode, cell_index: int, execution_count: int | None = None,
                                 store_history: bool = True) -> NotebookNode:
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        budget_spent = ("CellTimeoutError", f"the notebook ran past its {self.notebook_seconds} s budget")
        if self._stopped is None and self._remaining() <= 0:
            self._stopped = budget_spent
        if self._stopped is not None:
            await self._stop_kernel()
            self._not_run += 1
            cell.outputs = [self._error_output(self._stopped[0], f"not run: {self._stopped[1]}")]
            return cell
        try:
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            self._stopped = ("DeadKernelError", "the kernel died")
            cell.outputs.append(self._error_output("DeadKernelError", "the kernel died in this cell"))
        except CellTimeoutError:  # interrupted at its time limit, and never idle again
            self._stopped = ("CellTimeoutError", "a cell went on after the interrupt at its time limit")
            cell.outputs.append(self._error_output("CellTimeoutError", "this cell went on after the interrupt at "
                                                                       "its time limit"))
        else:
            timeouts = [output for output in cell.outputs
                        if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError"]
            if self._remaining() <= 0 or (timeouts and self._cut_by_budget):
                self._stopped = budget_spent
                for output in timeouts:
                    output["evalue"] = f"the notebook's {self.notebook_seconds} s budget ran out in this cell"
                    output["traceback"] = [f"CellTimeoutError: {output['evalue']}"]
        if self._stopped is not None:
            await self._stop_kernel()
        self._note_dropped(cell, cell_index)
        return cell

    execute_cell = run_sync(async_execute_cell)  # nbclient's is bound to its own async_execute_cell

    @staticmethod
    def _error_output(ename, message):
        return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])

    async def _stop_kernel(self):
        if self.km is not None and await self.km.is_alive():
            await self.km.shutdown_kernel(now=True)

    # Memory

    def on_comm_open_jupyter_widget(self, msg: dict[str, Any]) -> None:
        return None  # no Output widget, whose outputs would go round the caps

    def on_cell_executed(self, **kwargs):
        # nbgrader's Execute adds the reply's error to the cell when no output shows it (say, a dropped one).
        reply = kwargs.get("execute_reply") or {}
        if reply.get("content", {}).get("status") == "error":
            shorten_error(reply["content"])
        return super().on_cell_executed(**kwargs)

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        if msg["msg_type"] == "error":
            shorten_error(msg["content"])
        size = content_bytes(msg.get("content"))
        if self.clear_before_next_output:  # the delayed clear_output happens in this call
            self._forget(cell_index)
        if self._is_record(msg, cell_index):
            kept = self._records.get(cell_index, 0)
            if kept + size > self.record_bytes:
                return self._drop(cell_index, size)
            self._records[cell_index] = kept + size
            return super().output(outs, msg, display_id, cell_index)
        kept = self._kept.get(cell_index, 0)
        if kept + size > self.cell_output_bytes or sum(self._kept.values()) + size > self.notebook_output_bytes:
            return self._drop(cell_index, size)
        self._kept[cell_index] = kept + size
        return super().output(outs, msg, display_id, cell_index)

    def clear_output(self, outs: list[NotebookNode], msg: dict[str, Any], cell_index: int) -> None:
        super().clear_output(outs, msg, cell_index)
        if not outs:
            self._forget(cell_index)

    def _update_display_id(self, display_id, msg):
        # An update rewrites earlier outputs in place: it is kept only if it fits
        # what is left of the notebook's bytes, and then counted as new output.
        # (A display_data or execute_result with an id comes here too; output() counts it.)
        if msg["msg_type"] != "update_display_data":
            return super()._update_display_id(display_id, msg)
        size = content_bytes(msg.get("content"))
        if sum(self._kept.values()) + size > self.notebook_output_bytes:
            return
        self._kept[-1] = self._kept.get(-1, 0) + size
        super()._update_display_id(display_id, msg)

    def _is_record(self, msg, cell_index):
        data = msg.get("content", {}).get("data") or {}
        return (msg["msg_type"] == "display_data" and PROBE_MIME in data
                and is_test_cell(self.nb.cells[cell_index]))

    def _forget(self, cell_index):
        self._kept.pop(cell_index, None)

    def _drop(self, cell_index, size):
        counts = self._dropped.setdefault(cell_index, [0, 0])
        counts[0] += 1
        counts[1] += size
        return None

    def _note_dropped(self, cell, cell_index):
        if cell_index in self._dropped:
            count, size = self._dropped[cell_index]
            cell.outputs.append(new_output("stream", name="stderr", text=(
                f"[autograder: {count} more output(s) of this cell, {_megabytes(size)}, were dropped: a cell "
                f"keeps at most {_megabytes(self.cell_output_bytes)} of output, a notebook "
                f"{_megabytes(self.notebook_output_bytes)}]\n")))
