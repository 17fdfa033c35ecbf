package cli

import (
	"context"
	"flag"

	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/list"
)

// engineOptions selects the scanning engines: the embedded one and the
// remote vendor backends (issue #8 fills this in).
type engineOptions struct{}

// register adds the engine flags to the scan command.
func (e *engineOptions) register(fs *flag.FlagSet) {}

// actionInputs maps the Action's engine inputs onto the options; set applies
// an input unless its flag was given on the command line.
func (e *engineOptions) actionInputs(set func(flagName, input string, apply func(string))) {}

// scanners returns the scanners the engine runs.
func (e *engineOptions) scanners(env Env) ([]scanner.Scanner, error) { return list.All(), nil }

// finish runs after the scan, before the outputs are written (per-engine
// summaries, remote failure outcomes).
func (e *engineOptions) finish(ctx context.Context, env Env, rep *report.Report) {}
