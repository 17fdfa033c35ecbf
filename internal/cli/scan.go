package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/modelgate/modelgate/discover"
	"github.com/modelgate/modelgate/policy"
	ghpub "github.com/modelgate/modelgate/publish/github"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

// scanOptions are the scan command's settings after flags and Action
// inputs are merged.
type scanOptions struct {
	paths             []string
	format            string
	output            string
	sarifFile         string
	jsonFile          string
	textFile          string
	includes          listFlag
	excludes          listFlag
	noDefaultIncludes bool
	noDefaultExcludes bool
	sniffAll          bool
	failOn            string
	reportMin         string
	maxFileSize       sizeFlag
	fileTimeout       time.Duration
	jobs              int
	quiet             bool
	noColor           bool
	category          string
	github            bool
	gh                githubOptions
	explain           bool
	// pol is the policy file, baseline and diff mode (policy.go).
	pol policyOptions
	// engines selects the embedded and remote engines (engines.go).
	engines engineOptions
	// ci covers GitLab reports and sharding (ci.go).
	ci ciOptions
}

func scanFlags(o *scanOptions, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("modelgate scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.format, "format", "text", "output format: text, json, sarif, gitlab-sast, codequality or cyclonedx")
	fs.StringVar(&o.output, "output", "", "write the --format output to `FILE` instead of stdout")
	fs.StringVar(&o.sarifFile, "sarif", "", "also write SARIF 2.1.0 to `FILE`")
	fs.StringVar(&o.jsonFile, "json", "", "also write the JSON report to `FILE`")
	fs.StringVar(&o.textFile, "text", "", "also write the text report to `FILE`")
	fs.Var(&o.includes, "include", "add a doublestar `PATTERN` of files to scan (repeatable)")
	fs.Var(&o.excludes, "exclude", "add a doublestar `PATTERN` of files or directories to skip (repeatable; wins over --include)")
	fs.BoolVar(&o.noDefaultIncludes, "no-default-includes", false, "use only the --include patterns, not the built-in ones")
	fs.BoolVar(&o.noDefaultExcludes, "no-default-excludes", false, "walk .git, node_modules, virtualenvs and build output too")
	fs.BoolVar(&o.sniffAll, "sniff", true, "also check files that match no include pattern by content and scan those that are models")
	fs.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a finding is at or above this `SEVERITY`: critical, high, medium, low, info or none")
	fs.StringVar(&o.reportMin, "report-min", "info", "lowest `SEVERITY` reported (blocking findings are always reported)")
	fs.Var(&o.maxFileSize, "max-file-size", "skip files larger than `SIZE` (e.g. 2GiB; 0: no limit)")
	fs.DurationVar(&o.fileTimeout, "file-timeout", scanner.DefaultLimits.FileTimeout, "time budget per file")
	fs.IntVar(&o.jobs, "jobs", runtime.NumCPU(), "files scanned in parallel")
	fs.BoolVar(&o.quiet, "quiet", false, "print no text report or progress (files named by --output, --sarif, --json are still written)")
	fs.BoolVar(&o.noColor, "no-color", false, "never colour the text output (NO_COLOR is honoured too)")
	fs.StringVar(&o.category, "category", report.DefaultCategory, "SARIF category (runAutomationDetails.id) for GitHub code scanning")
	fs.BoolVar(&o.explain, "explain", false, "print each scanner's account of its analysis (a pickle disassembly with resolved imports and calls) before the report")
	fs.BoolVar(&o.github, "github", false, "GitHub Action mode: read INPUT_* inputs and set step outputs (automatic when GITHUB_ACTIONS=true)")
	fs.BoolVar(&o.gh.uploadSARIF, "upload-sarif", true, "Action mode: upload the SARIF to GitHub code scanning (needs a token)")
	fs.StringVar(&o.gh.comment, "comment", ghpub.CommentOnPR, "Action mode: sticky pull-request comment: `on-pr`, always or never")
	fs.BoolVar(&o.gh.annotations, "annotations", true, "Action mode: review line comments and workflow annotations")
	fs.BoolVar(&o.gh.summary, "summary", true, "Action mode: write the report to the job summary")
	o.pol.register(fs)
	o.engines.register(fs)
	o.ci.register(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: modelgate scan [flags] [PATH...]\n\nScans model artifacts and prompt fixtures under each PATH (default: .).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

func runScan(ctx context.Context, args []string, env Env) (int, error) {
	var o scanOptions
	fs := scanFlags(&o, env.Stderr)
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return 0, err
	}
	o.paths = paths
	o.pol.markExplicit(fs)
	act := newActionMode(&o, env)
	if act != nil {
		if err := act.applyInputs(fs, &o); err != nil {
			return 0, err
		}
	}
	if len(o.paths) == 0 {
		o.paths = []string{"."}
	}
	if err := o.loadPolicy(); err != nil {
		return 0, err
	}
	if err := o.ci.defaults(&o, env); err != nil {
		return 0, err
	}
	gate, err := o.validate()
	if err != nil {
		return 0, err
	}

	rep, err := o.scan(ctx, env, gate)
	if err != nil {
		return 0, err
	}
	o.engines.finish(ctx, env, rep)
	if err := o.writeOutputs(rep, env); err != nil {
		return 0, err
	}
	o.ci.publish(ctx, &o, env, rep)
	o.printNotes(rep, env)
	if act != nil {
		act.annotateNotes(rep)
		// Reporting never blocks on the gate, nor changes its exit code.
		act.setOutputs(&o, rep, act.publish(ctx, &o, rep))
	}
	return rep.Decision.ExitCode, nil
}

func (o *scanOptions) validate() (policy.Gate, error) {
	var g policy.Gate
	if !slices.Contains(outputFormats, o.format) {
		return g, fmt.Errorf("--format %q: want one of %s: %w", o.format, strings.Join(outputFormats, ", "), errUsage)
	}
	var err error
	if g.FailOn, err = policy.ParseFailOn(o.failOn); err != nil {
		return g, fmt.Errorf("--fail-on: %w", err)
	}
	if g.ReportMin, err = scanner.ParseSeverity(o.reportMin); err != nil {
		return g, fmt.Errorf("--report-min: %w", err)
	}
	if !slices.Contains(ghpub.CommentModes, o.gh.comment) {
		return g, fmt.Errorf("--comment %q: want on-pr, always or never: %w", o.gh.comment, errUsage)
	}
	if o.jobs < 1 {
		return g, fmt.Errorf("--jobs must be at least 1")
	}
	if o.fileTimeout <= 0 {
		return g, fmt.Errorf("--file-timeout must be positive")
	}
	return g, nil
}

// scan runs discovery, the engine and the gate.
func (o *scanOptions) scan(ctx context.Context, env Env, gate policy.Gate) (*report.Report, error) {
	disc, err := discover.Discover(o.paths, discover.Options{
		Includes:          o.includes,
		Excludes:          o.excludes,
		NoDefaultIncludes: o.noDefaultIncludes,
		NoDefaultExcludes: o.noDefaultExcludes,
		SniffAll:          o.sniffAll,
	})
	if err != nil {
		return nil, err
	}
	scanners, err := o.engines.scanners(env)
	if err != nil {
		return nil, err
	}
	if err := o.configureScanners(scanners); err != nil {
		return nil, err
	}
	targets, err := o.selectChanged(ctx, env, disc.Targets)
	if err != nil {
		return nil, err
	}
	selected := o.ci.selectTargets(targets)
	partial := len(selected) < len(disc.Targets)
	engine := &scanner.Engine{
		Scanners: scanners,
		Jobs:     o.jobs,
		Limits:   scanner.Limits{MaxFileSize: int64(o.maxFileSize), FileTimeout: o.fileTimeout},
	}
	if o.explain {
		engine.Explain = env.Stdout
	}
	progress := o.startProgress(env)
	engine.Progress = progress.update
	res, err := engine.Run(ctx, selected)
	progress.stop()
	if err != nil {
		return nil, err
	}
	res.Files = append(res.Files, disc.Skipped...)
	slices.SortStableFunc(res.Files, func(a, b scanner.FileStatus) int { return cmp.Compare(a.Path, b.Path) })

	rep := &report.Report{
		Tool:     report.CurrentTool(),
		Result:   res,
		Decision: o.decide(res, gate, partial),
		Category: o.category,
	}
	if o.pol.cfg != nil {
		rep.ConfigPath = filepath.ToSlash(o.pol.cfg.Path)
	}
	if o.pol.base != nil {
		rep.BaselinePath = filepath.ToSlash(o.pol.base.Path)
	}
	if cwd, err := os.Getwd(); err == nil {
		rep.RootURI = fileURI(cwd)
	}
	return rep, nil
}

// fileURI is the file:// URI of a directory, ending in "/".
func fileURI(dir string) string {
	p := filepath.ToSlash(dir)
	if p[len(p)-1] != '/' {
		p += "/"
	}
	if p[0] != '/' {
		p = "/" + p // Windows drive letters
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}
