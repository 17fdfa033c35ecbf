package gguf

// MaxParsedTemplate lets the external tests lower the syntax-tree limit.
var MaxParsedTemplate = &maxParsedTemplate
