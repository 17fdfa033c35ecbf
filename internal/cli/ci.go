package cli

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/modelgate/modelgate/discover"
	"github.com/modelgate/modelgate/inventory"
	glpub "github.com/modelgate/modelgate/publish/gitlab"
	"github.com/modelgate/modelgate/report"
	glreport "github.com/modelgate/modelgate/report/gitlab"
	"github.com/modelgate/modelgate/scanner"
)

// Default report files in GitLab CI, in $CI_PROJECT_DIR.
const (
	DefaultGitLabSAST  = "gl-sast-report.json"
	DefaultCodeQuality = "gl-code-quality-report.json"
)

// ciOptions covers other CI systems and splitting a scan across jobs:
// GitLab reports and merge-request note, the CycloneDX BOM, sharding.
type ciOptions struct {
	gitlabSAST  pathFlag // --gitlab-sast FILE
	codequality pathFlag // --codequality FILE
	cyclonedx   string   // --cyclonedx FILE
	shardSpec   string   // --shard I/N
	gitlab      bool     // --gitlab: GitLab CI mode (automatic in GitLab CI)
	note        string   // --gitlab-note on-mr|always|never

	shard discover.Shard
	// osPaths maps the display path of each target this job scans to the
	// path to open, for the BOM's inventory pass.
	osPaths map[string]string
	// models is the inventory, computed once when a BOM is written.
	models []inventory.Model
}

// pathFlag is a file flag that remembers whether it was given, so that an
// explicit empty value turns a CI default off.
type pathFlag struct {
	path string
	set  bool
}

func (p *pathFlag) String() string { return p.path }
func (p *pathFlag) Set(v string) error {
	p.path, p.set = v, true
	return nil
}

// register adds the flags to the scan command.
func (c *ciOptions) register(fs *flag.FlagSet) {
	fs.Var(&c.gitlabSAST, "gitlab-sast", "also write a GitLab SAST report (schema "+glreport.SASTVersion+") to `FILE` (GitLab CI default: $CI_PROJECT_DIR/"+DefaultGitLabSAST+"; empty: none)")
	fs.Var(&c.codequality, "codequality", "also write a GitLab Code Quality report to `FILE` (GitLab CI default: $CI_PROJECT_DIR/"+DefaultCodeQuality+"; empty: none)")
	fs.StringVar(&c.cyclonedx, "cyclonedx", "", "also write a CycloneDX 1.6 ML-BOM (model hashes and tensor inventory) to `FILE`")
	fs.StringVar(&c.shardSpec, "shard", "", "scan only part `I/N` of the discovered files, for N parallel CI jobs (GitLab parallel: default $CI_NODE_INDEX/$CI_NODE_TOTAL); join the reports with modelgate merge")
	fs.BoolVar(&c.gitlab, "gitlab", false, "GitLab CI mode: default report paths and merge-request note (automatic when GITLAB_CI=true)")
	fs.StringVar(&c.note, "gitlab-note", glpub.NoteOnMR, "GitLab CI mode: sticky merge-request note: `on-mr`, always or never (token: MODELGATE_GITLAB_TOKEN or GITLAB_TOKEN)")
}

// actionInputs maps Action inputs onto the options.
func (c *ciOptions) actionInputs(set func(flagName, input string, apply func(string))) {
	set("cyclonedx", "cyclonedx-file", func(v string) { c.cyclonedx = v })
	set("shard", "shard", func(v string) { c.shardSpec = v })
}

// inGitLab reports whether the job runs in GitLab CI (or --gitlab asks to
// act as if it did).
func (c *ciOptions) inGitLab(env Env) bool {
	return c.gitlab || env.Getenv("GITLAB_CI") == "true" ||
		(env.Getenv("CI_PROJECT_DIR") != "" && env.Getenv("CI_COMMIT_SHA") != "")
}

