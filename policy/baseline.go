package policy

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/modelgate/modelgate/scanner"
)

// BaselineVersion is the baseline file format version.
const BaselineVersion = 1

// MaxBaselineSize bounds a baseline file.
const MaxBaselineSize = 64 << 20

// BaselineFile is the JSON a baseline is stored as. Findings are matched by
// fingerprint alone, which survives line moves and reruns; the other fields
// are there for people reviewing the file.
type BaselineFile struct {
	Version   int             `json:"version"`
	Tool      string          `json:"tool"`
	CreatedAt time.Time       `json:"created_at"`
	Findings  []BaselineEntry `json:"findings"`
}

// BaselineEntry is one accepted finding.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"rule_id"`
	Severity    string `json:"severity"`
	Path        string `json:"path"`
	Member      string `json:"member,omitempty"`
	Message     string `json:"message"`
}

// Baseline is a loaded baseline file.
type Baseline struct {
	Path         string
	fingerprints map[string]bool
}

// Has reports whether a fingerprint is in the baseline.
func (b *Baseline) Has(fp string) bool { return b.fingerprints[fp] }

// Len is the number of findings in the baseline.
func (b *Baseline) Len() int { return len(b.fingerprints) }

// NewBaselineFile records findings as a baseline.
func NewBaselineFile(tool string, now time.Time, fs []scanner.Finding) BaselineFile {
	bf := BaselineFile{Version: BaselineVersion, Tool: tool, CreatedAt: now.UTC().Truncate(time.Second), Findings: []BaselineEntry{}}
	for _, f := range fs {
		bf.Findings = append(bf.Findings, BaselineEntry{
			Fingerprint: f.Fingerprint, RuleID: f.RuleID, Severity: f.Severity.String(),
			Path: f.Location.Path, Member: f.Location.Member, Message: f.Message,
		})
	}
	return bf
}

// WriteBaseline writes a baseline file as indented JSON.
func WriteBaseline(w io.Writer, bf BaselineFile) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(bf)
}

// LoadBaseline reads a baseline file.
func LoadBaseline(path string) (*Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBaselineSize+1))
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if len(data) > MaxBaselineSize {
		return nil, fmt.Errorf("baseline %s: larger than %d bytes", path, MaxBaselineSize)
	}
	return ParseBaseline(path, data)
}

// ParseBaseline parses baseline file content.
func ParseBaseline(path string, data []byte) (*Baseline, error) {
	var bf BaselineFile
	if err := json.Unmarshal(data, &bf); err != nil {
		return nil, fmt.Errorf("baseline %s: not a modelgate baseline: %w", path, err)
	}
	if bf.Version != BaselineVersion {
		return nil, fmt.Errorf("baseline %s: version %d is not supported (want %d; regenerate it with `modelgate baseline`)", path, bf.Version, BaselineVersion)
	}
	b := &Baseline{Path: path, fingerprints: make(map[string]bool, len(bf.Findings))}
	for i, e := range bf.Findings {
		if e.Fingerprint == "" {
			return nil, fmt.Errorf("baseline %s: finding %d has no fingerprint", path, i+1)
		}
		b.fingerprints[e.Fingerprint] = true
	}
	return b, nil
}
