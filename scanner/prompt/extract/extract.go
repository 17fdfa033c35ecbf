// Package extract finds the prompt text in prompt fixtures (prompt
// templates, agent instruction files, eval and red-team sets, chat
// templates) and returns it as promptcore segments, each with its role and
// an exact map from text offsets back to file positions.
//
// The extractor is chosen by the file's path (base name, extension,
// directory) and, for generic YAML and JSON, by sniffing the content.
// Extract never judges content and never opens other files: references
// such as promptfoo's file:// prompts are returned as Refs by ExtractAll.
//
// Roles: system (system prompts, system messages, Modelfile SYSTEM,
// promptfoo providers[].config.system, system_prompts/ directories),
// template (prompt files and bodies, user messages of prompt files),
// example (assistant messages of prompt files, few_shot/ directories,
// Modelfile MESSAGE), test-input and expected-output (eval records:
// user/assistant messages, input/ideal, prompt/completion,
// instruction/input/output, promptfoo vars/assert values, GitHub Models
// testData), chat-template (HF chat templates, *.jinja outside prompt
// directories, Modelfile TEMPLATE), agent-instructions (AGENTS.md and
// friends) and redteam-payload (everything under redteam / red-team /
// red_team directories, redteam*.yaml, promptfoo redteam:).
//
// Locate is exact (byte offset; line; column in code points) for verbatim
// text, for JSON strings (every byte an escape such as \n, \u00e9, a
// surrogate pair or \" produces maps to the escape's backslash), for CSV
// fields (a doubled quote maps to its first quote), and for YAML plain,
// quoted and literal scalars (a double-quoted escape maps to its
// backslash, a doubled single quote to its first quote). Approximations:
// in folded (>) and multi-line plain or quoted YAML scalars, a line break
// that folding turned into a space maps to the source line break and the
// words map exactly; text that the aligner cannot match (an unknown
// transformation) maps to the nearest preceding source byte. Modelfile
// "..." values are taken verbatim (escapes not decoded). References
// recorded from a promptfoo prompts: map point at the file start.
//
// Limits: files over MaxFileSize (YAML over MaxYAMLSize) are refused,
// JSONL, CSV and record lists stop after MaxRecords records, a JSON
// document holds at most 1<<20 values, JSON and YAML nesting is capped at
// 64 levels, a "---"-separated YAML stream is read to at most 1000
// documents (later ones get sources prefixed "docs[i]."), and YAML aliases
// and merge keys are not followed.
package extract

import (
	"bytes"
	"errors"
	"path"
	"strings"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Limits.
const (
	MaxFileSize = 10 << 20 // bytes
	MaxRecords  = 200_000  // JSONL lines / CSV rows / top-level JSON or YAML records
	MaxYAMLSize = 4 << 20  // YAML documents are parsed only up to this size
)

// Errors.
var (
	ErrTooLarge   = errors.New("extract: file too large (10 MiB; 4 MiB for YAML)")
	ErrLFSPointer = errors.New("extract: skipped: Git LFS pointer")
	// ErrInternal reports a recovered panic (a bug); the file is skipped.
	ErrInternal = errors.New("extract: internal error")
)

// Ref is a reference from a fixture to another file, recorded and not
// followed (promptfoo file:// prompts and tests).
type Ref struct {
	Source string // e.g. "prompts[0]"
	Target string // e.g. "file://prompts/a.txt"
	Pos    promptcore.Position
}

// Result is everything extracted from one file.
type Result struct {
	Segments []promptcore.Segment
	Refs     []Ref
	// Truncated is set when a record limit stopped extraction early.
	Truncated bool
}

// Extract returns the prompt segments of the file at path (a repo-relative
// slash path) with contents data. A file that is not a recognised fixture
// yields no segments and no error. A malformed structured file yields an
// error and whatever was extracted before it.
func Extract(path string, data []byte) ([]promptcore.Segment, error) {
	r, err := ExtractAll(path, data)
	return r.Segments, err
}

// ExtractAll is Extract that also returns references and truncation.
func ExtractAll(p string, data []byte) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			// Never panic on hostile input: report it as an error.
			res, err = Result{}, ErrInternal
		}
	}()
	if len(data) > MaxFileSize {
		return Result{}, ErrTooLarge
	}
	if bytes.HasPrefix(data, []byte("version https://git-lfs.github.com/spec/")) {
		return Result{}, ErrLFSPointer
	}
	e := &emitter{x: newIndex(data), path: p, chatRole: evalRole}
	err = e.dispatch()
	return Result{Segments: e.segs, Refs: e.refs, Truncated: e.truncated}, err
}

// emitter collects segments for one file.
type emitter struct {
	x         *fileIndex
	path      string
	segs      []promptcore.Segment
	refs      []Ref
	truncated bool
	override  promptcore.Role // when set, every segment gets this role
	// chatRole maps chat message roles in generic JSON/YAML files:
	// evalRole in eval sets, templateRole in prompt directories.
	chatRole func(string) promptcore.Role
}

func (e *emitter) emit(text string, role promptcore.Role, source string, loc func(int) promptcore.Position) {
	// Drop only ASCII-blank text: anything else (NBSP, zero-width or tag
	// characters) may be exactly what a detector looks for.
	if strings.Trim(text, " \t\r\n") == "" {
		return
	}
	if e.override != "" {
		role = e.override
	}
	e.segs = append(e.segs, promptcore.Segment{Text: text, Role: role, Source: source, Locate: loc})
}

// emitRange emits data[start:end] verbatim.
func (e *emitter) emitRange(start, end int, role promptcore.Role, source string) {
	if start < 0 || end > len(e.x.data) || start >= end {
		return
	}
	e.emit(string(e.x.data[start:end]), role, source, e.x.verbatim(start, end))
}

