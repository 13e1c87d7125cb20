#!/usr/bin/env python3
"""Reads rendered manifests (multi-document YAML, the file argv[1]) and prints one line per
object (kind/name, with replicas for Deployments and StatefulSets), per volume claim
template, per PVC and per claim a pod template mounts: what tests/charts/*-suspended
compare between a running and a suspended rendering (sort the output before diffing)."""
import sys

import yaml

for d in yaml.safe_load_all(open(sys.argv[1])):
    if not d:
        continue
    k, n = d["kind"], d["metadata"]["name"]
    spec = d.get("spec") or {}
    line = f"{k}/{n}"
    if k in ("Deployment", "StatefulSet"):
        line += f" replicas={spec.get('replicas')}"
        for t in spec.get("volumeClaimTemplates") or []:
            print(f"claimTemplate {n}/{t['metadata']['name']} {yaml.safe_dump(t['spec'], sort_keys=True)!r}")
        vols = (spec.get("template", {}).get("spec", {}) or {}).get("volumes") or []
        for v in vols:
            if "persistentVolumeClaim" in v:
                print(f"mount {n} {v['persistentVolumeClaim']['claimName']}")
    if k == "PersistentVolumeClaim":
        print(f"pvc {n} {yaml.safe_dump(spec, sort_keys=True)!r}")
    print(line)
