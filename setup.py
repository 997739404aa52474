"""The wheel carries the conformance suite inside the package: ``steps/``, ``fixtures/``, ``features/``,
``conftest.py`` and ``pytest.ini`` of the repository go to ``simulator/suite/`` (simulator/paths.py finds
them there), so that an installed copy runs the same scenarios without a checkout."""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SUITE = ("steps", "fixtures", "features", "conftest.py", "pytest.ini")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


class BuildWithSuite(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "simulator" / "suite"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in SUITE:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=SKIP)
            else:
                shutil.copyfile(source, target / name)


setup(cmdclass={"build_py": BuildWithSuite})
