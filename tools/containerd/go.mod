// Builds containerd, its runc shim and ctr from the containerd module: the
// container runtime of the local cluster's real node (scripts/cluster/node.sh).
module storeplatform.dev/tools/containerd

go 1.26.8

require github.com/containerd/containerd/v2 v2.3.7 // indirect
