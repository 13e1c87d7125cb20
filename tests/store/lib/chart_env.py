#!/usr/bin/env python3
"""Reads the store chart's rendered manifests (multi-document YAML) on stdin
and writes what the host tests need to run a store the way the chart does:

  chart_env.py env SECRETS.json   the setup Job's container environment as
                                  shell `export NAME='value'` lines, each
                                  secretKeyRef resolved from SECRETS.json
                                  (the credentials Secret's keys and values)
  chart_env.py apache DIR         the Apache ConfigMap's files into DIR

Exits 1 with a message when the manifests lack the Job, the container, a
Secret key or the ConfigMap: the tests then fail instead of guessing."""
import json
import os
import shlex
import sys

import yaml


def die(msg):
    print(f"chart_env: {msg}", file=sys.stderr)
    sys.exit(1)


def component(doc):
    return ((doc.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/component")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("env", "apache"):
        die("usage: chart_env.py env SECRETS.json | apache DIR")
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
    if sys.argv[1] == "env":
        with open(sys.argv[2], encoding="utf-8") as f:
            secrets = json.load(f)
        jobs = [d for d in docs if d.get("kind") == "Job" and component(d) == "setup"]
        if len(jobs) != 1:
            die(f"expected one setup Job, found {len(jobs)}")
        containers = [c for c in jobs[0]["spec"]["template"]["spec"]["containers"] if c["name"] == "setup"]
        if not containers:
            die("the setup Job has no container 'setup'")
        for e in containers[0].get("env", []):
            if "value" in e:
                value = e["value"]
            elif "valueFrom" in e and "secretKeyRef" in e["valueFrom"]:
                key = e["valueFrom"]["secretKeyRef"]["key"]
                if key not in secrets:
                    die(f"{e['name']} reads Secret key '{key}', which the test's credentials lack")
                value = secrets[key]
            else:
                die(f"{e['name']}: neither a value nor a secretKeyRef")
            print(f"export {e['name']}={shlex.quote(str(value))}")
    else:
        maps = [d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"]["name"].endswith("-apache")]
        if len(maps) != 1:
            die(f"expected one Apache ConfigMap, found {len(maps)}")
        for name, text in maps[0]["data"].items():
            with open(os.path.join(sys.argv[2], name), "w", encoding="utf-8") as f:
                f.write(text)


main()
