package pickleops_test

import (
	"testing"

	"github.com/modelgate/modelgate/internal/pickleops"
)

func TestPlausible(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		complete bool
		want     bool
	}{
		{"protocol 2 header", "\x80\x02}q\x00.", true, true},
		{"protocol 5 frame cut", "\x80\x05\x95\x10\x00\x00", false, true},
		{"frame longer than the stream", "\x80\x04\x95\xff\xff\xff\xff\x00\x00\x00\x00}.", true, false},
		{"huge bytes first, within the stream", "\x80\x04\x8e\x00\x00\x10\x00\x00\x00\x00\x00", false, true},
		{"bytes length past the stream", "\x80\x04B\xff\xff\xff\x7f", false, false},
		{"random bytes after a proto header", "\x80\x02\xff\x13\x77", false, false},
		{"protocol 9 is no pickle", "\x80\x09}.", true, false},
		{"protocol 0 dict", "(dp0\nVa\np1\nI1\nsS'b'\np2\nI2\ns.", true, true},
		{"protocol 0 global and reduce", "cos\nsystem\n(S'echo hi'\ntR.", true, true},
		{"protocol 1 list", "]q\x00(K\x01K\x02e.", true, true},
		{"single NONE then STOP", "N.", true, true},
		{"prose starting with a paren", "(see the appendix) for details\n", true, false},
		{"prose starting with I", "I think this is fine.\n", true, false},
		{"json object", "{\"a\": 1}", true, false},
		{"markdown heading", "# Title\n\ntext", true, false},
		{"stack underflow", "a.", true, false},
		{"global with a non-identifier", "cos system\nx\n.", true, false},
		{"stop on an empty stack", ".", true, false},
		{"empty", "", true, false},
		{"many valid opcodes, cut", "(((((((((NNNNNNNN", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := int64(len(tt.data))
			if !tt.complete {
				size += 1 << 20
			}
			if got := pickleops.Plausible([]byte(tt.data), size); got != tt.want {
				t.Errorf("Plausible(%q) = %v, want %v", tt.data, got, tt.want)
			}
		})
	}
}

func TestTableIsConsistent(t *testing.T) {
	n := 0
	for b := 0; b < 256; b++ {
		op := pickleops.Lookup(byte(b))
		if op == nil {
			continue
		}
		n++
		if op.Code != byte(b) || op.Proto > pickleops.HighestProtocol || op.Name == "" {
			t.Errorf("opcode 0x%02x: %+v", b, op)
		}
	}
	if n != 68 { // pickletools lists 68 opcodes for protocols 0-5
		t.Errorf("%d opcodes, want 68", n)
	}
}

func FuzzPlausible(f *testing.F) {
	f.Add([]byte("\x80\x02}q\x00."), true)
	f.Add([]byte("cos\nsystem\n(S'x'\ntR."), false)
	f.Fuzz(func(t *testing.T, data []byte, complete bool) {
		size := int64(len(data))
		if !complete {
			size += 1 << 20
		}
		pickleops.Plausible(data, size)
	})
}

func TestPlausibleBrokenAfterCall(t *testing.T) {
	data := []byte("cbuiltins\nexec\n(Vprint(1)\ntR\xff")
	if !pickleops.Plausible(data, int64(len(data))) {
		t.Fatal("a pickle that calls exec and then breaks must still sniff as a pickle")
	}
}
