"""arm-ttk's CreateUIDefinition tests, read off its scripts.

Each check takes the createUiDefinition value (and the main template's parameters where the
test compares both) and yields (JSON path, message, fix).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sentinel_pack.armttk.context import Hit

Out = Iterator[Hit]
SCHEMA = "https://schema.management.azure.com/schemas/0.1.2-preview/CreateUIDefinition.MultiVm.json#"


def _parameters(ui: Any) -> dict[str, Any]:
    value = ui.get("parameters") if isinstance(ui, dict) else None
    return value if isinstance(value, dict) else {}


def _outputs(ui: Any) -> dict[str, Any]:
    value = _parameters(ui).get("outputs")
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _controls(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object with a ``type`` anywhere in the file (arm-ttk's Find-JsonContent -Key type)."""
    if isinstance(value, dict):
        if isinstance(value.get("type"), str):
            yield path, value
        for key, item in value.items():
            yield from _controls(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _controls(item, f"{path}[{index}]")


def _of_type(ui: Any, control_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    return ((p, c) for p, c in _controls(ui) if c["type"].lower() == control_type.lower())


def _template_params(template: Any) -> dict[str, Any]:
    value = template.get("parameters") if isinstance(template, dict) else None
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def schema(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'CreateUIDefinition Should Have Schema' (and a version equal to the schema's)."""
    value = ui.get("$schema") if isinstance(ui, dict) else None
    if not value:
        yield "$schema", "createUiDefinition has no $schema", f'set "$schema": "{SCHEMA}"'
    elif value != SCHEMA:
        yield "$schema", f"unexpected $schema {value!r}", f"use {SCHEMA}"
    version = ui.get("version") if isinstance(ui, dict) else None
    if not version:
        yield "version", "createUiDefinition has no version", 'set "version": "0.1.2-preview"'
    elif isinstance(value, str):
        expected = next((part for part in value.split("/") if re.match(r"\d+\.\d+", part)), None)
        if expected and version != expected:
            yield "version", f"version {version!r} differs from the schema's {expected!r}", \
                f'set "version": "{expected}"'


_BLANK_OK = frozenset({"basics", "defaultValue", "steps"})


def _blank(value: Any) -> bool:
    if value is None or value in ({}, []):
        return True
    if isinstance(value, str):
        return not value.strip()
    # arm-ttk also flags [{}] and [""]
    return isinstance(value, list) and len(value) == 1 \
        and (value[0] == {} or (isinstance(value[0], str) and not value[0].strip()))


def no_blanks(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'CreateUIDefinition Must Not Have Blanks' (except basics, steps, defaultValue)."""
    def walk(value: Any, path: str) -> Out:
        if isinstance(value, dict):
            for key, item in value.items():
                here = f"{path}.{key}" if path else key
                if _blank(item) and key not in _BLANK_OK:
                    yield here, f"blank property '{key}'", "remove it or give it a value"
                yield from walk(item, here)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, f"{path}[{index}]")
    yield from walk(ui, "")


_REFERENCE = re.compile(
    r"\[\s*(?:basics\(\s*'(?P<control>[^']+)'|steps\(\s*'(?P<step>[^']+)'\s*\)(?:\.(?P<element>\w+))?)", re.I)


def controls_in_outputs_exist(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'Controls In Outputs Must Exist': basics('x') and steps('s').x name real controls."""
    params = _parameters(ui)
    basics = {c.get("name") for c in _list(params.get("basics")) if isinstance(c, dict)}
    steps = {s.get("name"): s for s in _list(params.get("steps")) if isinstance(s, dict)}
    for name, value in _outputs(ui).items():
        texts = [value] if isinstance(value, str) else [v for v in value.values() if isinstance(v, str)] \
            if isinstance(value, dict) else []
        for text in texts:
            for match in _REFERENCE.finditer(text):
                path = f"parameters.outputs.{name}"
                if match["control"] and match["control"] not in basics:
                    yield path, f"control '{match['control']}' is not in parameters.basics", "fix the control name"
                if match["step"]:
                    step = steps.get(match["step"])
                    if step is None:
                        yield path, f"step '{match['step']}' is not in parameters.steps", "fix the step name"
                    elif match["element"] and match["element"] not in {
                            e.get("name") for e in _list(step.get("elements")) if isinstance(e, dict)}:
                        yield path, f"element '{match['element']}' is not in step '{match['step']}'", \
                            "fix the element name"


def _output_for(ui: Any, control: str) -> str | None:
    """The output whose value reads the control, as arm-ttk finds it (by name, in steps() or basics())."""
    for name, value in _outputs(ui).items():
        text = value if isinstance(value, str) else str(value)
        if re.search(rf"(steps|basics)\(.*{re.escape(control)}", text):
            return name
    return None


def _find_allowed(value: Any, path: str, parents: tuple[dict, ...]) -> Iterator[tuple[str, dict, tuple[dict, ...]]]:
    if isinstance(value, dict):
        if value.get("allowedValues"):
            yield path, value, parents
        for key, item in value.items():
            yield from _find_allowed(item, f"{path}.{key}" if path else key, (value, *parents))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _find_allowed(item, f"{path}[{index}]", parents)


def _output_reading(ui: Any, control: str, step: str | None) -> str | None:
    """The output that reads a control, by arm-ttk's CreateUIDefinition_Output pattern."""
    if step:
        pattern = rf"steps\(\s*'{re.escape(step)}'\s*\)(?:\.\w+)*?\.{re.escape(control)}"
    else:
        pattern = rf"basics\(\s*'{re.escape(control)}'\s*\)"
    return next((name for name, value in _outputs(ui).items() if isinstance(value, str) and re.search(pattern, value)),
                None)


def allowed_values_allowed(ui: Any, template: Any) -> Out:
    """arm-ttk 'Allowed Values Should Actually Be Allowed': a control offers only what its parameter allows."""
    import json

    params = _template_params(template)
    text = json.dumps(ui)
    for path, holder, parents in _find_allowed(ui, "", ()):
        parent = parents[0] if parents else {}
        name = parent.get("name")
        if name:
            step = parents[1].get("name") if len(parents) > 1 else None
            output = _output_reading(ui, str(name), str(step) if step else None)
            label = str(name)
        elif ".config." in f".{path}.":
            label = path.split(".")[-1]
            output = next((n for n, v in _outputs(ui).items() if isinstance(v, str) and f"{label}(" in v), None)
        else:
            continue
        if output is None:
            if name and not re.search(rf"\.{re.escape(str(name))}", text):
                yield path, f"control '{name}' is not read by any output", "pass it to the template through an output"
            continue
        parameter = params.get(output.lower())
        if not isinstance(parameter, dict):
            yield path, f"'{label}' feeds output '{output}', which is not a template parameter", \
                "add the parameter to mainTemplate.json"
            continue
        offered = [v.get("value") if isinstance(v, dict) and "value" in v else v for v in holder["allowedValues"]]
        allowed = parameter.get("allowedValues") if isinstance(parameter.get("allowedValues"), list) else []
        for value in offered if allowed else []:
            if not any(str(value) in str(a) for a in allowed):
                yield path, f"'{label}' offers {value!r}, which parameter '{output}' does not allow", \
                    "offer only the parameter's allowedValues"
        default = parameter.get("defaultValue")
        if default and re.sub(r"\s", "", str(default)).lower() != "[resourcegroup().location]":
            for item in default if isinstance(default, list) else [default]:
                if item in offered or any(str(default) in str(a) for a in allowed):
                    continue
                yield path, f"the default {item!r} of parameter '{output}' is not offered by '{label}'", \
                    "offer the default, or change it"


def _regex_ok(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as error:
        return str(error)
    return None


def textboxes_well_formed(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'Textboxes Are Well Formed': constraints with a valid regex and a validation message."""
    for path, box in _of_type(ui, "Microsoft.Common.TextBox"):
        constraints = box.get("constraints")
        name = box.get("name")
        if not constraints:
            yield path, f"textbox '{name}' has no constraints", \
                "add constraints.regex and constraints.validationMessage"
            continue
        pattern = None
        if isinstance(constraints, dict) and constraints.get("validations"):
            pattern = next((v.get("regex") for v in constraints["validations"]
                            if isinstance(v, dict) and v.get("regex")), None)
        elif isinstance(constraints, dict) and constraints.get("regex"):
            pattern = constraints["regex"]
            if not constraints.get("validationMessage"):
                yield f"{path}.constraints", f"textbox '{name}' has no constraints.validationMessage", \
                    "say what the regex expects"
        if not pattern:
            yield f"{path}.constraints", f"textbox '{name}' has no regex", "add constraints.regex"
        elif isinstance(pattern, str) and (error := _regex_ok(pattern)):
            yield f"{path}.constraints", f"textbox '{name}' has an invalid regex: {error}", "fix the regex"


_NO_TOOLTIP = frozenset(t.lower() for t in (
    "Microsoft.Common.InfoBox", "Microsoft.Common.Section", "Microsoft.Common.TextBlock",
    "Microsoft.Solutions.ArmApiControl", "Microsoft.Solutions.GraphApiControl", "Microsoft.Common.EditableGrid",
    "Microsoft.Solutions.JitConfigurator"))


def tooltips_present(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'Tooltips Should Be Present' on every Microsoft.*.* control that supports one."""
    for path, control in _controls(ui):
        kind = control["type"]
        if re.fullmatch(r"Microsoft\..*\..*", kind, re.I) and kind.lower() not in _NO_TOOLTIP \
                and not str(control.get("toolTip") or control.get("tooltip") or "").strip():
            yield path, f"control '{control.get('name')}' ({kind}) has no toolTip", "add a toolTip"


def password_min_length(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'PasswordBoxes Must Have Min Length': constraints, and a regex with a {n} length."""
    for path, box in _of_type(ui, "Microsoft.Common.PasswordBox"):
        constraints = box.get("constraints")
        if not constraints:
            yield path, f"password box '{box.get('name')}' has no constraints", "add constraints with a length rule"
            continue
        pattern = constraints.get("regex") if isinstance(constraints, dict) else None
        if not isinstance(pattern, str) or not pattern or (pattern.strip().startswith("[")
                                                           and pattern.strip().endswith("]")):
            continue
        if error := _regex_ok(pattern):
            yield f"{path}.constraints.regex", f"password box regex is invalid: {error}", "fix the regex"
        elif not re.search(r"\{\d+", pattern):
            yield f"{path}.constraints.regex", f"password box '{box.get('name')}' regex has no length constraint", \
                "add a length like {12,}"


def password_boxes_secure(ui: Any, template: Any) -> Out:
    """arm-ttk 'Password Textboxes Must Be Used For Password Parameters'."""
    params = _template_params(template)
    for path, box in _of_type(ui, "Microsoft.Common.PasswordBox"):
        name = str(box.get("name"))
        output = _output_for(ui, name)
        if output is None:
            yield path, f"password box '{name}' is not read by any output", "pass it to the template through an output"
            continue
        parameter = params.get(output.lower())
        if not isinstance(parameter, dict):
            yield path, f"password box '{name}' feeds output '{output}', which is not a template parameter", \
                "add the parameter to mainTemplate.json"
        elif str(parameter.get("type", "")).lower() not in ("securestring", "secureobject"):
            yield path, f"password box '{name}' feeds parameter '{output}' of type {parameter.get('type')!r}", \
                "declare the parameter as securestring"


def location_in_outputs(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'Location Should Be In Outputs': outputs.location is [location()]."""
    outputs = _parameters(ui).get("outputs")
    if not outputs:
        yield "parameters", "createUiDefinition has no outputs", "add parameters.outputs"
        return
    location = outputs.get("location") if isinstance(outputs, dict) else None
    if not location:
        yield "parameters.outputs", "outputs has no location", 'add "location": "[location()]"'
    elif str(location).strip() != "[location()]":
        yield "parameters.outputs.location", f"outputs.location is {location!r}", 'set it to "[location()]"'


def handler_correct(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'Handler Must Be Correct'."""
    handler = ui.get("handler") if isinstance(ui, dict) else None
    if not handler:
        yield "handler", "createUiDefinition has no handler", 'set "handler": "Microsoft.Azure.CreateUIDef"'
    elif handler not in ("Microsoft.Compute.MultiVm", "Microsoft.Azure.CreateUIDef"):
        yield "handler", f"handler {handler!r} is not Microsoft.Azure.CreateUIDef or Microsoft.Compute.MultiVm", \
            'set "handler": "Microsoft.Azure.CreateUIDef"'


def confirmation_not_hidden(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'Credential Confirmation Should Not Be Hidden'."""
    for kind in ("Microsoft.Common.PasswordBox", "Microsoft.Compute.CredentialsCombo"):
        for path, box in _of_type(ui, kind):
            options = box.get("options")
            if isinstance(options, dict) and options.get("hideConfirmation") is True:
                yield f"{path}.options.hideConfirmation", f"'{box.get('name')}' hides the confirmation box", \
                    "remove hideConfirmation"


def validations_have_message(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'Validations Must Have Message'."""
    def walk(value: Any, path: str) -> Out:
        if isinstance(value, dict):
            for key, item in value.items():
                here = f"{path}.{key}" if path else key
                if key == "validations" and isinstance(item, list):
                    for index, rule in enumerate(item):
                        if isinstance(rule, dict) and "message" not in rule:
                            yield f"{here}[{index}]", "a validation has no message", \
                                "add a message saying what is wrong"
                yield from walk(item, here)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, f"{path}[{index}]")
    yield from walk(ui, "")


def usernames_no_default(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'Usernames Should Not Have A Default'."""
    for path, box in _of_type(ui, "Microsoft.Compute.UserNameTextBox"):
        if box.get("defaultValue"):
            yield f"{path}.defaultValue", f"username box '{box.get('name')}' has a default", "remove the defaultValue"


def hide_existing_handled(ui: Any, template: Any = None) -> Out:
    """arm-ttk 'HideExisting Must Be Correctly Handled': a new-or-existing selector outputs both properties."""
    values = [str(v) for v in _outputs(ui).values()]
    for kind in ("Microsoft.Storage.StorageAccountSelector", "Microsoft.Network.PublicIpAddressCombo",
                 "Microsoft.Network.VirtualNetworkCombo"):
        for path, control in _of_type(ui, kind):
            options = control.get("options")
            if isinstance(options, dict) and options.get("hideExisting") is True:
                continue
            name = re.escape(str(control.get("name")))
            for prop in ("resourceGroup", "newOrExisting"):
                if not any(re.search(f"{name}.*\\.{prop}", v, re.I) for v in values):
                    yield path, f"'{control.get('name')}' lets the user pick an existing resource but no output " \
                        f"reads its {prop}", f"add an output of [steps(...).{control.get('name')}.{prop}]"


def outputs_are_parameters(ui: Any, template: Any) -> Out:
    """arm-ttk 'Outputs Must Be Present In Template Parameters'."""
    if not _parameters(ui).get("outputs"):
        yield "parameters", "createUiDefinition has no parameters.outputs", "add the outputs the template needs"
        return
    params = _template_params(template)
    for name in _outputs(ui):
        if name.lower() in ("applicationresourcename", "jitaccesspolicy", "managedidentity", "managedresourcegroupid"):
            continue
        if name.lower() not in params:
            yield f"parameters.outputs.{name}", f"output '{name}' is not a template parameter", \
                "remove the output or add the parameter to mainTemplate.json"


def parameters_without_default_in_ui(ui: Any, template: Any) -> Out:
    """arm-ttk 'Parameters Without Default Must Exist In CreateUIDefinition' (findings on the template)."""
    outputs = {k.lower(): v for k, v in _outputs(ui).items()}
    parameters = template.get("parameters") if isinstance(template, dict) else None
    for name, definition in parameters.items() if isinstance(parameters, dict) else []:
        if isinstance(definition, dict) and definition.get("defaultValue") is None \
                and outputs.get(name.lower()) is None:
            yield f"parameters.{name}", f"parameter '{name}' has no default and no createUiDefinition output", \
                "give it a defaultValue or an output of the same name"
