package scanner

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Location says where a finding is. Path is the file as discovered, relative
// to the working directory with forward slashes. Member is the path inside a
// container (archive member, zip entry), nested members joined with "!", so
// the full display form is "outer.zip!inner/data.pkl". Lines and columns are
// 1-based and set only for text; ByteOffset is set for binary positions.
type Location struct {
	Path        string `json:"path"`
	Member      string `json:"member,omitempty"`
	StartLine   int    `json:"start_line,omitempty"`
	StartColumn int    `json:"start_column,omitempty"`
	EndLine     int    `json:"end_line,omitempty"`
	EndColumn   int    `json:"end_column,omitempty"`
	ByteOffset  *int64 `json:"byte_offset,omitempty"`
}

// String renders the location for people: path[!member][:line[:col]][@offset].
func (l Location) String() string {
	var b strings.Builder
	b.WriteString(l.Path)
	if l.Member != "" {
		b.WriteString("!" + l.Member)
	}
	if l.StartLine > 0 {
		fmt.Fprintf(&b, ":%d", l.StartLine)
		if l.StartColumn > 0 {
			fmt.Fprintf(&b, ":%d", l.StartColumn)
		}
	} else if l.ByteOffset != nil {
		fmt.Fprintf(&b, "@%d", *l.ByteOffset)
	}
	return b.String()
}

// Offset returns a pointer to off, for Location.ByteOffset.
func Offset(off int64) *int64 { return &off }

// Finding is one result of a scan. The rule's text lives in the catalogue;
// the finding carries only what is specific to this occurrence.
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Location Location `json:"location"`
	// Evidence is a short, redacted excerpt or a structural fact ("header
	// length 18446744073709551615"); never a secret or a whole prompt.
	Evidence string `json:"evidence,omitempty"`
	// Engine names the scanner that produced the finding ("embedded/safetensors").
	Engine string `json:"engine"`
	// Fingerprint identifies the finding across reruns and line moves:
	// "<16 hex>:<occurrence>", built from rule, path, member and evidence.
	Fingerprint string `json:"fingerprint"`
}

// fingerprintBase hashes what identifies a finding without its line: the
// rule, the file, the member and the evidence (or the message when there is
// none).
func (f *Finding) fingerprintBase() string {
	key := f.Evidence
	if key == "" {
		key = f.Message
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{f.RuleID, f.Location.Path, f.Location.Member, key}, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// SortFindings orders findings deterministically: by path, member, position,
// rule, then message.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, compareFindings)
}

func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Location.Path, b.Location.Path),
		cmp.Compare(a.Location.Member, b.Location.Member),
		cmp.Compare(a.Location.StartLine, b.Location.StartLine),
		cmp.Compare(a.Location.StartColumn, b.Location.StartColumn),
		cmp.Compare(offsetOf(a.Location), offsetOf(b.Location)),
		cmp.Compare(a.RuleID, b.RuleID),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.Evidence, b.Evidence),
	)
}

func offsetOf(l Location) int64 {
	if l.ByteOffset == nil {
		return -1
	}
	return *l.ByteOffset
}

// AssignFingerprints sets every finding's fingerprint. Findings must already
// be sorted: identical bases are numbered in order (":1", ":2", …) so that
// repeated occurrences stay distinct and stable.
func AssignFingerprints(fs []Finding) {
	seen := map[string]int{}
	for i := range fs {
		base := fs[i].fingerprintBase()
		seen[base]++
		fs[i].Fingerprint = fmt.Sprintf("%s:%d", base, seen[base])
	}
}
