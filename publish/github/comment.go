package github

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/markdown"
)

// GitHub rejects comment bodies over 65,536 characters (422).
const maxCommentChars = 65536

// maxListPages bounds paging through a PR's comments (100 per page).
const maxListPages = 30

// maxRemembered bounds the fingerprints of review comments kept in the
// sticky comment, so that reruns do not repeat line comments.
const maxRemembered = 300

const reviewedPrefix = "modelgate-reviewed:"

var reviewedPattern = regexp.MustCompile(`<!-- ` + regexp.QuoteMeta(reviewedPrefix) + `([0-9a-f:,]*) -->`)

// pullRequestSteps posts the review and the sticky comment; it returns the
// comment's URL.
func (p *Publisher) pullRequestSteps(ctx context.Context, rep *report.Report) string {
	if p.run.PR == nil {
		return ""
	}
	wantComment := p.cfg.Comment != CommentNever
	var existing *gh.IssueComment
	var remembered []string
	if wantComment {
		var err error
		if existing, err = p.findComment(ctx, rep); err != nil {
			// Without knowing whether our comment exists, creating one could
			// duplicate it, and reviewing could repeat line comments.
			p.failure("Reading the pull request's comments", err, p.writeFix(err))
			return ""
		}
		remembered = reviewedFingerprints(existing)
	}
	if p.cfg.Annotations {
		remembered = append(remembered, p.reviewStep(ctx, rep, remembered)...)
	}
	if !wantComment {
		return ""
	}
	return p.commentStep(ctx, rep, existing, remembered)
}

func (p *Publisher) marker(rep *report.Report) string {
	return markdown.MarkerLine(category(rep))
}

func category(rep *report.Report) string {
	if rep.Category == "" {
		return report.DefaultCategory
	}
	return rep.Category
}

// findComment returns this category's sticky comment: the first comment
// whose body starts with our marker (a quote of it starts with "> ").
func (p *Publisher) findComment(ctx context.Context, rep *report.Report) (*gh.IssueComment, error) {
	ctx, cancel := context.WithTimeout(ctx, commentBudget)
	defer cancel()
	marker := p.marker(rep)
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for range maxListPages {
		comments, resp, err := p.client.Issues.ListComments(ctx, p.run.Owner, p.run.Repo, p.run.PR.Number, opts)
		if err != nil {
			return nil, err
		}
		for _, c := range comments {
			if strings.HasPrefix(c.GetBody(), marker) {
				return c, nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return nil, nil
}

// reviewedFingerprints reads the fingerprints our earlier reviews covered.
func reviewedFingerprints(c *gh.IssueComment) []string {
	if c == nil {
		return nil
	}
	m := reviewedPattern.FindStringSubmatch(c.GetBody())
	if m == nil || m[1] == "" {
		return nil
	}
	return strings.Split(m[1], ",")
}

// commentStep creates the sticky comment or edits it in place.
func (p *Publisher) commentStep(ctx context.Context, rep *report.Report, existing *gh.IssueComment, remembered []string) string {
	if existing == nil && p.cfg.Comment == CommentOnPR && !worthComment(rep) {
		p.log.info("modelgate: nothing to report, so no pull-request comment (comment: always posts one anyway)")
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, commentBudget)
	defer cancel()
	body := p.commentBody(rep, remembered)
	if existing != nil {
		if existing.GetBody() == body {
			return existing.GetHTMLURL()
		}
		c, _, err := p.client.Issues.EditComment(ctx, p.run.Owner, p.run.Repo, existing.GetID(), &gh.IssueComment{Body: gh.String(body)})
		if err != nil {
			p.failure("Updating the pull-request comment", err, p.writeFix(err))
			return existing.GetHTMLURL()
		}
		p.log.info("modelgate: pull-request comment updated: %s", c.GetHTMLURL())
		p.note("Pull-request comment updated: " + c.GetHTMLURL())
		return c.GetHTMLURL()
	}
	c, _, err := p.client.Issues.CreateComment(ctx, p.run.Owner, p.run.Repo, p.run.PR.Number, &gh.IssueComment{Body: gh.String(body)})
	if err != nil {
		p.failure("Posting the pull-request comment", err, p.writeFix(err))
		return ""
	}
	p.log.info("modelgate: pull-request comment posted: %s", c.GetHTMLURL())
	p.note("Pull-request comment posted: " + c.GetHTMLURL())
	return c.GetHTMLURL()
}

// worthComment: findings, skipped files or scan errors.
func worthComment(rep *report.Report) bool {
	if len(rep.Decision.Reported) > 0 || len(rep.Result.Errors) > 0 {
		return true
	}
	_, skipped := rep.Result.FileCounts()
	return len(skipped) > 0
}

func (p *Publisher) commentBody(rep *report.Report, remembered []string) string {
	slices.Sort(remembered)
	remembered = slices.Compact(remembered)
	if len(remembered) > maxRemembered {
		remembered = remembered[len(remembered)-maxRemembered:]
	}
	opt := p.markdownOptions(maxCommentChars, "GitHub's 65,536-character comment limit")
	opt.Marker = category(rep)
	if len(remembered) > 0 {
		opt.Hidden = []string{reviewedPrefix + strings.Join(remembered, ",")}
	}
	return p.log.redact(markdown.Render(rep, opt))
}

// markdownOptions are shared by the comment and the summary.
func (p *Publisher) markdownOptions(maxBytes int, limit string) markdown.Options {
	opt := markdown.Options{Notes: p.notes, MaxBytes: maxBytes, Limit: limit, FullReport: "the SARIF file"}
	if p.run != nil {
		opt.BlobURL = p.run.BlobURL()
		if p.run.RunURL != "" {
			opt.FullReport = fmt.Sprintf("the [job summary](%s) and the SARIF file", p.run.RunURL)
		}
	}
	return opt
}
