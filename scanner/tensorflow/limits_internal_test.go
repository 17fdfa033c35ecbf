package tensorflow

import (
	"bytes"
	"context"
	"testing"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// TestStructureTooLarge lowers the structure limit below a small file's
// and expects the low-severity note instead of an analysis.
func TestStructureTooLarge(t *testing.T) {
	defer func(old int) { maxSkeleton = old }(maxSkeleton)
	maxSkeleton = 64
	// SavedModel{meta_graphs: [MetaGraphDef{meta_info_def: {tags: [128 × "t"]}}]}
	tags := append([]byte("\x22\x80\x01"), bytes.Repeat([]byte("t"), 128)...)
	info := append([]byte{0x0a, byte(len(tags)), 0x01}, tags...)
	info[1] |= 0x80
	mg := append([]byte{0x12, byte(len(info)) | 0x80, 0x01}, info...)
	data := append([]byte("\x08\x01"), mg...)
	r := bytes.NewReader(data)
	sniff, err := format.Detect(r, int64(len(data)), "m/saved_model.pb")
	if err != nil {
		t.Fatal(err)
	}
	in := &scanner.Input{File: scanner.File{Path: "m/saved_model.pb", Size: int64(len(data)), Sniff: sniff}, R: r}
	fs, err := New().Scan(context.Background(), in)
	if err != nil || len(fs) != 1 || fs[0].RuleID != ruleTooLarge {
		t.Fatalf("findings %+v, error %v; want one %s", fs, err, ruleTooLarge)
	}
	t.Log(fs[0].Message)
}
