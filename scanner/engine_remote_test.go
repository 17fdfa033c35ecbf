package scanner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/scanner"
)

// budgetedScanner is a fakeScanner that asks for its own per-file budget.
type budgetedScanner struct {
	fakeScanner
	budget time.Duration
}

func (b *budgetedScanner) FileTimeout() time.Duration { return b.budget }

// waitThenFind waits d (or until the file's deadline) and then reports.
func waitThenFind(d time.Duration) func(context.Context, *scanner.Input) ([]scanner.Finding, error) {
	return func(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
		select {
		case <-time.After(d):
			return []scanner.Finding{in.Finding("MG0002", "answered", "")}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func TestEngineGivesTimeBudgetedScannersTheirOwnBudget(t *testing.T) {
	_, targets := writeFiles(t, map[string]string{"a.txt": "x"})
	const short, long = 10 * time.Millisecond, 5 * time.Second
	plain := fakeScanner{name: "plain", accept: acceptText, scan: waitThenFind(100 * time.Millisecond)}
	for _, tc := range []struct {
		name   string
		limit  time.Duration
		s      scanner.Scanner
		wantID string
	}{
		{"plain scanner stops at Limits.FileTimeout", short, &plain, "MG0005"},
		{"budgeted scanner gets its FileTimeout", short, &budgetedScanner{plain, long}, "MG0002"},
		{"a shorter FileTimeout never shortens the limit", long, &budgetedScanner{plain, time.Millisecond}, "MG0002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &scanner.Engine{Scanners: []scanner.Scanner{tc.s}, Limits: scanner.Limits{FileTimeout: tc.limit}}
			res, err := e.Run(context.Background(), targets)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 || res.Findings[0].RuleID != tc.wantID {
				t.Fatalf("findings = %v, want one %s", rulesOf(res.Findings), tc.wantID)
			}
		})
	}
}

// TestEngineMergesOnlyIdenticalFindingsAcrossEngines: two engines that
// report the same rule at the same place with the same evidence give one
// finding tagged with both; anything else stays apart.
func TestEngineMergesOnlyIdenticalFindingsAcrossEngines(t *testing.T) {
	_, targets := writeFiles(t, map[string]string{"a.txt": "x"})
	report := func(name string, sev scanner.Severity, evidence ...string) scanner.Scanner {
		return &fakeScanner{name: name, accept: acceptText, scan: func(_ context.Context, in *scanner.Input) ([]scanner.Finding, error) {
			var fs []scanner.Finding
			for _, e := range evidence {
				f := in.Finding("MG0002", "seen by "+name, e)
				f.Location.StartLine, f.Severity = 1, sev
				fs = append(fs, f)
			}
			return fs, nil
		}}
	}
	e := &scanner.Engine{Scanners: []scanner.Scanner{
		report("embedded/x", scanner.SeverityLow, "same", "same", "embedded only"),
		report("remote/y", scanner.SeverityHigh, "same", "remote only"),
	}}
	res, err := e.Run(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Evidence+" "+f.Engine+" "+f.Severity.String()+" "+f.Fingerprint[17:])
	}
	want := []string{
		"embedded only embedded/x low 1",
		"same embedded/x+remote/y high 1", // merged, at the higher severity; the engine's
		// own repeat on the same text span is the same finding reached twice, kept once
		"remote only remote/y high 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
