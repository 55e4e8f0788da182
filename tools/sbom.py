#!/usr/bin/env python3
"""A CycloneDX SBOM of Flow (checklist DEP-02), from requirements.lock, offline.

    python tools/sbom.py [--lock requirements.lock] [--output var/sbom.cdx.json]

cyclonedx-py (the CLI) is not installed here; this builds the same kind of document with
cyclonedx-python-lib: one `library` component per pinned package, with its PyPI package URL
and, where the installed distribution states one, its licence; Flow itself is the root
component. The document is validated against the CycloneDX 1.6 JSON schema before it is written
when jsonschema is installed (cyclonedx-python-lib[json-validation]); it is not in this venv.
"""
import argparse
import sys
from importlib import metadata
from pathlib import Path

from cyclonedx.exception import MissingOptionalDependencyException
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import DisjunctiveLicense
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dependency_audit import ROOT, Unusable, read_lock  # noqa: E402

SCHEMA = SchemaVersion.V1_6


def _licence(name: str):
    try:
        meta = metadata.metadata(name)
    except metadata.PackageNotFoundError:
        return []
    text = (meta.get("License-Expression") or meta.get("License") or "").strip()
    if not text or len(text) > 100 or "\n" in text:  # a whole licence text, not a name
        return []
    return [DisjunctiveLicense(name=text)]


def build(pins: dict[str, str], version: str = "0.1.0") -> Bom:
    bom = Bom()
    root = Component(name="flow", version=version, type=ComponentType.APPLICATION, bom_ref="flow")
    bom.metadata.component = root
    for name, pinned in sorted(pins.items()):
        component = Component(name=name, version=pinned, type=ComponentType.LIBRARY, bom_ref=f"{name}=={pinned}",
                              purl=PackageURL(type="pypi", name=name, version=pinned), licenses=_licence(name))
        bom.components.add(component)
        bom.register_dependency(root, [component])
    return bom


def render(bom: Bom) -> str:
    text = make_outputter(bom, OutputFormat.JSON, SCHEMA).output_as_string(indent=2)
    try:
        error = JsonStrictValidator(SCHEMA).validate_str(text)
    except MissingOptionalDependencyException:
        # jsonschema is not installed (cyclonedx-python-lib[json-validation]): say so, do not fail.
        print("sbom: schema validation skipped (install cyclonedx-python-lib[json-validation])", file=sys.stderr)
        return text
    if error is not None:
        raise ValueError(f"the SBOM does not validate: {error}")
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "sbom.cdx.json")
    args = parser.parse_args(argv)
    try:
        pins = read_lock(args.lock)
    except Unusable as error:
        print(f"sbom: {error}", file=sys.stderr)
        return 2
    text = render(build(pins))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"Wrote {args.output} (CycloneDX {SCHEMA.to_version()}, {len(pins)} components).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
