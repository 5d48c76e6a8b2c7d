"""What a user's type checker sees of the public API: poolcli ships its types (``py.typed``), and
``pool`` gives an array, or a pair of arrays with ``return_indices=True``, and refuses an option
it does not have."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

USER_CODE = """
import numpy as np
import poolcli

x = np.zeros((4, 4), np.uint8)
reveal_type(poolcli.pool(x, "max"))
reveal_type(poolcli.pool(x, "max", return_indices=True))
values, where = poolcli.pool(x, "max", 3, 2, "same", dilation=1, return_indices=True)
poolcli.pool(x, "max", dilatoin=2)
"""


def test_pool_is_typed_by_its_overloads(tmp_path: Path) -> None:
    if shutil.which("mypy") is None and not _has_mypy():
        pytest.skip("mypy is not installed (the test extra brings it)")
    (tmp_path / "user.py").write_text(USER_CODE)
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--strict", "user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = run.stdout.splitlines()
    revealed = [line.split("Revealed type is ")[1] for line in lines if "Revealed type" in line]
    assert revealed[0].startswith('"numpy.ndarray[')
    assert revealed[1].startswith('"tuple[numpy.ndarray[')
    errors = {line.split(": error:")[0] for line in lines if ": error:" in line}
    assert errors == {"user.py:9"}, run.stdout
    assert 'Unexpected keyword argument "dilatoin"' in run.stdout


def _has_mypy() -> bool:
    import importlib.util

    return importlib.util.find_spec("mypy") is not None
