package keras_test

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
	"github.com/modelgate/modelgate/scanner/keras"
)

// want lists, for every fixture (regenerate them with
// `/usr/bin/python3 testdata/gen/keras_fixtures.py` from the repository
// root), the exact set of rules it yields.
var want = map[string][]string{
	// Keras 3 archives.
	"testdata/sequential.keras":            nil,
	"testdata/functional.keras":            nil,
	"testdata/functional-config-first.zip": nil,
	"testdata/keras-hub.keras":             nil,
	"testdata/lambda.keras":                {"MG3101"},
	"testdata/lambda-activation.keras":     {"MG3101"},
	"testdata/lambda-nan.keras":            {"MG3101"},
	"testdata/lambda-utf16.keras":          {"MG3101"},
	"testdata/lambda-escaped.keras":        {"MG3101"},
	"testdata/module-os.keras":             {"MG3102"},
	"testdata/module-subprocess.keras":     {"MG3102"},
	"testdata/module-external.keras":       {"MG3103"},
	"testdata/custom-object.keras":         {"MG3104"},
	"testdata/tfoplambda.keras":            {"MG3105"},
	"testdata/torch-module-wrapper.keras":  {"MG3107"},
	"testdata/enable-unsafe.keras":         {"MG3108"},
	"testdata/get-file.keras":              {"MG3109"},
	"testdata/function-external.keras":     {"MG3110"},
	"testdata/malformed-config.keras":      {"MG3111"},
	"testdata/missing-config.keras":        {"MG3111"},
	"testdata/not-object-config.keras":     {"MG3111"},
	// TF-Keras 2 HDF5.
	"testdata/sequential.h5":             nil,
	"testdata/sequential-fixed.h5":       nil,
	"testdata/weights-only.h5":           nil,
	"testdata/dense-attrs-sequential.h5": nil,
	"testdata/lambda.h5":                 {"MG3101"},
	"testdata/lambda-output-shape.h5":    {"MG3101"},
	"testdata/userblock-lambda.h5":       {"MG3101"},
	"testdata/keras3-lambda.h5":          {"MG3101"},
	"testdata/large-config-lambda.h5":    {"MG3101"},
	"testdata/dense-storage-lambda.h5":   {"MG3101"},
	"testdata/dense-attrs-lambda.h5":     {"MG3101"},
	"testdata/custom-object.h5":          {"MG3104"},
	"testdata/tfoplambda-io.h5":          {"MG3106"},
	"testdata/lambda-function.h5":        {"MG3110"},
	"testdata/invalid-json.h5":           {"MG3111"},
	"testdata/truncated-config.h5":       {"MG3112"},
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	return scannertest.ReadFixture(t, path, "/usr/bin/python3 testdata/gen/keras_fixtures.py")
}

func scan(t testing.TB, path string) (*scanner.Input, []scanner.Finding) {
	t.Helper()
	in := scannertest.Input(t, path, readFixture(t, path))
	s := keras.New()
	if !s.Accepts(&in.File) {
		t.Fatalf("not accepted: sniffed as %q, claimed %q", in.Sniff.Format, in.Sniff.Claimed)
	}
	fs, err := s.Scan(context.Background(), in)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return in, fs
}

