package hf_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"github.com/modelgate/modelgate/scanner/scannertest"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/archive"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/hf"
)

// want lists, for every fixture (regenerate them with
// `python3 testdata/gen/hf_fixtures.py` from the repository root), the
// exact set of rules it yields.
var want = map[string][]string{
	"testdata/benign/config.json":                           nil,
	"testdata/benign/tokenizer_config.json":                 nil,
	"testdata/benign/chat_template.jinja":                   nil,
	"testdata/benign/model.safetensors.index.json":          nil,
	"testdata/benign/pytorch_model.bin.index.json":          nil,
	"testdata/benign-code/modeling_tiny.py":                 nil,
	"testdata/benign-code/configuration_tiny.py":            nil,
	"testdata/benign-code/tokenization_tiny.py":             nil,
	"testdata/benign-nan/config.json":                       nil,
	"testdata/not-hf/config.json":                           nil,
	"testdata/mlflow-onnx/MLmodel":                          nil,
	"testdata/auto-map/config.json":                         {"MG3501"},
	"testdata/auto-map-external/config.json":                {"MG3501", "MG3502"},
	"testdata/auto-map-tokenizer/tokenizer_config.json":     {"MG3501"},
	"testdata/custom-pipelines/config.json":                 {"MG3501"},
	"testdata/ssti-string/tokenizer_config.json":            {"MG3507"},
	"testdata/ssti-list/tokenizer_config.json":              {"MG3507"},
	"testdata/ssti-json/chat_template.json":                 {"MG3507"},
	"testdata/ssti-jinja/chat_template.jinja":               {"MG3507"},
	"testdata/index-traversal/model.safetensors.index.json": {"MG3508"},
	"testdata/index-metadata/pytorch_model.bin.index.json":  {"MG3509"},
	"testdata/remote-code/modeling_evil.py":                 {"MG3503", "MG3504"},
	"testdata/remote-code/configuration_evil.py":            {"MG3505", "MG3506"},
	"testdata/mlflow-loader/MLmodel":                        {"MG3510", "MG3512"},
	"testdata/mlflow-sklearn/MLmodel":                       {"MG3511"},
	"testdata/mlflow-pyfunc/MLmodel":                        {"MG3511"},
	"testdata/malformed-config/config.json":                 {"MG3513"},
	"testdata/malformed-index/model.safetensors.index.json": {"MG3513"},
	"testdata/malformed-mlmodel/MLmodel":                    {"MG3513"},
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with `python3 testdata/gen/hf_fixtures.py` from the repository root)", err)
	}
	return data
}

func scan(t testing.TB, path string, data []byte) []scanner.Finding {
	t.Helper()
	in := scannertest.Input(t, path, data)
	s := hf.New()
	if !s.Accepts(&in.File) {
		t.Fatalf("%s not accepted: sniffed as %q", path, in.Sniff.Format)
	}
	fs, err := s.Scan(context.Background(), in)
	if err != nil {
		t.Fatalf("Scan(%s): %v", path, err)
	}
	checkFindings(t, in, data, fs)
	return fs
}

func TestFixtures(t *testing.T) {
	for path, rules := range want {
		t.Run(strings.TrimPrefix(path, "testdata/"), func(t *testing.T) {
			fs := scan(t, path, readFixture(t, path))
			if got := scannertest.RuleSet(fs); !slices.Equal(got, rules) {
				t.Errorf("rules = %v, want %v", got, rules)
				for _, f := range fs {
					t.Logf("  %s %s: %s [%s]", f.RuleID, f.Location, f.Message, f.Evidence)
				}
			}
		})
	}
}

// checkFindings asserts what holds for every finding of every file.
func checkFindings(t testing.TB, in *scanner.Input, data []byte, fs []scanner.Finding) {
	t.Helper()
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, f := range fs {
		if r, ok := scanner.LookupRule(f.RuleID); !ok || !strings.HasPrefix(r.ID, "MG35") {
			t.Errorf("rule %q is not a catalogued MG35xx rule", f.RuleID)
		}
		if f.Severity != scanner.SeverityUnset {
			t.Errorf("%s: severity %v set; it must come from the catalogue", f.RuleID, f.Severity)
		}
		if f.Message == "" || f.Evidence == "" || len(f.Evidence) > 200 {
			t.Errorf("%s: message %q, evidence %q: both are required and evidence must be short", f.RuleID, f.Message, f.Evidence)
		}
		if f.Location.Path != in.Path || f.Location.ByteOffset != nil {
			t.Errorf("%s: location %+v", f.RuleID, f.Location)
		}
		if l := f.Location.StartLine; l < 0 || l > lines || (l > 0) != (f.Location.StartColumn > 0) {
			t.Errorf("%s: line %d column %d in a file of %d lines", f.RuleID, l, f.Location.StartColumn, lines)
		}
	}
}

