package compress_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/compress"
	"github.com/modelgate/modelgate/scanner/format"
)

// FuzzScan decodes arbitrary bytes with every supported decoder (members
// are routed nowhere): no panic, bounded output, catalogued rules only.
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/pickle/malicious/*")
	more, _ := filepath.Glob("../format/testdata/model.*")
	for _, p := range append(files, more...) {
		if data, err := os.ReadFile(p); err == nil && len(data) <= 64<<10 {
			s, _ := format.Detect(bytes.NewReader(data), int64(len(data)), p)
			f.Add(data, string(s.Format))
		}
	}
	s := compress.New()
	f.Fuzz(func(t *testing.T, data []byte, kind string) {
		file := scanner.File{Path: "x.gz", Size: int64(len(data)), Sniff: format.Sniff{Format: format.Format(kind)}}
		if !s.Accepts(&file) {
			return
		}
		fs, _ := s.Scan(context.Background(), &scanner.Input{File: file, R: bytes.NewReader(data)})
		for _, fi := range fs {
			if _, ok := scanner.LookupRule(fi.RuleID); !ok {
				t.Fatalf("unknown rule %s", fi.RuleID)
			}
		}
	})
}
