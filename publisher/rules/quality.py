"""Data-quality screens: patterns that are not wrong for sure, but need a person's look.

They are warnings by default (``quality.<screen>.severity``): an approver must acknowledge them.
Each works per series (a station, an enterprise's outlet: the primary key without its time
column) in time order, vectorised over whole columns.

``series-flatline``
    at least ``min_run`` identical consecutive values (a stuck analyser, a copied row);
``value-spike``
    a value that jumps away from *both* neighbours, in the same direction, by more than
    ``robust_z`` times the series' robust scale (1.4826 × the median absolute change) and by
    at least ``min_jump``;
``series-gap``
    no value for longer than ``max_hours`` and longer than three times the series' usual interval;
``permit-limit-clustering``
    more than ``max_share`` of an enterprise's values of a parameter lie within ``band`` (e.g.
    90-100 %) of its permit limit in the registry: values that hug the limit deserve a second look.

Derived datasets (docs/derived.md) are not screened: they are computed, not measured, and their
inputs were screened when they were submitted.

Example: the analyser at ``aq-hubin`` reported the same SO2 for 30 hours::

    ...air.csv:2210, column 'so2': warning [series-flatline]
      aq-hubin 的 so2 连续 30 个值都是 7（2025-04-02T09:00+08:00 至 2025-04-03T14:00+08:00），仪器可能卡滞
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Screen
from ..report import Finding, Severity
from . import base
from .base import ItemContext, ResourceData, for_each_column

MIN = np.iinfo(np.int64).min
SAMPLE = 200_000  # values used to estimate a series' scale or interval


def check_resource(ctx: ItemContext, data: ResourceData) -> list:
    screens = ctx.rules.quality
    if not screens or data.n < 3 or ctx.dataset.derived is not None:
        # a derived table (e.g. only the days over a limit) is not a measured series: its
        # inputs were screened as they were submitted
        return []
    if "permit_clustering" in screens and ctx.dataset.category == "pollution_source":
        _permit_clustering(ctx, data, screens["permit_clustering"])
    t = data.times()
    if t is None:
        return []
    order = data.order()
    s = data.series_codes()
    if order is not None:
        t, s = t[order], s[order]
    same = s[1:] == s[:-1]
    index = order if order is not None else _FileOrder()
    label = _labeller(data)
    gaps = _GapScreen.prepare(data, screens["gap"], t, s, same) if "gap" in screens else None
    automatic = data.sub_daily()  # flat lines and spikes are screens for automatic monitoring
    value_column = (screens.get("permit_clustering").options.get("value_column")
                    if "permit_clustering" in screens else None) or "value"
    columns = [f for f in data.fields("number", "integer") if f.parameter or f.name == value_column]
    for f in columns:  # worked out before the threads start
        data.numbers(f.name)
        data.empty_rows(f.name)

    step = max(1, (data.n - 1) // SAMPLE)  # the changes a spike's scale is estimated from
    sample = (step, np.ascontiguousarray(s[1::step]), np.ascontiguousarray(same[::step]))

    def screen(f, c: ItemContext) -> None:
        x = data.numbers(f.name)
        if x is None:
            return
        if order is not None:
            x = x[order]
        if gaps is not None:
            _gaps(c, data, gaps, f.name, x, _no_value(data, f.name, x, order, gaps), index, label)
        if automatic and "flatline" in screens:
            _flatline(c, data, screens["flatline"], f.name, x, t, same, index, label)
        if automatic and "spike" in screens:
            _spikes(c, data, screens["spike"], f.name, x, t, s, same, sample, index, label)

    for_each_column(ctx, data, columns, screen)
    return []


class _FileOrder:
    """The row of each position when the file is already in series-then-time order: itself."""

    def __getitem__(self, positions):
        return positions


def _labeller(data: ResourceData):
    names = data.series_fields()

    def label(row: int) -> str:
        return " / ".join(data.value_text(n, row) for n in names) or "?"
    return label


def _flatline(ctx, data, screen, column, x, t, same, index, label) -> None:
    n_min = int(screen.options["min_run"])
    equal = same & (x[1:] == x[:-1])  # NaN never equals NaN: gaps break a run
    # A run of n equal values is n - 1 consecutive True in ``equal``: test that cheaply first
    # by AND-ing shifted copies (log2(n) passes over a boolean array).
    probe, width = equal, 1
    while width < n_min - 1 and probe.any():
        step = min(width, n_min - 1 - width)
        probe = probe[:-step] & probe[step:]
        width += step
    if not probe.any():
        return
    starts = np.concatenate(([True], ~equal))
    run_id = np.cumsum(starts) - 1
    lengths = np.bincount(run_id)
    long_runs = np.flatnonzero(lengths >= n_min)
    if long_runs.size == 0:
        return
    start_pos = np.flatnonzero(starts)[long_runs]
    info = {}
    for pos, length in zip(start_pos.tolist(), lengths[long_runs].tolist()):
        if np.isnan(x[pos]):
            continue
        info[int(index[pos])] = (length, x[pos], t[pos], t[pos + length - 1])
    rows = np.array(sorted(info), dtype=np.int64)
    ctx.out.rows("series-flatline", Severity(screen.severity), rows,
                 lambda r: (f"{label(r)} 的 {column} 连续 {info[r][0]} 个值都是 {info[r][1]:g}"
                            f"（{data.when(info[r][2])} 至 {data.when(info[r][3])}），仪器可能卡滞"),
                 lambda r: (f"{label(r)}, {column}: {info[r][0]} identical values {info[r][1]:g} in a row "
                            f"({data.when(info[r][2])} to {data.when(info[r][3])}); "
                            "a stuck analyser?"),
                 table=data.table, item=ctx.item_id, column=column)


def _series_scale(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """1.4826 x the median absolute change per series (its mean where the median is 0), by series code.

    ``groups`` is in series order (the rows are sorted by series), so each series is one stretch.
    """
    step = max(1, values.size // (SAMPLE // 4))
    sample, sample_groups = values[::step], groups[::step]
    ids, medians = _stretch_medians(sample, sample_groups)
    scale = 1.4826 * medians
    if not (scale > 0).all():  # the mean only where the median is 0 (mostly constant series)
        means = pd.Series(sample).groupby(sample_groups).mean().to_numpy()
        scale = np.where(scale > 0, scale, means)
    out = np.full(int(groups.max()) + 1 if groups.size else 1, np.nan)
    out[ids] = scale
    return out


def _stretch_medians(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each group's median, as pandas' ``groupby().median()`` gives it (the middle value, or the
    mean of the two middle ones), by sorting each group's stretch when ``groups`` is sorted.
    ``values`` has no NaN."""
    starts = np.flatnonzero(np.concatenate(([True], groups[1:] != groups[:-1])))
    if starts.size > 1000 or (groups[1:] < groups[:-1]).any():  # unsorted, or so many series that a loop is slow
        medians = pd.Series(values).groupby(groups).median()
        return medians.index.to_numpy(), medians.to_numpy()
    counts = np.diff(np.append(starts, groups.size))
    ordered = np.concatenate([np.sort(values[a:a + c]) for a, c in zip(starts.tolist(), counts.tolist())])
    low, high = ordered[starts + (counts - 1) // 2], ordered[starts + counts // 2]
    return groups[starts], np.where(counts % 2 == 1, low, (low + high) / 2)


def _spikes(ctx, data, screen, column, x, t, s, same, sample, index, label) -> None:
    z = float(screen.options["robust_z"])
    floor = float(screen.options.get("min_jump", 0) or 0)
    step, s_sample, same_sample = sample
    d_sample = x[1::step] - x[:-1:step]  # every step-th change, x[i + 1] - x[i]
    keep = same_sample & ~np.isnan(d_sample)
    if not keep.any():
        return
    scale = _series_scale(np.abs(d_sample[keep]), s_sample[keep])
    if not np.isfinite(scale).any():
        return
    # Screen with the smallest scale first, then check each candidate: a spike leaves both
    # neighbours, so the changes into and out of it are both big and of opposite signs.
    cand = _both_changes_exceed(x, max(z * np.nanmin(scale), floor))
    if cand.size == 0:
        return
    d_in, d_out = x[cand] - x[cand - 1], x[cand + 1] - x[cand]
    jump = np.minimum(np.abs(d_in), np.abs(d_out))
    codes = s[cand]
    cand_scale = np.where(codes < scale.size, scale[np.clip(codes, 0, scale.size - 1)], np.nan)
    with np.errstate(invalid="ignore"):
        ok = (same[cand - 1] & same[cand] & (d_in * d_out < 0) & (jump > z * cand_scale) & (jump > floor)
              & (cand_scale > 0))
    pos = cand[ok]
    if pos.size == 0:
        return
    info = {int(index[p]): (x[p], x[p - 1], x[p + 1], t[p]) for p in pos[: ctx.out.cap * 2].tolist()}
    rows = index[pos]
    ctx.out.rows("value-spike", Severity(screen.severity), rows,
                 lambda r: (f"{label(r)} 的 {column} 在 {data.when(info[r][3])} 突变为 {info[r][0]:g}"
                            f"（前后分别为 {info[r][1]:g}、{info[r][2]:g}），请核实" if r in info else
                            f"{label(r)} 的 {column} 有突变值，请核实"),
                 lambda r: (f"{label(r)}, {column}: a spike to {info[r][0]:g} at {data.when(info[r][3])} "
                            f"(neighbours {info[r][1]:g} and {info[r][2]:g}); please verify" if r in info else
                            f"{label(r)}, {column}: a spike; please verify"),
                 table=data.table, item=ctx.item_id, column=column)


def _both_changes_exceed(x: np.ndarray, limit: float) -> np.ndarray:
    """Positions ``i`` where both |x[i] - x[i-1]| and |x[i+1] - x[i]| exceed ``limit`` (NaN never does).

    Worked out a block at a time (see ``base.BLOCK``).
    """
    found = [np.empty(0, dtype=np.int64)]
    for start in range(0, x.size - 2, base.BLOCK):
        part = x[start:start + base.BLOCK + 2]
        change = part[1:] - part[:-1]
        with np.errstate(invalid="ignore"):
            big = (change > limit) | (change < -limit)
        found.append(np.flatnonzero(big[:-1] & big[1:]) + (start + 1))
    return np.concatenate(found)


def _typical_step(data: ResourceData, t: np.ndarray, same: np.ndarray) -> float:
    """The usual time between two values of a series (median over a sample), cached per file."""
    if "typical_step" not in data._cache:
        head = t[: SAMPLE + 1]
        keep = same[: head.size - 1] & (head[:-1] != MIN) & (head[1:] != MIN)
        steps = np.diff(head)[keep]
        steps = steps[steps > 0]
        data._cache["typical_step"] = float(np.median(steps)) if steps.size else 0.0
    return data._cache["typical_step"]


@dataclass
class _GapScreen:
    """What the gap screen of every column of a file shares, worked out once.

    ``long_steps`` are the positions ``p`` (in series-then-time order) where the next row, of
    the same series, comes more than ``limit`` ms later: the gaps in the rows themselves;
    ``missing_time`` the positions of rows without a time (None when there are none).
    """

    screen: Screen
    t: np.ndarray
    s: np.ndarray
    limit: float
    long_steps: np.ndarray
    missing_time: np.ndarray | None

    @classmethod
    def prepare(cls, data: ResourceData, screen: Screen, t: np.ndarray, s: np.ndarray,
                same: np.ndarray) -> _GapScreen | None:
        typical = _typical_step(data, t, same)
        if typical <= 0:
            return None
        limit = max(float(screen.options["max_hours"]) * 3_600_000, 3 * typical)
        missing_time = np.flatnonzero(t == MIN) if t.min() == MIN else None
        # A missing time (MIN) makes a nonsense step, but such rows count as having no value and
        # are never one end of a reported pair. A block at a time: see base.BLOCK.
        long_steps = [np.flatnonzero((np.diff(t[a:a + base.BLOCK + 1]) > limit) & same[a:a + base.BLOCK]) + a
                      for a in range(0, t.size - 1, base.BLOCK)]
        return cls(screen, t, s, limit, np.concatenate([np.empty(0, dtype=np.int64), *long_steps]), missing_time)


def _no_value(data: ResourceData, name: str, x: np.ndarray, order: np.ndarray | None,
              gaps: _GapScreen) -> np.ndarray:
    """Positions (ascending, in series-then-time order) without a value: an empty cell or no time."""
    if order is None:
        empty = data.empty_rows(name)
    else:
        empty = np.flatnonzero(np.isnan(x))
    return empty if gaps.missing_time is None else np.union1d(empty, gaps.missing_time)


def _gaps(ctx, data, gaps: _GapScreen, column, x, gone, index, label) -> None:
    """Gaps between consecutive values of one column (missing rows and empty cells alike)."""
    prev_rows, next_rows = _gap_pairs(x.size, gone, gaps)
    if next_rows.size == 0:
        return
    t = gaps.t
    rows = index[next_rows]
    info = {int(index[n]): (t[p], t[n]) for p, n in zip(prev_rows[: ctx.out.cap * 2].tolist(),
                                                      next_rows[: ctx.out.cap * 2].tolist())}
    ctx.out.rows("series-gap", Severity(gaps.screen.severity), rows,
                 lambda r: (f"{label(r)} 的 {column} 在 {data.when(info[r][0])} 至 "
                            f"{data.when(info[r][1])} 之间 {_hours(info[r])} 没有数据" if r in info else
                            f"{label(r)} 的 {column} 有长时间缺数"),
                 lambda r: (f"{label(r)}, {column}: no data for {_hours(info[r], 'en')} between "
                            f"{data.when(info[r][0])} and {data.when(info[r][1])}" if r in info else
                            f"{label(r)}, {column}: a long gap in the data"),
                 table=data.table, item=ctx.item_id, column=column)


def _gap_pairs(n: int, gone: np.ndarray, gaps: _GapScreen) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in series-then-time order) of each two consecutive values of one series that
    lie more than ``gaps.limit`` apart, ordered by the second. ``gone``: the positions without a
    value (ascending), among ``n``."""
    t, s, limit, long_steps = gaps.t, gaps.s, gaps.limit, gaps.long_steps
    if gone.size == 0:
        return long_steps, long_steps + 1
    if n - gone.size < 2:
        return gone[:0], gone[:0]
    # Consecutive values are either neighbouring rows, both present, with a long step between
    # them ...
    both = ~_among(long_steps, gone) & ~_among(long_steps + 1, gone)
    prev_rows, next_rows = long_steps[both], long_steps[both] + 1
    # ... or the present rows on either side of a run of positions without one.
    breaks = np.flatnonzero(np.diff(gone) > 1)
    before = np.concatenate((gone[:1], gone[breaks + 1])) - 1
    after = np.concatenate((gone[breaks], gone[-1:])) + 1
    inside = (before >= 0) & (after < n)
    before, after = before[inside], after[inside]
    across = (t[after] - t[before] > limit) & (s[before] == s[after])
    prev_rows = np.concatenate((prev_rows, before[across]))
    next_rows = np.concatenate((next_rows, after[across]))
    in_order = np.argsort(next_rows, kind="stable")
    return prev_rows[in_order], next_rows[in_order]


def _among(positions: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """Which ``positions`` are in ``ascending`` (sorted): ``np.isin`` by binary search, which
    for a few positions is far cheaper than the table ``np.isin`` builds over the whole range."""
    if ascending.size == 0:
        return np.zeros(positions.shape, dtype=bool)
    at = np.minimum(np.searchsorted(ascending, positions), ascending.size - 1)
    return ascending[at] == positions


def _hours(span: tuple, lang: str = "zh") -> str:
    hours = (span[1] - span[0]) / 3_600_000
    if hours >= 72:
        return f"{hours / 24:.0f} 天" if lang == "zh" else f"{hours / 24:.0f} days"
    return f"{hours:g} 小时" if lang == "zh" else f"{hours:g} hours"


def _permit_clustering(ctx, data, screen) -> None:
    """Per series (enterprise, outlet, parameter), the share of values just under the permit limit.

    The limit comes from the registry's ``permit_limits`` of the enterprise, by the column's
    ``parameter`` (wide files: one column per pollutant) or by the ``parameter_column`` of the
    row (long files: a ``parameter`` and a ``value`` column).
    """
    enterprises = {str(e.get("id")): e for e in ctx.content.registry.get("enterprises") or [] if isinstance(e, dict)}
    ent_fields = [f.name for f in data.fields() if f.references == "enterprises"]
    if not ent_fields:
        return
    ent = data.codes(ent_fields[0])
    ent_names = data.raw(ent_fields[0])
    series = data.series_codes()
    value_column = screen.options.get("value_column", "value")
    parameter_column = screen.options.get("parameter_column", "parameter")
    long_params = data.raw(parameter_column) if data.table.has(parameter_column) else None
    lo_share, hi_share = screen.options["band"]
    for f in data.fields("number", "integer"):
        x = data.numbers(f.name)
        if x is None:
            continue
        if long_params is not None and f.name == value_column:
            param_of_row = data.codes(parameter_column)
            param_names = data.dictionary(parameter_column)
        elif f.parameter or f.name:
            param_of_row = None
            param_names = [f.parameter or f.name]
        else:
            continue
        limit = np.full(data.n, np.nan)
        for e_code in np.unique(ent[ent >= 0]).tolist():
            first_row = int(np.flatnonzero(ent == e_code)[0])
            limits = (enterprises.get(str(ent_names[first_row].as_py())) or {}).get("permit_limits") or {}
            rows_e = ent == e_code
            for p_code, p_name in enumerate(param_names):
                value = limits.get(p_name)
                if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                    continue
                mask = rows_e if param_of_row is None else rows_e & (param_of_row == p_code)
                limit[mask] = value
        usable = ~np.isnan(x) & ~np.isnan(limit)
        if not usable.any():
            continue
        near = usable & (x >= lo_share * limit) & (x <= hi_share * limit)
        _, groups = np.unique(series[usable], return_inverse=True)
        counts = np.bincount(groups)
        hits = np.bincount(groups, weights=near[usable].astype(float))
        rows_usable = np.flatnonzero(usable)
        for g in np.flatnonzero((counts >= int(screen.options["min_values"]))
                                & (hits / np.maximum(counts, 1) > float(screen.options["max_share"]))).tolist():
            first = int(rows_usable[np.flatnonzero(groups == g)[0]])
            share = hits[g] / counts[g]
            who = " / ".join(data.value_text(n, first) for n in data.series_fields())
            lim = limit[first]
            ctx.out.add(Finding(
                "permit-limit-clustering", Severity(screen.severity),
                f"{who}：{share:.0%} 的数值（{int(counts[g])} 个中）落在许可限值 {lim:g} 的 "
                f"{lo_share:.0%}–{hi_share:.0%} 之间，紧贴限值，请核实",
                f"{who}: {share:.0%} of {int(counts[g])} values lie within {lo_share:.0%}-{hi_share:.0%} of the "
                f"permit limit {lim:g}; values hugging the limit need a second look",
                item=ctx.item_id, file=data.table.file, row=data.table.line(first), column=f.name))
