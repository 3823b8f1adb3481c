"""Regenerate migration 0001 from the current tables (only until the first release).

    .venv/bin/python scripts/regen_initial_migration.py

Before the first release the schema has one migration, regenerated whenever
tables change; after it, every change gets a new Alembic revision instead.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from dadkhahi.store.migrate import MIGRATIONS, alembic_config


def main() -> None:
    for old in (MIGRATIONS / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config()
        cfg.set_main_option("sqlalchemy.url", f"sqlite:///{Path(tmp) / 'empty.sqlite'}")
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    new = next((MIGRATIONS / "versions").glob("0001_*.py"))
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "format", "-q", str(new)], check=True)
    subprocess.run([str(ruff), "check", "-q", "--fix", str(new)], check=False)
    print(f"wrote {new}")


if __name__ == "__main__":
    main()
