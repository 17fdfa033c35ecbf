// Package githubtest is a fake GitHub REST API for tests. It serves the
// operations of testdata/github/github-rest-subset.json (code-scanning
// SARIF upload and status, issue comments, pull-request files and reviews,
// check runs) with in-memory state, checks every request against that
// OpenAPI description (method, path, path and query parameter types,
// request-body schema: required fields, types, additionalProperties) and
// the token, rejects review comments outside the diff as GitHub does (422),
// and can be told to answer 403, 404, 422, 429 with Retry-After, or 5xx.
// Every contract violation fails the test.
package githubtest

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Operation IDs, as in the spec.
const (
	OpUploadSARIF   = "code-scanning/upload-sarif"
	OpGetSARIF      = "code-scanning/get-sarif"
	OpListComments  = "issues/list-comments"
	OpCreateComment = "issues/create-comment"
	OpUpdateComment = "issues/update-comment"
	OpListFiles     = "pulls/list-files"
	OpCreateReview  = "pulls/create-review"
)

// MaxCommentChars is GitHub's comment body limit.
const MaxCommentChars = 65536

// Fault is a canned error answer.
type Fault struct {
	Status int
	Header map[string]string
	// Message goes into GitHub's error body {"message": …}; default: the
	// status text.
	Message string
}

// Forbidden is GitHub's answer to a read-only token (fork pull requests).
var Forbidden = Fault{Status: http.StatusForbidden, Message: "Resource not accessible by integration"}

// RateLimited is a secondary rate limit with Retry-After.
func RateLimited(seconds int) Fault {
	return Fault{Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": fmt.Sprint(seconds)},
		Message: "You have exceeded a secondary rate limit."}
}

// Request is one request the fake received.
type Request struct {
	Op, Method, Path string
	Query            url.Values
	Body             []byte
}

// Comment is an issue comment.
type Comment struct {
	ID    int64
	Issue int
	Body  string
	Edits int
}

// File is a pull-request file with its unified-diff patch.
type File struct {
	Filename, Status, Patch string
}

// ReviewComment is one line comment of a review.
type ReviewComment struct {
	Path            string
	Line, StartLine int
	Side, StartSide string
	Body            string
}

// Review is a submitted review.
type Review struct {
	PR                    int
	CommitID, Body, Event string
	Comments              []ReviewComment
}

// Upload is a received SARIF upload, decoded.
type Upload struct {
	ID, CommitSHA, Ref, CheckoutURI, ToolName, StartedAt string
	// SARIF is the decompressed log.
	SARIF  []byte
	checks int
}

// Server is the fake API.
type Server struct {
	// URL is the API base to use as GITHUB_API_URL (with Prefix).
	URL string
	// Token is the only accepted token ("Bearer <Token>").
	Token string
	// HeadSHA, if set, is the only commit_id a review may name.
	HeadSHA string
	// Statuses are the processing statuses successive status checks of an
	// upload return (the last repeats); default pending, then complete.
	Statuses []string
	// ProcessingErrors are returned with a "failed" status.
	ProcessingErrors []string

	t      testing.TB
	srv    *httptest.Server
	prefix string
	spec   *spec

	mu       sync.Mutex
	requests []Request
	faults   map[string][]Fault
	comments []*Comment
	files    map[int][]File
	reviews  []Review
	uploads  []*Upload
	nextID   int64
}

// New starts a fake at the root of its host (as api.github.com).
func New(t testing.TB, token string) *Server { return NewWithPrefix(t, token, "") }

// NewWithPrefix starts a fake whose API lives under prefix, as GitHub
// Enterprise Server's /api/v3.
func NewWithPrefix(t testing.TB, token, prefix string) *Server {
	t.Helper()
	sp, err := loadSpec(SpecPath())
	if err != nil {
		t.Fatalf("githubtest: loading the REST subset: %v", err)
	}
	s := &Server{Token: token, t: t, spec: sp, prefix: strings.TrimSuffix(prefix, "/"),
		faults: map[string][]Fault{}, files: map[int][]File{}, nextID: 1000}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + s.prefix
	return s
}

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Fail queues error answers for the next requests of an operation.
func (s *Server) Fail(op string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], faults...)
}

