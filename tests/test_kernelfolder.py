"""The kernel's folder holds only plain files and folders when nbgrader writes into it."""
import os

from nbformat.v4 import new_notebook
from traitlets.config import Config

from backprop_course.grading.sandbox.kernelfolder import CleanKernelFolder, remove_links_and_specials


def test_links_fifos_and_linked_folders_are_removed_and_nothing_they_point_at_is_touched(tmp_path):
    outside = tmp_path / "course"
    outside.mkdir()
    (outside / "gradebook.db").write_text("precious")
    folder = tmp_path / "autograded" / "ada" / "chain_rule"
    (folder / "sub").mkdir(parents=True)
    (folder / "chain_rule.ipynb").write_text("{}")
    (folder / "sub" / "plot.png").write_bytes(b"png")
    os.symlink(outside / "gradebook.db", folder / "link_to_file")
    os.symlink(outside, folder / "link_to_folder")
    os.symlink(outside / "nbgrader_config.json", folder / "sub" / "dangling")
    os.mkfifo(folder / "fifo")
    removed = remove_links_and_specials(folder)
    assert sorted(os.path.relpath(path, folder) for path in removed) == [
        "fifo", "link_to_file", "link_to_folder", os.path.join("sub", "dangling")]
    assert sorted(os.path.relpath(os.path.join(root, name), folder) for root, _, names in os.walk(folder)
                  for name in names) == ["chain_rule.ipynb", os.path.join("sub", "plot.png")]
    assert (outside / "gradebook.db").read_text() == "precious" and not (outside / "nbgrader_config.json").exists()


def test_a_notebook_the_kernel_wrote_is_removed_and_the_submitted_ones_kept(tmp_path):
    """Red team: a stray notebook in the autograded folder stopped generate_feedback for that student."""
    submitted = tmp_path / "submitted" / "ada" / "chain_rule"
    folder = tmp_path / "autograded" / "ada" / "chain_rule"
    for place in (submitted, folder):
        place.mkdir(parents=True)
        (place / "chain_rule.ipynb").write_text("{}")
        (place / "notes.ipynb").write_text("{}")
    (folder / "zzz.ipynb").write_text("{}")
    (folder / "out.csv").write_text("1")
    config = Config({"CourseDirectory": {"root": str(tmp_path)}})
    CleanKernelFolder(config=config).preprocess(
        new_notebook(), {"metadata": {"path": str(folder)}, "nbgrader": {"student": "ada", "assignment": "chain_rule"}})
    assert sorted(path.name for path in folder.iterdir()) == ["chain_rule.ipynb", "notes.ipynb", "out.csv"]
