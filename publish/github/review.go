package github

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/markdown"
	"github.com/modelgate/modelgate/scanner"
)

// lineSet is the set of new-file lines a review comment may target: the
// added and context lines of the file's diff hunks (side RIGHT).
type lineSet map[int]bool

// reviewStep posts one review with line comments for findings on lines the
// PR's diff shows, skipping those an earlier run already commented on. It
// returns the fingerprints it commented on.
func (p *Publisher) reviewStep(ctx context.Context, rep *report.Report, remembered []string) []string {
	cands := lineFindings(rep)
	if len(cands) == 0 {
		return nil // binary findings: the comment and summary carry them
	}
	head := p.run.PR.HeadSHA
	if !shaPattern.MatchString(head) {
		p.note("Review skipped: the event has no pull-request head SHA.")
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, reviewBudget)
	defer cancel()
	changed, err := p.changedLines(ctx)
	if err != nil {
		p.failure("Listing the pull request's files", err, p.writeFix(err))
		return nil
	}
	sel := selectComments(cands, changed, remembered, p.cfg.MaxReviewComments)
	if len(sel.comments) == 0 {
		if sel.outside > 0 {
			p.note(fmt.Sprintf("Review: %s with lines outside the diff: listed here only.", countOf(sel.outside, "finding")))
		}
		return nil
	}
	body := fmt.Sprintf("modelgate: %s on lines this pull request changes. The full report is in the modelgate comment and the job summary.", countOf(len(sel.comments), "finding"))
	_, _, err = p.client.PullRequests.CreateReview(ctx, p.run.Owner, p.run.Repo, p.run.PR.Number, &gh.PullRequestReviewRequest{
		CommitID: gh.String(head),
		Body:     gh.String(body),
		Event:    gh.String("COMMENT"),
		Comments: sel.comments,
	})
	if err != nil {
		p.failure("Posting the review", err, p.writeFix(err))
		return nil
	}
	p.note(sel.summary())
	return sel.fingerprints
}

// lineFindings are the reported findings with a line in a repository file
// (not inside an archive member), most severe first.
func lineFindings(rep *report.Report) []lineFinding {
	var out []lineFinding
	for i, f := range rep.Decision.Reported {
		if f.Location.StartLine > 0 && f.Location.Member == "" && !strings.HasPrefix(f.Location.Path, "/") {
			out = append(out, lineFinding{f: f, blocking: rep.Decision.Blocking[i]})
		}
	}
	slices.SortStableFunc(out, func(a, b lineFinding) int {
		return cmp.Or(compareBool(b.blocking, a.blocking), cmp.Compare(b.f.Severity, a.f.Severity))
	})
	return out
}

type lineFinding struct {
	f        scanner.Finding
	blocking bool
}

type selection struct {
	comments       []*gh.DraftReviewComment
	fingerprints   []string
	outside, known int
	capped         int
}

func (s selection) summary() string {
	msg := fmt.Sprintf("Review: %s on changed lines.", countOf(len(s.comments), "line comment"))
	if s.capped > 0 {
		msg += fmt.Sprintf(" %d more are listed here only (at most %d line comments per run).", s.capped, len(s.comments))
	}
	if s.outside > 0 {
		msg += fmt.Sprintf(" %s outside the diff: listed here only.", countOf(s.outside, "finding"))
	}
	return msg
}

// selectComments keeps findings whose line is in the diff and that were
// not commented before, up to max. Lines outside the diff would make
// GitHub reject the whole review (422), so they are never sent.
func selectComments(cands []lineFinding, changed map[string]lineSet, remembered []string, maxComments int) selection {
	var s selection
	for _, c := range cands {
		l := c.f.Location
		line := l.StartLine
		end := max(l.EndLine, line)
		if !changed[l.Path][line] {
			s.outside++
			continue
		}
		if slices.Contains(remembered, c.f.Fingerprint) {
			s.known++
			continue
		}
		if len(s.comments) == maxComments {
			s.capped++
			continue
		}
		dc := &gh.DraftReviewComment{Path: gh.String(l.Path), Side: gh.String("RIGHT"), Body: gh.String(commentText(c))}
		if end > line && spanInDiff(changed[l.Path], line, end) {
			dc.StartLine, dc.StartSide, dc.Line = gh.Int(line), gh.String("RIGHT"), gh.Int(end)
		} else {
			dc.Line = gh.Int(line)
		}
		s.comments = append(s.comments, dc)
		s.fingerprints = append(s.fingerprints, c.f.Fingerprint)
	}
	return s
}

// spanInDiff: a multi-line comment needs every line of its range in one hunk.
func spanInDiff(lines lineSet, from, to int) bool {
	for n := from; n <= to; n++ {
		if !lines[n] {
			return false
		}
	}
	return true
}

func commentText(c lineFinding) string {
	f := &c.f
	rule, _ := scanner.LookupRule(f.RuleID)
	title, fix := "", ""
	if rule != nil {
		title, fix = rule.Title, strings.Join(strings.Fields(rule.Remediation), " ")
	}
	mark := ""
	if c.blocking {
		mark = " ❌ blocking"
	}
	text := fmt.Sprintf("**%s**%s · %s %s\n\n%s", f.Severity, mark, f.RuleID, markdown.Text(title), markdown.Text(f.Message))
	if fix != "" {
		text += "\n\n**Fix.** " + fix
	}
	return text + "\n\n<sub>modelgate</sub>"
}

// changedLines lists the PR's files (up to GitHub's 3,000) and the lines
// of each that the diff shows. Files without a patch (binary, too large)
// and removed files have no commentable lines.
func (p *Publisher) changedLines(ctx context.Context) (map[string]lineSet, error) {
	out := map[string]lineSet{}
	opts := &gh.ListOptions{PerPage: 100}
	for range maxListPages {
		files, resp, err := p.client.PullRequests.ListFiles(ctx, p.run.Owner, p.run.Repo, p.run.PR.Number, opts)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.GetStatus() != "removed" && f.GetPatch() != "" {
				out[f.GetFilename()] = ParsePatch(f.GetPatch())
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

var hunkHeader = regexp.MustCompile(`^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@`)

// ParsePatch returns the new-file lines of a unified diff's hunks: added
// ("+") and context (" ") lines, the RIGHT side a review comment can use.
func ParsePatch(patch string) lineSet {
	lines := lineSet{}
	next := 0
	for _, l := range strings.Split(patch, "\n") {
		if m := hunkHeader.FindStringSubmatch(l); m != nil {
			next, _ = strconv.Atoi(m[1])
			continue
		}
		if next == 0 || l == "" {
			continue
		}
		switch l[0] {
		case '+', ' ':
			lines[next] = true
			next++
		case '-', '\\':
		default:
			next = 0 // not a diff line: stop until the next hunk
		}
	}
	return lines
}

// countOf renders "1 finding" or "2 findings".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
