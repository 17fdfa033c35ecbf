package tflite_test

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
	"github.com/modelgate/modelgate/scanner/tflite"
)

// want lists, for every fixture (regenerate them with
// `python3 testdata/gen/tflite_fixtures.py`), the exact set of rules it
// yields.
var want = map[string][]string{
	"testdata/valid-add-fc.tflite":              nil,
	"testdata/valid-stock-custom-op.tflite":     nil,
	"testdata/custom-op.tflite":                 {"MG3302"},
	"testdata/flex-rfft.tflite":                 {"MG3303"},
	"testdata/flex-readfile.tflite":             {"MG3305"},
	"testdata/flex-pyfunc.tflite":               {"MG3304"},
	"testdata/flex-unused.tflite":               {"MG3305"},
	"testdata/flex-disguised.tflite":            {"MG3305", "MG3306"},
	"testdata/flex-bad-options.tflite":          {"MG3301", "MG3303"},
	"testdata/opcode-inconsistent.tflite":       {"MG3307"},
	"testdata/opcode-custom-unnamed.tflite":     {"MG3307"},
	"testdata/bad-root-offset.tflite":           {"MG3301"},
	"testdata/bad-vtable.tflite":                {"MG3301"},
	"testdata/string-past-eof.tflite":           {"MG3301"},
	"testdata/opcode-index-out-of-range.tflite": {"MG3301"},
	"testdata/bad-version.tflite":               {"MG3301"},
	"testdata/buffer-offset-past-eof.tflite":    {"MG3301"},
	"testdata/buffer-data-past-eof.tflite":      {"MG3301"},
	"testdata/truncated.tflite":                 {"MG3301"},
	"testdata/not-tflite.tflite":                {"MG3301"},
	"testdata/description-url.tflite":           {"MG3308"},
	"testdata/description-code.tflite":          {"MG3309"},
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	return scannertest.ReadFixture(t, path, "python3 testdata/gen/tflite_fixtures.py")
}

func scan(t testing.TB, path string, data []byte) ([]scanner.Finding, *scanner.Input) {
	t.Helper()
	in := scannertest.Input(t, path, data)
	s := tflite.New()
	if !s.Accepts(&in.File) {
		t.Fatalf("not accepted: sniffed as %q, claimed %q", in.Sniff.Format, in.Sniff.Claimed)
	}
	fs, err := s.Scan(context.Background(), in)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return fs, in
}

func TestFixtures(t *testing.T) {
	for path, rules := range want {
		t.Run(filepath.Base(path), func(t *testing.T) {
			fs, in := scan(t, path, readFixture(t, path))
			if got := scannertest.RuleSet(fs); !slices.Equal(got, rules) {
				t.Errorf("rules = %v, want %v", got, rules)
			}
			if testing.Verbose() || t.Failed() {
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
	scannertest.CheckFindings(t, in, fs, "MG33")
}

// TestEveryFixtureListed makes sure a new fixture comes with expectations.
func TestEveryFixtureListed(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.tflite")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if _, ok := want[filepath.ToSlash(p)]; !ok {
			t.Errorf("%s has no entry in want", p)
		}
	}
}

// TestEvidence pins the evidence of the findings people act on.
func TestEvidence(t *testing.T) {
	cases := []struct{ path, rule, evidence string }{
		{"testdata/custom-op.tflite", "MG3302", `custom op "MyNativeOp"`},
		{"testdata/flex-readfile.tflite", "MG3305", `Flex op "ReadFile"`},
		{"testdata/flex-pyfunc.tflite", "MG3304", `Flex op "EagerPyFunc"`},
		{"testdata/flex-rfft.tflite", "MG3303", `Flex op "RFFT"`},
		{"testdata/flex-disguised.tflite", "MG3305", `Flex op "WriteFile"`},
		{"testdata/flex-disguised.tflite", "MG3306", `"FlexAdd" runs "WriteFile"`},
		{"testdata/description-url.tflite", "MG3308", `the model description: "https://example.invalid/models/fc?…"`},
	}
	for _, c := range cases {
		fs, _ := scan(t, c.path, readFixture(t, c.path))
		var got []string
		for _, f := range fs {
			if f.RuleID == c.rule {
				got = append(got, f.Evidence)
			}
		}
		if !slices.Contains(got, c.evidence) {
			t.Errorf("%s: %s evidence %q, want %q", c.path, c.rule, got, c.evidence)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for path := range want {
		data := readFixture(t, path)
		a, errA := tflite.New().Scan(context.Background(), scannertest.Input(t, path, data))
		b, errB := tflite.New().Scan(context.Background(), scannertest.Input(t, path, data))
		if !reflect.DeepEqual(a, b) || !errors.Is(errA, errB) {
			t.Errorf("%s: two scans differ", path)
		}
	}
}

// TestEveryTruncation scans every prefix of a model with a Flex operator:
// each must be reported as malformed, without a panic or an error.
func TestEveryTruncation(t *testing.T) {
	data := readFixture(t, "testdata/flex-readfile.tflite")
	for n := 0; n < len(data); n++ {
		in := scannertest.Input(t, "cut.tflite", data[:n])
		fs, err := tflite.New().Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !slices.Contains(scannertest.RuleSet(fs), "MG3301") {
			t.Errorf("%d bytes: rules %v, want MG3301", n, scannertest.RuleSet(fs))
		}
		checkFindings(t, in, fs)
	}
}

// failingReader fails every read.
type failingReader struct{}

var errDisk = errors.New("disk on fire")

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errDisk }

func TestReadErrorReturned(t *testing.T) {
	in := scannertest.Input(t, "x.tflite", readFixture(t, "testdata/valid-add-fc.tflite"))
	in.R = failingReader{}
	if _, err := tflite.New().Scan(context.Background(), in); !errors.Is(err, errDisk) {
		t.Errorf("Scan error = %v, want %v", err, errDisk)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := scannertest.Input(t, "x.tflite", readFixture(t, "testdata/valid-add-fc.tflite"))
	if _, err := tflite.New().Scan(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan error = %v, want %v", err, context.Canceled)
	}
}

func TestAccepts(t *testing.T) {
	s := tflite.New()
	cases := []struct {
		sniff format.Sniff
		want  bool
	}{
		{format.Sniff{Format: format.TFLite}, true},
		{format.Sniff{Format: format.TFLite, Claimed: format.GGUF}, true},
		{format.Sniff{Format: format.Unknown, Claimed: format.TFLite}, true},
		{format.Sniff{Format: format.Text, Claimed: format.TFLite}, true},
		{format.Sniff{Format: format.Pickle, Claimed: format.TFLite}, false},
		{format.Sniff{Format: format.Zip, Claimed: format.TFLite}, false},
		{format.Sniff{Format: format.Unknown}, false},
		{format.Sniff{Format: format.GGUF}, false},
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
		in := scannertest.Input(t, "fuzz.tflite", data)
		s := tflite.New()
		if !s.Accepts(&in.File) {
			return
		}
		fs, err := s.Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("Scan over bytes.Reader: %v", err)
		}
		checkFindings(t, in, fs)
	})
}

func BenchmarkScan(b *testing.B) {
	const path = "testdata/flex-readfile.tflite"
	in := scannertest.Input(b, path, readFixture(b, path))
	s := tflite.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
