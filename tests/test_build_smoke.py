from pathlib import Path


def test_build_writes_the_solution_tree(built_eks: Path) -> None:
    expected = {
        "Data Connectors/AWSEKS_ConnectorDefinition.json",
        "Data Connectors/AWSEKS_DCR.json",
        "Data Connectors/AWSEKS_PollingConfig.json",
        "Data Connectors/AWSEKS_Table.json",
        "Data Connectors/CloudFormationTemplates/OIDC_Web_Identity_Provider.json",
        "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json",
        "Data/Solution_AWSEKS.json",
        "SolutionMetadata.json",
        "ReleaseNotes.md",
        "Package/mainTemplate.json",
        "Package/createUiDefinition.json",
        "Package/3.0.0.zip",
    }
    found = {p.relative_to(built_eks).as_posix() for p in built_eks.rglob("*") if p.is_file()}
    assert found == expected