// SetFiles sets a pull request's changed files.
func (s *Server) SetFiles(pr int, files ...File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[pr] = files
}

// AddComment adds a comment (e.g. someone else's) and returns its id.
func (s *Server) AddComment(issue int, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addComment(issue, body).ID
}

func (s *Server) addComment(issue int, body string) *Comment {
	s.nextID++
	c := &Comment{ID: s.nextID, Issue: issue, Body: body}
	s.comments = append(s.comments, c)
	return c
}

// Comments returns copies of an issue's comments.
func (s *Server) Comments(issue int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.Issue == issue {
			out = append(out, *c)
		}
	}
	return out
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests an operation received.
func (s *Server) Count(op string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}

// Reviews returns the reviews received.
func (s *Server) Reviews() []Review {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Review(nil), s.reviews...)
}

// Uploads returns the SARIF uploads received.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Upload
	for _, u := range s.uploads {
		out = append(out, *u)
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	path, ok := strings.CutPrefix(r.URL.Path, s.prefix)
	if !ok {
		s.t.Errorf("githubtest: %s %s is outside the API prefix %q", r.Method, r.URL.Path, s.prefix)
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	op, params := s.spec.match(r.Method, path)
	if op == nil {
		s.t.Errorf("githubtest: %s %s is not an operation of the REST subset", r.Method, path)
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Op: op.id, Method: r.Method, Path: path, Query: r.URL.Query(), Body: body})
	if msg := s.checkRequest(op, params, r, body); msg != "" {
		s.t.Errorf("githubtest: %s %s: %s", r.Method, path, msg)
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed: "+msg)
		return
	}
	if q := s.faults[op.id]; len(q) > 0 {
		s.faults[op.id] = q[1:]
		writeFault(w, q[0])
		return
	}
	s.handle(op.id, params, w, r, body)
}

// checkRequest checks a request against the spec; "" when it conforms.
func (s *Server) checkRequest(op *operation, params []string, r *http.Request, body []byte) string {
	if got := r.Header.Get("Authorization"); got != "Bearer "+s.Token {
		return "missing or wrong Authorization header"
	}
	if r.Header.Get("User-Agent") == "" {
		return "no User-Agent"
	}
	for i, p := range op.pathParams {
		v, _ := url.PathUnescape(params[i])
		if err := checkValue(p, v); err != nil {
			return "path parameter " + err.Error()
		}
	}
	for name, vals := range r.URL.Query() {
		p, ok := op.queryParams[name]
		if !ok {
			return fmt.Sprintf("query parameter %q is not in the spec", name)
		}
		for _, v := range vals {
			if err := checkValue(p, v); err != nil {
				return "query parameter " + err.Error()
			}
		}
	}
	return checkBody(op, r, body)
}

func checkBody(op *operation, r *http.Request, body []byte) string {
	if op.body == nil {
		if len(bytes.TrimSpace(body)) > 0 {
			return "a body was sent to an operation that takes none"
		}
		return ""
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if op.bodyRequired {
			return "the request body is required"
		}
		return ""
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Sprintf("Content-Type %q, want application/json", ct)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return "body is not JSON: " + err.Error()
	}
	if err := op.body.Validate(inst); err != nil {
		return "body does not match the spec: " + err.Error()
	}
	return ""
}

func writeFault(w http.ResponseWriter, f Fault) {
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	msg := f.Message
	if msg == "" {
		msg = http.StatusText(f.Status)
	}
	doc := "https://docs.github.com/rest"
	if strings.Contains(msg, "secondary rate limit") {
		doc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	}
	writeJSON(w, f.Status, map[string]any{"message": msg, "documentation_url": doc})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decodeSARIF undoes gzip + base64 and checks the result is a SARIF log.
func decodeSARIF(s string) ([]byte, error) {
	gz, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("sarif is not base64: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("sarif is not gzip: %w", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("sarif is not gzip: %w", err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []any  `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil || log.Version != "2.1.0" || len(log.Runs) == 0 {
		return nil, fmt.Errorf("sarif is not a SARIF 2.1.0 log")
	}
	return data, nil
}
