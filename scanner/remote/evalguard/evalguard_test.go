package evalguard_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/remote"
	"github.com/modelgate/modelgate/scanner/remote/evalguard"
	"github.com/modelgate/modelgate/scanner/remote/evalguard/evalguardfake"
	"github.com/modelgate/modelgate/scanner/remote/remotefake"
	"github.com/modelgate/modelgate/scanner/scannertest"
)

// evilPickle is a protocol-2 pickle calling os.system.
var evilPickle = []byte("\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.")

// cleanPickle is a pickled list.
var cleanPickle = []byte("\x80\x02]q\x00.")

func start(t *testing.T, faults remotefake.Faults, cfg evalguard.Config) (*evalguardfake.Fake, *evalguard.Engine, *remotefake.Waits) {
	t.Helper()
	fake := evalguardfake.New()
	fake.Faults = faults
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	tr, waits := remotefake.Transport(0)
	cfg.BaseURL, cfg.APIKey = srv.URL, evalguardfake.APIKey // a bare origin: /api/v1 is appended
	cfg.PollInterval = 3 * time.Second
	e, err := evalguard.New(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	return fake, e, waits
}

func TestContract(t *testing.T) {
	fake, e, waits := start(t, remotefake.Faults{Pending: 2}, evalguard.Config{})
	in := scannertest.Input(t, "models/evil.pkl", evilPickle)
	rep, err := e.Scan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}

	up := fake.Calls(evalguardfake.CallUpload)
	if len(up) != 1 || !strings.HasPrefix(up[0].Header.Get("Content-Type"), "multipart/form-data") ||
		up[0].Header.Get("Authorization") != "Bearer "+evalguardfake.APIKey || up[0].Header.Get("Idempotency-Key") == "" {
		t.Errorf("upload call = %+v", up)
	}
	sub := fake.Calls(evalguardfake.CallSubmit)
	var body struct {
		ModelID   string   `json:"model_id"`
		ScanTypes []string `json:"scan_types"`
	}
	if len(sub) != 1 || json.Unmarshal(sub[0].Body, &body) != nil || body.ModelID == "" || !slices.Equal(body.ScanTypes, []string{"pickle"}) {
		t.Errorf("submit call = %d, body %s", len(sub), sub[0].Body)
	}
	if sub[0].Path != "/api/v1/security/model-scan" || sub[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("submit path %s, content type %q", sub[0].Path, sub[0].Header.Get("Content-Type"))
	}
	if n := len(fake.Calls(evalguardfake.CallPoll)); n != 3 {
		t.Errorf("%d polls, want 3 (2 pending, then done)", n)
	}
	if got := waits.All(); !slices.Equal(got, []time.Duration{3 * time.Second, 3 * time.Second}) {
		t.Errorf("waits = %v, want two poll intervals", got)
	}

	if rep.Verdict != "malicious" || !rep.Sent {
		t.Errorf("report = %+v", rep)
	}
	if got := scannertest.RuleSet(rep.Findings); !slices.Equal(got, []string{evalguard.RuleMalicious, evalguard.RuleIssue}) {
		t.Errorf("rules = %v", got)
	}
	for _, f := range rep.Findings {
		if f.RuleID == evalguard.RuleIssue && f.Severity != scanner.SeverityCritical {
			t.Errorf("issue severity = %v, want the vendor's CRITICAL", f.Severity)
		}
	}
}

