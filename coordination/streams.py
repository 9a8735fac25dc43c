"""Named random streams derived from the model's seed.

Example:
    >>> import numpy as np
    >>> a = keyed_stream(np.random.default_rng(1), "patrol")
    >>> b = keyed_stream(np.random.default_rng(1), "patrol")
    >>> a.random() == b.random()
    True
"""

from __future__ import annotations

import zlib

import numpy as np


def keyed_stream(parent: np.random.Generator, key: str) -> np.random.Generator:
    """A generator derived from ``parent``'s seed and a name, independent of draw order."""
    seq = parent.bit_generator.seed_seq
    return np.random.default_rng(np.random.SeedSequence(
        seq.entropy, spawn_key=(*seq.spawn_key, zlib.crc32(key.encode()))))
