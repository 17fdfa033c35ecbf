package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func finding(rule string, sev scanner.Severity, path string) scanner.Finding {
	return scanner.Finding{RuleID: rule, Severity: sev, Message: rule + " in " + path, Location: scanner.Location{Path: path}}
}

func result(fs ...scanner.Finding) *scanner.Result {
	scanner.SortFindings(fs)
	scanner.AssignFingerprints(fs)
	return &scanner.Result{Findings: fs}
}

// config parses a policy file that lives in the working directory, so that
// finding paths and patterns share their root.
func config(t *testing.T, src string) *Config {
	t.Helper()
	t.Chdir(t.TempDir())
	if err := os.WriteFile(".modelgate.yml", []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(".modelgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func severities(d Decision) map[string]string {
	m := map[string]string{}
	for _, f := range d.Reported {
		m[f.RuleID+" "+f.Location.Path] = f.Severity.String()
	}
	return m
}

func TestOverridePrecedence(t *testing.T) {
	cfg := config(t, `
rules:
  MG1002: medium
  MG5001: off
paths:
  - path: tests/**
    rules:
      "*": info
      MG1002: low
  - path: tests/keep/**
    rules:
      MG5001: {enabled: true, severity: high}
      "*": critical
`)
	res := result(
		finding("MG1002", scanner.SeverityCritical, "models/a.pkl"),
		finding("MG1002", scanner.SeverityCritical, "tests/a.pkl"),
		finding("MG1001", scanner.SeverityCritical, "tests/b.pkl"),
		finding("MG5001", scanner.SeverityHigh, "prompts/x.md"),
		finding("MG5001", scanner.SeverityHigh, "tests/keep/x.md"),
	)
	d := Decide(res, Options{Gate: DefaultGate, Config: cfg, Now: now})
	want := map[string]string{
		"MG1002 models/a.pkl":    "medium", // rule override
		"MG1002 tests/a.pkl":     "low",    // path beats rule; the rule's own line beats "*"
		"MG1001 tests/b.pkl":     "info",   // "*" in the path entry
		"MG5001 tests/keep/x.md": "high",   // a later entry re-enables it; its own line beats "*"
	}
	if got := severities(d); !mapsEqual(got, want) {
		t.Errorf("severities %v, want %v", got, want)
	}
	if d.Disabled != 1 || d.BlockingCount != 1 || d.ExitCode != ExitFail {
		t.Errorf("disabled %d blocking %d exit %d", d.Disabled, d.BlockingCount, d.ExitCode)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestFormatPolicy(t *testing.T) {
	files := []scanner.FileStatus{
		{Path: "m/a.safetensors", Format: format.Safetensors, Status: scanner.StatusScanned},
		{Path: "m/b.pt", Format: format.Zip, Contains: []format.Format{format.Pickle}, Status: scanner.StatusScanned},
		{Path: "m/c.gguf", Format: format.GGUF, Status: scanner.StatusScanned},
		{Path: "p/system.txt", Format: format.Text, Status: scanner.StatusScanned},
		{Path: "m/d.bin", Format: format.LFSPointer, Status: scanner.StatusSkipped},
	}
	for _, tt := range []struct {
		policy string
		want   []string // "path evidence"
	}{
		{"formats: {deny: [pickle]}", []string{"m/b.pt formats=zip+pickle"}},
		{"formats: {allow: [safetensors, gguf]}", []string{"m/b.pt formats=zip+pickle"}},
		{"formats: {allow: [safetensors, zip]}", []string{"m/b.pt formats=zip+pickle", "m/c.gguf formats=gguf"}},
		{"formats: {allow: [safetensors, gguf, zip, pickle]}", nil},
		{"formats: {deny: [onnx]}", nil},
	} {
		cfg := config(t, tt.policy)
		var got []string
		for _, f := range formatFindings(files, cfg) {
			if f.RuleID != RuleFormatNotAllowed || f.Severity != scanner.SeverityHigh || f.Fingerprint == "" {
				t.Errorf("%s: finding %+v", tt.policy, f)
			}
			got = append(got, f.Location.Path+" "+f.Evidence)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.policy, got, tt.want)
		}
	}
}

func TestSuppressions(t *testing.T) {
	res := result(
		finding("MG1001", scanner.SeverityCritical, "models/a.pkl"),
		finding("MG1001", scanner.SeverityCritical, "models/b.pkl"),
		finding("MG2007", scanner.SeverityHigh, "models/c.safetensors"),
		finding("MG2007", scanner.SeverityHigh, "models/d.safetensors"),
	)
	fpB := res.Findings[1].Fingerprint
	base, _, _ := strings.Cut(res.Findings[3].Fingerprint, ":")
	cfg := config(t, `
suppressions:
  - rule: MG1001
    path: models/a.pkl
    reason: past
    expires: 2026-06-14
  - fingerprint: `+fpB+`
    reason: today is the last day
    expires: 2026-06-15
  - rule: MG2007
    path: models/c.*
    reason: forever
  - fingerprint: `+base+`
    reason: every occurrence
  - rule: MG1001
    path: gone/**
    reason: stale
`)
	d := Decide(res, Options{Gate: DefaultGate, Config: cfg, Now: now})
	var reported, suppressed []string
	for _, f := range d.Reported {
		reported = append(reported, f.Location.Path)
	}
	for _, s := range d.Suppressed {
		suppressed = append(suppressed, s.Finding.Location.Path+" "+s.Justification+" "+s.Expires)
	}
	if want := []string{"models/a.pkl"}; !slices.Equal(reported, want) {
		t.Errorf("reported %v, want %v", reported, want)
	}
	want := []string{"models/b.pkl today is the last day 2026-06-15", "models/c.safetensors forever ", "models/d.safetensors every occurrence "}
	if !slices.Equal(suppressed, want) {
		t.Errorf("suppressed %q, want %q", suppressed, want)
	}
	var notes []string
	for _, n := range d.Notes {
		notes = append(notes, n.String())
	}
	if len(notes) != 2 || !strings.Contains(notes[0], ".modelgate.yml:3: warning: Suppression of MG1001 on models/a.pkl expired on 2026-06-14: the 1 finding(s)") ||
		!strings.Contains(notes[1], ".modelgate.yml:15: warning: Suppression of MG1001 on gone/** matches no finding (stale)") {
		t.Errorf("notes %q", notes)
	}
	// A partial scan (changed files, one shard) reports no stale entries.
	d = Decide(res, Options{Gate: DefaultGate, Config: cfg, Now: now, Partial: true})
	if len(d.Notes) != 1 {
		t.Errorf("partial scan notes: %v", d.Notes)
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	res := result(finding("MG1001", scanner.SeverityCritical, "a.pkl"), finding("MG2007", scanner.SeverityHigh, "b.safetensors"))
	path := filepath.Join(t.TempDir(), "b.json")
	f, _ := os.Create(path)
	if err := WriteBaseline(f, NewBaselineFile("modelgate test", now, res.Findings[:1])); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := LoadBaseline(path)
	if err != nil || b.Len() != 1 {
		t.Fatalf("%v %v", b, err)
	}
	d := Decide(res, Options{Gate: DefaultGate, Baseline: b, Now: now})
	if len(d.Reported) != 1 || d.Reported[0].RuleID != "MG2007" || d.SuppressedCount(KindBaseline) != 1 || !d.BaselineUsed {
		t.Errorf("decision %+v", d)
	}
	// A fixed finding makes the baseline stale.
	d = Decide(result(finding("MG2007", scanner.SeverityHigh, "b.safetensors")), Options{Gate: DefaultGate, Baseline: b, Now: now})
	if len(d.Notes) != 1 || d.Notes[0].Level != NoteInfo {
		t.Errorf("notes %v", d.Notes)
	}
	for _, bad := range []string{`{"version": 9, "findings": []}`, `[]`, `{"version": 1, "findings": [{"rule_id": "MG1001"}]}`} {
		if _, err := ParseBaseline("b.json", []byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
