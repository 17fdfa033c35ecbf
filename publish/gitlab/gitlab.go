// Package gitlab keeps one sticky note on a GitLab merge request up to
// date with the scan's report, through the GitLab REST API (v4).
//
// The note starts with a hidden marker per category
// ("<!-- modelgate:<category> -->"); the first note with it is edited in
// place, otherwise one is created. The token comes from
// MODELGATE_GITLAB_TOKEN, else GITLAB_TOKEN (a project or group access
// token with the api scope; CI_JOB_TOKEN cannot write notes). It is sent
// only as the PRIVATE-TOKEN header and never printed: messages are
// scrubbed of it. Rate limits (429 with Retry-After) are waited out and
// reads and edits are retried on 5xx (publish/github's retry transport); a
// failure of any kind is a warning, never a changed exit code.
package gitlab

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	ghpub "github.com/modelgate/modelgate/publish/github"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/markdown"
)

// Note modes.
const (
	NoteOnMR   = "on-mr"  // create the note when there is something to say, then keep it up to date
	NoteAlways = "always" // also create it for a clean merge request
	NoteNever  = "never"
)

// NoteModes lists the valid modes.
var NoteModes = []string{NoteOnMR, NoteAlways, NoteNever}

// maxNoteChars is GitLab's note body limit.
const maxNoteChars = 1_000_000

// maxPages bounds paging through a merge request's notes (100 per page).
const maxPages = 30

// budget bounds the whole publishing step.
const budget = 3 * time.Minute

// Config says where and how to publish.
type Config struct {
	// APIURL is the API base, e.g. https://gitlab.com/api/v4 (CI_API_V4_URL).
	APIURL string
	// ProjectID is the project's numeric id or path (CI_PROJECT_ID).
	ProjectID string
	// MRIID is the merge request's project-level id (CI_MERGE_REQUEST_IID);
	// 0 outside merge-request pipelines.
	MRIID int
	// ProjectURL links the note's files (CI_PROJECT_URL).
	ProjectURL string
	// CommitSHA is the scanned commit, for file links (CI_COMMIT_SHA).
	CommitSHA string
	// Token authenticates the API calls; "" makes none.
	Token string
	// Mode is NoteOnMR, NoteAlways or NoteNever.
	Mode string
	// HTTPClient sends the requests (nil: a default client); it is wrapped
	// with Retry.
	HTTPClient *http.Client
	// Retry is the retry policy (zero: publish/github's default).
	Retry ghpub.RetryPolicy
	// Log receives notices and warnings (nil: discarded).
	Log func(format string, args ...any)
}

// TokenVariables are the environment variables read for the token, in
// order.
var TokenVariables = []string{"MODELGATE_GITLAB_TOKEN", "GITLAB_TOKEN"}

// ConfigFromEnv reads GitLab CI's predefined variables and the token.
func ConfigFromEnv(getenv func(string) string) Config {
	c := Config{
		APIURL:     getenv("CI_API_V4_URL"),
		ProjectID:  getenv("CI_PROJECT_ID"),
		ProjectURL: getenv("CI_PROJECT_URL"),
		CommitSHA:  getenv("CI_COMMIT_SHA"),
		Mode:       NoteOnMR,
	}
	c.MRIID, _ = strconv.Atoi(getenv("CI_MERGE_REQUEST_IID"))
	for _, name := range TokenVariables {
		if c.Token = strings.TrimSpace(getenv(name)); c.Token != "" {
			break
		}
	}
	return c
}

// Outcome is what publishing did.
type Outcome struct {
	// NoteURL links the note; "" when none was created or updated.
	NoteURL string
	// Err is the failure, already reported as a warning.
	Err error
}

// note is the part of GitLab's note object used here.
type note struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
}

