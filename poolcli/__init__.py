"""poolcli: downsample images by max, average, min or strided pooling.

The numeric core works on numpy arrays and imports nothing heavier than numpy::

    >>> import numpy as np, poolcli
    >>> poolcli.pool(np.arange(16, dtype=np.uint8).reshape(4, 4), "max")
    array([[ 5,  7],
           [13, 15]], dtype=uint8)

Image files are read and written by :mod:`poolcli.images` (Pillow), the ``poolimg`` command
lives in :mod:`poolcli.cli` (Typer); neither is imported here, so ``import poolcli`` stays fast.
"""

from .errors import InputError, OutputError, ParameterError, PoolError
from .geometry import MODES, PADDINGS, PassGeometry, PoolSpec, output_shape, plan_passes
from .pooling import pool, pool_passes

__version__ = "0.1.0"

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
    "output_shape",
    "plan_passes",
    "pool",
    "pool_passes",
]
