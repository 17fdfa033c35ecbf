package github_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/modelgate/modelgate/policy"
	ghpub "github.com/modelgate/modelgate/publish/github"
	"github.com/modelgate/modelgate/publish/github/githubtest"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

const (
	token    = "ghs_FAKE0123456789secretTOKENvalue"
	headSHA  = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	mergeSHA = "0d1f4c2e8b9a7d6c5b4a3928171605f4e3d2c1b0"
	prNumber = 7
)

// systemPatch changes lines 2-4 of prompts/system.txt; lines 1-5 are in
// the diff (context included), line 40 is not.
const systemPatch = "@@ -1,2 +1,5 @@\n line one\n+line two\n+line three\n+line four\n line five"

// lineReport has binary findings, a finding on a changed line, one on a
// line outside the diff and one in a file the PR did not touch.
func lineReport() *report.Report {
	findings := []scanner.Finding{
		{RuleID: "MG1001", Severity: scanner.SeverityCritical, Message: "REDUCE calls os.system",
			Location: scanner.Location{Path: "models/pytorch_model.bin", ByteOffset: scanner.Offset(75)}},
		{RuleID: "MG2010", Severity: scanner.SeverityHigh, Message: "shell command in the prompt",
			Location: scanner.Location{Path: "prompts/system.txt", StartLine: 3, EndLine: 4}},
		{RuleID: "MG2010", Severity: scanner.SeverityHigh, Message: "another shell command",
			Location: scanner.Location{Path: "prompts/system.txt", StartLine: 40}},
		{RuleID: "MG2011", Severity: scanner.SeverityLow, Message: "a URL",
			Location: scanner.Location{Path: "prompts/untouched.txt", StartLine: 2}},
	}
	return newReport(findings)
}

func newReport(findings []scanner.Finding) *report.Report {
	scanner.SortFindings(findings)
	scanner.AssignFingerprints(findings)
	res := &scanner.Result{
		StartedAt: time.Date(2025, 1, 2, 3, 4, 5, 600, time.UTC), FinishedAt: time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC),
		Findings: findings, Errors: []scanner.FileError{},
		Files: []scanner.FileStatus{{Path: "models/pytorch_model.bin", Status: scanner.StatusScanned, Format: "pickle"}},
	}
	return &report.Report{
		Tool:     report.Tool{Name: "modelgate", Version: "1.2.3", InformationURI: "https://github.com/modelgate/modelgate"},
		Result:   res,
		Decision: policy.Evaluate(res, policy.DefaultGate),
		Category: "modelgate",
		RootURI:  "file:///github/workspace/",
	}
}

func prRun(apiURL string) *ghpub.Run {
	return &ghpub.Run{
		Owner: "octo-org", Repo: "ml-models", ServerURL: "https://github.com", APIURL: apiURL,
		EventName: "pull_request", Ref: fmt.Sprintf("refs/pull/%d/merge", prNumber), SHA: mergeSHA,
		RunURL: "https://github.com/octo-org/ml-models/actions/runs/42",
		PR:     &ghpub.PullRequest{Number: prNumber, HeadSHA: headSHA},
	}
}

// harness runs a publisher against the fake with recorded sleeps.
type harness struct {
	t       *testing.T
	srv     *githubtest.Server
	stdout  bytes.Buffer
	summary string
	mu      sync.Mutex
	sleeps  []time.Duration
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, srv: githubtest.New(t, token)}
	h.srv.HeadSHA = headSHA
	h.srv.SetFiles(prNumber,
		githubtest.File{Filename: "prompts/system.txt", Status: "modified", Patch: systemPatch},
		githubtest.File{Filename: "models/pytorch_model.bin", Status: "added"})
	h.summary = filepath.Join(t.TempDir(), "summary.md")
	return h
}

func (h *harness) config() ghpub.Config {
	return ghpub.Config{
		Token: token, UploadSARIF: true, Comment: ghpub.CommentOnPR, Annotations: true, Summary: true,
		HTTPClient: h.srv.Client(),
		Retry: ghpub.RetryPolicy{Sleep: func(_ context.Context, d time.Duration) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.sleeps = append(h.sleeps, d)
			return nil
		}},
	}
}

func (h *harness) publish(cfg ghpub.Config, run *ghpub.Run, rep *report.Report) ghpub.Outcome {
	env := map[string]string{"GITHUB_STEP_SUMMARY": h.summary}
	gha := githubactions.New(githubactions.WithWriter(&h.stdout), githubactions.WithGetenv(func(k string) string { return env[k] }))
	return ghpub.New(cfg, run, gha, func(k string) string { return env[k] }).Publish(context.Background(), rep)
}

