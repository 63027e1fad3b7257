"""socialtap vendor plugin for Metrika (``metrika``): account metrics across seven platforms.

The plugin is declarative (see :mod:`socialtap_metrika.plugin`); the core's default
hooks do the batching, auth and normalization plumbing.
"""
