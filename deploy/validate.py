#!/usr/bin/env python3
"""Checks that every YAML file under deploy/ parses and that each Kubernetes document names
its apiVersion, kind and metadata.name, and the compose file its services. The files cannot be
run here (no Docker engine, no cluster); this catches syntax and shape mistakes.
Usage: python3 deploy/validate.py   (needs PyYAML: pip install pyyaml)"""
import pathlib
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent
errors = []
count = 0
for path in sorted(root.rglob("*.y*ml")):
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as e:
        errors.append(f"{path}: {e}")
        continue
    count += len(docs)
    if path.name == "docker-compose.yml":
        services = docs[0].get("services", {})
        for name in ["postgres", "api", "worker", "buckets"]:
            if name not in services:
                errors.append(f"{path}: no {name} service")
        for name, svc in services.items():
            for dep in (svc.get("depends_on") or {}):
                if dep not in services:
                    errors.append(f"{path}: {name} depends on unknown {dep}")
        continue
    for d in docs:
        for field in ["apiVersion", "kind"]:
            if field not in d:
                errors.append(f"{path}: a document lacks {field}")
        if not d.get("metadata", {}).get("name"):
            errors.append(f"{path}: {d.get('kind')} lacks metadata.name")
        if d.get("kind") == "Deployment":
            sel = d["spec"]["selector"]["matchLabels"]
            labels = d["spec"]["template"]["metadata"]["labels"]
            if any(labels.get(k) != v for k, v in sel.items()):
                errors.append(f"{path}: {d['metadata']['name']} selector does not match its pod labels")
for e in errors:
    print("error:", e, file=sys.stderr)
print(f"deploy/: {count} YAML documents checked, {len(errors)} errors")
sys.exit(1 if errors else 0)
