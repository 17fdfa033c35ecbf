package numpy_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/numpy"
)

func FuzzScan(f *testing.F) {
	for _, glob := range []string{"../../testdata/pickle/*/*.npy", "../format/testdata/*.npy"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &scanner.Input{File: scanner.File{Path: "a.npy", Size: int64(len(data)), Sniff: format.Sniff{Format: format.NumPy}}, R: bytes.NewReader(data)}
		fs, _ := numpy.New().Scan(context.Background(), in)
		for _, fi := range fs {
			if _, ok := scanner.LookupRule(fi.RuleID); !ok {
				t.Fatalf("unknown rule %s", fi.RuleID)
			}
		}
	})
}
