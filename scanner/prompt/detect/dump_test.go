package detect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// TestDump prints hits for prompts-dev rows of the tune half only (the
// holdout half stays unseen); a development aid, run with
// DETECT_DUMP=benign|missed.
func TestDump(t *testing.T) {
	mode := os.Getenv("DETECT_DUMP")
	if mode == "" {
		t.Skip("set DETECT_DUMP to run")
	}
	if _, err := os.Stat(devData); err != nil {
		t.Skip("no data")
	}
	switch mode {
	case "benign":
		for _, r := range loadJSONL(t, filepath.Join(devData, "benign.jsonl")) {
			if splitOf(r.ID) != halfTune {
				continue
			}
			for _, h := range Run(promptcore.Segment{Text: r.Text, Role: promptcore.RoleTestInput}) {
				if sevRank[Severities[h.Rule]] >= 2 {
					t.Logf("%s %s %q | %s", r.ID, h.Rule, h.Evidence, h.Message[:40])
				}
			}
		}
	case "missed":
		for _, r := range loadJSONL(t, filepath.Join(devData, "attacks.jsonl")) {
			if splitOf(r.ID) == halfTune && len(flagged(r.Text, promptcore.RoleTemplate)) == 0 {
				t.Logf("%s %q", r.ID, truncate(r.Text, 400))
			}
		}
	}
}
