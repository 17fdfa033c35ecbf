package remote

import (
	"sync"
	"time"
)

// Limiter spaces calls that share a vendor's rate limit (Prisma AIRS
// answers results and reports 10 times a minute) across every file
// scanned in parallel.
type Limiter struct {
	// Every is the least time between two calls.
	Every time.Duration
	mu    sync.Mutex
	next  time.Time
}

// Reserve books the next slot and returns how long to wait for it.
func (l *Limiter) Reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := now
	if l.next.After(now) {
		at = l.next
	}
	l.next = at.Add(l.Every)
	return at.Sub(now)
}
