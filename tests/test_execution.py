"""What the grader keeps of what a kernel sends: BoundedExecute's caps, fed kernel messages directly, and the
kernel client's bound on unread messages."""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from backprop_course.gradecheck.probes import PROBE_MIME
from backprop_course.grading.sandbox.execution import ERROR_CHARS, TRACEBACK_LINES, BoundedExecute, content_bytes
from support.kernels import memory_grown_while_unread

MB = 2**20


def _client(cells=1, test_cell=False):
    metadata = {"nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": "test_x", "points": 1,
                             "schema_version": 3}} if test_cell else {}
    client = BoundedExecute(cell_output_bytes=2 * MB, notebook_output_bytes=5 * MB, record_bytes=1 * MB)
    client.nb = new_notebook(cells=[new_code_cell("x", metadata=metadata) for _ in range(cells)])
    client.reset_execution_trackers()
    client.start_bounds()
    client.clear_before_next_output = False  # as async_execute_cell sets it for each cell
    return client


def _message(msg_type, content, parent="run"):
    return {"msg_type": msg_type, "content": content, "parent_header": {"msg_id": parent},
            "header": {"msg_type": msg_type}, "metadata": {}}


def _display(size, display_id=None, data_type="text/plain"):
    content = {"data": {data_type: "x" * size if data_type == "text/plain" else {"big": "x" * size}},
               "metadata": {}, "transient": {"display_id": display_id} if display_id else {}}
    return _message("display_data", content)


def test_outputs_past_a_cells_cap_are_dropped_as_they_arrive_and_counted():
    client, outputs = _client(), []
    for _ in range(300):
        client.process_message(_display(MB), client.nb.cells[0], 0)
    kept = sum(content_bytes(output) for output in outputs + client.nb.cells[0].outputs)
    assert len(client.nb.cells[0].outputs) == 1 and kept < 2 * MB
    assert client._dropped[0] == [299, 299 * content_bytes(_display(MB)["content"])]
    client._note_dropped(client.nb.cells[0], 0)
    assert "299 more output(s) of this cell" in client.nb.cells[0].outputs[-1].text


def test_the_notebooks_cap_holds_across_cells():
    client = _client(cells=4)
    for index in range(4):
        client.process_message(_display(int(1.5 * MB)), client.nb.cells[index], index)
    assert [len(cell.outputs) for cell in client.nb.cells] == [1, 1, 1, 0]  # 4.5 MB kept of a 5 MB cap


def test_cleared_outputs_give_their_bytes_back():
    """A progress display that clears and redraws keeps only what it shows."""
    client = _client()
    for _ in range(10):
        client.process_message(_message("clear_output", {"wait": False}), client.nb.cells[0], 0)
        client.process_message(_display(MB), client.nb.cells[0], 0)
    assert len(client.nb.cells[0].outputs) == 1 and not client._dropped


def test_a_display_with_an_id_is_counted_once_and_updates_count_as_new_output():
    client = _client()
    client.process_message(_display(100_000, display_id="plot"), client.nb.cells[0], 0)
    assert sum(client._kept.values()) < 110_000
    update = _message("update_display_data", {"data": {"text/plain": "y" * 100_000}, "metadata": {},
                                              "transient": {"display_id": "plot"}})
    for _ in range(100):  # 10 MB of updates: the notebook's cap stops them
        client.process_message(update, client.nb.cells[0], 0)
    assert sum(client._kept.values()) <= 5 * MB


def test_an_error_is_kept_short_as_it_arrives_and_when_nbgrader_adds_the_replys():
    client = _client()
    huge = {"ename": "ValueError", "evalue": "e" * (40 * MB), "traceback": ["t" * MB] * 200}
    client.process_message(_message("error", dict(huge)), client.nb.cells[0], 0)
    [error] = client.nb.cells[0].outputs
    assert len(error.evalue) == ERROR_CHARS and len(error.traceback) == TRACEBACK_LINES
    cell = new_code_cell("x")  # the kernel's error output was dropped: nbgrader adds the reply's
    client.on_cell_executed(cell=cell, cell_index=0,
                            execute_reply={"content": {"status": "error", **huge, "ename": "KeyError"}})
    assert content_bytes(cell.outputs) < TRACEBACK_LINES * ERROR_CHARS + 2 * ERROR_CHARS


def test_a_test_cells_probe_records_have_a_budget_of_their_own():
    client = _client(test_cell=True)
    for _ in range(3):
        client.process_message(_display(MB), client.nb.cells[0], 0)  # the cell's cap, spent by printing
    record = _message("display_data", {"data": {PROBE_MIME: {"cell": "test_x", "probe": "p"}}, "metadata": {}})
    client.process_message(record, client.nb.cells[0], 0)
    assert any(PROBE_MIME in output.get("data", {}) for output in client.nb.cells[0].outputs)
    for _ in range(3):  # records past their own budget are dropped too
        client.process_message(_display(int(0.6 * MB), data_type=PROBE_MIME), client.nb.cells[0], 0)
    assert client._records[0] <= MB


def test_no_widget_state_or_output_widget_goes_round_the_caps():
    client = _client()
    assert client.store_widget_state is False
    assert client.on_comm_open_jupyter_widget(_message("comm_open", {"target_name": "jupyter.widget"})) is None
    nbformat.validate(client.nb)


def test_a_kernel_publishing_faster_than_it_is_read_grows_its_own_memory_not_the_graders(tmp_path):
    flood = ("from IPython.display import display\nfor _ in range(300):\n"
             "    display({'text/plain': 'x' * 2**20}, raw=True)")
    assert memory_grown_while_unread(flood, tmp_path) < 48 * MB  # 300 MB were published
