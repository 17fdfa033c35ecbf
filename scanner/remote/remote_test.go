package remote_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/remote"
	"github.com/modelgate/modelgate/scanner/remote/remotefake"
	"github.com/modelgate/modelgate/scanner/scannertest"
)

const secret = "sk_live_0123456789"

// stubEngine answers with a fixed report and error.
type stubEngine struct {
	rep   remote.Report
	err   error
	calls int
}

func (s *stubEngine) Vendor() string               { return "stub" }
func (s *stubEngine) Accepts(f *scanner.File) bool { return true }
func (s *stubEngine) Scan(context.Context, *scanner.Input) (remote.Report, error) {
	s.calls++
	return s.rep, s.err
}

func newScanner(e remote.Engine, f remote.Failure) *remote.Scanner {
	secrets := &remote.Secrets{}
	secrets.Add(secret)
	return remote.New(e, remote.Options{Failure: f, Secrets: secrets, Deadline: time.Minute})
}

func TestFailurePolicy(t *testing.T) {
	authErr := &remote.Error{Vendor: "stub", Call: "submit scan", Method: "POST", Path: "/scan", Status: 401, Message: "bad key " + secret}
	for _, tc := range []struct {
		name   string
		err    error
		policy remote.Failure
		rule   string
	}{
		{"no answer, closed", authErr, remote.FailClosed, remote.RuleNoAnswerClosed},
		{"no answer, open", authErr, remote.FailOpen, remote.RuleNoAnswerOpen},
		{"not sent, closed", remote.NotSent("local only"), remote.FailClosed, remote.RuleNotSentClosed},
		{"not sent, open", remote.NotSent("local only"), remote.FailOpen, remote.RuleNotSentOpen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScanner(&stubEngine{err: tc.err}, tc.policy)
			fs, err := s.Scan(context.Background(), scannertest.Input(t, "m.pkl", []byte("\x80\x02N.")))
			if err != nil || len(fs) != 1 || fs[0].RuleID != tc.rule {
				t.Fatalf("findings %+v, err %v", fs, err)
			}
			if strings.Contains(fs[0].Message, secret) || (tc.err == authErr && !strings.Contains(fs[0].Message, "stub: submit scan (POST /scan): HTTP 401")) {
				t.Errorf("message %q", fs[0].Message)
			}
		})
	}
}

func TestRefusedCredentialsAreNotSentAgain(t *testing.T) {
	stub := &stubEngine{err: &remote.Error{Vendor: "stub", Call: "c", Status: 403}}
	s := newScanner(stub, remote.FailClosed)
	in := scannertest.Input(t, "m.pkl", []byte("\x80\x02N."))
	for range 3 {
		s.Scan(context.Background(), in)
	}
	if stub.calls != 1 {
		t.Errorf("%d calls after a 403, want 1", stub.calls)
	}
	if got := s.Summary(); !strings.Contains(got, "remote/stub: 3 files sent; 3 not answered (fail-closed)") {
		t.Errorf("summary %q", got)
	}
}

func TestSummaryAndMasking(t *testing.T) {
	in := scannertest.Input(t, "m.pkl", []byte("\x80\x02N."))
	stub := &stubEngine{rep: remote.Report{Sent: true, Verdict: "malicious", Notes: []string{"saved " + secret},
		Findings: []scanner.Finding{in.Finding("MG6101", "key "+secret, secret)}}}
	s := newScanner(stub, remote.FailClosed)
	fs, _ := s.Scan(context.Background(), in)
	if fs[0].Message != "key ***" || fs[0].Evidence != "***" {
		t.Errorf("finding %+v", fs[0])
	}
	if got := s.Summary(); !strings.HasPrefix(got, "remote/stub: 1 file sent; verdicts: malicious 1; ") || !strings.HasSuffix(got, "\n  saved ***") {
		t.Errorf("summary %q", got)
	}
	if s.FileTimeout() <= time.Minute {
		t.Errorf("FileTimeout %v does not cover the deadline", s.FileTimeout())
	}
}

func TestAcceptsTopLevelFilesOnly(t *testing.T) {
	s := newScanner(&stubEngine{}, remote.FailClosed)
	for _, tc := range []struct {
		f    scanner.File
		want bool
	}{
		{scanner.File{Path: "a.pkl", Sniff: format.Sniff{Format: format.Pickle}}, true},
		{scanner.File{Path: "a.zip", Member: "data.pkl", Sniff: format.Sniff{Format: format.Pickle}}, false},
		{scanner.File{Path: "a.bin", Sniff: format.Sniff{Format: format.LFSPointer}}, false},
	} {
		if got := s.Accepts(&tc.f); got != tc.want {
			t.Errorf("Accepts(%+v) = %v", tc.f, got)
		}
	}
}

