package safetensors_test

import (
	"context"
	"errors"
	"github.com/modelgate/modelgate/scanner/scannertest"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/safetensors"
)

// demoDir holds the demo models written by testdata/gen/safetensors.py.
const demoDir = "../../testdata/demo/models"

// want lists, for every fixture (regenerate them with
// `python3 testdata/gen/safetensors.py`), the exact set of rules it yields.
var want = map[string][]string{
	"testdata/valid-multi.safetensors":            nil,
	"testdata/valid-empty.safetensors":            nil,
	"testdata/valid-edge.safetensors":             nil,
	"testdata/header-length-zero.safetensors":     {"MG2001"},
	"testdata/header-length-huge.safetensors":     {"MG2001"},
	"testdata/header-length-past-eof.safetensors": {"MG2001"},
	"testdata/truncated-short.safetensors":        {"MG2001"},
	"testdata/invalid-json.safetensors":           {"MG2002"},
	"testdata/not-object.safetensors":             {"MG2002"},
	"testdata/leading-whitespace.safetensors":     {"MG2002"},
	"testdata/trailing-content.safetensors":       {"MG2002"},
	"testdata/invalid-utf8.safetensors":           {"MG2002"},
	"testdata/deep-nesting.safetensors":           {"MG2002"},
	"testdata/duplicate-key.safetensors":          {"MG2003"},
	"testdata/unknown-dtype.safetensors":          {"MG2004"},
	"testdata/flood-unknown-dtype.safetensors":    {"MG2004"},
	"testdata/malformed-entry.safetensors":        {"MG2005"},
	"testdata/size-mismatch.safetensors":          {"MG2006"},
	"testdata/subbyte-misaligned.safetensors":     {"MG2006"},
	"testdata/shape-overflow.safetensors":         {"MG2006"},
	"testdata/overlap.safetensors":                {"MG2007"},
	"testdata/gap.safetensors":                    {"MG2007"},
	"testdata/offset-past-data.safetensors":       {"MG2007", "MG2008"},
	"testdata/trailing-zip.safetensors":           {"MG2008"},
	"testdata/truncated-data.safetensors":         {"MG2008"},
	"testdata/metadata-non-string.safetensors":    {"MG2009"},
	"testdata/metadata-not-object.safetensors":    {"MG2009"},
	"testdata/metadata-code.safetensors":          {"MG2010"},
	"testdata/metadata-url.safetensors":           {"MG2011"},
	demoDir + "/clean.safetensors":                nil,
	demoDir + "/appended-payload.safetensors":     {"MG2008"},
	demoDir + "/header-overflow.safetensors":      {"MG2001"},
	demoDir + "/overlapping-tensors.safetensors":  {"MG2007"},
	demoDir + "/metadata-shell.safetensors":       {"MG2010", "MG2011"},
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	return scannertest.ReadFixture(t, path, "python3 testdata/gen/safetensors.py")
}

func TestFixtures(t *testing.T) {
	for path, rules := range want {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := readFixture(t, path)
			in := scannertest.Input(t, path, data)
			s := safetensors.New()
			if !s.Accepts(&in.File) {
				t.Fatalf("not accepted: sniffed as %q, claimed %q", in.Sniff.Format, in.Sniff.Claimed)
			}
			fs, err := s.Scan(context.Background(), in)
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if got := scannertest.RuleSet(fs); !slices.Equal(got, rules) {
				t.Errorf("rules = %v, want %v", got, rules)
				for _, f := range fs {
					t.Logf("  %s %s: %s [%s]", f.RuleID, f.Location, f.Message, f.Evidence)
				}
			}
			checkFindings(t, in, fs)
		})
	}
}

// checkFindings asserts what holds for every finding of every file.
func checkFindings(t *testing.T, in *scanner.Input, fs []scanner.Finding) {
	t.Helper()
	scannertest.CheckFindings(t, in, fs, "MG20")
}

// TestEveryFixtureListed makes sure a new fixture comes with expectations.
// (Other packages may add demo models, so only testdata/ is checked.)
func TestEveryFixtureListed(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if _, ok := want[filepath.ToSlash(p)]; !ok {
			t.Errorf("%s has no entry in want", p)
		}
	}
}

func TestFindingsCapped(t *testing.T) {
	const path, badEntries = "testdata/flood-unknown-dtype.safetensors", 40
	in := scannertest.Input(t, path, readFixture(t, path))
	fs, err := safetensors.New().Scan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 || len(fs) >= badEntries {
		t.Errorf("%d findings for %d bad entries; want some, capped", len(fs), badEntries)
	}
}

func TestDeterministic(t *testing.T) {
	for path := range want {
		data := readFixture(t, path)
		a, errA := safetensors.New().Scan(context.Background(), scannertest.Input(t, path, data))
		b, errB := safetensors.New().Scan(context.Background(), scannertest.Input(t, path, data))
		if !reflect.DeepEqual(a, b) || !errors.Is(errA, errB) {
			t.Errorf("%s: two scans differ", path)
		}
	}
}

// failingReader fails every read.
type failingReader struct{}

var errDisk = errors.New("disk on fire")

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errDisk }

func TestReadErrorReturned(t *testing.T) {
	in := scannertest.Input(t, "x.safetensors", readFixture(t, "testdata/valid-multi.safetensors"))
	in.R = failingReader{}
	if _, err := safetensors.New().Scan(context.Background(), in); !errors.Is(err, errDisk) {
		t.Errorf("Scan error = %v, want %v", err, errDisk)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := scannertest.Input(t, "x.safetensors", readFixture(t, "testdata/valid-multi.safetensors"))
	if _, err := safetensors.New().Scan(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan error = %v, want %v", err, context.Canceled)
	}
}

func TestAccepts(t *testing.T) {
	s := safetensors.New()
	cases := []struct {
		sniff format.Sniff
		want  bool
	}{
		{format.Sniff{Format: format.Safetensors}, true},
		{format.Sniff{Format: format.Safetensors, Claimed: format.GGUF}, true},
		{format.Sniff{Format: format.Unknown, Claimed: format.Safetensors}, true},
		{format.Sniff{Format: format.Text, Claimed: format.Safetensors}, true},
		{format.Sniff{Format: format.Pickle, Claimed: format.Safetensors}, false},
		{format.Sniff{Format: format.Zip, Claimed: format.Safetensors}, false},
		{format.Sniff{Format: format.Unknown}, false},
	}
	for _, c := range cases {
		if got := s.Accepts(&scanner.File{Sniff: c.sniff}); got != c.want {
			t.Errorf("Accepts(%+v) = %v, want %v", c.sniff, got, c.want)
		}
	}
}

func FuzzScan(f *testing.F) {
	for path := range want {
		f.Add(readFixture(f, path))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := scannertest.Input(t, "fuzz.safetensors", data)
		fs, err := safetensors.New().Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("Scan over bytes.Reader: %v", err)
		}
		checkFindings(t, in, fs)
	})
}

func BenchmarkScan(b *testing.B) {
	const path = "testdata/valid-multi.safetensors"
	in := scannertest.Input(b, path, readFixture(b, path))
	s := safetensors.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
