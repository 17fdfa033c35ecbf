package policy_test

import (
	"testing"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/scanner"
)

func findings(sevs ...scanner.Severity) *scanner.Result {
	res := &scanner.Result{}
	for _, s := range sevs {
		res.Findings = append(res.Findings, scanner.Finding{RuleID: "MG0001", Severity: s})
	}
	return res
}

func TestEvaluate(t *testing.T) {
	res := findings(scanner.SeverityCritical, scanner.SeverityHigh, scanner.SeverityMedium, scanner.SeverityLow, scanner.SeverityInfo)
	tests := []struct {
		name                       string
		gate                       policy.Gate
		reported, blocking, hidden int
		exit                       int
	}{
		{"defaults", policy.DefaultGate, 5, 2, 0, policy.ExitFail},
		{"fail on critical", policy.Gate{FailOn: scanner.SeverityCritical, ReportMin: scanner.SeverityInfo}, 5, 1, 0, policy.ExitFail},
		{"never fail", policy.Gate{FailOn: scanner.SeverityUnset, ReportMin: scanner.SeverityInfo}, 5, 0, 0, policy.ExitPass},
		{"report medium and up", policy.Gate{FailOn: scanner.SeverityHigh, ReportMin: scanner.SeverityMedium}, 3, 2, 2, policy.ExitFail},
		// Blocking findings are reported even below report-min.
		{"report critical, fail on low", policy.Gate{FailOn: scanner.SeverityLow, ReportMin: scanner.SeverityCritical}, 4, 4, 1, policy.ExitFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := policy.Evaluate(res, tt.gate)
			if len(d.Reported) != tt.reported || d.BlockingCount != tt.blocking || d.Hidden != tt.hidden || d.ExitCode != tt.exit {
				t.Errorf("reported %d blocking %d hidden %d exit %d; want %d %d %d %d",
					len(d.Reported), d.BlockingCount, d.Hidden, d.ExitCode, tt.reported, tt.blocking, tt.hidden, tt.exit)
			}
			if len(d.Blocking) != len(d.Reported) {
				t.Fatalf("Blocking has %d entries for %d findings", len(d.Blocking), len(d.Reported))
			}
		})
	}
}

func TestEmptyResultPasses(t *testing.T) {
	d := policy.Evaluate(&scanner.Result{}, policy.DefaultGate)
	if d.ExitCode != policy.ExitPass || d.Verdict != policy.VerdictPass || d.Reported == nil {
		t.Fatalf("%+v", d)
	}
}

func TestParseFailOn(t *testing.T) {
	for in, want := range map[string]scanner.Severity{"none": scanner.SeverityUnset, "NONE": scanner.SeverityUnset, "high": scanner.SeverityHigh, "Info": scanner.SeverityInfo} {
		got, err := policy.ParseFailOn(in)
		if err != nil || got != want {
			t.Errorf("ParseFailOn(%q) = %v, %v", in, got, err)
		}
		if policy.FailOnName(got) != map[bool]string{true: "none", false: got.String()}[got == scanner.SeverityUnset] {
			t.Errorf("FailOnName(%v) = %s", got, policy.FailOnName(got))
		}
	}
	if _, err := policy.ParseFailOn("warning"); err == nil {
		t.Error("accepted warning")
	}
}
