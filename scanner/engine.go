package scanner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelgate/modelgate/scanner/format"
)

// CoreEngine names findings the engine itself produces (routing, budgets).
const CoreEngine = "embedded/core"

// Rule IDs the engine emits itself.
const (
	RuleScanError      = "MG0001"
	RuleUnrecognised   = "MG0002"
	RuleTooLarge       = "MG0004"
	RuleBudget         = "MG0005"
	RuleNotAnalysed    = "MG0006"
	RuleDisguised      = "MG0007"
	RulePolyglot       = "MG0008"
	stuckScannerGrace  = 2 * time.Second
	skipReasonTooLarge = "larger than --max-file-size"
	// SkipReasonLFS is the skip reason of Git LFS pointer files.
	SkipReasonLFS = "git-lfs pointer (content not fetched)"
)

// Engine runs scanners over targets.
type Engine struct {
	// Scanners are tried in order for every file; all that accept it run.
	Scanners []Scanner
	// Jobs is the number of files scanned at once (default: CPU count).
	Jobs int
	// Limits bound the work per file.
	Limits Limits
	// Progress, if set, is called after each file with the count done.
	Progress func(done, total int)
	// Explain, if set, receives each scanner's account of its analysis
	// (modelgate explain). Scanners then run one file at a time.
	Explain io.Writer
}

// TimeBudgeted is implemented by scanners that need more wall time per
// file than Limits.FileTimeout, such as remote engines that upload a file
// and poll for the verdict. A file's time budget is the largest of
// Limits.FileTimeout and the FileTimeout of every such scanner in the
// engine; embedded scanners stay bounded by their read budget.
type TimeBudgeted interface {
	FileTimeout() time.Duration
}

// fileTimeout is the time budget of one file under these scanners.
func (e *Engine) fileTimeout(l Limits) time.Duration {
	d := l.FileTimeout
	for _, s := range e.Scanners {
		if b, ok := s.(TimeBudgeted); ok {
			d = max(d, b.FileTimeout())
		}
	}
	return d
}

// fileOutcome is what scanning one target produced.
type fileOutcome struct {
	ignored  bool // a sniffed candidate that is not a model: not reported
	status   FileStatus
	findings []Finding
	errors   []FileError
}

