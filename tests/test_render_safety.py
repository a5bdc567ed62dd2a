"""Whatever text a manifest holds, the outputs are valid JSON that carry it unchanged.

Values reach the JSON templates only through ``tojson``; a quote, a backslash, braces that
look like Jinja or a ``{{placeholder}}`` in a description can never break a document.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from conftest import SOLUTION
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinel_pack.manifest.load import load_manifest
from sentinel_pack.package.build import render_solution

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85\u2028\u2029"),
    min_size=1, max_size=40,
).filter(lambda s: s.strip() == s and s.strip())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXT, column_description=TEXT)
def test_any_text_round_trips(tmp_path_factory, title: str, column_description: str) -> None:
    solution = tmp_path_factory.mktemp("s") / "solution"
    shutil.copytree(SOLUTION, solution, ignore=shutil.ignore_patterns("Package", "Data*", "*.md", "*.json"))
    manifest = solution / "solution.yaml"
    data = yaml.safe_load(manifest.read_text())
    data["connector"]["title"] = title
    data["table"]["columns"][1]["description"] = column_description
    data["solution"]["first_publish_date"] = str(data["solution"]["first_publish_date"])
    for entry in data["release_notes"]:
        entry["date"] = str(entry["date"])
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True))

    rendered = render_solution(load_manifest(solution))

    for rel, content in rendered.files.items():
        if rel.endswith(".json"):
            json.loads(content.decode("utf-8"))
    definition = rendered.documents["Data Connectors/AWSEKS_ConnectorDefinition.json"]
    assert definition["properties"]["connectorUiConfig"]["title"] == title
    table = rendered.documents["Data Connectors/AWSEKS_Table.json"]
    assert table["properties"]["schema"]["columns"][1]["description"] == column_description
    main = rendered.documents["Package/mainTemplate.json"]
    assert main["resources"][3]["properties"]["displayName"] == title


def test_markdown_to_html() -> None:
    from sentinel_pack.render.markdown import to_html

    assert to_html("**Bold** and [a link](https://x.test)\n\nsecond") == (
        '<p><strong>Bold</strong> and <a href="https://x.test">a link</a></p>\n<p>second</p>\n')


def test_arm_escape_is_idempotent() -> None:
    from sentinel_pack.render.arm import escape, parameter

    assert parameter("roleArn") == "[[parameters('roleArn')]"
    assert escape(escape("[newGuid()]")) == "[[newGuid()]"
    assert escape("plain") == "plain"


def test_reads_nothing_outside(tmp_path: Path) -> None:
    """The built-in templates cannot include files outside the template folders."""
    from sentinel_pack.errors import SentinelPackError
    from sentinel_pack.render.engine import Renderer

    override = tmp_path / "t"
    override.mkdir()
    (override / "evil.j2").write_text('{% include "../../../../etc/passwd" %}')
    try:
        Renderer(override).render_text("evil.j2", {})
    except SentinelPackError as error:
        assert "not found" in error.render()
    else:
        raise AssertionError("an include outside the template folders must fail")
