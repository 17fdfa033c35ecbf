package github_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/publish/github/githubtest"
)

// TestFailurePathsDegrade: every 4xx/5xx path warns (with the fix when
// there is one), keeps the other steps going and never panics.
func TestFailurePathsDegrade(t *testing.T) {
	for _, tt := range []struct {
		name   string
		fork   bool
		op     string
		faults []githubtest.Fault
		// want are substrings of stdout; counts are requests per operation.
		want   []string
		counts map[string]int
		// commented says whether the sticky comment exists afterwards.
		commented bool
	}{
		{
			name: "upload 403 on a fork PR", fork: true, op: githubtest.OpUploadSARIF, faults: []githubtest.Fault{githubtest.Forbidden},
			want:      []string{"::warning::Code-scanning upload failed: HTTP 403: Resource not accessible by integration. Fix: pull requests from forks", "github/codeql-action/upload-sarif@v3"},
			counts:    map[string]int{githubtest.OpUploadSARIF: 1, githubtest.OpGetSARIF: 0},
			commented: true,
		},
		{
			name: "upload 403 without security-events permission", op: githubtest.OpUploadSARIF, faults: []githubtest.Fault{githubtest.Forbidden},
			want:      []string{"Fix: give the job `permissions: security-events: write`"},
			commented: true,
		},
		{
			name: "upload 403 with Advanced Security off", op: githubtest.OpUploadSARIF,
			faults:    []githubtest.Fault{{Status: 403, Message: "Advanced Security must be enabled for this repository to use code scanning."}},
			want:      []string{"Fix: code scanning is not available for this repository: enable GitHub Advanced Security"},
			commented: true,
		},
		{
			name: "upload 404", op: githubtest.OpUploadSARIF, faults: []githubtest.Fault{{Status: 404}},
			want: []string{"HTTP 404: Not Found. Fix: the repository was not found for this token"}, commented: true,
		},
		{
			name: "upload 413", op: githubtest.OpUploadSARIF, faults: []githubtest.Fault{{Status: 413}},
			want: []string{"HTTP 413", "over GitHub's size limit"}, commented: true,
		},
		{
			name: "upload 503 is retried: nothing was accepted", op: githubtest.OpUploadSARIF,
			faults: []githubtest.Fault{{Status: 503}, {Status: 502}},
			counts: map[string]int{githubtest.OpUploadSARIF: 3}, commented: true,
		},
		{
			name: "upload 429 waits for Retry-After", op: githubtest.OpUploadSARIF, faults: []githubtest.Fault{githubtest.RateLimited(7)},
			counts: map[string]int{githubtest.OpUploadSARIF: 2}, commented: true,
		},
		{
			name: "status check 500 is retried", op: githubtest.OpGetSARIF, faults: []githubtest.Fault{{Status: 500}},
			counts: map[string]int{githubtest.OpGetSARIF: 3}, commented: true,
		},
		{
			name: "status check 404 right after upload keeps polling", op: githubtest.OpGetSARIF, faults: []githubtest.Fault{{Status: 404}},
			counts: map[string]int{githubtest.OpGetSARIF: 3}, commented: true,
		},
		{
			name: "comment list 429 is retried", op: githubtest.OpListComments, faults: []githubtest.Fault{githubtest.RateLimited(3)},
			counts: map[string]int{githubtest.OpListComments: 2}, commented: true,
		},
		{
			name: "comment list 403 on a fork: no comment, no review", fork: true, op: githubtest.OpListComments, faults: []githubtest.Fault{githubtest.Forbidden},
			want:   []string{"Reading the pull request's comments failed: HTTP 403", "Fix: pull requests from forks get a read-only token"},
			counts: map[string]int{githubtest.OpCreateComment: 0, githubtest.OpCreateReview: 0},
		},
		{
			name: "comment create 502 is not retried", op: githubtest.OpCreateComment, faults: []githubtest.Fault{{Status: 502}},
			want:   []string{"Posting the pull-request comment failed: HTTP 502"},
			counts: map[string]int{githubtest.OpCreateComment: 1},
		},
		{
			name: "comment create 403", op: githubtest.OpCreateComment, faults: []githubtest.Fault{githubtest.Forbidden},
			want: []string{"Fix: give the job `permissions: pull-requests: write`"},
		},
		{
			name: "comment create 429 is retried: the limiter rejected it", op: githubtest.OpCreateComment, faults: []githubtest.Fault{githubtest.RateLimited(1)},
			counts: map[string]int{githubtest.OpCreateComment: 2}, commented: true,
		},
		{
			name: "comment create 422", op: githubtest.OpCreateComment, faults: []githubtest.Fault{{Status: 422, Message: "Validation Failed"}},
			want: []string{"HTTP 422: Validation Failed"},
		},
		{
			name: "files list 500 twice then fine", op: githubtest.OpListFiles, faults: []githubtest.Fault{{Status: 500}, {Status: 503}},
			counts: map[string]int{githubtest.OpListFiles: 3, githubtest.OpCreateReview: 1}, commented: true,
		},
		{
			name: "review 422", op: githubtest.OpCreateReview, faults: []githubtest.Fault{{Status: 422, Message: "Unprocessable Entity"}},
			want:   []string{"Posting the review failed: HTTP 422"},
			counts: map[string]int{githubtest.OpCreateReview: 1}, commented: true,
		},
		{
			name: "review 500 is not retried", op: githubtest.OpCreateReview, faults: []githubtest.Fault{{Status: 500}},
			counts: map[string]int{githubtest.OpCreateReview: 1}, commented: true,
		},
		{
			name: "secondary rate limit longer than we wait", op: githubtest.OpCreateComment,
			faults: []githubtest.Fault{{Status: 403, Header: map[string]string{"Retry-After": "3600"}, Message: "You have exceeded a secondary rate limit."}},
			want:   []string{"Posting the pull-request comment failed: secondary rate limit"},
			counts: map[string]int{githubtest.OpCreateComment: 1},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.srv.Fail(tt.op, tt.faults...)
			run := prRun(h.srv.URL)
			run.PR.Fork = tt.fork
			h.publish(h.config(), run, lineReport())
			out := h.stdout.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for op, n := range tt.counts {
				if got := h.srv.Count(op); got != n {
					t.Errorf("%d %s requests, want %d", got, op, n)
				}
			}
			if got := len(h.srv.Comments(prNumber)) == 1; got != tt.commented {
				t.Errorf("comment exists: %v, want %v", got, tt.commented)
			}
			if !strings.Contains(h.readSummary(), "**FAIL**") {
				t.Error("the job summary lacks the verdict")
			}
			if len(tt.want) > 0 && !strings.Contains(h.readSummary(), "failed") {
				t.Error("the job summary does not mention the failure")
			}
			h.assertNoToken()
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	h := newHarness(t)
	h.srv.Fail(githubtest.OpListComments, githubtest.RateLimited(7))
	h.publish(h.config(), prRun(h.srv.URL), lineReport())
	found := false
	for _, d := range h.sleeps {
		found = found || d == 7*time.Second
	}
	if !found {
		t.Errorf("sleeps %v lack the 7s Retry-After", h.sleeps)
	}
}

func TestProcessingFailureSurfacesGitHubErrors(t *testing.T) {
	h := newHarness(t)
	h.srv.Statuses = []string{"pending", "failed"}
	h.srv.ProcessingErrors = []string{"locationFromSarifResult: expected artifact location", "too many results"}
	h.publish(h.config(), prRun(h.srv.URL), lineReport())
	if !strings.Contains(h.stdout.String(), "::warning::Code scanning could not process the SARIF upload 47177e22-") ||
		!strings.Contains(h.stdout.String(), "expected artifact location; too many results") {
		t.Errorf("processing errors not surfaced:\n%s", h.stdout.String())
	}
}

func TestProcessingTimeoutWarns(t *testing.T) {
	h := newHarness(t)
	h.srv.Statuses = []string{"pending"}
	h.publish(h.config(), prRun(h.srv.URL), lineReport())
	if n := h.srv.Count(githubtest.OpGetSARIF); n != 8 {
		t.Errorf("%d status checks, want 8 (DefaultPollDelays)", n)
	}
	if !strings.Contains(h.stdout.String(), "still pending after waiting") {
		t.Errorf("no timeout warning:\n%s", h.stdout.String())
	}
}

// TestServerDown: a connection error is retried for GETs only, and the run
// still finishes with its summary.
func TestServerDown(t *testing.T) {
	h := newHarness(t)
	run := prRun("http://127.0.0.1:1") // nothing listens on port 1
	cfg := h.config()
	cfg.HTTPClient = &http.Client{Timeout: 2 * time.Second}
	h.publish(cfg, run, lineReport())
	out := h.stdout.String()
	if !strings.Contains(out, "::warning::Code-scanning upload failed") || !strings.Contains(out, "Reading the pull request's comments failed") {
		t.Errorf("connection errors not reported:\n%s", out)
	}
	if !strings.Contains(h.readSummary(), "**FAIL**") {
		t.Error("no job summary")
	}
}