func (h *harness) readSummary() string {
	b, err := os.ReadFile(h.summary)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}

// assertNoToken: the token appears in no output, comment or request body.
func (h *harness) assertNoToken() {
	h.t.Helper()
	texts := map[string]string{"stdout": h.stdout.String()}
	if b, err := os.ReadFile(h.summary); err == nil {
		texts["summary"] = string(b)
	}
	for _, c := range h.srv.Comments(prNumber) {
		texts["comment"] += c.Body
	}
	for _, r := range h.srv.Requests() {
		texts["request "+r.Op] += string(r.Body) + r.Query.Encode()
	}
	for _, u := range h.srv.Uploads() {
		texts["SARIF"] += string(u.SARIF)
	}
	for where, text := range texts {
		if strings.Contains(text, token) {
			h.t.Errorf("the token appears in %s", where)
		}
	}
}

func ops(reqs []githubtest.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Op)
	}
	return out
}

func TestPullRequestRunCreatesThenUpdates(t *testing.T) {
	h := newHarness(t)
	rep := lineReport()
	out := h.publish(h.config(), prRun(h.srv.URL), rep)

	wantOps := []string{githubtest.OpUploadSARIF, githubtest.OpGetSARIF, githubtest.OpGetSARIF,
		githubtest.OpListComments, githubtest.OpListFiles, githubtest.OpCreateReview, githubtest.OpCreateComment}
	if got := ops(h.srv.Requests()); !slices.Equal(got, wantOps) {
		t.Fatalf("requests %v, want %v", got, wantOps)
	}
	up := h.srv.Uploads()[0]
	if up.Ref != "refs/pull/7/merge" || up.CommitSHA != mergeSHA || up.ToolName != "modelgate" ||
		up.CheckoutURI != "file:///github/workspace/" || up.StartedAt != "2025-01-02T03:04:05Z" {
		t.Errorf("upload %+v", up)
	}
	if out.SARIFID != up.ID || !strings.Contains(out.CommentURL, "#issuecomment-") {
		t.Errorf("outcome %+v", out)
	}

	reviews := h.srv.Reviews()
	if len(reviews) != 1 || len(reviews[0].Comments) != 1 {
		t.Fatalf("reviews %+v, want one with one line comment", reviews)
	}
	rc := reviews[0].Comments[0]
	if rc.Path != "prompts/system.txt" || rc.StartLine != 3 || rc.Line != 4 || reviews[0].Event != "COMMENT" {
		t.Errorf("line comment %+v", rc)
	}

	comments := h.srv.Comments(prNumber)
	if len(comments) != 1 || !strings.HasPrefix(comments[0].Body, "<!-- modelgate:modelgate -->") {
		t.Fatalf("comments %+v", comments)
	}
	for _, want := range []string{"**FAIL**", "models/pytorch_model.bin", "at byte 75", "blob/" + headSHA, "processed", "1 line comment on changed lines"} {
		if !strings.Contains(comments[0].Body, want) {
			t.Errorf("comment lacks %q", want)
		}
	}
	if s := h.readSummary(); !strings.Contains(s, "**FAIL**") || strings.Contains(s, "<!-- modelgate:") || !strings.Contains(s, "Pull-request comment posted") {
		t.Errorf("summary:\n%s", s)
	}
	if !strings.Contains(h.stdout.String(), "::error file=models/pytorch_model.bin,title=MG1001") {
		t.Errorf("no error annotation for the binary finding:\n%s", h.stdout.String())
	}

	// Second run: the same comment is edited, the line comment is not repeated.
	h.publish(h.config(), prRun(h.srv.URL), rep)
	comments = h.srv.Comments(prNumber)
	if len(comments) != 1 || comments[0].Edits != 1 {
		t.Fatalf("after a rerun: %d comments, %d edits; want 1 comment edited once", len(comments), comments[0].Edits)
	}
	if n := len(h.srv.Reviews()); n != 1 {
		t.Errorf("%d reviews after a rerun, want 1 (no repeated line comments)", n)
	}

	// Third run finds nothing: the comment says so instead of going stale.
	h.publish(h.config(), prRun(h.srv.URL), newReport(nil))
	comments = h.srv.Comments(prNumber)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "PASS**: no findings") {
		t.Errorf("clean rerun left the comment stale:\n%s", comments[0].Body)
	}
	h.assertNoToken()
}

