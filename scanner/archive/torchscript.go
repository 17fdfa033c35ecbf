package archive

import (
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/modelgate/modelgate/scanner"
)

// torchScript collects the code files of a TorchScript archive
// (torch.jit.save): <root>/code/**/*.py is source that torch.jit.load
// compiles and runs.
type torchScript struct {
	first     string
	files     int
	dangerous []tsHit
}

type tsHit struct {
	member, what string
}

// dangerousTS matches source that has no business in a model: process,
// file, network and evaluation access. TorchScript itself cannot express
// most of it, so a match means the code was edited by hand.
var dangerousTS = regexp.MustCompile(`\bos\.(system|popen|exec\w*|spawn\w*|remove|unlink|fork)\b|\bsubprocess\b|\b(eval|exec|compile|__import__)\s*\(|\bopen\s*\(|\bsocket\b|\bctypes\b|\bbuiltins\b|/bin/(ba)?sh|\b(curl|wget)\s`)

func newTorchScript() *torchScript { return &torchScript{} }

// member records a member if it is TorchScript code.
func (t *torchScript) member(name string, r io.ReaderAt, size int64) {
	if !isCodeFile(name) {
		return
	}
	if t.files++; t.first == "" {
		t.first = name
	}
	text := readPrefix(r, size, 1<<20)
	if m := dangerousTS.Find(text); m != nil && len(t.dangerous) < 20 {
		t.dangerous = append(t.dangerous, tsHit{name, string(m)})
	}
}

// isCodeFile: a .py file under a "code" directory of the archive root.
func isCodeFile(name string) bool {
	return strings.HasSuffix(name, ".py") && strings.Contains("/"+path.Dir(name)+"/", "/code/")
}

func (t *torchScript) findings(in *scanner.Input) []scanner.Finding {
	if t.files == 0 {
		return nil
	}
	out := []scanner.Finding{in.Finding(ruleTorchScript,
		fmt.Sprintf("TorchScript archive with %d code file(s) (first: %s); torch.jit.load compiles and runs them.", t.files, t.first),
		"torchscript code")}
	for _, h := range t.dangerous {
		f := in.Finding(ruleTSDangerous, fmt.Sprintf("TorchScript code in %s refers to %q.", h.member, h.what), h.member+": "+h.what)
		out = append(out, f)
	}
	return out
}
