from socialtap import Task, iter_records
from socialtap.testing import sandbox_task_options, serve_sandbox


def test_example_profiles_end_to_end():
    with serve_sandbox("example") as sandbox:
        task = Task("example", "profiles", {"profile_id": ["a", "b"]}, sandbox.credentials, sandbox_task_options(sandbox))
        records = list(iter_records(task))
    assert [r.account_id for r in records if type(r).__name__ == "Account"] == ["a", "b"]
