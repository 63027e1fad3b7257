"""socialtap vendor plugin for CreatorAudit (``creatoraudit``): start tracking videos, never twice.

The plugin is declarative (see :mod:`socialtap_creatoraudit.plugin`); the core keys each
``POST /videos`` with an idempotency key and remembers what it created
(:mod:`socialtap.idempotency`).
"""
