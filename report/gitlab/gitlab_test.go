package gitlab_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/gitlab"
	"github.com/modelgate/modelgate/scanner"
)

// newReport is a report of the given findings under the default gate, as
// the engine would hand it over: severities from the rules, sorted and
// fingerprinted.
func newReport(errs []scanner.FileError, fs ...scanner.Finding) *report.Report {
	for i := range fs {
		fs[i].Severity = report.RuleFor(&fs[i]).Severity
	}
	scanner.SortFindings(fs)
	scanner.AssignFingerprints(fs)
	begin := time.Date(2026, 1, 2, 3, 4, 5, 678, time.FixedZone("CET", 3600))
	res := &scanner.Result{StartedAt: begin, FinishedAt: begin.Add(1500 * time.Millisecond), Findings: fs, Errors: errs}
	return &report.Report{
		Tool:     report.Tool{Name: "modelgate", Version: "1.2.3", InformationURI: "https://example.invalid/modelgate"},
		Result:   res,
		Decision: policy.Evaluate(res, policy.DefaultGate),
		Category: "models",
	}
}

// at is a binary location.
func at(path, member string, off int64) scanner.Location {
	return scanner.Location{Path: path, Member: member, ByteOffset: scanner.Offset(off)}
}

func sampleReport() *report.Report {
	return newReport([]scanner.FileError{{Path: "m/broken.pt", Member: "data.pkl", Message: "truncated"}},
		scanner.Finding{RuleID: "MG5001", Message: "invisible tag characters", Evidence: "tags", Location: scanner.Location{Path: "AGENTS.md", StartLine: 4, StartColumn: 39, EndLine: 5, EndColumn: 2}},
		scanner.Finding{RuleID: "MG2007", Message: "tensor a overlaps b", Evidence: "a/b", Location: at("m/x.safetensors", "", 352)},
		scanner.Finding{RuleID: "MG2007", Message: "tensor c overlaps d", Evidence: "c/d", Location: at("m/x.safetensors", "", 400)},
		scanner.Finding{RuleID: "MG1001", Message: "REDUCE calls os.system", Evidence: "os.system", Location: at("m/a.zip", "archive/data.pkl", 75)},
	)
}

func validate(t *testing.T, data []byte) {
	t.Helper()
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join("testdata", "gitlab-sast-report-format-15.2.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("not a valid GitLab SAST report: %v", err)
	}
}

func TestSASTIsValidAndMapsFindings(t *testing.T) {
	rep := sampleReport()
	var buf bytes.Buffer
	if err := gitlab.WriteSAST(&buf, rep); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes())
	var doc gitlab.SAST
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != gitlab.SASTVersion || doc.Scan.Type != "sast" || doc.Scan.Status != "success" {
		t.Errorf("header %+v", doc)
	}
	if doc.Scan.StartTime != "2026-01-02T02:04:05" || doc.Scan.EndTime != "2026-01-02T02:04:06" {
		t.Errorf("times %s – %s, want UTC without zone or fraction", doc.Scan.StartTime, doc.Scan.EndTime)
	}
	if len(doc.Scan.Messages) != 1 || !strings.Contains(doc.Scan.Messages[0].Value, "m/broken.pt!data.pkl: truncated") {
		t.Errorf("messages %+v", doc.Scan.Messages)
	}
	if len(doc.Vulnerabilities) != len(rep.Decision.Reported) {
		t.Fatalf("%d vulnerabilities for %d findings", len(doc.Vulnerabilities), len(rep.Decision.Reported))
	}
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	ids := map[string]bool{}
	for i, v := range doc.Vulnerabilities {
		f := rep.Decision.Reported[i]
		rule, _ := scanner.LookupRule(f.RuleID)
		if !uuidRE.MatchString(v.ID) || ids[v.ID] {
			t.Errorf("id %q is not a fresh UUIDv5", v.ID)
		}
		ids[v.ID] = true
		if v.ID != gitlab.VulnerabilityID("models", f.Fingerprint) {
			t.Errorf("id %s does not derive from the fingerprint", v.ID)
		}
		if v.Identifiers[0].Value != f.RuleID || v.Identifiers[0].Type != "modelgate_rule_id" {
			t.Errorf("primary identifier %+v, want the rule ID %s", v.Identifiers[0], f.RuleID)
		}
		if v.Name != rule.Title || v.Solution == "" || !strings.HasPrefix(v.Description, f.Message) {
			t.Errorf("text of %s: %+v", f.RuleID, v)
		}
		if v.Severity != gitlab.Severity(f.Severity) || v.Location.File != f.Location.Path {
			t.Errorf("severity/location of %s: %+v", f.RuleID, v)
		}
		if v.Tracking == nil || v.Tracking.Items[0].Signatures[0].Value != f.Fingerprint {
			t.Errorf("tracking of %s: %+v", f.RuleID, v.Tracking)
		}
	}
	byFile := map[string]gitlab.Vulnerability{}
	for _, v := range doc.Vulnerabilities {
		byFile[v.Location.File] = v
	}
	if l := byFile["AGENTS.md"].Location; l.StartLine != 4 || l.EndLine != 5 {
		t.Errorf("text location %+v", l)
	}
	if l := byFile["m/x.safetensors"].Location; l.StartLine != 1 || l.EndLine != 0 {
		t.Errorf("binary location %+v, want start_line 1 only", l)
	}
	if d := byFile["m/a.zip"].Description; !strings.Contains(d, "(in archive/data.pkl, at byte 75)") {
		t.Errorf("member and offset missing from %q", d)
	}
	if cwe := byFile["m/a.zip"].Identifiers; len(cwe) != 2 || cwe[1].Type != "cwe" || cwe[1].Value != "502" {
		t.Errorf("identifiers %+v, want the rule then CWE-502", cwe)
	}
}

