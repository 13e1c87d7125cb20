#!/usr/bin/env python3
"""Reads rendered manifests on stdin and the values files given as arguments (the chart's
values.yaml first, then each -f file, merged as helm merges them) and checks the one
ResourceQuota against the plan: requests/limits of CPU and memory are the sums over every
plan.<part>.resources, requests.storage the sum of every plan.<part>.storage. Numbers are
compared as quantities (250m = 0.25, 1Gi = 1024Mi). Prints each figure, read and computed;
exits 1 on a mismatch or when there is no single ResourceQuota."""
import re
import sys

import yaml

BYTES = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
         "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def cpu_millis(q):
    s = str(q)
    if s.endswith("m"):
        return int(s[:-1])
    return round(float(s) * 1000)


def nbytes(q):
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)", str(q))
    if not m or m.group(2) not in BYTES:
        raise ValueError(f"not a quantity: {q!r}")
    return round(float(m.group(1)) * BYTES[m.group(2)])


def merge(dst, src):
    for k, v in (src or {}).items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v
    return dst


def main():
    values = {}
    for f in sys.argv[1:]:
        merge(values, yaml.safe_load(open(f)))
    plan = values["plan"]
    want = {"requests.cpu": 0, "requests.memory": 0, "limits.cpu": 0, "limits.memory": 0,
            "requests.storage": 0}
    for part in plan.values():
        for field in ("requests", "limits"):
            r = part["resources"][field]
            want[f"{field}.cpu"] += cpu_millis(r["cpu"])
            want[f"{field}.memory"] += nbytes(r["memory"])
        if "storage" in part:
            want["requests.storage"] += nbytes(part["storage"])
    quotas = [d for d in yaml.safe_load_all(sys.stdin) if d and d.get("kind") == "ResourceQuota"]
    if len(quotas) != 1:
        print(f"{len(quotas)} ResourceQuotas rendered, want 1")
        return 1
    hard = quotas[0]["spec"]["hard"]
    bad = 0
    for key, n in want.items():
        parse = cpu_millis if key.endswith(".cpu") else nbytes
        got = hard.get(key)
        ok = got is not None and parse(got) == n
        bad += not ok
        sum_ = f"{n}m" if key.endswith(".cpu") else f"{n / 2**20:g}Mi"
        print(f"{'' if ok else 'MISMATCH '}{key}: rendered {got!r}, the plan sums to {sum_}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
