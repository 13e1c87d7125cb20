// Builds Traefik from its module: the ingress controller of the local
// cluster's real node (k3s's default, as in values-prod.yaml), run as a host
// process by scripts/cluster/node.sh and listening on loopback. The replace
// lines are Traefik's own (its forks); a dependency's replaces do not apply.
module storeplatform.dev/tools/traefik

go 1.26.0

replace (
	github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e
	github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59
	github.com/mailgun/minheap => github.com/containous/minheap v0.0.0-20190809180810-6e71eb837595
)

require github.com/traefik/traefik/v3 v3.6.12 // indirect
