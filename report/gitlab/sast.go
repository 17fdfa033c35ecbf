// Package gitlab renders a report in GitLab's formats: the SAST security
// report (schema 15.x, artifacts:reports:sast) and the Code Quality report
// (artifacts:reports:codequality). It only renders; publish/gitlab posts
// the merge-request note.
//
// SAST field mapping:
//   - scan: analyzer and scanner are modelgate with its version; type
//     "sast"; start and end times as YYYY-MM-DDTHH:MM:SS in UTC; status
//     "success" (per-file scan errors go to scan.messages as warnings);
//   - one vulnerability per reported finding: id is a UUID (SHA-1, version
//     5) of the category and the finding's fingerprint, so it is stable
//     across runs and line moves; name is the rule's title (nothing
//     specific to the finding, as the schema asks); description is the
//     finding's message, where in the file (member, byte offset), then the
//     rule's description; solution is the rule's remediation; severity is
//     the finding's;
//   - location: file and, for text, start_line and end_line; binary model
//     files have no lines, so they get start_line 1 (GitLab tracks by file,
//     lines and primary identifier);
//   - identifiers: the rule ID first (GitLab's primary identifier), then
//     the CWE when the rule has one;
//   - tracking: one "source" item whose "hash" signature is the finding's
//     fingerprint, so two findings of one rule in one binary file stay
//     apart.
package gitlab

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

// SASTVersion is the schema version the SAST report declares: GitLab
// validates the report against it and ingests only versions it supports.
const SASTVersion = "15.2.1"

// Schema limits.
const (
	maxDescription = 1 << 20
	maxSolution    = 7000
	maxName        = 255
	maxMessages    = 100
)

// timeLayout is the schema's time format: UTC, no zone, no fraction.
const timeLayout = "2006-01-02T15:04:05"

// idNamespace is the UUID namespace of vulnerability ids.
var idNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/modelgate/modelgate#gitlab-sast"))

// SAST is the security report document.
type SAST struct {
	Version         string          `json:"version"`
	Scan            Scan            `json:"scan"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
}

// Scan describes the run.
type Scan struct {
	Analyzer  Tool          `json:"analyzer"`
	Scanner   Tool          `json:"scanner"`
	Type      string        `json:"type"`
	StartTime string        `json:"start_time"`
	EndTime   string        `json:"end_time"`
	Status    string        `json:"status"`
	Messages  []ScanMessage `json:"messages,omitempty"`
}

// Tool is the analyzer or the scanner.
type Tool struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	URL     string `json:"url,omitempty"`
	Vendor  Vendor `json:"vendor"`
}

// Vendor names who maintains a tool.
type Vendor struct {
	Name string `json:"name"`
}

// ScanMessage is a note to whoever runs the scan.
type ScanMessage struct {
	Level string `json:"level"`
	Value string `json:"value"`
}

// Vulnerability is one finding.
type Vulnerability struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Severity    string       `json:"severity"`
	Solution    string       `json:"solution,omitempty"`
	Location    Location     `json:"location"`
	Identifiers []Identifier `json:"identifiers"`
	Tracking    *Tracking    `json:"tracking,omitempty"`
}

// Location is where a vulnerability is.
type Location struct {
	File      string `json:"file"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line,omitempty"`
}

// Identifier references a rule or a weakness.
type Identifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

// Tracking tells GitLab how to follow a vulnerability as the file changes.
type Tracking struct {
	Type  string         `json:"type"`
	Items []TrackingItem `json:"items"`
}

// TrackingItem is one tracked place with its signatures.
type TrackingItem struct {
	File       string      `json:"file"`
	StartLine  int         `json:"start_line"`
	EndLine    int         `json:"end_line,omitempty"`
	Signatures []Signature `json:"signatures"`
}

// Signature is one tracking signature.
type Signature struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

// BuildSAST assembles the SAST report.
func BuildSAST(rep *report.Report) *SAST {
	tool := Tool{ID: rep.Tool.Name, Name: rep.Tool.Name, Version: cmp.Or(rep.Tool.Version, "unknown"),
		URL: rep.Tool.InformationURI, Vendor: Vendor{Name: rep.Tool.Name}}
	doc := &SAST{
		Version: SASTVersion,
		Scan: Scan{
			Analyzer:  tool,
			Scanner:   tool,
			Type:      "sast",
			StartTime: rep.Result.StartedAt.UTC().Format(timeLayout),
			EndTime:   rep.Result.FinishedAt.UTC().Format(timeLayout),
			Status:    "success",
			Messages:  messages(rep.Result.Errors),
		},
		Vulnerabilities: make([]Vulnerability, 0, len(rep.Decision.Reported)),
	}
	for i := range rep.Decision.Reported {
		doc.Vulnerabilities = append(doc.Vulnerabilities, vulnerability(rep, &rep.Decision.Reported[i]))
	}
	return doc
}

