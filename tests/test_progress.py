"""The parallel command's progress (parallel/progress.py): a bar in a terminal, lines in a log file."""
import io

from backprop_course.parallel import Progress


def test_progress_in_a_log_file_is_one_line_per_notebook_with_counts_rate_and_eta():
    stream = io.StringIO()
    progress = Progress(3, "chain_rule", stream=stream)
    for student in ("a", "b", "c"):
        progress.step(student)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and len(lines) == 3
    assert lines[0].startswith("chain_rule:") and "1/3" in lines[0] and lines[0].endswith(", a]")
    assert "3/3" in lines[-1] and "notebook/s" in lines[-1] and "<" in lines[-1]  # rate and time left


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_in_a_terminal_is_one_redrawn_bar():
    stream = Terminal()
    progress = Progress(2, "chain_rule", stream=stream)
    progress.step("a")
    progress.step("b")
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n") and "\r" in text and "2/2" in text
