#!/usr/bin/env python3
"""Generates module/en-US/PsBackup.dll-Help.xml (MAML, what Get-Help shows) from docs/cmdlets/*.md.

The pages use platyPS's markdown layout: ## SYNOPSIS, ## SYNTAX, ## DESCRIPTION, ## EXAMPLES
(### titles with fenced code), ## PARAMETERS (### -Name, description, ```yaml metadata block),
## INPUTS / ## OUTPUTS (### type), ## NOTES (### Errors table), ## RELATED LINKS.

    python3 docs/cmdlets/generate_maml.py           # rewrite the XML
    python3 docs/cmdlets/generate_maml.py --check   # exit 1 when the XML is not what the pages give

The generated XML is committed (the build copies module/en-US/* into the module); the contract
tests (tests/PsBackup.Contract.Tests/HelpTests.cs) check it against the cmdlets' metadata.
"""
import pathlib
import re
import sys
from xml.sax.saxutils import escape, quoteattr

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent.parent
OUTPUT = ROOT / "module" / "en-US" / "PsBackup.dll-Help.xml"
MANIFEST = ROOT / "PsBackup.psd1"

NAMESPACES = (
    'xmlns:maml="http://schemas.microsoft.com/maml/2004/10" '
    'xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" '
    'xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10" '
    'xmlns:MSHelp="http://msdn.microsoft.com/mshelp"'
)
YAML_KEYS = {
    "Type", "Parameter Sets", "Aliases", "Accepted values", "Required", "Position", "Default value",
    "Accept pipeline input", "Accept wildcard characters",
}


class PageError(Exception):
    pass


def exported_cmdlets():
    text = MANIFEST.read_text(encoding="utf-8-sig")
    match = re.search(r"CmdletsToExport\s*=\s*@\((.*?)\)", text, re.S)
    if not match:
        raise PageError("PsBackup.psd1 has no CmdletsToExport = @( ... )")
    body = re.sub(r"#[^\n]*", "", match.group(1))
    return re.findall(r"'([^']+)'", body)


def inline(text):
    """Markdown inline markup as plain text for the console."""
    text = re.sub(r"\[([^\]]+)\]\(([^)]*)\)", r"\1", text)
    text = text.replace("`", "")
    return text


def blocks(text):
    """Paragraphs, list items and fenced code blocks of a markdown body, in order."""
    result, paragraph, fence = [], [], None
    for line in text.split("\n"):
        if fence is not None:
            if line.startswith("```"):
                result.append(("code", "\n".join(fence)))
                fence = None
            else:
                fence.append(line)
            continue
        if line.startswith("```"):
            if paragraph:
                result.append(("para", " ".join(paragraph)))
                paragraph = []
            fence = []
        elif not line.strip():
            if paragraph:
                result.append(("para", " ".join(paragraph)))
                paragraph = []
        elif line.startswith("- "):
            if paragraph:
                result.append(("para", " ".join(paragraph)))
            paragraph = [line.strip()]
        else:
            paragraph.append(line.strip())
    if fence is not None:
        raise PageError("unterminated code fence")
    if paragraph:
        result.append(("para", " ".join(paragraph)))
    return result


