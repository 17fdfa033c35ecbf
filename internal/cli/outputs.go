package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/jsonreport"
	"github.com/modelgate/modelgate/report/text"
	"github.com/modelgate/modelgate/sarif"
)

// outputFormats are the --format values.
var outputFormats = []string{"text", "json", "sarif"}

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
	for _, extra := range []output{{"sarif", o.sarifFile}, {"json", o.jsonFile}, {"text", o.textFile}} {
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
	for _, out := range o.outputs() {
		if err := o.writeOutput(out, rep, env); err != nil {
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

func (o *scanOptions) writeOutput(out output, rep *report.Report, env Env) error {
	w, closeFn, err := openOutput(out.path, env.Stdout)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	err = render(bw, out.format, rep, o.useColor(env, out))
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

func render(w io.Writer, format string, rep *report.Report, color bool) error {
	switch format {
	case "sarif":
		return sarif.Write(w, rep)
	case "json":
		return jsonreport.Write(w, rep)
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
