"""Thin adapters to the services novajoin-notify talks to (IPA, keystone, nova, glance)."""
