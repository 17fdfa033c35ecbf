// Package jinja analyses Jinja templates (Hugging Face and GGUF chat
// templates, Jinja prompt templates) for server-side template injection by
// parsing them with gonja v2 and walking the whole syntax tree. It never
// renders anything and never touches the file system: {% extends %},
// {% import %} and {% include %} are parsed against an empty in-memory
// loader.
//
// Analyze walks the tree of templates that parse; for templates that do
// not, Check falls back to a pattern search (Markers), and the prompt
// scanner reports the parse failure itself (rule MG5110, low).
package jinja

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unsafe"

	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Rule IDs a caller can use for what this package finds (catalogued in
// scanner/rules/prompt-secrets.yaml). Format scanners with their own SSTI
// rule (MG3410 for GGUF, MG3507 for Hugging Face) keep using it.
const (
	// RuleParseError: the template does not parse as Jinja (low).
	RuleParseError = "MG5110"
	// RuleSSTI: a prompt template outside HF/GGUF metadata reaches Python
	// internals or Jinja gadgets (critical).
	RuleSSTI = "MG5111"
)

// Issue kinds.
const (
	KindDunderAttr   = "dunder-attribute" // x.__class__, x._module
	KindDunderItem   = "dunder-item"      // x['__globals__']
	KindDunderName   = "dunder-name"      // a variable named __x
	KindDunderString = "dunder-string"    // a string literal containing __word__
	KindAttrFilter   = "attr-filter"      // x|attr('...')
	KindRiskyGlobal  = "risky-global"     // cycler.__init__, config.items(), self._TemplateReference__context
	KindHugeRange    = "huge-range"       // range(10**9): denial of service
	KindTemplateLoad = "template-load"    // {% import / from / include / extends %}
)

// Issue is one suspicious construct. Start and End are byte offsets in the
// template as passed to Analyze.
type Issue struct {
	Start, End int
	Kind       string
	Why        string
}

// Literal is a piece of the template's literal text (outside tags) or a
// string literal inside an expression, at its byte offset in the template.
type Literal struct {
	Text   string
	Offset int
}

// HugeRange is the largest range() bound that is not reported.
const HugeRange = 100_000

// riskyGlobals are Jinja/Flask globals used as gadgets: their attributes
// lead to Python internals or application state.
var riskyGlobals = map[string]string{
	"cycler":               "the cycler global's attributes reach Python internals (__init__.__globals__)",
	"joiner":               "the joiner global's attributes reach Python internals (__init__.__globals__)",
	"lipsum":               "the lipsum global's __globals__ reach the os module (CVE-2026-5760 pattern)",
	"self":                 "self exposes the template reference and its context",
	"config":               "config exposes application configuration and secrets",
	"request":              "request exposes the web request and its environment",
	"url_for":              "url_for's __globals__ reach the Flask application",
	"get_flashed_messages": "get_flashed_messages's __globals__ reach the Flask application",
}

// Analyze parses template and returns the suspicious constructs in it,
// ordered by offset. parseErr is non-nil when gonja cannot parse the
// template (the issues are then nil); callers report that as a low finding
// and may fall back to a regex search.
func Analyze(template string) (issues []Issue, parseErr error) {
	tpl, err := parse(template)
	if err != nil {
		return nil, err
	}
	w := &walker{src: template, seen: map[uintptr]bool{}, issueSeen: map[issueKey]bool{}}
	w.walk(reflect.ValueOf(tpl), 0)
	sort.SliceStable(w.issues, func(i, j int) bool {
		if w.issues[i].Start != w.issues[j].Start {
			return w.issues[i].Start < w.issues[j].Start
		}
		return w.issues[i].End < w.issues[j].End
	})
	return w.issues, nil
}

// Literals returns the template's literal text parts (data outside tags)
// and string literals inside expressions, ordered by offset. It returns nil
// for a template that does not parse.
func Literals(template string) []Literal {
	tpl, err := parse(template)
	if err != nil {
		return nil
	}
	w := &walker{src: template, seen: map[uintptr]bool{}, issueSeen: map[issueKey]bool{}, wantLiterals: true}
	w.walk(reflect.ValueOf(tpl), 0)
	sort.SliceStable(w.literals, func(i, j int) bool { return w.literals[i].Offset < w.literals[j].Offset })
	out := w.literals[:0]
	last := -1
	for _, l := range w.literals {
		if l.Offset == last {
			continue
		}
		last = l.Offset
		out = append(out, l)
	}
	return out
}

// emptyLoader resolves every template name to an empty template, so that
// parsing {% extends %} never reads files.
type emptyLoader struct{}

func (emptyLoader) Read(string) (io.Reader, error)         { return strings.NewReader(""), nil }
func (emptyLoader) Resolve(p string) (string, error)       { return p, nil }
func (emptyLoader) Inherit(string) (loaders.Loader, error) { return emptyLoader{}, nil }
func (l emptyLoader) String() string                       { return "empty" }

// maxTemplate bounds the input: chat templates are a few KiB.
const maxTemplate = 4 << 20

func parse(template string) (tpl *nodes.Template, err error) {
	if len(template) > maxTemplate {
		return nil, fmt.Errorf("jinja: template larger than %d bytes", maxTemplate)
	}
	defer func() {
		if r := recover(); r != nil {
			tpl, err = nil, fmt.Errorf("jinja: parser panic: %v", r)
		}
	}()
	cfg := config.New()
	cfg.KeepTrailingNewline = true
	// The lexer turns \r\n into \n, which would shift offsets; \n\n keeps
	// every byte where it was.
	src := strings.ReplaceAll(template, "\r\n", "\n\n")
	stream := tokens.LexAll(src, cfg)
	p := parser.NewParser("template", stream, cfg, emptyLoader{}, controlStructures.All)
	tpl, err = p.Parse()
	if err != nil {
		return nil, err
	}
	if tpl == nil {
		return nil, errors.New("jinja: empty parse")
	}
	return tpl, nil
}

type issueKey struct {
	start, end int
}

type walker struct {
	src          string
	seen         map[uintptr]bool
	issues       []Issue
	issueSeen    map[issueKey]bool
	literals     []Literal
	wantLiterals bool
}

func (w *walker) add(start, end int, kind, why string) {
	if start < 0 || end > len(w.src) || start > end {
		return
	}
	k := issueKey{start, end}
	if w.issueSeen[k] {
		return
	}
	w.issueSeen[k] = true
	w.issues = append(w.issues, Issue{Start: start, End: end, Kind: kind, Why: why})
}

var (
	nodeType  = reflect.TypeOf((*nodes.Node)(nil)).Elem()
	tokenType = reflect.TypeOf((*tokens.Token)(nil))
)

const maxDepth = 2000

// walk visits every value reachable from v, including unexported fields of
// the control-structure nodes (gonja's own Walk is shallow).
func (w *walker) walk(v reflect.Value, depth int) {
	if depth > maxDepth || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem(), depth+1)
		}
		return
	case reflect.Pointer:
		if v.IsNil() || v.Type() == tokenType {
			return
		}
		p := v.Pointer()
		if w.seen[p] {
			return
		}
		w.seen[p] = true
		w.visit(v)
		w.walk(v.Elem(), depth+1)
		return
	case reflect.Struct:
		if v.CanAddr() {
			if v.Type().Implements(nodeType) || reflect.PointerTo(v.Type()).Implements(nodeType) {
				// Value-typed nodes (Wrapper, ControlStructureBlock) are
				// reached as struct fields; visit them by address.
				w.visit(v.Addr())
			}
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !f.CanInterface() && f.CanAddr() {
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
			}
			w.walk(f, depth+1)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			w.walk(v.Index(i), depth+1)
		}
	case reflect.Map:
		keys := v.MapKeys()
		for _, k := range keys {
			e := v.MapIndex(k)
			// Map elements are not addressable; copy them so that their
			// unexported fields can be read.
			if e.Kind() == reflect.Struct {
				c := reflect.New(e.Type()).Elem()
				c.Set(e)
				e = c
			}
			w.walk(e, depth+1)
		}
	}
}

