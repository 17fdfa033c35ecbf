// Package markdown renders a report as GitHub-flavoured Markdown: the sticky
// pull-request comment and the job summary share it. It only renders; the
// publisher in publish/github decides where the text goes.
//
// The document has a head that is always kept (marker, verdict, counts,
// notes, skipped files and why), then sections in order of importance
// (blocking findings, findings per file, remediation, the skipped-file
// list, scan errors) and a footer. When it would exceed Options.MaxBytes,
// whole trailing units (a table row, one file's details) are dropped and a
// line says how much was cut.
//
// Everything taken from the scanned repository (paths, archive members,
// messages) is escaped: paths become code spans, messages have Markdown,
// HTML, autolinks and @mentions neutralised. Evidence is never included
// (it is in the SARIF); messages are clipped, so a whole prompt or a long
// metadata value never reaches a comment.
package markdown

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

// Options control the rendering.
type Options struct {
	// Marker, if set, is written first as a hidden HTML comment
	// ("<!-- modelgate:<Marker> -->") so that a publisher can find the
	// comment again.
	Marker string
	// Hidden lines are written as HTML comments after the marker, for
	// state a publisher keeps in its own comment.
	Hidden []string
	// BlobURL, if set, links files: BlobURL + "/" + path (+ "#L<line>"),
	// e.g. https://github.com/o/r/blob/<head sha>.
	BlobURL string
	// Notes are shown under the counts as a list (plain text, escaped):
	// what the publisher did or could not do.
	Notes []string
	// MaxBytes bounds the document (0: no bound). GitHub counts
	// characters; bytes are never fewer, so the bound is safe.
	MaxBytes int
	// Limit names the bound in the truncation line, e.g. "GitHub's
	// 65,536-character comment limit".
	Limit string
	// FullReport says where the untruncated report is, for the truncation
	// line, e.g. "the job summary and the SARIF file".
	FullReport string
}

// Limits per section: a huge archive must not crowd out the other files.
const (
	maxMessage        = 400
	maxFindingsInFile = 100
	maxListedSkipped  = 200
	maxListedErrors   = 100
)

// MarkerPrefix starts every marker comment.
const MarkerPrefix = "<!-- modelgate:"

// MarkerLine is the hidden first line written for Options.Marker.
func MarkerLine(marker string) string {
	return MarkerPrefix + commentSafe(marker) + " -->"
}

// Write renders the report.
func Write(w io.Writer, rep *report.Report, opt Options) error {
	_, err := io.WriteString(w, Render(rep, opt))
	return err
}

// Render returns the report as Markdown.
func Render(rep *report.Report, opt Options) string {
	r := &renderer{rep: rep, opt: opt}
	d := &document{}
	r.head(d)
	r.blocking(d)
	r.byFile(d)
	r.remediation(d)
	r.skippedList(d)
	r.scanErrors(d)
	r.footer(d)
	return d.assemble(opt)
}

type renderer struct {
	rep *report.Report
	opt Options
}

func (r *renderer) head(d *document) {
	if r.opt.Marker != "" {
		d.addHead(MarkerLine(r.opt.Marker) + "\n")
	}
	for _, h := range r.opt.Hidden {
		d.addHead("<!-- " + commentSafe(h) + " -->\n")
	}
	d.addHead(r.title() + "\n\n" + r.counts() + "\n")
	notes := slices.Clone(r.opt.Notes)
	for _, n := range r.rep.Decision.Notes {
		notes = append(notes, n.String())
	}
	if len(notes) > 0 {
		var b strings.Builder
		b.WriteString("\n")
		for _, n := range notes {
			b.WriteString("- " + Text(clip(n, 2*maxMessage)) + "\n")
		}
		d.addHead(b.String())
	}
	d.addHead(r.skippedSummary())
}

func (r *renderer) title() string {
	dec := &r.rep.Decision
	name := cmp.Or(r.rep.Tool.Name, "modelgate")
	failOn := policy.FailOnName(dec.Gate.FailOn)
	switch {
	case dec.Verdict == policy.VerdictFail:
		return fmt.Sprintf("### ❌ %s: **FAIL**: %s at or above `%s`", name, plural(dec.BlockingCount, "blocking finding"), failOn)
	case len(dec.Reported) == 0:
		return fmt.Sprintf("### ✅ %s: **PASS**: no findings", name)
	case dec.Gate.FailOn == scanner.SeverityUnset:
		return fmt.Sprintf("### ✅ %s: **PASS** (fail-on `none`): %s", name, plural(len(dec.Reported), "finding"))
	}
	return fmt.Sprintf("### ✅ %s: **PASS**: nothing at or above `%s`", name, failOn)
}

