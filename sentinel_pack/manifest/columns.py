"""Log Analytics column names as the service accepts them for a custom table.

The rules are those of "Add or delete tables and columns in Azure Monitor Logs"
(learn.microsoft.com/azure/azure-monitor/logs/create-custom-table, section "Add or delete a
custom column"): an ASCII letter first, then letters, digits or underscores, 2 to 45 characters,
and no name of a system or reserved column. Names are compared without case: Log Analytics keeps
one column per name whatever its case (Miro's published DCR renames its input ``type`` to
``logType`` for that reason).
"""

from __future__ import annotations

import re

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,44}")

#: The documented reserved names, plus SourceSystem, a standard column of every table (the
#: Tables API lists it under ``standardColumns``). The documented ``id`` is left out: the
#: published Miro solution declares an ``id`` column in two custom tables and deploys.
RESERVED = ("BilledSize", "InvalidTimeGenerated", "IsBillable", "SourceSystem", "TenantId", "Title", "Type",
            "UniqueId", "_ItemId", "_ResourceGroup", "_ResourceId", "_SubscriptionId", "_TimeReceived")
_RESERVED = {name.lower(): name for name in RESERVED}


def column_name_problem(name: str) -> tuple[str, str] | None:
    """(message, fix) when a custom table cannot have a column of this name, else None."""
    if name.lower() in _RESERVED:
        return (f"'{name}' is the name of a Log Analytics system column ({_RESERVED[name.lower()]})",
                f"rename it, e.g. '{name.lstrip('_')}_'" if name.startswith("_") else f"rename it, e.g. 'Source{name}'")
    if not _NAME.fullmatch(name):
        return (f"'{name}' is not a Log Analytics column name",
                "start with a letter, then use only letters, digits and underscores (2 to 45 characters)")
    return None
