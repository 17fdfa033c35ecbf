package detect

import (
	"bufio"
	"encoding/json"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// devData is the shared development set (absent outside the dev machine).
const devData = "../../../../shared/data/prompts-dev"

// Targets, enforced on the full development set for RoleTemplate: at
// least 80% of attacks flagged at medium or above, at most 2% of benign
// rows flagged, and no finding at all on the real chat templates.
//
// The set is also split deterministically by a hash of the row ID into a
// tune half and a holdout half (splitOf). Lexicon work looks only at the
// tune half's misses and false positives; the holdout figures in the test
// log show how much of the gain is general rather than memorised.
const (
	minRecall = 80.0
	maxFP     = 2.0
)

// Halves of the development set.
const (
	halfTune    = "tune"
	halfHoldout = "holdout"
)

// splitOf assigns a row to the tune or holdout half by the FNV-1a hash of
// its ID, so the split is stable across runs and machines.
func splitOf(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	if h.Sum32()%2 == 0 {
		return halfTune
	}
	return halfHoldout
}

type devRecord struct {
	ID, Text, Label, LabelNote string
}

func loadJSONL(t *testing.T, path string) []devRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []devRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r struct {
			ID        string `json:"id"`
			Text      string `json:"text"`
			Label     string `json:"label"`
			LabelNote string `json:"label_note"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, devRecord{r.ID, r.Text, r.Label, r.LabelNote})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var sevRank = map[string]int{"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

// detectorOf maps a rule ID back to its detector.
func detectorOf(rule string) string {
	for d, ids := range ruleTable {
		for _, id := range ids {
			if id == rule {
				return d
			}
		}
	}
	return "?"
}

// flagged returns the detectors that fired at medium or above.
func flagged(text string, role promptcore.Role) map[string]bool {
	seg := promptcore.Segment{Text: text, Role: role, Locate: promptcore.Shifted(text, promptcore.Position{Line: 1, Column: 1})}
	out := map[string]bool{}
	for _, h := range Run(seg) {
		if sevRank[Severities[h.Rule]] >= sevRank["medium"] {
			out[detectorOf(h.Rule)] = true
		}
	}
	return out
}

// tally counts flagged rows, overall and per detector.
type tally struct {
	n, any int
	per    map[string]int
}

func (t *tally) add(f map[string]bool) {
	if t.per == nil {
		t.per = map[string]int{}
	}
	t.n++
	if len(f) > 0 {
		t.any++
	}
	for d := range f {
		t.per[d]++
	}
}

func (t tally) rate() float64 { return pct(t.any, t.n) }

// scores holds attack and benign tallies for the full set and each half.
type scores struct {
	attacks, benign map[string]*tally // key: "full", halfTune, halfHoldout
	fpIDs           []string
}

func newScores() scores {
	s := scores{attacks: map[string]*tally{}, benign: map[string]*tally{}}
	for _, k := range []string{"full", halfTune, halfHoldout} {
		s.attacks[k], s.benign[k] = &tally{}, &tally{}
	}
	return s
}

func (s scores) add(m map[string]*tally, id string, f map[string]bool) {
	m["full"].add(f)
	m[splitOf(id)].add(f)
}

func TestQualityPromptsDev(t *testing.T) {
	if _, err := os.Stat(devData); err != nil {
		t.Skip("prompts-dev data not present:", err)
	}
	attacks := loadJSONL(t, filepath.Join(devData, "attacks.jsonl"))
	benign := loadJSONL(t, filepath.Join(devData, "benign.jsonl"))
	dets := []string{DetInvisible, DetInjection, DetURL, DetURLNote, DetMarkup, DetEncoded, DetSpoof, DetCode, DetHomoglyph}
	for _, role := range []promptcore.Role{promptcore.RoleTemplate, promptcore.RoleTestInput} {
		sc := newScores()
		for _, r := range attacks {
			sc.add(sc.attacks, r.ID, flagged(r.Text, role))
		}
		for _, r := range benign {
			// Rows the dataset marks as likely jailbreaks or borderline are
			// left out of the false-positive figure (README "suggested use");
			// false-positive probes stay in.
			if r.LabelNote != "" && !hasPrefix(r.LabelNote, "false-positive probe") {
				if role == promptcore.RoleTemplate {
					t.Logf("  labelled %s (%s): flagged=%v", r.ID, truncate(r.LabelNote, 30), len(flagged(r.Text, role)) > 0)
				}
				continue
			}
			f := flagged(r.Text, role)
			sc.add(sc.benign, r.ID, f)
			if len(f) > 0 {
				sc.fpIDs = append(sc.fpIDs, r.ID)
			}
		}
		for _, k := range []string{"full", halfTune, halfHoldout} {
			a, b := sc.attacks[k], sc.benign[k]
			t.Logf("role=%s %-7s: recall %.1f%% (%d/%d attacks), FP %.2f%% (%d/%d benign)", role, k, a.rate(), a.any, a.n, b.rate(), b.any, b.n)
		}
		a, b := sc.attacks["full"], sc.benign["full"]
		for _, d := range dets {
			t.Logf("  %-9s recall %5.1f%% (%d)  FP %5.2f%% (%d)", d, pct(a.per[d], a.n), a.per[d], pct(b.per[d], b.n), b.per[d])
		}
		sort.Strings(sc.fpIDs)
		t.Logf("  benign flagged: %v", sc.fpIDs)
		if role == promptcore.RoleTemplate {
			if a.rate() < minRecall {
				t.Errorf("role %s: recall %.1f%% below the %.0f%% floor", role, a.rate(), minRecall)
			}
			if b.rate() > maxFP {
				t.Errorf("role %s: FP %.2f%% above the %.0f%% target", role, b.rate(), maxFP)
			}
		}
	}
	// Real chat templates: no findings at all.
	files, _ := filepath.Glob(filepath.Join(devData, "chat-templates", "*.jinja"))
	if len(files) == 0 {
		t.Fatal("no chat templates found")
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		hits := Run(promptcore.Segment{Text: text, Role: promptcore.RoleChatTemplate, Source: filepath.Base(p), Locate: promptcore.Shifted(text, promptcore.Position{Line: 1, Column: 1})})
		for _, h := range hits {
			t.Errorf("%s: unexpected %s at %d-%d: %s", filepath.Base(p), h.Rule, h.Start, h.End, h.Evidence)
		}
	}
	t.Logf("chat templates: %d files scanned as %s", len(files), promptcore.RoleChatTemplate)
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
