//go:build tools

// Package tools pins, in this module's go.mod and go.sum, controller-gen and
// the Prometheus Operator's API types it reads: the test suite generates the
// operator's CRDs from those types the way the operator itself does, to apply
// them to its Kubernetes API server before deploy/kubernetes/optional.
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
