package remote

import (
	"strings"

	"github.com/modelgate/modelgate/scanner"
)

// Severity reads a vendor's severity word ("CRITICAL", "High",
// "moderate", "warning", "informational"); ok is false for anything else.
func Severity(word string) (scanner.Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "critical", "severe":
		return scanner.SeverityCritical, true
	case "high", "error":
		return scanner.SeverityHigh, true
	case "medium", "moderate", "warning", "warn":
		return scanner.SeverityMedium, true
	case "low", "minor":
		return scanner.SeverityLow, true
	case "info", "informational", "note", "none":
		return scanner.SeverityInfo, true
	}
	return scanner.SeverityUnset, false
}
