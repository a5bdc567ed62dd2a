"""SP1xx manifest and SP7xx content rules of the upstream repository's checks."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentinel_pack.validate.finding import ERROR, WARNING, rule
from sentinel_pack.validate.rules_crossfile import _walk_strings
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]
#: Content hub domains (Azure-Sentinel .script/validate-domains list).
DOMAINS = {
    "Application",
    "Cloud Provider",
    "Compliance",
    "DevOps",
    "Identity",
    "Internet of Things (IoT)",
    "IT Operations",
    "Migration",
    "Networking",
    "Platform",
    "Security - 0-day Vulnerability",
    "Security - Automation (SOAR)",
    "Security - Cloud Security",
    "Security - Information Protection",
    "Security - Insider Threat",
    "Security - Network",
    "Security - Others",
    "Security - Threat Intelligence",
    "Security - Threat Protection",
    "Security - Vulnerability Management",
    "Storage",
    "Training and Tutorials",
    "User Behavior (UEBA)",
}


@rule("SP101", ERROR, "The manifest is valid")
def manifest_valid(target: Target) -> Out:
    for problem in target.manifest_problems:
        where = f":{problem.line}" + (f":{problem.column}" if problem.column else "") if problem.line else ""
        yield f"{problem.file or 'solution.yaml'}{where}", problem.path or "", problem.message, problem.hint or ""


@rule("SP701", ERROR, "Say 'Microsoft Sentinel', not 'Azure Sentinel'")
def product_name(target: Target) -> Out:
    for rel in target.json_files():
        for path, text in _walk_strings(target.json(rel)):
            if "Azure Sentinel" in re.sub(r"https?://\S+", "", text):
                yield rel, path, "the product is called Microsoft Sentinel", "replace 'Azure Sentinel'"


@rule("SP702", ERROR, "Ids contain no whitespace")
def ids_without_whitespace(target: Target) -> Out:
    for suffix, key in (
        ("dataConnectorDefinitions", "name"),
        ("/dataConnectors", "name"),
        ("dataCollectionRules", "name"),
        ("/tables", "name"),
    ):
        for rel, resource in target.resources(suffix):
            if re.search(r"\s", str(resource.get(key, ""))):
                yield rel, key, f"id '{resource[key]}' contains whitespace", "remove the spaces"


@rule("SP703", WARNING, "Queries are ASCII only")
def ascii_queries(target: Target) -> Out:
    for rel, definition in target.resources("dataConnectorDefinitions"):
        for path, text in _walk_strings(definition.get("properties", {}).get("connectorUiConfig", {})):
            if path.endswith(("query", "Query", "baseQuery")) and not text.isascii():
                yield rel, path, "the query holds non-ASCII characters (often smart quotes)", "use plain ASCII"


@rule("SP704", ERROR, "The support object is complete and the domains are valid")
def metadata(target: Target) -> Out:
    rel = next((r for r in target.files if r.lower() == "solutionmetadata.json"), None)
    meta = target.json(rel) if rel else None
    if not isinstance(meta, dict):
        return
    support = meta.get("support", {})
    for key in ("name", "tier"):
        if not support.get(key):
            yield rel, f"support.{key}", f"support.{key} is missing", "fill name, tier and email or link"
    if not (support.get("email") or support.get("link")):
        yield rel, "support", "support has neither email nor link", "add an email or a link"
    for i, domain in enumerate(meta.get("categories", {}).get("domains", [])):
        if domain not in DOMAINS:
            yield (
                rel,
                f"categories.domains[{i}]",
                f"'{domain}' is not a Content hub domain",
                f"use one of: {', '.join(sorted(DOMAINS))}",
            )


@rule("SP801", ERROR, "Analytic rules and hunting queries are well formed")
def detection_content(target: Target) -> Out:
    """Required fields, GUID ids, tactics, technique ids, durations and entity mappings, with lines."""
    import tempfile
    from pathlib import Path

    from sentinel_pack.content.analytic_rules import check_file

    for rel in sorted(target.files):
        folder = rel.split("/", 1)[0].replace(" ", "").lower()
        if folder not in ("analyticrules", "huntingqueries") or not rel.lower().endswith((".yaml", ".yml")):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "rule.yaml"
            path.write_bytes(target.files[rel])
            problems = check_file(path, hunting=folder == "huntingqueries", display_name=rel)
        for problem in problems:
            where = f"{rel}:{problem.line}" if problem.line else rel
            yield where, problem.path or "", problem.message, problem.hint or ""
