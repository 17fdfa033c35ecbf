package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/modelgate/modelgate/publish/gitlab/gitlabtest"
	"github.com/modelgate/modelgate/report/cyclonedx/cdxtest"
)

const glToken = "glpat-E2E-secret-0123456789"

// gitlabEnv is what GitLab CI sets in a merge-request pipeline (the API
// points at a fake when one is given).
func gitlabEnv(projectDir string, api *gitlabtest.Server) map[string]string {
	env := map[string]string{
		"CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": projectDir,
		"CI_COMMIT_SHA": "6dcb09b5b57875f334f61aebed695e2e4193db5e", "CI_PROJECT_ID": "42",
		"CI_PROJECT_URL": "https://gitlab.example/ml/models",
	}
	if api != nil {
		env["CI_API_V4_URL"] = api.URL
		env["CI_MERGE_REQUEST_IID"] = "7"
		env["MODELGATE_GITLAB_TOKEN"] = glToken
	}
	return env
}

// normaliseCI also removes the BOM's timestamp and serial number and the
// SAST report's times.
func normaliseCI(s, root string) string {
	for _, r := range []struct{ re, with string }{
		{`"(start_time|end_time|timestamp)": "[^"]+"`, `"$1": "TIME"`},
		{`"serialNumber": "[^"]+"`, `"serialNumber": "urn:uuid:SERIAL"`},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return normalise(s, root)
}

// TestGitLabRunWritesValidReports: in GitLab CI the SAST and Code Quality
// reports land in $CI_PROJECT_DIR without flags, valid and complete.
func TestGitLabRunWritesValidReports(t *testing.T) {
	root := repoRoot(t)
	project := t.TempDir()
	bom := filepath.Join(project, "modelgate.cdx.json")
	r := run(t, gitlabEnv(project, nil), "scan", "testdata/demo", "--quiet", "--cyclonedx", bom)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "not a merge-request pipeline") {
		t.Errorf("stderr should say why no note was posted: %q", r.stderr)
	}
	sast := mustRead(t, filepath.Join(project, "gl-sast-report.json"))
	validateJSON(t, filepath.Join(root, "report", "gitlab", "testdata", "gitlab-sast-report-format-15.2.1.json"), sast)
	var doc struct {
		Vulnerabilities []struct {
			ID, Severity string
			Identifiers  []struct{ Type, Value string }
			Location     struct {
				File      string
				StartLine int `json:"start_line"`
			}
		}
	}
	json.Unmarshal(sast, &doc)
	if len(doc.Vulnerabilities) != 11 {
		t.Errorf("%d vulnerabilities, want the demo's 11 findings", len(doc.Vulnerabilities))
	}
	for _, v := range doc.Vulnerabilities {
		if !regexp.MustCompile(`^MG\d{4}$`).MatchString(v.Identifiers[0].Value) || v.Location.StartLine < 1 || !strings.HasPrefix(v.Location.File, "testdata/demo/") {
			t.Errorf("vulnerability %+v", v)
		}
	}
	golden(t, "demo.gitlab-sast.json", normaliseCI(string(sast), root))

	cq := mustRead(t, filepath.Join(project, "gl-code-quality-report.json"))
	var issues []struct {
		Description, CheckName, Fingerprint, Severity string
		Location                                      struct {
			Path  string
			Lines struct{ Begin int }
		}
	}
	if err := json.Unmarshal(bytes.ReplaceAll(cq, []byte("check_name"), []byte("checkname")), &issues); err != nil || len(issues) != 11 {
		t.Fatalf("code quality: %v, %d issues", err, len(issues))
	}
	for _, is := range issues {
		if is.Description == "" || is.CheckName == "" || len(is.Fingerprint) != 32 || is.Severity == "" || is.Location.Path == "" || is.Location.Lines.Begin < 1 {
			t.Errorf("code quality issue lacks a required field: %+v", is)
		}
	}
	golden(t, "demo.codequality.json", normaliseCI(string(cq), root))

	bomBytes := mustRead(t, bom)
	cdxtest.Validate(t, bomBytes)
	for _, want := range []string{`"machine-learning-model"`, `"SHA-256"`, `"modelgate:tensor"`, `"MG1001"`, `"file:testdata/demo/models/pytorch_model.bin"`} {
		if !bytes.Contains(bomBytes, []byte(want)) {
			t.Errorf("BOM lacks %s", want)
		}
	}
	golden(t, "demo.cyclonedx.json", normaliseCI(string(bomBytes), root))
}

