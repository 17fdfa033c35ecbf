// Package prismairsfake is a fake Prisma AIRS runtime scan API for tests
// and `modelgate dev fake-vendor prisma-airs`: sync scans, async batches
// (at most 5) and results (at most 5 ids), with the documented shapes,
// limits and error bodies (429 carries retry_after in the body), and
// scripted faults. Its detectors are keyword rules: "ignore previous
// instructions" is injection, "AKIA" or "password:" is dlp, "malware."
// URLs are url_cats, "DROP TABLE" in a response is db_security. Any
// detection blocks.
package prismairsfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner/remote/prismairs"
	"github.com/modelgate/modelgate/scanner/remote/remotefake"
)

// Credentials the fake accepts.
const (
	APIKey = "pan_fake_key_8d2e4b1c7a"
	Token  = "pan_fake_oauth_token_5e9f"
)

// Call names, for Faults.Call.
const (
	CallSync    = "sync"
	CallAsync   = "async"
	CallResults = "results"
)

// Fake is the fake server.
type Fake struct {
	remotefake.Server
	ids   remotefake.Counter
	polls remotefake.Polls
	mu    sync.Mutex
	scans map[string][]batchItem // scan_id -> items
}

type scanRequest struct {
	TrID      string `json:"tr_id"`
	AIProfile struct {
		ProfileName string `json:"profile_name"`
		ProfileID   string `json:"profile_id"`
	} `json:"ai_profile"`
	Metadata map[string]string   `json:"metadata"`
	Contents []map[string]string `json:"contents"`
}

type batchItem struct {
	ReqID   int         `json:"req_id"`
	ScanReq scanRequest `json:"scan_req"`
}

// New returns a fake.
func New() *Fake {
	f := &Fake{scans: map[string][]batchItem{}}
	f.Authorized = func(r *http.Request) bool {
		key, tok := r.Header.Get("x-pan-token"), remotefake.Bearer(r)
		if key != APIKey && tok != Token {
			return false
		}
		h := r.Header.Get("x-payload-hash")
		return h == "" || h == prismairs.PayloadHash(key+tokenHeader(tok), bodyOf(r))
	}
	f.ErrorBody = func(_ int, msg string) any { return map[string]any{"error": map[string]any{"message": msg}} }
	f.RateLimitBody = func(fl remotefake.Faults) any {
		return map[string]any{"error": map[string]any{"message": "Request exceeds limit",
			"retry_after": map[string]any{"interval": fl.RetryAfterBody, "unit": "second"}}}
	}
	f.Handle(CallSync, "POST /v1/scan/sync/request", f.sync)
	f.Handle(CallAsync, "POST /v1/scan/async/request", f.async)
	f.Handle(CallResults, "GET /v1/scan/results", f.results)
	return f
}

func tokenHeader(tok string) string {
	if tok == "" {
		return ""
	}
	return "Bearer " + tok
}

// bodyOf returns the body remotefake.Server read, for the hash check;
// GET requests hash the literal null.
func bodyOf(r *http.Request) []byte {
	if b, ok := r.Context().Value(remotefake.BodyKey).([]byte); ok && len(b) > 0 {
		return b
	}
	return nil
}

func (f *Fake) valid(w http.ResponseWriter, r *http.Request, req scanRequest) bool {
	var msg string
	switch {
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return false
	case req.AIProfile.ProfileName == "" && req.AIProfile.ProfileID == "":
		msg = "ai_profile is required"
	case req.AIProfile.ProfileName == "missing":
		f.Error(w, http.StatusNotFound, "profile not found")
		return false
	case len(req.Contents) == 0:
		msg = "contents is required"
	case len(req.TrID) > 100:
		msg = "tr_id longer than 100 characters"
	}
	for _, c := range req.Contents {
		if utf8.RuneCountInString(c["prompt"]) > 10_000 || utf8.RuneCountInString(c["response"]) > 20_000 {
			msg = "content too long"
		}
	}
	if msg != "" {
		f.Error(w, http.StatusBadRequest, msg)
		return false
	}
	return true
}

func (f *Fake) sync(w http.ResponseWriter, r *http.Request, body []byte) {
	if len(body) > 2<<20 {
		f.Error(w, http.StatusRequestEntityTooLarge, "request too large")
		return
	}
	var req scanRequest
	if json.Unmarshal(body, &req) != nil {
		f.Error(w, 400, "malformed request")
		return
	}
	if f.valid(w, r, req) {
		remotefake.JSON(w, 200, verdict(f.ids.Next("scan-"), req))
	}
}

func (f *Fake) async(w http.ResponseWriter, r *http.Request, body []byte) {
	var items []batchItem
	if json.Unmarshal(body, &items) != nil || len(items) == 0 || len(items) > 5 {
		f.Error(w, 400, "1 to 5 scan requests expected")
		return
	}
	for _, it := range items {
		if !f.valid(w, r, it.ScanReq) {
			return
		}
	}
	id := f.ids.Next("async-")
	f.mu.Lock()
	f.scans[id] = items
	f.mu.Unlock()
	remotefake.JSON(w, 200, map[string]any{"received": "2025-05-08T15:54:21Z", "scan_id": id, "report_id": "R" + id, "source": "fake"})
}

func (f *Fake) results(w http.ResponseWriter, r *http.Request, _ []byte) {
	ids := strings.Split(r.URL.Query().Get("scan_ids"), ",")
	if len(ids) > 5 {
		f.Error(w, 400, "at most 5 scan ids")
		return
	}
	out := []map[string]any{}
	for _, id := range ids {
		f.mu.Lock()
		items, ok := f.scans[id]
		f.mu.Unlock()
		if !ok {
			continue
		}
		done := f.polls.Done(id, f.Faults.Pending)
		for _, it := range items {
			e := map[string]any{"req_id": it.ReqID, "scan_id": id, "status": "pending"}
			if done {
				e["status"], e["result"] = "complete", verdict(id, it.ScanReq)
			}
			out = append(out, e)
		}
	}
	remotefake.JSON(w, 200, out)
}

// verdict runs the keyword detectors over the last contents element.
func verdict(scanID string, req scanRequest) map[string]any {
	c := req.Contents[len(req.Contents)-1]
	prompt, response := strings.ToLower(c["prompt"]), strings.ToLower(c["response"])
	pd := map[string]bool{
		"injection": strings.Contains(prompt, "ignore previous instructions") || strings.Contains(prompt, "ignore all previous instructions"),
		"dlp":       strings.Contains(prompt, "akia") || strings.Contains(prompt, "password:"),
		"url_cats":  strings.Contains(prompt, "malware."),
	}
	rd := map[string]bool{}
	if response != "" {
		rd = map[string]bool{"dlp": strings.Contains(response, "akia"), "db_security": strings.Contains(response, "drop table"), "url_cats": false}
	}
	category, action := "benign", "allow"
	for _, m := range []map[string]bool{pd, rd} {
		for _, v := range m {
			if v {
				category, action = "malicious", "block"
			}
		}
	}
	if prompt == "" {
		pd = map[string]bool{}
	}
	return map[string]any{"report_id": "R" + scanID, "scan_id": scanID, "tr_id": req.TrID, "profile_name": req.AIProfile.ProfileName,
		"category": category, "action": action, "prompt_detected": pd, "response_detected": rd, "created_at": "2025-05-08T15:54:21Z"}
}
