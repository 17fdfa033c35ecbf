package tensorflow_test

import (
	"context"
	"errors"
	"github.com/modelgate/modelgate/scanner/scannertest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/tensorflow"
	"github.com/modelgate/modelgate/scanner/tensorflow/tfpb"
)

// want lists, for every fixture (regenerate them with
// `go run testdata/gen/tensorflow_fixtures.go` from the repository root),
// the exact set of rules it yields.
var want = map[string][]string{
	"testdata/tf1-benign/saved_model.pb":               nil,
	"testdata/tf2-benign/saved_model.pb":               nil,
	"testdata/tf2-benign/keras_metadata.pb":            nil,
	"testdata/tf2-benign/fingerprint.pb":               nil,
	"testdata/tf1-vocab-asset/saved_model.pb":          nil,
	"testdata/tf1-pyfunc/saved_model.pb":               {"MG3201"},
	"testdata/tf1-asset-traversal/saved_model.pb":      {"MG3202"},
	"testdata/tf1-table-constant-path/saved_model.pb":  {"MG3202"},
	"testdata/tf2-readfile-in-function/saved_model.pb": {"MG3202"},
	"testdata/tf1-writefile/saved_model.pb":            {"MG3202"},
	"testdata/tf2-savev2-outside-saver/saved_model.pb": {"MG3202"},
	"testdata/tf1-saver-constant-path/saved_model.pb":  {"MG3202"},
	"testdata/tf2-printv2-file/saved_model.pb":         {"MG3202"},
	"testdata/tf1-shell-op/saved_model.pb":             {"MG3203"},
	"testdata/keras-lambda/keras_metadata.pb":          {"MG3204"},
	"testdata/keras-lambda-ref/keras_metadata.pb":      {"MG3205"},
	"testdata/keras-bad-json/keras_metadata.pb":        {"MG3206"},
	"testdata/truncated/saved_model.pb":                {"MG3206"},
	"testdata/no-meta-graph/saved_model.pb":            {"MG3206"},
	"testdata/not-protobuf/saved_model.pb":             {"MG3206"},
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	return scannertest.ReadFixture(t, path, "go run testdata/gen/tensorflow_fixtures.go")
}

func scan(t testing.TB, in *scanner.Input) []scanner.Finding {
	t.Helper()
	s := tensorflow.New()
	if !s.Accepts(&in.File) {
		t.Fatalf("not accepted: sniffed as %q, claimed %q", in.Sniff.Format, in.Sniff.Claimed)
	}
	fs, err := s.Scan(context.Background(), in)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	checkFindings(t, in, fs)
	return fs
}

func findingsOf(t *testing.T, path string) []scanner.Finding {
	t.Helper()
	return scan(t, scannertest.Input(t, path, readFixture(t, path)))
}

func TestFixtures(t *testing.T) {
	for path, rules := range want {
		t.Run(strings.TrimPrefix(path, "testdata/"), func(t *testing.T) {
			fs := findingsOf(t, path)
			if got := scannertest.RuleSet(fs); !slices.Equal(got, rules) {
				t.Errorf("rules = %v, want %v", got, rules)
			}
			for _, f := range fs {
				t.Logf("%s %s: %s [%s]", f.RuleID, f.Location, f.Message, f.Evidence)
			}
		})
	}
}

// checkFindings asserts what holds for every finding of every file.
func checkFindings(t testing.TB, in *scanner.Input, fs []scanner.Finding) {
	t.Helper()
	scannertest.CheckFindings(t, in, fs, "MG32")
}

// TestEveryFixtureListed makes sure a new fixture comes with expectations.
func TestEveryFixtureListed(t *testing.T) {
	paths, err := filepath.Glob("testdata/*/*.pb")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if _, ok := want[filepath.ToSlash(p)]; !ok {
			t.Errorf("%s has no entry in want", p)
		}
	}
}

