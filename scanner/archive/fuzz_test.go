package archive_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/archive"
	"github.com/modelgate/modelgate/scanner/format"
)

// FuzzScan feeds arbitrary bytes to the zip and tar readers, with members
// routed nowhere: no panic, no unbounded work, only catalogued rules.
func FuzzScan(f *testing.F) {
	filepath.WalkDir("../../testdata/pickle", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := os.ReadFile(p); err == nil && len(data) <= 64<<10 && (bytes.HasPrefix(data, []byte("PK")) || bytes.Contains(data, []byte("ustar"))) {
				f.Add(data, false)
			}
		}
		return nil
	})
	s := archive.New()
	f.Fuzz(func(t *testing.T, data []byte, tar bool) {
		sn := format.Sniff{Format: format.Zip}
		if tar {
			sn.Format = format.Tar
		}
		in := &scanner.Input{File: scanner.File{Path: "a.zip", Size: int64(len(data)), Sniff: sn}, R: bytes.NewReader(data)}
		fs, _ := s.Scan(context.Background(), in)
		for _, fi := range fs {
			if _, ok := scanner.LookupRule(fi.RuleID); !ok {
				t.Fatalf("unknown rule %s", fi.RuleID)
			}
		}
	})
}
