package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/modelgate/modelgate/internal/version"
)

// maxBody bounds the response bodies a client reads (reports included).
const maxBody = 32 << 20

// Client makes the HTTP calls of one vendor: per-request timeouts,
// retries with backoff and Retry-After, errors that name the vendor, the
// call and the status, and secrets masked everywhere. Vendors configure
// one and describe each call with a Call.
type Client struct {
	// Vendor names the vendor in errors and logs ("evalguard").
	Vendor string
	// Base is the base URL; Call paths are appended to it.
	Base *url.URL
	// HTTP sends the requests (default http.DefaultClient).
	HTTP *http.Client
	// Auth sets the credentials on a request; it is not called for
	// Call.NoAuth requests (presigned uploads).
	Auth func(ctx context.Context, r *http.Request) error
	// Sign, when set, adds headers computed from the exact body bytes sent.
	Sign func(r *http.Request, body []byte)
	// Timeout bounds one HTTP request (default 30s).
	Timeout time.Duration
	// Retry is the retry policy.
	Retry Retry
	// Secrets masks credentials in errors and logs.
	Secrets *Secrets
	// Log, when set, receives one masked line per HTTP attempt.
	Log io.Writer
	// Sleep waits between attempts (default Sleep; tests make it instant).
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Call describes one vendor call.
type Call struct {
	// Name says what the call is for in errors ("submit scan").
	Name   string
	Method string
	// Path is appended to the base URL; an absolute URL is used as is.
	Path  string
	Query url.Values
	// JSON is marshalled as the body when set.
	JSON any
	// Body is a raw body (used when JSON is nil); Body() is called again
	// for every attempt.
	Body        func() (io.Reader, int64, error)
	ContentType string
	Header      http.Header
	// Idempotent calls are retried after 5xx answers and transport errors.
	// Submits are not: a scan that may have been created is never created
	// twice. Every call is retried after a 429, which means "not done".
	Idempotent bool
	// IdempotencyKey sends an Idempotency-Key header, the same on every
	// attempt.
	IdempotencyKey bool
	// NoAuth skips Client.Auth.
	NoAuth bool
	// OK lists the statuses that count as success (default: any 2xx).
	OK []int
}

// Response is a successful answer, its body read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do makes the call, retrying as its Call allows, and returns the answer
// or an *Error.
func (c *Client) Do(ctx context.Context, call Call) (*Response, error) {
	retry := c.Retry.withDefaults()
	if call.IdempotencyKey {
		call.Header = cloneHeader(call.Header)
		call.Header.Set("Idempotency-Key", newUUID())
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, call)
		if err == nil {
			return resp, nil
		}
		var e *Error
		if !errors.As(err, &e) || attempt >= retry.Attempts || ctx.Err() != nil {
			return nil, err
		}
		wait, again := c.retryWait(call, e, retry, attempt)
		if !again {
			return nil, err
		}
		c.logf("%s: %s: retrying in %s", c.Vendor, call.Name, wait.Round(time.Millisecond))
		if serr := c.sleep(ctx, wait); serr != nil {
			e.Err = errors.Join(e.Err, serr)
			return nil, err
		}
	}
}

// retryWait decides whether a failed attempt is retried and after how long.
func (c *Client) retryWait(call Call, e *Error, r Retry, attempt int) (time.Duration, bool) {
	switch {
	case e.Status == http.StatusTooManyRequests:
		if e.RetryAfter > r.MaxWait {
			return 0, false // the vendor wants more patience than the build has
		}
		if e.RetryAfter > 0 {
			return e.RetryAfter, true
		}
		return r.Backoff(attempt), true
	case !call.Idempotent:
		return 0, false
	case e.Status >= 500, e.Status == 0 && !errors.Is(e.Err, ErrMalformed):
		return r.Backoff(attempt), true
	}
	return 0, false
}

