package onnx_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/modelgate/modelgate/scanner/scannertest"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/onnx"
	"github.com/modelgate/modelgate/scanner/onnx/onnxpb"
)

// want lists, for every fixture (regenerate them with
// `/usr/bin/python3 testdata/gen/onnx_fixtures.py` from the repository
// root), the exact set of rules it yields.
var want = map[string][]string{
	"testdata/benign-mlp.onnx":            nil,
	"testdata/benign-control-flow.onnx":   nil,
	"testdata/benign-external.onnx":       nil,
	"testdata/not-a-model.onnx":           {"MG3001"},
	"testdata/binary-junk.onnx":           {"MG3001"},
	"testdata/empty.onnx":                 {"MG3001"},
	"testdata/truncated.onnx":             {"MG3001"},
	"testdata/no-graph.onnx":              {"MG3001"},
	"testdata/deep-nesting.onnx":          {"MG3001"},
	"testdata/custom-domain.onnx":         {"MG3002"},
	"testdata/subgraph-custom-op.onnx":    {"MG3002"},
	"testdata/custom-op-flood.onnx":       {"MG3002"},
	"testdata/contrib-pyop.onnx":          {"MG3003"},
	"testdata/external-traversal.onnx":    {"MG3004"},
	"testdata/external-absolute.onnx":     {"MG3004"},
	"testdata/external-device.onnx":       {"MG3004"},
	"testdata/external-windows.onnx":      {"MG3004"},
	"testdata/external-bad-length.onnx":   {"MG3005"},
	"testdata/tensor-size-lie.onnx":       {"MG3005"},
	"testdata/tensor-typed-mismatch.onnx": {"MG3005"},
	"testdata/docstring-code.onnx":        {"MG3006"},
	"testdata/metadata-shell.onnx":        {"MG3006", "MG3007"},
	"testdata/metadata-url.onnx":          {"MG3007"},
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	return scannertest.ReadFixture(t, path, "/usr/bin/python3 testdata/gen/onnx_fixtures.py")
}

