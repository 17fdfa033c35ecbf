package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/modelgate/modelgate/policy"
	ghpub "github.com/modelgate/modelgate/publish/github"
	"github.com/modelgate/modelgate/report"
)

// actionMode reads the GitHub Action's inputs and writes its outputs. The
// same binary runs anywhere: every file command is guarded by its
// environment variable, since go-githubactions panics when it is unset.
type actionMode struct {
	gha    *githubactions.Action
	getenv func(string) string
	// token authenticates GitHub API calls (github-token input, else
	// GITHUB_TOKEN); "" keeps the run offline.
	token string
}

// githubOptions are the reporting switches of Action mode (flags and
// inputs of the same names).
type githubOptions struct {
	uploadSARIF bool
	comment     string
	annotations bool
	summary     bool
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
// command line win. The token is masked in the runner's log before
// anything else is printed.
func (a *actionMode) applyInputs(fs *flag.FlagSet, o *scanOptions) error {
	a.readToken()
	var errs []error
	set := func(flagName, input string, apply func(string)) {
		if v := a.gha.GetInput(input); v != "" && !flagWasSet(fs, flagName) {
			apply(v)
			o.pol.explicit[flagName] = true
		}
	}
	setBool := func(name string, dst *bool) {
		set(name, name, func(v string) {
			b, err := parseBoolInput(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("input %s: %w", name, err))
			}
			*dst = b
		})
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
	set("json", "json-file", func(v string) { o.jsonFile = v })
	set("comment", "comment", func(v string) { o.gh.comment = v })
	setBool("upload-sarif", &o.gh.uploadSARIF)
	setBool("annotations", &o.gh.annotations)
	setBool("summary", &o.gh.summary)
	set("config", "config", func(v string) { o.pol.config = v })
	set("baseline", "baseline", func(v string) { o.pol.baseline = v })
	set("changed-since", "changed-since", func(v string) {
		o.pol.changedSince = a.changedSince(v)
		o.pol.changedAuto = strings.EqualFold(strings.TrimSpace(v), "auto")
	})
	o.engines.actionInputs(set)
	o.ci.actionInputs(set)
	if o.sarifFile == "" {
		o.sarifFile = DefaultActionSARIF
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", errs[0], errUsage)
	}
	return nil
}

// changedSince resolves the changed-since input: "auto" diffs a pull
// request against its base commit and scans everything on other events
// (pushes to the default branch keep the full picture); "none" or ""
// always scans everything; anything else is a git ref.
func (a *actionMode) changedSince(v string) string {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "none", "false":
		return ""
	case "auto":
		c, err := a.gha.Context()
		if err != nil || c == nil {
			return ""
		}
		if c.EventName != "pull_request" && c.EventName != "pull_request_target" {
			return ""
		}
		pr, _ := c.Event["pull_request"].(map[string]any)
		base, _ := pr["base"].(map[string]any)
		sha, _ := base["sha"].(string)
		return sha
	}
	return v
}

// readToken takes the github-token input, else GITHUB_TOKEN, and masks it.
func (a *actionMode) readToken() {
	a.token = cmp.Or(a.gha.GetInput("github-token"), strings.TrimSpace(a.getenv("GITHUB_TOKEN")))
	if a.token != "" && a.getenv("GITHUB_ACTIONS") == "true" {
		// Only a runner consumes ::add-mask::; elsewhere it would print the token.
		a.gha.AddMask(a.token)
	}
}

// parseBoolInput reads a boolean input as actions/toolkit's getBooleanInput
// does (YAML 1.2 core schema).
func parseBoolInput(v string) (bool, error) {
	switch v {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}

// publish reports to GitHub: code-scanning upload, PR comment and review,
// annotations and job summary. It never changes the exit code.
func (a *actionMode) publish(ctx context.Context, o *scanOptions, rep *report.Report) ghpub.Outcome {
	run, err := a.run()
	if err != nil {
		a.gha.Warningf("%s", err.Error())
	}
	p := ghpub.New(ghpub.Config{
		Token:       a.token,
		UploadSARIF: o.gh.uploadSARIF,
		Comment:     o.gh.comment,
		Annotations: o.gh.annotations,
		Summary:     o.gh.summary,
	}, run, a.gha, a.getenv)
	return p.Publish(ctx, rep)
}

// run reads the GitHub context; nil when it is too incomplete to publish.
func (a *actionMode) run() (*ghpub.Run, error) {
	c, err := a.gha.Context()
	if c == nil {
		return nil, fmt.Errorf("modelgate: cannot read the GitHub event (API steps skipped): %v", err)
	}
	run, rerr := ghpub.RunFromContext(c)
	if rerr != nil {
		return nil, nil // the publisher says why API steps are skipped
	}
	return run, nil
}

// annotateNotes turns the policy's warnings (expired or stale
// suppressions) into workflow annotations on the policy file.
func (a *actionMode) annotateNotes(rep *report.Report) {
	for _, n := range rep.Decision.Notes {
		fields := map[string]string{}
		if n.File != "" {
			fields["file"] = n.File
		}
		if n.Line > 0 {
			fields["line"] = strconv.Itoa(n.Line)
		}
		g := a.gha.WithFieldsMap(fields)
		if n.Level == policy.NoteWarning {
			g.Warningf("%s", n.Message)
		} else {
			g.Noticef("%s", n.Message)
		}
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
func (a *actionMode) setOutputs(o *scanOptions, rep *report.Report, pub ghpub.Outcome) {
	if a.getenv("GITHUB_OUTPUT") == "" {
		return
	}
	d := rep.Decision
	a.gha.SetOutput("sarif-file", sanitizeOutput(o.sarifFile))
	a.gha.SetOutput("findings", strconv.Itoa(len(d.Reported)))
	a.gha.SetOutput("blocking", strconv.Itoa(d.BlockingCount))
	a.gha.SetOutput("verdict", d.Verdict)
	a.gha.SetOutput("sarif-id", sanitizeOutput(pub.SARIFID))
	a.gha.SetOutput("comment-url", sanitizeOutput(pub.CommentURL))
}

// sanitizeOutput strips what could break out of a multi-line output value.
func sanitizeOutput(s string) string {
	s = strings.ReplaceAll(s, "_GitHubActionsFileCommandDelimeter_", "")
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}
