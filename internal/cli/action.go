package cli

import (
	"flag"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/modelgate/modelgate/report"
)

// actionMode reads the GitHub Action's inputs and writes its outputs. The
// same binary runs anywhere: every file command is guarded by its
// environment variable, since go-githubactions panics when it is unset.
type actionMode struct {
	gha    *githubactions.Action
	getenv func(string) string
}

// DefaultActionSARIF is where the Action writes SARIF unless told otherwise.
const DefaultActionSARIF = "modelgate.sarif"

func newActionMode(o *scanOptions, env Env) *actionMode {
	if !o.github && env.Getenv("GITHUB_ACTIONS") != "true" {
		return nil
	}
	gha := githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout))
	return &actionMode{gha: gha, getenv: env.Getenv}
}

// applyInputs fills options from INPUT_* variables; flags given on the
// command line win.
func (a *actionMode) applyInputs(fs *flag.FlagSet, o *scanOptions) {
	set := func(flagName, input string, apply func(string)) {
		if v := a.gha.GetInput(input); v != "" && !flagWasSet(fs, flagName) {
			apply(v)
		}
	}
	if v := a.gha.GetInput("path"); v != "" && len(o.paths) == 0 {
		o.paths = splitLines(v)
	}
	set("include", "include", func(v string) { o.includes = append(o.includes, splitLines(v)...) })
	set("exclude", "exclude", func(v string) { o.excludes = append(o.excludes, splitLines(v)...) })
	set("fail-on", "fail-on", func(v string) { o.failOn = v })
	set("report-min", "report-min", func(v string) { o.reportMin = v })
	set("category", "category", func(v string) { o.category = v })
	set("sarif", "sarif-file", func(v string) { o.sarifFile = v })
	if o.sarifFile == "" {
		o.sarifFile = DefaultActionSARIF
	}
}

// splitLines splits a multi-line input into its non-empty lines. Commas
// are not separators: patterns use them inside {a,b}.
func splitLines(v string) []string {
	var out []string
	for _, line := range strings.Split(v, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// setOutputs writes the step outputs when the runner provides GITHUB_OUTPUT.
func (a *actionMode) setOutputs(o *scanOptions, rep *report.Report) {
	if a.getenv("GITHUB_OUTPUT") == "" {
		return
	}
	d := rep.Decision
	a.gha.SetOutput("sarif-file", sanitizeOutput(o.sarifFile))
	a.gha.SetOutput("findings", strconv.Itoa(len(d.Reported)))
	a.gha.SetOutput("blocking", strconv.Itoa(d.BlockingCount))
	a.gha.SetOutput("verdict", d.Verdict)
}

// sanitizeOutput strips what could break out of a multi-line output value.
func sanitizeOutput(s string) string {
	s = strings.ReplaceAll(s, "_GitHubActionsFileCommandDelimeter_", "")
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}