func (r *renderer) counts() string {
	dec, res := &r.rep.Decision, r.rep.Result
	var b strings.Builder
	if len(dec.Reported) == 0 {
		b.WriteString("Nothing to report")
		if dec.Hidden > 0 {
			fmt.Fprintf(&b, " at or above report-min `%s` (%d below it not shown)", dec.Gate.ReportMin, dec.Hidden)
		}
		b.WriteString(".")
	} else {
		counts := dec.CountBySeverity()
		parts := make([]string, 0, len(scanner.Severities))
		for _, s := range scanner.Severities {
			parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
		}
		fmt.Fprintf(&b, "**%s**: %s", plural(len(dec.Reported), "finding"), strings.Join(parts, " · "))
		if dec.Hidden > 0 {
			fmt.Fprintf(&b, " (%d below report-min `%s` not shown)", dec.Hidden, dec.Gate.ReportMin)
		}
	}
	if n := len(dec.Suppressed); n > 0 {
		fmt.Fprintf(&b, "<br>\n**Suppressed**: %d (%d by the policy file, %d in the baseline)", n,
			dec.SuppressedCount(policy.KindConfig), dec.SuppressedCount(policy.KindBaseline))
	}
	scanned, skipped := res.FileCounts()
	fmt.Fprintf(&b, "<br>\n**Files**: %d scanned · %d skipped", sum(scanned), sum(skipped))
	if res.FilesSniffed > 0 {
		fmt.Fprintf(&b, " · %d other checked by content, not models", res.FilesSniffed)
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(&b, " · %s", plural(len(res.Errors), "scan error"))
	}
	return b.String()
}

// skippedSummary says what was not scanned and why, with the fix for LFS
// pointers. It is short (one row per reason) and always kept.
func (r *renderer) skippedSummary() string {
	_, skipped := r.rep.Result.FileCounts()
	if len(skipped) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n#### Not scanned\n\n| Reason | Files |\n| --- | ---: |\n")
	reasons := slices.Sorted(maps.Keys(skipped))
	for _, reason := range reasons {
		fmt.Fprintf(&b, "| %s | %d |\n", Text(reason), skipped[reason])
	}
	if n := skipped[scanner.SkipReasonLFS]; n > 0 {
		what := fmt.Sprintf("%d files are Git LFS pointers", n)
		if n == 1 {
			what = "1 file is a Git LFS pointer"
		}
		fmt.Fprintf(&b, "\n> [!WARNING]\n> %s: the model content was not checked out, so it was not scanned. "+
			"Fetch LFS content first (`actions/checkout` with `lfs: true`).\n", what)
	}
	return b.String()
}

func (r *renderer) blocking(d *document) {
	dec := &r.rep.Decision
	if dec.BlockingCount == 0 {
		return
	}
	header := fmt.Sprintf("\n#### Blocking findings (%d)\n\n| Severity | Rule | Location | Finding |\n| --- | --- | --- | --- |\n", dec.BlockingCount)
	var idx []int
	for i := range dec.Reported {
		if dec.Blocking[i] {
			idx = append(idx, i)
		}
	}
	// Most severe first; report order (path, position) within a severity.
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(dec.Reported[b].Severity, dec.Reported[a].Severity) })
	for n, i := range idx {
		f := &dec.Reported[i]
		rule := report.RuleFor(f)
		row := fmt.Sprintf("| **%s** | %s %s | %s | %s |\n", f.Severity, f.RuleID, Text(rule.Title),
			r.location(f, true), Text(clip(f.Message, maxMessage)))
		if n == 0 {
			row = header + row
		}
		d.add(row, "blocking-table row")
	}
}

// location renders path (linked), member, line or byte offset.
func (r *renderer) location(f *scanner.Finding, inTable bool) string {
	l := f.Location
	s := r.fileLink(l.Path, l.StartLine, inTable)
	if l.Member != "" {
		s += " › " + Code(l.Member, inTable)
	}
	switch {
	case l.StartLine > 0:
		s += fmt.Sprintf(" line %d", l.StartLine)
	case l.ByteOffset != nil:
		s += fmt.Sprintf(" at byte %d", *l.ByteOffset)
	}
	return s
}

func (r *renderer) fileLink(path string, line int, inTable bool) string {
	code := Code(path, inTable)
	u := pathURL(path)
	if r.opt.BlobURL == "" || u == "" {
		return code
	}
	u = strings.TrimSuffix(r.opt.BlobURL, "/") + "/" + u
	if line > 0 {
		u += fmt.Sprintf("#L%d", line)
	}
	return "[" + code + "](" + u + ")"
}

func (r *renderer) byFile(d *document) {
	dec := &r.rep.Decision
	if len(dec.Reported) == 0 {
		return
	}
	groups := map[string][]int{}
	var paths []string
	for i, f := range dec.Reported {
		if _, ok := groups[f.Location.Path]; !ok {
			paths = append(paths, f.Location.Path)
		}
		groups[f.Location.Path] = append(groups[f.Location.Path], i)
	}
	slices.Sort(paths)
	heading := fmt.Sprintf("\n#### Findings by file (%d)\n", len(paths))
	for i, p := range paths {
		unit := r.fileDetails(p, groups[p])
		if i == 0 {
			unit = heading + unit
		}
		d.add(unit, "file section")
	}
}

