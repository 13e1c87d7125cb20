#!/usr/bin/env python3
"""Reads rendered Kubernetes manifests (multi-document YAML) on stdin and
checks what PodSecurity "restricted" and the store's ResourceQuota demand of
every pod the chart makes: non-root, no privilege escalation, all capabilities
dropped, RuntimeDefault seccomp, read-only root; requests and limits for CPU
and memory on every container; readiness and liveness probes on every
long-running container (init containers cannot have probes, and Job and
test containers run to completion); images pinned to a tag that is not
"latest". Prints one line per problem and exits 1 when there is any."""
import sys

import yaml

POD_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}


def dig(obj, path):
    for key in path:
        obj = (obj or {}).get(key)
    return obj


def check_image(where, image, problems):
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        problems.append(f"{where}: image {image!r} has no tag")
    elif last.rsplit(":", 1)[1] == "latest":
        problems.append(f"{where}: image {image!r} uses :latest")


def check_pod(kind, name, spec, problems):
    psc = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            problems.append(f"{kind}/{name}: {field} is set")
    for vol in spec.get("volumes") or []:
        if "hostPath" in vol:
            problems.append(f"{kind}/{name}: hostPath volume {vol.get('name')}")
    groups = [("initContainers", False), ("containers", kind in LONG_RUNNING)]
    for group, needs_probes in groups:
        for c in spec.get(group) or []:
            where = f"{kind}/{name} {group[:-1]} {c.get('name')}"
            sc = c.get("securityContext") or {}
            check_image(where, c.get("image", ""), problems)
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation is not false")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{where}: capabilities do not drop ALL")
            if (sc.get("capabilities") or {}).get("add"):
                problems.append(f"{where}: adds capabilities")
            if sc.get("privileged"):
                problems.append(f"{where}: privileged")
            if not (sc.get("runAsNonRoot") or (psc.get("runAsNonRoot") and sc.get("runAsNonRoot") is not False)):
                problems.append(f"{where}: runAsNonRoot is not true")
            if sc.get("runAsUser", psc.get("runAsUser")) == 0:
                problems.append(f"{where}: runs as uid 0")
            seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                problems.append(f"{where}: seccompProfile is not RuntimeDefault")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: root filesystem is not read-only")
            res = c.get("resources") or {}
            for kind_ in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if not (res.get(kind_) or {}).get(r):
                        problems.append(f"{where}: no {kind_}.{r}")
            if needs_probes:
                for probe in ("readinessProbe", "livenessProbe"):
                    if not c.get(probe):
                        problems.append(f"{where}: no {probe}")


def main():
    problems = []
    pods = 0
    for doc in yaml.safe_load_all(sys.stdin):
        if not isinstance(doc, dict) or doc.get("kind") not in POD_PATHS:
            continue
        spec = dig(doc, POD_PATHS[doc["kind"]])
        if not spec:
            problems.append(f"{doc['kind']}/{dig(doc, ('metadata', 'name'))}: no pod spec")
            continue
        pods += 1
        check_pod(doc["kind"], dig(doc, ("metadata", "name")), spec, problems)
    if pods == 0:
        problems.append("no pod templates in the input")
    for p in problems:
        print(p)
    print(f"{pods} pod templates checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
