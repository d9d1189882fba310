"""nbgrader copies a student's regular files only, and a linked notebook is refused."""
import os

from backprop_course.grading.sandbox import studentfiles


def test_links_devices_and_pipes_are_left_out_of_what_nbgrader_copies(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "table.csv").write_text("x,y\n")
    (tmp_path / "secret").symlink_to("/etc/hostname")
    (tmp_path / "zero").symlink_to("/dev/zero")  # copied, it would fill the grader's disk
    (tmp_path / "elsewhere").symlink_to("/etc", target_is_directory=True)
    os.mkfifo(tmp_path / "pipe")

    def everything(path, exclude=None):
        return sorted(str(entry) for entry in tmp_path.rglob("*") if not entry.is_dir() or entry.is_symlink())
    listed = studentfiles._regular_files_only(everything)(str(tmp_path))
    assert listed == [str(tmp_path / "data" / "table.csv"), str(tmp_path / "notes.txt")]


def test_guard_wraps_nbgraders_listing_once():
    import nbgrader.converters.base as converters
    studentfiles.guard()
    guarded = converters.find_all_files
    studentfiles.guard()
    assert converters.find_all_files is guarded and guarded.regular_only


def test_a_linked_notebook_or_folder_is_refused(tmp_path):
    folder = tmp_path / "submitted" / "ann" / "hw"
    folder.mkdir(parents=True)
    (folder / "hw.ipynb").write_text("{}")
    assert studentfiles.refusal(folder, "hw.ipynb") is None
    (folder / "hw.ipynb").unlink()
    (folder / "hw.ipynb").symlink_to(tmp_path / "elsewhere.ipynb")
    assert "is a link" in studentfiles.refusal(folder, "hw.ipynb")
    (tmp_path / "submitted" / "bob").mkdir()
    (tmp_path / "submitted" / "bob" / "hw").symlink_to(folder, target_is_directory=True)
    assert "submitted folder hw is a link" in studentfiles.refusal(tmp_path / "submitted" / "bob" / "hw", "hw.ipynb")


def test_collect_takes_regular_files_and_folders_only(tmp_path):
    inbound = tmp_path / "inbound" / "ann+hw+2026-12-05"
    (inbound / "data").mkdir(parents=True)
    (inbound / "hw.ipynb").write_text("{}")
    (inbound / "data" / "table.csv").write_text("x\n")
    (inbound / "secret").symlink_to("/etc/hostname")
    (inbound / "elsewhere").symlink_to("/etc", target_is_directory=True)
    os.mkfifo(inbound / "pipe")
    studentfiles.copy_regular_files(inbound, tmp_path / "collected")
    collected = sorted(str(path.relative_to(tmp_path / "collected")) for path in (tmp_path / "collected").rglob("*"))
    assert collected == ["data", "data/table.csv", "hw.ipynb"]


def test_the_course_collects_with_it():
    from backprop_course import REPO_ROOT
    from backprop_course.course import nbgrader_settings
    assert nbgrader_settings(REPO_ROOT).ExchangeFactory.collect == \
        "backprop_course.grading.sandbox.studentfiles.CollectRegularFiles"
