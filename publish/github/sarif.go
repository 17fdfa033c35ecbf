package github

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/sarif"
	"github.com/modelgate/modelgate/scanner"
)

// GitHub's documented SARIF upload limits.
const (
	MaxSARIFGzipBytes = 10 << 20 // 10 MB gzipped per upload
	MaxResultsPerRun  = 25000
)

// DefaultPollDelays wait about two minutes in all for processing, checking
// early first (most uploads finish in seconds).
var DefaultPollDelays = []time.Duration{
	1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
	15 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second,
}

// sarifStatus is GET …/code-scanning/sarifs/{id}. go-github's SARIFUpload
// lacks the errors field, so this is our own struct.
type sarifStatus struct {
	ProcessingStatus string   `json:"processing_status"`
	AnalysesURL      string   `json:"analyses_url"`
	Errors           []string `json:"errors"`
}

// uploadStep uploads the SARIF and waits for processing; it returns the
// upload id ("" when nothing was uploaded).
func (p *Publisher) uploadStep(ctx context.Context, rep *report.Report) string {
	if !p.cfg.UploadSARIF {
		return ""
	}
	ref, sha, err := p.run.AnalysisTarget()
	if err != nil {
		p.log.notice("Code-scanning upload skipped: %v. The SARIF file was still written.", err)
		p.note(fmt.Sprintf("Code-scanning upload skipped: %v.", err))
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, uploadBudget)
	defer cancel()
	payload, trimmed, err := sarifPayload(rep)
	if err != nil {
		p.failure("Code-scanning upload", err, "")
		return ""
	}
	if trimmed != "" {
		p.log.warning("%s", trimmed)
		p.note(trimmed)
	}
	id, err := p.upload(ctx, rep, ref, sha, payload)
	if err != nil {
		p.failure("Code-scanning upload", err, p.uploadFix(err))
		return ""
	}
	p.log.info("modelgate: SARIF uploaded to code scanning for %s (%s), id %s", ref, sha, id)
	p.waitForProcessing(ctx, id, ref)
	return id
}

func (p *Publisher) upload(ctx context.Context, rep *report.Report, ref, sha, payload string) (string, error) {
	analysis := &gh.SarifAnalysis{
		CommitSHA: gh.String(sha),
		Ref:       gh.String(ref),
		Sarif:     gh.String(payload),
		ToolName:  gh.String(cmp.Or(rep.Tool.Name, "modelgate")),
	}
	if rep.RootURI != "" {
		analysis.CheckoutURI = gh.String(rep.RootURI)
	}
	if rep.Result != nil && !rep.Result.StartedAt.IsZero() {
		analysis.StartedAt = &gh.Timestamp{Time: rep.Result.StartedAt.UTC().Truncate(time.Second)}
	}
	receipt, _, err := p.client.CodeScanning.UploadSarif(RetryUnprocessed(ctx), p.run.Owner, p.run.Repo, analysis)
	if err != nil {
		return "", err
	}
	if receipt == nil || receipt.GetID() == "" {
		return "", errors.New("GitHub accepted the upload but returned no id")
	}
	return receipt.GetID(), nil
}

// waitForProcessing polls the upload's status with backoff until it is
// complete or failed, and reports GitHub's processing errors.
func (p *Publisher) waitForProcessing(ctx context.Context, id, ref string) {
	delays := p.cfg.PollDelays
	if delays == nil {
		delays = DefaultPollDelays
	}
	var last string
	for _, d := range delays {
		if err := p.cfg.Retry.Sleep(ctx, d); err != nil {
			break
		}
		st, err := p.sarifStatus(ctx, id)
		switch {
		case statusOf(err) == http.StatusNotFound:
			continue // not visible yet right after the upload
		case err != nil:
			p.failure("Checking the code-scanning upload", err, "")
			return
		}
		last = st.ProcessingStatus
		switch st.ProcessingStatus {
		case "complete":
			p.note(fmt.Sprintf("Code scanning: SARIF uploaded for %s and processed (upload %s).", ref, id))
			return
		case "failed":
			msg := fmt.Sprintf("Code scanning could not process the SARIF upload %s: %s", id, strings.Join(orNone(st.Errors), "; "))
			p.log.warning("%s", msg)
			p.note(msg + ".")
			return
		}
	}
	msg := fmt.Sprintf("Code scanning: SARIF uploaded for %s (upload %s) but still %s after waiting; results will appear once GitHub has processed it.",
		ref, id, cmp.Or(last, "not visible"))
	p.log.warning("%s", msg)
	p.note(msg)
}

func orNone(errs []string) []string {
	if len(errs) == 0 {
		return []string{"no reason given"}
	}
	return errs
}

func (p *Publisher) sarifStatus(ctx context.Context, id string) (*sarifStatus, error) {
	u := fmt.Sprintf("repos/%s/%s/code-scanning/sarifs/%s", url.PathEscape(p.run.Owner), url.PathEscape(p.run.Repo), url.PathEscape(id))
	req, err := p.client.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	st := &sarifStatus{}
	if _, err := p.client.Do(ctx, req, st); err != nil {
		return nil, err
	}
	return st, nil
}

// sarifPayload renders the report as SARIF, gzips and base64-encodes it.
// Within GitHub's limits the upload is exactly the SARIF file's content.
// Beyond 25,000 results, or 10 MB gzipped, the most severe findings are
// kept (blocking first) and the note says so; the file on disk stays whole.
func sarifPayload(rep *report.Report) (payload, note string, err error) {
	total := len(rep.Decision.Reported)
	keep := min(total, MaxResultsPerRun)
	for {
		gz, err := gzipSARIF(trimReport(rep, keep))
		if err != nil {
			return "", "", err
		}
		if len(gz) <= MaxSARIFGzipBytes {
			if keep < total {
				note = fmt.Sprintf("Code scanning: the upload holds the %d most severe of %d findings (GitHub's limits: %d results per run, 10 MB gzipped); the SARIF file has them all.",
					keep, total, MaxResultsPerRun)
			}
			return base64.StdEncoding.EncodeToString(gz), note, nil
		}
		if keep == 0 {
			return "", "", fmt.Errorf("the SARIF is %d bytes gzipped even without results, over GitHub's 10 MB limit", len(gz))
		}
		keep /= 2
	}
}

func gzipSARIF(rep *report.Report) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := sarif.Write(zw, rep); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// trimReport returns rep with only its keep most severe findings (blocking
// first, then by severity, then in report order).
func trimReport(rep *report.Report, keep int) *report.Report {
	d := rep.Decision
	if keep >= len(d.Reported) {
		return rep
	}
	idx := make([]int, len(d.Reported))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(compareBool(d.Blocking[b], d.Blocking[a]), cmp.Compare(d.Reported[b].Severity, d.Reported[a].Severity))
	})
	idx = idx[:keep]
	slices.Sort(idx)
	trimmed := policy.Decision{Gate: d.Gate, Hidden: d.Hidden, Verdict: d.Verdict, ExitCode: d.ExitCode, BlockingCount: d.BlockingCount}
	for _, i := range idx {
		trimmed.Reported = append(trimmed.Reported, d.Reported[i])
		trimmed.Blocking = append(trimmed.Blocking, d.Blocking[i])
	}
	if trimmed.Reported == nil {
		trimmed.Reported, trimmed.Blocking = []scanner.Finding{}, []bool{}
	}
	out := *rep
	out.Decision = trimmed
	return &out
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