def sections(text, level):
    """Splits a body at headings of the given level: [(heading, body)], with the text before the first as heading None."""
    marker = "#" * level + " "
    parts, heading, body, fenced = [], None, [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith(marker):
            parts.append((heading, "\n".join(body)))
            heading, body = line[len(marker):].strip(), []
        else:
            body.append(line)
    parts.append((heading, "\n".join(body)))
    return parts


def parse_page(path):
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    if text.startswith("---\n"):
        text = text[text.index("\n---\n", 4) + 5:]
    title = re.search(r"^# (\S+)\s*$", text, re.M)
    if not title:
        raise PageError("no '# Cmdlet-Name' title")
    page = {"name": title.group(1)}
    top = {h: b for h, b in sections(text, 2) if h}
    for required in ("SYNOPSIS", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS"):
        if required not in top:
            raise PageError(f"no '## {required}' section")

    page["synopsis"] = " ".join(b for k, b in blocks(top["SYNOPSIS"]) if k == "para")
    page["description"] = [b for k, b in blocks(top["DESCRIPTION"])]

    page["examples"] = []
    for heading, body in sections(top["EXAMPLES"], 3):
        if heading is None:
            continue
        parts = blocks(body)
        code = "\n".join(b for k, b in parts if k == "code")
        if not code:
            raise PageError(f"example '{heading}' has no code block")
        page["examples"].append({"title": heading, "code": code, "remarks": [b for k, b in parts if k == "para"]})

    page["parameters"] = []
    for heading, body in sections(top["PARAMETERS"], 3):
        if heading is None or heading == "CommonParameters":
            continue
        if not heading.startswith("-"):
            raise PageError(f"parameter heading '### {heading}' does not start with '-'")
        yaml = re.search(r"```yaml\n(.*?)```", body, re.S)
        if not yaml:
            raise PageError(f"parameter {heading} has no ```yaml block")
        meta = {}
        for line in yaml.group(1).split("\n"):
            if not line.strip():
                continue
            key, _, value = line.partition(":")
            if key not in YAML_KEYS:
                raise PageError(f"parameter {heading}: unknown yaml key '{key}'")
            meta[key] = value.strip()
        missing = YAML_KEYS - {"Accepted values"} - set(meta)
        if missing:
            raise PageError(f"parameter {heading}: yaml lacks {', '.join(sorted(missing))}")
        description = [b for k, b in blocks(body[:yaml.start()]) if k == "para"]
        if not description:
            raise PageError(f"parameter {heading} has no description")
        page["parameters"].append({"name": heading[1:], "description": description, **meta})

    for key in ("INPUTS", "OUTPUTS"):
        page[key.lower()] = [
            {"type": heading, "description": [b for k, b in blocks(body) if k == "para"]}
            for heading, body in sections(top[key], 3) if heading
        ]
        if not page[key.lower()]:
            raise PageError(f"'## {key}' names no type (### Type)")

    page["notes"] = []
    for heading, body in sections(top.get("NOTES", ""), 3):
        if heading is None:
            page["notes"].extend(b for k, b in blocks(body) if k == "para")
        elif heading == "Errors":
            for line in body.split("\n"):
                row = re.match(r"^\|\s*`(\w+)`\s*\|\s*([^|]+?)\s*\|\s*(.+?)\s*\|\s*$", line)
                if row:
                    page["notes"].append(f"{row.group(1)} ({row.group(2)}): {row.group(3)}")
                elif line.strip() and not line.startswith("|"):
                    page["notes"].append(("Errors: " if not line.startswith("Errors") else "") + line.strip())
        else:
            page["notes"].append(heading + ":")
            page["notes"].extend(b for k, b in blocks(body) if k == "para")

    page["links"] = re.findall(r"^\[([^\]]+)\]\(([^)]*)\)\s*$", top.get("RELATED LINKS", ""), re.M)
    return page


def paras(items, indent):
    pad = " " * indent
    return "".join(f"{pad}<maml:para>{escape(inline(p))}</maml:para>\n" for p in items)


def description(items, indent):
    pad = " " * indent
    return f"{pad}<maml:description>\n{paras(items, indent + 2)}{pad}</maml:description>\n"


def parameter_sets(parameter):
    sets = parameter["Parameter Sets"]
    return None if sets == "(All)" else [s.strip() for s in sets.split(",")]


def parameter_xml(parameter, indent, in_syntax):
    pad = " " * indent
    aliases = parameter["Aliases"] or "none"
    position = parameter["Position"]
    position = "named" if position.lower() == "named" else position
    type_name = parameter["Type"]
    switch = type_name == "SwitchParameter"
    required = "true" if parameter["Required"] == "True" else "false"
    globbing = "true" if parameter["Accept wildcard characters"] == "True" else "false"
    attributes = (
        f'required={quoteattr(required)} variableLength="true" globbing={quoteattr(globbing)} '
        f'pipelineInput={quoteattr(parameter["Accept pipeline input"])} position={quoteattr(position)} aliases={quoteattr(aliases)}'
    )
    out = f"{pad}<command:parameter {attributes}>\n"
    out += f"{pad}  <maml:name>{escape(parameter['name'])}</maml:name>\n"
    out += description(parameter["description"], indent + 2)
    accepted = [v.strip() for v in parameter.get("Accepted values", "").split(",") if v.strip()]
    if in_syntax and accepted:
        out += f"{pad}  <command:parameterValueGroup>\n"
        for value in accepted:
            out += f'{pad}    <command:parameterValue required="false" command:variableLength="false">{escape(value)}</command:parameterValue>\n'
        out += f"{pad}  </command:parameterValueGroup>\n"
    if not (in_syntax and (switch or accepted)):
        value_required = "false" if switch else "true"
        out += f'{pad}  <command:parameterValue required="{value_required}" variableLength="false">{escape(type_name)}</command:parameterValue>\n'
    out += f"{pad}  <dev:type>\n{pad}    <maml:name>{escape(type_name)}</maml:name>\n{pad}    <maml:uri />\n{pad}  </dev:type>\n"
    out += f"{pad}  <dev:defaultValue>{escape(parameter['Default value'])}</dev:defaultValue>\n"
    out += f"{pad}</command:parameter>\n"
    return out


def syntax_xml(page):
    parameters = page["parameters"]
    named_sets = []
    for parameter in parameters:
        for name in parameter_sets(parameter) or []:
            if name not in named_sets:
                named_sets.append(name)
    out = "    <command:syntax>\n"
    for name in named_sets or [None]:
        members = [p for p in parameters if parameter_sets(p) is None or name in parameter_sets(p)]
        positional = sorted((p for p in members if p["Position"].lower() != "named"), key=lambda p: int(p["Position"]))
        named = [p for p in members if p["Position"].lower() == "named" and p["name"] not in ("WhatIf", "Confirm")]
        should_process = [p for n in ("WhatIf", "Confirm") for p in members if p["name"] == n]
        out += "      <command:syntaxItem>\n"
        out += f"        <maml:name>{escape(page['name'])}</maml:name>\n"
        for parameter in positional + named + should_process:
            out += parameter_xml(parameter, 8, in_syntax=True)
        out += "      </command:syntaxItem>\n"
    return out + "    </command:syntax>\n"


def command_xml(page):
    verb, _, noun = page["name"].partition("-")
    out = f"  <command:command {NAMESPACES}>\n"
    out += "    <command:details>\n"
    out += f"      <command:name>{escape(page['name'])}</command:name>\n"
    out += f"      <command:verb>{escape(verb)}</command:verb>\n"
    out += f"      <command:noun>{escape(noun)}</command:noun>\n"
    out += description([page["synopsis"]], 6)
    out += "    </command:details>\n"
    out += description([b for b in page["description"]], 4)
    out += syntax_xml(page)
    out += "    <command:parameters>\n"
    for parameter in page["parameters"]:
        out += parameter_xml(parameter, 6, in_syntax=False)
    out += "    </command:parameters>\n"
    for tag, item, key in (("inputTypes", "inputType", "inputs"), ("returnValues", "returnValue", "outputs")):
        out += f"    <command:{tag}>\n"
        for entry in page[key]:
            out += f"      <command:{item}>\n"
            out += f"        <dev:type>\n          <maml:name>{escape(entry['type'])}</maml:name>\n        </dev:type>\n"
            out += description(entry["description"], 8)
            out += f"      </command:{item}>\n"
        out += f"    </command:{tag}>\n"
    if page["notes"]:
        out += "    <maml:alertSet>\n      <maml:alert>\n" + paras(page["notes"], 8) + "      </maml:alert>\n    </maml:alertSet>\n"
    out += "    <command:examples>\n"
    for number, example in enumerate(page["examples"], 1):
        title = re.sub(r"^Example \d+:\s*", "", example["title"])
        out += "      <command:example>\n"
        out += f"        <maml:title>--------- Example {number}: {escape(title)} ---------</maml:title>\n"
        out += f"        <dev:code>{escape(example['code'])}</dev:code>\n"
        out += f"        <dev:remarks>\n{paras(example['remarks'], 10)}        </dev:remarks>\n"
        out += "      </command:example>\n"
    out += "    </command:examples>\n"
    out += "    <command:relatedLinks>\n"
    for text, uri in page["links"]:
        uri = "" if not re.match(r"^https?://", uri) else uri
        out += f"      <maml:navigationLink>\n        <maml:linkText>{escape(text)}</maml:linkText>\n        <maml:uri>{escape(uri)}</maml:uri>\n      </maml:navigationLink>\n"
    out += "    </command:relatedLinks>\n"
    return out + "  </command:command>\n"


def generate():
    names = exported_cmdlets()
    pages = {p.stem: p for p in DOCS.glob("*.md") if p.stem.upper() != "README"}
    missing = [n for n in names if n not in pages]
    if missing:
        raise PageError(f"no page for {', '.join(missing)} in {DOCS}")
    extra = sorted(set(pages) - set(names))
    if extra:
        raise PageError(f"pages for cmdlets the manifest does not export: {', '.join(extra)}")
    out = '<?xml version="1.0" encoding="utf-8"?>\n'
    out += "<!-- Generated by docs/cmdlets/generate_maml.py from docs/cmdlets/*.md. Edit the pages, not this file. -->\n"
    out += '<helpItems schema="maml" xmlns="http://msh">\n'
    for name in names:
        try:
            page = parse_page(pages[name])
        except PageError as error:
            raise PageError(f"{pages[name].name}: {error}") from None
        if page["name"] != name:
            raise PageError(f"{pages[name].name}: its title is '# {page['name']}'")
        out += command_xml(page)
    return out + "</helpItems>\n"


def main(argv):
    try:
        xml = generate()
    except PageError as error:
        print(f"generate_maml: {error}", file=sys.stderr)
        return 2
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != xml:
            print(f"generate_maml: {OUTPUT.relative_to(ROOT)} is out of date; run python3 docs/cmdlets/generate_maml.py", file=sys.stderr)
            return 1
        print(f"{OUTPUT.relative_to(ROOT)} is up to date")
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(xml, encoding="utf-8", newline="\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
