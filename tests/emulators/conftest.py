"""Fixtures for the IPA emulator's tests: an emulator with two zones and a client."""

import pytest

from tests.emulators.ipa import IPAEmulator
from tests.emulators.ipa_testlib import REVZONE, new_client


@pytest.fixture(autouse=True)
def _no_ca_override(monkeypatch):
    # requests would let these replace verify=True; keep TLS checks honest.
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)


@pytest.fixture
def emu():
    with IPAEmulator() as emulator:
        emulator.add_zone('example.test')
        emulator.add_zone(REVZONE)
        yield emulator
    assert emulator.internal_errors == []


@pytest.fixture
def client(emu):
    return new_client(emu)
