// Command etcd is etcd v3.7.3's server, built from the Go module proxy for the
// test suite's Kubernetes API server (`go install` refuses etcd's own module:
// its go.mod has replace directives).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
