"""What each pooling mode does to a window, resolved once from the mode's name.

numpy only. The kernels (:mod:`poolcli.bands`, :mod:`poolcli.windows`) take a :class:`Reducer`
and branch on its ``kind``, never on the mode's name; a new mode is a row of :data:`REDUCERS`
plus whatever its kind needs in the kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Reducer:
    """How one mode reduces a window.

    Attributes
    ----------
    name : str
        The mode, as the API and the command line name it.
    kind : {"extreme", "mean", "first"}
        ``extreme``: a running ``ufunc`` (np.maximum, np.minimum) from its identity;
        ``mean``: an exact sum divided by the real cells; ``first``: the first real cell.
    ufunc : numpy ufunc or None
        What combines two cells (np.add for a mean).
    """

    name: str
    kind: Literal["extreme", "mean", "first"]
    ufunc: np.ufunc | None = None

    def identity(self, dtype: np.dtype) -> float:
        """The value that changes nothing: the lowest of ``dtype`` for max, the highest for
        min, 0 for a sum.

        >>> REDUCERS["max"].identity(np.dtype("uint8")), REDUCERS["min"].identity(np.dtype("f4"))
        (0, inf)
        """
        if self.kind != "extreme":
            return 0
        upward = self.ufunc is np.maximum
        if dtype.kind == "f":
            return -np.inf if upward else np.inf
        info = np.iinfo(dtype)
        return int(info.min if upward else info.max)


REDUCERS: dict[str, Reducer] = {
    "max": Reducer("max", "extreme", np.maximum),
    "min": Reducer("min", "extreme", np.minimum),
    "avg": Reducer("avg", "mean", np.add),
    "stride": Reducer("stride", "first"),
}
