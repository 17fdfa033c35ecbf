// Package schema embeds the JSON Schemas of modelgate's own files: the
// JSON report (result-v1.json) and the policy file (config-v1.json).
package schema

import _ "embed"

// Config is the JSON Schema of .modelgate.yml.
//
//go:embed config-v1.json
var Config []byte

// Result is the JSON Schema of the JSON report.
//
//go:embed result-v1.json
var Result []byte
