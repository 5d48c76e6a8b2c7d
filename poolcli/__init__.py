"""poolcli: downsample images by max, average, min, sum, Lp, stochastic or strided pooling.

The numeric core works on numpy arrays::

    >>> import numpy as np, poolcli
    >>> poolcli.pool(np.arange(16, dtype=np.uint8).reshape(4, 4), "max")
    array([[ 5,  7],
           [13, 15]], dtype=uint8)

``poolcli.process`` runs the ``poolimg`` pipeline over files and folders. Names are loaded on
first use, so ``import poolcli`` (and ``poolimg --version``) imports no numpy, Pillow, Typer or
Rich until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import InputError, OutputError, ParameterError, PoolError

__version__ = "0.1.0"

_LAZY = {
    "pool": "pooling",
    "pool_passes": "pooling",
    "unpool": "pooling",
    "output_shape": "geometry",
    "plan_passes": "geometry",
    "PoolSpec": "spec",
    "PassGeometry": "geometry",
    "MODES": "spec",
    "PADDINGS": "spec",
    "process": "workers",
    "contact_sheet": "pictures",
    "comparison": "pictures",
}

if TYPE_CHECKING:
    from .geometry import PassGeometry, output_shape, plan_passes
    from .pictures import comparison, contact_sheet
    from .pooling import pool, pool_passes, unpool
    from .spec import MODES, PADDINGS, PoolSpec
    from .workers import process


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'poolcli' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "MODES",
    "PADDINGS",
    "InputError",
    "OutputError",
    "ParameterError",
    "PassGeometry",
    "PoolError",
    "PoolSpec",
    "__version__",
    "comparison",
    "contact_sheet",
    "output_shape",
    "plan_passes",
    "pool",
    "pool_passes",
    "process",
    "unpool",
]