// TestMessages pins what the reader is told for a few fixtures.
func TestMessages(t *testing.T) {
	cases := []struct {
		path, rule string
		parts      []string
	}{
		{"testdata/tf1-pyfunc/saved_model.pb", "MG3201", []string{`node "PyFunc" of the graph`, `token "pyfunc_0"`}},
		{"testdata/tf2-readfile-in-function/saved_model.pb", "MG3202", []string{`function "__inference__wrapped_model_95"`, `"/etc/passwd"`, "reads files"}},
		{"testdata/tf1-writefile/saved_model.pb", "MG3202", []string{`"/home/user/.bashrc"`, "writes files"}},
		{"testdata/tf2-savev2-outside-saver/saved_model.pb", "MG3202", []string{"SaveV2", `"/tmp/exfil"`, "not part of the SavedModel's saver"}},
		{"testdata/tf1-saver-constant-path/saved_model.pb", "MG3202", []string{"RestoreV2", `"/etc/shadow"`, "constant path"}},
		{"testdata/tf2-printv2-file/saved_model.pb", "MG3202", []string{"PrintV2", `"/tmp/.cache/log"`}},
		{"testdata/tf1-asset-traversal/saved_model.pb", "MG3202", []string{`"../../../../etc/passwd"`, "assets/"}},
		{"testdata/tf1-table-constant-path/saved_model.pb", "MG3202", []string{"InitializeTableFromTextFileV2", `"/etc/passwd"`}},
		{"testdata/tf1-shell-op/saved_model.pb", "MG3203", []string{`"ShellExecute"`, "tf.load_op_library"}},
		{"testdata/keras-lambda/keras_metadata.pb", "MG3204", []string{`Lambda layer "lambda"`, "marshalled Python bytecode", `"__main__"`}},
		{"testdata/keras-lambda-ref/keras_metadata.pb", "MG3205", []string{`"system"`, `module "os"`}},
		{"testdata/keras-bad-json/keras_metadata.pb", "MG3206", []string{"node 1", "not valid JSON"}},
		{"testdata/truncated/saved_model.pb", "MG3206", []string{"offset"}},
		{"testdata/no-meta-graph/saved_model.pb", "MG3206", []string{"no MetaGraphDef"}},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			for _, f := range findingsOf(t, c.path) {
				if f.RuleID != c.rule {
					continue
				}
				text := f.Message + " | " + f.Evidence
				for _, p := range c.parts {
					if !strings.Contains(text, p) {
						t.Errorf("%s finding %q lacks %q", c.rule, text, p)
					}
				}
				return
			}
			t.Errorf("no %s finding", c.rule)
		})
	}
}

// TestLambdaReportedOnce checks that a Lambda layer, which appears in its
// own metadata and in its model's config, is reported once.
func TestLambdaReportedOnce(t *testing.T) {
	if fs := findingsOf(t, "testdata/keras-lambda/keras_metadata.pb"); len(fs) != 1 {
		t.Errorf("%d findings, want 1", len(fs))
	}
}

// TestSaverOpsNeedSaverDef checks the context rule from the other side: a
// graph whose checkpoint ops are not reachable from any SaverDef (here the
// TF1 fixture with its SaverDef removed) has them reported.
func TestSaverOpsNeedSaverDef(t *testing.T) {
	sm := &tfpb.SavedModel{}
	if err := proto.Unmarshal(readFixture(t, "testdata/tf1-benign/saved_model.pb"), sm); err != nil {
		t.Fatal(err)
	}
	sm.MetaGraphs[0].SaverDef = nil
	data, err := proto.Marshal(sm)
	if err != nil {
		t.Fatal(err)
	}
	fs := scan(t, scannertest.Input(t, "x/saved_model.pb", data))
	var ops []string
	for _, f := range fs {
		ops = append(ops, f.Evidence)
	}
	slices.Sort(ops)
	wantOps := []string{`op "MergeV2Checkpoints"`, `op "RestoreV2"`, `op "SaveV2"`}
	if !slices.Equal(ops, wantOps) {
		t.Errorf("evidence = %v, want %v", ops, wantOps)
	}
}

// TestNamesDecideTheMessage checks that the base name picks the message
// type, also inside a container.
func TestNamesDecideTheMessage(t *testing.T) {
	data := readFixture(t, "testdata/keras-lambda/keras_metadata.pb")
	in := scannertest.Input(t, "model.zip", data)
	in.Member = "model/keras_metadata.pb"
	in.Sniff.Format = format.TFSavedModel
	fs, err := tensorflow.New().Scan(context.Background(), in)
	if err != nil || !slices.Equal(scannertest.RuleSet(fs), []string{"MG3204"}) {
		t.Errorf("member scan: %v, %v", scannertest.RuleSet(fs), err)
	}
}

