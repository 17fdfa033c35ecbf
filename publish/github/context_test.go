package github_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sethvargo/go-githubactions"

	ghpub "github.com/modelgate/modelgate/publish/github"
)

const otherSHA = "1111111111111111111111111111111111111111"

func TestAnalysisTarget(t *testing.T) {
	pr := &ghpub.PullRequest{Number: 7, HeadSHA: headSHA}
	for _, tt := range []struct {
		name             string
		run              ghpub.Run
		wantRef, wantSHA string
		wantErr          bool
	}{
		{"pull_request, default merge checkout, HEAD unknown",
			ghpub.Run{EventName: "pull_request", Ref: "refs/pull/7/merge", SHA: mergeSHA, PR: pr}, "refs/pull/7/merge", mergeSHA, false},
		{"pull_request, merge commit checked out",
			ghpub.Run{EventName: "pull_request", Ref: "refs/pull/7/merge", SHA: mergeSHA, CheckoutHead: mergeSHA, PR: pr}, "refs/pull/7/merge", mergeSHA, false},
		{"pull_request, PR head checked out",
			ghpub.Run{EventName: "pull_request", Ref: "refs/pull/7/merge", SHA: mergeSHA, CheckoutHead: headSHA, PR: pr}, "refs/pull/7/head", headSHA, false},
		{"pull_request_target, PR head checked out",
			ghpub.Run{EventName: "pull_request_target", Ref: "refs/heads/main", SHA: otherSHA, CheckoutHead: headSHA, PR: pr}, "refs/pull/7/head", headSHA, false},
		{"pull_request_target, base checked out",
			ghpub.Run{EventName: "pull_request_target", Ref: "refs/heads/main", SHA: otherSHA, CheckoutHead: otherSHA, PR: pr}, "refs/heads/main", otherSHA, false},
		{"push to a branch",
			ghpub.Run{EventName: "push", Ref: "refs/heads/main", SHA: otherSHA}, "refs/heads/main", otherSHA, false},
		{"tag",
			ghpub.Run{EventName: "push", Ref: "refs/tags/v1.0.0", SHA: otherSHA}, "refs/tags/v1.0.0", otherSHA, false},
		{"no ref", ghpub.Run{EventName: "workflow_dispatch", SHA: otherSHA}, "", "", true},
		{"no sha", ghpub.Run{EventName: "push", Ref: "refs/heads/main"}, "", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ref, sha, err := tt.run.AnalysisTarget()
			if (err != nil) != tt.wantErr || ref != tt.wantRef || sha != tt.wantSHA {
				t.Errorf("got %q %q %v; want %q %q (error %v)", ref, sha, err, tt.wantRef, tt.wantSHA, tt.wantErr)
			}
		})
	}
}

func TestReadHead(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := ghpub.ReadHead(dir); got != "" {
		t.Errorf("no .git: %q", got)
	}
	write(".git/HEAD", strings.ToUpper(headSHA)+"\n") // detached, as actions/checkout leaves it
	if got := ghpub.ReadHead(dir); got != headSHA {
		t.Errorf("detached HEAD: %q", got)
	}
	write(".git/HEAD", "ref: refs/heads/main\n")
	write(".git/packed-refs", "# pack-refs with: peeled fully-peeled sorted\n"+otherSHA+" refs/heads/main\n")
	if got := ghpub.ReadHead(dir); got != otherSHA {
		t.Errorf("packed ref: %q", got)
	}
	write(".git/refs/heads/main", mergeSHA+"\n")
	if got := ghpub.ReadHead(dir); got != mergeSHA {
		t.Errorf("loose ref: %q", got)
	}
}

func TestRunFromContext(t *testing.T) {
	for _, tt := range []struct {
		event string
		fork  bool
	}{{"pull_request.json", false}, {"pull_request_fork.json", true}} {
		env := map[string]string{
			"GITHUB_REPOSITORY": "octo-org/ml-models", "GITHUB_EVENT_NAME": "pull_request",
			"GITHUB_EVENT_PATH": filepath.Join("..", "..", "testdata", "github", tt.event),
			"GITHUB_REF":        "refs/pull/7/merge", "GITHUB_SHA": mergeSHA, "GITHUB_RUN_ID": "42",
			"GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": "https://api.github.com",
		}
		c, err := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] })).Context()
		if err != nil {
			t.Fatal(err)
		}
		run, err := ghpub.RunFromContext(c)
		if err != nil {
			t.Fatal(err)
		}
		if run.PR == nil || run.PR.Number != 7 || run.PR.HeadSHA != headSHA || run.PR.Fork != tt.fork {
			t.Errorf("%s: PR %+v", tt.event, run.PR)
		}
		if run.RunURL != "https://github.com/octo-org/ml-models/actions/runs/42" ||
			run.BlobURL() != "https://github.com/octo-org/ml-models/blob/"+headSHA {
			t.Errorf("%s: run URL %q, blob URL %q", tt.event, run.RunURL, run.BlobURL())
		}
	}
}

func TestParsePatch(t *testing.T) {
	patch := "@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n@@ -20,2 +21,3 @@ func x()\n x\n+y\n z\n\\ No newline at end of file"
	got := ghpub.ParsePatch(patch)
	for _, n := range []int{1, 2, 3, 4, 21, 22, 23} {
		if !got[n] {
			t.Errorf("line %d missing", n)
		}
	}
	if len(got) != 7 {
		t.Errorf("%d lines, want 7: %v", len(got), got)
	}
}

// countingTransport fails every request with a transport error.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("connection reset by peer")
}

// TestPostIsNotRetriedAfterAmbiguousFailure: a comment POST that may have
// reached GitHub is never sent twice; a GET is retried.
func TestPostIsNotRetriedAfterAmbiguousFailure(t *testing.T) {
	for _, tt := range []struct {
		method string
		want   int32
	}{{http.MethodPost, 1}, {http.MethodGet, 4}} {
		ct := &countingTransport{}
		client := ghpub.NewRetryClient(&http.Client{Transport: ct}, ghpub.RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }})
		req, _ := http.NewRequest(tt.method, "http://127.0.0.1:1/x", strings.NewReader("{}"))
		if _, err := client.Do(req); err == nil {
			t.Fatal("no error")
		}
		if got := ct.n.Load(); got != tt.want {
			t.Errorf("%s: %d attempts, want %d", tt.method, got, tt.want)
		}
	}
}
