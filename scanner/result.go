package scanner

import (
	"time"

	"github.com/modelgate/modelgate/scanner/format"
)

// Target is a file handed to the engine by discovery.
type Target struct {
	// Path is the display path: relative to the working directory,
	// slash-separated (absolute only for files outside it).
	Path string
	// OSPath is the path to open.
	OSPath string
	// Size is the file size in bytes.
	Size int64
	// Wanted says the user asked for this file (named on the command line
	// or matched by an include pattern), as opposed to picked up by content
	// sniffing. Wanted files of unrecognised content get a note.
	Wanted bool
}

// File statuses in Result.Files.
const (
	StatusScanned = "scanned"
	StatusSkipped = "skipped"
	StatusError   = "error"
)

// FileStatus records what happened to one discovered file.
type FileStatus struct {
	Path     string        `json:"path"`
	Size     int64         `json:"size"`
	Format   format.Format `json:"format,omitempty"`
	Status   string        `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Scanners []string      `json:"scanners,omitempty"`
	// Contains lists the model formats found inside a container (the
	// pickle of a PyTorch zip, the pickle in a compressed joblib file).
	Contains []format.Format `json:"contains,omitempty"`
}

// FileError is a scan error: the file (or member) could not be fully
// analysed. Each also appears as an MG0001 or MG0005 finding.
type FileError struct {
	Path    string `json:"path"`
	Member  string `json:"member,omitempty"`
	Scanner string `json:"scanner,omitempty"`
	Message string `json:"message"`
}

// Result is the outcome of a scan, before any policy is applied.
type Result struct {
	StartedAt  time.Time    `json:"started_at"`
	FinishedAt time.Time    `json:"finished_at"`
	Findings   []Finding    `json:"findings"`
	Files      []FileStatus `json:"files"`
	Errors     []FileError  `json:"errors"`
	// FilesSniffed counts files outside the include patterns that were
	// checked by content and found not to be models.
	FilesSniffed int `json:"files_sniffed"`
}

// Elapsed is the wall time of the scan.
func (r *Result) Elapsed() time.Duration { return r.FinishedAt.Sub(r.StartedAt) }

// FileCounts returns how many files were scanned per format and how many
// were skipped per reason.
func (r *Result) FileCounts() (scanned map[format.Format]int, skipped map[string]int) {
	scanned, skipped = map[format.Format]int{}, map[string]int{}
	for _, f := range r.Files {
		switch f.Status {
		case StatusSkipped:
			skipped[f.Reason]++
		default:
			scanned[f.Format]++
		}
	}
	return scanned, skipped
}