// defaults fills in what the CI environment implies once flags and inputs
// are read: GitLab report paths, the shard from GitLab's parallel:, and no
// GitHub publishing from a shard.
func (c *ciOptions) defaults(o *scanOptions, env Env) error {
	if !slices.Contains(glpub.NoteModes, c.note) {
		return fmt.Errorf("--gitlab-note %q: want on-mr, always or never: %w", c.note, errUsage)
	}
	if c.inGitLab(env) {
		dir := env.Getenv("CI_PROJECT_DIR")
		defaultPath(&c.gitlabSAST, dir, DefaultGitLabSAST)
		defaultPath(&c.codequality, dir, DefaultCodeQuality)
		if c.shardSpec == "" {
			c.shardSpec = gitlabNode(env)
		}
	}
	c.shard = discover.Shard{Index: 1, Total: 1}
	if c.shardSpec != "" {
		sh, err := discover.ParseShard(c.shardSpec)
		if err != nil {
			return fmt.Errorf("--shard: %w: %w", err, errUsage)
		}
		c.shard = sh
	}
	if c.shard.Active() && (o.github || env.Getenv("GITHUB_ACTIONS") == "true") {
		// Each shard would replace the others' code-scanning analysis and
		// sticky comment: the merge job publishes the whole result.
		o.gh.uploadSARIF, o.gh.comment, o.gh.annotations = false, "never", false
		fmt.Fprintf(env.Stderr, "modelgate: shard %s: code-scanning upload, comment and review are left to the job that runs modelgate merge\n", c.shard)
	}
	return nil
}

// defaultPath sets a report path in dir unless the flag was given.
func defaultPath(p *pathFlag, dir, name string) {
	if !p.set {
		p.path = name
		if dir != "" {
			p.path = filepath.Join(dir, name)
		}
	}
}

// gitlabNode is "CI_NODE_INDEX/CI_NODE_TOTAL" in a job with parallel: N,
// "" otherwise.
func gitlabNode(env Env) string {
	index, err1 := strconv.Atoi(env.Getenv("CI_NODE_INDEX"))
	total, err2 := strconv.Atoi(env.Getenv("CI_NODE_TOTAL"))
	if err1 != nil || err2 != nil || total < 2 {
		return ""
	}
	return fmt.Sprintf("%d/%d", index, total)
}

// selectTargets keeps the discovered files this job scans (its shard), and
// remembers where they are for the BOM.
func (c *ciOptions) selectTargets(ts []scanner.Target) []scanner.Target {
	ts = c.shard.Select(ts)
	c.osPaths = make(map[string]string, len(ts))
	for _, t := range ts {
		c.osPaths[t.Path] = t.OSPath
	}
	return ts
}

// inventory describes the report's model files once, for the BOM. Files
// not among this job's targets (a merged report) are opened by their
// display path, which is relative to the working directory.
func (c *ciOptions) inventory(ctx context.Context, rep *report.Report) ([]inventory.Model, error) {
	if c.models != nil {
		return c.models, nil
	}
	var files []inventory.File
	for _, f := range rep.Result.Files {
		if f.Status == scanner.StatusSkipped || !inventory.IsModel(f.Format) {
			continue
		}
		osPath, ok := c.osPaths[f.Path]
		if !ok {
			osPath = filepath.FromSlash(f.Path)
		}
		files = append(files, inventory.File{Path: f.Path, OSPath: osPath, Format: f.Format})
	}
	models, err := inventory.Build(ctx, files, inventory.Limits{})
	if err != nil {
		return nil, fmt.Errorf("model inventory for the BOM: %w", err)
	}
	c.models = models
	return models, nil
}

// publish reports to the CI system after the outputs are written; it
// never changes the exit code.
func (c *ciOptions) publish(ctx context.Context, o *scanOptions, env Env, rep *report.Report) {
	if !c.inGitLab(env) || c.note == glpub.NoteNever {
		return
	}
	if c.shard.Active() {
		fmt.Fprintf(env.Stderr, "modelgate: shard %s: the merge-request note is left to the job that runs modelgate merge\n", c.shard)
		return
	}
	cfg := glpub.ConfigFromEnv(env.Getenv)
	cfg.Mode = c.note
	cfg.Log = func(format string, args ...any) { fmt.Fprintf(env.Stderr, format+"\n", args...) }
	glpub.Publish(ctx, cfg, rep)
}
