package github_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	ghpub "github.com/modelgate/modelgate/publish/github"
)

// TestPrimaryRateLimit: a 403 with x-ratelimit-remaining: 0 waits until
// x-ratelimit-reset when that is near, and gives up when it is not.
func TestPrimaryRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tt := range []struct {
		resetIn  time.Duration
		attempts int32
		wait     time.Duration
	}{{30 * time.Second, 2, 31 * time.Second}, {time.Hour, 1, 0}} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("X-Ratelimit-Remaining", "0")
				w.Header().Set("X-Ratelimit-Reset", fmt.Sprint(now.Add(tt.resetIn).Unix()))
				w.WriteHeader(http.StatusForbidden)
				return
			}
			w.WriteHeader(http.StatusOK)
		}))
		var slept time.Duration
		client := ghpub.NewRetryClient(srv.Client(), ghpub.RetryPolicy{
			Now:   func() time.Time { return now },
			Sleep: func(_ context.Context, d time.Duration) error { slept += d; return nil },
		})
		resp, err := client.Post(srv.URL, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if n.Load() != tt.attempts || slept != tt.wait {
			t.Errorf("reset in %v: %d attempts, slept %v; want %d and %v", tt.resetIn, n.Load(), slept, tt.attempts, tt.wait)
		}
		srv.Close()
	}
}

// TestForbiddenIsNotRetried: a permission 403 is final.
func TestForbiddenIsNotRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"Resource not accessible by integration"}`))
	}))
	defer srv.Close()
	client := ghpub.NewRetryClient(srv.Client(), ghpub.RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }})
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n.Load() != 1 {
		t.Errorf("%d attempts for a permission 403", n.Load())
	}
}
