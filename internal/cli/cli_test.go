package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	gosarif "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/modelgate/modelgate/internal/cli"
	"github.com/modelgate/modelgate/scanner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// repoRoot makes the repository root the working directory, so that paths
// in reports read as they do for users ("testdata/demo/...").
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	return root
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{
		Stdout:     &stdout,
		Stderr:     &stderr,
		Getenv:     func(k string) string { return env[k] },
		IsTerminal: func(io.Writer) bool { return false },
	})
	return result{code, stdout.String(), stderr.String()}
}

// normalise removes what changes between runs and machines: times,
// durations, the version and the absolute root.
func normalise(s, root string) string {
	for _, r := range []struct{ re, with string }{
		{`"(started_at|finished_at)": "[^"]+"`, `"$1": "TIME"`},
		{`"duration_ms": \d+`, `"duration_ms": 0`},
		{`"(version|semanticVersion|commit)": "[^"]+"`, `"$1": "VERSION"`},
		{`modelgate \S+ · \S+`, `modelgate VERSION · ELAPSED`},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return strings.ReplaceAll(s, "file://"+filepath.ToSlash(root)+"/", "file:///ROOT/")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got); run go test ./internal/cli -update if intended:\n%s", name, diff)
	}
}

func TestDemoScan(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	sarifPath, jsonPath := filepath.Join(dir, "out.sarif"), filepath.Join(dir, "out.json")
	r := run(t, nil, "scan", "testdata/demo", "--sarif", sarifPath, "--json", jsonPath)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1 (blocking findings)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"MG0003", "MG2001", "MG2007", "MG2008", "MG2010", "FAIL"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %s:\n%s", want, r.stdout)
		}
	}
	golden(t, "demo.txt", normalise(r.stdout, root))

	sarifBytes := mustRead(t, sarifPath)
	validateSARIF(t, sarifBytes)
	var counts struct {
		Runs []struct{ Results []any }
	}
	json.Unmarshal(sarifBytes, &counts)
	if n, lines := len(counts.Runs[0].Results), strings.Count(r.stdout, "  MG"); n != lines {
		t.Errorf("SARIF has %d results, the text report %d findings", n, lines)
	}
	golden(t, "demo.sarif", normalise(string(sarifBytes), root))

	jsonBytes := mustRead(t, jsonPath)
	validateJSON(t, filepath.Join(root, "schema", "result-v1.json"), jsonBytes)
	golden(t, "demo.json", normalise(string(jsonBytes), root))
}

func TestFormatToStdoutMatchesFile(t *testing.T) {
	repoRoot(t)
	out := filepath.Join(t.TempDir(), "out.sarif")
	r1 := run(t, nil, "scan", "--format", "sarif", "testdata/demo")
	r2 := run(t, nil, "scan", "testdata/demo", "--format=sarif", "--output", out, "--quiet")
	if r1.code != 1 || r2.code != 1 || r2.stdout != "" {
		t.Fatalf("codes %d %d, quiet stdout %q", r1.code, r2.code, r2.stdout)
	}
	if !strings.Contains(r1.stderr, "blocking") {
		t.Errorf("stderr lacks the verdict line: %q", r1.stderr)
	}
	strip := regexp.MustCompile(`"(startTimeUtc|endTimeUtc)": "[^"]+"`)
	if strip.ReplaceAllString(r1.stdout, "") != strip.ReplaceAllString(string(mustRead(t, out)), "") {
		t.Error("SARIF on stdout differs from SARIF written with --output")
	}
}

func TestCleanDirectoryPasses(t *testing.T) {
	repoRoot(t)
	r := run(t, nil, "scan", "testdata/clean")
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "PASS") || !strings.Contains(r.stdout, "files scanned   1 (safetensors 1)") {
		t.Errorf("unexpected output:\n%s", r.stdout)
	}
}