func TestDeterministic(t *testing.T) {
	for path := range want {
		data := readFixture(t, path)
		a, errA := tensorflow.New().Scan(context.Background(), scannertest.Input(t, path, data))
		b, errB := tensorflow.New().Scan(context.Background(), scannertest.Input(t, path, data))
		if !reflect.DeepEqual(a, b) || !errors.Is(errA, errB) {
			t.Errorf("%s: two scans differ", path)
		}
	}
}

type failingReader struct{}

var errDisk = errors.New("disk on fire")

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errDisk }

func TestReadErrorReturned(t *testing.T) {
	const path = "testdata/tf2-benign/saved_model.pb"
	in := scannertest.Input(t, path, readFixture(t, path))
	in.R = failingReader{}
	if _, err := tensorflow.New().Scan(context.Background(), in); !errors.Is(err, errDisk) {
		t.Errorf("Scan error = %v, want %v", err, errDisk)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	const path = "testdata/tf2-benign/saved_model.pb"
	in := scannertest.Input(t, path, readFixture(t, path))
	if _, err := tensorflow.New().Scan(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan error = %v, want %v", err, context.Canceled)
	}
}

func TestAccepts(t *testing.T) {
	s := tensorflow.New()
	cases := []struct {
		sniff format.Sniff
		want  bool
	}{
		{format.Sniff{Format: format.TFSavedModel, Claimed: format.TFSavedModel}, true},
		{format.Sniff{Format: format.Unknown, Claimed: format.TFSavedModel}, true},
		{format.Sniff{Format: format.Text, Claimed: format.TFSavedModel}, true},
		{format.Sniff{Format: format.Zip, Claimed: format.TFSavedModel}, false},
		{format.Sniff{Format: format.ONNX, Claimed: format.ONNX}, false},
		{format.Sniff{Format: format.Unknown}, false},
	}
	for _, c := range cases {
		if got := s.Accepts(&scanner.File{Sniff: c.sniff}); got != c.want {
			t.Errorf("Accepts(%+v) = %v, want %v", c.sniff, got, c.want)
		}
	}
}

// FuzzScan feeds each fixture's bytes under each of the three names.
func FuzzScan(f *testing.F) {
	names := []string{"saved_model.pb", "keras_metadata.pb", "fingerprint.pb"}
	for path := range want {
		for i := range names {
			f.Add(readFixture(f, path), uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		in := scannertest.Input(t, "m/"+names[int(which)%len(names)], data)
		if !tensorflow.New().Accepts(&in.File) {
			return
		}
		fs, err := tensorflow.New().Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("Scan over bytes.Reader: %v", err)
		}
		checkFindings(t, in, fs)
	})
}

// bigConstModel is the TF1 fixture plus a Const node holding n bytes of
// tensor_content, as frozen graphs hold their weights.
func bigConstModel(tb testing.TB, n int) []byte {
	tb.Helper()
	sm := &tfpb.SavedModel{}
	if err := proto.Unmarshal(readFixture(tb, "testdata/tf1-benign/saved_model.pb"), sm); err != nil {
		tb.Fatal(err)
	}
	g := sm.MetaGraphs[0].GraphDef
	g.Node = append(g.Node, &tfpb.NodeDef{
		Name: proto.String("frozen/weights"), Op: proto.String("Const"),
		Attr: map[string]*tfpb.AttrValue{"value": {Tensor: &tfpb.TensorProto{Dtype: proto.Int32(1), TensorContent: make([]byte, n)}}},
	})
	data, err := proto.Marshal(sm)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// BenchmarkLargeConst scans a SavedModel holding 100 MB of constant
// tensor_content; throughput is over the whole file, of which only the
// graph around the constant is read.
func BenchmarkLargeConst(b *testing.B) {
	data := bigConstModel(b, 100<<20)
	in := scannertest.Input(b, "m/saved_model.pb", data)
	s := tensorflow.New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan(b *testing.B) {
	const path = "testdata/tf2-benign/saved_model.pb"
	data := readFixture(b, path)
	in := scannertest.Input(b, path, data)
	s := tensorflow.New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
