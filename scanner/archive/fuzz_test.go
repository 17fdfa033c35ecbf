package archive_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/archive"
	"github.com/modelgate/modelgate/scanner/format"
)

// FuzzScan feeds arbitrary bytes to the zip, tar and 7z readers (7z when
// the bytes start with its signature), with members routed nowhere: no
// panic, no unbounded work, only catalogued rules.
func FuzzScan(f *testing.F) {
	filepath.WalkDir("../../testdata/pickle", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := os.ReadFile(p); err == nil && len(data) <= 64<<10 && (bytes.HasPrefix(data, []byte("PK")) || bytes.Contains(data, []byte("ustar"))) {
				f.Add(data, false)
			}
		}
		return nil
	})
	// The archive fixtures (zip, tar, 7z, hostile headers included).
	for _, glob := range []string{"testdata/*.zip", "testdata/*.tar", "testdata/*.7z"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			// Bombs decode 16 MiB per run: covered by TestFixtures.
			if data, err := os.ReadFile(p); err == nil && len(data) <= 64<<10 && !strings.Contains(p, "bomb") {
				f.Add(data, strings.HasSuffix(p, ".tar"))
			}
		}
	}
	s := archive.New()
	f.Fuzz(func(t *testing.T, data []byte, tar bool) {
		sn := format.Sniff{Format: format.Zip}
		switch {
		case bytes.HasPrefix(data, []byte("7z\xbc\xaf\x27\x1c")):
			sn.Format = format.SevenZip
		case tar:
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
