"""Start-up: the root command imports a command's module only when it runs (issue 12
item 17), and its help, listed from ``cli.main.COMMANDS``, says what the commands do.

The timing itself is a benchmark (``benchmarks/cli/bench_startup.py``); these tests
check what makes it fast, and that the static list cannot drift from the commands.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dadkhahi.cli.main as cli_main
from dadkhahi.cli.main import COMMANDS, registered, summary

# What ``dadkhahi --help`` (and a usage error) must not import: every command module
# and the heavy libraries behind them.
HEAVY = ("dadkhahi.cli.lists", "dadkhahi.cli.link", "dadkhahi.cli.setup",
         "dadkhahi.cli.common", "dadkhahi.store.store", "sqlalchemy", "pandas", "numpy",
         "pydantic")


def _modules_after(*args: str) -> set[str]:
    """The modules a real process has imported once ``dadkhahi ARGS`` has finished."""
    code = (
        "import sys\n"
        f"sys.argv = ['dadkhahi', *{list(args)!r}]\n"
        "from dadkhahi.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return set(proc.stderr.split())


def test_help_and_a_usage_error_import_no_command_module() -> None:
    for args in (["--help"], ["--version"], ["nosuchcmd"]):
        loaded = _modules_after(*args)
        assert "typer" in loaded  # the probe saw the process's modules
        heavy = {m for m in loaded if m in HEAVY or m.startswith(("pandas.", "numpy."))}
        if args == ["nosuchcmd"]:
            # The error is printed through cli.common's console. Typer's coercion of the
            # root's options through Pydantic is not needed (cli.values).
            heavy -= {"dadkhahi.cli.common"}
            assert "dadkhahi.store.home" not in loaded
        assert not heavy, (args, heavy)
    # Running a command loads its own module, and only its unit's.
    loaded = _modules_after("lists", "--help")
    assert "dadkhahi.cli.lists" in loaded
    assert "dadkhahi.cli.publish" not in loaded and "dadkhahi.cli.estimate" not in loaded


def test_init_loads_neither_alembic_nor_rich_tables(tmp_path: Path) -> None:
    # Start-up of init (< 1 s): a new database is built from the declared tables and
    # stamped (store.migrate.create_at_head), so Alembic, its dialects and Mako (about
    # 0.1 s to import, and Mako loaded Pygments' lexers) are not loaded at all; printing
    # a line loaded Rich's tables.
    home = tmp_path / "home"
    loaded = _modules_after("--home", str(home), "init", "--origin", "startup.test/a")
    assert (home / "keys").is_dir() and "dadkhahi.store.store" in loaded
    assert not {m for m in loaded if m.startswith(("alembic", "mako", "pygments"))}
    assert "rich.table" not in loaded and "pydantic" not in loaded
    # Signing needs raw Ed25519 bytes, not cryptography's serialization module (which
    # loads its SSH and PKCS#12 code).
    assert "cryptography.hazmat.primitives.serialization" not in loaded


def test_the_static_list_of_commands_is_the_real_one() -> None:
    modules = {module for module, _ in COMMANDS.values()}
    every: set[str] = set()
    for module in sorted(modules):
        built = registered(module)
        every |= set(built)
        # Each command listed under a module is registered by it, with that summary
        # (another module may also add to a name it does not own: cases adds the
        # 'sources link' that objects' 'sources' shows).
        listed = {name for name, (m, _) in COMMANDS.items() if m == module}
        assert listed <= set(built), (module, listed - set(built))
        for name in listed:
            assert COMMANDS[name][1] == summary(built[name]), name
    # No command registered anywhere is missing from the list (nor listed in vain).
    assert every == set(COMMANDS)
    # Every module of dadkhahi.cli that registers commands is in the list.
    package = Path(cli_main.__file__).parent
    registering = {p.stem for p in package.glob("*.py")
                   if "\ndef register(" in p.read_text("utf-8")}
    assert registering == modules


def test_the_root_help_lists_every_command_and_the_lazy_ones_run() -> None:
    from typer.testing import CliRunner

    from dadkhahi.cli.main import app

    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    words = " ".join(result.output.split())
    for name, (_, line) in COMMANDS.items():
        assert f"{name} {line}" in words, name
    # 'sources' holds both the object reads and the provenance link of cases.
    result = CliRunner().invoke(app, ["sources", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert all(f" {c} " in result.output for c in ("list", "show", "link")), result.output


def test_evidence_add_loads_neither_pydantic_nor_pillow(tmp_path: Path) -> None:
    # Start-up of an add comes before (now: beside) the copy of its files (issue 12 item
    # 17): Typer's Pydantic coercion of text, paths and choices (cli.values), and Pillow
    # for a file that is no image (intake.evidence), are left out.
    home = tmp_path / "home"
    _modules_after("--home", str(home), "init", "--origin", "startup.test/b")
    note = tmp_path / "note.txt"
    note.write_text("SYNTHETIC note\n")
    loaded = _modules_after("--home", str(home), "evidence", "add", str(note),
                            "--source-title", "SYNTHETIC", "--kind", "document",
                            "--sensitivity", "restricted")
    assert "dadkhahi.intake.evidence" in loaded and list(home.glob("blobs/??/??/*"))
    assert not {m for m in loaded if m.startswith(("pydantic", "PIL"))}


def test_a_closed_form_estimate_loads_neither_pydantic_nor_rich_progress(
        tmp_path: Path) -> None:
    # Issue 12 item 17 (`estimate --method chao` < 1 s): every option's default went
    # through Typer's Pydantic coercion, numbers included (cli.values now takes a number
    # given as its default as it is), and a progress bar with its refresh thread was set
    # up for an estimate that takes milliseconds.
    table = tmp_path / "histories.csv"
    table.write_text("A,B,count\n1,0,10\n0,1,8\n1,1,4\n", "utf-8")
    loaded = _modules_after("estimate", "--table", str(table), "--method", "chao")
    assert "dadkhahi.estimate.reference" in loaded
    assert not {m for m in loaded if m.startswith(("pydantic", "rich.progress"))}
    # A number typed on the command line is still read (and checked) by Typer's own.
    typed = _modules_after("estimate", "--table", str(table), "--method", "chao",
                           "--level", "0.9")
    assert "dadkhahi.estimate.reference" in typed and "pydantic" in typed
