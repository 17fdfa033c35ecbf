package remote

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry is how a client retries: exponential backoff with jitter between
// attempts, and the server's Retry-After (header or body) when it gives
// one.
type Retry struct {
	// Attempts is the most calls made for one request (default 4).
	Attempts int
	// BaseDelay is the first backoff (default 1s); each retry doubles it.
	BaseDelay time.Duration
	// MaxDelay caps one backoff (default 30s).
	MaxDelay time.Duration
	// MaxWait caps a wait the server asks for; a longer Retry-After ends
	// the request with an error instead of stalling the build (default 5m).
	MaxWait time.Duration
}

// DefaultRetry is used for zero fields.
var DefaultRetry = Retry{Attempts: 4, BaseDelay: time.Second, MaxDelay: 30 * time.Second, MaxWait: 5 * time.Minute}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = DefaultRetry.Attempts
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = DefaultRetry.BaseDelay
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = DefaultRetry.MaxDelay
	}
	if r.MaxWait <= 0 {
		r.MaxWait = DefaultRetry.MaxWait
	}
	return r
}

// Backoff is the wait before retry number n (1-based): half of
// BaseDelay·2^(n-1), capped at MaxDelay, plus a random part up to the other
// half ("equal jitter"), so that parallel scans do not retry in step.
func (r Retry) Backoff(n int) time.Duration {
	d := r.MaxDelay
	if n < 32 {
		d = min(r.BaseDelay<<(n-1), r.MaxDelay)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// RetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Sleep waits d or until ctx ends, whichever is first.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
