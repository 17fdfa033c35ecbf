package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/modelgate/modelgate/scanner/remote/aishield/aishieldfake"
	"github.com/modelgate/modelgate/scanner/remote/evalguard/evalguardfake"
	"github.com/modelgate/modelgate/scanner/remote/guardian/guardianfake"
	"github.com/modelgate/modelgate/scanner/remote/prismairs/prismairsfake"
	"github.com/modelgate/modelgate/scanner/remote/remotefake"
)

// fakeVendor is a fake vendor server the dev command can run.
type fakeVendor struct {
	// start returns the handler and its faults, set before serving.
	start func() (http.Handler, *remotefake.Faults)
	// path is appended to the address to make the --<vendor>-url value.
	path string
	// env and flags are what a scan against the fake needs.
	env   []string
	flags string
}

var fakeVendors = map[string]fakeVendor{
	"evalguard": {
		start: func() (http.Handler, *remotefake.Faults) { f := evalguardfake.New(); return f, &f.Faults },
		path:  "/api/v1", env: []string{"EVALGUARD_API_KEY=" + evalguardfake.APIKey}, flags: " --evalguard-poll-interval 100ms",
	},
	"prisma-airs": {
		start: func() (http.Handler, *remotefake.Faults) { f := prismairsfake.New(); return f, &f.Faults },
		env:   []string{"PRISMA_AIRS_API_KEY=" + prismairsfake.APIKey}, flags: " --prisma-airs-profile ci --prisma-airs-poll-interval 100ms",
	},
	"guardian": {
		start: func() (http.Handler, *remotefake.Faults) { f := guardianfake.New(); return f, &f.Faults },
		env:   []string{"GUARDIAN_CLIENT_ID=" + guardianfake.ClientID, "GUARDIAN_CLIENT_SECRET=" + guardianfake.ClientSecret},
		flags: " --guardian-model-uri 's3://bucket/ci/{path}' --guardian-poll-interval 100ms",
	},
	"aishield": {
		start: func() (http.Handler, *remotefake.Faults) { f := aishieldfake.New(); return f, &f.Faults },
		path:  aishieldfake.Prefix, env: []string{"AISHIELD_API_KEY=" + aishieldfake.APIKey, "AISHIELD_ORG_ID=" + aishieldfake.OrgID},
		flags: " --aishield-poll-interval 100ms",
	},
}

const devUsage = `Usage: modelgate dev fake-vendor NAME [--addr 127.0.0.1:PORT] [--pending N] [--fault FAULT] [--fault-call CALL] [--fault-count N]

Runs a fake vendor API (evalguard, prisma-airs, guardian, aishield) for trying
remote engines without an account. Faults: 401, 429 (Retry-After header),
429-body (hint in the body), 5xx, malformed, slow (--fault-count seconds).
`

// runDev runs the developer commands.
func runDev(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "fake-vendor" {
		fmt.Fprint(env.Stderr, devUsage)
		return fmt.Errorf("dev: want the fake-vendor subcommand: %w", errUsage)
	}
	fs := flag.NewFlagSet("modelgate dev fake-vendor", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, devUsage); fs.PrintDefaults() }
	addr := fs.String("addr", "127.0.0.1:8787", "listen `ADDRESS` (loopback: the scan accepts plain http only there)")
	pending := fs.Int("pending", 1, "polls answered pending before the result")
	fault := fs.String("fault", "none", "scripted `FAULT`")
	faultCall := fs.String("fault-call", "", "limit the fault to one `CALL` (default: every call)")
	faultCount := fs.Int("fault-count", 1, "calls the fault hits (429, 5xx) or seconds of delay (slow)")
	positional, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return fmt.Errorf("dev fake-vendor: want one vendor name (%s): %w", strings.Join(fakeNames(), ", "), errUsage)
	}
	fv, ok := fakeVendors[positional[0]]
	if !ok {
		return fmt.Errorf("dev fake-vendor: unknown vendor %q (want %s): %w", positional[0], strings.Join(fakeNames(), ", "), errUsage)
	}
	faults, err := remotefake.ParseFault(*fault, *faultCount)
	if err != nil {
		return fmt.Errorf("dev fake-vendor: %w: %w", err, errUsage)
	}
	faults.Call, faults.Pending = *faultCall, *pending
	return serveFake(ctx, positional[0], fv, faults, *addr, env)
}

func fakeNames() []string {
	var names []string
	for n := range fakeVendors {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// serveFake serves the fake until ctx ends, after saying how to use it.
func serveFake(ctx context.Context, name string, fv fakeVendor, faults remotefake.Faults, addr string, env Env) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	h, f := fv.start()
	*f = faults
	url := "http://" + ln.Addr().String() + fv.path
	fmt.Fprintf(env.Stdout, "fake %s listening on %s\ntry:\n  %s modelgate scan --engine %s --%s-url %s%s --remote-log testdata/demo\n",
		name, url, strings.Join(fv.env, " "), name, name, url, fv.flags)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
