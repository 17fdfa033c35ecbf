package detect

import "github.com/modelgate/modelgate/scanner/prompt/promptcore"

// Detector names, as passed to RuleFor.
const (
	DetInvisible = "invisible"
	DetInjection = "injection"
	DetURL       = "url"
	DetMarkup    = "markup"
	DetEncoded   = "encoded"
	DetSpoof     = "spoof"
	DetCode      = "code"
	DetHomoglyph = "homoglyph"
	DetURLNote   = "url-note"
)

// Band is a group of roles that share a severity in the role table.
type Band int

// Bands.
const (
	// BandInstruction: system, template, chat-template, agent
	// instructions — text the model obeys.
	BandInstruction Band = iota
	// BandData: few-shot examples, test inputs, expected outputs and
	// unclassified text — text the model reads.
	BandData
	// BandRedTeam: red-team payloads, where attacks are expected.
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

// ruleTable maps detector × band to a rule ID; "" means the detector does
// not report in that band.
var ruleTable = map[string][3]string{
	DetInvisible: {"MG5001", "MG5002", "MG5003"},
	DetInjection: {"MG5004", "MG5005", "MG5006"},
	DetURL:       {"MG5007", "MG5007", "MG5008"},
	DetMarkup:    {"MG5009", "MG5009", "MG5010"},
	DetEncoded:   {"MG5011", "MG5011", "MG5012"},
	DetSpoof:     {"", "MG5013", "MG5014"},
	DetCode:      {"MG5015", "MG5016", "MG5017"},
	DetHomoglyph: {"MG5018", "MG5019", "MG5020"},
	DetURLNote:   {"MG5021", "MG5021", "MG5008"},
}

// Severities holds the default SARIF severity of every rule, mirroring
// scanner/rules/prompt.yaml (a test checks the two agree).
var Severities = map[string]string{
	"MG5001": "critical", "MG5002": "high", "MG5003": "medium",
	"MG5004": "high", "MG5005": "medium", "MG5006": "info",
	"MG5007": "high", "MG5008": "low",
	"MG5009": "high", "MG5010": "low",
	"MG5011": "high", "MG5012": "info",
	"MG5013": "high", "MG5014": "info",
	"MG5015": "critical", "MG5016": "high", "MG5017": "low",
	"MG5018": "high", "MG5019": "medium", "MG5020": "info",
	"MG5021": "medium",
}

// RuleFor returns the rule ID a detector reports for a role, or "" when the
// detector is silent for that role (spoofing in instruction text is
// template structure, not an attack).
func RuleFor(detector string, role promptcore.Role) string {
	t, ok := ruleTable[detector]
	if !ok {
		return ""
	}
	return t[BandOf(role)]
}
