"""The real-n8n tests run only when ``SOCIALTAP_N8N`` names an n8n executable (``make test-n8n``
installs Node 24 + n8n into the user cache and sets it); the fast suite skips this folder."""

from __future__ import annotations

import os

if not os.environ.get("SOCIALTAP_N8N"):
    collect_ignore_glob = ["*"]
