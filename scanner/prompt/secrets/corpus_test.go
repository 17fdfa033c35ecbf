package secrets

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
	"testing"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// TestDevCorpus runs Detect over the shared prompt development set (if
// present) and logs what it finds: prompts from awesome-chatgpt-prompts and
// in-the-wild jailbreaks carry no real credentials, so every hit is a
// candidate false alarm to review. It fails only on a gross regression.
func TestDevCorpus(t *testing.T) {
	files := []string{"../../../../shared/data/prompts-dev/benign.jsonl", "../../../../shared/data/prompts-dev/attacks.jsonl"}
	rows, hitsByRule := 0, map[string]int{}
	var samples []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Skip("shared prompt corpus not present")
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var r struct {
				ID   string `json:"id"`
				Text string `json:"text"`
			}
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			rows++
			for _, h := range Detect(promptcore.Segment{Text: r.Text, Role: promptcore.RoleSystem}) {
				hitsByRule[h.Rule]++
				samples = append(samples, r.ID+" "+h.Rule+" "+h.Evidence)
			}
		}
		fh.Close()
	}
	sort.Strings(samples)
	for _, s := range samples {
		t.Log(s)
	}
	t.Logf("%d rows, hits by rule %v", rows, hitsByRule)
	total := 0
	for _, n := range hitsByRule {
		total += n
	}
	if rows > 0 && total*100 > rows*2 {
		t.Errorf("%d hits in %d benign/attack rows (over 2%%)", total, rows)
	}
}
