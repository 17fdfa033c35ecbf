package github

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Run is what the publisher needs to know about the workflow run: where to
// publish and which commit was scanned.
type Run struct {
	Owner, Repo string
	// ServerURL is the web server (https://github.com or a GHES host), for
	// links; APIURL is the REST base (GITHUB_API_URL).
	ServerURL, APIURL string
	EventName         string
	// Ref and SHA are GITHUB_REF and GITHUB_SHA. For pull_request events
	// they are refs/pull/N/merge and the merge commit.
	Ref, SHA string
	// CheckoutHead is the commit checked out in the workspace ("" if it
	// could not be read): it tells a checkout of the PR head apart from the
	// default checkout of the merge commit.
	CheckoutHead string
	// RunURL links to the workflow run ("" if unknown).
	RunURL string
	// PR is set for events that carry a pull request.
	PR *PullRequest
}

// PullRequest is the part of the event's pull_request object we use.
type PullRequest struct {
	Number  int
	HeadSHA string
	// Fork is true when the head repository differs from the base one:
	// the workflow's token is then read-only on pull_request events.
	Fork bool
}

// RunFromContext reads the run from go-githubactions' context (environment
// and event payload); the checkout's HEAD is read from GITHUB_WORKSPACE.
func RunFromContext(c *githubactions.GitHubContext) (*Run, error) {
	owner, repo := c.Repo()
	if owner == "" || repo == "" {
		return nil, fmt.Errorf("GITHUB_REPOSITORY is not set")
	}
	r := &Run{
		Owner: owner, Repo: repo,
		ServerURL: strings.TrimSuffix(c.ServerURL, "/"),
		APIURL:    c.APIURL,
		EventName: c.EventName,
		Ref:       c.Ref,
		SHA:       c.SHA,
		PR:        pullRequest(c.Event),
	}
	if c.RunID != 0 {
		r.RunURL = fmt.Sprintf("%s/%s/%s/actions/runs/%d", r.ServerURL, owner, repo, c.RunID)
	}
	if c.Workspace != "" {
		r.CheckoutHead = ReadHead(c.Workspace)
	}
	return r, nil
}

// pullRequest reads event.pull_request (pull_request, pull_request_target,
// pull_request_review, … events).
func pullRequest(event map[string]any) *PullRequest {
	pr, ok := event["pull_request"].(map[string]any)
	if !ok {
		return nil
	}
	num, ok := pr["number"].(float64)
	if !ok || num < 1 {
		num, ok = event["number"].(float64)
		if !ok || num < 1 {
			return nil
		}
	}
	head, _ := pr["head"].(map[string]any)
	base, _ := pr["base"].(map[string]any)
	out := &PullRequest{Number: int(num)}
	out.HeadSHA, _ = head["sha"].(string)
	headRepo, baseRepo := repoName(head), repoName(base)
	out.Fork = headRepo != "" && baseRepo != "" && !strings.EqualFold(headRepo, baseRepo)
	return out
}

func repoName(side map[string]any) string {
	repo, _ := side["repo"].(map[string]any)
	name, _ := repo["full_name"].(string)
	return name
}

var shaPattern = regexp.MustCompile(`^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$`)

// ReadHead returns the commit checked out in dir's .git, reading the files
// directly (no git binary: the container may have none, and the workspace
// may be owned by another user). It returns "" when it cannot tell.
func ReadHead(dir string) string {
	gitDir := filepath.Join(dir, ".git")
	if b, err := os.ReadFile(gitDir); err == nil { // a worktree: "gitdir: <path>"
		p, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
		if !ok {
			return ""
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		gitDir = p
	}
	head, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	h := strings.TrimSpace(string(head))
	if shaPattern.MatchString(h) {
		return strings.ToLower(h)
	}
	ref, ok := strings.CutPrefix(h, "ref: ")
	if !ok || strings.Contains(ref, "..") {
		return ""
	}
	return resolveRef(gitDir, ref)
}

func resolveRef(gitDir, ref string) string {
	if b, err := os.ReadFile(filepath.Join(gitDir, filepath.FromSlash(ref))); err == nil {
		if s := strings.TrimSpace(string(b)); shaPattern.MatchString(s) {
			return strings.ToLower(s)
		}
		return ""
	}
	packed, err := os.ReadFile(filepath.Join(gitDir, "packed-refs"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(packed), "\n") {
		sha, name, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && name == ref && shaPattern.MatchString(sha) {
			return strings.ToLower(sha)
		}
	}
	return ""
}

var refPattern = regexp.MustCompile(`^refs/(heads|tags|pull)/.+$`)

// AnalysisTarget picks the commit_sha and ref of a code-scanning upload, as
// GitHub documents them and codeql-action does:
//   - by default a pull_request run checks out the merge commit: upload for
//     refs/pull/N/merge and GITHUB_SHA (the merge commit), which GitHub
//     shows as the PR's check alerts;
//   - when the workspace has another commit checked out (the PR head, e.g.
//     pull_request_target with ref: head.sha), upload for that commit under
//     refs/pull/N/head: the merge ref would claim results for code that was
//     not scanned;
//   - other events use GITHUB_REF (refs/heads/…, refs/tags/…) and the
//     checked-out commit.
//
// It returns an error when the run has no ref code scanning accepts (e.g.
// a workflow_dispatch from a non-branch ref).
func (r *Run) AnalysisTarget() (ref, sha string, err error) {
	ref, sha = r.Ref, r.SHA
	head := r.CheckoutHead
	if head != "" && !strings.EqualFold(head, sha) {
		sha = head
		if r.PR != nil {
			ref = fmt.Sprintf("refs/pull/%d/head", r.PR.Number)
		}
	}
	if !shaPattern.MatchString(sha) {
		return "", "", fmt.Errorf("no commit SHA to upload for (GITHUB_SHA %q)", sha)
	}
	if !refPattern.MatchString(ref) {
		return "", "", fmt.Errorf("ref %q is not a branch, tag or pull-request ref", ref)
	}
	return ref, strings.ToLower(sha), nil
}

// LinkSHA is the commit that links in the comment point at: the PR head
// (what reviewers see in the PR), else the scanned commit.
func (r *Run) LinkSHA() string {
	if r.PR != nil && shaPattern.MatchString(r.PR.HeadSHA) {
		return r.PR.HeadSHA
	}
	if r.CheckoutHead != "" {
		return r.CheckoutHead
	}
	return r.SHA
}

// BlobURL is the base URL of files at LinkSHA, "" if unknown.
func (r *Run) BlobURL() string {
	sha := r.LinkSHA()
	if r.ServerURL == "" || !shaPattern.MatchString(sha) {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s/blob/%s", r.ServerURL, r.Owner, r.Repo, sha)
}
