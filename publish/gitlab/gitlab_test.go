package gitlab_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/policy"
	ghpub "github.com/modelgate/modelgate/publish/github"
	"github.com/modelgate/modelgate/publish/gitlab"
	"github.com/modelgate/modelgate/publish/gitlab/gitlabtest"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

const token = "glpat-secret-token-123"

func findingsReport(n int) *report.Report {
	var fs []scanner.Finding
	for i := range n {
		fs = append(fs, scanner.Finding{RuleID: "MG2007", Severity: scanner.SeverityHigh, Message: fmt.Sprintf("overlap %d", i),
			Location: scanner.Location{Path: "models/x.safetensors", ByteOffset: scanner.Offset(int64(i))}})
	}
	scanner.AssignFingerprints(fs)
	res := &scanner.Result{Findings: fs}
	return &report.Report{Tool: report.CurrentTool(), Result: res, Decision: policy.Evaluate(res, policy.DefaultGate), Category: "modelgate"}
}

type harness struct {
	srv   *gitlabtest.Server
	logs  []string
	waits []time.Duration
}

func newHarness(t *testing.T) *harness {
	return &harness{srv: gitlabtest.New(t, token, "42")}
}

func (h *harness) config(mode string) gitlab.Config {
	return gitlab.Config{
		APIURL: h.srv.URL, ProjectID: "42", MRIID: 7, ProjectURL: "https://gitlab.example/g/p", CommitSHA: "abc123",
		Token: token, Mode: mode, HTTPClient: h.srv.Client(),
		Retry: ghpub.RetryPolicy{Sleep: func(_ context.Context, d time.Duration) error { h.waits = append(h.waits, d); return nil }},
		Log:   func(format string, args ...any) { h.logs = append(h.logs, fmt.Sprintf(format, args...)) },
	}
}

func (h *harness) publish(mode string, rep *report.Report) gitlab.Outcome {
	return gitlab.Publish(context.Background(), h.config(mode), rep)
}

func (h *harness) assertTokenHidden(t *testing.T) {
	t.Helper()
	for _, l := range h.logs {
		if strings.Contains(l, token) {
			t.Errorf("the token is in the log: %q", l)
		}
	}
}

func TestNoteCreatedOnceThenUpdatedInPlace(t *testing.T) {
	h := newHarness(t)
	h.srv.AddNote(7, "LGTM from a person")
	out := h.publish(gitlab.NoteOnMR, findingsReport(2))
	if out.Err != nil || !strings.HasSuffix(out.NoteURL, "/-/merge_requests/7#note_502") {
		t.Fatalf("first run: %+v\nlog %v", out, h.logs)
	}
	out = h.publish(gitlab.NoteOnMR, findingsReport(3))
	notes := h.srv.Notes(7)
	if out.Err != nil || len(notes) != 2 || notes[1].Edits != 1 || !strings.Contains(notes[1].Body, "3 findings") {
		t.Fatalf("second run: %+v, notes %+v", out, notes)
	}
	if !strings.HasPrefix(notes[1].Body, "<!-- modelgate:modelgate -->") || notes[0].Body != "LGTM from a person" {
		t.Errorf("notes %+v", notes)
	}
	if !strings.Contains(notes[1].Body, "https://gitlab.example/g/p/-/blob/abc123/models/x.safetensors") {
		t.Errorf("files are not linked at the commit:\n%s", notes[1].Body)
	}
	// Unchanged content: no edit at all.
	h.publish(gitlab.NoteOnMR, findingsReport(3))
	if got := h.srv.Count(gitlabtest.OpUpdate); got != 1 {
		t.Errorf("%d updates, want 1 (an unchanged note is not rewritten)", got)
	}
	for _, r := range h.srv.Requests() {
		if r.Token != token {
			t.Errorf("%s sent without the token", r.Op)
		}
	}
	h.assertTokenHidden(t)
}

func TestNoteFoundOnALaterPage(t *testing.T) {
	h := newHarness(t)
	h.srv.PageSize = 2
	for i := range 5 {
		h.srv.AddNote(7, fmt.Sprintf("comment %d", i))
	}
	id := h.srv.AddNote(7, "<!-- modelgate:modelgate -->\nold")
	h.publish(gitlab.NoteOnMR, findingsReport(1))
	if h.srv.Count(gitlabtest.OpCreate) != 0 || h.srv.Count(gitlabtest.OpList) != 3 {
		t.Fatalf("requests %+v", h.srv.Requests())
	}
	for _, n := range h.srv.Notes(7) {
		if n.ID == id && n.Edits != 1 {
			t.Errorf("our note on page 3 was not updated: %+v", n)
		}
	}
}

