"""Suite-wide isolation: no test reads or writes the user's own socialtap state, and no
test inherits another's in-memory rate-limit budget.

The CLI keeps checkpoints in the user state dir by default (platformdirs: ``$XDG_STATE_HOME``
on Linux). Tests run on developer machines and CI hosts whose home outlives the clone, and
an older or newer checkout's state file there must not decide whether this suite passes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("xdg-state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(home))
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limit_buckets() -> Iterator[None]:
    # Every test that runs a sandbox task uses the sandbox's one credential: without this,
    # Metrika's 60-per-minute bucket filled by earlier tests made a later one wait ~40 s.
    from socialtap.ratelimit import reset_limiters

    reset_limiters()
    yield
