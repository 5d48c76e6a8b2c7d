"""Zero-copy numpy views of objects that export the Arrow C data interface (Pillow images).

numpy and ctypes only. Pillow 11.2+ exports an image's pixel storage through
``__arrow_c_array__``: a multiband image as ``width*height`` fixed-size lists of 4 uint8 (its
own 4-bytes-a-pixel layout, RGB padded to RGBX), a single-band one as ``width*height`` scalars.
Reading that takes microseconds, where ``np.asarray(image)`` copies the pixels through
``tobytes()`` (as long as decoding the JPEG: about 100 ms for 24 MP). The structs are read with
ctypes rather than through nanoarrow: 40 lines against a runtime dependency.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

# Arrow format strings of the primitive types an image exports, as numpy dtypes.
_FORMATS = {b"C": "u1", b"c": "i1", b"S": "u2", b"s": "i2", b"I": "u4", b"i": "i4", b"f": "f4"}


class _Schema(ctypes.Structure):
    pass


_Schema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(_Schema))),
    ("dictionary", ctypes.POINTER(_Schema)),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]


class _Array(ctypes.Structure):
    pass


_Array._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(_Array))),
    ("dictionary", ctypes.POINTER(_Array)),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


class _Keeper:
    """Owns the capsules (whose destructors release the export) for as long as numpy needs
    the memory; numpy keeps this object as the view's base."""

    def __init__(self, interface: dict[str, Any], owners: tuple[object, ...]) -> None:
        self.__array_interface__ = interface
        self._owners = owners


def arrow_view(obj: Any) -> np.ndarray | None:
    """A read-only numpy view of ``obj``'s Arrow export, or None if it cannot be had.

    Returns shape ``(n,)`` for a primitive array and ``(n, k)`` for fixed-size lists of ``k``.
    None when the object has no export, refuses (Pillow refuses an image stored in more than
    one memory block), or exports a layout other than those two.
    """
    try:
        schema_capsule, array_capsule = obj.__arrow_c_array__()
    except (AttributeError, ValueError, OSError):
        return None
    schema = _Schema.from_address(_capsule_pointer(schema_capsule, b"arrow_schema"))
    array = _Array.from_address(_capsule_pointer(array_capsule, b"arrow_array"))
    fmt, width = schema.format, 1
    if fmt.startswith(b"+w:") and schema.n_children == 1 and array.n_children == 1:
        width = int(fmt[3:])
        fmt = schema.children[0].contents.format
        leaf = array.children[0].contents
    elif schema.n_children == 0:
        leaf = array
    else:
        return None
    dtype = _FORMATS.get(fmt)
    if dtype is None or leaf.n_buffers != 2 or array.null_count > 0 or leaf.null_count > 0:
        return None
    count = array.length
    start = (array.offset * width + leaf.offset) * np.dtype(dtype).itemsize
    interface = {
        "version": 3,
        "shape": (count, width) if width > 1 else (count,),
        "typestr": np.dtype(dtype).str,
        "data": (leaf.buffers[1] + start, True),
    }
    return np.asarray(_Keeper(interface, (schema_capsule, array_capsule, obj)))
