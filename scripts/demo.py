"""`make demo`: a real fetch over HTTP through a vendor sandbox into an embedded SQLite file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from socialtap.outputs import sqlite_summary

DB = Path("demo/socialtap.sqlite")
COMMAND = [
    "socialtap",
    "run",
    "metrika",
    "accounts",
    "-p",
    "resources=instagram:natgeo",
    "-p",
    "resources=instagram:nasa",
    "-p",
    "resources=youtube:nasa",
    "-p",
    "resources=tiktok:new_creator",
    "-p",
    "resources=x:unknown_handle",
    "--sandbox",
    "--format",
    "sqlite",
    "--output",
    str(DB),
]


def main() -> int:
    bin_dir = Path(sys.executable).parent
    # A fresh file each time, so the summary shows this run only (a second run into the
    # same file would upsert, not duplicate).
    DB.unlink(missing_ok=True)
    print("$", " ".join(COMMAND), flush=True)
    done = subprocess.run([str(bin_dir / COMMAND[0]), *COMMAND[1:]], check=False)
    if done.returncode:
        return done.returncode
    with sqlite3.connect(DB) as db:
        print(f"\n{DB} now holds:")
        for table, count in sqlite_summary(DB).items():
            print(f"  {table:<12} {count:>5} rows")
        print("\naccounts:")
        for row in db.execute("SELECT platform, account_id, status FROM account ORDER BY platform, account_id"):
            print("  " + "  ".join(str(v) for v in row))
        print("\nlatest observations:")
        rows = db.execute("SELECT platform, entity_id, metric, value, status FROM observation ORDER BY entity_id, metric LIMIT 8")
        for row in rows:
            print("  " + "  ".join("null" if v is None else str(v) for v in row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