func scan(t testing.TB, in *scanner.Input) []scanner.Finding {
	t.Helper()
	s := onnx.New()
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

func TestFixtures(t *testing.T) {
	for path, rules := range want {
		t.Run(filepath.Base(path), func(t *testing.T) {
			in := scannertest.Input(t, path, readFixture(t, path))
			fs := scan(t, in)
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
	scannertest.CheckFindings(t, in, fs, "MG30")
}

// TestEveryFixtureListed makes sure a new fixture comes with expectations.
func TestEveryFixtureListed(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.onnx")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if _, ok := want[filepath.ToSlash(p)]; !ok {
			t.Errorf("%s has no entry in want", p)
		}
	}
}

// findingsOf scans one fixture and returns its findings.
func findingsOf(t *testing.T, path string) []scanner.Finding {
	t.Helper()
	return scan(t, scannertest.Input(t, path, readFixture(t, path)))
}

// TestMessages pins what the reader is told for a few fixtures.
func TestMessages(t *testing.T) {
	cases := []struct {
		path, rule string
		parts      []string
	}{
		{"testdata/custom-domain.onnx", "MG3002", []string{`"com.evil.custom::EvilOp"`, `node "custom"`, "native custom-operator library"}},
		{"testdata/subgraph-custom-op.onnx", "MG3002", []string{`"com.evil.custom::Backdoor"`, `attribute "body" of node "loop"`}},
		{"testdata/contrib-pyop.onnx", "MG3003", []string{`"ai.onnx.contrib::PyOp"`, "Python function"}},
		{"testdata/external-traversal.onnx", "MG3004", []string{`"../../etc/passwd"`, `".."`, `initializer "W1"`}},
		{"testdata/external-device.onnx", "MG3004", []string{`"/dev/zero"`, "device"}},
		{"testdata/external-absolute.onnx", "MG3004", []string{`"/etc/shadow"`, "absolute"}},
		{"testdata/external-bad-length.onnx", "MG3005", []string{"128 bytes", "length is 12 bytes"}},
		{"testdata/tensor-size-lie.onnx", "MG3005", []string{`"huge"`, "[100000, 1000]", "400000000 bytes", "holds 16 bytes", "whole file"}},
		{"testdata/tensor-typed-mismatch.onnx", "MG3005", []string{"float_data", "holds 3"}},
		{"testdata/metadata-shell.onnx", "MG3006", []string{`"install"`, "download piped to a shell"}},
		{"testdata/metadata-url.onnx", "MG3007", []string{`"https://models.example.org/mlp?…"`}},
		{"testdata/docstring-code.onnx", "MG3006", []string{"doc_string", "os command call"}},
		{"testdata/truncated.onnx", "MG3001", []string{"offset"}},
		{"testdata/deep-nesting.onnx", "MG3001", []string{"deeper than 100"}},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			fs := findingsOf(t, c.path)
			for _, f := range fs {
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

func TestURLRedacted(t *testing.T) {
	for _, f := range findingsOf(t, "testdata/metadata-url.onnx") {
		if strings.Contains(f.Message+f.Evidence, "secret") {
			t.Errorf("URL query leaked: %s / %s", f.Message, f.Evidence)
		}
	}
}

func TestFindingsCapped(t *testing.T) {
	fs := findingsOf(t, "testdata/custom-op-flood.onnx")
	if len(fs) == 0 || len(fs) >= 40 {
		t.Errorf("%d findings for 40 custom operators; want some, capped", len(fs))
	}
}

func TestAggregatesNodesPerDomain(t *testing.T) {
	m := &onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: &onnxpb.GraphProto{}}
	for _, op := range []string{"X", "X", "X", "X", "X", "Y"} {
		m.Graph.Node = append(m.Graph.Node, &onnxpb.NodeProto{OpType: proto.String(op), Domain: proto.String("com.example")})
	}
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	fs := scan(t, scannertest.Input(t, "agg.onnx", data))
	if len(fs) != 1 {
		t.Fatalf("findings = %+v, want one for the domain", fs)
	}
	for _, part := range []string{"6 nodes", `"com.example::X", "com.example::Y"`, `an unnamed "X" node`} {
		if !strings.Contains(fs[0].Message, part) {
			t.Errorf("message %q lacks %q", fs[0].Message, part)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for path := range want {
		data := readFixture(t, path)
		a, errA := onnx.New().Scan(context.Background(), scannertest.Input(t, path, data))
		b, errB := onnx.New().Scan(context.Background(), scannertest.Input(t, path, data))
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
	in := scannertest.Input(t, "x.onnx", readFixture(t, "testdata/benign-mlp.onnx"))
	in.R = failingReader{}
	if _, err := onnx.New().Scan(context.Background(), in); !errors.Is(err, errDisk) {
		t.Errorf("Scan error = %v, want %v", err, errDisk)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := scannertest.Input(t, "x.onnx", readFixture(t, "testdata/benign-mlp.onnx"))
	if _, err := onnx.New().Scan(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan error = %v, want %v", err, context.Canceled)
	}
}

func TestAccepts(t *testing.T) {
	s := onnx.New()
	cases := []struct {
		sniff format.Sniff
		want  bool
	}{
		{format.Sniff{Format: format.ONNX, Claimed: format.ONNX}, true},
		{format.Sniff{Format: format.Unknown, Claimed: format.ONNX}, true},
		{format.Sniff{Format: format.Text, Claimed: format.ONNX}, true},
		{format.Sniff{Format: format.Pickle, Claimed: format.ONNX}, false},
		{format.Sniff{Format: format.Zip, Claimed: format.ONNX}, false},
		{format.Sniff{Format: format.Unknown}, false},
		{format.Sniff{Format: format.TFSavedModel, Claimed: format.TFSavedModel}, false},
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
		in := scannertest.Input(t, "fuzz.onnx", data)
		if !onnx.New().Accepts(&in.File) {
			return
		}
		fs, err := onnx.New().Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("Scan over bytes.Reader: %v", err)
		}
		checkFindings(t, in, fs)
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r    *bytes.Reader
	read int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.read += int64(n)
	return n, err
}

// bigModel is a valid model with one initializer of n bytes of raw_data.
func bigModel(tb testing.TB, n int) []byte {
	tb.Helper()
	m := &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}},
		Graph: &onnxpb.GraphProto{
			Name: proto.String("big"),
			Node: []*onnxpb.NodeProto{{OpType: proto.String("MatMul"), Input: []string{"x", "W"}, Output: []string{"y"}}},
			Initializer: []*onnxpb.TensorProto{{
				Name: proto.String("W"), DataType: proto.Int32(1), Dims: []int64{int64(n / 4)}, RawData: make([]byte, n),
			}},
		},
	}
	data, err := proto.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestLargeInitializerNotRead(t *testing.T) {
	const n = 8 << 20
	data := bigModel(t, n)
	in := scannertest.Input(t, "big.onnx", data)
	cr := &countingReader{r: bytes.NewReader(data)}
	in.R = cr
	if fs := scan(t, in); len(fs) != 0 {
		t.Errorf("findings on a valid model: %+v", fs)
	}
	if cr.read > 256<<10 {
		t.Errorf("read %d bytes of a %d-byte model; raw_data should be skipped", cr.read, len(data))
	}
}

// BenchmarkLargeInitializer scans a model holding 100 MB of raw_data; the
// reported throughput is over the whole file, of which only the structure
// around the payload is read.
func BenchmarkLargeInitializer(b *testing.B) {
	data := bigModel(b, 100<<20)
	in := scannertest.Input(b, "big.onnx", data)
	s := onnx.New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan(b *testing.B) {
	const path = "testdata/benign-control-flow.onnx"
	data := readFixture(b, path)
	in := scannertest.Input(b, path, data)
	s := onnx.New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkManyNodes scans a graph of 100,000 nodes, the size of a large
// transformer export, to keep the per-node cost in view.
func BenchmarkManyNodes(b *testing.B) {
	g := &onnxpb.GraphProto{Name: proto.String("wide")}
	for i := range 100_000 {
		g.Node = append(g.Node, &onnxpb.NodeProto{
			Name: proto.String("layer/op_" + strconv.Itoa(i)), OpType: proto.String("Add"),
			Input: []string{"a_" + strconv.Itoa(i), "b"}, Output: []string{"a_" + strconv.Itoa(i+1)},
		})
	}
	data, err := proto.Marshal(&onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: g})
	if err != nil {
		b.Fatal(err)
	}
	in := scannertest.Input(b, "wide.onnx", data)
	s := onnx.New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
