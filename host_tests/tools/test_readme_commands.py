"""The README's shell examples run as written, on a copy of the repository.

Blocks fenced ```sh, ```bash, ```shell or ```console are read. In a block with `$ `
prompts, each prompt line is a command and the lines after it, up to the next prompt,
are its expected stdout (compared exactly); in a block without prompts every line is a
command (a trailing \\ joins lines; `# ...` comments are left to the shell). The
commands run in README order (a later one may use an earlier one's file), each with
bash in one temporary copy of the repository (.venv and node_modules linked, not copied),
so the repository is never written to. Each must exit 0 and print no traceback.

Skipped, by these rules only (SKIP): `make setup`, `make test` and `make bench` (the
setup these tests run in, the suite itself, a 6-minute bench), `make sim` (interactive)
and `make clean` (would remove the linked .venv); a command naming a serial port
(`PORT=`, `/dev/`): it needs a board, real or started by hand; `virtual_pico.py`,
`virtual_board.py` and `mpremote` on their own: a board by hand, serving until stopped.
"""

import os
import re
import shutil
import subprocess

import pytest
from conftest import ROOT

FENCES = ("sh", "bash", "shell", "console")
SKIP = [
    (r"^make (setup|test|bench|sim|clean)\b", "make setup/test/bench/sim/clean"),
    (r"PORT=|/dev/", "needs a board on a serial port"),
    (r"tools/virtual_(pico|board)\.py|mpremote", "a board by hand, serving until stopped"),
]


def blocks(text):
    """The lines of each shell code block."""
    found, current = [], None
    for line in text.splitlines():
        fence = line.strip()
        if current is None and fence.startswith("```") and fence[3:].strip() in FENCES:
            current = []
        elif current is not None and fence.startswith("```"):
            found.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return found


def joined(lines):
    """Lines with trailing-backslash continuations joined."""
    out, pending = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
        else:
            out.append(pending + line)
            pending = ""
    return out


def commands(text):
    """(command, expected stdout or None) for each command of the README, in order."""
    out = []
    for block in blocks(text):
        lines = joined(block)
        if any(line.startswith("$ ") for line in lines):
            for line in lines:
                if line.startswith("$ "):
                    out.append([line[2:], []])
                elif out:
                    out[-1][1].append(line)
        else:
            out += [[line.strip(), None] for line in lines
                    if line.strip() and not line.strip().startswith("#")]
    return [(cmd, None if want is None else "\n".join(want).strip()) for cmd, want in out]


def skipped(command):
    for pattern, why in SKIP:
        if re.search(pattern, command):
            return why
    return None


README_COMMANDS = commands((ROOT / "README.md").read_text())


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A copy of the repository, its installed parts linked."""
    dst = tmp_path_factory.mktemp("readme") / "stsmeter"
    shutil.copytree(ROOT, dst, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", ".sim", ".sim-pico", "build", ".pytest_cache",
        ".hypothesis", "__pycache__"))
    for part in (".venv", "tools/wasm/node_modules", "tools/pico/node_modules"):
        if (ROOT / part).exists():
            os.symlink((ROOT / part).resolve(), dst / part)
    return dst


def test_the_readme_has_commands_to_run():
    run = [c for c, _ in README_COMMANDS if not skipped(c)]
    assert len(run) >= 4, README_COMMANDS


def test_host_tools_are_run_with_the_venv_python():
    bare = [c for c, _ in README_COMMANDS if re.search(r"(^|[|;&]\s*)python3? tools/", c)]
    assert bare == [], "write .venv/bin/python tools/...: %s" % bare


@pytest.mark.parametrize("command,expected", README_COMMANDS,
                         ids=[c[:70] for c, _ in README_COMMANDS])
def test_readme_command_runs(command, expected, repo):
    why = skipped(command)
    if why:
        pytest.skip(why)
    p = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=repo,
                       capture_output=True, text=True, timeout=600)
    assert "Traceback" not in p.stdout + p.stderr, p.stderr
    assert p.returncode == 0, (p.returncode, p.stderr)
    if expected is not None:
        assert p.stdout.strip() == expected
