package list_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/scanner/list"
)

// TestEveryScannerPackageIsListed keeps the one list complete: every
// package directory under scanner/ that holds a scanner must be in All.
func TestEveryScannerPackageIsListed(t *testing.T) {
	names := map[string]bool{}
	for _, s := range list.All() {
		if names[s.Name()] {
			t.Errorf("scanner name %s is not unique", s.Name())
		}
		names[s.Name()] = true
	}
	notScanners := map[string]bool{"format": true, "list": true, "testdata": true, "scannertest": true, "rules": true}
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || notScanners[e.Name()] {
			continue
		}
		if _, err := os.Stat(filepath.Join("..", e.Name(), e.Name()+".go")); err != nil {
			continue
		}
		if !names["embedded/"+e.Name()] {
			t.Errorf("scanner/%s is not registered in scanner/list", e.Name())
		}
	}
}