// once makes one attempt.
func (c *Client) once(ctx context.Context, call Call) (*Response, error) {
	req, err := c.request(ctx, call)
	e := c.errorFor(call)
	if err != nil {
		e.Err = err
		return nil, c.masked(e)
	}
	rctx, cancel := context.WithTimeout(ctx, cmpDuration(c.Timeout, 30*time.Second))
	defer cancel()
	start := c.now()
	resp, err := c.http().Do(req.WithContext(rctx))
	if err != nil {
		e.Err = transportError(ctx, err)
		c.logf("%s: %s %s: %v", c.Vendor, call.Method, e.Path, e.Err)
		return nil, c.masked(e)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	c.logf("%s: %s %s -> %d (%s)", c.Vendor, call.Method, e.Path, resp.StatusCode, c.now().Sub(start).Round(time.Millisecond))
	if err != nil {
		e.Status, e.Err = resp.StatusCode, transportError(ctx, err)
		return nil, c.masked(e)
	}
	if call.ok(resp.StatusCode) {
		return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
	}
	e.Status = resp.StatusCode
	parseErrorBody(e, data)
	if d, ok := RetryAfter(resp.Header, c.now()); ok {
		e.RetryAfter = d
	}
	e.RequestID = cmpOr(e.RequestID, resp.Header.Get("X-Request-Id"), resp.Header.Get("x-evalguard-request-id"))
	return nil, c.masked(e)
}

// errorFor starts the error of a call.
func (c *Client) errorFor(call Call) *Error {
	e := &Error{Vendor: c.Vendor, Call: call.Name, Method: call.Method, Path: call.Path}
	if u, err := c.url(call); err == nil {
		e.Path = u.Path // never the query: presigned URLs carry credentials there
	}
	return e
}

// request builds the HTTP request of a call.
func (c *Client) request(ctx context.Context, call Call) (*http.Request, error) {
	u, err := c.url(call)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	var raw []byte
	length := int64(0)
	contentType := call.ContentType
	switch {
	case call.JSON != nil:
		if raw, err = json.Marshal(call.JSON); err != nil {
			return nil, err
		}
		body, length, contentType = bytes.NewReader(raw), int64(len(raw)), cmpOr(contentType, "application/json")
	case call.Body != nil:
		if body, length, err = call.Body(); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	if body == nil {
		req.ContentLength = 0
	}
	for k, vs := range call.Header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", version.Name+"/"+version.Version)
	if !call.NoAuth && c.Auth != nil {
		if err := c.Auth(ctx, req); err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
	}
	if c.Sign != nil && !call.NoAuth {
		c.Sign(req, raw)
	}
	return req, nil
}

// url resolves a call's path against the base URL.
func (c *Client) url(call Call) (*url.URL, error) {
	var u *url.URL
	if strings.HasPrefix(call.Path, "https://") || strings.HasPrefix(call.Path, "http://") {
		var err error
		if u, err = url.Parse(call.Path); err != nil {
			return nil, err
		}
	} else {
		if c.Base == nil {
			return nil, errors.New("no base URL configured")
		}
		copied := *c.Base
		u = &copied
		u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strings.TrimPrefix(call.Path, "/")
		u.RawPath = ""
		if p, err := url.PathUnescape(u.Path); err == nil {
			u.Path = p
		}
	}
	if len(call.Query) > 0 {
		q := u.Query()
		for k, vs := range call.Query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

func (call Call) ok(status int) bool {
	if len(call.OK) == 0 {
		return status >= 200 && status < 300
	}
	for _, s := range call.OK {
		if s == status {
			return true
		}
	}
	return false
}

// transportError says whether the request's own timeout or the scan's
// deadline ended it, since both surface as a bare "context deadline".
func transportError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("scan deadline or cancellation: %w", ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("request timed out: %w", context.DeadlineExceeded)
	}
	return err
}

// masked masks the secrets in an error's text fields.
func (c *Client) masked(e *Error) error {
	e.Message, e.Code, e.RequestID = c.Secrets.Mask(e.Message), c.Secrets.Mask(e.Code), c.Secrets.Mask(e.RequestID)
	e.Path = c.Secrets.Mask(e.Path)
	if e.Err != nil {
		e.Err = maskedError{e.Err, c.Secrets}
	}
	return e
}

// maskedError masks a wrapped error's text and keeps it for errors.Is.
type maskedError struct {
	err error
	s   *Secrets
}

func (m maskedError) Error() string { return m.s.Mask(m.err.Error()) }
func (m maskedError) Unwrap() error { return m.err }

func (c *Client) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintln(c.Log, c.Secrets.Mask(fmt.Sprintf(format, args...)))
	}
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Wait waits d (through Client.Sleep) or until ctx ends.
func (c *Client) Wait(ctx context.Context, d time.Duration) error { return c.sleep(ctx, d) }

// Reserve waits for the limiter's next slot.
func (c *Client) Reserve(ctx context.Context, l *Limiter) error {
	return c.sleep(ctx, l.Reserve(c.now()))
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Poll calls check every interval until it reports done, returns an
// error, or ctx ends (the scan's deadline).
func (c *Client) Poll(ctx context.Context, interval time.Duration, check func(ctx context.Context) (done bool, err error)) error {
	for {
		done, err := check(ctx)
		if err != nil || done {
			return err
		}
		if err := c.sleep(ctx, interval); err != nil {
			return fmt.Errorf("%s: still pending when the scan deadline ran out: %w", c.Vendor, err)
		}
	}
}

// PollJSON makes an idempotent call every interval, decoding each answer
// into a fresh T, until done says the job is over (or fails), an answer
// cannot be had, or ctx ends.
func PollJSON[T any](ctx context.Context, c *Client, call Call, interval time.Duration, done func(*T) (bool, error)) (*T, error) {
	call.Idempotent = true
	var last *T
	err := c.Poll(ctx, interval, func(ctx context.Context) (bool, error) {
		last = new(T)
		if err := c.JSON(ctx, call, last); err != nil {
			return false, err
		}
		return done(last)
	})
	return last, err
}

// JSON makes the call and decodes its answer into out (see Decode).
func (c *Client) JSON(ctx context.Context, call Call, out any) error {
	resp, err := c.Do(ctx, call)
	if err != nil {
		return err
	}
	if err := Decode(resp.Body, out); err != nil {
		e := c.errorFor(call)
		e.Status, e.Err = resp.Status, err
		var fail *envelopeError
		if errors.As(err, &fail) {
			e.Err = nil
			parseErrorBody(e, resp.Body)
		}
		return c.masked(e)
	}
	return nil
}

// Decode reads a JSON answer tolerantly: unknown fields are ignored, and
// an envelope {"success": true, "data": {...}} (or any top-level "data"
// object) is read after the top level, its fields winning, so that bare and
// wrapped answers both decode. {"success": false, ...} is an error.
func Decode(body []byte, out any) error {
	var env struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return nil // a bare array or scalar
	}
	if env.Success != nil && !*env.Success {
		return &envelopeError{}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if d := bytes.TrimSpace(env.Data); len(d) > 0 && d[0] == '{' {
		if err := json.Unmarshal(d, out); err != nil {
			return fmt.Errorf("%w: data: %v", ErrMalformed, err)
		}
	}
	return nil
}

// Malformed is the error of an answer that decoded but lacks what the
// call needs (no scan id, an answer about another item).
func (c *Client) Malformed(call Call, format string, args ...any) error {
	e := c.errorFor(call)
	e.Err = fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	return c.masked(e)
}

// envelopeError is a 2xx answer that says {"success": false}.
type envelopeError struct{}

func (*envelopeError) Error() string { return `the answer says "success": false` }

func cloneHeader(h http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	return h.Clone()
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
