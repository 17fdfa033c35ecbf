package tensorflow_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/tensorflow"
)

// TestThroughEngine runs the fixtures through the engine, as the CLI
// would once the scanner is registered, and expects the same rules and no
// scan errors.
func TestThroughEngine(t *testing.T) {
	var targets []scanner.Target
	for path := range want {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, scanner.Target{Path: path, OSPath: path, Size: fi.Size(), Wanted: true})
	}
	e := &scanner.Engine{Scanners: []scanner.Scanner{tensorflow.New()}, Jobs: 2}
	res, err := e.Run(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Errorf("scan errors: %+v", res.Errors)
	}
	got := map[string][]string{}
	for _, f := range res.Findings {
		if !slices.Contains(got[f.Location.Path], f.RuleID) {
			got[f.Location.Path] = append(got[f.Location.Path], f.RuleID)
		}
		if f.Engine != tensorflow.Name {
			t.Errorf("%s: finding from engine %q", f.Location.Path, f.Engine)
		}
	}
	for path, rules := range want {
		slices.Sort(got[path])
		if !slices.Equal(got[path], rules) {
			t.Errorf("%s: engine found %v, want %v", path, got[path], rules)
		}
	}
}
