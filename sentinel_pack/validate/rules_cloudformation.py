"""SP3xx: the CloudFormation templates the customer deploys, via cfn-lint and least-privilege checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sentinel_pack.validate.finding import ERROR, WARNING, Location, Yielded, rule
from sentinel_pack.validate.target import Target

Out = Iterator[Yielded]
POLLER_ACTIONS = {
    "s3:getobject",
    "sqs:receivemessage",
    "sqs:deletemessage",
    "sqs:changemessagevisibility",
    "sqs:getqueueattributes",
    "sqs:getqueueurl",
}


def _cfn_lint(text: str) -> tuple[tuple[str, str, str, str, int | None, int | None], ...]:
    """cfn-lint's findings for one template text: keyed by content, in ``perf.cfnlint``."""
    from sentinel_pack.perf.cfnlint import lint

    return lint(text)


def prepare(rule_ids: list[str], target: Target) -> None:
    """Send the target's templates to cfn-lint's helper now: it lints them while the other rules run."""
    if "SP301" in rule_ids or "SP302" in rule_ids:
        from sentinel_pack.perf.cfnlint import prefetch

        prefetch([target.cloudformation_text(rel) for rel, _ in target.cloudformation()])


#: cfn-lint's rules on the runtime lifecycle; SP308 reports the same dates, with a margin.
_LIFECYCLE_RULES = {"W2531", "E2531", "E2533"}


def _cfn_lint_matches(target: Target, errors: bool) -> Out:
    """cfn-lint's errors or its other findings, less the runtime dates SP308 already reports.

    Each keeps cfn-lint's own line: of the file, or, for a template embedded in a string, the
    finding goes on the string's line and names cfn-lint's line inside it.
    """
    for rel, template in target.cloudformation():
        covered = _blocked_runtime_paths(template)
        for rule_id, severity, path, message, line, column in _cfn_lint(target.cloudformation_text(rel)):
            if (severity == "error") != errors or (rule_id in _LIFECYCLE_RULES and path in covered):
                continue
            text = f"cfn-lint {rule_id}: {message}"
            if " (" in rel:
                yield rel, path, text + (f" (line {line} of the embedded template)" if line else ""), \
                    "see the cfn-lint rule documentation"
            else:
                yield rel, path, text, "see the cfn-lint rule documentation", Location(line=line, column=column)


@rule("SP301", ERROR, "cfn-lint finds no errors in the CloudFormation templates", waits=True)
def cfn_lint_errors(target: Target) -> Out:
    yield from _cfn_lint_matches(target, errors=True)


@rule("SP302", WARNING, "cfn-lint warnings in the CloudFormation templates", waits=True)
def cfn_lint_warnings(target: Target) -> Out:
    yield from _cfn_lint_matches(target, errors=False)


def _blocked_runtime_paths(template: dict[str, Any]) -> set[str]:
    from sentinel_pack.validate import runtimes

    try:
        on = runtimes.today()
    except ValueError:
        return set()
    return {path for path, _, _ in runtimes.findings(template, on)}


