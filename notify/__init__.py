"""novajoin-notify: keep FreeIPA true to the cloud, driven by nova and neutron notifications."""
