// Package cli is modelgate's command line: it parses flags into options,
// wires discovery, the engine, the policy and the renderers together, and
// returns the exit code. main is only os.Exit(cli.Run(...)), so the whole
// CLI runs in-process in tests.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modelgate/modelgate/internal/version"
	"github.com/modelgate/modelgate/policy"
)

// Env is what the CLI reads from its surroundings, injectable for tests.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads environment variables.
	Getenv func(string) string
	// IsTerminal reports whether a writer is an interactive terminal.
	IsTerminal func(io.Writer) bool
}

// errUsage marks errors that should print the command's usage.
var errUsage = errors.New("usage")

const usage = `modelgate: a security gate for machine-learning repositories.

Usage:
  modelgate scan [flags] [PATH...]   scan model artifacts and prompt fixtures (default path: .)
  modelgate explain [flags] FILE...  scan and show how each file was read: a pickle
                                     disassembly with resolved imports, calls and the verdict
  modelgate baseline [flags] [PATH...] [--output FILE]
                                     record the current findings; scans with --baseline FILE
                                     then report only new ones
  modelgate config check [--config FILE] [PATH]
                                     validate the policy file (.modelgate.yml)
  modelgate config schema            print the policy file's JSON Schema
  modelgate merge [flags] REPORT...  join the JSON reports (or SARIF logs) of a scan split
                                     with --shard I/N into the report of the whole scan
  modelgate rules [--format text|json|markdown]
                                     print the rule catalogue
  modelgate version                  print the version and commit
  modelgate dev fake-vendor NAME [--addr HOST:PORT]
                                     run a fake remote-engine vendor API for trials

Run 'modelgate scan --help' for the scan flags.
Exit codes: 0 nothing at or above --fail-on, 1 blocking findings, 2 error.
`

// Run executes the command line and returns the process exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return policy.ExitError
	}
	var err error
	switch args[0] {
	case "scan":
		var code int
		code, err = runScan(ctx, args[1:], env)
		if err == nil {
			return code
		}
	case "explain":
		var code int
		code, err = runScan(ctx, append([]string{"--explain"}, args[1:]...), env)
		if err == nil {
			return code
		}
	case "merge":
		var code int
		code, err = runMerge(ctx, args[1:], env)
		if err == nil {
			return code
		}
	case "rules":
		err = runRules(args[1:], env)
	case "dev":
		err = runDev(ctx, args[1:], env)
	case "baseline":
		err = runBaseline(ctx, args[1:], env)
	case "config":
		err = runConfig(args[1:], env)
	case "version", "--version":
		fmt.Fprintf(env.Stdout, "%s %s (commit %s)\n", version.Name, version.Version, version.CommitOrVCS())
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
	default:
		err = fmt.Errorf("unknown command %q: %w", args[0], errUsage)
	}
	if err == nil {
		return policy.ExitPass
	}
	if errors.Is(err, errHelp) {
		return policy.ExitPass
	}
	msg := strings.TrimSuffix(err.Error(), ": "+errUsage.Error())
	fmt.Fprintf(env.Stderr, "modelgate: error: %s\n", msg)
	if errors.Is(err, errUsage) && !strings.HasPrefix(msg, "unknown command") {
		fmt.Fprintln(env.Stderr, "Run 'modelgate scan --help' for usage.")
	} else if errors.Is(err, errUsage) {
		fmt.Fprint(env.Stderr, usage)
	}
	return policy.ExitError
}