func TestSecrets(t *testing.T) {
	var s remote.Secrets
	s.Add("", "short", secret, secret+"_longer")
	if got := s.Mask("a " + secret + "_longer b " + secret + " short"); got != "a *** b *** short" {
		t.Errorf("Mask = %q", got)
	}
	var buf bytes.Buffer
	s.Writer(&buf).Write([]byte(secret + "\n"))
	if buf.String() != "***\n" {
		t.Errorf("Writer wrote %q", buf.String())
	}
}

func TestDecode(t *testing.T) {
	type scan struct {
		ScanID string `json:"scan_id"`
		Status string `json:"status"`
	}
	for _, tc := range []struct {
		body, want string
		err        bool
	}{
		{`{"scan_id":"a","status":"queued"}`, "a queued", false},
		{`{"success":true,"data":{"scan_id":"b","status":"done"}}`, "b done", false},
		{`{"data":{"scan_id":"c"},"status":"top"}`, "c top", false},
		{`{"success":false,"error":{"code":"X","message":"no"}}`, "", true},
		{`{"scan_id":`, "", true},
	} {
		var s scan
		err := remote.Decode([]byte(tc.body), &s)
		if (err != nil) != tc.err || err == nil && s.ScanID+" "+s.Status != tc.want {
			t.Errorf("Decode(%s) = %+v, %v", tc.body, s, err)
		}
	}
}

// TestErrorShapes checks every vendor's error body reads into the error.
func TestErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{400, `{"success":false,"error":{"code":"VALIDATION_ERROR","message":"model_id must be a UUID","requestId":"r1"}}`, "HTTP 400 VALIDATION_ERROR: model_id must be a UUID [request r1]"},
		{400, `{"message":"legacy","code":"INVALID_ID"}`, "HTTP 400 INVALID_ID: legacy"},
		{404, `{"detail":"Scan not found"}`, "HTTP 404: Scan not found"},
		{422, `{"detail":[{"loc":["body","model_uri"],"msg":"field required","type":"value_error.missing"}]}`, "HTTP 422: body.model_uri: field required"},
		{409, `{"code":"CONFLICT","message":"exists","details":{}}`, "HTTP 409 CONFLICT: exists"},
		{502, "<html>Bad gateway</html>\n<body>", "HTTP 502: <html>Bad gateway</html>"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			w.Write([]byte(tc.body))
		}))
		c, _ := remote.Transport{}.Client("v", srv.URL)
		_, err := c.Do(context.Background(), remote.Call{Name: "call", Method: "GET", Path: "/x"})
		srv.Close()
		if err == nil || err.Error() != "v: call (GET /x): "+tc.want {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 5, 8, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"7": 7 * time.Second, "0.5": 500 * time.Millisecond, "Thu, 08 May 2025 12:01:00 GMT": time.Minute,
		"Thu, 08 May 2025 11:00:00 GMT": 0,
	} {
		if got, ok := remote.RetryAfter(http.Header{"Retry-After": {v}}, now); !ok || got != want {
			t.Errorf("RetryAfter(%q) = %v %v, want %v", v, got, ok, want)
		}
	}
	if _, ok := remote.RetryAfter(http.Header{"Retry-After": {"soon"}}, now); ok {
		t.Error("garbage accepted")
	}
	r := remote.Retry{BaseDelay: time.Second, MaxDelay: 8 * time.Second}
	for n, max := range map[int]time.Duration{1: time.Second, 3: 4 * time.Second, 10: 8 * time.Second, 99: 8 * time.Second} {
		if d := r.Backoff(n); d < max/2 || d > max {
			t.Errorf("Backoff(%d) = %v, want between %v and %v", n, d, max/2, max)
		}
	}
}

func TestCancellationStopsRetries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c, _ := remote.Transport{}.Client("v", srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, remote.Call{Name: "call", Method: "GET", Path: "/"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("error %v after %v", err, time.Since(start))
	}
}

func TestBaseURLs(t *testing.T) {
	for base, ok := range map[string]bool{
		"https://api.example.com/v1": true, "http://127.0.0.1:8080": true, "http://localhost": true, "http://[::1]:1": true,
		"http://api.example.com": false, "ftp://x": false, "/relative": false, "https://u:p@x.example": false,
	} {
		if _, err := remote.ParseBase(base); (err == nil) != ok {
			t.Errorf("ParseBase(%q) = %v", base, err)
		}
	}
}

func TestLimiterSpacesCalls(t *testing.T) {
	l := remote.Limiter{Every: 6 * time.Second}
	now := time.Now()
	got := []time.Duration{l.Reserve(now), l.Reserve(now), l.Reserve(now.Add(20 * time.Second))}
	if !slices.Equal(got, []time.Duration{0, 6 * time.Second, 0}) {
		t.Errorf("waits %v", got)
	}
}

func TestFaultParsing(t *testing.T) {
	for _, name := range []string{"none", "401", "429", "429-body", "5xx", "malformed", "slow"} {
		if _, err := remotefake.ParseFault(name, 1); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := remotefake.ParseFault("gremlins", 1); err == nil {
		t.Error("unknown fault accepted")
	}
}
