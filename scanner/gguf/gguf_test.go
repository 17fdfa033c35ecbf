package gguf_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/modelgate/modelgate/scanner/scannertest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/gguf"
)

// want lists, for every fixture (regenerate them with
// `python3 testdata/gen/gguf_fixtures.py`), the exact set of rules it
// yields.
var want = map[string][]string{
	"testdata/valid-llama.gguf":              nil,
	"testdata/valid-v1.gguf":                 nil,
	"testdata/valid-big-endian.gguf":         nil,
	"testdata/valid-vocab-only.gguf":         nil,
	"testdata/valid-alignment-64.gguf":       nil,
	"testdata/bad-magic.gguf":                {"MG3401"},
	"testdata/header-short.gguf":             {"MG3401"},
	"testdata/kv-count-huge.gguf":            {"MG3401"},
	"testdata/tensor-count-huge.gguf":        {"MG3401"},
	"testdata/string-past-eof.gguf":          {"MG3402"},
	"testdata/array-count-huge.gguf":         {"MG3402"},
	"testdata/truncated.gguf":                {"MG3402"},
	"testdata/unknown-version.gguf":          {"MG3403"},
	"testdata/unknown-value-type.gguf":       {"MG3404"},
	"testdata/bad-bool.gguf":                 {"MG3404"},
	"testdata/nested-array-deep.gguf":        {"MG3404"},
	"testdata/alignment-invalid.gguf":        {"MG3404"},
	"testdata/alignment-wrong-type.gguf":     {"MG3404"},
	"testdata/bad-key.gguf":                  {"MG3404"},
	"testdata/duplicate-key.gguf":            {"MG3405"},
	"testdata/duplicate-tensor.gguf":         {"MG3405"},
	"testdata/tensor-ndims.gguf":             {"MG3406"},
	"testdata/tensor-dims-overflow.gguf":     {"MG3406"},
	"testdata/tensor-block-size.gguf":        {"MG3406"},
	"testdata/unknown-tensor-type.gguf":      {"MG3407"},
	"testdata/tensor-offset-past-eof.gguf":   {"MG3408"},
	"testdata/tensor-misaligned.gguf":        {"MG3408"},
	"testdata/tensor-overlap.gguf":           {"MG3408"},
	"testdata/tensor-gap.gguf":               {"MG3408"},
	"testdata/truncated-data.gguf":           {"MG3408"},
	"testdata/trailing-data.gguf":            {"MG3409"},
	"testdata/ssti-template.gguf":            {"MG3410"},
	"testdata/ssti-named-template.gguf":      {"MG3410"},
	"testdata/ssti-template-list.gguf":       {"MG3410"},
	"testdata/ssti-template-list-entry.gguf": {"MG3410"},
	"testdata/ssti-big-endian.gguf":          {"MG3410"},
	"testdata/ssti-long-template.gguf":       {"MG3410"},
	"testdata/injected-template.gguf":        {"MG5004", "MG5007", "MG5021"},
	"testdata/unparsable-template.gguf":      {"MG5110"},
	"testdata/metadata-code.gguf":            {"MG3411", "MG3412"},
	"testdata/metadata-url.gguf":             {"MG3412"},
	"testdata/metadata-link-scheme.gguf":     {"MG3412"},
	"testdata/legacy.ggml":                   {"MG3413"},
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	return scannertest.ReadFixture(t, path, "python3 testdata/gen/gguf_fixtures.py")
}

func scan(t testing.TB, path string, data []byte) ([]scanner.Finding, *scanner.Input) {
	t.Helper()
	in := scannertest.Input(t, path, data)
	s := gguf.New()
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
	scannertest.CheckFindings(t, in, fs, "MG34", "MG50", "MG5110") // prompt detectors run on chat templates
}

// TestEveryFixtureListed makes sure a new fixture comes with expectations.
func TestEveryFixtureListed(t *testing.T) {
	for _, glob := range []string{"testdata/*.gguf", "testdata/*.ggml"} {
		paths, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if _, ok := want[filepath.ToSlash(p)]; !ok {
				t.Errorf("%s has no entry in want", p)
			}
		}
	}
}

