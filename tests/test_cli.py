"""The command line as users meet it: exit codes, one-line errors, --help everywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from publisher.cli import cli


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher.cli", *args], capture_output=True, text=True)


def test_every_command_has_help() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--help"]).exit_code == 0
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage:" in result.output


def test_init_creates_a_portal_that_builds(tmp_path: Path) -> None:
    target = tmp_path / "new"
    assert run("init", str(target)).returncode == 0
    result = run("--project", str(target), "build")
    assert result.returncode == 0, result.stderr
    assert (target / "output/index.html").is_file()
    again = run("init", str(target))
    assert again.returncode == 2
    assert again.stderr.startswith("publisher: ") and "Traceback" not in again.stderr


def test_missing_rules_file_is_a_configuration_error(tmp_path: Path) -> None:
    result = run("--project", str(tmp_path), "build")
    assert result.returncode == 2
    assert "release_rules.yaml" in result.stderr and "publisher init" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_rules_file_names_the_key(portal: Path) -> None:
    rules = portal / "release_rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("level: county", "level: town", 1), encoding="utf-8")
    result = run("--project", str(portal), "build")
    assert result.returncode == 2
    assert "release_rules.yaml" in result.stderr and "departments.sthjj-chengdong.level" in result.stderr


def test_unknown_command_is_a_usage_error() -> None:
    assert run("frobnicate").returncode == 2