func TestCleanModel(t *testing.T) {
	_, e, _ := start(t, remotefake.Faults{}, evalguard.Config{ScanTypes: []string{"pickle", "backdoor"}})
	rep, err := e.Scan(context.Background(), scannertest.Input(t, "clean.pkl", cleanPickle))
	if err != nil || rep.Verdict != "safe" || len(rep.Findings) != 0 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		faults  remotefake.Faults
		submits int
		wantErr string // "" for success
		waits   []time.Duration
	}{
		{"401 on submit", remotefake.Faults{Call: evalguardfake.CallSubmit, Unauthorized: true}, 1,
			"evalguard: submit scan (POST /api/v1/security/model-scan): HTTP 401 UNAUTHORIZED: invalid or expired credentials [request req-fake]", nil},
		{"429 with Retry-After seconds, then accepted", remotefake.Faults{Call: evalguardfake.CallSubmit, RateLimited: 1, RetryAfter: "2"}, 2, "",
			[]time.Duration{2 * time.Second}},
		{"429 past the longest wait", remotefake.Faults{Call: evalguardfake.CallSubmit, RateLimited: 1, RetryAfter: "3600"}, 1,
			"HTTP 429 RATE_LIMITED: Request exceeds limit (retry after 1h0m0s)", nil},
		{"5xx on submit is never retried", remotefake.Faults{Call: evalguardfake.CallSubmit, ServerErrors: 1}, 1, "HTTP 500", nil},
		{"5xx on poll is retried", remotefake.Faults{Call: evalguardfake.CallPoll, ServerErrors: 2}, 1, "", nil},
		{"malformed poll answer", remotefake.Faults{Call: evalguardfake.CallPoll, Malformed: true}, 1, "malformed response", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, e, waits := start(t, tc.faults, evalguard.Config{})
			rep, err := e.Scan(context.Background(), scannertest.Input(t, "evil.pkl", evilPickle))
			if n := len(fake.Calls(evalguardfake.CallSubmit)); n != tc.submits {
				t.Errorf("%d submits, want %d", n, tc.submits)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantErr == "" && rep.Verdict != "malicious":
				t.Errorf("report %+v", rep)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if tc.waits != nil && !slices.Equal(waits.All(), tc.waits) {
				t.Errorf("waits %v, want %v", waits.All(), tc.waits)
			}
		})
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	at := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	_, e, waits := start(t, remotefake.Faults{Call: evalguardfake.CallSubmit, RateLimited: 1, RetryAfter: at}, evalguard.Config{})
	if _, err := e.Scan(context.Background(), scannertest.Input(t, "evil.pkl", evilPickle)); err != nil {
		t.Fatal(err)
	}
	if w := waits.All(); len(w) != 1 || w[0] < 80*time.Second || w[0] > 90*time.Second {
		t.Errorf("waits %v, want about 90s", w)
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	fake := evalguardfake.New()
	fake.Faults = remotefake.Faults{Call: evalguardfake.CallUpload, Delay: time.Second}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	tr, _ := remotefake.Transport(50 * time.Millisecond)
	e, err := evalguard.New(evalguard.Config{BaseURL: srv.URL + "/api", APIKey: evalguardfake.APIKey}, tr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Scan(context.Background(), scannertest.Input(t, "evil.pkl", evilPickle))
	if err == nil || !strings.Contains(err.Error(), "evalguard: upload model") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the upload's timeout", err)
	}
	if n := len(fake.Calls(evalguardfake.CallUpload)); n != 1 {
		t.Errorf("%d uploads: a timed-out upload must not be repeated", n)
	}
}

func TestSuccessFalseEnvelopeIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remotefake.JSON(w, 200, map[string]any{"success": false, "error": map[string]any{"code": "DB_ERROR", "message": "database unavailable"}})
	}))
	defer srv.Close()
	tr, _ := remotefake.Transport(0)
	e, _ := evalguard.New(evalguard.Config{BaseURL: srv.URL + "/api/v1", APIKey: evalguardfake.APIKey}, tr)
	_, err := e.Scan(context.Background(), scannertest.Input(t, "evil.pkl", evilPickle))
	var re *remote.Error
	if !errors.As(err, &re) || re.Code != "DB_ERROR" || re.Call != "upload model" {
		t.Fatalf("error %v", err)
	}
}

func TestAttestationIsSaved(t *testing.T) {
	dir := t.TempDir()
	fake, e, _ := start(t, remotefake.Faults{}, evalguard.Config{AttestationDir: dir})
	rep, err := e.Scan(context.Background(), scannertest.Input(t, "models/evil.pkl", evilPickle))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		ScanTypes []string `json:"scan_types"`
	}
	json.Unmarshal(fake.Calls(evalguardfake.CallSubmit)[0].Body, &body)
	if !slices.Contains(body.ScanTypes, "ml-bom") {
		t.Errorf("scan types %v lack ml-bom", body.ScanTypes)
	}
	data, err := os.ReadFile(filepath.Join(dir, "models_evil.pkl.cdx.json"))
	if err != nil || !strings.Contains(string(data), "CycloneDX") || len(rep.Notes) != 1 {
		t.Fatalf("attestation %s, %v; notes %v", data, err, rep.Notes)
	}
}

func TestBaseURLMustBeHTTPS(t *testing.T) {
	tr, _ := remotefake.Transport(0)
	if _, err := evalguard.New(evalguard.Config{BaseURL: "http://evalguard.example", APIKey: "k"}, tr); err == nil {
		t.Error("plain http to a remote host was accepted")
	}
	if _, err := evalguard.New(evalguard.Config{}, tr); err == nil || !strings.Contains(err.Error(), "EVALGUARD_API_KEY") {
		t.Errorf("missing key: %v", err)
	}
}
