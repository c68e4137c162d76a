"""Fuzzing that CI can repeat: the same generated inputs whatever else the run imported."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants


@pytest.fixture(autouse=True)
def inputs_independent_of_loaded_modules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hypothesis mixes constants found in every loaded module's source into what it draws, so with
    derandomize=True the inputs still changed with the set of test files collected (`-k`, a new
    test file). Without those constants a test draws the same inputs in any run. Private API of
    the pinned Hypothesis: an upgrade that moves it fails here, loudly.
    """
    empty = Constants()
    monkeypatch.setattr(providers, "_get_local_constants", lambda: empty)
    providers.CONSTANTS_CACHE.cache.clear()
    yield
    providers.CONSTANTS_CACHE.cache.clear()
