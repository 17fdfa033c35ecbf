// Package github publishes a modelgate report to GitHub from an Actions
// run: the code-scanning SARIF upload (with processing status), one sticky
// pull-request comment, one review with line comments inside the diff,
// workflow-command annotations and the job summary.
//
// It has side effects only: the Markdown comes from report/markdown and the
// SARIF from package sarif. Nothing here changes the gate's verdict: every
// failure becomes a warning (with the fix when there is one) and a note in
// the job summary, and the caller exits with the policy's code.
//
// Network calls use go-github v60 over an injected *http.Client whose
// transport adds per-attempt timeouts and the retry policy described in
// transport.go; the API base is GITHUB_API_URL, so GitHub Enterprise Server
// works unchanged. Without a token or outside Actions no request is sent.
package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/modelgate/modelgate/internal/version"
	"github.com/modelgate/modelgate/report"
)

// Comment modes.
const (
	// CommentOnPR comments on pull requests when there is something to
	// report, and keeps an existing comment up to date on every run (so
	// it says so when a later run is clean).
	CommentOnPR = "on-pr"
	// CommentAlways comments on every pull-request run, clean or not.
	CommentAlways = "always"
	// CommentNever posts no comment.
	CommentNever = "never"
)

// CommentModes lists the valid comment modes.
var CommentModes = []string{CommentOnPR, CommentAlways, CommentNever}

// Config is what the Action's inputs ask for.
type Config struct {
	// Token authenticates API calls; "" skips them all (one notice).
	Token       string
	UploadSARIF bool
	Comment     string
	// Annotations enables review line comments and workflow-command
	// annotations.
	Annotations bool
	Summary     bool
	// HTTPClient is used for API calls (nil: a default client). Its
	// transport is wrapped with the retry policy.
	HTTPClient *http.Client
	// Retry overrides DefaultRetryPolicy (zero value: the default).
	Retry RetryPolicy
	// PollDelays are the waits between SARIF processing checks (nil:
	// DefaultPollDelays).
	PollDelays []time.Duration
	// MaxReviewComments caps the line comments of one review (0: 20).
	MaxReviewComments int
}

// Step time budgets: every network step ends by these, retries included.
const (
	uploadBudget  = 4 * time.Minute
	commentBudget = 2 * time.Minute
	reviewBudget  = 2 * time.Minute
)

// Outcome is what publishing produced, for step outputs.
type Outcome struct {
	SARIFID    string
	CommentURL string
}

// Publisher publishes one report.
type Publisher struct {
	cfg    Config
	run    *Run
	gha    *githubactions.Action
	getenv func(string) string
	client *gh.Client
	log    *logger
	// notes are what happened, for the comment and the job summary.
	notes []string
}

// New returns a publisher. run may be nil when the GitHub context is
// incomplete; API steps are then skipped.
func New(cfg Config, run *Run, gha *githubactions.Action, getenv func(string) string) *Publisher {
	cfg.Retry = cfg.Retry.withDefaults()
	if cfg.MaxReviewComments == 0 {
		cfg.MaxReviewComments = 20
	}
	if cfg.Comment == "" {
		cfg.Comment = CommentOnPR
	}
	p := &Publisher{cfg: cfg, run: run, gha: gha, getenv: getenv, log: &logger{gha: gha, secret: cfg.Token}}
	return p
}

// Publish runs every enabled step in order: SARIF upload, review and
// comment, annotations, job summary. It never fails: problems are logged
// as warnings and listed in the summary.
func (p *Publisher) Publish(ctx context.Context, rep *report.Report) Outcome {
	var out Outcome
	if p.networkReady() {
		out.SARIFID = p.uploadStep(ctx, rep)
		out.CommentURL = p.pullRequestSteps(ctx, rep)
	}
	if p.cfg.Annotations {
		p.annotate(rep)
	}
	if p.cfg.Summary {
		p.writeSummary(rep)
	}
	return out
}

// networkReady says whether API steps can run, with one notice when some
// are wanted but cannot.
func (p *Publisher) networkReady() bool {
	wanted := p.cfg.UploadSARIF || p.cfg.Comment != CommentNever || p.cfg.Annotations
	if !wanted {
		return false
	}
	var why string
	switch {
	case p.cfg.Token == "":
		why = "no token (set the github-token input; it defaults to ${{ github.token }})"
	case p.run == nil:
		why = "the GitHub context is incomplete (GITHUB_REPOSITORY is not set)"
	}
	if why != "" {
		p.log.notice("GitHub API steps (code-scanning upload, PR comment, review) skipped: %s. The SARIF file, annotations and job summary are still written.", why)
		p.note("GitHub API steps skipped: " + why + ".")
		return false
	}
	client, err := newClient(p.cfg.HTTPClient, p.cfg.Retry, p.run.APIURL, p.cfg.Token)
	if err != nil {
		p.log.warning("GitHub API steps skipped: %v", err)
		p.note(fmt.Sprintf("GitHub API steps skipped: %v.", err))
		return false
	}
	p.client = client
	return true
}

// newClient builds a go-github client for apiURL (GITHUB_API_URL, which on
// GHES already ends in /api/v3) with the retry transport underneath.
func newClient(hc *http.Client, policy RetryPolicy, apiURL, token string) (*gh.Client, error) {
	base, err := url.Parse(apiURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL", apiURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	client := gh.NewClient(NewRetryClient(hc, policy)).WithAuthToken(token)
	client.BaseURL = base
	client.UserAgent = version.Name + "/" + version.Version
	return client, nil
}

// note records what happened for the comment and the summary.
func (p *Publisher) note(s string) {
	p.notes = append(p.notes, p.log.redact(s))
}

// logger writes workflow commands, counts them per level (GitHub shows at
// most 10 of each per step) and never prints the token.
type logger struct {
	gha    *githubactions.Action
	secret string
	counts map[string]int
}

func (l *logger) redact(s string) string {
	if l.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, l.secret, "***")
}

func (l *logger) count(level string) {
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	l.counts[level]++
}

func (l *logger) used(level string) int { return l.counts[level] }

func (l *logger) warning(format string, args ...any) {
	l.count("warning")
	l.gha.Warningf("%s", l.redact(fmt.Sprintf(format, args...)))
}

func (l *logger) notice(format string, args ...any) {
	l.count("notice")
	l.gha.Noticef("%s", l.redact(fmt.Sprintf(format, args...)))
}

func (l *logger) info(format string, args ...any) {
	l.gha.Infof("%s", l.redact(fmt.Sprintf(format, args...)))
}
