package archive_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/archive"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/pickle"
)

// want lists, for every fixture (regenerate them with
// `python3 testdata/gen/archive_fixtures.py` from the repository root), the
// exact set of rules a scan with the archive and pickle scanners yields.
var want = map[string][]string{
	"testdata/7z-clean.7z":            nil,
	"testdata/7z-empty.7z":            nil,
	"testdata/7z-pickle.7z":           {"MG1001"},
	"testdata/7z-plain-copy.7z":       {"MG1001"},
	"testdata/7z-encrypted.7z":        {"MG4007"},
	"testdata/7z-encrypted-header.7z": {"MG4007"},
	"testdata/7z-zstd.7z":             {"MG4007"},
	"testdata/7z-huge-dict.7z":        {"MG4007"},
	"testdata/7z-huge-count.7z":       {"MG4007"},
	"testdata/7z-bad-start-crc.7z":    {"MG4008"},
	"testdata/7z-traversal.7z":        {"MG4005"},
	"testdata/7z-symlink.7z":          {"MG4005"},
	"testdata/7z-member-crc.7z":       {"MG4004"},
	"testdata/7z-bomb.7z":             {"MG4003"},
	"testdata/zip-clean.zip":          nil,
	"testdata/zip-symlink.zip":        {"MG4005"},
	"testdata/zip-nested-ok.zip":      {"MG1001"},
	"testdata/zip-nested-deep.zip":    {"MG4006"},
	"testdata/zip-overlap-bomb.zip":   {"MG4001", "MG4003"},
	"testdata/tar-sparse-bomb.tar":    {"MG4003"},
}

// recorder wraps the archive scanner to keep its own findings as it
// returns them, before the engine fills in severity and engine name.
type recorder struct {
	*archive.Scanner
	mu  sync.Mutex
	own map[string][]scanner.Finding
}

func (r *recorder) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	fs, err := r.Scanner.Scan(ctx, in)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range fs {
		if f.Engine == "" { // members' findings come back completed
			r.own[in.Path] = append(r.own[in.Path], f)
		}
	}
	return fs, err
}

func scan(t *testing.T, paths ...string) (*scanner.Result, *recorder) {
	t.Helper()
	rec := &recorder{Scanner: archive.New(), own: map[string][]scanner.Finding{}}
	var targets []scanner.Target
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%v (regenerate with `python3 testdata/gen/archive_fixtures.py` from the repository root)", err)
		}
		targets = append(targets, scanner.Target{Path: p, OSPath: p, Size: st.Size(), Wanted: true})
	}
	e := &scanner.Engine{Scanners: []scanner.Scanner{rec, pickle.New()}}
	res, err := e.Run(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	return res, rec
}

func ruleSet(fs []scanner.Finding) []string {
	var ids []string
	for _, f := range fs {
		if !slices.Contains(ids, f.RuleID) {
			ids = append(ids, f.RuleID)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestFixtures(t *testing.T) {
	for path, rules := range want {
		t.Run(filepath.Base(path), func(t *testing.T) {
			res, rec := scan(t, path)
			if got := ruleSet(res.Findings); !slices.Equal(got, rules) {
				t.Errorf("rules = %v, want %v", got, rules)
				for _, f := range res.Findings {
					t.Logf("  %s %s: %s [%s]", f.RuleID, f.Location, f.Message, f.Evidence)
				}
			}
			if len(res.Errors) > 0 {
				t.Errorf("scan errors: %+v", res.Errors)
			}
			for _, f := range rec.own[path] {
				if f.Severity != scanner.SeverityUnset {
					t.Errorf("%s: severity %v set; it must come from the catalogue", f.RuleID, f.Severity)
				}
				if _, ok := scanner.LookupRule(f.RuleID); !ok {
					t.Errorf("unknown rule %s", f.RuleID)
				}
				if f.Message == "" || f.Evidence == "" || len(f.Evidence) > 200 {
					t.Errorf("%s: message %q, evidence %q: both are required and evidence must be short", f.RuleID, f.Message, f.Evidence)
				}
			}
		})
	}
}

// TestEveryFixtureListed makes sure a new fixture comes with expectations.
func TestEveryFixtureListed(t *testing.T) {
	for _, glob := range []string{"testdata/*.7z", "testdata/*.zip", "testdata/*.tar"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			if _, ok := want[filepath.ToSlash(p)]; !ok {
				t.Errorf("%s has no entry in want", p)
			}
		}
	}
}

// TestNestingLimitIsVisible: a pickle six zips deep is not scanned, and
// the archive at the limit says so instead of passing silently.
func TestNestingLimitIsVisible(t *testing.T) {
	const path = "testdata/zip-nested-deep.zip"
	res, _ := scan(t, path)
	var deep []scanner.Finding
	for _, f := range res.Findings {
		if f.RuleID == "MG4006" {
			deep = append(deep, f)
		}
	}
	if len(deep) != 1 {
		t.Fatalf("MG4006 findings: %+v", deep)
	}
	// The default limit is 4: the outer archive is depth 0.
	if got, want := deep[0].Location.Member, "level1.zip!level2.zip!level3.zip!level4.zip"; got != want {
		t.Errorf("MG4006 at member %q, want %q", got, want)
	}
	if !strings.Contains(deep[0].Message, "level5.zip") {
		t.Errorf("message does not name the unscanned member: %s", deep[0].Message)
	}
}

// TestDirectScanWithoutNesting: called outside the engine, members cannot
// be routed anywhere; that is a finding, not an error.
func TestDirectScanWithoutNesting(t *testing.T) {
	for _, path := range []string{"testdata/zip-clean.zip", "testdata/7z-clean.7z"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r := bytes.NewReader(data)
		sniff, err := format.Detect(r, int64(len(data)), path)
		if err != nil {
			t.Fatal(err)
		}
		in := &scanner.Input{File: scanner.File{Path: path, Size: int64(len(data)), Sniff: sniff}, R: r}
		fs, err := archive.New().Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if got := ruleSet(fs); !slices.Equal(got, []string{"MG4006"}) {
			t.Errorf("%s: rules %v, want [MG4006]", path, got)
		}
	}
}

func TestDeterministic(t *testing.T) {
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	a, _ := scan(t, paths...)
	b, _ := scan(t, paths...)
	if !reflect.DeepEqual(a.Findings, b.Findings) {
		t.Error("two scans differ")
	}
}

func TestCancelledContext(t *testing.T) {
	data, err := os.ReadFile("testdata/7z-clean.7z")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := &scanner.Input{File: scanner.File{Path: "a.7z", Size: int64(len(data)), Sniff: format.Sniff{Format: format.SevenZip}}, R: cancelled{ctx, bytes.NewReader(data)}}
	if _, err := archive.New().Scan(ctx, in); err == nil {
		t.Error("no error from a cancelled scan")
	}
}

// cancelled fails reads once its context is done, as the engine's reader does.
type cancelled struct {
	ctx context.Context
	r   *bytes.Reader
}

func (c cancelled) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}