// TestEveryFixtureListed makes sure a new fixture comes with expectations.
func TestEveryFixtureListed(t *testing.T) {
	filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "fuzz") {
			return nil
		}
		if _, ok := want[filepath.ToSlash(p)]; !ok {
			t.Errorf("%s has no entry in want", p)
		}
		return nil
	})
}

// TestPositions checks that findings point at the text they are about:
// the line and column (in code points) of the first issue of a chat
// template inside a JSON string (the __init__ attribute after cycler, as
// the Jinja syntax tree places it), the call in Python source, the shard
// value in an index.
func TestPositions(t *testing.T) {
	for _, tt := range []struct {
		path, rule, at string
	}{
		{"testdata/ssti-string/tokenizer_config.json", "MG3507", "__init__.__globals__"},
		{"testdata/ssti-list/tokenizer_config.json", "MG3507", "__init__.__globals__"},
		{"testdata/ssti-json/chat_template.json", "MG3507", "__init__.__globals__"},
		{"testdata/ssti-jinja/chat_template.jinja", "MG3507", "__init__.__globals__"},
		{"testdata/remote-code/modeling_evil.py", "MG3503", `os.system("echo`},
		{"testdata/remote-code/modeling_evil.py", "MG3504", "exec(base64"},
		{"testdata/remote-code/configuration_evil.py", "MG3505", "pickle.loads(blob)"},
		{"testdata/remote-code/configuration_evil.py", "MG3506", "requests.get("},
		{"testdata/index-traversal/model.safetensors.index.json", "MG3508", `"../../`},
		{"testdata/auto-map/config.json", "MG3501", `"auto_map"`},
		{"testdata/auto-map-external/config.json", "MG3502", `"attacker-org/`},
		{"testdata/mlflow-loader/MLmodel", "MG3510", "custom_loader"},
		{"testdata/mlflow-sklearn/MLmodel", "MG3511", "cloudpickle"},
	} {
		data := readFixture(t, tt.path)
		var read []string
		for _, f := range scan(t, tt.path, data) {
			if f.RuleID == tt.rule {
				read = append(read, short(textAt(data, f.Location.StartLine, f.Location.StartColumn)))
			}
		}
		if !slices.ContainsFunc(read, func(s string) bool { return strings.HasPrefix(s, tt.at) }) {
			t.Errorf("%s: no %s finding reads %q at its position; they read %q", tt.path, tt.rule, tt.at, read)
		}
	}
}