// emitStr emits a string node.
func (e *emitter) emitStr(n *node, role promptcore.Role, source string) {
	if n == nil || n.kind != kStr {
		return
	}
	e.emit(n.str, role, source, n.locate)
}

func (e *emitter) ref(source string, n *node) {
	e.refs = append(e.refs, Ref{Source: source, Target: n.str, Pos: n.locate(0)})
}

var (
	agentNames = map[string]bool{
		"agents.md": true, "claude.md": true, "gemini.md": true, ".cursorrules": true,
		".windsurfrules": true, ".clinerules": true, "skill.md": true,
		"copilot-instructions.md": true,
	}
	redteamDirs = map[string]bool{"redteam": true, "red-team": true, "red_team": true}
	evalDirs    = map[string]bool{"evals": true, "eval": true, "evaluations": true, "datasets": true, "registry": true, "data": true}
	systemDirs  = map[string]bool{"system_prompts": true, "system-prompts": true}
	fewShotDirs = map[string]bool{"few_shot": true, "fewshot": true, "few-shot": true}
	promptDirs  = map[string]bool{"prompts": true, "prompt": true, "prompt_templates": true, "prompt-templates": true}
	textExts    = map[string]bool{".txt": true, ".md": true, ".j2": true, ".jinja": true, ".jinja2": true, ".njk": true, ".hbs": true, ".mustache": true, ".liquid": true, ".xml": true, ".mdc": true}
)

// dirs returns the lower-cased directory components of p.
func dirs(p string) []string {
	d := path.Dir(p)
	if d == "." || d == "/" {
		return nil
	}
	return strings.Split(strings.ToLower(strings.Trim(d, "/")), "/")
}

func anyIn(ds []string, set map[string]bool) bool {
	for _, d := range ds {
		if set[d] {
			return true
		}
	}
	return false
}

// isAgentFile reports whether p is an agent instruction file.
func isAgentFile(p string) bool {
	lp := strings.ToLower(strings.TrimPrefix(p, "./"))
	base := path.Base(lp)
	switch {
	case agentNames[base]:
		return true
	case strings.HasSuffix(base, ".instructions.md"):
		return true
	case strings.HasSuffix(base, ".mdc") && strings.Contains("/"+lp, "/.cursor/rules/"):
		return true
	case strings.HasSuffix(base, ".prompt.md") && strings.Contains("/"+lp, "/.github/prompts/"):
		return true
	case strings.HasSuffix(base, ".md") && (strings.Contains("/"+lp, "/.claude/commands/") || strings.Contains("/"+lp, "/.claude/agents/")):
		return true
	}
	return false
}

func (e *emitter) dispatch() error {
	p := e.path
	lp := strings.ToLower(p)
	base := path.Base(lp)
	ext := path.Ext(base)
	ds := dirs(p)
	redteam := anyIn(ds, redteamDirs) || (strings.HasPrefix(base, "redteam") && (ext == ".yaml" || ext == ".yml"))
	if redteam {
		e.override = promptcore.RoleRedTeam
	}
	if anyIn(ds, promptDirs) || anyIn(ds, systemDirs) || anyIn(ds, fewShotDirs) {
		e.chatRole = templateRole
	}
	switch {
	case isAgentFile(p):
		e.markdown(promptcore.RoleAgent)
		return nil
	case ext == ".prompty":
		return e.prompty()
	case strings.HasSuffix(base, ".prompt.yml") || strings.HasSuffix(base, ".prompt.yaml"):
		return e.yamlFile(e.githubModels)
	case ext == ".prompt":
		return e.dotprompt()
	case base == "skprompt.txt":
		e.skprompt(0, len(e.x.data), "")
		return nil
	case base == "modelfile" || strings.HasPrefix(base, "modelfile."):
		e.modelfile()
		return nil
	case base == "tokenizer_config.json" || base == "chat_template.json":
		return e.jsonFile(e.hfChatTemplate)
	case ext == ".jinja" && (base == "chat_template.jinja" || anyIn(ds, map[string]bool{"additional_chat_templates": true}) || !anyIn(ds, promptDirs)):
		e.emitRange(0, len(e.x.data), promptcore.RoleChatTemplate, "template")
		return nil
	case strings.HasPrefix(base, "promptfooconfig") || (redteam && strings.HasPrefix(base, "redteam")):
		if ext == ".json" {
			return e.jsonFile(e.promptfoo)
		}
		return e.yamlFile(e.promptfoo)
	case ext == ".jsonl":
		return e.jsonl()
	case ext == ".json":
		return e.jsonFile(e.generic)
	case ext == ".yaml" || ext == ".yml":
		return e.yamlFile(e.generic)
	case ext == ".csv":
		return e.csv(',')
	case ext == ".tsv":
		return e.csv('\t')
	case textExts[ext]:
		role := promptcore.RoleTemplate
		switch {
		case anyIn(ds, systemDirs):
			role = promptcore.RoleSystem
		case anyIn(ds, fewShotDirs):
			role = promptcore.RoleExample
		case !anyIn(ds, promptDirs) && anyIn(ds, evalDirs):
			role = promptcore.RoleTestInput
		}
		switch {
		case ext == ".md" || ext == ".mdc":
			e.markdown(role)
		case promptflowSection.Match(e.x.data):
			// Azure Prompt flow templates: "# system:" / "# user:" lines.
			e.sections(0, len(e.x.data), promptflowLine, "")
		default:
			e.emitRange(0, len(e.x.data), role, "text")
		}
		return nil
	}
	return nil
}
