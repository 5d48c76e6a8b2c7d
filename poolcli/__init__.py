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

from poolcli.errors import InputError, OutputError, ParameterError, PoolError

__version__ = "0.1.0"

_LAZY = {
    "pool": "core.pooling",
    "pool_passes": "core.pooling",
    "unpool": "core.pooling",
    "pool3d": "core.volume",
    "unpool3d": "core.volume",
    "output_shape": "core.geometry",
    "plan_passes": "core.geometry",
    "PoolSpec": "spec.pool_spec",
    "PassGeometry": "core.geometry",
    "MODES": "spec.pool_spec",
    "PADDINGS": "spec.pool_spec",
    "process": "batch.workers",
    "contact_sheet": "pictures.api",
    "comparison": "pictures.api",
}

if TYPE_CHECKING:
    from poolcli.batch.workers import process
    from poolcli.core.geometry import PassGeometry, output_shape, plan_passes
    from poolcli.core.pooling import pool, pool_passes, unpool
    from poolcli.core.volume import pool3d, unpool3d
    from poolcli.pictures.api import comparison, contact_sheet
    from poolcli.spec.pool_spec import MODES, PADDINGS, PoolSpec


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
    "pool3d",
    "pool_passes",
    "process",
    "unpool",
    "unpool3d",
]
