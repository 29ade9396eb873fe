"""Data that ships with a package: scikit-learn's 8x8 digits (1,797 images), never a download.

The split has three parts when asked: a *training* set that the optimizer sees, a *validation*
set carved from the training images for choosing hyperparameters, and a *test* set that is only
ever scored once a choice has been made (the book's evidence standard).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from nag_lib._checks import _check_seed

__all__ = ["Split", "digits"]


@dataclass(frozen=True)
class Split:
    """A train/test split (and optionally a validation set) as float32 inputs and int64 labels.

    ``x_val``/``y_val`` are ``None`` unless a validation set was carved from the training images
    (:func:`digits` with ``val_fraction > 0``).
    """

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    x_val: Tensor | None = None
    y_val: Tensor | None = None

    def __post_init__(self) -> None:
        if (self.x_val is None) != (self.y_val is None):
            raise ValueError("x_val and y_val must be given together (or both be None)")

    @property
    def has_val(self) -> bool:
        """Whether a validation set is present."""
        return self.x_val is not None

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


def digits(
    test_fraction: float = 0.25,
    seed: int = 0,
    standardize: bool = True,
    val_fraction: float = 0.0,
) -> Split:
    """scikit-learn's bundled digits, split with stratification (fixed by ``seed``).

    With ``standardize`` each pixel is centred and scaled by the *training* set's mean and
    standard deviation (never the validation or test set's). 1,347 training and 450 test images by
    default. With ``val_fraction > 0`` that share of the training images (stratified, same
    ``seed``) becomes the validation set, and the training set shrinks accordingly; the test set
    is the same whatever ``val_fraction`` is.

    >>> d = digits()
    >>> d.x_train.shape, d.x_test.shape, d.n_classes
    (torch.Size([1347, 64]), torch.Size([450, 64]), 10)
    >>> v = digits(val_fraction=0.2)
    >>> v.x_train.shape[0], v.x_val.shape[0], v.x_test.shape[0]
    (1077, 270, 450)
    """
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)):
        raise TypeError(f"test_fraction must be a number, got {test_fraction!r}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"Invalid test_fraction value: {test_fraction} (must be in (0, 1))")
    _check_seed(seed)
    if not isinstance(standardize, bool):
        raise TypeError(f"standardize must be a bool, got {type(standardize).__name__}")
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)):
        raise TypeError(f"val_fraction must be a number, got {val_fraction!r}")
    if not 0.0 <= float(val_fraction) < 1.0:
        raise ValueError(f"Invalid val_fraction value: {val_fraction} (must be in [0, 1))")
    from sklearn.model_selection import train_test_split  # after the checks: a refusal is quick

    x, y = _load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=float(test_fraction), random_state=seed, stratify=y
    )
    parts = {"train": (x_tr, y_tr), "test": (x_te, y_te)}
    if val_fraction > 0:
        x_tr, x_va, y_tr, y_va = train_test_split(
            x_tr, y_tr, test_size=float(val_fraction), random_state=seed, stratify=y_tr
        )
        parts = {"train": (x_tr, y_tr), "val": (x_va, y_va), "test": (x_te, y_te)}
    xs = {k: np.asarray(v[0], dtype=np.float64) for k, v in parts.items()}
    if standardize:
        mean, std = xs["train"].mean(axis=0), xs["train"].std(axis=0)
        std[std == 0] = 1.0
        xs = {k: (v - mean) / std for k, v in xs.items()}
    t = {k: torch.tensor(v, dtype=torch.float32) for k, v in xs.items()}
    labels = {k: torch.tensor(np.asarray(v[1]), dtype=torch.int64) for k, v in parts.items()}
    return Split(
        x_train=t["train"],
        y_train=labels["train"],
        x_test=t["test"],
        y_test=labels["test"],
        x_val=t.get("val"),
        y_val=labels.get("val"),
    )
