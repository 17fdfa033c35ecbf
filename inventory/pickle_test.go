package inventory

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

// pk assembles a pickle from opcodes and operands.
type pk struct{ bytes.Buffer }

func (p *pk) op(b ...byte) *pk { p.Write(b); return p }
func (p *pk) str(s string) *pk {
	p.WriteByte(0x8c) // SHORT_BINUNICODE
	p.WriteByte(byte(len(s)))
	p.WriteString(s)
	return p
}
func (p *pk) global(mod, name string) *pk { return p.str(mod).str(name).op(0x93) }
func (p *pk) int1(n byte) *pk             { return p.op('K', n) }

// tensor pushes _rebuild_tensor_v2(persid(storage), 0, shape, stride, False, {}).
func (p *pk) tensor(storage string, shape ...byte) *pk {
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.op('(')
	p.op('(').str("storage").global("torch", storage).str("0").str("cpu").int1(4).op('t', 'Q') // BINPERSID
	p.int1(0)
	p.op('(')
	for _, d := range shape {
		p.int1(d)
	}
	p.op('t')
	p.op(')').op(0x89).op('}') // stride (), False, {}
	p.op('t', 'R')
	return p
}

func TestWalkNestedStateDict(t *testing.T) {
	p := &pk{}
	p.op(0x80, 2).op('}')                                                                    // PROTO 2, EMPTY_DICT (the checkpoint)
	p.str("model")                                                                           // key
	p.global("collections", "OrderedDict").op(')', 'R')                                      // OrderedDict()
	p.op('q', 0)                                                                             // BINPUT 0
	p.op('(').str("w").tensor("HalfStorage", 2, 3).str("b").tensor("LongStorage", 3).op('u') // SETITEMS
	p.op('}', 'b')                                                                           // BUILD with a state: the dict stays
	p.op('s')                                                                                // SETITEM into the checkpoint
	p.str("again").op('h', 0).op('s')                                                        // the same dict by memo
	p.op('.')
	ts, err := walkStateDict(context.Background(), p.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tn := range ts {
		names = append(names, tn.Name+":"+tn.DType)
	}
	// The dict is set twice (the second time by memo); its tensors keep the
	// first path.
	if got := strings.Join(names, ","); got != "model.w:float16,model.b:int64" {
		t.Errorf("names %s", got)
	}
	if len(ts) != 2 || ts[0].Shape[1] != 3 || ts[1].DType != "int64" {
		t.Errorf("tensors %+v", ts)
	}
}

func TestWalkBounds(t *testing.T) {
	deep := bytes.Repeat([]byte{'('}, 1<<17)
	manyOps := bytes.Repeat([]byte{'N', '0'}, 1<<12)
	memo := &pk{}
	memo.op('N')
	for i := range maxMemo + 1 {
		memo.op('r').Write(binary.LittleEndian.AppendUint32(nil, uint32(i)))
	}
	bigStack := bytes.Repeat([]byte{'N'}, maxStack+2)
	for name, tc := range map[string]struct {
		data []byte
		lim  Limits
		want string
	}{
		"marks":        {deep, Limits{}, "no STOP"},
		"ops":          {manyOps, Limits{MaxOps: 1000}, "more than 1000 opcodes"},
		"memo":         {memo.Bytes(), Limits{}, "memo entries"},
		"stack":        {bigStack, Limits{}, "stack deeper"},
		"long string":  {append([]byte{0x8d}, binary.LittleEndian.AppendUint64(nil, 1<<62)...), Limits{}, "runs past the end"},
		"bad opcode":   {[]byte{0xff}, Limits{}, "no opcode"},
		"underflow":    {[]byte{'R'}, Limits{}, "underflow"},
		"missing memo": {[]byte{'h', 9}, Limits{}, "not set"},
	} {
		_, err := walkStateDict(context.Background(), tc.data, tc.lim)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

func TestWalkTensorCap(t *testing.T) {
	p := &pk{}
	p.op('}', '(')
	for i := range 20 {
		p.str(string(rune('a'+i))).tensor("FloatStorage", 1)
	}
	p.op('u', '.')
	ts, err := walkStateDict(context.Background(), p.Bytes(), Limits{MaxTensors: 5})
	if len(ts) != 5 || !errors.Is(err, errFull) {
		t.Errorf("%d tensors, %v", len(ts), err)
	}
}

func TestWalkHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := walkStateDict(ctx, []byte{'N', '.'}, Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("%v", err)
	}
}

// FuzzReaders runs every inventory parser over the same bytes, with small
// limits so the caps are exercised. Panics are not recovered here.
func FuzzReaders(f *testing.F) {
	for _, p := range []string{
		"../testdata/clean/models/model.safetensors",
		"../scanner/gguf/testdata/valid-llama.gguf",
		"../scanner/gguf/testdata/valid-v1.gguf",
		"../testdata/pickle/benign/torch-dtypes.pt",
	} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	seed := &pk{}
	seed.op(0x80, 2, '}', '(').str("w").tensor("FloatStorage", 2, 2).op('u', '.')
	f.Add(seed.Bytes())
	lim := Limits{MaxHeader: 1 << 16, MaxGGUFHeader: 1 << 16, MaxPickle: 1 << 16, MaxOps: 1 << 14, MaxTensors: 64}.withDefaults()
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for _, read := range []func(*Model){
			func(m *Model) { readSafetensors(m, r, lim) },
			func(m *Model) { readGGUF(m, r, lim) },
			func(m *Model) { readZip(context.Background(), m, r, lim) },
		} {
			m := &Model{Size: int64(len(data))}
			read(m)
			if len(m.Tensors) > lim.MaxTensors || len(m.Tensors) > max(m.TensorCount, 0) && m.TensorCount != 0 {
				t.Fatalf("%d tensors listed, %d declared, cap %d", len(m.Tensors), m.TensorCount, lim.MaxTensors)
			}
			m.Parameters()
		}
		ts, _ := walkStateDict(context.Background(), data, lim)
		if len(ts) > lim.MaxTensors {
			t.Fatalf("%d tensors past the cap", len(ts))
		}
	})
}