@rule("SP308", ERROR, "Lambda runtimes can still create functions 90 days from now")
def lambda_runtime_deadline(target: Target) -> Out:
    from sentinel_pack.validate import runtimes

    templates = target.cloudformation()
    if not templates:
        return
    try:
        on = runtimes.today()
    except ValueError as exc:
        yield templates[0][0], "", str(exc), f"unset {runtimes.TODAY_ENV} or give a date such as 2027-01-31"
        return
    for rel, template in templates:
        for path, message, fix in runtimes.findings(template, on):
            yield rel, path, message, fix


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict) and "Fn::Sub" in document:
        try:
            document = json.loads(document["Fn::Sub"])
        except (TypeError, json.JSONDecodeError):
            return []
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _policies(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON path, statement) for every IAM statement in the template."""
    for name, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {}) if isinstance(resource, dict) else {}
        docs = [
            ("AssumeRolePolicyDocument", props.get("AssumeRolePolicyDocument")),
            ("PolicyDocument", props.get("PolicyDocument")),
        ]
        docs += [
            (f"Policies[{i}].PolicyDocument", p.get("PolicyDocument"))
            for i, p in enumerate(props.get("Policies", []))
            if isinstance(p, dict)
        ]
        for where, doc in docs:
            for i, statement in enumerate(_statements(doc)):
                yield f"Resources.{name}.Properties.{where}.Statement[{i}]", statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@rule("SP303", ERROR, "No wildcard IAM actions or resources, no '*' principals")
def no_wildcards(target: Target) -> Out:
    for rel, template in target.cloudformation():
        for path, statement in _policies(template):
            if statement.get("Effect") != "Allow":
                continue
            for action in _as_list(statement.get("Action", [])):
                if isinstance(action, str) and "*" in action:
                    yield rel, f"{path}.Action", f"wildcard action '{action}'", "list the exact actions needed"
            for resource in _as_list(statement.get("Resource", [])):
                if resource == "*":
                    yield rel, f"{path}.Resource", "wildcard resource '*'", "name the bucket, queue or stream ARN"
            principal = statement.get("Principal")
            if principal == "*" or (isinstance(principal, dict) and "*" in map(str, _as_list(principal.get("AWS")))):
                yield rel, f"{path}.Principal", "the statement admits any principal ('*')", "name the principal"


def _sentinel_role(template: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for name, resource in template.get("Resources", {}).items():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::IAM::Role":
            for statement in _statements(resource.get("Properties", {}).get("AssumeRolePolicyDocument")):
                if "Federated" in (statement.get("Principal") or {}):
                    return name, resource
    return None


def _sentinel_roles(target: Target) -> Iterator[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    """(file, template, logical id, role) of each role Sentinel assumes through OIDC."""
    for rel, template in target.cloudformation():
        found = _sentinel_role(template)
        if found is not None:
            yield rel, template, found[0], found[1]


@rule("SP304", ERROR, "The OIDC trust policy pins the Sentinel issuer, audience and session name")
def oidc_trust(target: Target) -> Out:
    for rel, _template, name, role in _sentinel_roles(target):
        for i, statement in enumerate(_statements(role["Properties"]["AssumeRolePolicyDocument"])):
            path = f"Resources.{name}.Properties.AssumeRolePolicyDocument.Statement[{i}]"
            federated = str(statement.get("Principal", {}).get("Federated", ""))
            issuer = next((i for i in SENTINEL_OIDC if f"oidc-provider/{i}/" in f"{federated}/"), None)
            if issuer is None:
                yield (
                    rel,
                    f"{path}.Principal",
                    "the role does not trust the Microsoft Sentinel OIDC issuer",
                    "trust oidc-provider/sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d/ "
                    "(Azure Government: sts.windows.net/cab8a31a-1906-4287-a0d8-4eef66b95f6e/)",
                )
            if "sts:AssumeRoleWithWebIdentity" not in _as_list(statement.get("Action")):
                yield (
                    rel,
                    f"{path}.Action",
                    "the trust policy must allow only sts:AssumeRoleWithWebIdentity",
                    "set Action to sts:AssumeRoleWithWebIdentity",
                )
            equals = statement.get("Condition", {}).get("StringEquals", {})
            if not any(k.endswith(":aud") for k in equals):
                yield (
                    rel,
                    f"{path}.Condition",
                    "no audience (:aud) condition: any app of the issuer could assume the role",
                    "add StringEquals '<issuer>:aud' = the Sentinel client id",
                )
            audiences = [v for k, v in equals.items()
                         if issuer and k.endswith(":aud") and k.removesuffix(":aud").rstrip("/") == issuer]
            values = [str(x) for v in audiences for x in _as_list(v)]
            if issuer and values and not any("${" in v for v in values) and values != [SENTINEL_OIDC[issuer]]:
                yield (
                    rel,
                    f"{path}.Condition",
                    f"the audience condition admits {', '.join(values)}, not only the Microsoft Sentinel "
                    f"audience {SENTINEL_OIDC[issuer]}",
                    f"set '{issuer}/:aud' to {SENTINEL_OIDC[issuer]}",
                )
            if "sts:RoleSessionName" not in equals:
                yield (
                    rel,
                    f"{path}.Condition",
                    "no sts:RoleSessionName condition",
                    "add StringEquals sts:RoleSessionName = MicrosoftSentinel_${SentinelWorkspaceId}",
                )


@rule("SP305", ERROR, "The Sentinel role name keeps the OIDC_ prefix")
def role_prefix(target: Target) -> Out:
    for rel, template, name, role in _sentinel_roles(target):
        role_name = role["Properties"].get("RoleName")
        if isinstance(role_name, dict) and "Ref" in role_name:
            param = template.get("Parameters", {}).get(role_name["Ref"], {})
            if not str(param.get("Default", "OIDC_")).startswith("OIDC_") or not str(
                param.get("AllowedPattern", "OIDC_")
            ).startswith("OIDC_"):
                yield (
                    rel,
                    f"Parameters.{role_name['Ref']}",
                    "the role name may not start with OIDC_",
                    "keep Default and AllowedPattern starting with OIDC_ (Sentinel only assumes such roles)",
                )
        elif isinstance(role_name, str) and not role_name.startswith("OIDC_"):
            yield (
                rel,
                f"Resources.{name}.Properties.RoleName",
                f"role name '{role_name}' lacks the OIDC_ prefix",
                "rename it OIDC_...",
            )


@rule("SP306", ERROR, "The Sentinel role may only read objects and consume its queue")
def poller_role_scope(target: Target) -> Out:
    for rel, _template, name, role in _sentinel_roles(target):
        for i, policy in enumerate(role["Properties"].get("Policies", [])):
            for j, statement in enumerate(_statements(policy.get("PolicyDocument"))):
                extra = [
                    a
                    for a in _as_list(statement.get("Action", []))
                    if isinstance(a, str) and a.lower() not in POLLER_ACTIONS
                ]
                if statement.get("Effect") == "Allow" and extra:
                    yield (
                        rel,
                        f"Resources.{name}.Properties.Policies[{i}].PolicyDocument.Statement[{j}].Action",
                        f"the Sentinel role is granted {', '.join(extra)}",
                        "allow only s3:GetObject and receive/delete/change-visibility on the queue",
                    )


@rule("SP307", ERROR, "The bucket notifies the queue, and the queue admits only that bucket of this account")
def notification_and_queue_policy(target: Target) -> Out:
    for rel, template in target.cloudformation():
        resources = template.get("Resources", {})
        queues = {n for n, r in resources.items() if isinstance(r, dict) and r.get("Type") == "AWS::SQS::Queue"}
        if not queues:
            continue
        for name, resource in resources.items():
            if not isinstance(resource, dict):
                continue
            if resource.get("Type") == "AWS::S3::Bucket":
                configs = (
                    resource.get("Properties", {}).get("NotificationConfiguration", {}).get("QueueConfigurations", [])
                )
                targets = {
                    str((c.get("Queue") or {}).get("Fn::GetAtt", [""])[0]) for c in configs if isinstance(c, dict)
                }
                if not targets & queues:
                    yield (
                        rel,
                        f"Resources.{name}.Properties.NotificationConfiguration",
                        "the bucket does not notify the Sentinel queue",
                        "add a QueueConfiguration targeting the queue",
                    )
            if resource.get("Type") == "AWS::SQS::QueuePolicy":
                for i, statement in enumerate(_statements(resource.get("Properties", {}).get("PolicyDocument"))):
                    if (statement.get("Principal") or {}).get("Service") != "s3.amazonaws.com":
                        continue
                    condition = statement.get("Condition", {})
                    if "aws:SourceAccount" not in condition.get(
                        "StringEquals", {}
                    ) or "aws:SourceArn" not in condition.get("ArnLike", condition.get("ArnEquals", {})):
                        yield (
                            rel,
                            f"Resources.{name}.Properties.PolicyDocument.Statement[{i}].Condition",
                            "S3 may send to the queue from any bucket or account",
                            "add StringEquals aws:SourceAccount and ArnLike aws:SourceArn of the bucket",
                        )


#: The Microsoft Sentinel OIDC issuer and the audience its tokens carry, per Azure cloud
#: (learn.microsoft.com/azure/sentinel/connect-aws-configure-environment: commercial, government).
SENTINEL_OIDC = {
    "sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d": "api://1462b192-27f7-4cb9-8523-0f4ecb54b47e",
    "sts.windows.net/cab8a31a-1906-4287-a0d8-4eef66b95f6e": "api://d4230588-5f84-4281-a9c7-2c15194b28f7",
}


def _literal(template: dict[str, Any], value: Any) -> Any:
    """A value, or the Default of the parameter it references; None for other intrinsics."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return (template.get("Parameters", {}).get(value["Ref"]) or {}).get("Default")
    return None if isinstance(value, dict) else value


