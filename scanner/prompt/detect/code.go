package detect

import (
	"fmt"

	"github.com/modelgate/modelgate/internal/textcheck"
)

// Code and command payloads: shell one-liners that download and run code,
// reverse shells, destructive commands, PowerShell download cradles,
// Python reaching the OS through dynamic imports, eval/exec of fetched or
// decoded content (internal/textcheck.Payloads). A model or agent that
// follows the text runs them; the role decides the severity.

// maxCodeHits bounds the matches per pattern and text.
const maxCodeHits = 8

func findCode(text string) []finding {
	var fs []finding
	for _, m := range textcheck.FindPayloads(text, maxCodeHits) {
		fs = append(fs, finding{detector: DetCode, start: m.Start, end: m.End,
			message:  fmt.Sprintf("Code or command payload (%s): a model or agent that follows the text runs it, and a reader who copies it runs it too.", m.Label),
			evidence: evidenceOf(text[m.Start:m.End])})
	}
	return fs
}
