package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	gosarif "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/jsonreport"
	"github.com/modelgate/modelgate/scanner"
)

// `modelgate merge` joins the reports of the shards of one scan
// (`--shard I/N`) into the report a single full scan would have written:
//
//   - JSON reports (--json / --format json) are read back into one report:
//     findings, files, errors and counts are combined and the gate is
//     applied again, so every output format, the exit code, the GitLab
//     note and the GitHub Action's publishing work as after a scan;
//   - SARIF logs merge into one log with one run: rules deduplicated
//     (the highest security-severity wins), results in the full scan's
//     order with fresh rule indexes, one invocation. This keeps whatever
//     the shards wrote, but can only produce SARIF.
//
// Every flag of scan is accepted (discovery and engine flags do nothing).

const mergeUsage = `Usage: modelgate merge [flags] REPORT...

Joins the JSON reports (or the SARIF logs) of the shards of one scan
(modelgate scan --shard I/N) into the report of the whole scan. From JSON
reports every output of scan can be written (--format, --output, --sarif,
--json, --gitlab-sast, --codequality, --cyclonedx), the gate is applied
again (--fail-on, default: the shards') and the exit code is the gate's.
SARIF logs merge into SARIF only. Without --format, --output gets the
inputs' format; stdout gets text.

Flags:
`

// runMerge is the merge command.
func runMerge(ctx context.Context, args []string, env Env) (int, error) {
	var o scanOptions
	fs := scanFlags(&o, env.Stderr)
	fs.Init("modelgate merge", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, mergeUsage)
		fs.PrintDefaults()
	}
	inputs, err := parseInterleaved(fs, args)
	if err != nil {
		return 0, err
	}
	if len(inputs) == 0 {
		return 0, fmt.Errorf("merge needs the shards' reports: %w", errUsage)
	}
	if o.ci.shardSpec != "" {
		return 0, fmt.Errorf("--shard does not apply to merge: %w", errUsage)
	}
	shards, err := readShards(inputs)
	if err != nil {
		return 0, err
	}
	if !flagWasSet(fs, "format") && o.output != "" {
		o.format = shards.kind
	}
	if shards.kind == "sarif" {
		return o.mergeSARIF(shards.sarif, env)
	}
	return o.mergeJSON(ctx, fs, shards.json, env)
}

// shardReports are the parsed inputs, all of one kind.
type shardReports struct {
	kind  string // "json" or "sarif"
	json  []*jsonreport.Document
	sarif []*gosarif.Report
}

