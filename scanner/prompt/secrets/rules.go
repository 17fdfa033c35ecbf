package secrets

import (
	"strings"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Finding kinds, as passed to RuleFor.
const (
	KindSecret     = "secret"      // a gitleaks rule matched (API keys, tokens, private keys, JWTs)
	KindEmail      = "email"       // an e-mail address
	KindPhone      = "phone"       // an E.164 or NANP telephone number
	KindSSN        = "ssn"         // a US social security number
	KindCard       = "card"        // a Luhn-valid payment card number with a known IIN
	KindIBAN       = "iban"        // a mod-97-valid IBAN
	KindAWSAccount = "aws-account" // a 12-digit AWS account ID next to "aws"/"account"

	// ExampleSuffix marks a documentation or test value of a PII kind
	// (an address at example.com, card 4111 1111 1111 1111, phone
	// 555-01xx, SSN 123-45-6789, IBAN GB82 WEST…, account 123456789012).
	// Such values are reported one band lower: Example(KindCard).
	ExampleSuffix = ":example"
)

// Example returns the kind of a documentation or test value of kind.
func Example(kind string) string { return kind + ExampleSuffix }

// Rule IDs (scanner/rules/prompt-secrets.yaml documents the scheme).
const (
	RuleSecret    = "MG5101" // high in every role
	RulePIIHigh   = "MG5102"
	RulePIIMedium = "MG5103"
	RulePIILow    = "MG5104"
	RulePIIInfo   = "MG5105"
)

// Band is a group of roles that share a severity (the same grouping as
// scanner/prompt/detect).
type Band int

// Bands.
const (
	// BandInstruction: system, template, chat-template and agent
	// instructions: text the model obeys and that ships with the product.
	BandInstruction Band = iota
	// BandData: few-shot examples, test inputs, expected outputs and
	// unclassified text.
	BandData
	// BandRedTeam: red-team payloads, where synthetic PII is common.
	BandRedTeam
)

// BandOf returns the severity band of a role.
func BandOf(role promptcore.Role) Band {
	switch role {
	case promptcore.RoleSystem, promptcore.RoleTemplate, promptcore.RoleChatTemplate, promptcore.RoleAgent:
		return BandInstruction
	case promptcore.RoleRedTeam:
		return BandRedTeam
	default:
		return BandData
	}
}

// piiRules is indexed by band plus one step for documentation values.
var piiRules = [...]string{RulePIIHigh, RulePIIMedium, RulePIILow, RulePIIInfo}

// Severities mirrors the default severities in prompt-secrets.yaml (a test
// checks the two agree).
var Severities = map[string]string{
	RuleSecret:    "high",
	RulePIIHigh:   "high",
	RulePIIMedium: "medium",
	RulePIILow:    "low",
	RulePIIInfo:   "info",
}

// RuleFor returns the rule ID for a finding of kind in a segment with role:
// secrets are MG5101 in every role; PII is MG5102 (high) in instruction
// roles, MG5103 (medium) in data roles, MG5104 (low) in red-team payloads,
// and a documentation/test value (kind with ExampleSuffix) goes one band
// lower, down to MG5105 (info). Unknown kinds give "".
func RuleFor(kind string, role promptcore.Role) string {
	base, example := strings.CutSuffix(kind, ExampleSuffix)
	switch base {
	case KindSecret:
		return RuleSecret
	case KindEmail, KindPhone, KindSSN, KindCard, KindIBAN, KindAWSAccount:
	default:
		return ""
	}
	i := int(BandOf(role))
	if example {
		i++
	}
	return piiRules[i]
}