func TestSASTWithoutFindingsIsValid(t *testing.T) {
	var buf bytes.Buffer
	if err := gitlab.WriteSAST(&buf, newReport(nil)); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes())
	if !strings.Contains(buf.String(), `"vulnerabilities": []`) {
		t.Errorf("vulnerabilities must be an empty array:\n%s", buf.String())
	}
}

func TestVulnerabilityIDIsStable(t *testing.T) {
	a, b := sampleReport(), sampleReport()
	da, db := gitlab.BuildSAST(a), gitlab.BuildSAST(b)
	for i := range da.Vulnerabilities {
		if da.Vulnerabilities[i].ID != db.Vulnerabilities[i].ID {
			t.Fatal("ids differ between identical runs")
		}
	}
	if gitlab.VulnerabilityID("a", "x:1") == gitlab.VulnerabilityID("b", "x:1") {
		t.Error("categories share ids")
	}
}

// TestCodeQualityFields asserts what GitLab documents as required: an array
// of objects with description, check_name, fingerprint (unique), severity
// (info, minor, major, critical, blocker) and location.path with
// location.lines.begin.
func TestCodeQualityFields(t *testing.T) {
	rep := sampleReport()
	var buf bytes.Buffer
	if err := gitlab.WriteCodeQuality(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var issues []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &issues); err != nil {
		t.Fatalf("not a JSON array: %v", err)
	}
	if len(issues) != len(rep.Decision.Reported) {
		t.Fatalf("%d issues for %d findings", len(issues), len(rep.Decision.Reported))
	}
	severities := map[string]bool{"info": true, "minor": true, "major": true, "critical": true, "blocker": true}
	seen := map[string]bool{}
	for i, is := range issues {
		f := rep.Decision.Reported[i]
		for _, k := range []string{"description", "check_name", "fingerprint", "severity"} {
			if s, _ := is[k].(string); s == "" {
				t.Errorf("issue %d: %s missing", i, k)
			}
		}
		fp := is["fingerprint"].(string)
		if seen[fp] || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(fp) {
			t.Errorf("fingerprint %q is not a unique MD5", fp)
		}
		seen[fp] = true
		if !severities[is["severity"].(string)] {
			t.Errorf("severity %v", is["severity"])
		}
		if is["check_name"] != f.RuleID {
			t.Errorf("check_name %v, want %s", is["check_name"], f.RuleID)
		}
		loc, _ := is["location"].(map[string]any)
		lines, _ := loc["lines"].(map[string]any)
		if loc["path"] != f.Location.Path || lines["begin"].(float64) < 1 {
			t.Errorf("location %v", loc)
		}
	}
	if got := gitlab.CodeQualitySeverity(scanner.SeverityCritical); got != "blocker" {
		t.Errorf("critical maps to %s", got)
	}
	var empty bytes.Buffer
	gitlab.WriteCodeQuality(&empty, newReport(nil))
	if strings.TrimSpace(empty.String()) != "[]" {
		t.Errorf("no findings: %q, want []", empty.String())
	}
}
