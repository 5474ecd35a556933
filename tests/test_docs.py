"""Documentation tests: a command or loading rule that is not documented fails the suite."""

from __future__ import annotations

import re
from pathlib import Path

import click

from publisher.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def command_names(group: click.Group, prefix: str = "publisher") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        if isinstance(command, click.Group):
            names += command_names(command, full)
        else:
            names.append(full)
    return names


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in command_names(cli) if f"`{name}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_loading_rule_is_in_the_content_model() -> None:
    source = (ROOT / "publisher/content.py").read_text(encoding="utf-8")
    rules = set(re.findall(r'(?:err|warn)\(\s*"([a-z0-9-]+)"', source))
    doc = (ROOT / "docs/content-model.md").read_text(encoding="utf-8")
    missing = sorted(r for r in rules if f"`{r}`" not in doc)
    assert not missing, f"loading rules missing from docs/content-model.md: {missing}"
