package scanner

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity grades a finding. The zero value is SeverityInfo's "unset" sentinel
// and is never emitted: the engine fills a finding's severity from its rule.
type Severity int

// Severities from least to most severe.
const (
	SeverityUnset Severity = iota
	SeverityInfo
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"unset", "info", "low", "medium", "high", "critical"}

// Severities lists every real severity from most to least severe, the order
// reports use.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, s := range severityNames {
		if i > 0 && s == n {
			return Severity(i), nil
		}
	}
	return SeverityUnset, fmt.Errorf("unknown severity %q (want critical, high, medium, low or info)", name)
}

// SecuritySeverity is the CVSS-like score GitHub code scanning reads from a
// rule's properties: each value sits well inside GitHub's band for the
// severity. Info has no score (GitHub shows such alerts without a security
// severity).
func (s Severity) SecuritySeverity() string {
	switch s {
	case SeverityCritical:
		return "9.5"
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.5"
	case SeverityLow:
		return "2.0"
	}
	return ""
}

// MarshalJSON writes the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return err
	}
	v, err := ParseSeverity(name)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// UnmarshalText lets YAML and flag decoders read severity names.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
