package lfs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/lfs"
)

func scanFile(t *testing.T, name string) (*scanner.File, []scanner.Finding) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(data)
	sniff, err := format.Detect(r, int64(len(data)), name)
	if err != nil {
		t.Fatal(err)
	}
	in := &scanner.Input{File: scanner.File{Path: name, Size: int64(len(data)), Sniff: sniff}, R: r}
	s := lfs.New()
	if !s.Accepts(&in.File) {
		return &in.File, nil
	}
	fs, err := s.Scan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return &in.File, fs
}

func TestPointers(t *testing.T) {
	tests := []struct {
		file      string
		wantInMsg string
		malformed bool
	}{
		{"pointer-v1.bin", "(the real file is 8 B)", false},
		{"pointer-legacy.bin", "(the real file is 7 B)", false},
		{"pointer-ext.bin", "not checked out", false},
		{"pointer-bad-oid.bin", "oid is not sha256", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, fs := scanFile(t, tt.file)
			if len(fs) != 1 || fs[0].RuleID != lfs.RulePointer {
				t.Fatalf("findings = %+v", fs)
			}
			if !strings.Contains(fs[0].Message, tt.wantInMsg) || strings.Contains(fs[0].Message, "malformed") != tt.malformed {
				t.Errorf("message = %q", fs[0].Message)
			}
			if !tt.malformed && !strings.HasPrefix(fs[0].Evidence, "oid=sha256:") {
				t.Errorf("evidence = %q", fs[0].Evidence)
			}
		})
	}
}

func TestNotAPointer(t *testing.T) {
	r := strings.NewReader("version https://example.com/spec\n")
	sniff, _ := format.Detect(r, r.Size(), "x.bin")
	if lfs.New().Accepts(&scanner.File{Sniff: sniff}) {
		t.Fatal("accepted a file that is not an LFS pointer")
	}
}

func TestParse(t *testing.T) {
	p, problems := lfs.Parse("version https://git-lfs.github.com/spec/v1\noid sha256:" + strings.Repeat("a", 64) + "\nsize 42\n")
	if len(problems) != 0 || p.Size != 42 || p.OID != "sha256:"+strings.Repeat("a", 64) {
		t.Fatalf("Parse = %+v, %v", p, problems)
	}
	_, problems = lfs.Parse("version x\nsize -1\n")
	if len(problems) != 2 {
		t.Fatalf("problems = %v", problems)
	}
}

func FuzzParse(f *testing.F) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join("testdata", e.Name())); err == nil {
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, _ := lfs.Parse(text)
		if p.Size < -1 {
			t.Fatalf("size %d", p.Size)
		}
	})
}
