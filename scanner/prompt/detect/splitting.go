package detect

import (
	"regexp"
	"strings"
)

// Payload splitting: the forbidden request is cut into string variables
// ("a = 'how to make'", "b = 'a weapon'") and the model is asked to act on
// their concatenation, so no single piece trips a filter. It is matched on
// the original text (folding would rewrite digits in the names): two or
// more distinct string assignments, and a prose instruction that joins two
// of the assigned names with "+". Code that concatenates strings is not
// reported unless an instruction word introduces the join.

var (
	splitAssign = regexp.MustCompile(`(\$?[A-Za-z_][A-Za-z0-9_]{0,19})\s*=\s*["'“‘]([^"'”’\n]{1,120})["'”’]`)
	splitJoin   = regexp.MustCompile(`(\$?[A-Za-z_][A-Za-z0-9_]{0,19})\s*\+\s*(\$?[A-Za-z_][A-Za-z0-9_]{0,19})`)
	splitCue    = regexp.MustCompile(`(?i)\b(?:how\s+to|explain|write|tell\s+me|describe|answer|respond|give|instructions|steps|demonstrate|about|what\s+is|do|perform|show)\b[^.\n]{0,60}$`)
)

// maxSplitAssign bounds the assignments collected from one text.
const maxSplitAssign = 64

func findSplitting(text string) []finding {
	if strings.Count(text, "=") < 2 || !strings.Contains(text, "+") {
		return nil
	}
	assigned := map[string]bool{}
	for _, m := range splitAssign.FindAllStringSubmatch(text, maxSplitAssign) {
		assigned[m[1]] = true
	}
	if len(assigned) < 2 {
		return nil
	}
	for _, m := range splitJoin.FindAllStringSubmatchIndex(text, 32) {
		a, b := text[m[2]:m[3]], text[m[4]:m[5]]
		if a == b || !assigned[a] || !assigned[b] {
			continue
		}
		if !splitCue.MatchString(text[max(0, m[0]-80):m[0]]) {
			continue
		}
		return []finding{{detector: DetInjection, start: m[0], end: m[1],
			message:  "Prompt-injection phrase (payload-splitting): the text assigns pieces of a request to variables and asks the model to act on their concatenation, which hides the request from keyword filters; in an instruction role this rewrites the model's behaviour.",
			evidence: evidenceOf(text[m[0]:m[1]])}}
	}
	return nil
}
