"""MITRE ATT&CK Enterprise: the tactics each technique belongs to, for the cloud, container and
identity techniques detection content uses.

Transcribed from https://attack.mitre.org/ (Enterprise matrix; technique pages list their
tactics), tactic names in Sentinel's spelling. A technique missing here is not judged: the
check only reports a technique whose tactics are known and none of which the rule lists.
"""

from __future__ import annotations

P, PE, DE, IA, EX = "Persistence", "PrivilegeEscalation", "DefenseEvasion", "InitialAccess", "Execution"
CA, DI, LM, CO, C2 = "CredentialAccess", "Discovery", "LateralMovement", "Collection", "CommandAndControl"
EF, IM, RE = "Exfiltration", "Impact", "Reconnaissance"

TECHNIQUES: dict[str, tuple[str, tuple[str, ...]]] = {
    "T1003": ("OS Credential Dumping", (CA,)),
    "T1021": ("Remote Services", (LM,)),
    "T1046": ("Network Service Discovery", (DI,)),
    "T1053": ("Scheduled Task/Job", (EX, P, PE)),
    "T1059": ("Command and Scripting Interpreter", (EX,)),
    "T1068": ("Exploitation for Privilege Escalation", (PE,)),
    "T1069": ("Permission Groups Discovery", (DI,)),
    "T1070": ("Indicator Removal", (DE,)),
    "T1078": ("Valid Accounts", (DE, P, PE, IA)),
    "T1087": ("Account Discovery", (DI,)),
    "T1098": ("Account Manipulation", (P, PE)),
    "T1110": ("Brute Force", (CA,)),
    "T1133": ("External Remote Services", (P, IA)),
    "T1136": ("Create Account", (P,)),
    "T1190": ("Exploit Public-Facing Application", (IA,)),
    "T1485": ("Data Destruction", (IM,)),
    "T1486": ("Data Encrypted for Impact", (IM,)),
    "T1496": ("Resource Hijacking", (IM,)),
    "T1498": ("Network Denial of Service", (IM,)),
    "T1499": ("Endpoint Denial of Service", (IM,)),
    "T1525": ("Implant Internal Image", (P,)),
    "T1526": ("Cloud Service Discovery", (DI,)),
    "T1528": ("Steal Application Access Token", (CA,)),
    "T1530": ("Data from Cloud Storage", (CO,)),
    "T1531": ("Account Access Removal", (IM,)),
    "T1535": ("Unused/Unsupported Cloud Regions", (DE,)),
    "T1537": ("Transfer Data to Cloud Account", (EF,)),
    "T1538": ("Cloud Service Dashboard", (DI,)),
    "T1548": ("Abuse Elevation Control Mechanism", (PE, DE)),
    "T1550": ("Use Alternate Authentication Material", (DE, LM)),
    "T1552": ("Unsecured Credentials", (CA,)),
    "T1562": ("Impair Defenses", (DE,)),
    "T1578": ("Modify Cloud Compute Infrastructure", (DE,)),
    "T1580": ("Cloud Infrastructure Discovery", (DI,)),
    "T1595": ("Active Scanning", (RE,)),
    "T1609": ("Container Administration Command", (EX,)),
    "T1610": ("Deploy Container", (DE, EX)),
    "T1611": ("Escape to Host", (PE,)),
    "T1612": ("Build Image on Host", (DE,)),
    "T1613": ("Container and Resource Discovery", (DI,)),
    "T1619": ("Cloud Storage Object Discovery", (DI,)),
    "T1071": ("Application Layer Protocol", (C2,)),
}


def tactics_of(technique: str) -> tuple[str, tuple[str, ...]] | None:
    """(name, tactics) of a technique or sub-technique (``T1562.008`` -> ``T1562``), if known."""
    return TECHNIQUES.get(technique.split(".", 1)[0])
