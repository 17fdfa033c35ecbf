package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// statusOf returns the HTTP status of an API error, 0 for transport errors.
func statusOf(err error) int {
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &er) && er.Response != nil:
		return er.Response.StatusCode
	case errors.As(err, &rl) && rl.Response != nil:
		return rl.Response.StatusCode
	case errors.As(err, &ab) && ab.Response != nil:
		return ab.Response.StatusCode
	}
	return 0
}

// describe renders an API error for people: the status, GitHub's message
// and its validation errors; never a URL with credentials or the token.
func describe(err error) string {
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.As(err, &rl):
		return fmt.Sprintf("rate limited (HTTP %d) until %s", statusOf(err), rl.Rate.Reset.UTC().Format(time.RFC3339))
	case errors.As(err, &ab):
		return fmt.Sprintf("secondary rate limit (HTTP %d): %s", statusOf(err), strings.TrimRight(ab.Message, ". "))
	case errors.As(err, &er) && er.Response != nil:
		msg := fmt.Sprintf("HTTP %d", er.Response.StatusCode)
		if rateLimited(err) {
			msg = fmt.Sprintf("rate limited (HTTP %d)", er.Response.StatusCode)
		}
		if m := strings.TrimRight(er.Message, ". "); m != "" {
			msg += ": " + m
		}
		var details []string
		for _, e := range er.Errors {
			details = append(details, strings.TrimSpace(strings.Join(nonEmpty(e.Message, e.Field, e.Code), " ")))
		}
		if len(details) > 0 {
			msg += " (" + strings.Join(details, "; ") + ")"
		}
		return msg
	}
	return err.Error()
}

// rateLimited: GitHub refused the request for rate limiting (the retry
// transport already waited where it could).
func rateLimited(err error) bool {
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	switch {
	case errors.As(err, &rl), errors.As(err, &ab):
		return true
	case errors.As(err, &er) && er.Response != nil:
		return er.Response.StatusCode == http.StatusTooManyRequests ||
			(er.Response.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(er.Message), "rate limit"))
	}
	return false
}

const rateLimitFix = "GitHub rate-limited this token; rerun the job later"

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// uploadFix says how to make a failed SARIF upload work.
func (p *Publisher) uploadFix(err error) string {
	status := statusOf(err)
	msg := strings.ToLower(describe(err))
	switch {
	case rateLimited(err):
		return rateLimitFix
	case status == http.StatusForbidden && p.run.PR != nil && p.run.PR.Fork:
		return "pull requests from forks get a read-only token, so this run cannot upload. " +
			"The SARIF file was still written: chain github/codeql-action/upload-sarif@v3 with `if: always()` and " +
			"`sarif_file: ${{ steps.<id>.outputs.sarif-file }}`, which can upload for forks, or set upload-sarif: false"
	case status == http.StatusForbidden && (strings.Contains(msg, "advanced security") || strings.Contains(msg, "code security") || strings.Contains(msg, "archived")):
		return "code scanning is not available for this repository: enable GitHub Advanced Security / Code Security " +
			"(Settings › Code security) on a private repository, or set upload-sarif: false"
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		return "give the job `permissions: security-events: write` (a personal access token needs the " +
			"security_events scope), or set upload-sarif: false. The SARIF file was still written: " +
			"github/codeql-action/upload-sarif@v3 can upload it in a later step"
	case status == http.StatusNotFound:
		return "the repository was not found for this token, or this GitHub Enterprise Server has no code scanning; " +
			"check GITHUB_API_URL and the token, or set upload-sarif: false"
	case status == http.StatusRequestEntityTooLarge:
		return "the SARIF is over GitHub's size limit even after truncation: narrow the scan (exclude) or raise report-min"
	}
	return ""
}

// writeFix says how to make a failed comment or review work.
func (p *Publisher) writeFix(err error) string {
	status := statusOf(err)
	switch {
	case rateLimited(err):
		return rateLimitFix
	case status == http.StatusForbidden && p.run.PR != nil && p.run.PR.Fork:
		return "pull requests from forks get a read-only token on pull_request events, so nothing can be posted; " +
			"the job summary has the full report (a workflow_run workflow can post it with a write token)"
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		return "give the job `permissions: pull-requests: write` (or set comment: never / annotations: false)"
	}
	return ""
}

// failure logs a failed step as a warning and a note, with its fix.
func (p *Publisher) failure(step string, err error, fix string) {
	msg := fmt.Sprintf("%s failed: %s", step, describe(err))
	if fix != "" {
		msg += ". Fix: " + fix
	}
	p.log.warning("%s. The gate's verdict is unaffected.", msg)
	p.note(msg + ".")
}
