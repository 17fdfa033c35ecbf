package onnx

import (
	"bytes"
	"context"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// TestStructureTooLarge lowers the structure limit below a small model's
// and expects the low-severity note instead of an analysis.
func TestStructureTooLarge(t *testing.T) {
	defer func(old int) { maxSkeleton = old }(maxSkeleton)
	maxSkeleton = 64
	data := []byte("\x08\x08\x32\x80\x01" + string(bytes.Repeat([]byte("d"), 128))) // ir_version 8, doc_string of 128 bytes
	r := bytes.NewReader(data)
	sniff, err := format.Detect(r, int64(len(data)), "big.onnx")
	if err != nil {
		t.Fatal(err)
	}
	in := &scanner.Input{File: scanner.File{Path: "big.onnx", Size: int64(len(data)), Sniff: sniff}, R: r}
	fs, err := New().Scan(context.Background(), in)
	if err != nil || len(fs) != 1 || fs[0].RuleID != ruleTooLarge {
		t.Fatalf("findings %+v, error %v; want one %s", fs, err, ruleTooLarge)
	}
	t.Log(fs[0].Message)
}