// Run scans every target and returns the result, findings sorted and
// fingerprinted. Per-file problems are recorded in the result; Run fails
// only when ctx is cancelled.
func (e *Engine) Run(ctx context.Context, targets []Target) (*Result, error) {
	res := &Result{StartedAt: time.Now()}
	outcomes := make([]fileOutcome, len(targets))
	jobs := cmp.Or(e.Jobs, runtime.NumCPU())
	if e.Explain != nil {
		jobs = 1 // keep explanations in file order
	}
	limits := e.Limits.withDefaults()

	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range min(jobs, max(len(targets), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(targets) || ctx.Err() != nil {
					return
				}
				outcomes[i] = e.scanTarget(ctx, limits, targets[i])
				if e.Progress != nil {
					e.Progress(int(done.Add(1)), len(targets))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, o := range outcomes {
		if o.ignored {
			res.FilesSniffed++
			continue
		}
		res.Files = append(res.Files, o.status)
		res.Findings = append(res.Findings, o.findings...)
		res.Errors = append(res.Errors, o.errors...)
	}
	finish(res)
	return res, nil
}

// finish puts a result in its canonical order and fingerprints it.
func finish(res *Result) {
	slices.SortStableFunc(res.Files, func(a, b FileStatus) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortStableFunc(res.Errors, func(a, b FileError) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Member, b.Member), cmp.Compare(a.Message, b.Message))
	})
	res.Findings = mergeEngines(res.Findings)
	SortFindings(res.Findings)
	AssignFingerprints(res.Findings)
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	if res.Files == nil {
		res.Files = []FileStatus{}
	}
	if res.Errors == nil {
		res.Errors = []FileError{}
	}
	res.FinishedAt = time.Now()
}

// sameFinding is what makes two findings the same: rule, exact location
// and evidence (the wording of the message may differ between engines).
type sameFinding struct {
	rule, evidence string
	loc            Location
	offset         int64
}

// mergeEngines keeps one of the findings that several engines (the
// embedded one and remote ones) reported identically, tagged with every
// engine that found it ("embedded/pickle+remote/x") at the highest of
// their severities. Repeats from one engine stay: they are distinct
// occurrences, numbered by their fingerprints; except that one engine's
// finding on the same text span with the same evidence is the same
// finding reached twice (a prompt file scanned on its own and through a
// promptfoo file:// reference), and is kept once.
func mergeEngines(fs []Finding) []Finding {
	first := map[sameFinding]int{}
	out := fs[:0:0]
	for _, f := range fs {
		k := sameFinding{rule: f.RuleID, evidence: f.Evidence, loc: f.Location, offset: offsetOf(f.Location)}
		k.loc.ByteOffset = nil
		i, seen := first[k]
		sameEngine := seen && slices.Contains(strings.Split(out[i].Engine, "+"), f.Engine)
		if sameEngine && f.Location.StartLine > 0 && f.Evidence != "" {
			continue
		}
		if !seen || sameEngine {
			if !seen {
				first[k] = len(out)
			}
			out = append(out, f)
			continue
		}
		out[i].Engine += "+" + f.Engine
		out[i].Severity = max(out[i].Severity, f.Severity)
	}
	return out
}

func (e *Engine) scanTarget(ctx context.Context, limits Limits, t Target) fileOutcome {
	out := fileOutcome{status: FileStatus{Path: t.Path, Size: t.Size}}
	if limits.MaxFileSize > 0 && t.Size > limits.MaxFileSize {
		out.status.Status, out.status.Reason = StatusSkipped, skipReasonTooLarge
		out.findings = append(out.findings, e.coreFinding(Location{Path: t.Path}, RuleTooLarge,
			fmt.Sprintf("Skipped: %d bytes is over the %d-byte limit (--max-file-size).", t.Size, limits.MaxFileSize), ""))
		return out
	}
	f, err := os.Open(t.OSPath)
	if err != nil {
		out.status.Status, out.status.Reason = StatusError, "cannot open"
		out.addError(e, Location{Path: t.Path}, "", fmt.Errorf("open: %w", err))
		return out
	}
	defer f.Close()

	fctx, cancel := context.WithTimeout(ctx, e.fileTimeout(limits))
	defer cancel()
	var remaining atomic.Int64
	remaining.Store(limits.MaxReadBytes)
	r := &budgetReader{ctx: fctx, r: f, size: t.Size, remaining: &remaining}
	// Sniffing reads a few fixed-size blocks outside the read budget.
	sniff, err := format.DetectHead(f, t.Size, t.Path)
	if err == nil && !t.Wanted && !sniff.IsModel() {
		out.ignored = true // found by sniffing, and not a model
		return out
	}
	if err == nil {
		err = sniff.CheckTail(f, t.Size)
	}
	if err != nil {
		out.status.Status, out.status.Reason = StatusError, "cannot read"
		out.addError(e, Location{Path: t.Path}, "", fmt.Errorf("read: %w", err))
		return out
	}
	w := walk{engine: e, limits: limits, remaining: &remaining, wanted: t.Wanted}
	w.scan(fctx, &out, File{Path: t.Path, Size: t.Size, Sniff: sniff}, r, 0)
	return out
}

// walk carries what nested scans of one top-level file share.
type walk struct {
	engine    *Engine
	limits    Limits
	remaining *atomic.Int64
	wanted    bool
	mu        sync.Mutex // guards out and members when scanners recurse concurrently
	// members collects the formats found inside the file (guarded by mu).
	members map[format.Format]bool
}

// scan runs every scanner that accepts an already sniffed file or member
// and records the outcome in out. depth is the container nesting level.
func (w *walk) scan(ctx context.Context, out *fileOutcome, file File, r io.ReaderAt, depth int) {
	loc := Location{Path: file.Path, Member: file.Member}
	sniff := file.Sniff
	var findings []Finding
	if format.DataOnly(sniff.Claimed) && format.CodeCapable(sniff.Format) {
		findings = append(findings, w.engine.coreFinding(loc, RuleDisguised,
			fmt.Sprintf("The name says %s but the content is %s, which can run code when loaded.", sniff.Claimed, sniff.Format),
			fmt.Sprintf("claimed=%s detected=%s", sniff.Claimed, sniff.Format)))
	}
	for _, also := range sniff.Also {
		findings = append(findings, w.engine.coreFinding(loc, RulePolyglot,
			fmt.Sprintf("The file starts as %s and is also a valid %s (directory at the end of the file): different loaders see different content.", sniff.Format, also),
			fmt.Sprintf("formats=%s+%s", sniff.Format, also)))
	}

	var ran []string
	for _, s := range w.engine.Scanners {
		if !s.Accepts(&file) {
			continue
		}
		ran = append(ran, s.Name())
		in := &Input{File: file, R: r, Explain: w.engine.Explain}
		if depth < w.limits.MaxDepth {
			in.nested = func(ctx context.Context, member string, mr io.ReaderAt, size int64) ([]Finding, error) {
				return w.scanMember(ctx, file, member, mr, size, depth+1)
			}
		}
		fs, err := runScanner(ctx, s, in)
		findings = append(findings, w.engine.complete(s.Name(), fs)...)
		if err != nil {
			w.record(out, depth, func() { out.addError(w.engine, loc, s.Name(), err) })
		}
	}
	if len(ran) == 0 {
		findings = append(findings, w.unscanned(loc, sniff, depth)...)
	}
	w.record(out, depth, func() {
		out.findings = append(out.findings, findings...)
		if depth == 0 {
			out.status.Format = reportedFormat(sniff, len(ran) > 0)
			out.status.Scanners = ran
			out.status.Contains = sortedFormats(w.members)
			switch {
			case out.status.Status != "":
			case sniff.Format == format.LFSPointer:
				out.status.Status, out.status.Reason = StatusSkipped, SkipReasonLFS
			default:
				out.status.Status = StatusScanned
			}
		}
	})
}

// sortedFormats lists a set of formats in order; nil when empty.
func sortedFormats(set map[format.Format]bool) []format.Format {
	if len(set) == 0 {
		return nil
	}
	out := make([]format.Format, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// reportedFormat is the format a file is counted under: what its content
// says, or what its name claims when only the name routed it to a scanner
// (a safetensors file too broken to sniff is still a safetensors file).
func reportedFormat(s format.Sniff, scanned bool) format.Format {
	if scanned && s.Claimed != "" && (s.Format == format.Unknown || s.Format == format.Text) {
		return s.Claimed
	}
	return s.Format
}

// unscanned explains why nothing looked at a file. Inside containers,
// members that are plain data or text (tensor storages, version files)
// are expected and pass silently.
func (w *walk) unscanned(loc Location, sniff format.Sniff, depth int) []Finding {
	switch {
	case depth > 0 && (sniff.Format == format.Unknown || sniff.Format == format.Text):
		return nil
	case sniff.Format == format.Unknown && w.wanted:
		return []Finding{w.engine.coreFinding(loc, RuleUnrecognised,
			"Content matches no known model or prompt format; nothing was analysed.", "")}
	case sniff.Format != format.Unknown:
		return []Finding{w.engine.coreFinding(loc, RuleNotAnalysed,
			fmt.Sprintf("Recognised as %s, but this engine has no analyser for it yet; its content was not checked.", sniff.Format),
			"format="+string(sniff.Format))}
	}
	return nil
}

func (w *walk) scanMember(ctx context.Context, parent File, member string, r io.ReaderAt, size int64, depth int) ([]Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	child := File{Path: parent.Path, Member: joinMember(parent.Member, member), Size: size}
	var sub fileOutcome
	br := &budgetReader{ctx: ctx, r: r, size: size, remaining: w.remaining}
	sniff, err := format.DetectHead(br, size, member)
	if err == nil && sniff.IsModel() {
		err = sniff.CheckTail(br, size)
	}
	if err != nil {
		sub.addError(w.engine, Location{Path: child.Path, Member: child.Member}, "", fmt.Errorf("read: %w", err))
		return sub.findings, nil
	}
	child.Sniff = sniff
	if sniff.IsModel() {
		w.mu.Lock()
		if w.members == nil {
			w.members = map[format.Format]bool{}
		}
		w.members[sniff.Format] = true
		w.mu.Unlock()
	}
	w.scan(ctx, &sub, child, br, depth)
	// Member errors are part of the member's findings (MG0001/MG0005);
	// the container scanner decides whether to go on.
	return sub.findings, nil
}

func joinMember(parent, member string) string {
	if parent == "" {
		return member
	}
	return parent + "!" + member
}

func (w *walk) record(out *fileOutcome, depth int, fn func()) {
	if depth > 0 {
		fn() // nested outcomes are private to their scanMember call
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	fn()
}

// addError records a scan error and its finding.
func (o *fileOutcome) addError(e *Engine, loc Location, scannerName string, err error) {
	o.errors = append(o.errors, FileError{Path: loc.Path, Member: loc.Member, Scanner: scannerName, Message: err.Error()})
	rule, msg := RuleScanError, "Scan stopped early: "+err.Error()
	if isBudgetError(err) {
		rule, msg = RuleBudget, "Scan stopped at the per-file budget: "+err.Error()
	}
	engine := cmp.Or(scannerName, CoreEngine)
	o.findings = append(o.findings, e.complete(engine, []Finding{{RuleID: rule, Message: msg, Location: loc}})...)
}

// runScanner calls s.Scan, turning a panic into an error, and gives up on a
// scanner that ignores its deadline (the goroutine is abandoned, the run
// goes on).
func runScanner(ctx context.Context, s Scanner, in *Input) (findings []Finding, err error) {
	type ret struct {
		fs  []Finding
		err error
	}
	ch := make(chan ret, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- ret{nil, fmt.Errorf("internal error in %s: %v\n%s", s.Name(), p, firstFrames(debug.Stack()))}
			}
		}()
		fs, err := s.Scan(ctx, in)
		ch <- ret{fs, err}
	}()
	select {
	case r := <-ch:
		return r.fs, r.err
	case <-ctx.Done():
	}
	select {
	case r := <-ch:
		return r.fs, r.err
	case <-time.After(stuckScannerGrace):
		return nil, fmt.Errorf("%s did not stop at its deadline: %w", s.Name(), context.DeadlineExceeded)
	}
}

// firstFrames keeps a panic's stack short enough for a report.
func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	return strings.Join(lines[:min(len(lines), 12)], "\n")
}

// complete fills in what a scanner may leave out of its findings: the
// engine name and the rule's default severity. A finding naming a rule
// that is not in the catalogue becomes a scan error, so that no rule text
// is ever missing from a report.
func (e *Engine) complete(engine string, fs []Finding) []Finding {
	for i := range fs {
		f := &fs[i]
		f.Engine = cmp.Or(f.Engine, engine)
		rule, ok := LookupRule(f.RuleID)
		if !ok {
			f.Message = fmt.Sprintf("internal error: %s emitted unknown rule %q: %s", engine, f.RuleID, f.Message)
			f.RuleID, rule = RuleScanError, mustRule(RuleScanError)
		}
		if f.Severity == SeverityUnset {
			f.Severity = rule.Severity
		}
	}
	return fs
}

func (e *Engine) coreFinding(loc Location, ruleID, message, evidence string) Finding {
	f := Finding{RuleID: ruleID, Message: message, Evidence: evidence, Location: loc}
	return e.complete(CoreEngine, []Finding{f})[0]
}

func mustRule(id string) *Rule {
	r, ok := LookupRule(id)
	if !ok {
		panic(errors.New("rule catalogue lacks " + id))
	}
	return r
}