// textAt returns the text from a 1-based line and code-point column.
func textAt(data []byte, line, col int) string {
	ls := strings.Split(string(data), "\n")
	if line < 1 || line > len(ls) {
		return ""
	}
	r := []rune(ls[line-1])
	if col < 1 || col > len(r)+1 {
		return ""
	}
	return string(r[col-1:])
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

// TestColumnsCountCodePoints: a template after non-ASCII text still
// lands on its marker.
func TestColumnsCountCodePoints(t *testing.T) {
	src := "{\"chat_template\": \"héllo ✓ \\u00e9 {{ ''.__class__ }}\"}\n"
	fs := scan(t, "x/chat_template.json", []byte(src))
	if len(fs) != 1 {
		t.Fatalf("findings: %+v", fs)
	}
	if got := textAt([]byte(src), fs[0].Location.StartLine, fs[0].Location.StartColumn); !strings.HasPrefix(got, "__class__") {
		t.Errorf("column %d reads %q", fs[0].Location.StartColumn, got)
	}
}

func TestAccepts(t *testing.T) {
	s := hf.New()
	text := format.Sniff{Format: format.Text, Head: []byte("{}")}
	for _, tt := range []struct {
		path, member string
		sniff        format.Sniff
		want         bool
	}{
		{"m/config.json", "", text, true},
		{"m/tokenizer_config.json", "", text, true},
		{"m/preprocessor_config.json", "", text, true},
		{"m/chat_template.json", "", text, true},
		{"m/chat_template.jinja", "", text, true},
		{"m/additional_chat_templates/tool_use.jinja", "", text, true},
		{"m/model.safetensors.index.json", "", text, true},
		{"m/pytorch_model.bin.index.json", "", text, true},
		{"m/MLmodel", "", text, true},
		{"m/modeling_x.py", "", text, true},
		{"m/configuration_x.py", "", text, true},
		{"m/tokenization_x_fast.py", "", text, true},
		{"m/image_processing_x.py", "", text, true},
		{"m/feature_extraction_x.py", "", text, true},
		{"m/processing_x.py", "", text, true},
		{"repo.zip", "model/config.json", text, true},
		{"repo.zip", "inner.tar!model/MLmodel", text, true},
		{"m/generation_config.json", "", text, false},
		{"m/tokenizer.json", "", text, false},
		{"m/utils.py", "", text, false},
		{"m/template.jinja", "", text, false},
		{"m/mlmodel", "", text, false},
		{"config.json", "", format.Sniff{Format: format.Unknown, Head: []byte("\x00\x01binary")}, false},
		{"config.json", "", format.Sniff{Format: format.LFSPointer, Head: []byte("version https://git-lfs.github.com/spec/v1\n")}, false},
		{"modeling_x.py", "", format.Sniff{Format: format.Pickle, Head: []byte("import os\nimport sys\n")}, true},
	} {
		f := &scanner.File{Path: tt.path, Member: tt.member, Sniff: tt.sniff}
		if got := s.Accepts(f); got != tt.want {
			t.Errorf("Accepts(%s!%s, %s) = %v, want %v", tt.path, tt.member, tt.sniff.Format, got, tt.want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for path := range want {
		data := readFixture(t, path)
		if a, b := scan(t, path, data), scan(t, path, data); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two scans differ", path)
		}
	}
}

// TestFindingsCapped: a flood of bad shards gives a bounded number of
// findings and says how many were left out.
func TestFindingsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"weight_map": {`)
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"t` + strings.Repeat("x", i) + `": "../shard` + strings.Repeat("y", i) + `.safetensors"`)
	}
	b.WriteString("}}")
	fs := scan(t, "m/model.safetensors.index.json", []byte(b.String()))
	if len(fs) < 2 || len(fs) > 25 {
		t.Errorf("%d findings for 100 bad shards", len(fs))
	}
	if last := fs[len(fs)-1]; !strings.Contains(last.Message, "80 more") {
		t.Errorf("last finding %q does not count the rest", last.Message)
	}
}

type failingReader struct{}

var errDisk = errors.New("disk on fire")

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errDisk }

func TestReadErrorReturned(t *testing.T) {
	in := scannertest.Input(t, "m/config.json", readFixture(t, "testdata/auto-map/config.json"))
	in.R = failingReader{}
	if _, err := hf.New().Scan(context.Background(), in); !errors.Is(err, errDisk) {
		t.Errorf("Scan error = %v, want %v", err, errDisk)
	}
}

func TestTooLarge(t *testing.T) {
	in := &scanner.Input{File: scanner.File{Path: "m/config.json", Size: 1 << 40, Sniff: format.Sniff{Format: format.Text, Head: []byte("{")}}, R: failingReader{}}
	fs, err := hf.New().Scan(context.Background(), in)
	if err != nil || len(fs) != 1 || fs[0].RuleID != "MG3513" {
		t.Errorf("findings %+v, error %v", fs, err)
	}
}

// TestInsideArchive: files inside a zip are recognised by their member
// name and their findings keep line and column.
func TestInsideArchive(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, src := range map[string]string{
		"repo/config.json":         "testdata/auto-map/config.json",
		"repo/modeling_evil.py":    "testdata/remote-code/modeling_evil.py",
		"repo/chat_template.jinja": "testdata/ssti-jinja/chat_template.jinja",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(readFixture(t, src))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "repo.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &scanner.Engine{Scanners: []scanner.Scanner{archive.New(), hf.New()}}
	res, err := e.Run(context.Background(), []scanner.Target{{Path: "repo.zip", OSPath: p, Size: int64(buf.Len()), Wanted: true}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Findings {
		got[f.RuleID] = f.Location.String()
	}
	for rule, loc := range map[string]string{
		"MG3501": "repo.zip!repo/config.json:12:3",
		"MG3503": "repo.zip!repo/modeling_evil.py:7:1",
		"MG3504": "repo.zip!repo/modeling_evil.py:13:9",
		"MG3507": "repo.zip!repo/chat_template.jinja:7:13", // the __init__ attribute
	} {
		if got[rule] != loc {
			t.Errorf("%s at %q, want %q", rule, got[rule], loc)
		}
	}
}
