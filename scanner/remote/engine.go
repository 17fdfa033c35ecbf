// Package remote runs vendor scanning services behind scanner.Scanner, so
// that the engine routes files to them exactly as to the embedded
// scanners. It holds what every vendor shares: the HTTP Client (timeouts,
// backoff with jitter, Retry-After, errors naming vendor, call and
// status), the Secrets that are masked in every log line, error and
// finding, tolerant JSON decoding, and the Scanner adapter that applies
// the per-scan deadline and the fail-open / fail-closed policy and keeps
// the per-engine summary.
//
// One package per vendor (evalguard, prismairs, guardian, aishield)
// implements Engine: it describes its calls and maps the vendor's answer
// to findings, and nothing else. Each has a fake server in its *fake
// subpackage, used by the tests and by `modelgate dev fake-vendor`.
//
// This package never decides on its own to send a file: it only runs when
// the user selects a remote engine.
package remote

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modelgate/modelgate/scanner"
)

// Rule IDs of the outcomes shared by every remote engine.
const (
	RuleNoAnswerClosed = "MG6001"
	RuleNoAnswerOpen   = "MG6002"
	RuleNotSentClosed  = "MG6003"
	RuleNotSentOpen    = "MG6004"
)

// Failure is the policy when a vendor cannot answer: the outcome is always
// a finding, blocking (closed) or informational (open).
type Failure int

const (
	// FailClosed reports a vendor that cannot answer as a high finding,
	// which fails the default gate.
	FailClosed Failure = iota
	// FailOpen reports it as an info note (a low one for files not sent).
	FailOpen
)

// ParseFailure reads "open" or "closed".
func ParseFailure(s string) (Failure, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "closed":
		return FailClosed, nil
	case "open":
		return FailOpen, nil
	}
	return 0, fmt.Errorf("%q: want open or closed", s)
}

func (f Failure) String() string {
	if f == FailOpen {
		return "fail-open"
	}
	return "fail-closed"
}

// Engine is one vendor's scan of one file. Implementations describe their
// calls with a Client and map the answer to findings built with
// in.Finding; the Scanner adapter does the rest.
type Engine interface {
	// Vendor is the short name used in flags and findings ("evalguard").
	Vendor() string
	// Accepts decides from the sniffed file whether to send it; it is
	// only asked about top-level files that are not LFS pointers.
	Accepts(f *scanner.File) bool
	// Scan sends the file and maps the verdict. A *NotSentError says the
	// file could not be given to the vendor; any other error says the
	// vendor did not answer.
	Scan(ctx context.Context, in *scanner.Input) (Report, error)
}

// Report is what a vendor said about one file.
type Report struct {
	// Sent is false when there was nothing to send (a text file that
	// holds no prompt): no verdict, not counted in the summary.
	Sent bool
	// Verdict is the vendor's overall answer for the summary ("malicious",
	// "block", "PASS", "score 0.82").
	Verdict string
	// Findings are the mapped findings.
	Findings []scanner.Finding
	// Notes are said once in the engine's summary (an attestation saved).
	Notes []string
	// NotSent, when set, says why part of the file was not sent (over
	// the vendor's limits); it becomes a not-sent finding.
	NotSent string
}

// Options are the settings every remote engine shares.
type Options struct {
	// Failure is the policy when the vendor cannot answer.
	Failure Failure
	// Deadline bounds one file's whole scan: upload, submit and polling
	// (default DefaultDeadline).
	Deadline time.Duration
	// Secrets masks credentials in findings.
	Secrets *Secrets
}

// DefaultDeadline is the default time budget of one file's remote scan.
const DefaultDeadline = 15 * time.Minute

// Name is the scanner name of a vendor's engine ("remote/evalguard").
func Name(vendor string) string { return "remote/" + vendor }
