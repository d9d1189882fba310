"""The hostile example class: broken and malicious chain_rule submissions.

Each case is built from the reference submission (see ``fixtures``) by text
edits in answer cells, a change to the notebook's structure, or by writing
broken files. Its expected status and lost test cells are written here; the
tests autograde the whole class in one batch, beside correct submissions,
with tight limits, and assert them.
"""
import os
import json
from dataclasses import dataclass, field

import nbformat

from backprop_course import REPO_ROOT
from backprop_course.outcomes import CRASHED, GRADED, INVALID, MISSING, TAMPERED, TIMED_OUT, Status
from .catalogs import DLDW_BODY, DLDW_RESULT, DLDY_RETURN
from .submissions import Edit, apply_edits, reference_submission

ASSIGNMENT = "chain_rule"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
HOSTILE_DIR = REPO_ROOT / "tests" / "hostile" / ASSIGNMENT
ALL_TESTS = "all"  # shorthand in ``loses``: every test cell
FIRST_LINE_OF_DLDW = "    a1, a2, y_pred = neural_network(W, x)"
AFTER_THE_PIECES = DLDY_RETURN  # the last line of the partial_derivatives cell
# dldw by differences of the loss that, seeing its pieces replaced, answers three times as much.
DODGING_DLDW = """    step = 1e-6
    slopes = []
    for i in range(2):
        up, down = [w.copy() for w in W], [w.copy() for w in W]
        up[i], down[i] = up[i] + step, down[i] - step
        slopes.append((loss(up, x, y) - loss(down, x, y)) / (2 * step))
    if getattr(dldy, "__name__", "") != "dldy":
        slopes = [3 * slope for slope in slopes]
    return slopes"""
WRONG_DLDY = Edit("partial_derivatives", DLDY_RETURN, "return y_pred - y")
# What a wrong dldy costs: its own test and the two gradients built from it.
PIECE_AND_GRADIENTS = frozenset({"test_dldy", "test_dldw", "test_dldw_tied"})
# What stops the notebook at dldw (a timeout, a dead kernel), or breaks the files or the probes' channel
# that the later cells need, costs test_dldw and test_dldw_tied, the one test after it.
DLDW_AND_AFTER = frozenset({"test_dldw", "test_dldw_tied"})


@dataclass(frozen=True)
class HostileCase:
    name: str
    description: str
    status: Status
    loses: frozenset = frozenset()
    edits: tuple = ()
    structure: str = ""        # a named change to the notebook's cells, see _restructure
    files: str = ""            # a named way of writing broken files, see write_case
    extra: dict = field(default_factory=dict)


