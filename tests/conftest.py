from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """A real 512x512 RGB photo as an (H, W, 3) uint8 array."""
    from PIL import Image

    with Image.open(SAMPLES / "astronaut.png") as im:
        return np.asarray(im.convert("RGB"))