func TestOnPRModeDoesNotCommentOnACleanPR(t *testing.T) {
	h := newHarness(t)
	h.publish(h.config(), prRun(h.srv.URL), newReport(nil))
	if n := h.srv.Count(githubtest.OpCreateComment); n != 0 {
		t.Errorf("%d comments on a clean PR with comment: on-pr", n)
	}
	cfg := h.config()
	cfg.Comment = ghpub.CommentAlways
	h.publish(cfg, prRun(h.srv.URL), newReport(nil))
	if n := h.srv.Count(githubtest.OpCreateComment); n != 1 {
		t.Errorf("%d comments with comment: always, want 1", n)
	}
}

func TestStickyCommentIgnoresOtherComments(t *testing.T) {
	h := newHarness(t)
	h.srv.AddComment(prNumber, "> <!-- modelgate:modelgate -->\nquoting the bot")
	h.srv.AddComment(prNumber, "<!-- modelgate:other-category -->\nanother modelgate step")
	for i := range 120 { // push the comment list over one page
		h.srv.AddComment(prNumber, fmt.Sprintf("comment %d", i))
	}
	h.publish(h.config(), prRun(h.srv.URL), lineReport())
	h.publish(h.config(), prRun(h.srv.URL), lineReport())
	ours := 0
	for _, c := range h.srv.Comments(prNumber) {
		if strings.HasPrefix(c.Body, "<!-- modelgate:modelgate -->") {
			ours++
		}
	}
	if ours != 1 || h.srv.Count(githubtest.OpUpdateComment) != 1 {
		t.Errorf("%d sticky comments, %d edits; want 1 and 1", ours, h.srv.Count(githubtest.OpUpdateComment))
	}
}

func TestNoTokenSendsNothing(t *testing.T) {
	h := newHarness(t)
	cfg := h.config()
	cfg.Token = ""
	h.publish(cfg, prRun(h.srv.URL), lineReport())
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d requests without a token", n)
	}
	if n := strings.Count(h.stdout.String(), "::notice::GitHub API steps"); n != 1 {
		t.Errorf("%d skip notices, want 1:\n%s", n, h.stdout.String())
	}
	if !strings.Contains(h.readSummary(), "**FAIL**") {
		t.Error("the job summary was not written")
	}
}

func TestGHESPrefix(t *testing.T) {
	h := newHarness(t)
	ghes := githubtest.NewWithPrefix(t, token, "/api/v3")
	ghes.SetFiles(prNumber, githubtest.File{Filename: "prompts/system.txt", Status: "modified", Patch: systemPatch})
	h.srv = ghes
	run := prRun(ghes.URL)
	run.ServerURL = "https://ghes.example.com"
	h.publish(h.config(), run, lineReport())
	if ghes.Count(githubtest.OpUploadSARIF) != 1 || len(ghes.Comments(prNumber)) != 1 {
		t.Errorf("GHES requests: %v", ops(ghes.Requests()))
	}
	if !strings.Contains(ghes.Comments(prNumber)[0].Body, "https://ghes.example.com/octo-org/ml-models/blob/") {
		t.Error("links do not use GITHUB_SERVER_URL")
	}
}

func TestAnnotationCaps(t *testing.T) {
	var findings []scanner.Finding
	for i := range 30 {
		findings = append(findings, scanner.Finding{RuleID: "MG1001", Severity: scanner.SeverityCritical, Message: "call",
			Location: scanner.Location{Path: fmt.Sprintf("m/%02d.pkl", i)}})
	}
	for i := range 15 {
		findings = append(findings, scanner.Finding{RuleID: "MG0003", Severity: scanner.SeverityLow, Message: "lfs",
			Location: scanner.Location{Path: fmt.Sprintf("l/%02d.bin", i)}})
	}
	h := newHarness(t)
	cfg := h.config()
	cfg.Token = "" // the skip notice counts against the notice cap
	h.publish(cfg, prRun(h.srv.URL), newReport(findings))
	out := h.stdout.String()
	errs, notices := strings.Count(out, "::error "), strings.Count(out, "::notice")
	if errs != 10 || notices != 10 {
		t.Errorf("%d errors and %d notices, want 10 and 10 (GitHub's per-step caps)", errs, notices)
	}
	if !strings.Contains(out, "::notice::27 more modelgate findings are not annotated") {
		t.Errorf("no overflow notice:\n%s", out)
	}
}
