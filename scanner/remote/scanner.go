package remote

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Scanner adapts an Engine to scanner.Scanner: it applies the scan
// deadline, turns every failure into a finding under the policy, masks
// secrets and keeps the engine's summary.
type Scanner struct {
	engine Engine
	opts   Options
	// refused remembers a 401/403: later files fail at once instead of
	// sending the same bad credentials again.
	refused atomic.Pointer[Error]
	stats   stats
}

var (
	_ scanner.Scanner      = (*Scanner)(nil)
	_ scanner.TimeBudgeted = (*Scanner)(nil)
)

// New wraps a vendor engine.
func New(e Engine, o Options) *Scanner {
	if o.Deadline <= 0 {
		o.Deadline = DefaultDeadline
	}
	return &Scanner{engine: e, opts: o}
}

// Name implements scanner.Scanner: "remote/<vendor>".
func (s *Scanner) Name() string { return Name(s.engine.Vendor()) }

// Accepts implements scanner.Scanner: top-level files the vendor takes.
// Container members are not sent on their own; the container is.
func (s *Scanner) Accepts(f *scanner.File) bool {
	return f.Member == "" && f.Sniff.Format != format.LFSPointer && s.engine.Accepts(f)
}

// FileTimeout implements scanner.TimeBudgeted: the scan deadline plus a
// little for the failure finding to be made.
func (s *Scanner) FileTimeout() time.Duration { return s.opts.Deadline + 5*time.Second }

// Scan implements scanner.Scanner. It returns an error only when the
// whole run is cancelled; a vendor that cannot answer is a finding.
func (s *Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	rep, err := s.scan(ctx, in)
	s.stats.record(start, rep, err)
	fs := rep.Findings
	if rep.NotSent != "" {
		fs = append(fs, s.failure(in, NotSent("%s", rep.NotSent)))
	}
	if err != nil {
		fs = append(fs, s.failure(in, err))
	}
	for i := range fs {
		fs[i].Message = s.opts.Secrets.Mask(fs[i].Message)
		fs[i].Evidence = s.opts.Secrets.Mask(fs[i].Evidence)
	}
	return fs, nil
}

func (s *Scanner) scan(ctx context.Context, in *scanner.Input) (Report, error) {
	if e := s.refused.Load(); e != nil {
		return Report{}, fmt.Errorf("not attempted after an earlier refusal: %w", e)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Deadline)
	defer cancel()
	rep, err := s.engine.Scan(ctx, in)
	var e *Error
	if errors.As(err, &e) && e.IsAuth() {
		s.refused.CompareAndSwap(nil, e)
	}
	if err != nil && ctx.Err() == context.DeadlineExceeded && !strings.Contains(err.Error(), "deadline") {
		err = fmt.Errorf("%w (scan deadline of %s)", err, s.opts.Deadline)
	}
	return rep, err
}

// failure is the finding that records a vendor that could not answer or a
// file that could not be sent, by policy.
func (s *Scanner) failure(in *scanner.Input, err error) scanner.Finding {
	vendor := s.engine.Vendor()
	var ns *NotSentError
	if errors.As(err, &ns) {
		rule := pick(s.opts.Failure, RuleNotSentClosed, RuleNotSentOpen)
		return in.Finding(rule, fmt.Sprintf("Not sent to %s: %s. That engine did not check this file (%s).", vendor, ns.Reason, s.opts.Failure),
			"vendor="+vendor+" not-sent")
	}
	evidence := "vendor=" + vendor
	var e *Error
	if errors.As(err, &e) {
		evidence += " call=" + e.Call
		if e.Status != 0 {
			evidence += fmt.Sprintf(" status=%d", e.Status)
		}
	}
	rule := pick(s.opts.Failure, RuleNoAnswerClosed, RuleNoAnswerOpen)
	return in.Finding(rule, fmt.Sprintf("%s could not answer: %s. The file has no verdict from this engine (%s).", vendor, err, s.opts.Failure), evidence)
}

func pick(f Failure, closed, open string) string {
	if f == FailOpen {
		return open
	}
	return closed
}

// Summary is one line about the engine's work: files sent, verdicts,
// failures and time, then any notes.
func (s *Scanner) Summary() string {
	return s.opts.Secrets.Mask(s.stats.summary(s.Name(), s.opts.Failure))
}

// stats counts an engine's outcomes.
type stats struct {
	mu                    sync.Mutex
	sent, failed, notSent int
	verdicts              map[string]int
	first, last           time.Time
	notes                 []string
}

func (st *stats) record(start time.Time, rep Report, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.first.IsZero() || start.Before(st.first) {
		st.first = start
	}
	st.last = time.Now()
	var ns *NotSentError
	switch {
	case errors.As(err, &ns):
		st.notSent++
		return
	case err != nil:
		st.failed++
	case rep.Sent && rep.Verdict != "":
		if st.verdicts == nil {
			st.verdicts = map[string]int{}
		}
		st.verdicts[rep.Verdict]++
	}
	if rep.Sent || err != nil {
		st.sent++
	}
	st.notes = append(st.notes, rep.Notes...)
}

func (st *stats) summary(name string, policy Failure) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s sent", name, st.sent, plural(st.sent, "file"))
	if len(st.verdicts) > 0 {
		var parts []string
		for _, v := range slices.Sorted(maps.Keys(st.verdicts)) {
			parts = append(parts, fmt.Sprintf("%s %d", v, st.verdicts[v]))
		}
		b.WriteString("; verdicts: " + strings.Join(parts, ", "))
	}
	if st.failed > 0 {
		fmt.Fprintf(&b, "; %d not answered (%s)", st.failed, policy)
	}
	if st.notSent > 0 {
		fmt.Fprintf(&b, "; %d not sent (%s)", st.notSent, policy)
	}
	fmt.Fprintf(&b, "; %s", st.last.Sub(st.first).Round(100*time.Millisecond))
	for _, n := range st.notes {
		b.WriteString("\n  " + n)
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
