"""SP304/SP309: the OIDC provider and the role's trust name the Sentinel issuer and its audience.

Microsoft documents one issuer and audience per cloud (commercial, Azure Government); a template
for either cloud passes, a pair from different clouds or another tenant does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sentinel_pack.validate.runner import validate_paths

COMMERCIAL = ("sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d", "api://1462b192-27f7-4cb9-8523-0f4ecb54b47e")
GOVERNMENT = ("sts.windows.net/cab8a31a-1906-4287-a0d8-4eef66b95f6e", "api://d4230588-5f84-4281-a9c7-2c15194b28f7")


def _template(provider_issuer: str, clients: list[str], trust_issuer: str, trust_audience: str) -> dict:
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::${{AWS::AccountId}}:oidc-provider/{trust_issuer}/"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{trust_issuer}/:aud": trust_audience,
                                       "sts:RoleSessionName": "MicrosoftSentinel_${WorkspaceId}"}}}]}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Parameters": {"WorkspaceId": {"Type": "String"}},
            "Resources": {
                "Provider": {"Type": "AWS::IAM::OIDCProvider",
                             "Properties": {"Url": f"https://{provider_issuer}/", "ClientIdList": clients,
                                            "ThumbprintList": ["626d44e704d1ceabe3bf0d53397464ac8080142c"]}},
                "Role": {"Type": "AWS::IAM::Role",
                         "Properties": {"RoleName": "OIDC_Sentinel", "AssumeRolePolicyDocument": {"Fn::Sub": json.dumps(trust)}}}}}


def _rules(tmp_path: Path, template: dict) -> set[tuple[str, str]]:
    (tmp_path / "Data Connectors").mkdir()
    (tmp_path / "Data Connectors/OIDC.json").write_text(json.dumps(template), encoding="utf-8")
    return {(f.rule, f.path.rsplit(".", 1)[-1]) for f in validate_paths([tmp_path], select=["SP304", "SP309"])}


@pytest.mark.parametrize("cloud", [COMMERCIAL, GOVERNMENT], ids=["commercial", "government"])
def test_either_cloud_passes(cloud: tuple[str, str], tmp_path: Path) -> None:
    assert _rules(tmp_path, _template(cloud[0], [cloud[1]], cloud[0], cloud[1])) == set()


@pytest.mark.parametrize(("template", "expected"), [
    (_template(COMMERCIAL[0], [GOVERNMENT[1]], *COMMERCIAL), {("SP309", "ClientIdList")}),
    (_template(COMMERCIAL[0], [COMMERCIAL[1], "sts.amazonaws.com"], *COMMERCIAL), {("SP309", "ClientIdList")}),
    (_template("sts.windows.net/00000000-0000-0000-0000-000000000000", [COMMERCIAL[1]], *COMMERCIAL),
     {("SP309", "Url")}),
    (_template(*COMMERCIAL[:1], [COMMERCIAL[1]], COMMERCIAL[0], GOVERNMENT[1]), {("SP304", "Condition")}),
    (_template(*COMMERCIAL[:1], [COMMERCIAL[1]], GOVERNMENT[0], COMMERCIAL[1]), {("SP304", "Condition")}),
    (_template(*COMMERCIAL[:1], [COMMERCIAL[1]], "accounts.google.com", COMMERCIAL[1]), {("SP304", "Principal")}),
], ids=["audience-of-another-cloud", "extra-audience", "issuer-of-another-tenant", "trust-audience-of-another-cloud",
        "trust-issuer-and-audience-of-two-clouds", "trust-another-issuer"])
def test_a_mismatched_issuer_or_audience_is_an_error(template: dict, expected: set, tmp_path: Path) -> None:
    assert _rules(tmp_path, template) >= expected