// visit checks one node (given as a pointer).
func (w *walker) visit(v reflect.Value) {
	if !v.CanInterface() {
		return
	}
	switch n := v.Interface().(type) {
	case *nodes.GetAttribute:
		if n.Location == nil {
			return
		}
		start, end := w.attrSpan(n.Location.Pos, n.Attribute)
		if strings.HasPrefix(n.Attribute, "_") {
			w.add(start, end, KindDunderAttr, fmt.Sprintf("attribute %q reaches Python internals (sandbox escape)", n.Attribute))
		} else if g := globalName(n.Node); g != "" && n.Attribute != "" {
			w.add(start, end, KindRiskyGlobal, fmt.Sprintf("attribute %q of %s: %s", n.Attribute, g, riskyGlobals[g]))
		}
	case *nodes.GetItem:
		if s, ok := n.Arg.(*nodes.String); ok && s.Location != nil && strings.HasPrefix(s.Val, "_") {
			start, end := w.stringSpan(s.Location.Pos)
			w.add(start, end, KindDunderItem, fmt.Sprintf("item %q reaches Python internals (sandbox escape)", s.Val))
		} else if g := globalName(n.Node); g != "" && n.Location != nil {
			w.add(n.Location.Pos, w.closeBracket(n.Location.Pos), KindRiskyGlobal, fmt.Sprintf("item of %s: %s", g, riskyGlobals[g]))
		}
	case *nodes.Name:
		if n.Name == nil {
			return
		}
		name := n.Name.Val
		start, end := w.tokenSpan(n.Name)
		switch {
		case strings.HasPrefix(name, "__"):
			w.add(start, end, KindDunderName, fmt.Sprintf("name %q is a Python internal", name))
		case name == "config" || name == "request":
			w.add(start, end, KindRiskyGlobal, fmt.Sprintf("%s: %s", name, riskyGlobals[name]))
		}
	case *nodes.String:
		if n.Location == nil {
			return
		}
		start, end := w.stringSpan(n.Location.Pos)
		if w.wantLiterals {
			w.literals = append(w.literals, Literal{Text: n.Val, Offset: start})
		}
		if hasDunderWord(n.Val) {
			w.add(start, end, KindDunderString, fmt.Sprintf("string %q names a Python internal", clip(n.Val)))
		}
	case *nodes.Data:
		if w.wantLiterals && n.Data != nil {
			w.literals = append(w.literals, w.dataLiteral(n.Data))
		}
	case *nodes.FilterCall:
		if n.Name == "attr" && n.Token != nil {
			start, end := w.tokenSpan(n.Token)
			w.add(start, end, KindAttrFilter, "the attr filter reads arbitrary attributes (sandbox escape gadget)")
		}
	case *nodes.Call:
		if name, ok := n.Func.(*nodes.Name); ok && name.Name != nil && name.Name.Val == "range" {
			for _, a := range n.Args {
				if x, ok := constInt(a, 0); ok && (x > HugeRange || x < -HugeRange) {
					start, _ := w.tokenSpan(name.Name)
					w.add(start, w.closeParen(start), KindHugeRange, fmt.Sprintf("range with a bound of %d exhausts memory or CPU", x))
					break
				}
			}
		}
	case *nodes.ControlStructureBlock:
		switch n.Name {
		case "import", "from", "include", "extends":
			if n.Location != nil {
				start, end := w.tagSpan(n.Location.Pos)
				w.add(start, end, KindTemplateLoad, fmt.Sprintf("{%% %s %%} loads another template; chat templates never need to", n.Name))
			}
		}
	}
}

