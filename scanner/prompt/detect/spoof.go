package detect

import (
	"fmt"
	"regexp"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Role and delimiter spoofing: chat-template control tokens and fake
// "System:" turns inside data (few-shot examples, test inputs, red-team
// payloads). In templates they are structure, so instruction roles are
// not checked.

var spoofRe = regexp.MustCompile(`(?m)<\|im_start\|>\s*(?:system|assistant)?|<\|im_end\|>|<\|start_header_id\|>(?:system|assistant)?(?:<\|end_header_id\|>)?|<\|eot_id\|>|<\|begin_of_text\|>|\[/?INST\]|<</?SYS>>|<start_of_turn>|<end_of_turn>|<\|(?:system|assistant|user|end|endoftext)\|>|\[system\]\(#\w+\)|\{\{#system~\}\}|^[ \t]*(?:#{2,3}[ \t]*(?:System|Instruction|Response)[ \t]*:|(?:SYSTEM|System)[ \t]*:)|^[ \t]*(?:Thought|Action|Observation)\s*:[^\n]*\n(?:[^\n]*\n){0,3}?[ \t]*(?:Action|Observation|Action Input)\s*:`)

func findSpoof(text string, role promptcore.Role) []finding {
	switch role {
	case promptcore.RoleExample, promptcore.RoleTestInput, promptcore.RoleRedTeam:
	default:
		return nil
	}
	var fs []finding
	for _, m := range spoofRe.FindAllStringIndex(text, 32) {
		tok := text[m[0]:m[1]]
		if m[0] == 0 && (tok[0] == 'S' || tok[0] == '#') {
			continue // a leading "System:" line labels the whole text, it does not inject a turn
		}
		fs = append(fs, finding{detector: DetSpoof, start: m[0], end: m[1],
			message:  fmt.Sprintf("Role or delimiter marker %q inside %s text: it can close the real turn and open a fake system or assistant turn when the text is inserted into a chat template.", truncate(tok, 30), role),
			evidence: evidenceOf(tok)})
	}
	return fs
}
