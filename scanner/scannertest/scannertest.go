// Package scannertest holds helpers shared by the format scanners' tests:
// building the Input the engine would hand a scanner, and summarising
// findings. It is imported by tests only.
package scannertest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Input builds the scanner input the engine would: a real content sniff
// over data, then data itself as the reader.
func Input(t testing.TB, name string, data []byte) *scanner.Input {
	t.Helper()
	r := bytes.NewReader(data)
	sniff, err := format.Detect(r, int64(len(data)), name)
	if err != nil {
		t.Fatalf("Detect(%s): %v", name, err)
	}
	return &scanner.Input{File: scanner.File{Path: name, Size: int64(len(data)), Sniff: sniff}, R: r}
}

// RuleSet lists the distinct rule IDs of findings, sorted.
func RuleSet(fs []scanner.Finding) []string {
	var ids []string
	for _, f := range fs {
		if !slices.Contains(ids, f.RuleID) {
			ids = append(ids, f.RuleID)
		}
	}
	slices.Sort(ids)
	return ids
}
