"""Spreadsheet cells: the one definition of text a spreadsheet would run, and how it is made inert.

OWASP "CSV injection": Excel, LibreOffice and WPS run a cell as a formula when its text starts
with ``=``, ``+``, ``-`` or ``@`` (after a leading tab or CR, which they drop); Excel on Chinese
Windows also takes the full-width forms. Used by the check (``formula-trigger``, the loader's
``missing-value-invalid``) and by every writer of a spreadsheet download (``opendata``), so the
two can never disagree about what is a formula.

A number is not a formula: ``-5.2`` in a number column stays as it is (a spreadsheet reads the
number). Anything else that starts with a trigger gets the OWASP prefix ``'``, which
spreadsheets show as text and never run.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# The strict number syntax of the values rules (``rules/values.py``): what a number cell holds.
NUMBER_LITERAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_FORMULA_FIRST = frozenset("".join(FORMULA_STARTS))
_FIRST_CHARACTER = operator.itemgetter(slice(None, 1))


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula."""
    return text.startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """``text`` made inert for a spreadsheet (OWASP: prefix ``'``); other text unchanged."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def neutralise_number_cell(text: str) -> str:
    """A cell of a number column: a number stays as written, any other text is neutralised."""
    if text.startswith(FORMULA_STARTS) and not NUMBER_LITERAL.fullmatch(text):
        return "'" + text
    return text


def column_may_be_live(cells: Sequence[str], *, numbers: bool) -> bool:
    """Whether any of ``cells`` needs neutralising. The set of first characters is made at C
    speed (``map``), so a clean column of a million cells costs next to nothing."""
    if set(map(_FIRST_CHARACTER, cells)).isdisjoint(_FORMULA_FIRST):
        return False
    if not numbers:
        return True
    return any(cell.startswith(FORMULA_STARTS) and not NUMBER_LITERAL.fullmatch(cell) for cell in cells)
