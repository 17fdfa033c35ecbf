package cli

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progress shows "scanning N/M files" on a terminal's stderr once a scan
// has run for a second; it is a no-op elsewhere.
type progress struct {
	w       io.Writer
	done    atomic.Int64
	total   atomic.Int64
	quit    chan struct{}
	stopped sync.WaitGroup
	shown   atomic.Bool
}

const progressDelay = time.Second

func (o *scanOptions) startProgress(env Env) *progress {
	p := &progress{}
	if o.quiet || !env.IsTerminal(env.Stderr) {
		return p
	}
	p.w, p.quit = env.Stderr, make(chan struct{})
	p.stopped.Add(1)
	go p.loop()
	return p
}

func (p *progress) update(done, total int) {
	p.done.Store(int64(done))
	p.total.Store(int64(total))
}

func (p *progress) loop() {
	defer p.stopped.Done()
	select {
	case <-p.quit:
		return
	case <-time.After(progressDelay):
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		fmt.Fprintf(p.w, "\r\x1b[Kscanning %d/%d files…", p.done.Load(), p.total.Load())
		p.shown.Store(true)
		select {
		case <-p.quit:
			return
		case <-tick.C:
		}
	}
}

func (p *progress) stop() {
	if p.quit == nil {
		return
	}
	close(p.quit)
	p.stopped.Wait()
	if p.shown.Load() {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
