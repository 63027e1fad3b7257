"""Example vendor plugin for socialtap's tests (vendor ``example``)."""