func TestGateThresholds(t *testing.T) {
	repoRoot(t)
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"--fail-on", "critical"}, 1},
		{[]string{"--fail-on", "critical", "--exclude", "*.bin", "--exclude", "AGENTS.md"}, 0},
		{[]string{"--fail-on", "none"}, 0},
		{[]string{"--fail-on", "low"}, 1},
		// Reporting is separate from the gate: a high report-min still fails on high.
		{[]string{"--report-min", "critical"}, 1},
	} {
		r := run(t, nil, append([]string{"scan", "testdata/demo", "--format", "json"}, tt.args...)...)
		if r.code != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.args, r.code, tt.code)
		}
		var doc struct {
			Gate struct {
				ExitCode int `json:"exit_code"`
			}
			Findings []struct {
				Severity scanner.Severity
				Blocking bool
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if doc.Gate.ExitCode != r.code {
			t.Errorf("%v: JSON exit_code %d, process %d", tt.args, doc.Gate.ExitCode, r.code)
		}
		if slicesContain(tt.args, "--report-min") {
			for _, f := range doc.Findings {
				if f.Severity < scanner.SeverityCritical && !f.Blocking {
					t.Errorf("non-blocking %s finding reported below --report-min", f.Severity)
				}
			}
		}
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestOperationalErrorsExit2(t *testing.T) {
	repoRoot(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "does/not/exist"}, "does/not/exist: no such file or directory"},
		{[]string{"scan", "--fail-on", "severe", "testdata/demo"}, "--fail-on"},
		{[]string{"scan", "--format", "xml", "testdata/demo"}, "--format"},
		{[]string{"scan", "--bogus"}, "flag provided but not defined"},
		{[]string{"scan", "--include", "/etc/*", "testdata/demo"}, "is absolute"},
		{[]string{"scan", "--config", "policy.yml", "testdata/demo"}, "policy.yml: no such file"},
		{[]string{"scan", "--baseline", "nope.json", "testdata/demo"}, "nope.json: no such file"},
		{[]string{"scan", "--changed-since", "--oops", "testdata/demo"}, "invalid ref"},
		{[]string{"scan", "--output", "/nonexistent-dir/x.sarif", "testdata/clean"}, "cannot create output file"},
		{[]string{"frobnicate"}, "unknown command"},
		{nil, "Usage"},
	} {
		r := run(t, nil, tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

func TestRulesAndVersion(t *testing.T) {
	r := run(t, nil, "rules")
	if r.code != 0 || len(strings.Split(strings.TrimSpace(r.stdout), "\n")) != len(scanner.Rules()) {
		t.Fatalf("rules: exit %d\n%s", r.code, r.stdout)
	}
	r = run(t, nil, "rules", "--format", "json")
	var rules []scanner.Rule
	if err := json.Unmarshal([]byte(r.stdout), &rules); err != nil || len(rules) != len(scanner.Rules()) {
		t.Fatalf("rules json: %v", err)
	}
	r = run(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "modelgate ") {
		t.Fatalf("version: %q", r.stdout)
	}
}

// TestReadmeRuleTable keeps README's rule table generated from the catalogue.
func TestReadmeRuleTable(t *testing.T) {
	root := repoRoot(t)
	readme := string(mustRead(t, filepath.Join(root, "README.md")))
	const begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the rules:begin/rules:end markers")
	}
	want := cli.RulesMarkdown(scanner.Rules())
	if *update {
		readme = readme[:i+len(begin)] + want + readme[j:]
		if err := os.WriteFile(filepath.Join(root, "README.md"), []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(want, readme[i+len(begin):j]); diff != "" {
		t.Errorf("README rule table is stale (-want +got); run go test ./internal/cli -update:\n%s", diff)
	}
}

func TestActionMode(t *testing.T) {
	repoRoot(t)
	dir := t.TempDir()
	outputs := filepath.Join(dir, "outputs")
	sarifPath := filepath.Join(dir, "results.sarif")
	env := map[string]string{
		"GITHUB_ACTIONS":   "true",
		"GITHUB_OUTPUT":    outputs,
		"INPUT_PATH":       "testdata/demo",
		"INPUT_FAIL-ON":    "critical",
		"INPUT_EXCLUDE":    "lfs/**\n*.bin\nAGENTS.md\n",
		"INPUT_SARIF-FILE": sarifPath,
		"INPUT_REPORT-MIN": "low",
	}
	r := run(t, env, "scan")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 with fail-on critical\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "MG0003") {
		t.Error("the exclude input was not applied (LFS pointers reported)")
	}
	validateSARIF(t, mustRead(t, sarifPath))
	out := string(mustRead(t, outputs))
	for _, want := range []string{"sarif-file<<", sarifPath, "verdict<<", "pass", "blocking<<", "findings<<"} {
		if !strings.Contains(out, want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, out)
		}
	}
	// Flags on the command line win over inputs.
	if r := run(t, env, "scan", "--fail-on", "high"); r.code != 1 {
		t.Errorf("--fail-on high did not override the input: exit %d", r.code)
	}
}

func TestActionModeWithoutRunnerFilesDoesNotPanic(t *testing.T) {
	repoRoot(t)
	sarifPath := filepath.Join(t.TempDir(), "x.sarif")
	r := run(t, map[string]string{"INPUT_SARIF-FILE": sarifPath}, "scan", "--github", "testdata/clean")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	mustRead(t, sarifPath)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validateSARIF checks a log against the OASIS schema (twice: go-sarif's
// embedded copy and our vendored one) and the invariants the schema misses.
func validateSARIF(t *testing.T, data []byte) {
	t.Helper()
	log, err := gosarif.FromBytes(data, gosarif.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Validate(); err != nil {
		t.Errorf("go-sarif validation: %v", err)
	}
	validateJSON(t, filepath.Join("testdata", "schemas", "sarif-2.1.0.json"), data)
	var raw struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules *[]struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results *[]struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Locations []any  `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(raw.Runs))
	}
	run := raw.Runs[0]
	if run.Tool.Driver.Rules == nil || run.Results == nil {
		t.Fatal("rules and results must be arrays, never null or missing")
	}
	rules := *run.Tool.Driver.Rules
	for _, res := range *run.Results {
		if res.RuleIndex < 0 || res.RuleIndex >= len(rules) || rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s has ruleIndex %d", res.RuleID, res.RuleIndex)
		}
		if len(res.Locations) == 0 {
			t.Errorf("result %s has no location", res.RuleID)
		}
	}
}

func validateJSON(t *testing.T, schemaPath string, data []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("compiling %s: %v", schemaPath, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("not valid against %s: %v", schemaPath, err)
	}
}

// TestPickleFixtureTrees: the malicious fixtures fail the default gate, the
// benign real checkpoints pass it.
func TestPickleFixtureTrees(t *testing.T) {
	repoRoot(t)
	if r := run(t, nil, "scan", "testdata/pickle/malicious", "--quiet"); r.code != 1 {
		t.Errorf("malicious fixtures: exit %d, want 1\n%s", r.code, r.stderr)
	}
	r := run(t, nil, "scan", "testdata/pickle/benign", "--format", "json")
	if r.code != 0 {
		t.Errorf("benign checkpoints: exit %d, want 0\n%s", r.code, r.stdout)
	}
	var doc struct {
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Severity scanner.Severity
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Findings {
		if f.Severity >= scanner.SeverityMedium {
			t.Errorf("benign checkpoint has a %s finding %s", f.Severity, f.RuleID)
		}
	}
}

func TestExplain(t *testing.T) {
	repoRoot(t)
	r := run(t, nil, "explain", "testdata/pickle/malicious/stack-global-binput-after-pop.pkl")
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	for _, want := range []string{"pickle disassembly", "STACK_GLOBAL", "os system  [dangerous]", "called by REDUCE", "MG1001"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, r.stdout)
		}
	}
}
