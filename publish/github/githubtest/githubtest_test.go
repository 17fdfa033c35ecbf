package githubtest_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/modelgate/modelgate/publish/github/githubtest"
)

// recorder collects the fake's contract violations instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.errs
	r.errs = nil
	return out
}

// TestFakeRejectsWhatGitHubRejects: requests outside the REST subset's
// contract are answered like GitHub would and reported as test failures.
func TestFakeRejectsWhatGitHubRejects(t *testing.T) {
	rec := &recorder{TB: t}
	srv := githubtest.New(rec, "tok")
	srv.SetFiles(1, githubtest.File{Filename: "a.txt", Status: "modified", Patch: "@@ -1,1 +1,2 @@\n a\n+b"})
	const sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	for _, tt := range []struct {
		name, method, path, body, auth string
		status                         int
		violation                      string
	}{
		{"unknown operation", "DELETE", "/repos/o/r/issues/comments/1", "", "tok", 404, "not an operation"},
		{"wrong token", "GET", "/repos/o/r/issues/1/comments", "", "other", 422, "Authorization"},
		{"non-integer issue number", "GET", "/repos/o/r/issues/x/comments", "", "tok", 422, "not an integer"},
		{"unknown query parameter", "GET", "/repos/o/r/issues/1/comments?sort=asc", "", "tok", 422, "not in the spec"},
		{"bad per_page", "GET", "/repos/o/r/pulls/1/files?per_page=many", "", "tok", 422, "not an integer"},
		{"missing required field", "POST", "/repos/o/r/code-scanning/sarifs", `{"commit_sha":"` + sha + `","ref":"refs/heads/main"}`, "tok", 422, "sarif"},
		{"field not in the spec (go-github has none, GitHub rejects)", "POST", "/repos/o/r/code-scanning/sarifs",
			`{"commit_sha":"` + sha + `","ref":"refs/heads/main","sarif":"x","errors":[]}`, "tok", 422, "additional"},
		{"bad ref pattern", "POST", "/repos/o/r/code-scanning/sarifs", `{"commit_sha":"` + sha + `","ref":"main","sarif":"x"}`, "tok", 422, "ref"},
		{"wrong type", "POST", "/repos/o/r/issues/1/comments", `{"body":5}`, "tok", 422, "body"},
		{"sarif not gzip+base64", "POST", "/repos/o/r/code-scanning/sarifs", `{"commit_sha":"` + sha + `","ref":"refs/heads/main","sarif":"aGVsbG8="}`, "tok", 400, "not gzip"},
		{"review comment outside the diff", "POST", "/repos/o/r/pulls/1/reviews",
			`{"commit_id":"` + sha + `","body":"b","event":"COMMENT","comments":[{"path":"a.txt","line":9,"side":"RIGHT","body":"x"}]}`, "tok", 422, "must be part of the diff"},
		{"review comment on a file outside the PR", "POST", "/repos/o/r/pulls/1/reviews",
			`{"commit_id":"` + sha + `","body":"b","event":"COMMENT","comments":[{"path":"z.txt","line":1,"side":"RIGHT","body":"x"}]}`, "tok", 422, "not part of the diff"},
		{"comment over 65,536 characters", "POST", "/repos/o/r/issues/1/comments", `{"body":"` + strings.Repeat("x", 65537) + `"}`, "tok", 422, "over GitHub's"},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Authorization", "Bearer "+tt.auth)
		req.Header.Set("User-Agent", "test")
		if tt.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		errs := rec.take()
		if resp.StatusCode != tt.status || len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), tt.violation) {
			t.Errorf("%s: status %d, violations %q; want %d and %q", tt.name, resp.StatusCode, errs, tt.status, tt.violation)
		}
	}
}

func TestFakeAcceptsConformingRequests(t *testing.T) {
	srv := githubtest.New(t, "tok")
	srv.SetFiles(1, githubtest.File{Filename: "a.txt", Status: "modified", Patch: "@@ -1,1 +1,2 @@\n a\n+b"})
	for i := range 150 {
		srv.AddComment(1, fmt.Sprint(i))
	}
	do := func(method, path, body string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("User-Agent", "test")
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := do("GET", "/repos/o/r/issues/1/comments?per_page=100", ""); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Link"), `page=2`) {
		t.Errorf("page 1: %d, Link %q", resp.StatusCode, resp.Header.Get("Link"))
	}
	if resp := do("GET", "/repos/o/r/issues/1/comments?per_page=100&page=2", ""); resp.StatusCode != 200 || resp.Header.Get("Link") != "" {
		t.Errorf("last page: %d, Link %q", resp.StatusCode, resp.Header.Get("Link"))
	}
	review := `{"commit_id":"6dcb09b5b57875f334f61aebed695e2e4193db5e","body":"b","event":"COMMENT","comments":[{"path":"a.txt","line":2,"side":"RIGHT","body":"x"}]}`
	if resp := do("POST", "/repos/o/r/pulls/1/reviews", review); resp.StatusCode != 200 {
		t.Errorf("review inside the diff: %d", resp.StatusCode)
	}
	srv.Fail(githubtest.OpCreateComment, githubtest.RateLimited(2))
	if resp := do("POST", "/repos/o/r/issues/1/comments", `{"body":"hi"}`); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("fault: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := do("POST", "/repos/o/r/issues/1/comments", `{"body":"hi"}`); resp.StatusCode != 201 {
		t.Errorf("after the fault: %d", resp.StatusCode)
	}
}
