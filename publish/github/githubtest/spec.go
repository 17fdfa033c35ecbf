package githubtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// specURL names the OpenAPI document inside the schema compiler.
const specURL = "https://fake.github.invalid/openapi.json"

// SpecPath is the OpenAPI subset every request is checked against:
// testdata/github/github-rest-subset.json at the repository root.
func SpecPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "github", "github-rest-subset.json")
}

// operation is one method+path of the spec.
type operation struct {
	id, method, template string
	pattern              *regexp.Regexp
	pathParams           []param // in template order
	queryParams          map[string]param
	bodyRequired         bool
	body                 *jsonschema.Schema
}

type param struct {
	name, typ string
}

type spec struct {
	ops []*operation
}

type openAPI struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Parameters map[string]rawParam `json:"parameters"`
	} `json:"components"`
}

type rawParam struct {
	Ref    string `json:"$ref"`
	Name   string `json:"name"`
	In     string `json:"in"`
	Schema struct {
		Type string `json:"type"`
	} `json:"schema"`
}

type rawOp struct {
	OperationID string     `json:"operationId"`
	Parameters  []rawParam `json:"parameters"`
	RequestBody *struct {
		Required bool                       `json:"required"`
		Content  map[string]json.RawMessage `json:"content"`
	} `json:"requestBody"`
}

// loadSpec reads the OpenAPI subset and compiles each request-body schema.
func loadSpec(path string) (*spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc openAPI
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(specURL, inst); err != nil {
		return nil, err
	}
	s := &spec{}
	for template, methods := range doc.Paths {
		for method, raw := range methods {
			op, err := compileOp(c, &doc, template, method, raw)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, template, err)
			}
			s.ops = append(s.ops, op)
		}
	}
	slices.SortFunc(s.ops, func(a, b *operation) int { return strings.Compare(a.id, b.id) })
	return s, nil
}

func compileOp(c *jsonschema.Compiler, doc *openAPI, template, method string, raw json.RawMessage) (*operation, error) {
	var ro rawOp
	if err := json.Unmarshal(raw, &ro); err != nil {
		return nil, err
	}
	op := &operation{id: ro.OperationID, method: strings.ToUpper(method), template: template, queryParams: map[string]param{}}
	inPath := map[string]param{}
	for _, p := range ro.Parameters {
		if p.Ref != "" {
			p = doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
		}
		switch p.In {
		case "path":
			inPath[p.Name] = param{p.Name, p.Schema.Type}
		case "query":
			op.queryParams[p.Name] = param{p.Name, p.Schema.Type}
		}
	}
	for _, n := range templateParam.FindAllStringSubmatch(template, -1) {
		p, ok := inPath[n[1]]
		if !ok {
			return nil, fmt.Errorf("path parameter %s is not declared", n[1])
		}
		op.pathParams = append(op.pathParams, p)
	}
	op.pattern = regexp.MustCompile("^" + templateParam.ReplaceAllString(template, `([^/]+)`) + "$")
	if ro.RequestBody != nil {
		op.bodyRequired = ro.RequestBody.Required
		ptr := "/paths/" + pointerEscape(template) + "/" + method + "/requestBody/content/application~1json/schema"
		sch, err := c.Compile(specURL + "#" + ptr)
		if err != nil {
			return nil, err
		}
		op.body = sch
	}
	return op, nil
}

// templateParam matches "{name}" in a path template (templates hold no
// other regexp metacharacters).
var templateParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func pointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// match finds the operation of a request path (without the API prefix).
func (s *spec) match(method, path string) (*operation, []string) {
	for _, op := range s.ops {
		if op.method != method {
			continue
		}
		if m := op.pattern.FindStringSubmatch(path); m != nil {
			return op, m[1:]
		}
	}
	return nil, nil
}

// checkValue checks a path or query value against its declared type.
func checkValue(p param, v string) error {
	switch p.typ {
	case "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("%s=%q is not an integer", p.name, v)
		}
	case "string":
		if v == "" {
			return fmt.Errorf("%s is empty", p.name)
		}
	}
	return nil
}