func TestGitLabDefaultsCanBeTurnedOff(t *testing.T) {
	repoRoot(t)
	project := t.TempDir()
	r := run(t, gitlabEnv(project, nil), "scan", "testdata/clean", "--quiet", "--gitlab-sast=", "--codequality", filepath.Join(project, "cq.json"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(project, "gl-sast-report.json")); err == nil {
		t.Error("--gitlab-sast= did not turn the SAST report off")
	}
	if got := strings.TrimSpace(string(mustRead(t, filepath.Join(project, "cq.json")))); got != "[]" {
		t.Errorf("clean Code Quality report %q, want []", got)
	}
	// Outside GitLab nothing is written by default.
	other := t.TempDir()
	run(t, map[string]string{"CI_PROJECT_DIR": other}, "scan", "testdata/clean", "--quiet")
	if entries, _ := os.ReadDir(other); len(entries) != 0 {
		t.Errorf("files written outside GitLab CI: %v", entries)
	}
}

func TestFormatsToStdout(t *testing.T) {
	root := repoRoot(t)
	r := run(t, nil, "scan", "testdata/demo", "--format", "gitlab-sast")
	validateJSON(t, filepath.Join(root, "report", "gitlab", "testdata", "gitlab-sast-report-format-15.2.1.json"), []byte(r.stdout))
	r = run(t, nil, "scan", "testdata/demo", "--format", "cyclonedx")
	cdxtest.Validate(t, []byte(r.stdout))
	r = run(t, nil, "scan", "testdata/demo", "--format", "codequality")
	if !strings.HasPrefix(r.stdout, "[") || !strings.Contains(r.stderr, "blocking") {
		t.Errorf("codequality on stdout: %.100q, stderr %q", r.stdout, r.stderr)
	}
}

// TestGitLabMergeRequestNote: the note is created once, updated in place on
// the next run, and the token never reaches the log.
func TestGitLabMergeRequestNote(t *testing.T) {
	repoRoot(t)
	api := gitlabtest.New(t, glToken, "42")
	env := gitlabEnv(t.TempDir(), api)
	for i := range 2 {
		r := run(t, env, "scan", "testdata/demo", "--quiet")
		if r.code != 1 {
			t.Fatalf("run %d: exit %d\n%s", i, r.code, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, glToken) {
			t.Fatal("the token was printed")
		}
	}
	notes := api.Notes(7)
	if len(notes) != 1 || api.Count(gitlabtest.OpCreate) != 1 || !strings.HasPrefix(notes[0].Body, "<!-- modelgate:modelgate -->") {
		t.Fatalf("notes %+v", notes)
	}
	if !strings.Contains(notes[0].Body, "https://gitlab.example/ml/models/-/blob/6dcb09b5b57875f334f61aebed695e2e4193db5e/testdata/demo/") {
		t.Errorf("note does not link files at the commit:\n%.600s", notes[0].Body)
	}
	// --gitlab-note never makes no API call.
	before := len(api.Requests())
	run(t, env, "scan", "testdata/demo", "--quiet", "--gitlab-note", "never")
	if len(api.Requests()) != before {
		t.Error("--gitlab-note never called the API")
	}
	// A shard leaves the note to the merge job.
	env["CI_NODE_INDEX"], env["CI_NODE_TOTAL"] = "1", "2"
	r := run(t, env, "scan", "testdata/demo", "--quiet")
	if len(api.Requests()) != before || !strings.Contains(r.stderr, "shard 1/2") {
		t.Errorf("a shard published the note: %q", r.stderr)
	}
}

// TestGitLabParallelPicksTheShard: parallel: N jobs scan their own part
// without a --shard flag.
func TestGitLabParallelPicksTheShard(t *testing.T) {
	repoRoot(t)
	env := gitlabEnv(t.TempDir(), nil)
	env["CI_NODE_INDEX"], env["CI_NODE_TOTAL"] = "2", "3"
	implicit := run(t, env, "scan", "testdata/demo", "--format", "json", "--gitlab-sast=", "--codequality=")
	explicit := run(t, nil, "scan", "testdata/demo", "--format", "json", "--shard", "2/3")
	if files(t, implicit.stdout) != files(t, explicit.stdout) {
		t.Errorf("CI_NODE_INDEX/CI_NODE_TOTAL scanned %s, --shard 2/3 %s", files(t, implicit.stdout), files(t, explicit.stdout))
	}
	if r := run(t, nil, "scan", "testdata/demo", "--shard", "5/4"); r.code != 2 {
		t.Errorf("--shard 5/4: exit %d", r.code)
	}
	if r := run(t, nil, "scan", "testdata/demo", "--gitlab-note", "sometimes"); r.code != 2 {
		t.Errorf("--gitlab-note sometimes: exit %d", r.code)
	}
}

// files lists the scanned files of a JSON report.
func files(t *testing.T, report string) string {
	t.Helper()
	var doc struct {
		Files []struct{ Path, Status string }
	}
	if err := json.Unmarshal([]byte(report), &doc); err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, f := range doc.Files {
		if f.Status != "skipped" {
			ps = append(ps, f.Path)
		}
	}
	return strings.Join(ps, ",")
}

// TestShardInGitHubActionsLeavesPublishingToMerge: each shard would replace
// the others' code-scanning analysis and comment.
func TestShardInGitHubActionsLeavesPublishingToMerge(t *testing.T) {
	repoRoot(t)
	sarifPath := filepath.Join(t.TempDir(), "x.sarif")
	r := run(t, map[string]string{"INPUT_SARIF-FILE": sarifPath}, "scan", "--github", "--shard", "1/2", "testdata/clean")
	if !strings.Contains(r.stderr, "left to the job that runs modelgate merge") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestGitLabTemplate: the CI template uses the image with an empty
// entrypoint, publishes the reports where modelgate writes them, keeps
// them when the gate fails, and passes only flags that exist.
func TestGitLabTemplate(t *testing.T) {
	root := repoRoot(t)
	var tpl map[string]struct {
		Image struct {
			Name       string
			Entrypoint []string
		}
		Parallel  int
		Script    []string
		Artifacts struct {
			When    string
			Reports map[string]string
			Paths   []string
		}
	}
	data := mustRead(t, filepath.Join(root, "ci", "gitlab", "modelgate.gitlab-ci.yml"))
	if err := yaml.Unmarshal(data, &tpl); err != nil {
		t.Fatal(err)
	}
	help := run(t, nil, "scan", "--help").stderr
	flagRE := regexp.MustCompile(`--([a-z-]+)`)
	for _, name := range []string{"modelgate_sast", ".modelgate_shard", ".modelgate_merge"} {
		job, ok := tpl[name]
		if !ok {
			t.Fatalf("template lacks %s", name)
		}
		if job.Image.Name != "$MODELGATE_IMAGE" || len(job.Image.Entrypoint) != 1 || job.Image.Entrypoint[0] != "" || job.Artifacts.When != "always" {
			t.Errorf("%s: image %+v, artifacts when %q", name, job.Image, job.Artifacts.When)
		}
		if name != ".modelgate_shard" && (job.Artifacts.Reports["sast"] != "gl-sast-report.json" || job.Artifacts.Reports["codequality"] != "gl-code-quality-report.json") {
			t.Errorf("%s: reports %v", name, job.Artifacts.Reports)
		}
		for _, line := range job.Script {
			for _, m := range flagRE.FindAllStringSubmatch(line, -1) {
				if !strings.Contains(help, "-"+m[1]+" ") && !strings.Contains(help, "-"+m[1]+"\n") {
					t.Errorf("%s uses --%s, which scan does not know", name, m[1])
				}
			}
		}
	}
	if tpl[".modelgate_shard"].Parallel < 2 || !strings.Contains(tpl[".modelgate_merge"].Script[0], "modelgate merge") {
		t.Errorf("sharded jobs: %+v", tpl[".modelgate_shard"])
	}
	if !bytes.Contains(mustRead(t, filepath.Join(root, "ci", "gitlab", "example.gitlab-ci.yml")), []byte("ci/gitlab/modelgate.gitlab-ci.yml")) {
		t.Error("the example does not include the template")
	}
}