func TestCleanMergeRequest(t *testing.T) {
	h := newHarness(t)
	if out := h.publish(gitlab.NoteOnMR, findingsReport(0)); out.NoteURL != "" || h.srv.Count(gitlabtest.OpCreate) != 0 {
		t.Errorf("on-mr posted a note for a clean MR: %+v", out)
	}
	if out := h.publish(gitlab.NoteAlways, findingsReport(0)); out.NoteURL == "" || h.srv.Count(gitlabtest.OpCreate) != 1 {
		t.Errorf("always did not post: %+v", out)
	}
	// A later clean run updates the existing note (it says the MR is clean now).
	h.publish(gitlab.NoteOnMR, findingsReport(0))
	if h.srv.Count(gitlabtest.OpCreate) != 1 {
		t.Error("a second note was created")
	}
}

func TestRateLimitIsWaitedOut(t *testing.T) {
	h := newHarness(t)
	h.srv.Fail(gitlabtest.OpList, gitlabtest.Fault{Status: 429, RetryAfter: 7})
	h.srv.Fail(gitlabtest.OpCreate, gitlabtest.Fault{Status: 429, RetryAfter: 3})
	out := h.publish(gitlab.NoteOnMR, findingsReport(1))
	if out.Err != nil || len(h.srv.Notes(7)) != 1 {
		t.Fatalf("%+v %v", out, h.logs)
	}
	if len(h.waits) != 2 || h.waits[0] != 7*time.Second || h.waits[1] != 3*time.Second {
		t.Errorf("waits %v, want the Retry-After values 7s and 3s", h.waits)
	}
}

func TestFailuresDegradeToWarnings(t *testing.T) {
	h := newHarness(t)
	h.srv.Fail(gitlabtest.OpCreate, gitlabtest.Fault{Status: 500})
	out := h.publish(gitlab.NoteOnMR, findingsReport(1))
	if out.Err == nil || h.srv.Count(gitlabtest.OpCreate) != 1 {
		t.Fatalf("a failed POST must not be repeated blindly: %+v, %d creates", out, h.srv.Count(gitlabtest.OpCreate))
	}
	if len(h.logs) != 1 || !strings.Contains(h.logs[0], "warning: merge-request note not posted") {
		t.Errorf("log %v", h.logs)
	}
	h.logs = nil
	h.srv.Fail(gitlabtest.OpList, gitlabtest.Fault{Status: 403})
	out = h.publish(gitlab.NoteOnMR, findingsReport(1))
	if !gitlab.IsAPIError(out.Err, 403) || !strings.Contains(h.logs[0], "api scope") {
		t.Errorf("403: %v, log %v", out.Err, h.logs)
	}
	h.assertTokenHidden(t)
}

func TestTokenIsScrubbedFromErrors(t *testing.T) {
	h := newHarness(t)
	cfg := h.config(gitlab.NoteOnMR)
	cfg.APIURL = "http://127.0.0.1:1/" + token // an error that would quote it
	cfg.Retry.MaxAttempts = 1
	out := gitlab.Publish(context.Background(), cfg, findingsReport(1))
	if out.Err == nil {
		t.Fatal("no error")
	}
	h.assertTokenHidden(t)
	if !strings.Contains(strings.Join(h.logs, "\n"), "[masked]") {
		t.Errorf("log %v", h.logs)
	}
}

func TestSkips(t *testing.T) {
	h := newHarness(t)
	for name, mutate := range map[string]func(*gitlab.Config){
		"no token": func(c *gitlab.Config) { c.Token = "" },
		"no MR":    func(c *gitlab.Config) { c.MRIID = 0 },
		"never":    func(c *gitlab.Config) { c.Mode = gitlab.NoteNever },
		"no API":   func(c *gitlab.Config) { c.APIURL = "" },
	} {
		cfg := h.config(gitlab.NoteAlways)
		mutate(&cfg)
		if out := gitlab.Publish(context.Background(), cfg, findingsReport(1)); out.Err != nil || out.NoteURL != "" {
			t.Errorf("%s: %+v", name, out)
		}
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"CI_API_V4_URL": "https://gl/api/v4", "CI_PROJECT_ID": "9", "CI_MERGE_REQUEST_IID": "12",
		"GITLAB_TOKEN": "fallback", "MODELGATE_GITLAB_TOKEN": " preferred ", "CI_COMMIT_SHA": "s", "CI_PROJECT_URL": "https://gl/g/p"}
	c := gitlab.ConfigFromEnv(func(k string) string { return env[k] })
	if c.Token != "preferred" || c.MRIID != 12 || c.ProjectID != "9" || c.APIURL != "https://gl/api/v4" || c.Mode != gitlab.NoteOnMR {
		t.Errorf("%+v", c)
	}
	delete(env, "MODELGATE_GITLAB_TOKEN")
	if c := gitlab.ConfigFromEnv(func(k string) string { return env[k] }); c.Token != "fallback" {
		t.Errorf("token %q", c.Token)
	}
}
