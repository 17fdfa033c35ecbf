package hf_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/hf"
)

// fuzzNames are the file names the scanner knows, one per check.
var fuzzNames = []string{
	"config.json", "tokenizer_config.json", "chat_template.json", "chat_template.jinja",
	"model.safetensors.index.json", "MLmodel", "modeling_x.py",
}

// FuzzScan feeds arbitrary text under every known file name: no panic,
// only catalogued rules, no severity set, positions inside the file.
func FuzzScan(f *testing.F) {
	filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "fuzz") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		for i, n := range fuzzNames {
			if n == path.Base(p) || strings.HasSuffix(n, ".py") && strings.HasSuffix(p, ".py") ||
				strings.HasSuffix(n, ".index.json") && strings.HasSuffix(p, ".index.json") {
				f.Add(data, uint8(i))
			}
		}
		return nil
	})
	f.Add([]byte(`{"chat_template": "\ud83d\ude00 {{ x.__class__ }}", "auto_map": {"A": ["--", null, "a--b.c"]}}`), uint8(0))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`), uint8(4))
	f.Add([]byte("a: &a [*a, *a]\nflavors: *a\n"), uint8(5))
	f.Add([]byte("'''unterminated\nexec(\"\\\nos.system(1)"), uint8(6))
	s := hf.New()
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		name := "m/" + fuzzNames[int(which)%len(fuzzNames)]
		in := &scanner.Input{File: scanner.File{Path: name, Size: int64(len(data)), Sniff: format.Sniff{Format: format.Text, Head: data[:min(len(data), format.HeadSize)]}}, R: bytes.NewReader(data)}
		fs, err := s.Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, fi := range fs {
			if _, ok := scanner.LookupRule(fi.RuleID); !ok {
				t.Fatalf("unknown rule %s", fi.RuleID)
			}
			if fi.Severity != scanner.SeverityUnset {
				t.Fatalf("%s: severity set", fi.RuleID)
			}
			if fi.Location.StartLine > lines || fi.Location.StartLine < 0 || fi.Evidence == "" || len(fi.Evidence) > 200 {
				t.Fatalf("%s: bad finding %+v", fi.RuleID, fi)
			}
		}
	})
}
