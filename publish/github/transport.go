package github

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry policy (see retryTransport.decide):
//
//   - Rate limits (429, or 403 with Retry-After, x-ratelimit-remaining: 0
//     or a "rate limit" message) are retried for every method, POST
//     included: GitHub rejected the request before processing it. The
//     wait is Retry-After, else until x-ratelimit-reset, else one minute
//     (GitHub's advice for secondary limits). A wait longer than MaxWait
//     is not attempted: the response is returned and reported.
//   - 500, 502, 503 and 504 are retried with exponential backoff for
//     idempotent methods (GET, PATCH of a comment body, PUT, DELETE) and
//     for requests marked with RetryUnprocessed (the SARIF upload: an
//     error status without an upload id means nothing was accepted, and a
//     repeated upload of the same analysis replaces the first anyway).
//   - Transport errors (connection refused, reset, timeout) are retried
//     for idempotent methods only. A POST that may have reached the server
//     (comment, review) is never repeated blindly: a duplicate comment or
//     review is worse than a warning.
//
// Every attempt has its own timeout (AttemptTimeout).

type retryKey struct{}

// RetryUnprocessed marks a request whose POST may be repeated after a 5xx
// answer: the server said nothing was accepted.
func RetryUnprocessed(ctx context.Context) context.Context {
	return context.WithValue(ctx, retryKey{}, true)
}

// RetryPolicy tunes retryTransport.
type RetryPolicy struct {
	MaxAttempts    int           // total attempts per request (≥ 1)
	BaseDelay      time.Duration // first backoff delay, doubled each time
	MaxDelay       time.Duration // cap of one backoff delay
	MaxWait        time.Duration // longest rate-limit wait honoured
	AttemptTimeout time.Duration // timeout of one attempt, body included
	// Sleep waits for d or until ctx is done (injectable for tests).
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for x-ratelimit-reset (injectable for tests).
	Now func() time.Time
}

// DefaultRetryPolicy is used by the CLI.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:    4,
	BaseDelay:      time.Second,
	MaxDelay:       20 * time.Second,
	MaxWait:        2 * time.Minute,
	AttemptTimeout: 90 * time.Second,
	Sleep:          Sleep,
	Now:            time.Now,
}

// withDefaults fills zero fields from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	p.MaxAttempts = cmp.Or(p.MaxAttempts, d.MaxAttempts)
	p.BaseDelay = cmp.Or(p.BaseDelay, d.BaseDelay)
	p.MaxDelay = cmp.Or(p.MaxDelay, d.MaxDelay)
	p.MaxWait = cmp.Or(p.MaxWait, d.MaxWait)
	p.AttemptTimeout = cmp.Or(p.AttemptTimeout, d.AttemptTimeout)
	if p.Sleep == nil {
		p.Sleep = d.Sleep
	}
	if p.Now == nil {
		p.Now = d.Now
	}
	return p
}

// Sleep waits for d unless ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// NewRetryClient returns a copy of hc (nil: a default client) whose
// transport applies the policy (zero fields: DefaultRetryPolicy's).
func NewRetryClient(hc *http.Client, policy RetryPolicy) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	inner := c.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	c.Transport = &retryTransport{base: inner, policy: policy.withDefaults()}
	return c
}

type retryTransport struct {
	base   http.RoundTripper
	policy RetryPolicy
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		resp, err := t.attempt(req)
		wait, retry := t.decide(req, resp, err, attempt)
		if !retry {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		if serr := t.policy.Sleep(ctx, wait); serr != nil {
			return nil, serr
		}
		if req, err = rewind(req); err != nil {
			return nil, err
		}
	}
}

// attempt sends the request once under its own timeout; the timeout
// covers reading the body, so it is cancelled when the body is closed.
func (t *retryTransport) attempt(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.policy.AttemptTimeout)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// rewind returns a copy of req with a fresh body for another attempt.
func rewind(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

// decide says whether to try again, and after how long.
func (t *retryTransport) decide(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if attempt >= t.policy.MaxAttempts || req.Context().Err() != nil {
		return 0, false
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return 0, false // cannot resend the body
	}
	backoff := min(t.policy.BaseDelay<<(attempt-1), t.policy.MaxDelay)
	if err != nil {
		return backoff, idempotent(req.Method)
	}
	if wait, limited := t.rateLimitWait(resp); limited {
		return wait, wait <= t.policy.MaxWait
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		retryable, _ := req.Context().Value(retryKey{}).(bool)
		return backoff, idempotent(req.Method) || retryable
	}
	return 0, false
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodPatch:
		// PATCH here only ever replaces a comment body: repeating it is harmless.
		return true
	}
	return false
}

// rateLimitWait recognises GitHub's primary and secondary rate limits and
// returns how long to wait.
func (t *retryTransport) rateLimitWait(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusForbidden {
		return 0, false
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, true
		}
		if at, err := http.ParseTime(s); err == nil {
			return max(at.Sub(t.policy.Now()), 0), true
		}
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(t.policy.Now()), 0) + time.Second, true
		}
		return time.Minute, true
	}
	if resp.StatusCode == http.StatusTooManyRequests || mentionsRateLimit(resp) {
		return time.Minute, true
	}
	return 0, false
}

// mentionsRateLimit peeks at a 403 body for GitHub's secondary-rate-limit
// message, and puts the body back.
func mentionsRateLimit(resp *http.Response) bool {
	orig := resp.Body
	data, err := io.ReadAll(io.LimitReader(orig, 1<<16))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{bytes.NewReader(data), orig}
	return err == nil && strings.Contains(strings.ToLower(string(data)), "rate limit")
}
