// Package scannertest holds helpers shared by the format scanners' tests:
// building the Input the engine would hand a scanner, and summarising
// findings. It is imported by tests only.
package scannertest

import (
	"bytes"
	"os"
	"slices"
	"strings"
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

// ReadFixture reads a fixture file, naming the generator to run when it
// is missing.
func ReadFixture(t testing.TB, path, generator string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with `%s` from the repository root)", err, generator)
	}
	return data
}

// CheckFindings asserts what must hold for every finding a format scanner
// returns: a catalogued rule of the family (rulePrefix, e.g. "MG34"), no
// severity of its own (it comes from the catalogue), a message and short
// evidence, the input's path, a byte offset inside the file, and the
// per-rule cap (scanner.DefaultPerRuleCap plus one summary).
func CheckFindings(t testing.TB, in *scanner.Input, fs []scanner.Finding, rulePrefixes ...string) {
	t.Helper()
	perRule := map[string]int{}
	for _, f := range fs {
		perRule[f.RuleID]++
		if _, ok := scanner.LookupRule(f.RuleID); !ok || !slices.ContainsFunc(rulePrefixes, func(p string) bool { return strings.HasPrefix(f.RuleID, p) }) {
			t.Errorf("rule %q is not a catalogued %sxx rule", f.RuleID, strings.Join(rulePrefixes, "xx or "))
		}
		if f.Severity != scanner.SeverityUnset {
			t.Errorf("%s: severity %v set; it must come from the catalogue", f.RuleID, f.Severity)
		}
		if f.Message == "" || f.Evidence == "" || len(f.Evidence) > 300 {
			t.Errorf("%s: message %q, evidence %q: both are required and evidence must be short", f.RuleID, f.Message, f.Evidence)
		}
		if f.Location.Path != in.Path {
			t.Errorf("%s: location %q, want path %q", f.RuleID, f.Location, in.Path)
		}
		if off := f.Location.ByteOffset; off != nil && (*off < 0 || *off > in.Size) {
			t.Errorf("%s: byte offset %d outside the file (%d bytes)", f.RuleID, *off, in.Size)
		}
	}
	for rule, n := range perRule {
		if n > scanner.DefaultPerRuleCap+1 {
			t.Errorf("%s reported %d times; findings per rule must be capped", rule, n)
		}
	}
}
