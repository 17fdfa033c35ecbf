package cli_test

import (
	"strings"
	"testing"
)

// TestPromptReferencesAreFollowed: a promptfoo config's file:// prompts are
// scanned and reported in the referenced file, once even when the file is
// also scanned on its own; references leaving the scan root are noted.
func TestPromptReferencesAreFollowed(t *testing.T) {
	repoRoot(t)
	r := run(t, nil, "scan", "scanner/prompt/testdata/repo/evals/promptfooconfig.yaml", "--no-color")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"scanner/prompt/testdata/repo/evals/prompts/support.txt:2:14  HIGH      MG5004",
		"referenced by scanner/prompt/testdata/repo/evals/promptfooconfig.yaml prompts[0]",
		"MG5023", // the missing file
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, nil, "scan", "scanner/prompt/testdata/repo", "--no-color")
	if n := strings.Count(r.stdout, "support.txt:2:14"); n != 1 {
		t.Errorf("the referenced prompt's finding is reported %d times, want once:\n%s", n, r.stdout)
	}
	if !strings.Contains(r.stdout, "MG5022") {
		t.Errorf("the reference outside the scanned directory is not reported:\n%s", r.stdout)
	}
}
