package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/modelgate/modelgate/discover"
	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

// policyOptions are the policy-file, baseline and diff-mode settings.
type policyOptions struct {
	config       string
	noConfig     bool
	baseline     string
	changedSince string
	// changedAuto says the Action chose changedSince (the pull request's
	// base): when git cannot diff, the scan covers everything instead of
	// failing.
	changedAuto bool
	// explicit records the settings given on the command line or as
	// Action inputs: they win over the policy file.
	explicit map[string]bool

	cfg  *policy.Config
	base *policy.Baseline
}

func (p *policyOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&p.config, "config", "", "policy `FILE` (default: .modelgate.yml or .modelgate.yaml at the scan root)")
	fs.BoolVar(&p.noConfig, "no-config", false, "ignore the policy file at the scan root")
	fs.StringVar(&p.baseline, "baseline", "", "report only findings not in the baseline `FILE` (written by 'modelgate baseline')")
	fs.StringVar(&p.changedSince, "changed-since", "", "scan only files changed since the git `REF` (merge base with HEAD), plus uncommitted changes")
}

// markExplicit records the flags given on the command line.
func (p *policyOptions) markExplicit(fs *flag.FlagSet) {
	if p.explicit == nil {
		p.explicit = map[string]bool{}
	}
	fs.Visit(func(f *flag.Flag) { p.explicit[f.Name] = true })
}

// scanRoot is where the policy file is looked up: the one directory
// scanned, else the working directory.
func scanRoot(paths []string) string {
	if len(paths) == 1 {
		if st, err := os.Stat(paths[0]); err == nil && st.IsDir() {
			return paths[0]
		}
	}
	return "."
}

// load reads the policy file and the baseline, and applies the file's
// settings to every option not given explicitly (command line > policy
// file > defaults).
func (o *scanOptions) loadPolicy() error {
	p := &o.pol
	path := p.config
	if path == "" && !p.noConfig {
		path = policy.FindConfig(scanRoot(o.paths))
	}
	if path != "" {
		cfg, err := policy.LoadConfig(path)
		if err != nil {
			return err
		}
		p.cfg = cfg
		o.applyConfig(cfg)
	}
	if p.baseline == "" && p.cfg != nil {
		p.baseline = p.cfg.BaselinePath()
	}
	if p.baseline != "" {
		b, err := policy.LoadBaseline(p.baseline)
		if err != nil {
			return err
		}
		p.base = b
	}
	return nil
}

func (o *scanOptions) applyConfig(c *policy.Config) {
	unset := func(name string) bool { return !o.pol.explicit[name] }
	if c.FailOn != nil && unset("fail-on") {
		o.failOn = policy.FailOnName(*c.FailOn)
	}
	if c.ReportMin != nil && unset("report-min") {
		o.reportMin = c.ReportMin.String()
	}
	// Patterns add up: the file's, then the command line's.
	o.includes = append(slices.Clone(c.Include), o.includes...)
	o.excludes = append(slices.Clone(c.Exclude), o.excludes...)
	if c.MaxFileSize != nil && unset("max-file-size") {
		o.maxFileSize = sizeFlag(*c.MaxFileSize)
	}
	if c.FileTimeout != nil && unset("file-timeout") {
		o.fileTimeout = *c.FileTimeout
	}
	if c.RemoteFailure != "" && unset("remote-failure") {
		o.engines.failure = c.RemoteFailure
	}
}

// configureScanners hands the scanners the policy's settings and a view
// of the repository (for references between prompt files).
func (o *scanOptions) configureScanners(ss []scanner.Scanner) error {
	var set scanner.Settings
	if o.pol.cfg != nil {
		set = o.pol.cfg.Settings()
	}
	set.RepoFS, set.Root = os.DirFS("."), filepath.ToSlash(filepath.Clean(scanRoot(o.paths)))
	err := scanner.Configure(ss, set)
	if err != nil && o.pol.cfg != nil {
		return fmt.Errorf("%s: %w", o.pol.cfg.Path, err)
	}
	return err
}

// selectChanged keeps the targets changed since --changed-since.
func (o *scanOptions) selectChanged(ctx context.Context, env Env, ts []scanner.Target) ([]scanner.Target, error) {
	ref := o.pol.changedSince
	if ref == "" {
		return ts, nil
	}
	changed, err := discover.ChangedSince(ctx, scanRoot(o.paths), ref)
	if err != nil && o.pol.changedAuto {
		fmt.Fprintf(env.Stderr, "modelgate: warning: cannot list the files this pull request changes (%v); scanning everything\n", err)
		return ts, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--changed-since %s: %w", ref, err)
	}
	kept := changed.Filter(ts)
	if !o.quiet {
		fmt.Fprintf(env.Stderr, "modelgate: --changed-since %s: %d of %d model and prompt files changed\n", ref, len(kept), len(ts))
	}
	return kept, nil
}

// decide applies the policy file, the baseline and the gate.
func (o *scanOptions) decide(res *scanner.Result, gate policy.Gate, partial bool) policy.Decision {
	return policy.Decide(res, policy.Options{
		Gate: gate, Config: o.pol.cfg, Baseline: o.pol.base, Now: time.Now(), Partial: partial,
	})
}

// printNotes puts the policy's warnings on stderr when stdout does not
// carry the text report (which lists them already).
func (o *scanOptions) printNotes(rep *report.Report, env Env) {
	textOnStdout := o.format == "text" && o.output == "" && !o.quiet
	if textOnStdout {
		return
	}
	for _, n := range rep.Decision.Notes {
		fmt.Fprintf(env.Stderr, "modelgate: %s\n", n)
	}
}
