"""nag_lib.data: the bundled digits, split once and for all (stratified, seeded), standardised
with the training set's statistics only, and never downloaded."""

from __future__ import annotations

import socket

import numpy as np
import pytest
import torch

from nag_lib.data import Split, digits


def test_digits_has_the_documented_shapes_dtypes_and_classes() -> None:
    d = digits()
    assert isinstance(d, Split)
    assert d.x_train.shape == (1347, 64) and d.x_test.shape == (450, 64)
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    assert d.n_features == 64 and d.n_classes == 10


def test_the_split_is_stratified() -> None:
    d = digits()
    train = torch.bincount(d.y_train, minlength=10).double() / len(d.y_train)
    test = torch.bincount(d.y_test, minlength=10).double() / len(d.y_test)
    assert float((train - test).abs().max()) < 0.01


def test_the_same_seed_gives_the_same_split_and_another_seed_another() -> None:
    a, b, c = digits(seed=0), digits(seed=0), digits(seed=1)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_train, c.y_train)


def test_standardisation_uses_the_training_statistics_only() -> None:
    raw, std = digits(standardize=False), digits()
    x = raw.x_train.double()
    mean, sd = x.mean(0), x.std(0, unbiased=False)
    sd[sd == 0] = 1.0
    expected_test = (raw.x_test.double() - mean) / sd
    assert torch.allclose(std.x_test.double(), expected_test, atol=1e-5)
    varying = x.std(0) > 0
    assert float(std.x_train[:, varying].mean(0).abs().max()) < 1e-5
    assert torch.allclose(
        std.x_train[:, varying].double().std(0, unbiased=False), torch.ones(1).double()
    )
    # the test set is not exactly standardised: its own statistics were never used
    assert float(std.x_test.double().mean(0).abs().max()) > 1e-3


def test_the_pixels_are_the_bundled_0_to_16_intensities() -> None:
    raw = digits(standardize=False)
    both = torch.cat([raw.x_train, raw.x_test])
    assert both.shape[0] == 1797
    assert float(both.min()) == 0.0 and float(both.max()) == 16.0
    assert torch.equal(both, both.round())


def test_each_call_returns_fresh_tensors() -> None:
    a = digits()
    a.x_train.zero_()
    assert float(digits().x_train.abs().sum()) > 0


def test_the_test_fraction_sets_the_split_size() -> None:
    d = digits(test_fraction=0.5)
    assert abs(d.x_test.shape[0] - 1797 / 2) <= 1


def test_no_network_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("digits() tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert np.isfinite(digits(seed=3).x_train.numpy()).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"test_fraction": 0.0}, ValueError, "test_fraction"),
        ({"test_fraction": 1.0}, ValueError, "test_fraction"),
        ({"test_fraction": "0.2"}, TypeError, "test_fraction"),
        ({"test_fraction": True}, TypeError, "test_fraction"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 2**32}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"standardize": 1}, TypeError, "standardize"),
    ],
)
def test_bad_arguments_are_rejected_by_name(
    kwargs: dict[str, object], error: type[Exception], name: str
) -> None:
    with pytest.raises(error, match=name):
        digits(**kwargs)  # type: ignore[arg-type]
