// Package remotefake is the common part of the fake vendor servers: each
// route has a call name, every request is recorded for contract tests,
// credentials are checked, and faults are scripted per call (pending
// polls, 401, 429 with Retry-After, 5xx, malformed JSON, slow answers).
// The fakes follow the request and response shapes documented in
// vendor-apis.md; they are used by the tests and by
// `modelgate dev fake-vendor`.
package remotefake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults script a fake's misbehaviour. Counted faults hit the first calls
// and then the call succeeds, so "5xx then success" and "429 then
// success" are one field each.
type Faults struct {
	// Call limits the faults to one call name ("" means every call).
	Call string
	// Pending is how many polls answer "pending" before the result.
	Pending int
	// Unauthorized answers 401 to every matching call.
	Unauthorized bool
	// RateLimited answers 429 to the first N matching calls.
	RateLimited int
	// RetryAfter is the Retry-After header sent with a 429 ("1", or an HTTP
	// date); empty sends none, and the vendor's body hint (if it has one)
	// carries RetryAfterBody seconds.
	RetryAfter     string
	RetryAfterBody int
	// ServerErrors answers 500 to the first N matching calls.
	ServerErrors int
	// Malformed answers 200 with a body that is not JSON.
	Malformed bool
	// Delay holds every matching answer back this long.
	Delay time.Duration
}

// ParseFault reads one fault of the dev command: 401, 429, 429-body,
// 5xx, malformed or slow (with n the count, or the delay in seconds).
func ParseFault(name string, n int) (Faults, error) {
	n = max(n, 1)
	switch name {
	case "", "none":
		return Faults{}, nil
	case "401":
		return Faults{Unauthorized: true}, nil
	case "429":
		return Faults{RateLimited: n, RetryAfter: "1"}, nil
	case "429-body":
		return Faults{RateLimited: n, RetryAfterBody: 1}, nil
	case "5xx":
		return Faults{ServerErrors: n}, nil
	case "malformed":
		return Faults{Malformed: true}, nil
	case "slow":
		return Faults{Delay: time.Duration(n) * time.Second}, nil
	}
	return Faults{}, fmt.Errorf("unknown fault %q (want 401, 429, 429-body, 5xx, malformed or slow)", name)
}

// Request is one recorded request.
type Request struct {
	Call   string
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// BodyKey is the request-context key of the body read by the Server, for
// credential checks that hash it.
var BodyKey = bodyKey{}

type bodyKey struct{}

// Handler answers one call; body is the request body, already read.
type Handler func(w http.ResponseWriter, r *http.Request, body []byte)

// Server routes a fake vendor's calls. Fields must be set before serving.
type Server struct {
	// Faults are the scripted misbehaviour.
	Faults Faults
	// Authorized says whether a request carries the expected credentials;
	// nil accepts everything.
	Authorized func(r *http.Request) bool
	// ErrorBody is the vendor's error body for a status and message.
	ErrorBody func(status int, message string) any
	// RateLimitBody is the vendor's 429 body; nil uses ErrorBody.
	RateLimitBody func(f Faults) any

	mux      *http.ServeMux
	mu       sync.Mutex
	requests []Request
	counts   map[string]int
}

// Handle routes pattern ("POST /v1/scans") as the named call.
func (s *Server) Handle(call, pattern string, h Handler) {
	if s.mux == nil {
		s.mux = http.NewServeMux()
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(call, h, w, r) })
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) serve(call string, h Handler, w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	r = r.WithContext(context.WithValue(r.Context(), BodyKey, body))
	n := s.record(Request{Call: call, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	f := s.Faults
	faulted := f.Call == "" || f.Call == call
	if faulted && f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case s.Authorized != nil && !s.Authorized(r), faulted && f.Unauthorized:
		s.Error(w, http.StatusUnauthorized, "invalid or expired credentials")
	case faulted && n <= f.RateLimited:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		body := any(nil)
		if s.RateLimitBody != nil {
			body = s.RateLimitBody(f)
		} else {
			body = s.errorBody(http.StatusTooManyRequests, "Request exceeds limit")
		}
		JSON(w, http.StatusTooManyRequests, body)
	case faulted && n <= f.RateLimited+f.ServerErrors:
		s.Error(w, http.StatusInternalServerError, "internal server error")
	case faulted && f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"status": "completed", "oops`)
	default:
		h(w, r, body)
	}
}

// record keeps a request and returns how many calls of its name there were.
func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil {
		s.counts = map[string]int{}
	}
	s.requests = append(s.requests, r)
	s.counts[r.Call]++
	return s.counts[r.Call]
}

// Requests returns every recorded request, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls returns the recorded requests of one call.
func (s *Server) Calls(call string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Call == call {
			out = append(out, r)
		}
	}
	return out
}

// Error writes the vendor's error body.
func (s *Server) Error(w http.ResponseWriter, status int, message string) {
	JSON(w, status, s.errorBody(status, message))
}

func (s *Server) errorBody(status int, message string) any {
	if s.ErrorBody != nil {
		return s.ErrorBody(status, message)
	}
	return map[string]any{"message": message}
}

// JSON writes v as a JSON answer.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Counter hands out sequential ids ("scan-1", "scan-2", …).
type Counter struct {
	mu sync.Mutex
	n  int
}

// Next returns prefix followed by the next number.
func (c *Counter) Next(prefix string) string { return prefix + strconv.Itoa(c.Int()) }

// Int returns the next number.
func (c *Counter) Int() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

// Polls counts the polls of each id, so that a fake can answer "pending"
// Faults.Pending times and then the result.
type Polls struct {
	mu sync.Mutex
	n  map[string]int
}

// Done records a poll of id and reports whether it is past pending polls.
func (p *Polls) Done(id string, pending int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	p.n[id]++
	return p.n[id] > pending
}

// Bearer returns the token of an "Authorization: Bearer" header.
func Bearer(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return tok
}
