package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/modelgate/modelgate/inventory"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/cyclonedx"
	"github.com/modelgate/modelgate/report/gitlab"
	"github.com/modelgate/modelgate/report/jsonreport"
	"github.com/modelgate/modelgate/report/text"
	"github.com/modelgate/modelgate/sarif"
)

// outputFormats are the --format values.
var outputFormats = []string{"text", "json", "sarif", "gitlab-sast", "codequality", "cyclonedx"}

// output is one rendering of the report to one destination ("" = stdout).
type output struct {
	format string
	path   string
}

// outputs lists what to write: the --format output (to --output or
// stdout) and each extra file. The text report goes to stdout beside them
// unless stdout already carries another format or --quiet is set.
func (o *scanOptions) outputs() []output {
	outs := []output{{o.format, o.output}}
	for _, extra := range []output{{"sarif", o.sarifFile}, {"json", o.jsonFile}, {"text", o.textFile},
		{"gitlab-sast", o.ci.gitlabSAST.path}, {"codequality", o.ci.codequality.path}, {"cyclonedx", o.ci.cyclonedx}} {
		if extra.path != "" {
			outs = append(outs, extra)
		}
	}
	if o.quiet {
		kept := outs[:0]
		for _, out := range outs {
			if out.path != "" || out.format != "text" {
				kept = append(kept, out)
			}
		}
		outs = kept
	}
	return outs
}

func (o *scanOptions) writeOutputs(rep *report.Report, env Env) error {
	outs := o.outputs()
	var models []inventory.Model
	if slices.ContainsFunc(outs, func(out output) bool { return out.format == "cyclonedx" }) {
		// The BOM needs hashes and tensors, which the scan does not compute.
		var err error
		if models, err = o.ci.inventory(context.Background(), rep); err != nil {
			return err
		}
	}
	for _, out := range outs {
		if err := o.writeOutput(out, rep, models, env); err != nil {
			return err
		}
	}
	if o.format != "text" && o.output == "" && !o.quiet {
		// stdout carries JSON or SARIF: the people-facing verdict goes to stderr.
		d := rep.Decision
		fmt.Fprintf(env.Stderr, "modelgate: %d findings, %d blocking (--fail-on %s): %s\n",
			len(d.Reported), d.BlockingCount, o.failOn, d.Verdict)
	}
	return nil
}

func (o *scanOptions) writeOutput(out output, rep *report.Report, models []inventory.Model, env Env) error {
	w, closeFn, err := openOutput(out.path, env.Stdout)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	err = render(bw, out.format, rep, models, o.useColor(env, out))
	if err == nil {
		err = bw.Flush()
	}
	if cerr := closeFn(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s output%s: %w", out.format, destination(out.path), err)
	}
	return nil
}

func destination(path string) string {
	if path == "" {
		return " to stdout"
	}
	return " to " + path
}

// render writes one format; models is the inventory for the BOM.
func render(w io.Writer, format string, rep *report.Report, models []inventory.Model, color bool) error {
	switch format {
	case "sarif":
		return sarif.Write(w, rep)
	case "json":
		return jsonreport.Write(w, rep)
	case "gitlab-sast":
		return gitlab.WriteSAST(w, rep)
	case "codequality":
		return gitlab.WriteCodeQuality(w, rep)
	case "cyclonedx":
		return cyclonedx.Write(w, rep, models)
	default:
		return text.Write(w, rep, text.Options{Color: color})
	}
}

func openOutput(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot create output file: %w", err)
	}
	return f, f.Close, nil
}

func (o *scanOptions) useColor(env Env, out output) bool {
	return out.format == "text" && (out.path == "" || out.path == "-") && !o.noColor &&
		env.Getenv("NO_COLOR") == "" && env.IsTerminal(env.Stdout)
}
