"""The environment `make setup` builds is the pinned set, and nothing pulled in beside it
(requirements.txt says why rfc3987-syntax is left out)."""
import importlib.metadata
import importlib.util
import re
import sysconfig

from backprop_course import REPO_ROOT

BESIDE_THE_PINS = {"pip", "backprop-course"}  # the venv's own pip, and the course package (editable)


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins():
    pinned = {}
    for name in ("requirements.txt", "requirements-test.txt"):
        for line in (REPO_ROOT / name).read_text().splitlines():
            requirement = line.split("#")[0].strip()
            if requirement:
                package, version = requirement.split("==")
                pinned[canonical(package)] = version
    return pinned


def test_every_installed_package_is_pinned_at_its_version():
    site_packages = [sysconfig.get_paths()["purelib"]]  # not the copies that setuptools vendors
    installed = {canonical(dist.metadata["Name"]): dist.version
                 for dist in importlib.metadata.distributions(path=site_packages)}
    assert {name: version for name, version in installed.items() if name not in BESIDE_THE_PINS} == pins()


def test_no_process_that_reads_a_notebook_builds_iri_parsers():
    assert "rfc3987-syntax" not in pins() and importlib.util.find_spec("rfc3987_syntax") is None
