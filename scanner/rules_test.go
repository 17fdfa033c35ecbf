package scanner_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner"
)

func TestCatalogueLoads(t *testing.T) {
	rules := scanner.Rules()
	if len(rules) == 0 {
		t.Fatal("empty catalogue")
	}
	for i := 1; i < len(rules); i++ {
		if rules[i-1].ID >= rules[i].ID {
			t.Errorf("rules not sorted or duplicated at %s", rules[i].ID)
		}
	}
	for _, r := range rules {
		if !strings.Contains(r.HelpMarkdown(), "Remediation") || strings.Contains(r.HelpText(), "**") {
			t.Errorf("%s: help renders badly", r.ID)
		}
	}
}

// TestEveryRuleIDInCodeIsCatalogued finds each "MGnnnn" literal in the Go
// sources and checks the catalogue has it, so no finding can name a rule
// without text.
func TestEveryRuleIDInCodeIsCatalogued(t *testing.T) {
	literal := regexp.MustCompile(`"(MG\d{4})"`)
	root := ".."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			if _, ok := scanner.LookupRule(m[1]); !ok {
				t.Errorf("%s uses rule %s, which is not in scanner/rules/", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseSeverity(t *testing.T) {
	for _, s := range scanner.Severities {
		got, err := scanner.ParseSeverity(strings.ToUpper(s.String()))
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%s) = %v, %v", s, got, err)
		}
	}
	if _, err := scanner.ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity accepted an unknown name")
	}
}