// TestEvidence pins the evidence of the findings people act on.
func TestEvidence(t *testing.T) {
	cases := []struct{ path, rule, evidence string }{
		{"testdata/ssti-template.gguf", "MG3410", `"tokenizer.chat_template": "__class__"`},
		{"testdata/ssti-named-template.gguf", "MG3410", `"tokenizer.chat_template.rag": "__init__"`},
		{"testdata/ssti-template-list.gguf", "MG3410", `"tokenizer.chat_template.tool_use": "_TemplateReference__context"`},
		{"testdata/ssti-template-list-entry.gguf", "MG3410", `"tokenizer.chat_templates": "__globals__"`},
		{"testdata/ssti-long-template.gguf", "MG3410", `"tokenizer.chat_template": "__class__"`},
		{"testdata/duplicate-key.gguf", "MG3405", `duplicate key "general.name"`},
		{"testdata/metadata-url.gguf", "MG3412", `"general.source.note": "https://example.invalid/mirror/model?…"`},
		{"testdata/kv-count-huge.gguf", "MG3401", "metadata_kv_count 1152921504606846976"},
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

// TestSSTIMessage checks that the critical finding names the CVE and the
// marker, which is what a reader needs to act.
func TestSSTIMessage(t *testing.T) {
	fs, _ := scan(t, "testdata/ssti-template.gguf", readFixture(t, "testdata/ssti-template.gguf"))
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1", len(fs))
	}
	for _, s := range []string{"CVE-2024-34359", `"__class__"`, `"__mro__"`, `"__subclasses__"`} {
		if !strings.Contains(fs[0].Message, s) {
			t.Errorf("message %q lacks %s", fs[0].Message, s)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for path := range want {
		data := readFixture(t, path)
		a, errA := gguf.New().Scan(context.Background(), scannertest.Input(t, path, data))
		b, errB := gguf.New().Scan(context.Background(), scannertest.Input(t, path, data))
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
	in := scannertest.Input(t, "x.gguf", readFixture(t, "testdata/valid-llama.gguf"))
	in.R = failingReader{}
	if _, err := gguf.New().Scan(context.Background(), in); !errors.Is(err, errDisk) {
		t.Errorf("Scan error = %v, want %v", err, errDisk)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := scannertest.Input(t, "x.gguf", readFixture(t, "testdata/valid-llama.gguf"))
	if _, err := gguf.New().Scan(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan error = %v, want %v", err, context.Canceled)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// TestHugeCountsReadNothing checks that absurd counts are rejected from
// the header alone: nothing past the first window is read or allocated.
func TestHugeCountsReadNothing(t *testing.T) {
	for _, path := range []string{"testdata/kv-count-huge.gguf", "testdata/tensor-count-huge.gguf", "testdata/array-count-huge.gguf", "testdata/string-past-eof.gguf"} {
		data := readFixture(t, path)
		in := scannertest.Input(t, path, data)
		allocs := testing.AllocsPerRun(1, func() {
			if _, err := gguf.New().Scan(context.Background(), in); err != nil {
				t.Fatal(err)
			}
		})
		cr := &countingReader{r: bytes.NewReader(data)}
		in.R = cr
		if _, err := gguf.New().Scan(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		if cr.n > int64(len(data)) {
			t.Errorf("%s: read %d bytes of a %d-byte file", path, cr.n, len(data))
		}
		if allocs > 2000 {
			t.Errorf("%s: %v allocations", path, allocs)
		}
	}
}

func TestAccepts(t *testing.T) {
	s := gguf.New()
	cases := []struct {
		sniff format.Sniff
		want  bool
	}{
		{format.Sniff{Format: format.GGUF}, true},
		{format.Sniff{Format: format.GGML}, true},
		{format.Sniff{Format: format.GGUF, Claimed: format.Safetensors}, true},
		{format.Sniff{Format: format.Unknown, Claimed: format.GGUF}, true},
		{format.Sniff{Format: format.Text, Claimed: format.GGUF}, true},
		{format.Sniff{Format: format.Pickle, Claimed: format.GGUF}, false},
		{format.Sniff{Format: format.Zip, Claimed: format.GGUF}, false},
		{format.Sniff{Format: format.Unknown}, false},
		{format.Sniff{Format: format.Safetensors}, false},
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
		in := scannertest.Input(t, "fuzz.gguf", data)
		s := gguf.New()
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

// TestLongTemplateMarkerSearch: a template over the syntax-tree limit is
// searched for markers window by window, and the marker is still found at
// the same place.
func TestLongTemplateMarkerSearch(t *testing.T) {
	const path = "testdata/ssti-long-template.gguf"
	data := readFixture(t, path)
	tree, _ := scan(t, path, data)
	saved := *gguf.MaxParsedTemplate
	*gguf.MaxParsedTemplate = 1 << 10
	defer func() { *gguf.MaxParsedTemplate = saved }()
	windowed, _ := scan(t, path, data)
	if len(tree) != 1 || len(windowed) != 1 || tree[0].RuleID != "MG3410" || windowed[0].RuleID != "MG3410" {
		t.Fatalf("tree %+v, windowed %+v", tree, windowed)
	}
	if *tree[0].Location.ByteOffset != *windowed[0].Location.ByteOffset || tree[0].Evidence != windowed[0].Evidence {
		t.Errorf("tree finding at %d %q, windowed at %d %q", *tree[0].Location.ByteOffset, tree[0].Evidence, *windowed[0].Location.ByteOffset, windowed[0].Evidence)
	}
}
