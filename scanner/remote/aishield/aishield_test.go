package aishield_test

import (
	"archive/zip"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/remote"
	"github.com/modelgate/modelgate/scanner/remote/aishield"
	"github.com/modelgate/modelgate/scanner/remote/aishield/aishieldfake"
	"github.com/modelgate/modelgate/scanner/remote/remotefake"
	"github.com/modelgate/modelgate/scanner/scannertest"
)

var evilPickle = []byte("\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.")

func start(t *testing.T, faults remotefake.Faults, cfg aishield.Config) (*aishieldfake.Fake, *aishield.Engine, *remotefake.Waits) {
	t.Helper()
	fake := aishieldfake.New()
	fake.Faults = faults
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	tr, waits := remotefake.Transport(0)
	cfg.BaseURL, cfg.APIKey, cfg.OrgID = srv.URL+aishieldfake.Prefix, aishieldfake.APIKey, aishieldfake.OrgID
	e, err := aishield.New(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	return fake, e, waits
}

func TestSupplyChainContract(t *testing.T) {
	fake, e, waits := start(t, remotefake.Faults{Pending: 2}, aishield.Config{})
	rep, err := e.Scan(context.Background(), scannertest.Input(t, "models/evil.pkl", evilPickle))
	if err != nil {
		t.Fatal(err)
	}
	reg := fake.Calls(aishieldfake.CallRegister)
	if len(reg) != 1 || reg[0].Path != aishieldfake.Prefix+"/generate_model_id" || reg[0].Header.Get("Org-Id") != aishieldfake.OrgID ||
		reg[0].Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("register %+v", reg)
	}
	up := fake.Calls(aishieldfake.CallUpload)
	if len(up) != 1 || up[0].Header.Get("x-api-key") != "" || !strings.Contains(string(up[0].Body), `name="key"`) {
		t.Errorf("upload %d calls, headers %v", len(up), up)
	}
	if s := fake.Calls(aishieldfake.CallStart); len(s) != 1 || !strings.Contains(string(s[0].Body), `"repo_type":"upload"`) {
		t.Errorf("start %+v", s)
	}
	st := fake.Calls(aishieldfake.CallStatus)
	if len(st) != 3 || !strings.Contains(st[0].Query.Get("job_id"), "+") || !slices.Equal(waits.All(), []time.Duration{30 * time.Second, 30 * time.Second}) {
		t.Errorf("%d status polls (job %q), waits %v", len(st), st[0].Query.Get("job_id"), waits.All())
	}
	if got := scannertest.RuleSet(rep.Findings); !slices.Equal(got, []string{aishield.RuleVulnerable, aishield.RuleEntry}) || rep.Verdict != "score 0.82" {
		t.Fatalf("rules %v, verdict %q", got, rep.Verdict)
	}
	for _, f := range rep.Findings {
		if f.RuleID == aishield.RuleEntry && f.Severity != scanner.SeverityHigh {
			t.Errorf("entry %+v", f)
		}
		if f.RuleID == aishield.RuleVulnerable && !strings.Contains(f.Message, "https://dashboard.example/") {
			t.Errorf("no dashboard link: %s", f.Message)
		}
	}
}

func TestModelAnalysisUploadsDataAndLabels(t *testing.T) {
	dir := t.TempDir()
	var zips []string
	for _, name := range []string{"data", "label"} {
		p := filepath.Join(dir, name+".zip")
		f, _ := os.Create(p)
		zw := zip.NewWriter(f)
		w, _ := zw.Create(name + ".csv")
		w.Write([]byte("1,2\n"))
		zw.Close()
		f.Close()
		zips = append(zips, p)
	}
	cfg := aishield.Config{Analysis: aishield.ModelAnalysis, TaskType: "tabular_classification", AnalysisType: "extraction",
		AnalysisConfig: []byte(`{"attack_type":"blackbox"}`), DataZip: zips[0], LabelZip: zips[1]}
	fake, e, _ := start(t, remotefake.Faults{}, cfg)
	rep, err := e.Scan(context.Background(), scannertest.Input(t, "model.pkl", []byte("\x80\x02]q\x00.")))
	if err != nil || rep.Verdict != "score 0.05" || len(rep.Findings) != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	if n := len(fake.Calls(aishieldfake.CallUpload)); n != 3 {
		t.Errorf("%d uploads, want model, data and label", n)
	}
	s := fake.Calls(aishieldfake.CallStart)
	if !strings.HasPrefix(s[0].Path, aishieldfake.Prefix+"/model_analyse/") || string(s[0].Body) != `{"attack_type":"blackbox"}` {
		t.Errorf("start %s %s", s[0].Path, s[0].Body)
	}

	_, e2, _ := start(t, remotefake.Faults{}, aishield.Config{Analysis: aishield.ModelAnalysis, TaskType: "nlp", AnalysisType: "evasion"})
	_, err = e2.Scan(context.Background(), scannertest.Input(t, "model.pkl", []byte("\x80\x02]q\x00.")))
	var ns *remote.NotSentError
	if !errors.As(err, &ns) {
		t.Errorf("missing data zip: %v", err)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		faults  remotefake.Faults
		wantErr string
	}{
		{"401", remotefake.Faults{Call: aishieldfake.CallRegister, Unauthorized: true}, "aishield: generate model id (POST /prod/api/ais/v1.5/generate_model_id): HTTP 401"},
		{"429 without a hint backs off, then succeeds", remotefake.Faults{Call: aishieldfake.CallStatus, RateLimited: 2}, ""},
		{"5xx on start is not retried", remotefake.Faults{Call: aishieldfake.CallStart, ServerErrors: 1}, "HTTP 500"},
		{"5xx on the report is retried", remotefake.Faults{Call: aishieldfake.CallReport, ServerErrors: 1}, ""},
		{"malformed report", remotefake.Faults{Call: aishieldfake.CallReport, Malformed: true}, "malformed response"},
		{"upload refused", remotefake.Faults{Call: aishieldfake.CallUpload, ServerErrors: 1}, "aishield: upload model (POST /upload): HTTP 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, e, _ := start(t, tc.faults, aishield.Config{})
			_, err := e.Scan(context.Background(), scannertest.Input(t, "evil.pkl", evilPickle))
			if (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
