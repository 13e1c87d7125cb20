#!/usr/bin/env python3
"""Reads `helm template` output on stdin and answers one question about it (argv[1]), exiting
0 for yes and 1 (with the reason) for no. Used by tests/platform/010-chart.sh."""
import sys
import yaml

docs = [d for d in yaml.safe_load_all(sys.stdin) if d]


def find(kind):
    return [d for d in docs if d.get("kind") == kind]


def fail(msg):
    print(msg)
    sys.exit(1)


def hardened():
    deps = find("Deployment")
    if len(deps) != 1:
        fail(f"{len(deps)} Deployments")
    spec = deps[0]["spec"]["template"]["spec"]
    pod = spec.get("securityContext", {})
    if not pod.get("runAsNonRoot") or not isinstance(pod.get("runAsUser"), int) or pod["runAsUser"] == 0:
        fail(f"pod securityContext not non-root numeric: {pod}")
    if pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        fail("no RuntimeDefault seccomp")
    for c in spec["containers"]:
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False:
            fail(f"{c['name']}: privilege escalation not off")
        if sc.get("readOnlyRootFilesystem") is not True:
            fail(f"{c['name']}: root filesystem writable")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]:
            fail(f"{c['name']}: capabilities not all dropped")
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            fail("readiness probe is not /readyz")
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
            fail("liveness probe is not /healthz")
        if not c.get("resources", {}).get("limits") or not c.get("resources", {}).get("requests"):
            fail("no requests/limits")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        if "/tmp" not in mounts:
            fail("/tmp is not mounted")
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        if "emptyDir" not in vols[mounts["/tmp"]]:
            fail("/tmp is not an emptyDir")
        if ":latest" in c["image"] or ":" not in c["image"]:
            fail(f"untagged or latest image {c['image']}")


def args():
    """argv[2:] must each appear among the container's args."""
    a = find("Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    for want in sys.argv[2:]:
        if want not in a:
            fail(f"{want} not in {a}")


def replicas():
    n = find("Deployment")[0]["spec"]["replicas"]
    if n != int(sys.argv[2]):
        fail(f"replicas {n}")


def kinds():
    """argv[2:]: KIND=count, e.g. Deployment=0 ClusterRole=2."""
    for spec in sys.argv[2:]:
        kind, n = spec.split("=")
        got = len(find(kind))
        if got != int(n):
            fail(f"{got} {kind}, want {n}")


def least_privilege():
    """No wildcard anywhere; the orchestrator's ClusterRole has no Secrets and no workload kinds;
    bind only with resourceNames naming the store role; no escalate/impersonate."""
    roles = find("ClusterRole") + find("Role")
    store = [r for r in find("ClusterRole") if r["metadata"]["labels"]["app.kubernetes.io/component"] == "store-access"]
    if len(store) != 1:
        fail("no single store-access ClusterRole")
    store_name = store[0]["metadata"]["name"]
    for r in roles:
        for rule in r.get("rules", []):
            for field in ("apiGroups", "resources", "verbs", "resourceNames"):
                if "*" in rule.get(field, []):
                    fail(f"{r['metadata']['name']}: wildcard in {field}")
            if {"escalate", "impersonate"} & set(rule["verbs"]):
                fail(f"{r['metadata']['name']}: escalate/impersonate")
            if "bind" in rule["verbs"] and rule.get("resourceNames") != [store_name]:
                fail(f"{r['metadata']['name']}: bind not limited to {store_name}")
    for r in find("ClusterRole"):
        if r is store[0]:
            continue
        for rule in r["rules"]:
            bad = set(rule["resources"]) & {"secrets", "pods", "deployments", "clusterrolebindings", "clusterroles", "nodes", "configmaps"}
            if bad and rule["verbs"] != ["bind"]:
                fail(f"{r['metadata']['name']} grants {bad} cluster-wide")
    if find("ClusterRoleBinding")[0]["roleRef"]["name"] == store_name:
        fail("the store role is bound cluster-wide")


def store_group():
    """Every Store rule names argv[2] as its group."""
    groups = {g for r in find("ClusterRole") for rule in r["rules"] if "stores" in rule["resources"] for g in rule["apiGroups"]}
    if groups != {sys.argv[2]}:
        fail(f"stores rules name groups {groups}, the CRD's is {sys.argv[2]}")


def labelled():
    """Every object carries the standard labels."""
    want = ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
            "app.kubernetes.io/component", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "helm.sh/chart"]
    for d in docs:
        labels = d["metadata"].get("labels", {})
        missing = [k for k in want if k not in labels and not (d["kind"] == "Pod" and k in want[:3])]
        if missing:
            fail(f"{d['kind']}/{d['metadata']['name']} lacks {missing}")


def field():
    """argv[2]=KIND, argv[3]=path with "/" between parts (a list index, or key=value picking the
    list item with that key; "~1" stands for "/" in a key), argv[4]=expected value as a string, of the first object of KIND."""
    obj = find(sys.argv[2])[0]
    for part in sys.argv[3].split("/"):
        if isinstance(obj, list) and "=" in part:
            k, v = part.split("=", 1)
            obj = next(i for i in obj if i.get(k) == v)
        elif isinstance(obj, list):
            obj = obj[int(part)]
        else:
            obj = obj[part.replace("~1", "/")]
    if str(obj) != sys.argv[4]:
        fail(f"{sys.argv[3]} = {obj!r}, want {sys.argv[4]!r}")


{"hardened": hardened, "args": args, "replicas": replicas, "kinds": kinds, "least_privilege": least_privilege,
 "store_group": store_group, "labelled": labelled, "field": field}[sys.argv[1]]()
