package prismairs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Documented content limits, in characters.
const (
	maxPromptChars   = 10_000
	maxResponseChars = 20_000
)

// item is one piece of prompt text sent for scanning: a whole segment or
// a chunk of a long one.
type item struct {
	seg        promptcore.Segment
	start, end int    // byte offsets in seg.Text
	field      string // "prompt" or "response"
	trID       string
	result     scanResponse
}

func (it *item) text() string { return it.seg.Text[it.start:it.end] }

// content is the item as a ScanRequest contents element.
func (it *item) content() map[string]string { return map[string]string{it.field: it.text()} }

// field is where a role's text goes: expected and example answers are
// responses (checked by the response detectors), everything else prompts.
func field(r promptcore.Role) string {
	switch r {
	case promptcore.RoleExpected, promptcore.RoleExample:
		return "response"
	}
	return "prompt"
}

// split turns segments into items within the character limits, at most
// maxItems of them; dropped counts the items left out.
func split(path string, segs []promptcore.Segment, maxItems int) (items []*item, dropped int) {
	sum := sha256.Sum256([]byte(path))
	prefix := "mg-" + hex.EncodeToString(sum[:4]) + "-"
	for _, seg := range segs {
		f := field(seg.Role)
		limit := maxPromptChars
		if f == "response" {
			limit = maxResponseChars
		}
		for start := 0; start < len(seg.Text); {
			end := cut(seg.Text, start, limit)
			if len(items) == maxItems {
				dropped++
			} else if !blank(seg.Text[start:end]) {
				items = append(items, &item{seg: seg, start: start, end: end, field: f, trID: fmt.Sprintf("%s%d", prefix, len(items)+1)})
			}
			start = end
		}
	}
	return items, dropped
}

// cut returns the end of the chunk of at most limit characters from start.
func cut(s string, start, limit int) int {
	n, i := 0, start
	for i < len(s) && n < limit {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return i
}

func blank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}
