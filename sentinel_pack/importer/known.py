"""Why a rebuilt package differs from the published one, for the differences that have a known cause.

Each rule names a kind of difference, not a solution: the official packager has changed over
the years (what it puts into variables, parameter types and defaults, the install text), some
of its versions have bugs that published packages carry, and a package may be older than the
files beside it. A difference no rule explains is reported as sentinel-pack's, unexplained.

Origins: ``original`` (the published package: stale, hand-edited, or a packager quirk),
``sentinel-pack`` (a deliberate fix, with its reason), ``not-packaged`` (content sentinel-pack
does not package yet).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ORIGINAL, FIX, NOT_PACKAGED = "original", "sentinel-pack", "not-packaged"


@dataclass(frozen=True)
class Rule:
    origin: str
    reason: str
    path: str  # a regular expression over the reported JSON path
    test: Callable[[Any, Any], bool] = lambda old, new: True
    artefact: str | None = None

    def matches(self, artefact: str, path: str, old: Any, new: Any) -> bool:
        return (self.artefact in (None, artefact) and re.search(self.path, path) is not None
                and self.test(old, new))


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) and str(value.get("type", "")).endswith("workspaces/tables")


_CONNECTIONS = r"^resources\[\d+\]\.properties\.mainTemplate\.parameters\.[A-Za-z0-9_]+"
_INSTALL_TEXT = "This Solution installs the data connector for "

RULES = (
    Rule(FIX, "the packager writes the workbook's whole metadata entry (\"@{workbookKey=...}.description\", a "
              "PowerShell interpolation slip); sentinel-pack writes its description",
         r"\.properties\.description$", lambda old, new: isinstance(old, str) and old.startswith("@{workbookKey=")),
    Rule(FIX, "a parser without parameters: the blanks variable deploys the same empty value without a blank "
              "property (SP606)",
         r"\.functionParameters$", lambda old, new: old == "" and str(new).replace(" ", "") in (
             "[variables('blanks')]", "[replace('b','b','')]")),
    Rule(ORIGINAL, "packager quirk: a table file holding a JSON array became one resource whose name, type, "
                   "kind and properties are arrays (not valid ARM); rebuilt as one resource per table",
         r"\.resources\[\+?\d+\](\.(name|apiVersion|type|kind|properties))?$",
         lambda old, new: isinstance(old, list) or (old is None and _is_table(new))
         or (isinstance(old, dict) and isinstance(old.get("name"), list) and new is None)),
    Rule(ORIGINAL, "packager quirk: the table of another connector emitted a second time in this template",
         r"\.mainTemplate\.resources\[\d+\]$", lambda old, new: _is_table(old) and new is None),
    Rule(ORIGINAL, "packager bug: every nested stepId rewritten to one variable, so a step names itself as its "
                   "next step; rebuilt with the poller file's own step ids",
         r"\.stepInfo\.nextSteps\[\d+\]\.stepId$"),
    Rule(ORIGINAL, "packager generation: this packager names the solution in the install text, others (and "
                   "sentinel-pack) the connector's title",
         r"^parameters\.steps\[0\]\.elements\[\d+\]\.options\.text$",
         lambda old, new: str(old).startswith(_INSTALL_TEXT) and str(new).startswith(_INSTALL_TEXT),
         "createUiDefinition.json"),
    Rule(ORIGINAL, "packager quirk: the link after a single connector is numbered as if there were two",
         r"^parameters\.steps\[0\]\.elements\[\d+\]\.name$",
         lambda old, new: str(old).startswith("dataconnectors-link") and str(new).startswith("dataconnectors-link"),
         "createUiDefinition.json"),
    Rule(FIX, "the official packager writes this default with a stray ']' ([[parameters('auth').appId]]), which "
              "ARM cannot parse (SP608)",
         _CONNECTIONS + r"\.defaultValue\.[A-Za-z0-9_]+$",
         lambda old, new: isinstance(old, str) and old.endswith("]]") and new == old[:-1]),
    Rule(FIX, "Connections parameters are securestring, as current packagers write them, so what the user types "
              "stays out of the deployment history",
         _CONNECTIONS + r"\.type$", lambda old, new: old == "string" and new == "securestring"),
    Rule(ORIGINAL, "packager generation: minimum lengths of placeholder parameters",
         _CONNECTIONS + r"\.minLength$"),
    Rule(ORIGINAL, "packager generation: default values of placeholder parameters ('-NA-', 'Enter <name> value')",
         _CONNECTIONS + r"\.defaultValue$", lambda old, new: isinstance(old, str) and isinstance(new, str)),
    Rule(ORIGINAL, "packager generation: older Connections templates declare neither guidValue nor "
                   "innerWorkspace and name each poller without a unique suffix",
         _CONNECTIONS.replace(r"[A-Za-z0-9_]+", r"(guidValue|innerWorkspace)") + "$",
         lambda old, new: old is None),
    Rule(ORIGINAL, "packager generation: older Connections templates name each poller without a unique suffix",
         r"\.mainTemplate\.resources\[\d+\]\.name$",
         lambda old, new: "guidValue" in str(new) and "guidValue" not in str(old)),
    Rule(FIX, "sentinel-pack writes the author's name as the template's metadata.author (its releases and "
              "scaffolds keep that); the official packager writes the Data file's Author text (name - email)",
         r"^metadata\.author$", lambda old, new: isinstance(old, str) and isinstance(new, str)
         and old.split(" - ")[0].strip() == new, "mainTemplate.json"),
    Rule(FIX, "graphQueriesTableName is always set (the connector's first table), so {{graphQueriesTableName}} "
              "in its queries resolves",
         r"\.connectorUiConfig\.graphQueriesTableName$", lambda old, new: old is None),
    Rule(ORIGINAL, "the package is stale against SolutionMetadata.json or the Data file, which the rebuild "
                   "follows (support, publisher and offer ids, logo, description, dates)",
         r"(\.support\.(link|email|name)|\.source\.sourceId|\.packageId|^variables\._solutionId|\.icon"
         r"|^parameters\.config\.basics\.description|\.descriptionHtml|^resources\[\d+\]\.properties\.(parentId|contentId)"
         r"|\.lastPublishDate)$",
         lambda old, new: all(v is None or (isinstance(v, str) and not v.startswith("[")) for v in (old, new))),
)


def classify(artefact: str, path: str, old: Any, new: Any) -> tuple[str, str] | None:
    for rule in RULES:
        if rule.matches(artefact, path, old, new):
            return rule.origin, rule.reason
    return None
