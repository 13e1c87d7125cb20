#!/usr/bin/env python3
"""Strict check of a Prometheus text exposition (format 0.0.4) read from stdin.

Every line must be a HELP/TYPE comment or a sample; a family's TYPE comes before its
samples and once only; names and label sets follow the format's grammar; no series
appears twice; histogram buckets are cumulative, end with le="+Inf", and equal _count.
Exits 1 with the first problem on stderr."""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL}(?:,{LABEL})*)?\}})? (\S+)(?: -?[0-9]+)?$")
VALUE = re.compile(r"^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]Inf|NaN)$")


def fail(n, line, why):
    sys.stderr.write(f"line {n}: {why}: {line!r}\n")
    sys.exit(1)


types, seen, buckets, counts = {}, set(), {}, {}
for n, line in enumerate(sys.stdin.read().split("\n"), 1):
    if line == "":
        continue
    if line.startswith("#"):
        m = re.match(rf"^# (HELP|TYPE) ({NAME})(?: (.*))?$", line)
        if not m:
            fail(n, line, "bad comment")
        if m.group(1) == "TYPE":
            if m.group(3) not in ("counter", "gauge", "histogram", "summary", "untyped"):
                fail(n, line, "unknown type")
            if m.group(2) in types:
                fail(n, line, "TYPE given twice")
            types[m.group(2)] = m.group(3)
        continue
    m = SAMPLE.match(line)
    if not m:
        fail(n, line, "bad sample")
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    if not VALUE.match(value):
        fail(n, line, "bad value")
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    family = name if name in types else base
    if family not in types:
        fail(n, line, "sample before its TYPE")
    if types[family] == "counter" and float(value) < 0:
        fail(n, line, "negative counter")
    if (name, labels) in seen:
        fail(n, line, "duplicate series")
    seen.add((name, labels))
    if types[family] == "histogram":
        rest = re.sub(r',?le="[^"]*"', "", labels).replace("{,", "{")
        key = (base, "" if rest == "{}" else rest)
        if name.endswith("_bucket"):
            le = re.search(r'le="([^"]*)"', labels)
            if not le:
                fail(n, line, "bucket without le")
            prev = buckets.get(key, [])
            if prev and float(value) < prev[-1][1]:
                fail(n, line, "buckets not cumulative")
            buckets.setdefault(key, []).append((le.group(1), float(value)))
        elif name.endswith("_count"):
            counts[key] = float(value)
for key, b in buckets.items():
    if b[-1][0] != "+Inf":
        fail(0, str(key), "last bucket is not +Inf")
    if counts.get(key) != b[-1][1]:
        fail(0, str(key), "_count differs from the +Inf bucket")
print(f"{len(seen)} series in {len(types)} families")
