"""Creating a new portal project (``publisher init``)."""

from __future__ import annotations

from pathlib import Path

from .config import RULES_FILE

RULES_TEMPLATE = """\
# 发布规则 · Release rules. See docs/rules.md of publisher for every key.
version: 1

site:
  name: {zh: 生态环境监测信息发布平台, en: Environmental Monitoring Portal}
  publisher: {zh: 生态环境局, en: Ecology and Environment Bureau}
  city: {code: "000000", name: 本市}
  timezone: Asia/Shanghai
  license: CC-BY-4.0

departments:
  sthjj: {name: {zh: 生态环境局, en: Ecology and Environment Bureau}, level: city, area: "000000"}
"""

REGISTRY_TEMPLATE = """\
# 登记表 · Registry: administrative areas, monitoring sites and enterprises. See docs/content-model.md.
city: {code: "000000", name: 本市}
areas: []
air_stations: []
water_sections: []
enterprises: []
"""


def init_project(directory: Path) -> Path:
    """Create an empty portal in ``directory`` that builds at once. Refuses to overwrite."""
    directory = Path(directory)
    if (directory / RULES_FILE).exists() or (directory / "content").exists():
        raise FileExistsError(
            f"{directory} 已经是一个门户，未做任何改动 / {directory} already holds a portal; nothing was changed"
        )
    (directory / "content" / "datasets").mkdir(parents=True, exist_ok=True)
    (directory / "content" / "bulletins").mkdir(parents=True, exist_ok=True)
    (directory / RULES_FILE).write_text(RULES_TEMPLATE, encoding="utf-8")
    (directory / "content" / "registry.yaml").write_text(REGISTRY_TEMPLATE, encoding="utf-8")
    (directory / ".gitignore").write_text("/output/\n", encoding="utf-8")
    return directory.resolve()