// readShards reads every input and checks they are all JSON reports or
// all SARIF logs.
func readShards(paths []string) (*shardReports, error) {
	s := &shardReports{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		kind, err := s.add(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if s.kind != "" && s.kind != kind {
			return nil, fmt.Errorf("%s is %s but earlier inputs are %s: merge JSON reports or SARIF logs, not both", p, kind, s.kind)
		}
		s.kind = kind
	}
	return s, nil
}

// add parses one input and says which kind it is.
func (s *shardReports) add(data []byte) (string, error) {
	var probe struct {
		SchemaVersion string            `json:"schema_version"`
		Version       string            `json:"version"`
		Runs          []json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return "", fmt.Errorf("not a modelgate JSON report or SARIF log: %w", err)
	}
	switch {
	case probe.SchemaVersion != "":
		if major, _, _ := strings.Cut(probe.SchemaVersion, "."); major != "1" {
			return "", fmt.Errorf("JSON report schema %s is not 1.x", probe.SchemaVersion)
		}
		var doc jsonreport.Document
		if err := json.Unmarshal(data, &doc); err != nil {
			return "", err
		}
		s.json = append(s.json, &doc)
		return "json", nil
	case probe.Version == "2.1.0" && probe.Runs != nil:
		log, err := gosarif.FromBytes(data)
		if err != nil {
			return "", err
		}
		s.sarif = append(s.sarif, log)
		return "sarif", nil
	}
	return "", fmt.Errorf("not a modelgate JSON report or SARIF 2.1.0 log")
}

// mergeJSON rebuilds the report of the whole scan and writes and
// publishes it as scan would.
func (o *scanOptions) mergeJSON(ctx context.Context, fs *flag.FlagSet, docs []*jsonreport.Document, env Env) (int, error) {
	act := newActionMode(o, env)
	if act != nil {
		if err := act.applyInputs(fs, o); err != nil {
			return 0, err
		}
	}
	o.ci.shardSpec = "1/1" // the merged report is whole, whatever CI_NODE_* say
	if err := o.ci.defaults(o, env); err != nil {
		return 0, err
	}
	if _, err := o.validate(); err != nil {
		return 0, err
	}
	gate, err := mergedGate(docs, o, fs)
	if err != nil {
		return 0, err
	}
	rep := mergeReports(docs, gate)
	rep.Category = o.category
	if cwd, err := os.Getwd(); err == nil {
		rep.RootURI = fileURI(cwd)
	}
	if v := docs[0].Tool.Version; slices.ContainsFunc(docs, func(d *jsonreport.Document) bool { return d.Tool.Version != v }) {
		fmt.Fprintf(env.Stderr, "modelgate: warning: the shards ran different modelgate versions; the merged report names %s\n", v)
	}
	if err := o.writeOutputs(rep, env); err != nil {
		return 0, err
	}
	o.ci.publish(ctx, o, env, rep)
	if act != nil {
		act.setOutputs(o, rep, act.publish(ctx, o, rep))
	}
	return rep.Decision.ExitCode, nil
}

// mergedGate is the shards' gate, with --fail-on and --report-min applied
// when given. Findings the shards did not report cannot come back, so a
// lower threshold than the shards' report-min is refused when they hid any.
func mergedGate(docs []*jsonreport.Document, o *scanOptions, fs *flag.FlagSet) (policy.Gate, error) {
	first := docs[0].Gate
	hidden := 0
	for _, d := range docs {
		if d.Gate.FailOn != first.FailOn || d.Gate.ReportMin != first.ReportMin {
			return policy.Gate{}, fmt.Errorf("the shards ran with different gates (fail-on %s/%s, report-min %s/%s)", first.FailOn, d.Gate.FailOn, first.ReportMin, d.Gate.ReportMin)
		}
		hidden += d.Summary.NotReported
	}
	failOn, reportMin := first.FailOn, first.ReportMin
	if flagWasSet(fs, "fail-on") {
		failOn = o.failOn
	}
	if flagWasSet(fs, "report-min") {
		reportMin = o.reportMin
	}
	var g policy.Gate
	var err error
	if g.FailOn, err = policy.ParseFailOn(failOn); err != nil {
		return g, fmt.Errorf("--fail-on: %w", err)
	}
	if g.ReportMin, err = scanner.ParseSeverity(reportMin); err != nil {
		return g, fmt.Errorf("report-min: %w", err)
	}
	shardMin, _ := scanner.ParseSeverity(first.ReportMin)
	lowest := g.ReportMin
	if g.FailOn != scanner.SeverityUnset {
		lowest = min(lowest, g.FailOn)
	}
	if hidden > 0 && lowest < shardMin {
		return g, fmt.Errorf("the shards left out %d findings below report-min %s; rescan with a lower --report-min to gate or report below it", hidden, first.ReportMin)
	}
	return g, nil
}

// mergeReports combines the shards' documents into one report: what a
// single scan of all their files would have produced.
func mergeReports(docs []*jsonreport.Document, gate policy.Gate) *report.Report {
	res := &scanner.Result{StartedAt: docs[0].StartedAt, FinishedAt: docs[0].FinishedAt, Findings: []scanner.Finding{}, Errors: []scanner.FileError{}}
	files := map[string]bool{}
	hidden, disabled := 0, 0
	var suppressed []policy.Suppressed
	notes := make([][]policy.Note, len(docs))
	for i, d := range docs {
		res.StartedAt = minTime(res.StartedAt, d.StartedAt)
		if d.FinishedAt.After(res.FinishedAt) {
			res.FinishedAt = d.FinishedAt
		}
		for _, f := range d.Findings {
			res.Findings = append(res.Findings, f.Finding)
		}
		for _, f := range d.Files {
			// Files skipped by discovery appear in every shard: keep one.
			if !files[f.Path] {
				files[f.Path] = true
				res.Files = append(res.Files, f)
			}
		}
		res.Errors = append(res.Errors, d.Errors...)
		res.FilesSniffed += d.Summary.FilesSniffed
		hidden += d.Summary.NotReported
		disabled += d.Policy.Disabled
		for _, sp := range d.Suppressed {
			suppressed = append(suppressed, policy.Suppressed{Finding: sp.Finding, Kind: sp.Kind, Justification: sp.Justification, Expires: sp.Expires})
		}
		notes[i] = d.Policy.Notes
	}
	scanner.SortFindings(res.Findings)
	// A file's findings come from one shard, in order: sorting by file is enough.
	slices.SortStableFunc(suppressed, func(a, b policy.Suppressed) int { return cmp.Compare(a.Finding.Location.Path, b.Finding.Location.Path) })
	slices.SortStableFunc(res.Files, func(a, b scanner.FileStatus) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortStableFunc(res.Errors, func(a, b scanner.FileError) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Member, b.Member), cmp.Compare(a.Message, b.Message))
	})
	if res.Files == nil {
		res.Files = []scanner.FileStatus{}
	}
	d := policy.Evaluate(res, gate)
	d.Hidden += hidden
	d.Disabled = disabled
	d.Suppressed = append(d.Suppressed, suppressed...)
	d.BaselineUsed = docs[0].Policy.Baseline != ""
	d.Notes = append(d.Notes, mergeNotes(notes, func(n policy.Note) string { return fmt.Sprintf("%s:%d", n.File, n.Line) },
		func(n policy.Note) string { return n.Level + " " + n.Message })...)
	return &report.Report{Tool: docs[0].Tool, Result: res, Decision: d,
		ConfigPath: docs[0].Policy.Config, BaselinePath: docs[0].Policy.Baseline}
}

