package extract

import (
	"bytes"
	"path"
	"strings"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// References: promptfoo file:// prompts and tests and LangChain
// template_path / examples name other files. Extract records them as Refs;
// the scanner decides whether to follow them and reads the target, and
// ExtractRef turns the target into segments with the role the reference
// implies.

// RefPath returns the file path a reference names (without file:// and
// without a promptfoo ":function" suffix) and whether it names a prompt
// file worth following: code (.py, .js, .ts), globs and URLs are not.
func RefPath(target string) (string, bool) {
	p := strings.TrimPrefix(target, "file://")
	if strings.ContainsAny(p, "*?[{") || strings.Contains(p, "://") || p == "" {
		return "", false
	}
	if i := strings.LastIndexByte(p, ':'); i > 0 && !strings.ContainsRune(p[i:], '/') {
		p = p[:i] // promptfoo "file://prompts.py:get_prompt"
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".py", ".js", ".mjs", ".cjs", ".ts", ".sh", ".exe", ".so":
		return "", false
	}
	return p, true
}

// RefRole is the role of the text a reference leads to, from the
// reference's source: promptfoo tests and vars are test input, LangChain
// examples are few-shot examples, everything else is a template.
func RefRole(source string) promptcore.Role {
	switch {
	case strings.HasPrefix(source, "tests"), strings.HasPrefix(source, "defaultTest"):
		return promptcore.RoleTestInput
	case strings.HasSuffix(source, "examples"):
		return promptcore.RoleExample
	}
	return promptcore.RoleTemplate
}

// ExtractRef extracts the file at p (read because ref named it): JSON,
// JSON Lines, YAML, CSV and TSV by their structure (chat messages of a
// prompt reference read as template roles), any other file as one
// verbatim segment with RefRole's role. The limits of ExtractAll apply;
// the target's own references are not returned (references are followed
// one level deep).
func ExtractRef(ref Ref, p string, data []byte) (segs []promptcore.Segment, err error) {
	defer func() {
		if r := recover(); r != nil {
			segs, err = nil, ErrInternal
		}
	}()
	if len(data) > MaxFileSize {
		return nil, ErrTooLarge
	}
	if bytes.HasPrefix(data, []byte("version https://git-lfs.github.com/spec/")) {
		return nil, ErrLFSPointer
	}
	role := RefRole(ref.Source)
	e := &emitter{x: newIndex(data), path: p, chatRole: evalRole}
	if role == promptcore.RoleTemplate {
		e.chatRole = templateRole
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".json":
		err = e.jsonFile(e.generic)
	case ".jsonl":
		err = e.jsonl()
	case ".yaml", ".yml":
		err = e.yamlFile(e.generic)
	case ".csv":
		err = e.csv(',')
	case ".tsv":
		err = e.csv('\t')
	default:
		e.emitRange(0, len(data), role, "file")
	}
	return e.segs, err
}
