package list_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/list"
)

// manifestEntry is one fixture of testdata/pickle (written by
// testdata/gen/pickle_fixtures.py): the technique it reproduces and what
// the engine must report for it.
type manifestEntry struct {
	File        string   `json:"file"`
	Technique   string   `json:"technique"`
	ExpectRules []string `json:"expect_rules"`
	MaxSeverity string   `json:"max_severity"`
	Evidence    []string `json:"evidence"`
}

const pickleFixtures = "../../testdata/pickle"

func loadManifest(t testing.TB) []manifestEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(pickleFixtures, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m []manifestEntry
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func scanFixture(t testing.TB, file string) *scanner.Result {
	t.Helper()
	p := filepath.Join(pickleFixtures, file)
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	e := &scanner.Engine{Scanners: list.All(), Jobs: 1}
	res, err := e.Run(context.Background(), []scanner.Target{{Path: file, OSPath: p, Size: info.Size(), Wanted: true}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestPickleFixtures checks every technique of pickle-threats.md and every
// realistic benign checkpoint: the expected rules are reported, the worst
// severity is exactly the expected one, and resolved globals appear in the
// evidence.
func TestPickleFixtures(t *testing.T) {
	for _, m := range loadManifest(t) {
		t.Run(m.File, func(t *testing.T) {
			res := scanFixture(t, m.File)
			got := map[string]bool{}
			worst := scanner.SeverityUnset
			var evidence []string
			for _, f := range res.Findings {
				got[f.RuleID] = true
				worst = max(worst, f.Severity)
				evidence = append(evidence, f.Evidence)
			}
			var missing []string
			for _, r := range m.ExpectRules {
				if !got[r] {
					missing = append(missing, r)
				}
			}
			wantWorst := scanner.SeverityUnset
			if m.MaxSeverity != "none" {
				wantWorst, _ = scanner.ParseSeverity(m.MaxSeverity)
			}
			for _, ev := range m.Evidence {
				if !slices.ContainsFunc(evidence, func(e string) bool { return strings.Contains(e, ev) }) {
					missing = append(missing, "evidence "+ev)
				}
			}
			if len(missing) > 0 || worst != wantWorst {
				t.Errorf("%s\nmissing %v; worst severity %s, want %s\nfindings:\n%s", m.Technique, missing, worst, wantWorst, describeFindings(res.Findings))
			}
		})
	}
}

func describeFindings(fs []scanner.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.Location.String() + " " + f.Severity.String() + " " + f.RuleID + " " + f.Message + "\n")
	}
	return b.String()
}

// TestEveryPickleFixtureIsInTheManifest keeps the manifest complete.
func TestEveryPickleFixtureIsInTheManifest(t *testing.T) {
	listed := map[string]bool{}
	for _, m := range loadManifest(t) {
		listed[m.File] = true
	}
	for _, dir := range []string{"malicious", "benign"} {
		entries, err := os.ReadDir(filepath.Join(pickleFixtures, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !listed[dir+"/"+e.Name()] {
				t.Errorf("%s/%s is not in manifest.json", dir, e.Name())
			}
		}
	}
}
