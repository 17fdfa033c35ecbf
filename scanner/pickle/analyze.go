package pickle

import (
	"fmt"
	"sort"

	"github.com/modelgate/modelgate/scanner"
)

// Rule IDs (see scanner/rules/).
const (
	ruleDangerousCall   = "MG1001"
	ruleUnknownCall     = "MG1002"
	ruleUnresolved      = "MG1003"
	ruleCode            = "MG1004"
	ruleDangerousImport = "MG1005"
	ruleNested          = "MG1006"
	ruleTamper          = "MG1007"
	ruleUnknownImport   = "MG1008"
	ruleMutation        = "MG1009"
	ruleFrame           = "MG1010"
	ruleMalformed       = "MG1011"
	ruleTrailing        = "MG1012"
	ruleExpansion       = "MG1013"
	ruleLimit           = "MG1014"
	ruleFormatInUse     = "MG1015"
	ruleLegacyMagic     = "MG1016"
)

// importKey groups imports of the same name with the same outcome.
type importKey struct {
	rule, name string
}

// judgeImports turns the recorded imports into findings: one per rule and
// resolved name, at the first occurrence, with the count.
func (w *walk) judgeImports() {
	type group struct {
		first *imported
		site  *callSite
		count int
		msg   string
	}
	groups := map[importKey]*group{}
	var order []importKey
	for _, im := range w.imports {
		for _, r := range importRules(im) {
			k := importKey{r.rule, r.evidence}
			g, ok := groups[k]
			if !ok {
				g = &group{first: im, site: r.site, msg: r.msg}
				groups[k] = g
				order = append(order, k)
			}
			g.count++
		}
	}
	for _, k := range order {
		g := groups[k]
		off, msg := g.first.off, g.msg
		if g.site != nil {
			off = g.site.off
		}
		if g.count > 1 {
			msg += fmt.Sprintf(" (%d occurrences)", g.count)
		}
		w.add(k.rule, off, msg, k.name)
	}
}

type importRule struct {
	rule, msg, evidence string
	site                *callSite
}

// importRules decides the findings for one import.
func importRules(im *imported) []importRule {
	if im.unresolved != "" {
		return []importRule{{ruleUnresolved,
			fmt.Sprintf("%s at offset %d imports a name that cannot be resolved: %s.", im.op, im.off, im.unresolved),
			"unresolved " + im.op, nil}}
	}
	name, ev := im.display(), "global="+im.j.resolved
	if w := im.module + "." + im.name; w != im.j.resolved {
		ev = fmt.Sprintf("global=%s -> %s", w, im.j.resolved)
	}
	call := im.calledInit
	if call == nil && im.j.verdict != verdictAllowNew {
		call = im.instantiated
	}
	var out []importRule
	switch im.j.verdict {
	case verdictTamper:
		out = append(out, importRule{ruleTamper, fmt.Sprintf("Imports %s, a module of a pickle scanner (%s).", name, im.j.why), ev, nil})
		if call != nil {
			out = append(out, importRule{ruleDangerousCall, callMsg(im, call, "scanner tampering"), ev, call})
		}
	case verdictCode:
		out = append(out, importRule{ruleCode, fmt.Sprintf("%s %s at offset %d: %s.", usage(call), name, site(im, call), im.j.why), ev, call})
	case verdictDeny:
		if call != nil {
			return []importRule{{ruleDangerousCall, callMsg(im, call, im.j.why), ev, call}}
		}
		out = append(out, importRule{ruleDangerousImport, fmt.Sprintf("Imports %s at offset %d without a visible call: %s.", name, im.off, im.j.why), ev, nil})
	case verdictAllowNew:
		if im.calledInit != nil {
			out = append(out, importRule{ruleUnknownCall, callMsg(im, im.calledInit,
				"this class is allowed only when instantiated without running __init__ (NEWOBJ); here it is called with arguments"), ev, im.calledInit})
		}
	case verdictUnknown:
		if call != nil {
			return []importRule{{ruleUnknownCall, callMsg(im, call, "not on the allowlist, so calling it is denied by default"), ev, call}}
		}
		out = append(out, importRule{ruleUnknownImport, fmt.Sprintf("Imports %s at offset %d, which is not on the allowlist.", name, im.off), ev, nil})
	}
	return out
}

func usage(call *callSite) string {
	if call != nil {
		return "Calls"
	}
	return "Imports"
}

func site(im *imported, call *callSite) int64 {
	if call != nil {
		return call.off
	}
	return im.off
}

func callMsg(im *imported, call *callSite, why string) string {
	via := ""
	if w := im.module + "." + im.name; w != im.j.resolved {
		via = fmt.Sprintf(" (written %s)", w)
	}
	return fmt.Sprintf("%s at offset %d calls %s%s, imported by %s at offset %d: %s.",
		call.op, call.off, im.j.resolved, via, im.op, im.off, why)
}

// judgeLayout reports a legacy PyTorch layout whose first pickle is not
// the constant magic number.
func (w *walk) judgeLayout() {
	if w.legacyLayout() && !isLegacyMagic(w.tops[0]) {
		w.add(ruleLegacyMagic, 0, fmt.Sprintf("The stream is laid out like a legacy PyTorch checkpoint (the second pickle is the protocol number %d), but the first pickle is %s, not the constant magic number.",
			legacyProtocol, describe(w.tops[0])), "legacy magic mismatch")
	}
}

// formatInUse adds the informational note when nothing at or above medium
// was found: the file is a pickle all the same.
func (w *walk) formatInUse(format string) {
	for _, f := range w.findings {
		if r, ok := scanner.LookupRule(f.RuleID); !ok || max(f.Severity, r.Severity) >= scanner.SeverityMedium {
			return
		}
	}
	w.findings = append(w.findings, w.in.Finding(ruleFormatInUse,
		fmt.Sprintf("%s: no dangerous content found, but loading a pickle runs code chosen by its author; prefer safetensors.", format), format))
}

// sortedImports lists distinct resolved imports (for explain).
func (w *walk) sortedImports() []string {
	seen := map[string]bool{}
	var out []string
	for _, im := range w.imports {
		n := im.display()
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
