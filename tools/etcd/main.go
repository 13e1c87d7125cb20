// Command etcd is the etcd server, built from its published Go module:
// the release's own entry point, etcdmain.Main, with the process arguments.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
