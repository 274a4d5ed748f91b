"""Fixtures every test folder may use."""

import pytest

from tests.emulators.foreman import ForemanEmulator


@pytest.fixture
def foreman():
    """A Foreman (Satellite) emulator (tests/emulators/foreman)."""
    emulator = ForemanEmulator().start()
    yield emulator
    emulator.stop()
    assert emulator.errors == []
