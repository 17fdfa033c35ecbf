// Package jsonreport renders a report as modelgate's versioned JSON
// document. The schema is schema/result-v1.json at the repository root;
// fields are only ever added within a major schema version.
package jsonreport

import (
	"encoding/json"
	"io"
	"time"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// SchemaVersion is the version of the document's schema.
const SchemaVersion = "1.2"

// Document is the JSON output.
type Document struct {
	SchemaVersion string      `json:"schema_version"`
	Tool          report.Tool `json:"tool"`
	StartedAt     time.Time   `json:"started_at"`
	FinishedAt    time.Time   `json:"finished_at"`
	DurationMS    int64       `json:"duration_ms"`
	Gate          Gate        `json:"gate"`
	Summary       Summary     `json:"summary"`
	Findings      []Finding   `json:"findings"`
	// Suppressed and Policy were added in 1.2.
	Suppressed []Suppressed         `json:"suppressed"`
	Policy     Policy               `json:"policy"`
	Files      []scanner.FileStatus `json:"files"`
	Errors     []scanner.FileError  `json:"errors"`
}

// Gate is the policy's verdict.
type Gate struct {
	FailOn    string `json:"fail_on"`
	ReportMin string `json:"report_min"`
	Verdict   string `json:"verdict"`
	ExitCode  int    `json:"exit_code"`
	Blocking  int    `json:"blocking"`
}

// Summary holds the counts.
type Summary struct {
	FilesScanned    int                   `json:"files_scanned"`
	FilesSkipped    int                   `json:"files_skipped"`
	FilesSniffed    int                   `json:"files_sniffed"`
	ScannedByFormat map[format.Format]int `json:"scanned_by_format"`
	// FormatRisk says, for each scanned format, what loading it can do
	// (added in 1.1).
	FormatRisk         map[format.Format]format.Risk `json:"format_risk"`
	SkippedByReason    map[string]int                `json:"skipped_by_reason"`
	Findings           int                           `json:"findings"`
	FindingsBySeverity map[string]int                `json:"findings_by_severity"`
	NotReported        int                           `json:"not_reported"`
	Suppressed         int                           `json:"suppressed"`
	Errors             int                           `json:"errors"`
}

// Finding is a reported finding with its rule title and whether it blocks.
type Finding struct {
	scanner.Finding
	Title    string `json:"title"`
	Blocking bool   `json:"blocking"`
}

// Suppressed is a finding a suppression or the baseline accepts.
type Suppressed struct {
	scanner.Finding
	Title         string `json:"title"`
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
	Expires       string `json:"expires,omitempty"`
}

// Policy says which policy file and baseline applied, and what they warn
// about.
type Policy struct {
	Config   string        `json:"config,omitempty"`
	Baseline string        `json:"baseline,omitempty"`
	Disabled int           `json:"disabled"`
	Notes    []policy.Note `json:"notes"`
}

// Build assembles the document.
func Build(rep *report.Report) *Document {
	res, d := rep.Result, &rep.Decision
	doc := &Document{
		SchemaVersion: SchemaVersion,
		Tool:          rep.Tool,
		StartedAt:     res.StartedAt.UTC(),
		FinishedAt:    res.FinishedAt.UTC(),
		DurationMS:    res.Elapsed().Milliseconds(),
		Gate: Gate{
			FailOn:    policy.FailOnName(d.Gate.FailOn),
			ReportMin: d.Gate.ReportMin.String(),
			Verdict:   d.Verdict,
			ExitCode:  d.ExitCode,
			Blocking:  d.BlockingCount,
		},
		Summary:    summary(res, d),
		Findings:   make([]Finding, len(d.Reported)),
		Files:      res.Files,
		Errors:     res.Errors,
		Suppressed: make([]Suppressed, len(d.Suppressed)),
		Policy:     Policy{Config: rep.ConfigPath, Baseline: rep.BaselinePath, Disabled: d.Disabled, Notes: d.Notes},
	}
	if doc.Policy.Notes == nil {
		doc.Policy.Notes = []policy.Note{}
	}
	for i, s := range d.Suppressed {
		doc.Suppressed[i] = Suppressed{Finding: s.Finding, Title: report.RuleFor(&s.Finding).Title, Kind: s.Kind, Justification: s.Justification, Expires: s.Expires}
	}
	for i, f := range d.Reported {
		doc.Findings[i] = Finding{Finding: f, Title: report.RuleFor(&f).Title, Blocking: d.Blocking[i]}
	}
	return doc
}

func summary(res *scanner.Result, d *policy.Decision) Summary {
	scanned, skipped := res.FileCounts()
	s := Summary{
		FilesSniffed:       res.FilesSniffed,
		ScannedByFormat:    scanned,
		FormatRisk:         map[format.Format]format.Risk{},
		SkippedByReason:    skipped,
		Findings:           len(d.Reported),
		FindingsBySeverity: map[string]int{},
		NotReported:        d.Hidden,
		Suppressed:         len(d.Suppressed),
		Errors:             len(res.Errors),
	}
	for f, n := range scanned {
		s.FilesScanned += n
		s.FormatRisk[f] = format.RiskOf(f)
	}
	for _, n := range skipped {
		s.FilesSkipped += n
	}
	for _, sev := range scanner.Severities {
		s.FindingsBySeverity[sev.String()] = 0
	}
	for sev, n := range d.CountBySeverity() {
		s.FindingsBySeverity[sev.String()] = n
	}
	return s
}

// Write renders the report as indented JSON.
func Write(w io.Writer, rep *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(Build(rep))
}