@rule("SP309", ERROR, "The OIDC provider is the Sentinel issuer, with the Sentinel audience")
def oidc_provider(target: Target) -> Out:
    """A provider for another issuer (or audience) lets other tokens assume the Sentinel role, or none at all."""
    for rel, template in target.cloudformation():
        for name, resource in template.get("Resources", {}).items():
            if not isinstance(resource, dict) or resource.get("Type") != "AWS::IAM::OIDCProvider":
                continue
            props = resource.get("Properties", {}) if isinstance(resource.get("Properties"), dict) else {}
            path = f"Resources.{name}.Properties"
            url = _literal(template, props.get("Url"))
            if url is None and "Url" in props:
                continue  # built with an intrinsic function: the value is known only in AWS
            issuer = str(url or "").removeprefix("https://").rstrip("/")
            if issuer not in SENTINEL_OIDC:
                yield rel, f"{path}.Url", f"the OIDC provider URL {url!r} is not the Microsoft Sentinel issuer", \
                    "use https://sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d/ (Azure Government: " \
                    "https://sts.windows.net/cab8a31a-1906-4287-a0d8-4eef66b95f6e/)"
                continue
            audience = SENTINEL_OIDC[issuer]
            clients = _literal(template, props.get("ClientIdList"))
            if clients is None and "ClientIdList" in props:
                continue
            clients = clients if isinstance(clients, list) else [clients] if clients else []
            if audience not in clients:
                yield rel, f"{path}.ClientIdList", \
                    f"the OIDC provider's audiences {clients} lack the Microsoft Sentinel audience {audience}", \
                    f"set ClientIdList to [{audience}]"
            elif len(clients) > 1:
                yield rel, f"{path}.ClientIdList", \
                    f"the OIDC provider admits other audiences than Microsoft Sentinel's: " \
                    f"{', '.join(str(c) for c in clients if c != audience)}", f"set ClientIdList to [{audience}]"
