package extract_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/scanner/prompt/extract"
)

func TestDump(t *testing.T) {
	if os.Getenv("EXTRACT_DUMP") == "" {
		t.Skip()
	}
	root := "testdata/repo"
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		data, _ := os.ReadFile(p)
		r, err := extract.ExtractAll(filepath.ToSlash(rel), data)
		t.Logf("== %s err=%v refs=%+v", rel, err, r.Refs)
		for i, s := range r.Segments {
			t.Logf("  [%d] %s %q %q loc0=%+v locEnd=%+v", i, s.Role, s.Source, s.Text, s.Locate(0), s.Locate(len(s.Text)))
		}
		return nil
	})
}
