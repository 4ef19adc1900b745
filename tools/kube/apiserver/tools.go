//go:build tools

// Package tools keeps kube-apiserver and kubectl in this module's dependency
// graph so `go mod tidy` does not drop them; scripts/ensure-tool.sh builds them
// with `go build k8s.io/kubernetes/cmd/<name>` from this directory.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
