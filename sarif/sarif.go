// Package sarif renders a report as SARIF 2.1.0 for GitHub code scanning and
// other SARIF consumers, with github.com/owenrumney/go-sarif/v3.
//
// Field mapping:
//   - one run; tool.driver carries name, version, semanticVersion and
//     informationUri, and only the rules that occur, sorted by ID, each
//     added before its results so every ruleIndex is valid;
//   - rule: id, name, shortDescription (title), fullDescription, help text
//     and Markdown (description, remediation, CWE), defaultConfiguration.level,
//     properties.tags (with "security" and the CWE), precision, and
//     security-severity as the score of the highest severity reported;
//   - result: ruleId, ruleIndex, level, message, one location whose
//     artifactLocation is the path relative to %SRCROOT%; a line region
//     only for text positions (binary model files get none, which GitHub
//     shows as a file-level alert; the byte offset goes to the message and
//     properties); partialFingerprints.primaryLocationLineHash is the
//     finding's fingerprint, which does not depend on line numbers;
//   - automationDetails.id is "<category>/"; the invocation carries the
//     exit code and one toolExecutionNotification per scan error.
//
// Evidence is copied only as short, already redacted text.
package sarif

import (
	"cmp"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	gosarif "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

// SrcRoot is the uriBaseId of every artifact location.
const SrcRoot = "%SRCROOT%"

// Build converts a report to a SARIF log.
func Build(rep *report.Report) *gosarif.Report {
	run := gosarif.NewRunWithInformationURI(rep.Tool.Name, rep.Tool.InformationURI)
	run.Tool.Driver.WithVersion(rep.Tool.Version).WithSemanticVersion(rep.Tool.Version)
	run.ColumnKind = ptr("unicodeCodePoints")
	category := cmp.Or(rep.Category, report.DefaultCategory)
	run.AutomationDetails = gosarif.NewRunAutomationDetails().WithID(strings.TrimSuffix(category, "/") + "/")
	if rep.RootURI != "" {
		run.OriginalUriBaseIds = map[string]gosarif.ArtifactLocation{SrcRoot: *gosarif.NewArtifactLocation().WithURI(rep.RootURI)}
	}

	dec := &rep.Decision
	findings := slices.Clone(dec.Reported)
	for _, s := range dec.Suppressed {
		findings = append(findings, s.Finding)
	}
	for _, id := range ruleIDs(findings) {
		addRule(run, id, highestSeverity(findings, id))
	}
	for i := range dec.Reported {
		res := result(run, &dec.Reported[i]) // CreateResultForRule adds it to the run
		if dec.BaselineUsed {
			res.WithBaselineState("new")
		}
	}
	// Suppressed findings stay in the log, marked as such: GitHub code
	// scanning shows them as dismissed instead of losing them.
	for i := range dec.Suppressed {
		suppressed(run, &dec.Suppressed[i])
	}
	run.AddInvocation(invocation(rep))

	log := gosarif.NewReport()
	log.Schema = "https://json.schemastore.org/sarif-2.1.0.json"
	log.AddRun(run)
	return log
}

// Write renders the report as indented SARIF JSON.
func Write(w io.Writer, rep *report.Report) error {
	return Build(rep).PrettyWrite(w)
}

func ruleIDs(fs []scanner.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.RuleID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func highestSeverity(fs []scanner.Finding, id string) scanner.Severity {
	var s scanner.Severity
	for _, f := range fs {
		if f.RuleID == id {
			s = max(s, f.Severity)
		}
	}
	return s
}

// Level maps a severity to a SARIF level.
func Level(s scanner.Severity) string {
	switch {
	case s >= scanner.SeverityHigh:
		return "error"
	case s == scanner.SeverityMedium:
		return "warning"
	}
	return "note"
}

func addRule(run *gosarif.Run, id string, sev scanner.Severity) {
	r, _ := scanner.LookupRule(id)
	rule := run.AddRule(id).
		WithName(r.Name).
		WithShortDescription(gosarif.NewMultiformatMessageString().WithText(r.Title)).
		WithFullDescription(gosarif.NewMultiformatMessageString().WithText(r.Description)).
		WithHelp(gosarif.NewMultiformatMessageString().WithText(r.HelpText()).WithMarkdown(r.HelpMarkdown())).
		WithDefaultConfiguration(gosarif.NewReportingConfiguration().WithLevel(Level(r.Severity)))
	tags := slices.Clone(r.Tags)
	if r.CWE != "" {
		tags = append(tags, "external/cwe/"+strings.ToLower(r.CWE))
	}
	props := gosarif.NewPropertyBag()
	props.Tags = tags
	props.Add("precision", "high")
	props.Add("problem.severity", problemSeverity(sev))
	if score := sev.SecuritySeverity(); score != "" {
		props.Add("security-severity", score)
	}
	rule.WithProperties(props)
}

func problemSeverity(s scanner.Severity) string {
	switch Level(s) {
	case "error":
		return "error"
	case "warning":
		return "warning"
	}
	return "recommendation"
}

// suppressed adds a finding the policy accepts, with an external
// suppression carrying the justification.
func suppressed(run *gosarif.Run, s *policy.Suppressed) {
	res := result(run, &s.Finding)
	sup := gosarif.NewSuppression().WithKind("external").WithStatus("accepted").WithJustification(s.Justification)
	props := gosarif.NewPropertyBag()
	props.Add("source", s.Kind)
	if s.Expires != "" {
		props.Add("expires", s.Expires)
	}
	sup.WithProperties(props)
	res.WithSuppressions([]*gosarif.Suppression{sup})
	if s.Kind == policy.KindBaseline {
		res.WithBaselineState("unchanged")
	}
}

func result(run *gosarif.Run, f *scanner.Finding) *gosarif.Result {
	res := run.CreateResultForRule(f.RuleID).
		WithLevel(Level(f.Severity)).
		WithMessage(gosarif.NewTextMessage(messageText(f))).
		WithPartialFingerprints(map[string]string{"primaryLocationLineHash": f.Fingerprint})
	phys := gosarif.NewPhysicalLocation().WithArtifactLocation(artifact(f.Location.Path))
	if region := textRegion(f.Location); region != nil {
		phys.WithRegion(region)
	}
	res.AddLocation(gosarif.NewLocation().WithPhysicalLocation(phys))

	props := gosarif.NewPropertyBag()
	props.Add("severity", f.Severity.String())
	props.Add("engine", f.Engine)
	if f.Location.Member != "" {
		props.Add("member", f.Location.Member)
	}
	if f.Location.ByteOffset != nil {
		props.Add("byteOffset", *f.Location.ByteOffset)
	}
	if f.Evidence != "" {
		props.Add("evidence", f.Evidence)
	}
	res.WithProperties(props)
	return res
}

// messageText puts the container member and byte offset in the message,
// since binary files have no region for GitHub to show.
func messageText(f *scanner.Finding) string {
	msg := f.Message
	var where []string
	if f.Location.Member != "" {
		where = append(where, "in "+f.Location.Member)
	}
	if f.Location.ByteOffset != nil && f.Location.StartLine == 0 {
		where = append(where, fmt.Sprintf("at byte %d", *f.Location.ByteOffset))
	}
	if len(where) > 0 {
		msg += " (" + strings.Join(where, ", ") + ")"
	}
	return msg
}

func textRegion(l scanner.Location) *gosarif.Region {
	if l.StartLine <= 0 {
		return nil
	}
	r := gosarif.NewRegion().WithStartLine(l.StartLine)
	if l.StartColumn > 0 {
		r.WithStartColumn(l.StartColumn)
	}
	if l.EndLine >= l.StartLine {
		r.WithEndLine(l.EndLine)
	}
	if l.EndColumn > 0 && (l.EndLine > l.StartLine || l.EndColumn > l.StartColumn) {
		r.WithEndColumn(l.EndColumn)
	}
	return r
}

// artifact locates a file: relative paths relative to %SRCROOT%, paths
// outside the working directory as absolute file URIs (which must not
// carry a uriBaseId).
func artifact(p string) *gosarif.ArtifactLocation {
	a := gosarif.NewArtifactLocation().WithURI(pathURI(p))
	if !strings.HasPrefix(p, "/") {
		a.WithURIBaseID(SrcRoot)
	}
	return a
}

// pathURI turns a slash path into a relative URI reference, escaping each
// segment (spaces, '#', '%', …). Absolute paths become file URIs.
func pathURI(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := strings.Join(segs, "/")
	if strings.HasPrefix(p, "/") {
		return "file://" + u
	}
	return u
}

func invocation(rep *report.Report) *gosarif.Invocation {
	inv := gosarif.NewInvocation().WithExecutionSuccessful(true).WithExitCode(rep.Decision.ExitCode)
	inv.ToolExecutionNotifications = []*gosarif.Notification{}
	for _, e := range rep.Result.Errors {
		text := e.Message
		if e.Member != "" {
			text = e.Member + ": " + text
		}
		loc := gosarif.NewLocation().WithPhysicalLocation(gosarif.NewPhysicalLocation().WithArtifactLocation(artifact(e.Path)))
		n := gosarif.NewNotification().WithLevel("warning").WithMessage(gosarif.NewTextMessage(text))
		n.Locations = []*gosarif.Location{loc}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	// Policy warnings (expired or stale suppressions) are about the
	// configuration, and point into the policy file.
	for _, note := range rep.Decision.Notes {
		n := gosarif.NewNotification().WithLevel(note.Level).WithMessage(gosarif.NewTextMessage(note.Message))
		if note.File != "" {
			phys := gosarif.NewPhysicalLocation().WithArtifactLocation(artifact(note.File))
			if note.Line > 0 {
				phys.WithRegion(gosarif.NewRegion().WithStartLine(note.Line))
			}
			n.Locations = []*gosarif.Location{gosarif.NewLocation().WithPhysicalLocation(phys)}
		}
		inv.ToolConfigurationNotifications = append(inv.ToolConfigurationNotifications, n)
	}
	return inv
}

func ptr[T any](v T) *T { return &v }
