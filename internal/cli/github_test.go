package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/modelgate/modelgate/publish/github/githubtest"
)

const (
	ghToken  = "ghs_E2E0123456789abcdefTOKENsecret"
	headSHA  = "6dcb09b5b57875f334f61aebed695e2e4193db5e" // testdata/github/pull_request.json
	mergeSHA = "0d1f4c2e8b9a7d6c5b4a3928171605f4e3d2c1b0"
	prNumber = 7
)

// runner is a fake GitHub Actions runner: the environment a Docker action
// gets (GITHUB_* variables, INPUT_* with hyphens kept, file-command files,
// the event payload) with GITHUB_API_URL pointing at a fake API.
type runner struct {
	t                *testing.T
	root             string
	api              *githubtest.Server
	env              map[string]string
	outputs, summary string
	sarif            string
}

func newRunner(t *testing.T, event string) *runner {
	root := repoRoot(t)
	dir := t.TempDir()
	workspace := filepath.Join(dir, "workspace")
	// actions/checkout leaves the merge commit checked out, detached.
	if err := os.MkdirAll(filepath.Join(workspace, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(workspace, ".git", "HEAD"), []byte(mergeSHA+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	api := githubtest.New(t, ghToken)
	api.HeadSHA = headSHA
	api.SetFiles(prNumber,
		githubtest.File{Filename: "testdata/demo/models/pytorch_model.bin", Status: "added"},
		githubtest.File{Filename: "testdata/demo/prompts/system.txt", Status: "modified", Patch: "@@ -1,2 +1,3 @@\n You are\n+a helpful\n assistant"})
	r := &runner{t: t, root: root, api: api,
		outputs: filepath.Join(dir, "github_output"), summary: filepath.Join(dir, "step_summary"), sarif: filepath.Join(dir, "modelgate.sarif")}
	r.env = map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": filepath.Join(root, "testdata", "github", event),
		"GITHUB_REF":        "refs/pull/7/merge", "GITHUB_SHA": mergeSHA, "GITHUB_HEAD_REF": "new-checkpoint", "GITHUB_BASE_REF": "main",
		"GITHUB_REPOSITORY": "octo-org/ml-models", "GITHUB_REPOSITORY_OWNER": "octo-org",
		"GITHUB_API_URL": api.URL, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_GRAPHQL_URL": api.URL + "/graphql",
		"GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_RUN_NUMBER": "3", "GITHUB_JOB": "scan",
		"GITHUB_WORKFLOW": "modelgate", "GITHUB_ACTION": "modelgate", "GITHUB_ACTOR": "contributor",
		"GITHUB_WORKSPACE": workspace, "GITHUB_OUTPUT": r.outputs, "GITHUB_STEP_SUMMARY": r.summary,
		"RUNNER_OS": "Linux", "RUNNER_TEMP": dir,
		"INPUT_PATH": "testdata/demo", "INPUT_INCLUDE": "", "INPUT_EXCLUDE": "", "INPUT_FAIL-ON": "high",
		"INPUT_REPORT-MIN": "info", "INPUT_SARIF-FILE": r.sarif, "INPUT_CATEGORY": "modelgate",
		"INPUT_GITHUB-TOKEN": ghToken, "INPUT_UPLOAD-SARIF": "true", "INPUT_COMMENT": "on-pr",
		"INPUT_ANNOTATIONS": "true", "INPUT_SUMMARY": "true",
	}
	return r
}

// binary builds modelgate into a temporary directory.
func binary(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "modelgate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/modelgate")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// exec runs the real binary as the Action's entrypoint does.
func (r *runner) exec(bin string) result {
	r.t.Helper()
	cmd := exec.Command(bin, "scan", "--github")
	cmd.Dir = r.root
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.t.TempDir()}
	for k, v := range r.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := 0
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			r.t.Fatal(err)
		}
		code = exit.ExitCode()
	}
	return result{code, stdout.String(), stderr.String()}
}

