package github

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

// TestSARIFResultLimit: over 25,000 results the upload keeps the most
// severe ones (all blocking findings first) and says so.
func TestSARIFResultLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 25,000 results")
	}
	var fs []scanner.Finding
	for i := range MaxResultsPerRun + 5 {
		sev, rule := scanner.SeverityLow, "MG2011"
		if i%5000 == 0 {
			sev, rule = scanner.SeverityCritical, "MG1001"
		}
		fs = append(fs, scanner.Finding{RuleID: rule, Severity: sev, Message: "m", Fingerprint: fmt.Sprintf("%016x:1", i),
			Location: scanner.Location{Path: fmt.Sprintf("m/%05d.bin", i)}})
	}
	res := &scanner.Result{Findings: fs, Files: []scanner.FileStatus{}, Errors: []scanner.FileError{}}
	rep := &report.Report{Tool: report.CurrentTool(), Result: res, Decision: policy.Evaluate(res, policy.DefaultGate)}
	payload, note, err := sarifPayload(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "25000 most severe of 25005") {
		t.Errorf("note %q", note)
	}
	gz, _ := base64.StdEncoding.DecodeString(payload)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(zr)
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	results := log.Runs[0].Results
	critical := 0
	for _, r := range results {
		if r.RuleID == "MG1001" {
			critical++
		}
	}
	if len(results) != MaxResultsPerRun || critical != 6 {
		t.Errorf("%d results, %d critical; want %d and all 6", len(results), critical, MaxResultsPerRun)
	}
}
