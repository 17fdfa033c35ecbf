package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/modelgate/modelgate/internal/version"
	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/list"
	"github.com/modelgate/modelgate/schema"
)

// DefaultBaseline is where `modelgate baseline` writes unless told otherwise.
const DefaultBaseline = ".modelgate-baseline.json"

// runBaseline scans like `scan` and records every finding the policy does
// not already suppress (whatever its severity) as the baseline.
func runBaseline(ctx context.Context, args []string, env Env) error {
	var o scanOptions
	fs := scanFlags(&o, env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, "Usage: modelgate baseline [flags] [PATH...]\n\nScans like 'modelgate scan' and writes every current finding to --output\n(default "+DefaultBaseline+"); later scans with --baseline FILE report only new findings.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	o.paths = paths
	if len(o.paths) == 0 {
		o.paths = []string{"."}
	}
	o.pol.markExplicit(fs)
	if o.pol.baseline != "" {
		return fmt.Errorf("--baseline: a baseline is written from the full set of findings; drop the flag: %w", errUsage)
	}
	if o.pol.changedSince != "" {
		return fmt.Errorf("--changed-since: a baseline covers the whole repository; drop the flag: %w", errUsage)
	}
	if err := o.loadPolicy(); err != nil {
		return err
	}
	o.pol.base = nil // a baseline never filters itself
	out := o.output
	if out == "" {
		out = DefaultBaseline
	}
	// Record everything: no report-min, no fail-on.
	o.failOn, o.reportMin, o.quiet = "none", "info", true
	gate, err := o.validate()
	if err != nil {
		return err
	}
	rep, err := o.scan(ctx, env, gate)
	if err != nil {
		return err
	}
	bf := policy.NewBaselineFile(version.Name+" "+version.Version, time.Now(), rep.Decision.Reported)
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if err := policy.WriteBaseline(f, bf); err != nil {
		f.Close()
		return fmt.Errorf("baseline %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("baseline %s: %w", out, err)
	}
	fmt.Fprintf(env.Stdout, "modelgate: wrote %d findings to %s; scan with --baseline %s (or `baseline: %s` in .modelgate.yml) to report only new ones\n",
		len(bf.Findings), out, out, out)
	return nil
}

// runConfig handles `modelgate config check|schema`.
func runConfig(args []string, env Env) error {
	if len(args) == 0 {
		return fmt.Errorf("config: want a subcommand: check [--config FILE] [PATH], or schema: %w", errUsage)
	}
	switch args[0] {
	case "check":
		return runConfigCheck(args[1:], env)
	case "schema":
		_, err := env.Stdout.Write(schema.Config)
		return err
	}
	return fmt.Errorf("config %s: unknown subcommand (want check or schema): %w", args[0], errUsage)
}

// runConfigCheck validates a policy file the way a scan reads it,
// including the pickle globals, and summarises it.
func runConfigCheck(args []string, env Env) error {
	fs := flag.NewFlagSet("modelgate config check", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	path := fs.String("config", "", "policy `FILE` (default: .modelgate.yml or .modelgate.yaml in PATH, else in .)")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *path == "" {
		*path = policy.FindConfig(scanRoot(rest))
		if *path == "" {
			fmt.Fprintf(env.Stdout, "modelgate: no .modelgate.yml in %s: the defaults apply (fail-on high, report everything)\n", scanRoot(rest))
			return nil
		}
	}
	cfg, err := policy.LoadConfig(*path)
	if err != nil {
		return err
	}
	if err := scanner.Configure(list.All(), cfg.Settings()); err != nil {
		return fmt.Errorf("%s: %w", cfg.Path, err)
	}
	if p := cfg.BaselinePath(); p != "" {
		if _, err := policy.LoadBaseline(p); err != nil {
			return err
		}
	}
	now := time.Now()
	expired, soon := 0, 0
	for i := range cfg.Suppressions {
		s := &cfg.Suppressions[i]
		switch {
		case !s.Active(now):
			expired++
			fmt.Fprintf(env.Stdout, "%s:%d: warning: suppression of %s expired on %s\n", cfg.Path, s.Line, s.Describe(), s.Expires.Format(time.DateOnly))
		case !s.Expires.IsZero() && !s.Active(now.AddDate(0, 0, 30)):
			soon++
			fmt.Fprintf(env.Stdout, "%s:%d: note: suppression of %s expires on %s\n", cfg.Path, s.Line, s.Describe(), s.Expires.Format(time.DateOnly))
		}
	}
	fmt.Fprintf(env.Stdout, "%s: valid: %d rule overrides, %d path overrides, %d suppressions (%d expired, %d expiring within 30 days)\n",
		cfg.Path, len(cfg.Rules), len(cfg.Paths), len(cfg.Suppressions), expired, soon)
	return nil
}