func (r *runner) read(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// assertTokenHidden: the token appears only in the ::add-mask:: command
// (which the runner consumes), nowhere else.
func (r *runner) assertTokenHidden(res result) {
	r.t.Helper()
	masks := 0
	for _, line := range strings.Split(res.stdout, "\n") {
		if line == "::add-mask::"+ghToken {
			masks++
		} else if strings.Contains(line, ghToken) {
			r.t.Errorf("the token appears on stdout: %q", line)
		}
	}
	if masks != 1 {
		r.t.Errorf("%d ::add-mask:: commands for the token, want 1", masks)
	}
	texts := map[string]string{"stderr": res.stderr}
	for name, path := range map[string]string{"outputs": r.outputs, "summary": r.summary, "SARIF file": r.sarif} {
		if b, err := os.ReadFile(path); err == nil {
			texts[name] = string(b)
		}
	}
	for _, c := range r.api.Comments(prNumber) {
		texts["comment"] += c.Body
	}
	for _, q := range r.api.Requests() {
		texts["request bodies"] += string(q.Body)
	}
	for where, text := range texts {
		if strings.Contains(text, ghToken) {
			r.t.Errorf("the token appears in %s", where)
		}
	}
}

func opsOf(reqs []githubtest.Request) []string {
	var out []string
	for _, q := range reqs {
		out = append(out, q.Op)
	}
	return out
}

// TestGitHubActionEndToEnd runs the real binary as the Action three times
// on one pull request: a failing scan uploads SARIF, waits for processing,
// creates the comment, writes the summary and outputs and exits 1; a rerun
// edits the same comment; a clean scan turns it into "no findings".
func TestGitHubActionEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	r := newRunner(t, "pull_request.json")
	bin := binary(t, r.root)

	res := r.exec(bin)
	if res.code != 1 {
		t.Fatalf("exit %d, want the gate's 1\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	// The demo's AGENTS.md finding has a line region, so the PR's files are
	// listed; the file is not in the PR's diff, so no review is posted.
	want := []string{githubtest.OpUploadSARIF, githubtest.OpGetSARIF, githubtest.OpGetSARIF,
		githubtest.OpListComments, githubtest.OpListFiles, githubtest.OpCreateComment}
	if got := opsOf(r.api.Requests()); !slices.Equal(got, want) {
		t.Fatalf("requests %v, want %v (no line finding inside the diff: no review)", got, want)
	}
	up := r.api.Uploads()[0]
	if up.Ref != "refs/pull/7/merge" || up.CommitSHA != mergeSHA || up.ToolName != "modelgate" || !strings.HasPrefix(up.CheckoutURI, "file:///") {
		t.Errorf("upload %s %s %s %s", up.Ref, up.CommitSHA, up.ToolName, up.CheckoutURI)
	}
	if string(up.SARIF) != r.read(r.sarif) {
		t.Error("the uploaded SARIF differs from the SARIF file")
	}
	validateSARIF(t, up.SARIF)

	comments := r.api.Comments(prNumber)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	body := comments[0].Body
	for _, s := range []string{"<!-- modelgate:modelgate -->", "**FAIL**", "blocking findings at or above `high`",
		"https://github.com/octo-org/ml-models/blob/" + headSHA + "/testdata/demo/models/pytorch_model.bin",
		"git-lfs pointer", "`lfs: true`", "<details>", "processed"} {
		if !strings.Contains(body, s) {
			t.Errorf("comment lacks %q", s)
		}
	}
	summary := r.read(r.summary)
	if !strings.Contains(summary, "**FAIL**") || !strings.Contains(summary, "Pull-request comment posted") {
		t.Errorf("summary:\n%s", summary)
	}
	outputs := r.read(r.outputs)
	for _, s := range []string{"verdict<<", "fail", "sarif-id<<", up.ID, "comment-url<<", "#issuecomment-"} {
		if !strings.Contains(outputs, s) {
			t.Errorf("outputs lack %q:\n%s", s, outputs)
		}
	}
	if !strings.Contains(res.stdout, "::error file=testdata/demo/models/pytorch_model.bin,title=MG1001") {
		t.Errorf("no annotation for the pickle finding:\n%s", res.stdout)
	}
	r.assertTokenHidden(res)

	// Rerun: one comment, edited in place.
	if res := r.exec(bin); res.code != 1 {
		t.Fatalf("rerun: exit %d\n%s", res.code, res.stderr)
	}
	comments = r.api.Comments(prNumber)
	if len(comments) != 1 || comments[0].Edits != 1 {
		t.Fatalf("after the rerun: %d comments, %d edits", len(comments), comments[0].Edits)
	}

	// A clean scan updates the comment instead of leaving it stale.
	r.env["INPUT_PATH"] = "testdata/clean"
	res = r.exec(bin)
	if res.code != 0 {
		t.Fatalf("clean scan: exit %d\n%s", res.code, res.stderr)
	}
	comments = r.api.Comments(prNumber)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "**PASS**: no findings") {
		t.Errorf("the comment was not updated for the clean run:\n%s", comments[0].Body)
	}
	if n := len(r.api.Reviews()); n != 0 {
		t.Errorf("%d reviews for findings without lines", n)
	}
	r.assertTokenHidden(res)
}

// TestGitHubActionForkPR: on a fork's pull request the token is read-only;
// the upload and the comment get 403, the run warns with the fix, still
// writes the SARIF file, summary and outputs, and exits with the gate's code.
func TestGitHubActionForkPR(t *testing.T) {
	r := newRunner(t, "pull_request_fork.json")
	r.api.Fail(githubtest.OpUploadSARIF, githubtest.Forbidden)
	r.api.Fail(githubtest.OpListComments, githubtest.Forbidden)
	res := run(t, r.env, "scan")
	if res.code != 1 {
		t.Fatalf("exit %d, want the gate's 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, s := range []string{
		"::warning::Code-scanning upload failed: HTTP 403: Resource not accessible by integration. Fix: pull requests from forks",
		"github/codeql-action/upload-sarif@v3",
		"::warning::Reading the pull request's comments failed: HTTP 403",
	} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, res.stdout)
		}
	}
	validateSARIF(t, mustRead(t, r.sarif))
	if n := r.api.Count(githubtest.OpCreateComment); n != 0 {
		t.Errorf("%d comment attempts after the list was refused", n)
	}
	if s := r.read(r.summary); !strings.Contains(s, "**FAIL**") || !strings.Contains(s, "Code-scanning upload failed") {
		t.Errorf("summary:\n%s", s)
	}
	if o := r.read(r.outputs); !strings.Contains(o, "verdict<<") || !strings.Contains(o, r.sarif) {
		t.Errorf("outputs:\n%s", o)
	}
	r.assertTokenHidden(res)
}

