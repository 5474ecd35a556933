"""The registry as an approved item: its own loading rules, and what a build does without it.

``content/registry.yaml`` lists the areas, monitoring sites and enterprises that every dataset's
rows refer to, and gives them the names the portal shows. It is submitted and approved like any
item (item id ``registry``, owned by the city ecology and environment bureau); the build lays out
its newest approved version from the archive, never the working copy
(:func:`publisher.workflow.release_tree`). Rule ids: ``registry-invalid``,
``registry-entry-invalid``, ``registry-id-duplicate``, ``registry-area-unknown``,
``registry-list-unknown``, ``registry-entry-removed``, ``registry-not-approved``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .report import Finding, error, warning

if TYPE_CHECKING:
    from .content import Content, Dataset

REGISTRY_ITEM = "registry"  # publisher.content.REGISTRY_ID; repeated here to avoid an import cycle
REGISTRY_PATH = "content/registry.yaml"
REGISTRY_LISTS = ("areas", "air_stations", "water_sections", "enterprises", "noise_points", "radiation_stations",
                  "soil_points", "groundwater_wells", "ecology_sites", "weather_stations")
TOP_KEYS = ("city", *REGISTRY_LISTS)


def entry_key(list_name: str) -> str:
    """The key that names an entry of ``list_name``: areas by their code, the rest by id."""
    return "code" if list_name == "areas" else "id"


def registry_findings(data: Any, file: str = REGISTRY_PATH) -> list[Finding]:
    """The registry's own loading rules: a mapping of known lists, each entry a mapping with its
    id (areas: code) and name, ids unique within a list, areas that exist."""
    where = {"item": REGISTRY_ITEM, "file": file}
    if not isinstance(data, dict):
        return [error("registry-invalid", "登记表必须是键值映射（city、areas、air_stations 等列表）",
                      "the registry must be a mapping (city, areas, air_stations and other lists)", **where)]
    out: list[Finding] = []
    for key in data:
        if key not in TOP_KEYS:
            out.append(warning("registry-list-unknown", f"登记表中未知的列表 '{key}'（可用：{', '.join(REGISTRY_LISTS)}）",
                               f"unknown registry list '{key}' (known: {', '.join(REGISTRY_LISTS)})", key=str(key),
                               **where))
    areas = {str(a.get("code")) for a in data.get("areas") or [] if isinstance(a, dict)}
    for name in REGISTRY_LISTS:
        entries = data.get(name)
        if entries is None:
            continue
        if not isinstance(entries, list):
            out.append(error("registry-invalid", f"登记表的 '{name}' 必须是列表", f"the registry's '{name}' must be a list",
                             key=name, **where))
            continue
        seen: set[str] = set()
        ident = entry_key(name)
        for i, entry in enumerate(entries):
            key = f"{name}[{i}]"
            if not isinstance(entry, dict):
                out.append(error("registry-invalid", f"'{key}' 必须是键值映射", f"'{key}' must be a mapping",
                                 key=key, **where))
                continue
            for required in (ident, "name"):
                if entry.get(required) in (None, ""):
                    out.append(error("registry-entry-invalid", f"'{key}' 缺少 '{required}'",
                                     f"'{key}' has no '{required}'", key=f"{key}.{required}", **where))
            value = entry.get(ident)
            if value in (None, ""):
                continue
            if str(value) in seen:
                out.append(error("registry-id-duplicate", f"'{key}.{ident}' 的 {value} 在 {name} 中重复出现",
                                 f"'{key}.{ident}' {value} appears twice in {name}", key=f"{key}.{ident}", **where))
            seen.add(str(value))
            area = entry.get("area")
            if name != "areas" and areas and area is not None and str(area) not in areas:
                out.append(error("registry-area-unknown", f"'{key}.area' 的行政区 {area} 不在登记表 areas 中",
                                 f"'{key}.area' {area} is not an area of the registry", key=f"{key}.area", **where))
    return out


def registry_ids(data: dict[str, Any]) -> dict[str, set[str]]:
    """Every list's entry ids (areas: codes)."""
    found: dict[str, set[str]] = {}
    for name in REGISTRY_LISTS:
        entries = data.get(name) if isinstance(data, dict) else None
        if isinstance(entries, list):
            found[name] = {str(e.get(entry_key(name))) for e in entries
                           if isinstance(e, dict) and e.get(entry_key(name)) not in (None, "")}
    return found


def removed_entries(previous: dict[str, Any], current: dict[str, Any], version: int,
                    file: str = REGISTRY_PATH) -> list[Finding]:
    """Entries of the approved registry (version ``version``) missing from ``current``: errors.

    An approved dataset's rows name those entries; without them its reference check fails and
    it, and every bulletin citing it, would vanish from the portal. An entry is kept (a closed
    station keeps its name for the data published under it); its details may change.
    """
    before, after = registry_ids(previous), registry_ids(current)
    out = []
    for name, ids in before.items():
        for gone in sorted(ids - after.get(name, set())):
            out.append(error(
                "registry-entry-removed",
                f"登记表第 {version} 版已批准的 {gone}（{name}）被删除：已批准的数据可能引用它，登记项只能修改、不能删除",
                f"{gone} ({name}), approved in version {version} of the registry, was removed: approved data may "
                "refer to it; an entry may be changed but never removed", item=REGISTRY_ITEM, file=file, key=name))
    return out


def needs_registry(ds: Dataset) -> list[str]:
    """Why a dataset cannot be published without an approved registry: the registry lists its
    columns refer to, or its derivation (derived methods read stations, sections, limits)."""
    lists = sorted({f.references for r in ds.resources for f in r.fields if f.references})
    if ds.derived is not None:
        lists.append(f"derived:{ds.derived.method}")
    return lists


def registry_not_approved(content: Content) -> list[Finding]:
    """A build's findings while no registry version is approved: each dataset that needs the
    registry is held back with this error (bulletins citing it follow through the release decision)."""
    out = []
    for ds in sorted(content.datasets.values(), key=lambda d: d.id):
        lists = needs_registry(ds)
        if lists:
            out.append(error(
                "registry-not-approved",
                f"登记表尚未批准：本数据集需要登记表（{', '.join(lists)}），登记表首次批准前不发布（publisher submit registry）",
                f"the registry has not been approved yet: this dataset needs it ({', '.join(lists)}) and is not "
                "published before the registry's first approval (publisher submit registry)",
                item=ds.id, file=f"content/datasets/{ds.id}/dataset.yaml"))
    return out
