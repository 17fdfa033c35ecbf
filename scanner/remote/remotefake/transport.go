package remotefake

import (
	"context"
	"sync"
	"time"

	"github.com/modelgate/modelgate/scanner/remote"
)

// Waits records the waits a client asked for, so that tests run without
// sleeping and still check backoff, Retry-After and poll intervals.
type Waits struct {
	mu sync.Mutex
	d  []time.Duration
}

// Sleep records d and returns at once (unless ctx has ended).
func (w *Waits) Sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

// All returns the recorded waits.
func (w *Waits) All() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// Transport is a remote.Transport for tests: waits are recorded instead
// of slept, requests time out after timeout (0: 5s).
func Transport(timeout time.Duration) (remote.Transport, *Waits) {
	w := &Waits{}
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	return remote.Transport{Timeout: timeout, Secrets: &remote.Secrets{}, Sleep: w.Sleep,
		Retry: remote.Retry{Attempts: 3, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}}, w
}