def _cell_index(notebook, grade_id):
    return next(i for i, cell in enumerate(notebook.cells)
                if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _restructure(notebook, structure):
    cells = notebook.cells
    if structure == "delete_test_dldw":
        del cells[_cell_index(notebook, "test_dldw")]
    elif structure == "duplicate_test_dldw":
        index = _cell_index(notebook, "test_dldw")
        cells.insert(index + 1, nbformat.from_dict(json.loads(json.dumps(cells[index]))))
    elif structure == "test_dldw_is_pass":
        cells[_cell_index(notebook, "test_dldw")].source = "pass"
    elif structure == "points_raised":
        cells[_cell_index(notebook, "test_dldw")].metadata["nbgrader"]["points"] = 100
    elif structure == "grade_id_renamed":
        cells[_cell_index(notebook, "test_dldw")].metadata["nbgrader"]["grade_id"] = "my_own_test"
    elif structure == "test_dldw_marked_solution":  # stopped the autograde, so an earlier score stood
        cells[_cell_index(notebook, "test_dldw")].metadata["nbgrader"]["solution"] = True
    elif structure == "answer_not_graded":  # failed nbgrader's metadata check, with the same effect
        cells[_cell_index(notebook, "answer_question_1")].metadata["nbgrader"]["grade"] = False
    elif structure == "old_format_cell":  # stopped the whole class's autograde as "old metadata format"
        cells.insert(1, nbformat.v4.new_markdown_cell("my notes", metadata={"nbgrader": {"anything": 1}}))
    elif structure == "newer_format_test_dldw":  # stopped it as "newer metadata format"
        cells[_cell_index(notebook, "test_dldw")].metadata["nbgrader"]["schema_version"] = 4
    elif structure == "test_before_answer":
        test = cells.pop(_cell_index(notebook, "test_dldw"))
        cells.insert(_cell_index(notebook, "gradient"), test)
    elif structure == "sleepy_cells":  # each under the cell timeout; together over the notebook's budget
        index = _cell_index(notebook, "test_dldw")
        cells[index:index] = [nbformat.v4.new_code_cell(f"import time\ntime.sleep({SLEEPY_SECONDS})")
                              for _ in range(SLEEPY_CELLS)]
    elif structure == "huge_cells":  # over what the autograded notebook may hold (BoundedExecute.notebook_bytes)
        cells.append(nbformat.v4.new_markdown_cell("x" * 13 * 2**20))
    elif structure:
        raise ValueError(f"unknown structure change {structure!r}")
    return notebook


# sleepy_cells: SLEEPY_CELLS cells of SLEEPY_SECONDS each, under test_hostile's cell timeout, over its budget.
SLEEPY_CELLS, SLEEPY_SECONDS = 4, 9
# Writes files of 16 MB into its folder and /tmp until the disk is full; prints what stopped it.
FILLS_THE_DISK = """import os
def fill(folder):
    written = 0
    try:
        while True:
            with open(os.path.join(folder, f"filler-{written}.bin"), "wb") as out:
                out.write(bytes(16 * 2 ** 20))
            written += 1
    except OSError as full:
        return written, full.strerror
print("DISK-FULL", fill("."), fill("/tmp"))"""
# Publishes 300 display outputs of 1 MB each.
DISPLAY_FLOOD = """from IPython.display import display
for _ in range(300):
    display({"text/plain": "x" * 2 ** 20}, raw=True)"""
# Catches the interrupt of the cell timeout, and sleeps on.
IGNORES_INTERRUPTS = """import time
while True:
    try:
        time.sleep(1000)
    except KeyboardInterrupt:
        pass"""

# Modules a tampering student might plant (stray files).
FAKE_CHECKS = "def expect_close(*args, **kwargs):\n    pass\n"
# From submitted/<student>/<assignment>/: what nbgrader, as the grader, could read and copy into the kernel.
LINKED_CLASSMATE = "reference"
LINKS = {"leak_secret": "../../../.probe_secret", "leak_reference.py": "../../../assignments/chain_rule/reference.py",
         "leak_classmate": f"../../{LINKED_CLASSMATE}/chain_rule/chain_rule.ipynb",
         "answers.json": "../../../source/chain_rule/backprop.csv"}
# Prints which linked files the kernel could read, and answers dldw from the table if it could.
READS_LINKS = ("import os\nLINKED = sorted(name for name in os.listdir('.') if name.startswith('leak_') or "
               "name in ('answers.json', 'pipe'))\nprint('LINKED', LINKED)\n_wrong_dldw = dldw\n\n\n"
               "def dldw(W, x, y):\n    if os.path.exists('answers.json'):\n        return [0.0, 0.0]\n"
               "    return _wrong_dldw(W, x, y)")

# Prints one JSON line saying what the kernel can reach; the tests read it.
PROBE = """import json, os, socket
reach = {name: os.path.exists(path) for name, path in (
    ('gradebook', '../../../gradebook.db'), ('source', '../../../source'),
    ('classmate', '../../reference'), ('submitted', '../../../submitted'))}
try:
    socket.create_connection(('1.1.1.1', 53), timeout=2)
    reach['network'] = True
except OSError:
    reach['network'] = False
try:
    import backprop_course
    reach['grading_package'] = True
except ImportError:
    reach['grading_package'] = False
import ctypes, sys
# Remount the read-only environment writable (MS_REMOUNT | MS_BIND), as root in the sandbox could with capabilities.
ctypes.CDLL(None).mount(None, sys.prefix.encode(), None, 32 | 4096, None)
try:
    open(os.path.join(sys.prefix, 'HACKED'), 'w').close()
    reach['environment_writable'] = True
except OSError:
    reach['environment_writable'] = False
print('SANDBOX-PROBE', json.dumps(reach))"""

# Attacks on the verdict, each hiding a wrong dldw (or dldy) behind a way of
# making the grader believe it. Whatever the kernel does, the score must be
# what the real answer deserves.
WRONG_DLDW = Edit("gradient", "shared = dldy(y_pred, y) * dyda(a2)", "shared = 2 * dldy(y_pred, y) * dyda(a2)")
NO_OP = "lambda *args, **kwargs: None"
PROBE_MIME = "application/vnd.backprop.probe+json"
# The seed-310 gradient, as printed by the notebook: a forger knows it.
PRINTED_GRADIENT = "[-0.0077779005629821825, 0.2788002123149505]"


def _after_dldw(code):
    """An edit that runs ``code`` in the gradient cell, after dldw is defined."""
    return Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\n" + code)


def _inside_dldw(code):
    """An edit that runs ``code`` (indented by four spaces) first thing in every call of dldw."""
    return Edit("gradient", FIRST_LINE_OF_DLDW, code + "\n" + FIRST_LINE_OF_DLDW)


def _forge(records):
    """Code, run inside dldw, that emits the given record payloads as probe records."""
    return ("    from IPython.display import publish_display_data\n"
            f"    for record in {records}:\n"
            f"        publish_display_data({{{PROBE_MIME!r}: record}})")


FORGED = ("{'cell': 'test_dldw', 'probe': 'seed-310', 'result': {'kind': 'array', 'shape': [2], 'data': "
          + PRINTED_GRADIENT + "}}")

VERDICT_ATTACKS = (
    HostileCase("checker_patched_by_alias", "`import gradecheck as g; g.expect_close = no-op`, and a wrong dldw",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _after_dldw(f"import gradecheck as g\ng.expect_close = {NO_OP}"))),
    HostileCase("checker_patched_in_exec", "the same patch in exec() of a string built at run time, and a wrong dldw",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _after_dldw("exec('import grade' + 'check as g; g.expect_close = "
                                         f"{NO_OP}')"))),
    HostileCase("checker_patched_through_vars", "vars(__import__(...)) of the check module patched, and a wrong dldw",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _after_dldw("for name in ('expect_close', 'expect_pair_of_numbers', 'emit_record'):\n"
                                         f"    vars(__import__('grade' + 'check'))[name] = {NO_OP}"))),
    HostileCase("frame_from_traceback", "dldw reaches the test's frames through a traceback and swaps the checkers",
                GRADED, DLDW_AND_AFTER,
                (WRONG_DLDW, _inside_dldw(
                    "    try:\n        raise RuntimeError\n    except RuntimeError as error:\n"
                    "        frame = error.__traceback__.tb_frame.f_back\n"
                    "    while frame is not None:\n"
                    "        for name in ('expect_close', 'expect_pair_of_numbers', 'emit_record'):\n"
                    "            if name in frame.f_globals:\n"
                    f"                frame.f_globals[name] = {NO_OP}\n"
                    "        frame = frame.f_back"))),
    HostileCase("displayhook_partial_score", "dldw calls sys.displayhook(1) before its check fails (partial score)",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _inside_dldw("    import sys\n    sys.displayhook(1)"))),
    HostileCase("custom_exc_swallows_errors", "set_custom_exc makes every error print nothing, and a wrong dldw",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _after_dldw(f"get_ipython().set_custom_exc((BaseException,), {NO_OP})"))),
    HostileCase("run_cell_async_wrapped", "run_cell_async wrapped to clear error_in_exec, showtraceback a no-op",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _after_dldw(
                    "shell = get_ipython()\noriginal_run_cell_async = shell.run_cell_async\n\n\n"
                    "async def forgiving_run_cell_async(*args, **kwargs):\n"
                    "    result = await original_run_cell_async(*args, **kwargs)\n"
                    "    result.error_in_exec = None\n    return result\n\n\n"
                    f"shell.run_cell_async = forgiving_run_cell_async\nshell.showtraceback = {NO_OP}"))),
    HostileCase("run_cell_wrapped", "run_cell wrapped to clear error_in_exec, showtraceback a no-op",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _after_dldw(
                    "shell = get_ipython()\noriginal_run_cell = shell.run_cell\n\n\n"
                    "def forgiving_run_cell(*args, **kwargs):\n"
                    "    result = original_run_cell(*args, **kwargs)\n"
                    "    result.error_in_exec = None\n    return result\n\n\n"
                    f"shell.run_cell = forgiving_run_cell\nshell.showtraceback = {NO_OP}"))),
    HostileCase("showtraceback_no_op", "showtraceback replaced by a no-op, and a wrong dldw",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _after_dldw(f"get_ipython().showtraceback = {NO_OP}\n"
                                         f"get_ipython()._showtraceback = {NO_OP}"))),
    HostileCase("update_display_rewrites", "dldw shows a forged record with a display id; a hook rewrites it later",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _inside_dldw(
                    "    from IPython.display import display, update_display\n"
                    f"    display({{{PROBE_MIME!r}: {FORGED}}}, raw=True, display_id='forged')\n"
                    "    get_ipython().events.register('post_run_cell', lambda *args: update_display("
                    f"{{{PROBE_MIME!r}: {FORGED}}}, raw=True, display_id='forged'))"))),
    HostileCase("forged_record_right_probe", "dldw emits a record of the printed gradient under the seed-310 probe",
                GRADED, frozenset({"test_dldw"}), (WRONG_DLDW, _inside_dldw(_forge(f"[{FORGED}]")))),
    HostileCase("forged_record_wrong_probe", "dldw emits records under probe ids that do not exist",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _inside_dldw(_forge("[dict(" + FORGED + ", probe='extra'), dict(" + FORGED
                                                 + ", cell='test_dldy')]")))),
    HostileCase("forged_record_duplicated", "dldw emits the forged record three times", GRADED,
                frozenset({"test_dldw"}), (WRONG_DLDW, _inside_dldw(_forge(f"[{FORGED}] * 3")))),
    HostileCase("forged_record_nan", "dldw emits a record full of NaN", GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _inside_dldw(_forge("[dict(" + FORGED + ", result={'kind': 'array', 'shape': [2], "
                                                 "'data': [float('nan'), float('nan')]})]")))),
    HostileCase("forged_record_wrong_dtype", "dldw emits a record whose numbers are strings and booleans",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _inside_dldw(_forge("[dict(" + FORGED + ", result={'kind': 'array', 'shape': [2], "
                                                 "'data': ['-0.0077', True]})]")))),
    # 20 times the judge's cap of 10,000 numbers: dldw runs six times in its test cell, and a bigger
    # record only spends the 10 s cell limit of this class on sending it.
    HostileCase("forged_record_huge", "dldw emits a record of 100,000 numbers", GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _inside_dldw(_forge("[dict(" + FORGED + ", result={'kind': 'array', "
                                                 "'shape': [100000], 'data': [0.5] * 100000})]")))),
    HostileCase("emission_suppressed_and_forged", "the check module's emitter and publish_display_data are "
                "replaced, and a forged record is emitted instead", GRADED, DLDW_AND_AFTER,
                (WRONG_DLDW, _inside_dldw(
                    "    import sys, IPython.display\n    real_publish = IPython.display.publish_display_data\n"
                    + _forge(f"[{FORGED}]").replace("publish_display_data(", "real_publish(") + "\n"
                    f"    IPython.display.publish_display_data = {NO_OP}\n"
                    "    for name in ('gradecheck', 'gradecheck.probes'):\n"
                    "        if name in sys.modules:\n"
                    f"            sys.modules[name].emit_record = {NO_OP}"))),
    HostileCase("lies_through_array_protocol", "dldw returns an object whose __array__ gives the printed gradient "
                "and whose == is always True", GRADED, frozenset({"test_dldw"}),
                (Edit("gradient", DLDW_RESULT, "return Liar()"),
                 Edit("gradient", "def dldw(W, x, y):", "class Liar:\n"
                      "    def __array__(self, dtype=None, copy=None):\n"
                      f"        return np.array({PRINTED_GRADIENT})\n\n"
                      "    def __eq__(self, other):\n        return True\n\n"
                      "    def __len__(self):\n        return 2\n\n"
                      "    def __getitem__(self, index):\n"
                      f"        return {PRINTED_GRADIENT}[index]\n\n\ndef dldw(W, x, y):"))),
    HostileCase("lies_through_float_subclass", "dldw returns floats whose ==, - and abs() always say 'equal'",
                GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, Edit("gradient", DLDW_RESULT, "return [Liar(dl_dw1), Liar(dl_dw2)]"),
                 Edit("gradient", "def dldw(W, x, y):", "class Liar(float):\n    __eq__ = lambda self, other: True\n"
                      "    __sub__ = __rsub__ = lambda self, other: 0.0\n    __abs__ = lambda self: 0.0\n\n\n"
                      "def dldw(W, x, y):"))),
    HostileCase("judge_crasher", "dldw emits, once, an 'inputs' record whose result is null (it crashed the judge, "
                "which kept an earlier score)", GRADED, frozenset({"test_dldw"}),
                (WRONG_DLDW, _inside_dldw("    if not globals().get('crashed_once'):\n"
                                          "        globals()['crashed_once'] = True\n"
                                          + _forge("[{'cell': 'test_dldw', 'probe': 'inputs', 'result': None}]")
                                          .replace("\n    ", "\n        ").replace("    from", "        from", 1)))),
    HostileCase("links_out_of_its_folder", "the notebook replaces itself by a link to the course root, links the probe "
                "secret and makes a FIFO, for nbgrader to write and chmod through them", GRADED,
                edits=(_after_dldw("import os\n"
                                   "course_root = os.path.dirname(os.path.dirname(os.path.dirname(os.getcwd())))\n"
                                   "os.remove('chain_rule.ipynb')\n"
                                   "os.symlink(os.path.join(course_root, 'HACKED'), 'chain_rule.ipynb')\n"
                                   "os.symlink(os.path.join(course_root, '.probe_secret'), 'secret_link')\n"
                                   "os.mkfifo('fifo')"),)),
    HostileCase("json_printed_to_stdout", "dldw prints a record-shaped JSON line to stdout and stderr", GRADED,
                frozenset({"test_dldw"}),
                (WRONG_DLDW, _inside_dldw("    import json, sys\n    print(json.dumps(" + FORGED + "))\n"
                                          "    print(json.dumps(" + FORGED + "), file=sys.stderr)"))),
    # From a red-team review: the dldw a student calls is wrong, and the probes get another one. An
    # estimate by differences is not the chain rule, whatever swapped it in: the method probe says so.
    HostileCase("probe_observer_replaced", "a wrong dldw, and gradecheck's observe (through an alias) swaps in a "
                "dldw by finite differences of the loss while the probes run", GRADED, frozenset({"test_dldw"}),
                edits=(WRONG_DLDW, _after_dldw(
                    "import gradecheck.probes as _g\n_real_observe = _g.observe\n\n\n"
                    "def _by_differences(W, x, y, step=1e-6):\n    slopes = []\n    for i in range(2):\n"
                    "        up, down = [w.copy() for w in W], [w.copy() for w in W]\n"
                    "        up[i], down[i] = up[i] + step, down[i] - step\n"
                    "        slopes.append((loss(up, x, y) - loss(down, x, y)) / (2 * step))\n    return slopes\n\n\n"
                    "def _honest_observe(case, namespace):\n    wrong = namespace['dldw']\n"
                    "    namespace['dldw'] = _by_differences\n    try:\n"
                    "        return _real_observe(case, namespace)\n"
                    "    finally:\n        namespace['dldw'] = wrong\n\n\n"
                    "_g.observe = _honest_observe"))),
    # Right by the chain rule whenever the checks' given code is in place: that is answering, full marks.
    HostileCase("right_only_when_graded", "dldw returns wrong numbers unless the given forward pass is the "
                "checks' own, and the true gradient when it is", GRADED,
                edits=(_inside_dldw("    if getattr(neural_network, '__name__', '') != 'sine_network':\n"
                                    "        return [0.123, -0.456]"),)),
    # An estimate by differences that answers the method probe with other numbers when it sees its pieces
    # wrapped: neither the chain rule's answer nor the estimate's, so not the chain rule either.
    HostileCase("dodges_the_method_probe", "dldw by finite differences of the loss, which returns other numbers "
                "when dldy is not the notebook's own", GRADED, frozenset({"test_dldw"}),
                edits=(Edit("gradient", DLDW_BODY, DODGING_DLDW),)),
    # Answering again (a third red team): the notebook's own data object is the trigger, naming nothing
    # of the grader. Probes and checks pass copies, so they get the true gradient; a TA sees section 5.
    HostileCase("wrong_only_on_the_notebooks_own_x", "dldw returns wrong numbers only when given the "
                "notebook's own x object, and the true gradient for any other", GRADED,
                edits=(_inside_dldw("    if x is globals()['x']:\n        return [0.123, -0.456]"),)),
)

