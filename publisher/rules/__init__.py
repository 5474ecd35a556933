"""The release rules, one module per family (see ``docs/rules.md`` for every rule id).

=============== ================================================================================
family          what it checks
=============== ================================================================================
permissions     who may publish what; rows inside the submitter's area; credit codes;
                classification; embargo
schema          columns present, known and unique; units; types of text, dates and times;
                registry references; primary keys; required, unique, enum and pattern constraints
values          strict number syntax, physical plausibility, numeric constraints, sentinel values
validity        data capture before aggregation (GB 3095-2012 Table 4, HJ 663-2013)
privacy         personal data, spreadsheet formula triggers, invisible characters, banned terms,
                sensitive columns
quality         flat-lined series, spikes, long gaps, values clustered under a permit limit
figures         numbers a bulletin cites, recomputed from the cited dataset
markup          a bulletin's HTML: allowed tags only, no file links, nothing embedded from other sites
=============== ================================================================================

The order matters: ``schema`` and ``values`` type the columns the later families read.
"""

from __future__ import annotations

from . import figures, markup, permissions, privacy, quality, schema, validity, values

FAMILIES = (permissions, schema, values, validity, privacy, quality, figures, markup)
FAMILY_NAMES = tuple(m.__name__.rsplit(".", 1)[-1] for m in FAMILIES)

__all__ = ["FAMILIES", "FAMILY_NAMES"]
