// Package gitlabtest is a fake GitLab REST API (v4) for tests: the
// merge-request notes endpoints (list with X-Next-Page paging, create,
// update) with in-memory state. It checks the PRIVATE-TOKEN header, the
// paths, the JSON body ({"body": non-empty, at most 1,000,000 characters})
// and can be told to answer with an error status, with Retry-After for
// 429. Every contract violation fails the test.
package gitlabtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"unicode/utf8"
)

// Operations.
const (
	OpList   = "list-notes"
	OpCreate = "create-note"
	OpUpdate = "update-note"
)

// Fault is a canned error answer.
type Fault struct {
	Status     int
	RetryAfter int // seconds, sent when > 0
}

// Note is a merge-request note.
type Note struct {
	ID    int64
	MR    int
	Body  string
	Edits int
}

// Request is a received request.
type Request struct {
	Op, Method, Path string
	Token            string
	Body             string
}

// Server is the fake API.
type Server struct {
	// URL is the API base, as CI_API_V4_URL.
	URL string
	// Token is the only accepted PRIVATE-TOKEN.
	Token string
	// Project is the only project id served.
	Project string
	// PageSize is the notes per page (default 100).
	PageSize int

	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	notes    []*Note
	requests []Request
	faults   map[string][]Fault
	nextID   int64
}

// New starts a fake serving project under /api/v4.
func New(t testing.TB, token, project string) *Server {
	t.Helper()
	s := &Server{Token: token, Project: project, t: t, faults: map[string][]Fault{}, nextID: 500}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + "/api/v4"
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

// AddNote adds a note (someone else's) and returns its id.
func (s *Server) AddNote(mr int, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(mr, body).ID
}

func (s *Server) add(mr int, body string) *Note {
	s.nextID++
	n := &Note{ID: s.nextID, MR: mr, Body: body}
	s.notes = append(s.notes, n)
	return n
}

// Notes returns copies of a merge request's notes, oldest first.
func (s *Server) Notes(mr int) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notesOf(mr)
}

func (s *Server) notesOf(mr int) []Note {
	out := []Note{}
	for _, n := range s.notes {
		if n.MR == mr {
			out = append(out, *n)
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
	return len(slices.DeleteFunc(s.Requests(), func(r Request) bool { return r.Op != op }))
}

var (
	notesPath = regexp.MustCompile(`^/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes$`)
	notePath  = regexp.MustCompile(`^/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes/(\d+)$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op, mr, id := s.route(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Op: op, Method: r.Method, Path: r.URL.Path, Token: r.Header.Get("PRIVATE-TOKEN"), Body: string(body)})
	if op == "" {
		s.t.Errorf("gitlabtest: %s %s is not a notes operation of project %s", r.Method, r.URL.EscapedPath(), s.Project)
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not Found"})
		return
	}
	if r.Header.Get("PRIVATE-TOKEN") != s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	if q := s.faults[op]; len(q) > 0 {
		s.faults[op] = q[1:]
		if q[0].RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(q[0].RetryAfter))
		}
		writeJSON(w, q[0].Status, map[string]string{"message": http.StatusText(q[0].Status)})
		return
	}
	switch op {
	case OpList:
		s.list(w, r, mr)
	case OpCreate:
		if text, ok := s.noteBody(w, body); ok {
			writeJSON(w, http.StatusCreated, noteJSON(s.add(mr, text)))
		}
	case OpUpdate:
		s.update(w, mr, id, body)
	}
}

// route names the operation of a request ("" when it is none).
func (s *Server) route(r *http.Request) (op string, mr int, id int64) {
	path := r.URL.EscapedPath()
	if m := notesPath.FindStringSubmatch(path); m != nil && m[1] == s.Project {
		mr, _ = strconv.Atoi(m[2])
		switch r.Method {
		case http.MethodGet:
			return OpList, mr, 0
		case http.MethodPost:
			return OpCreate, mr, 0
		}
	}
	if m := notePath.FindStringSubmatch(path); m != nil && m[1] == s.Project && r.Method == http.MethodPut {
		mr, _ = strconv.Atoi(m[2])
		id, _ = strconv.ParseInt(m[3], 10, 64)
		return OpUpdate, mr, id
	}
	return "", 0, 0
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, mr int) {
	size := s.PageSize
	if size == 0 {
		size = 100
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	var all []map[string]any
	for _, n := range s.notesOf(mr) {
		all = append(all, noteJSON(&n))
	}
	from, to := min((page-1)*size, len(all)), min(page*size, len(all))
	if to < len(all) {
		w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
	}
	writeJSON(w, http.StatusOK, append([]map[string]any{}, all[from:to]...))
}

func (s *Server) update(w http.ResponseWriter, mr int, id int64, body []byte) {
	text, ok := s.noteBody(w, body)
	if !ok {
		return
	}
	for _, n := range s.notes {
		if n.ID == id && n.MR == mr {
			n.Body = text
			n.Edits++
			writeJSON(w, http.StatusOK, noteJSON(n))
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Note Not Found"})
}

// noteBody checks a create or update body.
func (s *Server) noteBody(w http.ResponseWriter, data []byte) (string, bool) {
	var doc struct {
		Body *string `json:"body"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Body == nil || *doc.Body == "" {
		s.t.Errorf("gitlabtest: note body %q is not {\"body\": non-empty}", data)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is missing"})
		return "", false
	}
	if n := utf8.RuneCountInString(*doc.Body); n > 1_000_000 {
		s.t.Errorf("gitlabtest: note body of %d characters exceeds GitLab's limit", n)
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": fmt.Sprintf("Note is too long (%d)", n)})
		return "", false
	}
	return *doc.Body, true
}

func noteJSON(n *Note) map[string]any {
	return map[string]any{"id": n.ID, "body": n.Body, "noteable_iid": n.MR, "system": false}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