// globalName returns the risky global a getter is applied to, or "".
func globalName(n nodes.Node) string {
	nm, ok := n.(*nodes.Name)
	if !ok || nm.Name == nil {
		return ""
	}
	if _, ok := riskyGlobals[nm.Name.Val]; ok {
		return nm.Name.Val
	}
	return ""
}

// constInt evaluates a constant integer expression (literals, unary minus,
// + - * ** and //).
func constInt(e nodes.Node, depth int) (int64, bool) {
	if depth > 20 {
		return 0, false
	}
	const limit = 1 << 40
	switch n := e.(type) {
	case *nodes.Integer:
		return int64(n.Val), true
	case *nodes.UnaryExpression:
		x, ok := constInt(n.Term, depth+1)
		if n.Negative {
			x = -x
		}
		return x, ok
	case *nodes.BinaryExpression:
		if n.Operator == nil || n.Operator.Token == nil {
			return 0, false
		}
		a, ok1 := constInt(n.Left, depth+1)
		b, ok2 := constInt(n.Right, depth+1)
		if !ok1 || !ok2 {
			return 0, false
		}
		clamp := func(x int64) int64 {
			if x > limit {
				return limit
			}
			if x < -limit {
				return -limit
			}
			return x
		}
		switch n.Operator.Token.Val {
		case "+":
			return clamp(a + b), true
		case "-":
			return clamp(a - b), true
		case "*":
			return clamp(a * b), true
		case "//":
			if b == 0 {
				return 0, false
			}
			return a / b, true
		case "**":
			r := int64(1)
			for i := int64(0); i < b && i < 64; i++ {
				r = clamp(r * a)
			}
			return r, true
		}
	}
	return 0, false
}

