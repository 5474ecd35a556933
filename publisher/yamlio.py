"""Strict, safe YAML reading for every YAML file the project reads.

PyYAML's SafeLoader still follows YAML 1.1, which silently misreads values departments write
every day: ``09:30`` becomes 570 (base 60), ``NO`` (a pollutant, or Norway) becomes False, a
station code ``0123`` becomes 83 (octal). This loader resolves only the unambiguous YAML 1.2
core forms (true/false, null, decimal integers and floats); every other plain scalar stays a
string, and the ambiguous ones are reported so the author quotes them. Duplicate keys are an
error; aliases are refused outright (no expansion bombs); Python tags cannot be constructed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .report import Finding, error

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|(0|[1-9][0-9]*)(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_NULL = {"null", "Null", "NULL", "~", ""}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
# Plain scalars that YAML 1.1 tools would turn into numbers or booleans.
_AMBIGUOUS = re.compile(
    r"^(yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF"  # 1.1 booleans (PyYAML never took y/n)
    r"|[-+]?0[0-9_]+"  # leading zero: octal in 1.1, a code in practice
    r"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"  # sexagesimal 09:30
    r"|[-+]?[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?"  # 1_000
    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|0x[0-9a-fA-F_]+|0b[01_]+)$"
)


@dataclass
class _Ambiguous:
    value: str
    line: int


# libyaml's parser when PyYAML has it (several times faster); construction stays in Python.
_BASE = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader


class _StrictLoader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader with YAML 1.2-core implicit typing, no aliases, no duplicate keys."""

    yaml_implicit_resolvers: dict = {}  # resolve nothing implicitly; see construct_scalar

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.ambiguous: list[_Ambiguous] = []
        self.problems: list[tuple[str, int, str, str]] = []


    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                continue
            if key in seen:
                self.problems.append(
                    (
                        "yaml-duplicate-key",
                        key_node.start_mark.line + 1,
                        f"键 '{key}' 重复出现，后一个会覆盖前一个",
                        f"key '{key}' appears twice; the second would silently replace the first",
                    )
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Characters that XML 1.0 forbids or that no text means: C0 controls but tab and line breaks, DEL, C1
# controls, noncharacters. YAML's escapes ("\x1b", "\0", "\x85", "\uFFFE") produce them from
# plain ASCII; one in a title made every Atom feed of the portal malformed.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


def _construct_plain(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    value = node.value
    bad = CONTROL_CHARACTERS.search(value)
    if bad:
        code = f"U+{ord(bad.group()):04X}"
        loader.problems.append(("yaml-control-character", node.start_mark.line + 1,
                                f"文本中含有控制字符 {code}（多由转义写法如 \\x1b 产生），请删除",
                                f"the text holds the control character {code} (often from an escape such as "
                                "\\x1b); remove it"))
    if node.style:  # quoted or block scalar: always a string (plain is None, or "" from libyaml)
        return value
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value) and any(c.isdigit() for c in value):
        return float(value)
    if _AMBIGUOUS.match(value):
        loader.ambiguous.append(_Ambiguous(value, node.start_mark.line + 1))
    return value


_StrictLoader.add_constructor("tag:yaml.org,2002:str", _construct_plain)
# Explicit tags other than the standard ones are refused by SafeLoader already.


def _refuse_aliases(root: yaml.Node | None) -> None:
    """An alias makes one node appear twice in the tree: refuse it before anything is built
    from it, so no expansion bomb can grow. The error points at where the alias is used."""
    seen: set[int] = set()
    stack = [(root, root.start_mark)] if root is not None else []
    while stack:
        node, where = stack.pop()
        if id(node) in seen:
            raise yaml.MarkedYAMLError("aliases are not allowed", where, "found an alias (*name)", where)
        seen.add(id(node))
        # children pushed in reverse, so nodes are visited in document order and the second
        # (textually later) occurrence is the one reported
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack += [(value, key.start_mark), (key, key.start_mark)]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(child, node.start_mark) for child in reversed(node.value)]


def load_yaml(text: str, file: str, item: str | None = None) -> tuple[Any, list[Finding]]:
    """Parse ``text`` strictly. Returns the data (None when unreadable) and the findings."""
    findings: list[Finding] = []
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        _refuse_aliases(node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        findings.append(
            error(
                "yaml-invalid",
                f"不是有效的 YAML：{problem}",
                f"not valid YAML: {problem}",
                item=item,
                file=file,
                row=row,
            )
        )
        return None, findings
    finally:
        loader.dispose()
    for rule, row, zh, en in loader.problems:
        findings.append(error(rule, zh, en, item=item, file=file, row=row))
    for amb in loader.ambiguous:
        findings.append(
            error(
                "yaml-ambiguous-value",
                f"值 {amb.value} 有歧义（旧版 YAML 会把它读成数字或真假值），请加引号：'{amb.value}'",
                f"value {amb.value} is ambiguous (YAML 1.1 reads it as a number or boolean); "
                f"quote it: '{amb.value}'",
                item=item,
                file=file,
                row=amb.line,
            )
        )
    return data, findings


def read_yaml(path: Path, root: Path, item: str | None = None) -> tuple[Any, list[Finding]]:
    """Read and parse a YAML file; an undecodable file is a finding too."""
    rel = relpath(path, root)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [
            error(
                "file-encoding",
                f"文件不是 UTF-8 编码（第 {exc.start} 字节），请另存为 UTF-8",
                f"file is not UTF-8 (byte {exc.start}); save it as UTF-8",
                item=item,
                file=rel,
            )
        ]
    return load_yaml(text, rel, item)


def relpath(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form, for messages."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
