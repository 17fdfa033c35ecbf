// Package version holds the build's identity, set at link time:
//
//	go build -ldflags "-X github.com/modelgate/modelgate/internal/version.Version=1.2.3 -X github.com/modelgate/modelgate/internal/version.Commit=abc123"
package version

import "runtime/debug"

// Set by -ldflags -X at build time.
var (
	Version = "0.1.0-dev"
	Commit  = ""
)

// Name and InformationURI identify the tool in reports.
const (
	Name           = "modelgate"
	InformationURI = "https://github.com/modelgate/modelgate"
)

// CommitOrVCS returns Commit, or the VCS revision Go embedded in the
// binary, or "unknown".
func CommitOrVCS() string {
	if Commit != "" {
		return Commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