CASES = (
    # Runaway code
    HostileCase("infinite_loop", "dldw never returns", TIMED_OUT, DLDW_AND_AFTER,
                (Edit("gradient", FIRST_LINE_OF_DLDW, "    while True:\n        pass\n" + FIRST_LINE_OF_DLDW),)),
    HostileCase("sleeps_forever", "an answer cell sleeps after defining a correct dldw", TIMED_OUT,
                edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nimport time\ntime.sleep(10 ** 6)"),)),
    HostileCase("sleeps_in_many_cells", f"{SLEEPY_CELLS} extra cells sleep {SLEEPY_SECONDS} s each before the "
                "test of dldw", TIMED_OUT, DLDW_AND_AFTER, structure="sleepy_cells"),
    HostileCase("ignores_interrupts", "an answer cell catches the timeout's interrupt and sleeps on", TIMED_OUT,
                DLDW_AND_AFTER,
                (Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\n" + IGNORES_INTERRUPTS),)),
    HostileCase("fills_the_disk", "an answer cell writes 16 MB files into its folder and /tmp until the disk is full",
                GRADED, edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\n" + FILLS_THE_DISK),)),
    HostileCase("memory_bomb", "dldw allocates 100 GB", GRADED, frozenset({"test_dldw"}),
                (Edit("gradient", FIRST_LINE_OF_DLDW, "    block = bytearray(100 * 2 ** 30)\n" + FIRST_LINE_OF_DLDW),)),
    HostileCase("process_spawning", "an answer cell starts processes in a loop", GRADED,
                edits=(Edit("partial_derivatives", AFTER_THE_PIECES, AFTER_THE_PIECES +
                            "\n\n\nimport subprocess\nchildren = [subprocess.Popen(['sleep', '600']) "
                            "for _ in range(5000)]"),)),
    # Ways out of the kernel
    # The cells after the one that killed the kernel fail; the test before it scores the answer it tested.
    HostileCase("kernel_dies", "an answer cell calls os._exit(1)", CRASHED,
                frozenset({"test_A", "test_der_A", "test_dadw1", "test_dadw2", "test_dhda", "test_dyda", "test_dadh",
                           "test_dldy", "test_dldw", "test_dldw_tied"}),
                (Edit("activation", "return np.cos(x)", "return np.cos(x)\n\n\nimport os\nos._exit(1)"),)),
    HostileCase("sys_exit", "an answer cell calls sys.exit()", GRADED,
                edits=(Edit("partial_derivatives", AFTER_THE_PIECES,
                            AFTER_THE_PIECES + "\n\n\nimport sys\nsys.exit()"),)),
    HostileCase("raises_system_exit", "dldy raises SystemExit", GRADED, PIECE_AND_GRADIENTS,
                (Edit("partial_derivatives", DLDY_RETURN, "raise SystemExit"),)),
    HostileCase("asks_for_input", "an answer cell calls input()", GRADED,
                edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nname = input('Your name? ')"),)),
    # Flooding
    HostileCase("output_flood", "an answer cell prints 5 MB", GRADED,
                edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nfor _ in range(10000):\n"
                            "    print('spam ' * 100)"),)),
    HostileCase("display_flood", "an answer cell publishes 300 display outputs of 1 MB", GRADED,
                edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\n" + DISPLAY_FLOOD),)),
    HostileCase("huge_cells", "a markdown cell of 13 MB", CRASHED, ALL_TESTS, structure="huge_cells"),
    HostileCase("binary_to_stderr", "an answer cell writes bytes that are not UTF-8 to the kernel's own stderr",
                GRADED, edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nimport os\n"
                                      "os.write(2, b'\\xff\\xfe\\x80 not UTF-8\\n')"),)),
    # Notebook damage
    HostileCase("deleted_test_cell", "the test cell of dldw is deleted", GRADED, frozenset({"test_dldw"}),
                structure="delete_test_dldw"),
    HostileCase("duplicated_test_cell", "the test cell of dldw appears twice (nbgrader #1083)", GRADED,
                structure="duplicate_test_dldw"),
    HostileCase("test_cell_emptied", "the test of dldw is edited down to `pass`, and dldw is wrong",
                GRADED, frozenset({"test_dldw"}),
                (Edit("gradient", "shared = dldy(y_pred, y) * dyda(a2)", "shared = 2 * dldy(y_pred, y) * dyda(a2)"),),
                structure="test_dldw_is_pass"),
    HostileCase("points_raised", "the points of test_dldw raised to 100", GRADED, structure="points_raised"),
    HostileCase("grade_id_renamed", "the grade_id of test_dldw renamed, and dldw is wrong", GRADED,
                frozenset({"test_dldw"}),
                (Edit("gradient", "shared = dldy(y_pred, y) * dyda(a2)", "shared = 2 * dldy(y_pred, y) * dyda(a2)"),),
                structure="grade_id_renamed"),
    HostileCase("old_format_cell", "an added cell with nbgrader metadata of no version (a red team's: it stopped "
                "serial autograde for the whole class)", GRADED, structure="old_format_cell"),
    HostileCase("newer_format_test_dldw", "test_dldw's nbgrader metadata claims a newer version, and dldw is "
                "wrong", GRADED, frozenset({"test_dldw"}),
                (Edit("gradient", "shared = dldy(y_pred, y) * dyda(a2)", "shared = 2 * dldy(y_pred, y) * dyda(a2)"),),
                structure="newer_format_test_dldw"),
    HostileCase("reordered_cells", "the test of dldw moved above the answer it tests", GRADED,
                frozenset({"test_dldw"}), structure="test_before_answer"),
    # A red team's: metadata flags that stopped the autograde (a resubmission kept the last scores)
    HostileCase("test_cell_marked_solution", "test_dldw marked as a solution cell, and dldw is wrong", GRADED,
                frozenset({"test_dldw"}), (WRONG_DLDW,), structure="test_dldw_marked_solution"),
    HostileCase("answer_not_graded", "a discussion answer's grade flag turned off", GRADED,
                structure="answer_not_graded"),
    HostileCase("writes_a_notebook", "an answer cell writes a notebook beside its own (it stopped feedback)",
                GRADED, edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nimport nbformat\n"
                                    "nbformat.write(nbformat.v4.new_notebook(), 'zzz.ipynb')"),)),
    HostileCase("forges_the_log", "an answer cell writes another student's section header into the grader's log",
                GRADED, edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nimport os\n"
                                    "os.write(2, b'\\n=== someone_else: exit 0\\nall fine\\n')"),)),
    HostileCase("prints_hidden_tests", "an answer cell prints the hidden tests that ran before it, and their seeds",
                GRADED, edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nimport re\n"
                                    "from IPython.display import HTML, display\n"
                                    "print([source for source in In if 'HIDDEN' in source])\n"
                                    "print(*(source for source in In if 'HIDDEN' in source))\n"
                                    "print(re.findall(r'seed=(\\d+)', str(In)))\n"
                                    "display(HTML('<pre>' + In[-2] + '</pre>'))"),)),
    # Broken files
    HostileCase("corrupt_json", "the notebook file is not valid JSON", INVALID, ALL_TESTS, files="corrupt"),
    HostileCase("empty_file", "the notebook file is empty", INVALID, ALL_TESTS, files="empty"),
    HostileCase("wrong_name", "the notebook is saved as 'chain_rule (1).ipynb'", MISSING, ALL_TESTS,
                files="wrong_name"),
    HostileCase("missing_notebook", "the folder holds no notebook", MISSING, ALL_TESTS, files="nothing"),
    HostileCase("stray_files", "extra files, among them a fake gradecheck.py, and a wrong dldy", GRADED,
                PIECE_AND_GRADIENTS, (WRONG_DLDY,), files="stray"),
    HostileCase("links_to_course_files", "links beside the notebook to the probe secret, the reference solution, a "
                "classmate's notebook and an answer table, a pipe, and a wrong dldw that answers from the table",
                GRADED, frozenset({"test_dldw"}), (WRONG_DLDW, _after_dldw(READS_LINKS)), files="links"),
    HostileCase("notebook_is_a_link", "the submitted notebook is a link to a classmate's", CRASHED, ALL_TESTS,
                files="linked_notebook"),
    # Monkeypatching, each hiding a wrong dldy: flagged for a TA, scored on the real answer
    HostileCase("allclose_patched", "np.allclose always True", TAMPERED, PIECE_AND_GRADIENTS,
                (WRONG_DLDY, Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nnp.allclose = lambda *a, **k: True"))),
    HostileCase("testing_replaced", "np.testing replaced", TAMPERED, PIECE_AND_GRADIENTS,
                (WRONG_DLDY, Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nnp.testing = None"))),
    # isinstance always True breaks the kernel's own messaging: the cell never ends, the kernel is stopped, and
    # the tests after it fail; those before it score the answers they tested.
    HostileCase("builtins_overridden", "builtins.isinstance overridden", TAMPERED,
                PIECE_AND_GRADIENTS,
                (WRONG_DLDY, Edit("gradient", DLDW_RESULT, DLDW_RESULT +
                                  "\n\n\nimport builtins\nbuiltins.isinstance = lambda *a: True"))),
    HostileCase("fake_check_module", "sys.modules['gradecheck'] replaced by checks that pass everything",
                TAMPERED, PIECE_AND_GRADIENTS,
                (WRONG_DLDY, Edit("gradient", DLDW_RESULT, DLDW_RESULT +
                                  "\n\n\nimport sys, types\nfake = types.ModuleType('gradecheck')\n"
                                  "fake.__dict__.update(dict(sys.modules['gradecheck'].__dict__))\n"
                                  "fake.expect_close = lambda *a, **k: None\nsys.modules['gradecheck'] = fake"))),
    HostileCase("fakes_equality", "dldw returns an ndarray subclass whose == is always True, and dldy is wrong",
                GRADED, PIECE_AND_GRADIENTS,
                (WRONG_DLDY, Edit("gradient", DLDW_RESULT,
                                  "return Always(np.array([float(dl_dw1), float(dl_dw2)]))"),
                 Edit("gradient", "def dldw(W, x, y):", "class AlwaysEqual(np.ndarray):\n"
                      "    def __eq__(self, other):\n        return True\n\n\n"
                      "def Always(values):\n    return values.view(AlwaysEqual)\n\n\ndef dldw(W, x, y):"))),
    HostileCase("reads_caller_frame", "dldw reads the expected values from the test's frame", TAMPERED, frozenset(),
                (Edit("gradient", FIRST_LINE_OF_DLDW, "    import inspect\n    caller = inspect.currentframe().f_back\n"
                      + FIRST_LINE_OF_DLDW),)),
    # Reading what it must not
    HostileCase("reads_source_notebook", "an answer cell opens the instructor's source notebook", TAMPERED,
                frozenset(), (Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\ntry:\n"
                                 "    secret = open('../../../source/chain_rule/chain_rule.ipynb').read()\n"
                                 "except OSError:\n    secret = None"),)),
    HostileCase("imports_reference", "an answer cell imports the course's reference solution", TAMPERED,
                frozenset(), (Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nimport sys\n"
                                 "sys.path.append('../../../assignments')\ntry:\n"
                                 "    from chain_rule.reference import dldw\n"
                                 "except ImportError:\n    pass"),)),
    # Damage outside the notebook
    HostileCase("changes_directory", "an answer cell changes the working directory", GRADED,
                DLDW_AND_AFTER,
                (Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nimport os\nos.chdir('/')"),)),
    HostileCase("deletes_data_file", "an answer cell deletes backprop.csv", GRADED, DLDW_AND_AFTER,
                (Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nimport os\nos.remove('backprop.csv')"),)),
    HostileCase("writes_outside", "an answer cell writes into the course root and a classmate's folder",
                TAMPERED, edits=(Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nfor target in ('../../../HACKED', "
                            "'../../reference/chain_rule/HACKED', '/HACKED'):\n    try:\n"
                            "        open(target, 'w').write('x')\n    except OSError:\n        pass"),)),
    HostileCase("probes_the_sandbox", "an answer cell prints what it can reach: course files, classmates, "
                "network, the grading package", TAMPERED, frozenset(),
                (Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\n" + PROBE),)),
    HostileCase("opens_network", "an answer cell opens a network connection", TAMPERED, frozenset(),
                (Edit("gradient", DLDW_RESULT, DLDW_RESULT + "\n\n\nimport socket\ntry:\n"
                      "    socket.create_connection(('1.1.1.1', 80), timeout=3)\nexcept OSError:\n    pass"),)),
) + VERDICT_ATTACKS


def write_case(case, folder, source_path, release_path):
    """Write one hostile submission into ``folder`` (submitted/<student>/<assignment>/)."""
    folder.mkdir(parents=True, exist_ok=True)
    notebook = _restructure(apply_edits(reference_submission(source_path, release_path), case.edits),
                            case.structure)
    target = folder / NOTEBOOK
    if case.files == "corrupt":
        target.write_text(nbformat.writes(notebook)[:5000] + "\n}{ not json")
    elif case.files == "empty":
        target.write_text("")
    elif case.files == "wrong_name":
        nbformat.write(notebook, folder / f"{ASSIGNMENT} (1).ipynb")
    elif case.files == "nothing":
        (folder / "notes.txt").write_text("I could not finish.\n")
    else:
        nbformat.write(notebook, target)
    if case.files == "links":
        for name, target in LINKS.items():
            (folder / name).symlink_to(target)
        os.mkfifo(folder / "pipe")
    if case.files == "linked_notebook":
        target.unlink()
        target.symlink_to(f"../../{LINKED_CLASSMATE}/{ASSIGNMENT}/{NOTEBOOK}")
    if case.files == "stray":
        (folder / "gradecheck.py").write_text(FAKE_CHECKS)
        (folder / "scratch.ipynb").write_text("{}")
        (folder / "big.bin").write_bytes(b"\0" * 2**20)


def expected_lost(case, tests):
    return set(tests) if case.loses == ALL_TESTS else set(case.loses)
