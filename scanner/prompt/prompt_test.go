package prompt_test

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"
	"testing"

	"github.com/modelgate/modelgate/scanner/prompt"
	"github.com/modelgate/modelgate/scanner/scannertest"
)

// TestFollowRefs scans a promptfoo config whose prompts and tests are
// file:// references: the referenced files are scanned once each and their
// findings located in them; the escaping and the missing reference are
// notes at the reference; the Python prompt function is not followed.
func TestFollowRefs(t *testing.T) {
	const cfg = "repo/evals/promptfooconfig.yaml"
	data, err := os.ReadFile(path.Join("testdata", cfg))
	if err != nil {
		t.Fatal(err)
	}
	s := prompt.NewWithRefs(prompt.RefOptions{FS: os.DirFS("testdata"), Root: "repo"})
	in := scannertest.Input(t, cfg, data)
	fs, err := s.Scan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		l := f.Location
		got = append(got, fmt.Sprintf("%s %s:%d:%d-%d:%d", f.RuleID, l.Path, l.StartLine, l.StartColumn, l.EndLine, l.EndColumn))
	}
	want := []string{
		"MG5004 repo/evals/prompts/support.txt:2:14-2:46", // ignore all previous instructions
		"MG5004 repo/evals/prompts/support.txt:2:51-2:76", // reveal your system prompt
		"MG5016 repo/evals/cases.csv:2:6-2:48",            // curl … | sh, a test input
		"MG5022 " + cfg + ":4:5-0:0",                      // ../../secret-prompt.txt
		"MG5023 " + cfg + ":5:5-0:0",                      // prompts/missing.txt
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}

	// Scanning the config again does not rescan the referenced files.
	again, _ := s.Scan(context.Background(), scannertest.Input(t, cfg, data))
	if rules := scannertest.RuleSet(again); !slices.Equal(rules, []string{"MG5022", "MG5023"}) {
		t.Errorf("second scan: rules %v, want only the notes", rules)
	}

	// Without RefOptions references are recorded, not followed.
	plain, _ := prompt.New().Scan(context.Background(), scannertest.Input(t, cfg, data))
	if len(plain) != 0 {
		t.Errorf("prompt.New() followed references: %v", scannertest.RuleSet(plain))
	}
}
