"""Checks for Sentinel analytic-rule and hunting-query YAML, reported with file:line.

Sentinel accepts a malformed rule only to fail at deployment time, so the checks run before packaging.
Tables and columns of the queries are checked by validate rule SP802 (validate/rules_detections.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from sentinel_pack.content.attack import tactics_of
from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.manifest.yamlsource import YamlDocument, load_yaml

RULE_FIELDS = ("id", "name", "description", "severity", "requiredDataConnectors", "queryFrequency", "queryPeriod",
               "triggerOperator", "triggerThreshold", "tactics", "relevantTechniques", "query", "entityMappings",
               "version", "kind")
HUNTING_FIELDS = ("id", "name", "description", "requiredDataConnectors", "tactics", "relevantTechniques", "query")
TACTICS = {"Reconnaissance", "ResourceDevelopment", "InitialAccess", "Execution", "Persistence", "PrivilegeEscalation",
           "DefenseEvasion", "CredentialAccess", "Discovery", "LateralMovement", "Collection", "CommandAndControl",
           "Exfiltration", "Impact", "ImpairProcessControl", "InhibitResponseFunction"}
SEVERITIES = {"Informational", "Low", "Medium", "High"}
TRIGGER_OPERATORS = {"gt", "lt", "eq", "ne"}
ENTITY_IDENTIFIERS = {
    "Account": {"Name", "FullName", "NTDomain", "DnsDomain", "UPNSuffix", "Sid", "AadTenantId", "AadUserId", "PUID",
                "IsDomainJoined", "DisplayName", "ObjectGuid", "CloudAppAccountId"},
    "IP": {"Address"},
    "Host": {"DnsDomain", "NTDomain", "HostName", "FullName", "NetBiosName", "AzureID", "OMSAgentID", "OSFamily",
             "OSVersion", "IsDomainJoined"},
    "CloudApplication": {"AppId", "Name", "InstanceName"},
    "AzureResource": {"ResourceId"},
    "URL": {"Url"},
    "DNS": {"DomainName"},
    "Process": {"ProcessId", "CommandLine", "ElevationToken", "CreationTimeUtc"},
}
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?\Z")
_SHORT_DURATION = re.compile(r"^(\d+)([mhd])\Z")
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?\Z")


#: The YAML type each field must have ("list" fields may also be left empty).
FIELD_TYPES = {"id": "str", "name": "str", "description": "str", "severity": "str", "requiredDataConnectors": "list",
               "queryFrequency": "scalar", "queryPeriod": "scalar", "triggerOperator": "str", "triggerThreshold": "int",
               "tactics": "list", "relevantTechniques": "list", "query": "str", "entityMappings": "list",
               "version": "scalar", "kind": "str"}
_TYPE_NAMES = {"str": "text", "list": "a list", "int": "a whole number", "scalar": "a single value"}


def _has_type(value: object, kind: str) -> bool:
    if kind == "list":
        return value is None or isinstance(value, list)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "scalar":
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def duration_minutes(value: object) -> int | None:
    """Minutes in a rule duration ("5m", "1h", "14d" or ISO-8601 "PT1H"), None when it is not one."""
    text = str(value)
    if m := _SHORT_DURATION.match(text):
        return int(m.group(1)) * {"m": 1, "h": 60, "d": 1440}[m.group(2)]
    if (m := _ISO_DURATION.match(text)) and text not in ("P", "PT"):
        days, hours, minutes = (int(g or 0) for g in m.groups())
        return days * 1440 + hours * 60 + minutes
    return None


def check_rule(doc: YamlDocument, hunting: bool = False) -> list[Problem]:
    """Problems in one loaded rule (or hunting query when ``hunting``)."""
    data = doc.data
    if not isinstance(data, dict):
        return [doc.problem((), "a rule must be a mapping")]
    problems = [doc.problem((), f"missing required field '{f}'") for f in (HUNTING_FIELDS if hunting else RULE_FIELDS)
                if f not in data]
    wrong = [doc.problem((key,), f"{key} must be {_TYPE_NAMES[kind]}, not {type(data[key]).__name__}")
             for key, kind in FIELD_TYPES.items()
             if key in data and not _has_type(data[key], kind)]
    if wrong:  # the checks below (and the package) read these fields as their type
        return problems + wrong
    if "id" in data and not (isinstance(data["id"], str) and _GUID.fullmatch(data["id"])):
        # uuid.UUID() also takes 'urn:uuid:...', braces and no hyphens; Sentinel's templates do not.
        problems.append(doc.problem(("id",), f"id {data['id']!r} is not a GUID (8-4-4-4-12 hexadecimal digits)",
                                    "generate one with uuidgen"))
    for i, tactic in enumerate(data.get("tactics") or []):
        if not isinstance(tactic, str) or tactic not in TACTICS:
            problems.append(doc.problem(("tactics", i), f"unknown tactic {tactic!r}"))
    for i, technique in enumerate(data.get("relevantTechniques") or []):
        if not _TECHNIQUE.match(str(technique)):
            problems.append(doc.problem(("relevantTechniques", i), f"technique {technique!r} is not like T1098"))
    if data.get("relevantTechniques") and not data.get("tactics"):
        problems.append(doc.problem(("tactics",), "techniques are listed but no tactic"))
    listed = {t for t in data.get("tactics") or [] if isinstance(t, str)} & TACTICS  # misspelt: reported above
    for i, technique in enumerate(data.get("relevantTechniques") or []):
        known = tactics_of(str(technique)) if listed else None
        if known and not listed & set(known[1]):
            name, tactics = known
            problems.append(doc.problem(("relevantTechniques", i),
                                        f"{technique} ({name}) belongs to {', '.join(tactics)}; the rule lists none",
                                        "add one of them to tactics, or check the technique id"))
    for i, mapping in enumerate(data.get("entityMappings") or []):
        kind = mapping.get("entityType") if isinstance(mapping, dict) else None
        if not isinstance(kind, str) or kind not in ENTITY_IDENTIFIERS:
            problems.append(doc.problem(("entityMappings", i), f"unknown entityType {kind!r}"))
            continue
        fields = mapping.get("fieldMappings")
        for j, field in enumerate(fields if isinstance(fields, list) else [fields]):
            identifier = field.get("identifier") if isinstance(field, dict) else None
            if not isinstance(identifier, str) or identifier not in ENTITY_IDENTIFIERS[kind]:
                ident = field.get("identifier") if isinstance(field, dict) else field
                problems.append(doc.problem(("entityMappings", i, "fieldMappings", j),
                                            f"{ident!r} is not an identifier of {kind}"))
    if hunting:
        return problems
    if not isinstance(data.get("severity"), str) or data["severity"] not in SEVERITIES:
        problems.append(doc.problem(("severity",), f"severity must be one of {sorted(SEVERITIES)}"))
    if "kind" in data and data["kind"] != "Scheduled":
        problems.append(doc.problem(("kind",), "kind must be Scheduled"))
    if not isinstance(data.get("triggerOperator"), str) or data["triggerOperator"] not in TRIGGER_OPERATORS:
        allowed = sorted(TRIGGER_OPERATORS)
        problems.append(doc.problem(("triggerOperator",), f"triggerOperator must be one of {allowed}"))
    freq, period = (duration_minutes(data.get(k)) for k in ("queryFrequency", "queryPeriod"))
    for key, value in (("queryFrequency", freq), ("queryPeriod", period)):
        if key in data and value is None:
            problems.append(doc.problem((key,), f"{data[key]!r} is not a duration", "write 5m, 1h, 1d or PT1H"))
    if freq is not None and period is not None and period < freq:
        problems.append(doc.problem(("queryPeriod",), "queryPeriod is shorter than queryFrequency"))
    return problems


def check_file(path: Path, hunting: bool = False, display_name: str | None = None) -> list[Problem]:
    """Load and check one file; YAML errors come back as problems instead of exceptions."""
    try:
        doc = load_yaml(path, display_name)
    except SentinelPackError as exc:
        return list(exc.problems)
    return check_rule(doc, hunting)
