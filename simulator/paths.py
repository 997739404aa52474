"""Where the lab's data and its conformance suite live.

In a checkout they are the repository's top level (``fixtures/``, ``features/``, ``steps/``,
``conftest.py``, ``pytest.ini``). An installed copy (``pip install``) carries the same files inside the
package, under ``simulator/suite/`` (``setup.py`` puts them there when the wheel is built), so that
nothing depends on the working directory.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_INSTALLED = PACKAGE / "suite"
#: The folder holding steps/, fixtures/, features/, conftest.py and pytest.ini.
SUITE = _INSTALLED if (_INSTALLED / "conftest.py").is_file() else PACKAGE.parent
FIXTURES = SUITE / "fixtures"
