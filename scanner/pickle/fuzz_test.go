package pickle_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/pickle"
)

// addSeeds adds every fixture file below dir (up to 64 KiB each).
func addSeeds(f *testing.F, dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := os.ReadFile(p); err == nil && len(data) <= 64<<10 {
				f.Add(data)
			}
		}
		return nil
	})
}

// FuzzScan runs the walker on arbitrary bytes: it must never panic, hang
// or name a rule outside the catalogue.
func FuzzScan(f *testing.F) {
	addSeeds(f, "../../testdata/pickle")
	addSeeds(f, "../format/testdata")
	s := pickle.NewWithLimits(pickle.Limits{MaxOps: 1 << 20, MaxStack: 1 << 16, MaxMemo: 1 << 16, MaxPickles: 64, MaxNesting: 4, MaxInline: 1 << 16})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		in := &scanner.Input{File: scanner.File{Path: "f.pkl", Size: int64(len(data)), Sniff: format.Sniff{Format: format.Pickle}}, R: r}
		fs, _ := s.Scan(context.Background(), in)
		for _, fi := range fs {
			if _, ok := scanner.LookupRule(fi.RuleID); !ok {
				t.Fatalf("unknown rule %s", fi.RuleID)
			}
		}
	})
}

// TestLongTextArguments: text arguments longer than the read buffer end the
// walk with a finding, never a panic.
func TestLongTextArguments(t *testing.T) {
	s := pickle.New()
	for _, data := range [][]byte{
		append([]byte("c"), bytes.Repeat([]byte("a"), 70<<10)...),
		append(append([]byte("c"), bytes.Repeat([]byte("a"), 65535)...), '\n'),
		append([]byte("I"), bytes.Repeat([]byte("1"), 200<<10)...),
		[]byte("cos\nsystem\n"),
	} {
		in := &scanner.Input{File: scanner.File{Path: "x.pkl", Size: int64(len(data)), Sniff: format.Sniff{Format: format.Pickle}}, R: bytes.NewReader(data)}
		fs, err := s.Scan(context.Background(), in)
		if err != nil || len(fs) == 0 {
			t.Errorf("%d-byte input: findings %v, err %v", len(data), fs, err)
		}
	}
}
