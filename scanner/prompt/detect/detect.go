// Package detect runs the offline prompt-fixture detectors over one
// promptcore.Segment: invisible and smuggling characters, the
// instruction-override / jailbreak lexicon, exfiltration links and
// suspicious URLs, hidden markup, encoded payloads and role/delimiter
// spoofing. Each detector lives in its own file; the rule ID of a hit
// depends on the detector and on the segment's role band (see RuleFor and
// scanner/rules/prompt.yaml).
package detect

import (
	"sort"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// maxDepth is how many times an encoded payload is decoded and rescanned.
const maxDepth = 2

// maxSegment caps the bytes a detector looks at (10 MiB, the file limit).
const maxSegment = 10 << 20

// Run returns the hits of every detector on seg, ordered by Start.
func Run(seg promptcore.Segment) []promptcore.Hit {
	text := seg.Text
	if len(text) > maxSegment {
		text = text[:maxSegment]
	}
	hits := runText(text, seg.Role, 0)
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Start != hits[j].Start {
			return hits[i].Start < hits[j].Start
		}
		return hits[i].Rule < hits[j].Rule
	})
	return hits
}

// finding is a detector result before the role decides its rule ID.
type finding struct {
	detector   string
	start, end int
	message    string
	evidence   string
}

// runText runs all detectors on text at the given decode depth.
func runText(text string, role promptcore.Role, depth int) []promptcore.Hit {
	var fs []finding
	fs = append(fs, findInvisible(text, role)...)
	fs = append(fs, findInjection(text)...)
	fs = append(fs, findURLs(text, role)...)
	fs = append(fs, findMarkup(text)...)
	if depth < maxDepth {
		fs = append(fs, findEncoded(text, role, depth)...)
	}
	fs = append(fs, findSpoof(text, role)...)
	fs = append(fs, findCode(text)...)
	fs = append(fs, findHomoglyph(text)...)
	hits := make([]promptcore.Hit, 0, len(fs))
	for _, f := range fs {
		rule := RuleFor(f.detector, role)
		if rule == "" {
			continue
		}
		hits = append(hits, promptcore.Hit{
			Rule:     rule,
			Start:    f.start,
			End:      f.end,
			Message:  f.message,
			Evidence: f.evidence,
		})
	}
	return hits
}
