package keras_test

import (
	"context"
	"github.com/modelgate/modelgate/scanner/scannertest"
	"io"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/keras"
)

// largeSize is the size of the synthetic large HDF5 files: a fixture
// followed by zeros (a big weights dataset, as far as the scanner cares).
const largeSize = 200 << 20

// paddedFile is a fixture followed by zeros up to size, served without
// allocating them, counting the bytes read.
type paddedFile struct {
	head []byte
	size int64
	read atomic.Int64
}

func (v *paddedFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= v.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), v.size-off)
	clear(p[:n])
	if off < int64(len(v.head)) {
		copy(p[:n], v.head[off:])
	}
	v.read.Add(n)
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

func largeInput(t testing.TB, fixture string) (*scanner.Input, *paddedFile) {
	t.Helper()
	v := &paddedFile{head: readFixture(t, fixture), size: largeSize}
	sniff, err := format.Detect(v, v.size, "big.h5")
	if err != nil || sniff.Format != format.HDF5 {
		t.Fatalf("Detect: %v, %v", sniff.Format, err)
	}
	v.read.Store(0)
	return &scanner.Input{File: scanner.File{Path: "big.h5", Size: v.size, Sniff: sniff}, R: v}, v
}

// TestLargeH5ReadsBounded: on a 200 MB file the scanner reads the root
// object header and the config (structural path), or at most the search
// windows plus the config (fallback path), never the weights.
func TestLargeH5ReadsBounded(t *testing.T) {
	cases := []struct {
		fixture string
		rules   []string
		maxRead int64
	}{
		{"testdata/sequential.h5", nil, 64 << 10},
		{"testdata/lambda.h5", []string{"MG3101"}, 64 << 10},
		{"testdata/weights-only.h5", nil, 64 << 10},
		// Dense storage: the first 64 MiB and the last 8 MiB are searched.
		{"testdata/dense-storage-lambda.h5", []string{"MG3101"}, keras.DefaultLimits.SearchHead + keras.DefaultLimits.SearchTail + 2<<20},
	}
	for _, c := range cases {
		in, v := largeInput(t, c.fixture)
		fs, err := keras.New().Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("%s: %v", c.fixture, err)
		}
		if got := scannertest.RuleSet(fs); !slices.Equal(got, c.rules) {
			t.Errorf("%s: rules %v, want %v", c.fixture, got, c.rules)
		}
		if n := v.read.Load(); n > c.maxRead {
			t.Errorf("%s: read %d bytes of %d, want at most %d", c.fixture, n, v.size, c.maxRead)
		} else {
			t.Logf("%s padded to %d bytes: read %d", c.fixture, v.size, n)
		}
	}
}

// TestUnsearchedDenseStorage: when the root's attributes are in dense
// storage and nothing is found in the searched windows of a file larger
// than them, the scanner says the config could not be extracted rather
// than calling the file clean.
func TestUnsearchedDenseStorage(t *testing.T) {
	head := readFixture(t, "testdata/dense-attrs-sequential.h5")
	// Hide the attribute name, as if the heap lay beyond the windows.
	head = slices.Clone(head)
	for i := 0; i+len("model_config") <= len(head); i++ {
		if string(head[i:i+len("model_config")]) == "model_config" {
			copy(head[i:], "xxxxx_config")
		}
	}
	v := &paddedFile{head: head, size: largeSize}
	sniff, _ := format.Detect(v, v.size, "big.h5")
	in := &scanner.Input{File: scanner.File{Path: "big.h5", Size: v.size, Sniff: sniff}, R: v}
	// Search only the start, so the padded file is larger than the windows.
	s := keras.NewWithLimits(keras.Limits{SearchHead: 1 << 20, SearchTail: 1 << 20})
	fs, err := s.Scan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	// The JSON itself is still found by the document search...
	if got := scannertest.RuleSet(fs); got != nil {
		t.Errorf("rules %v, want none (the document search finds the config)", got)
	}
	// ...unless it is not there either.
	for i := 0; i+len(`"class_name"`) <= len(head); i++ {
		if string(head[i:i+len(`"class_name"`)]) == `"class_name"` {
			copy(head[i:], `"klass_name"`)
		}
	}
	fs, err = s.Scan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := scannertest.RuleSet(fs); !slices.Equal(got, []string{"MG3112"}) {
		t.Errorf("rules %v, want [MG3112]", got)
	}
}

// BenchmarkScanLargeH5 scans a 200 MB TF-Keras H5 file through the root
// object header; bytes-read/op shows that only the header and config are
// read.
func BenchmarkScanLargeH5(b *testing.B) {
	benchLarge(b, "testdata/lambda.h5")
}

// BenchmarkScanLargeH5Dense scans a 200 MB H5 file whose root attributes
// are in dense storage, through the bounded fallback search.
func BenchmarkScanLargeH5Dense(b *testing.B) {
	benchLarge(b, "testdata/dense-storage-lambda.h5")
}

func benchLarge(b *testing.B, fixture string) {
	in, v := largeInput(b, fixture)
	s := keras.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(v.read.Load())/float64(b.N), "bytes-read/op")
}

// BenchmarkScanKeras scans a Keras 3 archive.
func BenchmarkScanKeras(b *testing.B) {
	const path = "testdata/functional.keras"
	in := scannertest.Input(b, path, readFixture(b, path))
	s := keras.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
