#!/usr/bin/env python3
"""Writes a CycloneDX 1.5 JSON SBOM of the crates linked into pidone's release binary.

Usage: sbom.py OUT.cdx.json TARGET...   (run from the checkout; called by release.sh)

The graph is `cargo metadata --locked --filter-platform TARGET` (what Cargo.lock resolves
to for those targets); each crate's SHA-256 is its Cargo.lock checksum, the hash of the
.crate file cargo downloads and verifies. Only normal dependencies reachable from pidone are
listed: nix's build-only crate (cfg_aliases, run by its build script) and the tests'
dev-dependencies are not in the binary.

Why not cargo-cyclonedx: it compiles ~150 crates, more than 15 minutes on the 2-core
machines this project is built and tested on; the graph here is five crates.

The file is deterministic, so that it is part of what a rebuild reproduces: no random
serial number, components in name order, and the timestamp is SOURCE_DATE_EPOCH.
"""

import datetime
import json
import os
import subprocess
import sys
import tomllib


def metadata(targets):
    cmd = ["cargo", "metadata", "--format-version", "1", "--locked"]
    for target in targets:
        cmd += ["--filter-platform", target]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True).stdout)


def purl(pkg):
    return f"pkg:cargo/{pkg['name']}@{pkg['version']}"


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: sbom.py OUT.cdx.json TARGET...")
    out, targets = sys.argv[1], sys.argv[2:]
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch or not epoch.isdigit():
        sys.exit("sbom.py: SOURCE_DATE_EPOCH must be set (seconds since 1970)")

    meta = metadata(targets)
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    with open("Cargo.lock", "rb") as f:
        lock = tomllib.load(f)
    checksums = {
        (p["name"], p["version"]): p["checksum"]
        for p in lock["package"]
        if "checksum" in p
    }

    def runtime_deps(node_id):
        """The ids of the normal (linked) dependencies of one crate."""
        return sorted(
            d["pkg"]
            for d in nodes[node_id]["deps"]
            if any(k["kind"] is None for k in d["dep_kinds"])
        )

    linked, todo = set(), [root]
    while todo:
        for dep in runtime_deps(todo.pop()):
            if dep not in linked:
                linked.add(dep)
                todo.append(dep)

    components = []
    for pkg in sorted((packages[i] for i in linked), key=lambda p: p["name"]):
        component = {
            "type": "library",
            "bom-ref": purl(pkg),
            "name": pkg["name"],
            "version": pkg["version"],
            "purl": purl(pkg),
        }
        if pkg.get("license"):
            component["licenses"] = [{"expression": pkg["license"]}]
        checksum = checksums.get((pkg["name"], pkg["version"]))
        if checksum:
            component["hashes"] = [{"alg": "SHA-256", "content": checksum}]
        components.append(component)

    me = packages[root]
    timestamp = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {
                "components": [
                    {"type": "application", "name": "pidone scripts/sbom.py"}
                ]
            },
            "component": {
                "type": "application",
                "bom-ref": purl(me),
                "name": me["name"],
                "version": me["version"],
                "description": me.get("description") or "",
                "licenses": [{"expression": me["license"]}],
                "purl": purl(me),
                "properties": [
                    {"name": "pidone:target", "value": t} for t in sorted(targets)
                ],
            },
        },
        "components": components,
        "dependencies": [
            {
                "ref": purl(packages[i]),
                "dependsOn": [purl(packages[d]) for d in runtime_deps(i)],
            }
            for i in [root] + sorted(linked, key=lambda i: packages[i]["name"])
        ],
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(bom, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
