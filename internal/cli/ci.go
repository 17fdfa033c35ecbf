package cli

import (
	"context"
	"flag"

	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

// ciOptions covers other CI systems and splitting a scan across jobs:
// GitLab reports and MR note, sharding (issue #9 fills this in).
type ciOptions struct{}

// register adds the flags to the scan command.
func (c *ciOptions) register(fs *flag.FlagSet) {}

// actionInputs maps Action inputs onto the options.
func (c *ciOptions) actionInputs(set func(flagName, input string, apply func(string))) {}

// defaults fills in what the CI environment implies (GitLab output paths)
// once flags and inputs are read.
func (c *ciOptions) defaults(o *scanOptions, env Env) error { return nil }

// selectTargets keeps the discovered files this job scans (its shard).
func (c *ciOptions) selectTargets(ts []scanner.Target) []scanner.Target { return ts }

// publish reports to the CI system after the outputs are written; it
// never changes the exit code.
func (c *ciOptions) publish(ctx context.Context, o *scanOptions, env Env, rep *report.Report) {}