// WriteSAST renders the SAST report as indented JSON.
func WriteSAST(w io.Writer, rep *report.Report) error {
	return writeJSON(w, BuildSAST(rep))
}

func vulnerability(rep *report.Report, f *scanner.Finding) Vulnerability {
	rule := report.RuleFor(f)
	loc := location(f.Location)
	return Vulnerability{
		ID:          VulnerabilityID(rep.Category, f.Fingerprint),
		Name:        clip(rule.Title, maxName),
		Description: clip(description(f, rule), maxDescription),
		Severity:    Severity(f.Severity),
		Solution:    clip(strings.TrimSpace(rule.Remediation), maxSolution),
		Location:    loc,
		Identifiers: identifiers(rule, rep.Tool.InformationURI),
		Tracking: &Tracking{Type: "source", Items: []TrackingItem{{
			File: loc.File, StartLine: loc.StartLine, EndLine: loc.EndLine,
			Signatures: []Signature{{Algorithm: "hash", Value: f.Fingerprint}},
		}}},
	}
}

// VulnerabilityID is the stable UUID of a finding in a category.
func VulnerabilityID(category, fingerprint string) string {
	return uuid.NewSHA1(idNamespace, []byte(cmp.Or(category, report.DefaultCategory)+"\x00"+fingerprint)).String()
}

// severityNames spell each severity for the SAST report and for Code
// Quality (whose scale has blocker on top).
var severityNames = map[scanner.Severity][2]string{
	scanner.SeverityCritical: {"Critical", "blocker"},
	scanner.SeverityHigh:     {"High", "critical"},
	scanner.SeverityMedium:   {"Medium", "major"},
	scanner.SeverityLow:      {"Low", "minor"},
	scanner.SeverityInfo:     {"Info", "info"},
}

// Severity maps a severity to the SAST report's spelling.
func Severity(s scanner.Severity) string {
	if n, ok := severityNames[s]; ok {
		return n[0]
	}
	return "Unknown"
}

func location(l scanner.Location) Location {
	loc := Location{File: l.Path, StartLine: 1}
	if l.StartLine > 0 {
		loc.StartLine = l.StartLine
		if l.EndLine >= l.StartLine {
			loc.EndLine = l.EndLine
		}
	}
	return loc
}

// description is the finding's message, where it is, and the rule's text.
func description(f *scanner.Finding, rule *scanner.Rule) string {
	return Message(f) + "\n\n" + strings.TrimSpace(rule.Description)
}

// Message is the finding's message with the container member and the byte
// offset, which have no place in GitLab's line-based locations.
func Message(f *scanner.Finding) string {
	var where []string
	if f.Location.Member != "" {
		where = append(where, "in "+f.Location.Member)
	}
	if f.Location.ByteOffset != nil && f.Location.StartLine == 0 {
		where = append(where, fmt.Sprintf("at byte %d", *f.Location.ByteOffset))
	}
	if len(where) == 0 {
		return f.Message
	}
	return f.Message + " (" + strings.Join(where, ", ") + ")"
}

func identifiers(rule *scanner.Rule, infoURI string) []Identifier {
	ids := []Identifier{{Type: "modelgate_rule_id", Name: "modelgate " + rule.ID, Value: rule.ID, URL: rulesURL(infoURI)}}
	if num, ok := strings.CutPrefix(rule.CWE, "CWE-"); ok && num != "" {
		ids = append(ids, Identifier{Type: "cwe", Name: rule.CWE, Value: num,
			URL: "https://cwe.mitre.org/data/definitions/" + num + ".html"})
	}
	return ids
}

// rulesURL links the README's rule table; "" unless infoURI is http(s).
func rulesURL(infoURI string) string {
	if !strings.HasPrefix(infoURI, "https://") && !strings.HasPrefix(infoURI, "http://") {
		return ""
	}
	return infoURI + "#rules"
}

func messages(errs []scanner.FileError) []ScanMessage {
	var out []ScanMessage
	for i, e := range errs {
		if i == maxMessages {
			out = append(out, ScanMessage{Level: "warn", Value: fmt.Sprintf("%d more scan errors (see the JSON or SARIF report)", len(errs)-maxMessages)})
			break
		}
		where := e.Path
		if e.Member != "" {
			where += "!" + e.Member
		}
		out = append(out, ScanMessage{Level: "warn", Value: where + ": " + e.Message})
	}
	return out
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
