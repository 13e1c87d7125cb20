#!/usr/bin/env python3
"""The Helm values the orchestrator passes for one engine of charts/engines.yaml, made the way
it makes them (orchestrator/src/engine.c; the comment at the top of engines.yaml): the size's
preset, then the entry's `values` with every ${var} replaced, merged over it. A string that is
exactly "${var}" becomes the variable with its type and a null variable removes its key;
"${var}" inside a longer string is replaced by its text; an unknown variable is an error.

  engine_values.py ENGINES_FILE ENGINE values [SIZE|-] [VAR=VALUE...]   the values, as JSON
  engine_values.py ENGINES_FILE ENGINE secret-keys                     the Secret's keys
  engine_values.py ENGINES_FILE ENGINE sizes                           the sizes
  engine_values.py ENGINES_FILE ENGINE chart                           the chart directory

The variables are samples of what the orchestrator sets (reconcile_job.c) for a store named
VAR name (default demo) with the orchestrator's defaults; VAR=VALUE overrides one ("true" and
"false" are booleans for ingressTls and suspended, "null" is null: an unset plan field)."""
import json
import re
import sys

import yaml

PLAN = ("plan.requests.cpu", "plan.requests.memory", "plan.limits.cpu", "plan.limits.memory",
        "plan.storage")
BOOLS = ("ingressTls", "suspended")


class Unknown(Exception):
    pass


def sample_vars(size, overrides):
    given = dict(o.split("=", 1) for o in overrides)
    name = given.get("name", "demo")
    v = {"name": name, "namespace": f"store-{name}", "release": f"store-{name}",
         "host": f"{name}.localtest.me", "baseDomain": "localtest.me", "scheme": "http",
         "ingressClass": "nginx", "ingressTls": False, "clusterIssuer": "", "storageClass": "",
         "secretName": f"store-{name}-credentials", "owner": "alice", "displayName": name,
         "size": None if size in (None, "-") else size, "suspended": False}
    v.update({k: None for k in PLAN})
    for k, s in given.items():
        if k not in v:
            raise Unknown(f"{k} is not a variable the orchestrator sets")
        v[k] = None if s == "null" else (s == "true") if k in BOOLS else s
    if given.get("ingressTls") == "true" and "scheme" not in given:
        v["scheme"] = "https"
    return v


def text(s, vars_):
    def one(m):
        if m.group(1) not in vars_:
            raise Unknown(f"template {s!r}: unknown variable {m.group(1)!r}")
        x = vars_[m.group(1)]
        return "" if x is None else ("true" if x else "false") if isinstance(x, bool) else str(x)
    return re.sub(r"\$\{([^}]*)\}", one, s)


REMOVE = object()


def expand(t, vars_):
    if isinstance(t, str):
        m = re.fullmatch(r"\$\{([^$}]+)\}", t)
        if m:
            if m.group(1) not in vars_:
                raise Unknown(f"unknown variable {m.group(1)!r}")
            return REMOVE if vars_[m.group(1)] is None else vars_[m.group(1)]
        return text(t, vars_)
    if isinstance(t, dict):
        out = {}
        for k, x in t.items():
            x = expand(x, vars_)
            if x is not REMOVE:
                out[k] = x
        return out
    if isinstance(t, list):
        return [x for x in (expand(i, vars_) for i in t) if x is not REMOVE]
    return t


def merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = json.loads(json.dumps(v))
    return dst


def main():
    engines_file, engine, what = sys.argv[1:4]
    e = yaml.safe_load(open(engines_file))["engines"][engine]
    if what == "secret-keys":
        print("\n".join(e["secret"]))
    elif what == "sizes":
        print("\n".join(e.get("sizes") or {}))
    elif what == "chart":
        print(e["chart"])
    elif what == "values":
        size = sys.argv[4] if len(sys.argv) > 4 else None
        vars_ = sample_vars(size, sys.argv[5:])
        sizes = e.get("sizes") or {}
        if vars_["size"] is not None and sizes and vars_["size"] not in sizes:
            raise Unknown(f"{vars_['size']!r} is not a size of engine {engine!r}")
        values = merge({}, sizes.get(vars_["size"]) or {})
        merge(values, expand(e["values"], vars_))
        json.dump(values, sys.stdout, indent=1)
        print()
    else:
        raise Unknown(f"unknown question {what!r}")


if __name__ == "__main__":
    try:
        main()
    except Unknown as err:
        print(f"engine_values.py: {err}", file=sys.stderr)
        sys.exit(1)