// Publish creates or updates the sticky note. It logs what it did and
// never fails the caller: errors are returned in Outcome only.
func Publish(ctx context.Context, cfg Config, rep *report.Report) Outcome {
	p := &publisher{cfg: cfg}
	if reason := p.skip(); reason != "" {
		p.log("modelgate: %s", reason)
		return Outcome{}
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	p.client = ghpub.NewRetryClient(cfg.HTTPClient, cfg.Retry)
	url, err := p.sticky(ctx, rep)
	if err != nil {
		p.log("modelgate: warning: merge-request note not posted: %s", p.scrub(err.Error()))
		return Outcome{Err: err}
	}
	return Outcome{NoteURL: url}
}

type publisher struct {
	cfg    Config
	client *http.Client
}

// skip says why nothing is posted, or "" to go ahead.
func (p *publisher) skip() string {
	switch {
	case p.cfg.Mode == NoteNever:
		return "merge-request note turned off (--gitlab-note never)"
	case p.cfg.MRIID == 0:
		return "not a merge-request pipeline: no merge-request note"
	case p.cfg.Token == "":
		return "no GitLab token (set MODELGATE_GITLAB_TOKEN, a masked CI/CD variable with a project access token of scope api): no merge-request note"
	case p.cfg.APIURL == "" || p.cfg.ProjectID == "":
		return "CI_API_V4_URL or CI_PROJECT_ID is not set: no merge-request note"
	}
	return ""
}

func (p *publisher) log(format string, args ...any) {
	if p.cfg.Log != nil {
		p.cfg.Log(format, args...)
	}
}

// scrub removes the token from a message.
func (p *publisher) scrub(s string) string {
	if p.cfg.Token == "" {
		return s
	}
	return strings.ReplaceAll(s, p.cfg.Token, "[masked]")
}

// sticky finds our note and edits it, or creates one.
func (p *publisher) sticky(ctx context.Context, rep *report.Report) (string, error) {
	marker := markdown.MarkerLine(cmp.Or(rep.Category, report.DefaultCategory))
	existing, err := p.find(ctx, marker)
	if err != nil {
		return "", fmt.Errorf("reading the merge request's notes: %w", err)
	}
	if existing == nil && p.cfg.Mode == NoteOnMR && !worthNote(rep) {
		p.log("modelgate: nothing to report, so no merge-request note (--gitlab-note always posts one anyway)")
		return "", nil
	}
	body := p.body(rep)
	if existing != nil {
		if existing.Body != body {
			if err := p.call(ctx, http.MethodPut, p.notesPath()+"/"+strconv.FormatInt(existing.ID, 10), body, nil); err != nil {
				return "", fmt.Errorf("updating the merge-request note: %w", err)
			}
		}
		u := p.noteURL(existing.ID)
		p.log("modelgate: merge-request note updated: %s", u)
		return u, nil
	}
	var created note
	if err := p.call(ctx, http.MethodPost, p.notesPath(), body, &created); err != nil {
		return "", fmt.Errorf("creating the merge-request note: %w", err)
	}
	u := p.noteURL(created.ID)
	p.log("modelgate: merge-request note posted: %s", u)
	return u, nil
}

// worthNote: findings, skipped files or scan errors.
func worthNote(rep *report.Report) bool {
	if len(rep.Decision.Reported) > 0 || len(rep.Result.Errors) > 0 {
		return true
	}
	_, skipped := rep.Result.FileCounts()
	return len(skipped) > 0
}

func (p *publisher) body(rep *report.Report) string {
	opt := markdown.Options{
		Marker:     cmp.Or(rep.Category, report.DefaultCategory),
		MaxBytes:   maxNoteChars,
		Limit:      "GitLab's 1,000,000-character note limit",
		FullReport: "the job's SAST, Code Quality and JSON reports",
	}
	if p.cfg.ProjectURL != "" && p.cfg.CommitSHA != "" {
		opt.BlobURL = strings.TrimSuffix(p.cfg.ProjectURL, "/") + "/-/blob/" + p.cfg.CommitSHA
	}
	return markdown.Render(rep, opt)
}

func (p *publisher) notesPath() string {
	return fmt.Sprintf("/projects/%s/merge_requests/%d/notes", url.PathEscape(p.cfg.ProjectID), p.cfg.MRIID)
}

func (p *publisher) noteURL(id int64) string {
	if p.cfg.ProjectURL == "" {
		return fmt.Sprintf("note %d", id)
	}
	return fmt.Sprintf("%s/-/merge_requests/%d#note_%d", strings.TrimSuffix(p.cfg.ProjectURL, "/"), p.cfg.MRIID, id)
}

// find pages through the notes, oldest first, for the first one that
// starts with the marker.
func (p *publisher) find(ctx context.Context, marker string) (*note, error) {
	page := 1
	for range maxPages {
		var notes []note
		q := fmt.Sprintf("?per_page=100&page=%d&sort=asc&order_by=created_at", page)
		next, err := p.get(ctx, p.notesPath()+q, &notes)
		if err != nil {
			return nil, err
		}
		for i := range notes {
			if strings.HasPrefix(notes[i].Body, marker) {
				return &notes[i], nil
			}
		}
		if next <= page {
			break
		}
		page = next
	}
	return nil, nil
}

// get fetches a page and returns GitLab's X-Next-Page (0 on the last).
func (p *publisher) get(ctx context.Context, path string, out any) (int, error) {
	resp, err := p.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(out); err != nil {
		return 0, fmt.Errorf("decoding the answer: %w", err)
	}
	next, _ := strconv.Atoi(resp.Header.Get("X-Next-Page"))
	return next, nil
}

// call sends a note body and decodes the answer into out (if not nil).
func (p *publisher) call(ctx context.Context, method, path, body string, out any) error {
	payload, _ := json.Marshal(map[string]string{"body": body})
	resp, err := p.do(ctx, method, path, payload)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(out)
}

// apiError is a non-2xx answer.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string {
	fix := ""
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		fix = " (the token needs the api scope and at least the Reporter role on the project)"
	case http.StatusNotFound:
		fix = " (check CI_PROJECT_ID and CI_MERGE_REQUEST_IID, and that the token can see the project)"
	}
	return fmt.Sprintf("GitLab answered %d %s%s", e.Status, e.Message, fix)
}

func (p *publisher) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(p.cfg.APIURL, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	req.Header.Set("PRIVATE-TOKEN", p.cfg.Token)
	req.Header.Set("User-Agent", "modelgate")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, &apiError{Status: resp.StatusCode, Message: errorMessage(resp.Body)}
	}
	return resp, nil
}

// errorMessage reads GitLab's {"message": …} or {"error": …}, clipped.
func errorMessage(r io.Reader) string {
	data, _ := io.ReadAll(io.LimitReader(r, 4096))
	var doc struct {
		Message any    `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(data, &doc) == nil {
		if doc.Message != nil {
			return fmt.Sprint(doc.Message)
		}
		if doc.Error != "" {
			return doc.Error
		}
	}
	return strings.TrimSpace(string(data))
}

// IsAPIError reports whether err is an error answer with this status.
func IsAPIError(err error, status int) bool {
	var e *apiError
	return errors.As(err, &e) && e.Status == status
}
