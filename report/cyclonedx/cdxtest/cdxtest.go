// Package cdxtest validates BOMs in tests against the CycloneDX 1.6 JSON
// schema vendored in report/cyclonedx/testdata, with the SPDX and JSF
// schemas it refers to registered under their canonical URLs.
package cdxtest

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaDir is the directory of the vendored schemas.
func SchemaDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Validate fails the test when data is not a valid CycloneDX 1.6 BOM.
func Validate(t testing.TB, data []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, name := range []string{"spdx.schema.json", "jsf-0.82.schema.json"} {
		if err := c.AddResource("http://cyclonedx.org/schema/"+name, load(t, filepath.Join(SchemaDir(), name))); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile(filepath.Join(SchemaDir(), "cyclonedx-1.6.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("not a valid CycloneDX 1.6 BOM: %v", err)
	}
}

func load(t testing.TB, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
