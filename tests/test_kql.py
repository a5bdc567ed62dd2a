"""Every query checked by Microsoft's Kusto parser (SP404, SP407, SP802, SP81x), on AWS EKS and the corpus.

The engine is one V8 context per process (``sentinel_pack.kusto.engine``), so the whole test
session pays its start-up once.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sentinel_pack.kusto import engine
from sentinel_pack.kusto.schema import Database
from sentinel_pack.validate.rules_kql import checked
from sentinel_pack.validate.runner import check, selected
from sentinel_pack.validate.target import Target, load_target

REPO = Path(__file__).resolve().parent.parent
VENDOR = REPO / "sentinel_pack" / "kusto" / "vendor"
DEF = "Data Connectors/AWSEKS_ConnectorDefinition.json"
DCR = "Data Connectors/AWSEKS_DCR.json"
RULE = "Analytic Rules/EKSForbiddenBurst.yaml"
KQL_RULES = ["SP404", "SP407", "SP802", "SP810", "SP811", "SP812", "SP813", "SP814", "SP815", "SP819"]
CORPUS = ["AWS_AccessLogs", "BigID", "Bitwarden", "GoogleCloudPlatformResourceManager", "Miro", "OneTrust"]


@pytest.fixture(scope="module")
def eks(built_full: Path) -> Target:
    """AWS EKS as built (detections included), read once; tests edit copies of its files."""
    return load_target(built_full)


def _edited(target: Target, rel: str, old: str, new: str) -> Target:
    text = target.files[rel].decode("utf-8")
    assert old in text, f"test setup: {old!r} not in {rel}"
    return Target(target.label, {**target.files, rel: text.replace(old, new, 1).encode("utf-8")})


def _json_edited(target: Target, rel: str, edit) -> Target:
    doc = json.loads(target.files[rel])
    edit(doc)
    return Target(target.label, {**target.files, rel: json.dumps(doc, indent=2).encode("utf-8")})


def _findings(target: Target, rules=KQL_RULES):
    """(rule, severity, file[:line], path, message, fix); the line is shown for YAML files."""
    out = []
    for f in check(target, rules):
        rel = f.file.removeprefix(target.label + "/")
        where = f"{rel}:{f.line}" if f.line and not rel.lower().endswith(".json") else rel
        out.append((f.rule, f.severity, where, f.path, f.message, f.fix))
    return out


def _line(target: Target, rel: str, text: str) -> int:
    content = target.files[rel].decode("utf-8")
    return content[: content.index(text)].count("\n") + 1


def test_the_engine_runs_here() -> None:
    """No silent fallback in CI: the vendored parser must load where the tests run."""
    assert engine.get() is not None, engine.failure()


def test_aws_eks_detections_connector_queries_and_transform_are_clean(eks: Target) -> None:
    assert _findings(eks) == []
    kinds = sorted(item.query.kind for item in checked(eks) if item.analysis is not None)
    assert kinds == ["connector"] * 5 + ["detection"] * 10 + ["transform"]  # all analysed, none skipped


def test_the_published_sample_query_on_queuename_is_an_unknown_column(reference_eks: Path) -> None:
    (finding,) = _findings(load_target(reference_eks), ["SP407"])
    assert finding == ("SP407", "error", DEF, "properties.connectorUiConfig.sampleQueries[2].query",
                       "the query uses 'QueueName', which table AWSEKSLogs_CL does not have (line 2 of the query)",
                       "did you mean 'ClusterName'?")


def test_a_wrong_operator_is_a_type_error_at_its_line(eks: Target) -> None:
    line = _line(eks, RULE, '| where Stage == "ResponseComplete"')
    target = _edited(eks, RULE, 'Stage == "ResponseComplete"', 'Stage = "ResponseComplete"')
    assert _findings(target) == [
        ("SP813", "error", f"{RULE}:{line}", "query", "Kusto KS141 at 'Stage = \"ResponseComplete\"': "
         "The expression must have the type bool.", "use == to compare; = only names a column (in extend, project, "
         "summarize)")]


def test_a_syntax_error_is_reported_once_without_follow_up_findings(eks: Target) -> None:
    line = _line(eks, RULE, "| extend AccountName")  # where the parser expected the ')'; nothing after it
    target = _edited(eks, RULE, "| where ResponseCode == 403", "| where (ResponseCode == 403")
    assert _findings(target) == [
        ("SP810", "error", f"{RULE}:{line}", "query", "KQL syntax error (KS005): Expected: )",
         "fix the query so it parses; Sentinel rejects it as written")]


def test_an_unknown_column_in_a_detection_names_the_table_and_the_closest_column(eks: Target) -> None:
    line = _line(eks, RULE, "Users = make_set(User, 20)")
    (finding,) = _findings(_edited(eks, RULE, "make_set(User, 20)", "make_set(Usr, 20)"))
    assert finding == ("SP802", "error", f"{RULE}:{line}", "query",
                       "the query uses 'Usr', which table AWSEKSLogs_CL does not have", "did you mean 'User'?")


def test_an_unknown_function_is_reported(eks: Target) -> None:
    (finding,) = _findings(_edited(eks, RULE, "tostring(SourceIPs[0])", "to_string(SourceIPs[0])"))
    assert finding[0] == "SP813" and finding[4].startswith("the query calls 'to_string', which is neither a Kusto")


def test_coalesce_in_a_transformation_is_not_supported_at_ingestion(eks: Target) -> None:
    target = _edited(eks, DCR, "iif(isnull(TimeGenerated), now(), TimeGenerated)", "coalesce(TimeGenerated, now())")
    assert _findings(target) == [
        ("SP814", "error", DCR, "properties.dataFlows[0].transformKql",
         "function 'coalesce' is not supported in ingestion-time transformations",
         "rewrite it with the supported functions (for coalesce: iif(isnotempty(a), a, b))")]


def test_operators_of_several_rows_are_not_supported_in_a_transformation(eks: Target) -> None:
    target = _edited(eks, DCR, "source | extend", "source | mv-expand SourceIPs | take 5 | extend")
    assert [f[4] for f in _findings(target)] == [
        "'mv-expand' is not supported in ingestion-time transformations",
        "'take' is not supported in ingestion-time transformations"]


def test_transformation_names_and_output_are_checked_against_the_stream_and_the_table(eks: Target) -> None:
    target = _edited(eks, DCR, "UserAgent , ObjectRef", "UserAgnt , ObjectRef")
    assert [(f[0], f[4], f[5]) for f in _findings(target)] == [
        ("SP404", "the transform reads 'UserAgnt', which stream Custom-AWSEKSLogs_CL does not declare",
         "did you mean 'UserAgent'?")]
    target = _edited(eks, DCR, "| project TimeGenerated ,", "| extend ResponseCode = tostring(ResponseCode), "
                     "Extra = 1 | project Extra, TimeGenerated ,")
    assert [(f[0], f[4]) for f in _findings(target)] == [
        ("SP815", "the transformation outputs 'Extra', which table AWSEKSLogs_CL does not have: its values are "
                  "dropped"),
        ("SP815", "the transformation outputs 'ResponseCode' as string, but table AWSEKSLogs_CL declares it int: "
                  "the DCR is rejected")]


def test_a_transformation_reads_only_its_input_stream(eks: Target) -> None:
    target = _edited(eks, DCR, '"transformKql": "source |', '"transformKql": "AWSEKSLogs_CL |')
    assert [(f[0], f[4]) for f in _findings(target)] == [
        ("SP404", "the transform reads 'AWSEKSLogs_CL': a transformation reads only its input stream, as 'source'")]


def test_connector_placeholders_are_resolved_as_ccf_does(eks: Target) -> None:
    def edit(doc):
        doc["properties"]["connectorUiConfig"]["sampleQueries"][0]["query"] = "{{tableName}} | take 1"
        doc["properties"]["connectorUiConfig"]["connectivityCriteria"] = [
            {"type": "IsConnectedQuery", "value": ["{{graphQueriesTableName}} | where Verbb == 'get'"]}]

    edited = _json_edited(eks, DEF, edit)
    sources = Target(eks.label, {r: c for r, c in edited.files.items() if not r.startswith("Package/")})
    findings = _findings(sources)
    assert [(f[0], f[3], f[4]) for f in findings] == [
        ("SP407", "properties.connectorUiConfig.connectivityCriteria[0].value[0]",
         "the query uses 'Verbb', which table AWSEKSLogs_CL does not have"),
        ("SP810", "properties.connectorUiConfig.sampleQueries[0].query",
         "the query contains {{tableName}}, which CCF does not fill in (only {{graphQueriesTableName}}, from "
         "connectorUiConfig.graphQueriesTableName)")]
    # beside a package, placeholders are SP406's (checked where they reach Azure, in mainTemplate.json)
    assert [f[0] for f in _findings(edited)] == ["SP407"]


PARSER = """\
id: 4f1a9d2e-0c2b-4b7e-9a51-0d3c2e1f0a11
Function:
  Title: EKS writes
