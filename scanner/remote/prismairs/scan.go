package prismairs

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelgate/modelgate/scanner/remote"
)

// scanResponse is the ScanResponse schema [C], read tolerantly.
type scanResponse struct {
	ReportID         string         `json:"report_id"`
	ScanID           string         `json:"scan_id"`
	TrID             string         `json:"tr_id"`
	Category         string         `json:"category"`
	Action           string         `json:"action"`
	PromptDetected   map[string]any `json:"prompt_detected"`
	ResponseDetected map[string]any `json:"response_detected"`
}

// request is a ScanRequest for one item.
func (e *Engine) request(it *item) map[string]any {
	profile := map[string]string{"profile_name": e.cfg.Profile}
	if uuidRE.MatchString(e.cfg.Profile) {
		profile = map[string]string{"profile_id": e.cfg.Profile}
	}
	return map[string]any{
		"tr_id":      it.trID,
		"ai_profile": profile,
		"metadata":   map[string]string{"app_name": e.cfg.AppName, "app_user": e.cfg.AppUser, "ai_model": e.cfg.AIModel},
		"contents":   []map[string]string{it.content()},
	}
}

// scanSync scans the items one sync request each.
func (e *Engine) scanSync(ctx context.Context, items []*item) error {
	for _, it := range items {
		call := remote.Call{Name: "sync scan", Method: http.MethodPost, Path: syncPath, JSON: e.request(it)}
		if err := e.client.JSON(ctx, call, &it.result); err != nil {
			return err
		}
		if err := checkResult(e.client, call, it); err != nil {
			return err
		}
	}
	return nil
}

// checkResult rejects an answer that is not about the item sent.
func checkResult(c *remote.Client, call remote.Call, it *item) error {
	switch {
	case it.result.Action == "" && it.result.Category == "":
		return c.Malformed(call, "no category or action")
	case it.result.TrID != "" && it.result.TrID != it.trID:
		return c.Malformed(call, "answer for tr_id %q, sent %q", it.result.TrID, it.trID)
	}
	return nil
}

// batchKey identifies an item in async results.
type batchKey struct {
	scanID string
	reqID  int
}

// scanAsync submits the items in batches of 5 and polls their results.
func (e *Engine) scanAsync(ctx context.Context, items []*item) error {
	byKey := map[batchKey]*item{}
	var scanIDs []string
	for i := 0; i < len(items); i += batchSize {
		batch := items[i:min(i+batchSize, len(items))]
		var reqs []map[string]any
		for j, it := range batch {
			reqs = append(reqs, map[string]any{"req_id": j + 1, "scan_req": e.request(it)})
		}
		var out struct {
			ScanID string `json:"scan_id"`
		}
		call := remote.Call{Name: "async scan", Method: http.MethodPost, Path: asyncPath, JSON: reqs}
		if err := e.client.JSON(ctx, call, &out); err != nil {
			return err
		}
		if out.ScanID == "" {
			return e.client.Malformed(call, "no scan_id")
		}
		scanIDs = append(scanIDs, out.ScanID)
		for j, it := range batch {
			byKey[batchKey{out.ScanID, j + 1}] = it
		}
	}
	return e.pollResults(ctx, scanIDs, byKey)
}

// asyncResult is one entry of GET /v1/scan/results.
type asyncResult struct {
	ReqID  int          `json:"req_id"`
	Status string       `json:"status"`
	ScanID string       `json:"scan_id"`
	Result scanResponse `json:"result"`
}

// pollResults asks for results, 5 scan ids per request and paced by the
// run-wide limiter, until every item has one.
func (e *Engine) pollResults(ctx context.Context, scanIDs []string, byKey map[batchKey]*item) error {
	pending := len(byKey)
	for pending > 0 {
		for i := 0; i < len(scanIDs) && pending > 0; i += batchSize {
			if err := e.client.Reserve(ctx, &e.results); err != nil {
				return fmt.Errorf("%s: results still pending when the scan deadline ran out: %w", Vendor, err)
			}
			var out []asyncResult
			call := remote.Call{Name: "poll results", Method: http.MethodGet, Path: resultsPath, Idempotent: true,
				Query: url.Values{"scan_ids": {strings.Join(scanIDs[i:min(i+batchSize, len(scanIDs))], ",")}}}
			if err := e.client.JSON(ctx, call, &out); err != nil {
				return err
			}
			for _, r := range out {
				it, ok := byKey[batchKey{r.ScanID, r.ReqID}]
				if !ok || !strings.EqualFold(r.Status, "complete") || it.result.Action != "" || it.result.Category != "" {
					continue
				}
				it.result = r.Result
				if err := checkResult(e.client, call, it); err != nil {
					return err
				}
				pending--
			}
		}
	}
	return nil
}
