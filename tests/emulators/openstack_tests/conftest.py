"""Fixtures for the OpenStack emulator's tests: an emulator and a keystoneauth
session on it (these override the IPA emulator's ``emu`` of the parent folder)."""

import pytest

from tests.emulators.openstack import OpenStackEmulator
from tests.emulators.openstack.clients import make_session


@pytest.fixture
def emu():
    with OpenStackEmulator() as e:
        yield e


@pytest.fixture
def sess(emu):
    return make_session(emu)
