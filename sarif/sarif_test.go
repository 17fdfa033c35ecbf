package sarif_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/sarif"
	"github.com/modelgate/modelgate/scanner"
)

func buildReport(fs []scanner.Finding, errs []scanner.FileError) *report.Report {
	for i := range fs {
		r, _ := scanner.LookupRule(fs[i].RuleID)
		fs[i].Severity = r.Severity
		fs[i].Engine = "test"
	}
	scanner.SortFindings(fs)
	scanner.AssignFingerprints(fs)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := &scanner.Result{StartedAt: now, FinishedAt: now, Findings: fs, Errors: errs}
	return &report.Report{
		Tool:     report.Tool{Name: "modelgate", Version: "1.2.3", InformationURI: "https://example.invalid/modelgate"},
		Result:   res,
		Decision: policy.Evaluate(res, policy.DefaultGate),
		Category: "models/",
	}
}

type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID         string
					Properties map[string]any
				}
			}
		}
		Results []struct {
			RuleID              string
			RuleIndex           int
			Level               string
			Message             struct{ Text string }
			PartialFingerprints map[string]string
			Locations           []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI, URIBaseID string }
					Region           *struct{ StartLine, StartColumn, EndLine, EndColumn int }
				}
			}
		}
		AutomationDetails struct{ ID string }
		Invocations       []struct {
			ExitCode                   int
			ToolExecutionNotifications []struct{ Message struct{ Text string } }
		}
	}
}

func render(t *testing.T, rep *report.Report) (sarifLog, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := sarif.Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join("..", "testdata", "schemas", "sarif-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("schema: %v", err)
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	return log, buf.Bytes()
}

func TestMapping(t *testing.T) {
	text := scanner.Finding{RuleID: "MG0002", Message: "text finding", Location: scanner.Location{Path: "prompts/my prompt#1.txt", StartLine: 3, StartColumn: 5, EndLine: 3, EndColumn: 9}}
	binary := scanner.Finding{RuleID: "MG2008", Message: "trailing bytes", Evidence: "169 bytes", Location: scanner.Location{Path: "m/a.zip", Member: "inner/x.safetensors", ByteOffset: scanner.Offset(1184)}}
	high := scanner.Finding{RuleID: "MG2001", Message: "bad length", Location: scanner.Location{Path: "/outside/b.safetensors"}}
	rep := buildReport([]scanner.Finding{text, binary, high}, []scanner.FileError{{Path: "m/c.pkl", Message: "boom"}})
	log, raw := render(t, rep)
	run := log.Runs[0]

	if run.AutomationDetails.ID != "models/" {
		t.Errorf("automation id %q", run.AutomationDetails.ID)
	}
	if len(run.Results) != 3 || len(run.Tool.Driver.Rules) != 3 {
		t.Fatalf("%d results, %d rules", len(run.Results), len(run.Tool.Driver.Rules))
	}
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("%s: ruleIndex %d points at %s", r.RuleID, r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID)
		}
		if fp := r.PartialFingerprints["primaryLocationLineHash"]; !strings.HasSuffix(fp, ":1") || len(fp) != 18 {
			t.Errorf("%s: fingerprint %q", r.RuleID, fp)
		}
		al := r.Locations[0].PhysicalLocation.ArtifactLocation
		if abs := strings.HasPrefix(al.URI, "file://"); abs == (al.URIBaseID == sarif.SrcRoot) {
			t.Errorf("%s: uri %q with uriBaseId %q: relative URIs need %%SRCROOT%%, absolute ones must not have it", r.RuleID, al.URI, al.URIBaseID)
		}
	}
	byRule := map[string]int{}
	for i, r := range run.Results {
		byRule[r.RuleID] = i
	}
	tr := run.Results[byRule["MG0002"]]
	if tr.Level != "note" || tr.Locations[0].PhysicalLocation.Region == nil || tr.Locations[0].PhysicalLocation.Region.StartLine != 3 {
		t.Errorf("text result: %+v", tr)
	}
	if uri := tr.Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "prompts/my%20prompt%231.txt" {
		t.Errorf("uri %q is not escaped", uri)
	}
	br := run.Results[byRule["MG2008"]]
	if br.Locations[0].PhysicalLocation.Region != nil {
		t.Error("binary finding has a region")
	}
	if !strings.Contains(br.Message.Text, "in inner/x.safetensors") || !strings.Contains(br.Message.Text, "at byte 1184") {
		t.Errorf("binary message %q lacks member and offset", br.Message.Text)
	}
	if run.Results[byRule["MG2001"]].Level != "error" {
		t.Error("high finding is not an error")
	}
	for _, rule := range run.Tool.Driver.Rules {
		want := map[string]string{"MG0002": "", "MG2008": "8.0", "MG2001": "8.0"}[rule.ID]
		got, _ := rule.Properties["security-severity"].(string)
		if got != want {
			t.Errorf("%s: security-severity %q, want %q", rule.ID, got, want)
		}
	}
	inv := run.Invocations[0]
	if inv.ExitCode != 1 || len(inv.ToolExecutionNotifications) != 1 || inv.ToolExecutionNotifications[0].Message.Text != "boom" {
		t.Errorf("invocation: %+v", inv)
	}
	if bytes.Contains(raw, []byte("null")) {
		t.Error("SARIF contains null")
	}
}

func TestEmptyRunHasArrays(t *testing.T) {
	_, raw := render(t, buildReport(nil, nil))
	for _, want := range []string{`"results": []`, `"rules": []`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("empty run lacks %s", want)
		}
	}
}
