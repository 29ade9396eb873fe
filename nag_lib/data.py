"""Data that ships with a package: scikit-learn's 8x8 digits (1,797 images), never a download."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

__all__ = ["Split", "digits"]


@dataclass(frozen=True)
class Split:
    """A train/test split as float32 inputs and int64 labels."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor

    @property
    def n_features(self) -> int:
        """Input dimension."""
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return int(torch.cat([self.y_train, self.y_test]).max()) + 1


@functools.lru_cache(maxsize=1)
def _load_digits() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The 1,797 bundled images (read once per process; callers get copies via the split)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64)


def digits(test_fraction: float = 0.25, seed: int = 0, standardize: bool = True) -> Split:
    """scikit-learn's bundled digits, split with stratification (fixed by ``seed``).

    With ``standardize`` each pixel is centred and scaled by the *training* set's mean and
    standard deviation (never the test set's). 1,347 training and 450 test images by default.

    >>> d = digits()
    >>> d.x_train.shape, d.x_test.shape, d.n_classes
    (torch.Size([1347, 64]), torch.Size([450, 64]), 10)
    """
    from sklearn.model_selection import train_test_split

    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)):
        raise TypeError(f"test_fraction must be a number, got {test_fraction!r}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"Invalid test_fraction value: {test_fraction} (must be in (0, 1))")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}: {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"Invalid seed value: {seed} (seed must be in [0, 2**32))")
    if not isinstance(standardize, bool):
        raise TypeError(f"standardize must be a bool, got {type(standardize).__name__}")
    x, y = _load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=float(test_fraction), random_state=seed, stratify=y
    )
    x_tr = np.asarray(x_tr, dtype=np.float64)
    x_te = np.asarray(x_te, dtype=np.float64)
    if standardize:
        mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
        std[std == 0] = 1.0
        x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    return Split(
        x_train=torch.tensor(x_tr, dtype=torch.float32),
        y_train=torch.tensor(y_tr, dtype=torch.int64),
        x_test=torch.tensor(x_te, dtype=torch.float32),
        y_test=torch.tensor(y_te, dtype=torch.int64),
    )
