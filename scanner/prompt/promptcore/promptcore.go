// Package promptcore holds the types that the prompt-fixture extractors and
// detectors share: a Segment is a piece of prompt text with the role it
// plays and a map from its bytes back to positions in the file, and a Hit
// is what a detector found in a segment. Extractors never judge; detectors
// never parse file formats.
package promptcore

// Role is what a piece of text is for. Severity depends on it: a jailbreak
// is expected in a red-team dataset and alarming in a system prompt.
type Role string

// Roles.
const (
	RoleSystem       Role = "system"             // system prompts, Modelfile SYSTEM, provider config.system
	RoleTemplate     Role = "template"           // prompt bodies and templates
	RoleChatTemplate Role = "chat-template"      // HF / GGUF chat templates (Jinja)
	RoleExample      Role = "example"            // few-shot examples
	RoleTestInput    Role = "test-input"         // eval and test inputs
	RoleExpected     Role = "expected-output"    // expected outputs in eval sets
	RoleRedTeam      Role = "redteam-payload"    // red-team configs and datasets
	RoleAgent        Role = "agent-instructions" // AGENTS.md, .cursorrules, copilot instructions, ...
	RoleUnknown      Role = "text"               // anything else
)

// Position is a 1-based line and column (columns count Unicode code
// points, as SARIF's columnKind "unicodeCodePoints") plus the byte offset in
// the file.
type Position struct {
	Line, Column int
	Offset       int64
}

// Segment is one piece of prompt text extracted from a file.
type Segment struct {
	// Text is the decoded text (JSON and YAML escapes resolved).
	Text string
	Role Role
	// Source names where in the file the text came from, for messages:
	// "messages[2].content", "prompts[0]", "front matter system:".
	Source string
	// Locate maps a byte offset in Text to its position in the file. For
	// text copied verbatim it is a simple shift; for escaped strings the
	// extractor supplies the mapping. It is never nil.
	Locate func(textOffset int) Position
}

// Hit is one detector finding inside a segment.
type Hit struct {
	Rule string // catalogue rule ID (MG5xxx)
	// Start and End are byte offsets in Segment.Text.
	Start, End int
	Message    string
	// Evidence is short and redacted: never a secret, never a whole prompt.
	Evidence string
}

// Shifted returns a Locate function for text that appears verbatim in the
// file starting at pos (no escapes): offsets advance line and column by
// the text itself.
func Shifted(text string, pos Position) func(int) Position {
	return func(off int) Position {
		p := pos
		if off > len(text) {
			off = len(text)
		}
		for _, r := range text[:off] {
			if r == '\n' {
				p.Line++
				p.Column = 1
			} else {
				p.Column++
			}
		}
		p.Offset = pos.Offset + int64(off)
		return p
	}
}