func TestFixtures(t *testing.T) {
	for path, rules := range want {
		t.Run(filepath.Base(path), func(t *testing.T) {
			in, fs := scan(t, path)
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
	scannertest.CheckFindings(t, in, fs, "MG31")
}

// TestMessages pins what the findings say: the layer, the module, the
// symbol, so a reader knows where to look.
func TestMessages(t *testing.T) {
	cases := []struct {
		path string
		n    int      // findings expected
		has  []string // substrings of the messages, in any finding
	}{
		{"testdata/lambda.keras", 1, []string{`__lambda__ function in Lambda "lambda"`, "config.json"}},
		{"testdata/lambda-activation.keras", 1, []string{`in Dense "dense"`}},
		{"testdata/lambda-output-shape.h5", 2, []string{`Lambda layer "lambda"`, "as its function", "as its output_shape", "model_config attribute"}},
		{"testdata/module-os.keras", 1, []string{`"os.system"`, `module "os"`, `in Dense "dense"`}},
		{"testdata/module-subprocess.keras", 1, []string{`object "popen" is "subprocess.Popen"`}},
		{"testdata/module-external.keras", 1, []string{`"mypkg.layers.FancyDense"`}},
		{"testdata/function-external.keras", 1, []string{`"mypkg.activations.swish2"`}},
		{"testdata/custom-object.h5", 1, []string{`"MyLayers>ScaleLayer"`, `"scale_layer"`}},
		{"testdata/tfoplambda-io.h5", 1, []string{`"tf.io.write_file"`}},
		{"testdata/tfoplambda.keras", 1, []string{`"tf.math.multiply"`}},
		{"testdata/lambda-function.h5", 1, []string{`"mypkg.ops.scaled_tanh"`}},
		{"testdata/truncated-config.h5", 1, []string{"could not be extracted", "model_config"}},
		{"testdata/dense-storage-lambda.h5", 1, []string{`Lambda layer "lambda"`}},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			_, fs := scan(t, c.path)
			var all []string
			for _, f := range fs {
				all = append(all, f.Message)
			}
			text := strings.Join(all, "\n")
			if len(fs) != c.n {
				t.Errorf("%d findings, want %d:\n%s", len(fs), c.n, text)
			}
			for _, s := range c.has {
				if !strings.Contains(text, s) {
					t.Errorf("no message mentions %q:\n%s", s, text)
				}
			}
		})
	}
}

// TestOffsetsPointAtObjects checks that findings in stored configs point
// at the offending object in the file.
func TestOffsetsPointAtObjects(t *testing.T) {
	for _, c := range []struct{ path, at string }{
		{"testdata/lambda.h5", `{"class_name": "Lambda"`},
		{"testdata/lambda.keras", `{"class_name": "__lambda__"`},
		{"testdata/module-os.keras", `{"module": "os"`},
		{"testdata/dense-storage-lambda.h5", `{"class_name": "Lambda"`},
	} {
		in, fs := scan(t, c.path)
		data := readFixture(t, c.path)
		if len(fs) == 0 || fs[0].Location.ByteOffset == nil {
			t.Fatalf("%s: no finding with an offset", c.path)
		}
		off := *fs[0].Location.ByteOffset
		if off < 0 || off >= in.Size || !bytes.HasPrefix(data[off:], []byte(c.at)) {
			t.Errorf("%s: offset %d does not point at %s", c.path, off, c.at)
		}
	}
}

// TestEveryFixtureListed makes sure a new fixture comes with expectations.
func TestEveryFixtureListed(t *testing.T) {
	paths, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if _, ok := want[filepath.ToSlash(p)]; !ok {
			t.Errorf("%s has no entry in want", p)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for path := range want {
		data := readFixture(t, path)
		a, errA := keras.New().Scan(context.Background(), scannertest.Input(t, path, data))
		b, errB := keras.New().Scan(context.Background(), scannertest.Input(t, path, data))
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
	for _, path := range []string{"testdata/lambda.h5", "testdata/lambda.keras"} {
		in := scannertest.Input(t, path, readFixture(t, path))
		in.R = failingReader{}
		if _, err := keras.New().Scan(context.Background(), in); !errors.Is(err, errDisk) {
			t.Errorf("%s: Scan error = %v, want %v", path, err, errDisk)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := scannertest.Input(t, "x.keras", readFixture(t, "testdata/lambda.keras"))
	if _, err := keras.New().Scan(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan error = %v, want %v", err, context.Canceled)
	}
}

func TestAccepts(t *testing.T) {
	s := keras.New()
	zipHead := func(name string) []byte {
		h := make([]byte, 30+len(name))
		copy(h, "PK\x03\x04")
		h[26] = byte(len(name))
		copy(h[30:], name)
		return h
	}
	cases := []struct {
		path  string
		sniff format.Sniff
		want  bool
	}{
		{"m.h5", format.Sniff{Format: format.HDF5}, true},
		{"m.bin", format.Sniff{Format: format.HDF5}, true},
		{"m.keras", format.Sniff{Format: format.Zip, Head: zipHead("anything")}, true},
		{"m.zip", format.Sniff{Format: format.Zip, Head: zipHead("metadata.json")}, true},
		{"m.zip", format.Sniff{Format: format.Zip, Head: zipHead("config.json")}, true},
		{"m.zip", format.Sniff{Format: format.Zip, Head: zipHead("data.pkl")}, false},
		{"m.pt", format.Sniff{Format: format.Zip, Head: zipHead("archive/data.pkl")}, false},
		{"config.json", format.Sniff{Format: format.Text}, false},
		{"m.keras", format.Sniff{Format: format.Pickle, Also: []format.Format{format.Zip}}, true},
		{"m.keras", format.Sniff{Format: format.Pickle}, false},
	}
	for _, c := range cases {
		if got := s.Accepts(&scanner.File{Path: c.path, Sniff: c.sniff}); got != c.want {
			t.Errorf("Accepts(%s, %+v) = %v, want %v", c.path, c.sniff.Format, got, c.want)
		}
	}
	// A .keras member of another archive is recognised by its member name.
	f := &scanner.File{Path: "outer.zip", Member: "models/m.keras", Sniff: format.Sniff{Format: format.Zip, Head: zipHead("x")}}
	if !s.Accepts(f) {
		t.Error("a .keras member is not accepted")
	}
}

// TestOtherZipIgnored: a zip that starts with a config.json that is not a
// Keras config (a Hugging Face repository, say) yields nothing.
func TestOtherZipIgnored(t *testing.T) {
	var buf bytes.Buffer
	zw := newZip(&buf)
	zw.add("config.json", `{"architectures": ["BertModel"], "model_type": "bert", "module": "os"}`)
	zw.add("model.safetensors", "x")
	zw.close()
	in := scannertest.Input(t, "repo.zip", buf.Bytes())
	s := keras.New()
	if !s.Accepts(&in.File) {
		t.Fatal("not accepted")
	}
	fs, err := s.Scan(context.Background(), in)
	if err != nil || len(fs) != 0 {
		t.Errorf("Scan = %v, %v; want nothing", fs, err)
	}
	// The same under a .keras name is a broken Keras archive.
	in = scannertest.Input(t, "repo.keras", buf.Bytes())
	fs, _ = s.Scan(context.Background(), in)
	if got := scannertest.RuleSet(fs); !slices.Equal(got, []string{"MG3111"}) {
		t.Errorf("as .keras: rules %v, want [MG3111]", got)
	}
}

// TestFindingsCapped: a config with hundreds of Lambda layers yields a
// bounded number of findings.
func TestFindingsCapped(t *testing.T) {
	var layers []string
	for range 300 {
		layers = append(layers, `{"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l", "function": {"class_name": "__lambda__", "config": {"code": "4w=="}}}}`)
	}
	cfg := `{"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [` + strings.Join(layers, ",") + `]}}`
	var buf bytes.Buffer
	zw := newZip(&buf)
	zw.add("metadata.json", `{"keras_version": "3.6.0"}`)
	zw.add("config.json", cfg)
	zw.close()
	in := scannertest.Input(t, "many.keras", buf.Bytes())
	fs, err := keras.New().Scan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 || len(fs) > 25 {
		t.Errorf("%d findings for 300 Lambda layers; want some, capped", len(fs))
	}
	checkFindings(t, in, fs)
}

// TestDeepNesting: nesting past the limit is reported, not a crash.
func TestDeepNesting(t *testing.T) {
	cfg := `{"module": "keras", "class_name": "Sequential", "config": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	var buf bytes.Buffer
	zw := newZip(&buf)
	zw.add("config.json", cfg)
	zw.close()
	fs, err := keras.New().Scan(context.Background(), scannertest.Input(t, "deep.keras", buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got := scannertest.RuleSet(fs); !slices.Equal(got, []string{"MG3112"}) {
		t.Errorf("rules %v, want [MG3112]", got)
	}
}

// TestConfigSizeLimit: a config past MaxConfig is analysed up to the limit
// and says so.
func TestConfigSizeLimit(t *testing.T) {
	cfg := `{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"class_name": "__lambda__", "config": {"code": "4w=="}}], "pad": "` + strings.Repeat("x", 4096) + `"}}`
	var buf bytes.Buffer
	zw := newZip(&buf)
	zw.add("config.json", cfg)
	zw.close()
	s := keras.NewWithLimits(keras.Limits{MaxConfig: 1024})
	fs, err := s.Scan(context.Background(), scannertest.Input(t, "big.keras", buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got := scannertest.RuleSet(fs); !slices.Equal(got, []string{"MG3101", "MG3112"}) {
		t.Errorf("rules %v, want [MG3101 MG3112]", got)
	}
}

// TestBuiltinsFunctions: Keras writes built-in and unregistered functions
// as {"module": "builtins", "class_name": "function"} and resolves them
// from its own modules first; only Python builtins that evaluate code are
// reported.
func TestBuiltinsFunctions(t *testing.T) {
	for fn, rules := range map[string][]string{"mae": nil, "relu": nil, "custom_activation": nil, "eval": {"MG3102"}, "__import__": {"MG3102"}} {
		cfg := `{"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "activation": {"module": "builtins", "class_name": "function", "config": "` + fn + `", "registered_name": "function"}}}]}}`
		var buf bytes.Buffer
		zw := newZip(&buf)
		zw.add("config.json", cfg)
		zw.close()
		fs, err := keras.New().Scan(context.Background(), scannertest.Input(t, "m.keras", buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if got := scannertest.RuleSet(fs); !slices.Equal(got, rules) {
			t.Errorf("builtins.%s: rules %v, want %v", fn, got, rules)
		}
	}
}