FunctionName: EKSWrites
FunctionAlias: EKSWrites
FunctionParams:
  - Name: verbs
    Type: dynamic
    Default: dynamic(['create', 'update', 'patch', 'delete'])
  - Name: cluster
    Type: string
    Default: '*'
FunctionQuery: |
  AWSEKSLogs_CL
  | where Verb in (verbs) and (cluster == '*' or ClusterName == cluster)
  | extend Actor = User
"""


def test_parsers_are_checked_and_declared_with_their_parameters(eks: Target) -> None:
    files = {**eks.files, "Parsers/EKSWrites.yaml": PARSER.encode()}
    hunting = files["Hunting Queries/EKSUnusualUserAgents.yaml"].decode()
    query = "query: |\n  EKSWrites(cluster='prod') | summarize count() by Actor, Verb\n"
    files["Hunting Queries/EKSUnusualUserAgents.yaml"] = (hunting[: hunting.index("query:")] + query).encode()
    assert _findings(Target(eks.label, files)) == []
    files["Parsers/EKSWrites.yaml"] = PARSER.replace("ClusterName == cluster", "Cluster == cluster").encode()
    (finding,) = _findings(Target(eks.label, files))
    assert finding == ("SP811", "error", "Parsers/EKSWrites.yaml:15", "FunctionQuery",
                       "the parser uses 'Cluster', which table AWSEKSLogs_CL does not have",
                       "did you mean 'ClusterName'?")
    files["Hunting Queries/EKSUnusualUserAgents.yaml"] = (hunting[: hunting.index("query:")] + query.replace(
        "Actor, Verb", "Actr")).encode()
    assert ("SP802", "the query uses 'Actr', which is not a column, variable or function it can see") in {
        (f[0], f[4]) for f in _findings(Target(eks.label, files))}


#: Every KQL finding on the six corpus solutions, each a real defect of the published sources.
CORPUS_DEFECTS = {
    # The stored table file is older than the DCR (corpus README: no BigIDDSPMAssetStore_CL; its
    # columns case/affectedObjects where the stream sends dspmCase/expand, which SP403 reports).
    "BigID": [
        ("SP812", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_DCR.json", "properties.dataFlows[1].transformKql",
         "the transformation writes to table BigIDDSPMAssetStore_CL, which is neither the solution's nor a built-in "
         "table sentinel-pack knows, so its output is not checked"),
    ],
    # The parser's dynamic() literals carry backslash-escaped quotes outside any string (a JSON
    # escaping leftover, corpus README): Kusto does not parse `dynamic({\"0\":\"Android\"})`.
    # The workbook queries calling that parser are not second-guessed (their findings would be its
    # echo); two tiles of the Organization workbook hold a literal backslash-n instead of a line
    # break (`BitwardenEventLogs\\n| where ...`), which no KQL parser accepts.
    "Bitwarden": [
        ("SP810", "Parsers/BitwardenEventLogs.yaml:10", "FunctionQuery", "KQL syntax error (KS005): Expected: }"),
        ("SP810", "Workbooks/BitwardenEventLogsOrganization.json", "items[1].content.query",
         "KQL syntax error (KS002): Unexpected: \\"),
        ("SP810", "Workbooks/BitwardenEventLogsOrganization.json", "items[6].content.query",
         "KQL syntax error (KS002): Unexpected: \\"),
    ],
}


@pytest.mark.parametrize("name", CORPUS)
def test_every_query_of_the_corpus_is_checked_and_only_real_defects_are_reported(reference_root: Path,
                                                                                 name: str) -> None:
    target = load_target(reference_root / "corpus" / name)
    findings = [(f[0], f[2], f[3], f[4]) for f in _findings(target)]
    assert findings == CORPUS_DEFECTS.get(name, [])
    items = checked(target)
    assert items and all(item.analysis is not None for item in items)
    expected = {"connector"} | ({"transform"} if name != "AWS_AccessLogs" else set())
    assert {item.query.kind for item in items} >= expected | ({"parser", "workbook"} if name == "Bitwarden" else set())
    if name == "Bitwarden":  # 12 of the 16 workbook tiles: the 4 others use the workbook parameter {TopUsersBy}
        assert sum(item.query.kind == "workbook" for item in items) == 12
        assert {item.blocked_by for item in items if item.query.kind == "workbook"} == {"BitwardenEventLogs"}


def test_help_does_not_load_the_engine() -> None:
    code = ("import sys\nfrom sentinel_pack.cli import main\nsys.argv = ['sentinel-pack', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('py_mini_racer', 'sentinel_pack.kusto.engine') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_without_the_engine_validate_says_so_once_and_falls_back(reference_eks: Path, tmp_path: Path) -> None:
    """A platform without mini-racer: one SP819 warning, and the token-level checks still find QueueName."""
    code = ("import sys\nfrom sentinel_pack.cli import main\n"
            f"sys.argv = ['sentinel-pack', 'validate', {str(reference_eks)!r}, {str(reference_eks)!r}, "
            "'--select', 'SP407', '--select', 'SP8', '--format', 'json']\nmain()")
    # every process of the run (the pool's workers, its Kusto server) finds no mini-racer
    stub = tmp_path / "no-mini-racer" / "py_mini_racer"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'py_mini_racer'\")\n")
    # Nothing cached either: on such a platform every answer would have to come from the engine.
    env = {**os.environ, "SENTINEL_PACK_NO_CACHE": "1",
           "PYTHONPATH": os.pathsep.join([str(stub.parent), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    findings = json.loads(result.stdout)
    assert result.returncode == 1
    assert [f["rule"] for f in findings].count("SP819") == 1
    (warning,) = [f for f in findings if f["rule"] == "SP819"]
    assert warning["severity"] == "warning" and "Kusto parser could not start (ModuleNotFoundError" in warning["message"]
    assert {f["rule"] for f in findings} == {"SP407", "SP819"}
    assert "'QueueName'" in next(f for f in findings if f["rule"] == "SP407")["message"]


def test_the_vendored_parser_is_the_recorded_npm_release() -> None:
    record = json.loads((VENDOR / "VERSION.json").read_text(encoding="utf-8"))
    assert record["package"] == "@kusto/language-service-next" and record["integrity"].startswith("sha512-")
    for name, meta in record["files"].items():
        data = gzip.decompress((VENDOR / name).read_bytes())
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (meta["sha256"], meta["bytes"])
    notice = (VENDOR / "NOTICE.md").read_text(encoding="utf-8")
    for licence in sorted(VENDOR.glob("LICENSE-*.txt")):
        assert licence.name in notice
    assert len(list(VENDOR.glob("LICENSE-*.txt"))) == 4


def test_one_query_is_fast_once_the_engine_runs() -> None:
    import time

    kusto = engine.get()
    database = Database({"T": {"TimeGenerated": "datetime", "Verb": "string"}})
    kusto.analyze("T | take 1", database)
    start = time.perf_counter()
    analysis = kusto.analyze("T | where Verb == 'get' | summarize count() by bin(TimeGenerated, 1h)", database)
    assert analysis.diagnostics == () and time.perf_counter() - start < 1.0


def test_a_query_nested_past_the_parsers_depth_still_gets_kustos_verdict() -> None:
    """QueryParser falls back to the grammar parser past its MaxDepth: analyze.js builds that
    grammar only then (it skips it for every other query), so the fallback must still work."""
    kusto = engine.get()
    database = Database({"T": {"TimeGenerated": "datetime"}})
    nested = "print x = " + "(" * 700 + "1" + ")" * 700
    assert [d.message for d in kusto.analyze(nested, database).diagnostics] == [
        "Query syntax depth exceeds maximum safe limit. Semantic analysis not performed."]
    shallow = "print x = " + "(" * 50 + "1" + ")" * 50 + " | where y > 1"
    assert [d.code for d in kusto.analyze(shallow, database).diagnostics] == ["KS142"]


def test_the_kql_rules_are_registered_and_documented() -> None:
    selected()
    doc = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule_id in KQL_RULES:
        assert f"## {rule_id} " in doc


@pytest.mark.parametrize("name", CORPUS)
def test_a_package_alone_has_its_queries_checked_from_the_template(reference_root: Path, name: str) -> None:
    """A zip holds only mainTemplate.json: its connector definitions, DCRs, tables, rules and parsers."""
    package = reference_root / "corpus" / name / "Package"
    target = Target(name, {f"Package/{f}": (package / f).read_bytes()
                           for f in ("mainTemplate.json", "createUiDefinition.json")})
    findings = [(f[0], f[3], f[4]) for f in _findings(target)]
    # the package's tables are the newer ones (BigID's defects are in the stored sources only)
    workbook = "resources[4].properties.mainTemplate.resources[0].properties.serializedData: items[{}].content.query"
    assert findings == ([("SP810", "resources[7].properties.mainTemplate.resources[0].properties.query",
                          "KQL syntax error (KS005): Expected: } (line 1 of the query)"),
                         ("SP810", workbook.format(1), "KQL syntax error (KS002): Unexpected: \\"),
                         ("SP810", workbook.format(6), "KQL syntax error (KS002): Unexpected: \\")]
                        if name == "Bitwarden" else [])
    items = checked(target)
    assert items and all(item.analysis is not None for item in items)
    assert {item.query.kind for item in items} >= {"connector"}


def test_the_released_eks_zip_has_every_query_checked(eks: Target) -> None:
    main = eks.files["Package/mainTemplate.json"]
    target = Target("zip", {"Package/mainTemplate.json": main})
    assert _findings(target) == []
    kinds = sorted(item.query.kind for item in checked(target) if item.analysis is not None)
    assert kinds == ["connector"] * 5 + ["detection"] * 10 + ["transform"]


def test_the_vendored_built_in_tables_are_well_formed_and_usable() -> None:
    from sentinel_pack.kusto.schema import TABLES_DIR, builtin_tables

    provenance = (REPO / "sentinel_pack/schemas/vendor/PROVENANCE.md").read_text(encoding="utf-8")
    for path in sorted(TABLES_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        names = [c["name"] for c in doc["columns"]]
        assert doc["name"] == path.stem and doc["source"] and len(names) == len(set(names))
        assert f"`{path.name}`" in provenance and "TimeGenerated" in names
    tables = builtin_tables()
    assert {"AWSCloudTrail", "AWSVPCFlow", "AWSS3ServerAccess", "Syslog", "CommonSecurityLog"} <= tables.keys()
    analysis = engine.get().analyze(
        "CommonSecurityLog | where DeviceVendor == 'x' | summarize Sent = sum(SentBytes) by SourceIP "
        "| join kind=inner (Syslog | project SourceIP = HostIP, Facility) on SourceIP", Database(dict(tables)))
    assert analysis.diagnostics == ()
    assert dict(analysis.columns)["Sent"] == "long"


def test_in_a_source_folder_findings_point_at_the_manifest_line(solution_copy: Path) -> None:
    from sentinel_pack.validate.runner import validate_paths

    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("| summarize count() by ClusterName", "| summarize count() by QueueName")
    text = text.replace("iif(isnull(TimeGenerated), now(), TimeGenerated)", "coalesce(TimeGenerated, now())")
    manifest.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    queue = next(i for i, line in enumerate(lines, 1) if "by QueueName" in line)
    transform = next(i for i, line in enumerate(lines, 1) if "coalesce(" in line)
    findings = validate_paths([solution_copy], select=["SP407", "SP814"])
    # the value's first line (the block indicator), and the line inside the query in the message
    assert [(f.rule, f.file.rsplit("/", 1)[-1], f.line, f.message.endswith("(line 2 of the query)"))
            for f in findings] == [("SP407", "solution.yaml", queue - 2, True),
                                   ("SP814", "solution.yaml", transform - 1, False)]
    assert [r.file.rsplit("/", 1)[-1] for f in findings for r in f.related] == [
        "AWSEKS_ConnectorDefinition.json", "AWSEKS_DCR.json"]


def test_workbook_queries_are_checked_unless_they_use_workbook_parameters(eks: Target) -> None:
    tiles = [{"type": 3, "content": {"query": query, "queryType": 0,
                                     "resourceType": "microsoft.operationalinsights/workspaces"}}
             for query in ("AWSEKSLogs_CL\n| summarize count() by Verbb",
                           "AWSEKSLogs_CL | where ClusterName == '{Cluster}' | summarize count() by Nonsense")]
    workbook = json.dumps({"version": "Notebook/1.0", "items": [{"type": 12, "content": {"items": tiles}}]})
    target = Target(eks.label, {**eks.files, "Workbooks/EKS.json": workbook.encode()})
    assert [(f[0], f[2], f[3], f[4], f[5]) for f in _findings(target)] == [
        ("SP811", "Workbooks/EKS.json", "items[0].content.items[0].content.query",
         "the workbook query uses 'Verbb', which table AWSEKSLogs_CL does not have (line 2 of the query)",
         "did you mean 'Verb'?")]


@pytest.mark.parametrize("edit", [
    lambda d: d["properties"]["connectorUiConfig"].update(graphQueries="x", sampleQueries=[1, None, {"query": 5}]),
    lambda d: d["properties"]["connectorUiConfig"].update(connectivityCriteria=[{"value": "not a list"}], dataTypes={}),
    lambda d: d["properties"].update(connectorUiConfig=[]),
])
def test_odd_connector_values_are_no_crash(eks: Target, edit) -> None:
    findings = check(_json_edited(eks, DEF, edit), KQL_RULES)
    assert not [f for f in findings if "crashed" in f.message]


@pytest.mark.parametrize("edit", [
    lambda d: d["properties"]["dataFlows"][0].update(streams=[1, None]),
    lambda d: d["properties"].update(streamDeclarations=[]),
    lambda d: d["properties"]["dataFlows"][0].update(transformKql=["source"], streams="Custom-X"),
    lambda d: d["properties"]["dataFlows"][0].update(transformKql="source | extend x = 'unterminated"),
])
def test_odd_dcr_values_are_no_crash(eks: Target, edit) -> None:
    findings = check(_json_edited(eks, DCR, edit), KQL_RULES)
    assert not [f for f in findings if "crashed" in f.message]


def test_cached_answers_are_the_engines_and_a_warm_run_never_starts_it(reference_root: Path, tmp_path: Path) -> None:
    """The second validate of unchanged queries reads Kusto's answers from the disk cache: same
    findings, and V8 is never loaded (a corrupt entry would be a miss, see test_perf.py)."""
    cache_env = {**os.environ, "SENTINEL_PACK_CACHE_DIR": str(tmp_path / "cache")}
    code = ("import json, sys\nfrom sentinel_pack.cli import main\n"
            f"sys.argv = ['sentinel-pack', 'validate', {str(reference_root / 'corpus' / 'Bitwarden')!r}, "
            "'--select', 'SP8', '--select', 'SP407', '--format', 'json', '-j', '1']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('ENGINE', 'py_mini_racer' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=cache_env)
            for _ in range(2)]
    outputs = [run.stdout.rsplit("ENGINE", 1) for run in runs]
    assert outputs[0][1].strip() == "True" and outputs[1][1].strip() == "False"
    assert json.loads(outputs[0][0]) == json.loads(outputs[1][0]) != []
    assert any(path.suffix == ".json" for path in (tmp_path / "cache" / "kusto").rglob("*"))
