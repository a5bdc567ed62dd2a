"""Parsers: a saved KQL function from ``Parsers/*.yaml``, shaped as the official packager ships it.

The packager (``generateParserContent`` / ``addTemplateSpecParserResource``) names the function
after ``FunctionName``, uses ``Function.Title`` as the display name and ``<FunctionName>-Parser``
as the content id, turns ``FunctionParams`` into the ``functionParameters`` string and emits the
saved search twice: inside the Parser content template and at the top level, so the function
exists as soon as the solution is installed.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from sentinel_pack.content.sources import KqlText, Source
from sentinel_pack.errors import Problem

REQUIRED = ("id", "Function", "FunctionName", "FunctionAlias", "FunctionQuery")
#: KQL scalar types a function parameter may have (a tabular parameter is ``table:(...)``).
PARAM_TYPES = {"bool", "boolean", "datetime", "date", "dynamic", "guid", "uniqueid", "int", "long", "real",
               "double", "decimal", "string", "timespan", "time"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def function_parameters(params: list[dict[str, Any]] | None) -> str:
    """``ConvertHashTo-StringData``: ``Name:type`` or ``Name:type=default``, comma-separated."""
    out = []
    for item in params or []:
        name, kind = str(item["Name"]), str(item["Type"])
        if kind.startswith("table:"):
            out.append(f"{name}:{kind.split(':')[-1]}")
        elif item.get("Default") is not None:
            default = item["Default"]
            if isinstance(default, bool):
                default = "True" if default else "False"  # PowerShell's formatting of a boolean
            if kind.lower() == "string":
                default = f"'{default}'"
            out.append(f"{name}:{kind}={default}")
        else:
            out.append(f"{name}:{kind}")
    return ",".join(out)


def plain_name(path: str) -> str:
    """A plain-KQL parser's function name: its file name up to the first dot (``getFileNameFromPath``)."""
    return PurePosixPath(path).name.split(".")[0]


def plain_query(text: str) -> str:
    """The packager's query of a plain-KQL parser: lines starting with ``//`` dropped, each line
    prefixed with a newline (so the query starts with one)."""
    return "".join("\n" + line for line in text.split("\n") if not line.startswith("//"))


def check(source: Source) -> list[Problem]:
    data = source.data
    if isinstance(data, KqlText):
        problems = []
        if not _NAME.match(plain_name(source.name)):
            problems.append(source.problem((), f"the file name {plain_name(source.name)!r} names the function and is "
                                           "not a KQL function name", "rename the file, or write the parser as YAML"))
        if not plain_query(data.text).strip():
            problems.append(source.problem((), "the parser has no query"))
        return problems
    if not isinstance(data, dict):
        return [source.problem((), "a parser must be a YAML mapping (FunctionName, FunctionAlias, FunctionQuery, ...)")]
    problems = [source.problem((), f"missing required field '{field}'") for field in REQUIRED if field not in data]
    for field in ("FunctionName", "FunctionAlias"):
        value = data.get(field)
        if field in data and (not isinstance(value, str) or not _NAME.match(value)):
            problems.append(source.problem((field,), f"{field} {value!r} is not a KQL function name",
                                           "use letters, digits and '_', starting with a letter"))
    if "FunctionQuery" in data and (not isinstance(data["FunctionQuery"], str) or not data["FunctionQuery"].strip()):
        problems.append(source.problem(("FunctionQuery",), "FunctionQuery must be the function's KQL text"))
    function = data.get("Function")
    if "Function" in data:
        if not isinstance(function, dict) or not isinstance(function.get("Title"), str) or not function["Title"]:
            problems.append(source.problem(("Function",), "Function needs a Title (the parser's display name)"))
        elif "Version" in function and not re.match(r"^\d+\.\d+\.\d+$", str(function["Version"])):
            problems.append(source.problem(("Function", "Version"), f"version {function['Version']!r} is not like "
                                           "1.0.0", "quote it: Version: '1.0.0'"))
    params = data.get("FunctionParams")
    if params is not None and not isinstance(params, list):
        problems.append(source.problem(("FunctionParams",), "FunctionParams must be a list of {Name, Type, Default}"))
        params = []
    names: set[str] = set()
    for index, param in enumerate(params or []):
        where = ("FunctionParams", index)
        if not isinstance(param, dict) or not isinstance(param.get("Name"), str) or "Type" not in param:
            problems.append(source.problem(where, "a parameter needs Name and Type"))
            continue
        if not _NAME.match(param["Name"]):
            problems.append(source.problem((*where, "Name"), f"{param['Name']!r} is not a parameter name"))
        if param["Name"] in names:
            problems.append(source.problem((*where, "Name"), f"parameter '{param['Name']}' is declared twice"))
        names.add(param["Name"])
        kind = str(param["Type"])
        if not kind.startswith("table:") and kind.lower() not in PARAM_TYPES:
            problems.append(source.problem((*where, "Type"), f"{kind!r} is not a KQL type",
                                           f"use one of: {', '.join(sorted(PARAM_TYPES))}, or table:(...)"))
    return problems


def alias_differs(source: Source) -> list[Problem]:
    """The packager installs the function as FunctionName; a different FunctionAlias is never used."""
    data = source.data
    if isinstance(data, dict) and isinstance(data.get("FunctionName"), str) \
            and isinstance(data.get("FunctionAlias"), str) and data["FunctionName"] != data["FunctionAlias"]:
        return [source.problem(("FunctionAlias",), f"FunctionAlias '{data['FunctionAlias']}' differs from "
                               f"FunctionName '{data['FunctionName']}'; the package installs the function as "
                               f"'{data['FunctionName']}', so queries calling the alias fail",
                               "give both the same value")]
    return []


def context(sources: list[Source]) -> list[dict[str, Any]]:
    out = []
    for number, source in enumerate(sources, start=1):
        data = source.data
        if isinstance(data, KqlText):
            out.append(_plain_context(number, source, data))
            continue
        name = str(data["FunctionName"])
        out.append({
            "number": number,
            "name": name,
            "content_id": f"{name}-Parser",
            "title": str(data["Function"]["Title"]),
            "version": str(data["Function"].get("Version", "1.0.0")),
            "file_key": PurePosixPath(source.name).stem,
            "properties": {
                "eTag": "*",
                "displayName": str(data["Function"]["Title"]),
                "category": str(data.get("Category", "")),
                "functionAlias": name,
                "query": data["FunctionQuery"],
                # "" is what the packager writes without parameters; the blanks variable deploys
                # the same value without a blank property in the template (SP606)
                "functionParameters": function_parameters(data.get("FunctionParams")) or "[variables('blanks')]",
                "version": 2,
                "tags": [{"name": "description", "value": str(data.get("Description", ""))}],
            },
            "path": source.name,
            "raw": source.raw,
        })
    return out


def _plain_context(number: int, source: Source, data: KqlText) -> dict[str, Any]:
    """A plain-KQL parser as the packager packages it (``isyaml`` false): category Samples, version 1."""
    name = plain_name(source.name)
    return {
        "number": number,
        "name": name,
        "content_id": f"{name}-Parser",
        "title": name,
        "version": "1.0.0",
        "file_key": PurePosixPath(source.name).stem,
        "properties": {
            "eTag": "*",
            "displayName": name,
            "category": "Samples",
            "functionAlias": name,
            "query": plain_query(data.text),
            "functionParameters": "[variables('blanks')]",
            "version": 1,
            "tags": [{"name": "description", "value": name}],
        },
        "path": source.name,
        "raw": source.raw,
    }