// dunderWord matches __word__ (at least one character between the
// underscores).
var dunderWord = regexp.MustCompile(`__[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*__`)

// hasDunderWord reports whether s contains __word__.
func hasDunderWord(s string) bool { return dunderWord.MatchString(s) }

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// tokenSpan is the span of a name-like token.
func (w *walker) tokenSpan(t *tokens.Token) (int, int) {
	start := t.Pos
	end := start + len(t.Val)
	if start < 0 || end > len(w.src) {
		return -1, -1
	}
	return start, end
}

// attrSpan is the span of the attribute name after the dot at pos.
func (w *walker) attrSpan(dot int, attr string) (int, int) {
	if dot < 0 || dot >= len(w.src) {
		return -1, -1
	}
	i := dot + 1
	for i < len(w.src) && isSpace(w.src[i]) {
		i++
	}
	if attr != "" && strings.HasPrefix(w.src[i:], attr) {
		return i, i + len(attr)
	}
	j := i
	for j < len(w.src) && isIdent(w.src[j]) {
		j++
	}
	return i, j
}

// stringSpan is the span of the quoted string literal starting at pos,
// quotes included.
func (w *walker) stringSpan(pos int) (int, int) {
	if pos < 0 || pos >= len(w.src) {
		return -1, -1
	}
	q := w.src[pos]
	if q != '\'' && q != '"' {
		return pos, pos
	}
	for i := pos + 1; i < len(w.src); i++ {
		switch w.src[i] {
		case '\\':
			i++
		case q:
			return pos, i + 1
		}
	}
	return pos, len(w.src)
}

func (w *walker) closeBracket(pos int) int { return w.closing(pos, '[', ']') }
func (w *walker) closeParen(pos int) int {
	i := strings.IndexByte(w.src[pos:], '(')
	if i < 0 {
		return pos
	}
	return w.closing(pos+i, '(', ')')
}

// closing returns the offset just after the bracket matching the one at
// pos, skipping string literals.
func (w *walker) closing(pos int, open, close byte) int {
	depth := 0
	for i := pos; i < len(w.src); i++ {
		switch c := w.src[i]; c {
		case '\'', '"':
			_, e := w.stringSpan(i)
			i = e - 1
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(w.src)
}

// tagSpan is the span of the {% … %} tag around pos.
func (w *walker) tagSpan(pos int) (int, int) {
	if pos < 0 || pos > len(w.src) {
		return -1, -1
	}
	start := pos
	if !strings.HasPrefix(w.src[pos:], "{%") {
		if i := strings.LastIndex(w.src[:pos], "{%"); i >= 0 {
			start = i
		}
	}
	end := len(w.src)
	if i := strings.Index(w.src[pos:], "%}"); i >= 0 {
		end = pos + i + 2
	}
	return start, end
}

func (w *walker) dataLiteral(t *tokens.Token) Literal {
	if t.Pos >= 0 && t.Pos+len(t.Val) <= len(w.src) {
		return Literal{Text: w.src[t.Pos : t.Pos+len(t.Val)], Offset: t.Pos}
	}
	return Literal{Text: t.Val, Offset: max(t.Pos, 0)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