// TestGitHubActionWithoutToken stays offline with one notice.
func TestGitHubActionWithoutToken(t *testing.T) {
	r := newRunner(t, "pull_request.json")
	delete(r.env, "INPUT_GITHUB-TOKEN")
	res := run(t, r.env, "scan")
	if res.code != 1 || len(r.api.Requests()) != 0 {
		t.Fatalf("exit %d, %d requests; want 1 and none", res.code, len(r.api.Requests()))
	}
	if n := strings.Count(res.stdout, "::notice::GitHub API steps"); n != 1 {
		t.Errorf("%d skip notices, want 1", n)
	}
	if !strings.Contains(r.read(r.summary), "**FAIL**") {
		t.Error("no job summary")
	}
}

// TestGitHubActionSwitches: reporting can be turned off input by input,
// and bad values are usage errors.
func TestGitHubActionSwitches(t *testing.T) {
	r := newRunner(t, "pull_request.json")
	r.env["INPUT_UPLOAD-SARIF"] = "false"
	r.env["INPUT_COMMENT"] = "never"
	r.env["INPUT_ANNOTATIONS"] = "false"
	r.env["INPUT_SUMMARY"] = "false"
	res := run(t, r.env, "scan")
	if res.code != 1 || len(r.api.Requests()) != 0 || strings.Contains(res.stdout, "::error") {
		t.Errorf("exit %d, requests %v, stdout:\n%s", res.code, opsOf(r.api.Requests()), res.stdout)
	}
	if _, err := os.Stat(r.summary); err == nil {
		t.Error("summary written with summary: false")
	}
	for input, bad := range map[string]string{"INPUT_COMMENT": "sometimes", "INPUT_UPLOAD-SARIF": "yes"} {
		r := newRunner(t, "pull_request.json")
		r.env[input] = bad
		if res := run(t, r.env, "scan"); res.code != 2 || !strings.Contains(res.stderr, bad) {
			t.Errorf("%s=%s: exit %d, stderr %q", input, bad, res.code, res.stderr)
		}
	}
}

// TestActionMetadata: action.yml is valid YAML and declares the reporting
// inputs with the documented defaults and the outputs the CLI sets.
func TestActionMetadata(t *testing.T) {
	root := repoRoot(t)
	var action struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(mustRead(t, filepath.Join(root, "action.yml")), &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	for name, def := range map[string]string{
		"github-token": "${{ github.token }}", "upload-sarif": "true", "comment": "on-pr",
		"annotations": "true", "summary": "true", "sarif-file": "modelgate.sarif",
	} {
		if in, ok := action.Inputs[name]; !ok || in.Default != def {
			t.Errorf("input %s: default %q, want %q", name, in.Default, def)
		}
	}
	for _, name := range []string{"sarif-file", "findings", "blocking", "verdict", "sarif-id", "comment-url"} {
		if _, ok := action.Outputs[name]; !ok {
			t.Errorf("output %s is not declared", name)
		}
	}
}