func (r *renderer) fileDetails(path string, idx []int) string {
	dec := &r.rep.Decision
	blocking := 0
	for _, i := range idx {
		if dec.Blocking[i] {
			blocking++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n<details><summary>%s: %s", HTMLCode(path), plural(len(idx), "finding"))
	if blocking > 0 {
		fmt.Fprintf(&b, ", %d blocking", blocking)
	}
	b.WriteString("</summary>\n\n")
	for n, i := range idx {
		if n == maxFindingsInFile {
			fmt.Fprintf(&b, "- … and %d more in this file (all are in the SARIF file)\n", len(idx)-n)
			break
		}
		b.WriteString(r.findingItem(&dec.Reported[i], dec.Blocking[i]))
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

func (r *renderer) findingItem(f *scanner.Finding, blocking bool) string {
	mark := ""
	if blocking {
		mark = " ❌"
	}
	where := ""
	if l := f.Location; l.Member != "" || l.StartLine > 0 || l.ByteOffset != nil {
		where = " — " + strings.TrimPrefix(strings.TrimPrefix(r.locationInFile(f), " "), "› ")
	}
	return fmt.Sprintf("- **%s**%s %s %s%s: %s\n", f.Severity, mark, f.RuleID, Text(report.RuleFor(f).Title),
		where, Text(clip(f.Message, maxMessage)))
}

// locationInFile is location without the path, for the per-file list.
func (r *renderer) locationInFile(f *scanner.Finding) string {
	l := f.Location
	var parts []string
	if l.Member != "" {
		parts = append(parts, Code(l.Member, false))
	}
	switch {
	case l.StartLine > 0 && r.opt.BlobURL != "" && pathURL(l.Path) != "":
		parts = append(parts, fmt.Sprintf("[line %d](%s/%s#L%d)", l.StartLine, strings.TrimSuffix(r.opt.BlobURL, "/"), pathURL(l.Path), l.StartLine))
	case l.StartLine > 0:
		parts = append(parts, fmt.Sprintf("line %d", l.StartLine))
	case l.ByteOffset != nil:
		parts = append(parts, fmt.Sprintf("at byte %d", *l.ByteOffset))
	}
	return strings.Join(parts, " ")
}

func (r *renderer) remediation(d *document) {
	dec := &r.rep.Decision
	seen := map[string]bool{}
	var ids []string
	for _, f := range dec.Reported {
		if !seen[f.RuleID] {
			seen[f.RuleID] = true
			ids = append(ids, f.RuleID)
		}
	}
	slices.Sort(ids)
	for i, id := range ids {
		rule, ok := scanner.LookupRule(id)
		if !ok {
			continue
		}
		// Rule text is the project's own catalogue, not repository content.
		unit := fmt.Sprintf("- **%s** %s: %s\n", id, rule.Title, oneLine(rule.Remediation))
		if i == 0 {
			unit = "\n#### How to fix\n\n" + unit
		}
		d.add(unit, "remediation line")
	}
}

func (r *renderer) skippedList(d *document) {
	var files []scanner.FileStatus
	for _, f := range r.rep.Result.Files {
		if f.Status == scanner.StatusSkipped {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n<details><summary>Skipped files (%d)</summary>\n\n", len(files))
	for i, f := range files {
		if i == maxListedSkipped {
			fmt.Fprintf(&b, "- … and %d more\n", len(files)-i)
			break
		}
		fmt.Fprintf(&b, "- %s: %s\n", Code(f.Path, false), Text(f.Reason))
	}
	b.WriteString("\n</details>\n")
	d.add(b.String(), "skipped-file list")
}

func (r *renderer) scanErrors(d *document) {
	errs := r.rep.Result.Errors
	if len(errs) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n<details><summary>Scan errors (%d): these files were not fully analysed</summary>\n\n", len(errs))
	for i, e := range errs {
		if i == maxListedErrors {
			fmt.Fprintf(&b, "- … and %d more\n", len(errs)-i)
			break
		}
		where := Code(e.Path, false)
		if e.Member != "" {
			where += " › " + Code(e.Member, false)
		}
		fmt.Fprintf(&b, "- %s: %s\n", where, Text(clip(e.Message, maxMessage)))
	}
	b.WriteString("\n</details>\n")
	d.add(b.String(), "scan-error list")
}

func (r *renderer) footer(d *document) {
	t, dec := r.rep.Tool, &r.rep.Decision
	name := cmp.Or(t.Name, "modelgate")
	if t.InformationURI != "" {
		name = "[" + name + "](" + t.InformationURI + ")"
	}
	d.tail = fmt.Sprintf("\n<sub>%s %s · fail-on `%s` · report-min `%s` · category `%s`</sub>\n", name, Text(t.Version),
		policy.FailOnName(dec.Gate.FailOn), dec.Gate.ReportMin, commentSafe(cmp.Or(r.rep.Category, report.DefaultCategory)))
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// plural renders "1 finding" or "2 findings".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func sum[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
