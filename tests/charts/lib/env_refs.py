#!/usr/bin/env python3
"""Reads rendered manifests on stdin and looks at the environment of every container of every
pod template:
  env_refs.py order        every $(VAR) in a value names a variable defined before it in the
                           same container (the kubelet expands only those; a later or unknown
                           one stays literal text, a broken DATABASE_URL); exits 1 otherwise
  env_refs.py secrets      prints "SECRET KEY" for each secretKeyRef, sorted, once each
  env_refs.py get VAR      prints VAR's value in each container that sets it: "POD/CONTAINER VALUE"
"""
import re
import sys

import yaml

PATHS = {"Deployment": ("spec", "template", "spec"), "StatefulSet": ("spec", "template", "spec"),
         "Job": ("spec", "template", "spec"), "Pod": ("spec",)}


def containers(docs):
    for d in docs:
        path = PATHS.get(d.get("kind"))
        if not path:
            continue
        spec = d
        for k in path:
            spec = spec.get(k) or {}
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            yield f"{d['kind']}/{d['metadata']['name']}/{c['name']}", c


def main():
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
    what = sys.argv[1]
    bad = 0
    found = set()
    for where, c in containers(docs):
        seen = set()
        for e in c.get("env") or []:
            for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", str(e.get("value", ""))):
                if what == "order" and ref not in seen:
                    print(f"{where}: {e['name']} uses $({ref}) before it is defined")
                    bad += 1
            seen.add(e["name"])
            ref = (e.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                found.add(f"{ref['name']} {ref['key']}")
            if what == "get" and e["name"] == sys.argv[2]:
                print(f"{where} {e.get('value')}")
    if what == "secrets":
        print("\n".join(sorted(found)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
