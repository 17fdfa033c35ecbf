package remote

import (
	"strings"

	"github.com/modelgate/modelgate/scanner"
)

// findingKey is what makes two findings the same: rule, exact location
// and evidence. The message may differ in wording between engines; the
// engine does not count.
type findingKey struct {
	rule, path, member, evidence string
	startLine, startCol          int
	endLine, endCol              int
	offset                       int64
}

func keyOf(f *scanner.Finding) findingKey {
	k := findingKey{rule: f.RuleID, path: f.Location.Path, member: f.Location.Member, evidence: f.Evidence,
		startLine: f.Location.StartLine, startCol: f.Location.StartColumn,
		endLine: f.Location.EndLine, endCol: f.Location.EndColumn, offset: -1}
	if f.Location.ByteOffset != nil {
		k.offset = *f.Location.ByteOffset
	}
	return k
}

// Merge removes findings that another engine already reported: the same
// rule at the same location with the same evidence. The first one is kept,
// tagged with every engine that found it ("embedded/pickle+remote/x") and
// the highest severity among them. Repeats from one engine are kept (they
// are distinct occurrences, numbered by their fingerprints). The order of
// the rest is unchanged; fingerprints must be assigned again afterwards.
func Merge(fs []scanner.Finding) []scanner.Finding {
	first := map[findingKey]int{}
	out := fs[:0:0]
	for _, f := range fs {
		k := keyOf(&f)
		i, seen := first[k]
		if !seen {
			first[k] = len(out)
			out = append(out, f)
			continue
		}
		kept := &out[i]
		if hasEngine(kept.Engine, f.Engine) {
			out = append(out, f) // a repeat from the same engine
			continue
		}
		kept.Engine += "+" + f.Engine
		kept.Severity = max(kept.Severity, f.Severity)
	}
	return out
}

func hasEngine(list, engine string) bool {
	for _, e := range strings.Split(list, "+") {
		if e == engine {
			return true
		}
	}
	return false
}