// mergeNotes joins the shards' policy notes (about the policy file, not
// about files). Each shard judged the whole policy file against its own
// files, so a note stands for the whole scan only where every shard has a
// note at that place of the policy file: a suppression stale in every
// shard is stale; one that matched in some shard is not. Where the shards
// disagree (an expired suppression that "counts again" in one shard and
// "matches no finding" in the others), the notes that say a shard matched
// nothing are dropped: another shard did match. Places keep the first
// shard's order.
//
// The policy package has no structured "matched nothing" flag on a note, so
// this recognises its wording (noMatch); a structured flag would be better.
// noMatch is how policy notes say a suppression matched no finding.
const noMatch = "matches no finding"

func mergeNotes[T any](shards [][]T, place, text func(T) string) []T {
	var out []T
	done := map[string]bool{}
	for _, n := range shards[0] {
		at := place(n)
		if done[at] {
			continue
		}
		done[at] = true
		byText, order := map[string]T{}, []string{}
		everywhere := true
		for _, notes := range shards {
			seen := map[string]bool{}
			for _, m := range notes {
				if place(m) != at || seen[text(m)] {
					continue
				}
				seen[text(m)] = true
				if _, ok := byText[text(m)]; !ok {
					order = append(order, text(m))
					byText[text(m)] = m
				}
			}
			everywhere = everywhere && len(seen) > 0
		}
		if !everywhere {
			continue
		}
		for _, t := range order {
			if len(order) == 1 || !strings.Contains(t, noMatch) {
				out = append(out, byText[t])
			}
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// mergeSARIF joins SARIF logs into one run and writes it to --output, or
// --sarif, or stdout. The exit code is the highest the shards recorded.
func (o *scanOptions) mergeSARIF(logs []*gosarif.Report, env Env) (int, error) {
	if o.format != "sarif" && o.format != "text" {
		return 0, fmt.Errorf("SARIF logs merge into SARIF only; merge the shards' JSON reports for --format %s: %w", o.format, errUsage)
	}
	merged, code, err := MergeSARIF(logs)
	if err != nil {
		return 0, err
	}
	path := cmp.Or(o.output, o.sarifFile)
	w, closeFn, err := openOutput(path, env.Stdout)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	if err = merged.PrettyWrite(&buf); err == nil {
		_, err = w.Write(buf.Bytes())
	}
	if cerr := closeFn(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("writing the merged SARIF%s: %w", destination(path), err)
	}
	return code, nil
}

// MergeSARIF joins the runs of modelgate SARIF logs (one analysis split
// into shards) into a log with one run, and returns the highest exit code
// the runs recorded.
func MergeSARIF(logs []*gosarif.Report) (*gosarif.Report, int, error) {
	var runs []*gosarif.Run
	for _, l := range logs {
		runs = append(runs, l.Runs...)
	}
	if len(runs) == 0 {
		return nil, 0, fmt.Errorf("the SARIF logs hold no runs")
	}
	base := runs[0]
	for _, r := range runs[1:] {
		if driverName(r) != driverName(base) || automationID(r) != automationID(base) {
			return nil, 0, fmt.Errorf("the SARIF runs come from different tools or categories (%s %s, %s %s)", driverName(base), automationID(base), driverName(r), automationID(r))
		}
	}
	out, tool, driver := *base, *base.Tool, *base.Tool.Driver
	tool.Driver, out.Tool = &driver, &tool
	driver.Rules = mergeRules(runs)
	out.Results = mergeResults(runs, driver.Rules)
	inv, code := mergeInvocations(runs)
	out.Invocations = []*gosarif.Invocation{inv}

	log := gosarif.NewReport()
	log.Schema = logs[0].Schema
	log.AddRun(&out)
	return log, code, nil
}

func driverName(r *gosarif.Run) string {
	if r.Tool == nil || r.Tool.Driver == nil {
		return ""
	}
	return deref(r.Tool.Driver.Name)
}

func automationID(r *gosarif.Run) string {
	if r.AutomationDetails == nil || r.AutomationDetails.ID == nil {
		return ""
	}
	return *r.AutomationDetails.ID
}

// mergeRules deduplicates the rules by ID, keeping the one with the highest
// security-severity (a rule's severity is its worst reported finding's),
// sorted by ID as a scan writes them.
func mergeRules(runs []*gosarif.Run) []*gosarif.ReportingDescriptor {
	byID := map[string]*gosarif.ReportingDescriptor{}
	for _, r := range runs {
		if r.Tool == nil || r.Tool.Driver == nil {
			continue
		}
		for _, rule := range r.Tool.Driver.Rules {
			id := deref(rule.ID)
			if prev, ok := byID[id]; !ok || securitySeverity(rule) > securitySeverity(prev) {
				byID[id] = rule
			}
		}
	}
	rules := make([]*gosarif.ReportingDescriptor, 0, len(byID))
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		rules = append(rules, byID[id])
	}
	return rules
}

func securitySeverity(r *gosarif.ReportingDescriptor) float64 {
	if r.Properties == nil {
		return 0
	}
	s, _ := r.Properties.Properties["security-severity"].(string)
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// mergeResults puts the results in the order of a full scan (by file; a
// file's results come from one shard, already in order) and points their
// rule indexes into the merged rules.
func mergeResults(runs []*gosarif.Run, rules []*gosarif.ReportingDescriptor) []*gosarif.Result {
	index := map[string]int{}
	for i, r := range rules {
		index[deref(r.ID)] = i
	}
	results := []*gosarif.Result{}
	for _, r := range runs {
		results = append(results, r.Results...)
	}
	// Reported results come first, then the suppressed ones, each by file.
	slices.SortStableFunc(results, func(a, b *gosarif.Result) int {
		return cmp.Or(cmp.Compare(min(len(a.Suppressions), 1), min(len(b.Suppressions), 1)), cmp.Compare(locationPath(a.Locations), locationPath(b.Locations)))
	})
	for _, res := range results {
		if i, ok := index[deref(res.RuleID)]; ok {
			res.RuleIndex = i
		}
	}
	return results
}

// mergeInvocations makes one invocation: successful if all were, the
// highest exit code, every notification in file order.
func mergeInvocations(runs []*gosarif.Run) (*gosarif.Invocation, int) {
	ok, code := true, 0
	notes := []*gosarif.Notification{}
	var config [][]*gosarif.Notification
	for _, r := range runs {
		var cfg []*gosarif.Notification
		for _, inv := range r.Invocations {
			ok = ok && (inv.ExecutionSuccessful == nil || *inv.ExecutionSuccessful)
			if inv.ExitCode != nil {
				code = max(code, *inv.ExitCode)
			}
			notes = append(notes, inv.ToolExecutionNotifications...)
			cfg = append(cfg, inv.ToolConfigurationNotifications...)
		}
		config = append(config, cfg)
	}
	slices.SortStableFunc(notes, func(a, b *gosarif.Notification) int {
		return cmp.Compare(locationPath(a.Locations), locationPath(b.Locations))
	})
	inv := gosarif.NewInvocation().WithExecutionSuccessful(ok).WithExitCode(code)
	inv.ToolExecutionNotifications = notes
	if merged := mergeNotes(config, notificationPlace, notificationText); len(merged) > 0 {
		inv.ToolConfigurationNotifications = merged
	}
	return inv, code
}

// notificationPlace is where a configuration notification points: the
// policy file and line.
func notificationPlace(n *gosarif.Notification) string {
	line := 0
	if len(n.Locations) > 0 && n.Locations[0].PhysicalLocation != nil && n.Locations[0].PhysicalLocation.Region != nil && n.Locations[0].PhysicalLocation.Region.StartLine != nil {
		line = *n.Locations[0].PhysicalLocation.Region.StartLine
	}
	return fmt.Sprintf("%s:%d", locationPath(n.Locations), line)
}

func notificationText(n *gosarif.Notification) string {
	text := ""
	if n.Message != nil {
		text = deref(n.Message.Text)
	}
	return n.Level + " " + text
}

// locationPath is the report path of the first location: the artifact
// URI unescaped, as the scan's own sort order sees it.
func locationPath(locs []*gosarif.Location) string {
	if len(locs) == 0 || locs[0].PhysicalLocation == nil || locs[0].PhysicalLocation.ArtifactLocation == nil {
		return ""
	}
	uri := deref(locs[0].PhysicalLocation.ArtifactLocation.URI)
	uri = strings.TrimPrefix(uri, "file://")
	if p, err := url.PathUnescape(uri); err == nil {
		return p
	}
	return uri
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
