package protoskel_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/modelgate/modelgate/internal/protoskel"
	"github.com/modelgate/modelgate/scanner/onnx/onnxpb"
)

var modelDesc = (&onnxpb.ModelProto{}).ProtoReflect().Descriptor()

// sample is a model that uses most declared fields, bulk ones included.
func sample() *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:     proto.Int64(9),
		ProducerName:  proto.String("test"),
		DocString:     proto.String("doc"),
		OpsetImport:   []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}},
		MetadataProps: []*onnxpb.StringStringEntryProto{{Key: proto.String("k"), Value: proto.String("v")}},
		Graph: &onnxpb.GraphProto{
			Name: proto.String("g"),
			Node: []*onnxpb.NodeProto{{
				OpType: proto.String("If"), Input: []string{"c"}, Output: []string{"o"},
				Attribute: []*onnxpb.AttributeProto{{
					Name: proto.String("then_branch"), Type: proto.Int32(5), Ints: []int64{1, 2, 300},
					G: &onnxpb.GraphProto{Name: proto.String("sub"), Initializer: []*onnxpb.TensorProto{{
						Name: proto.String("c1"), DataType: proto.Int32(7), Dims: []int64{3}, Int64Data: []int64{1, -1, 1 << 40},
					}}},
				}},
			}},
			Initializer: []*onnxpb.TensorProto{
				{Name: proto.String("w"), DataType: proto.Int32(1), Dims: []int64{2, 3}, RawData: make([]byte, 24)},
				{Name: proto.String("f"), DataType: proto.Int32(1), Dims: []int64{5}, FloatData: []float32{1, 2, 3, 4, 5}},
				{Name: proto.String("s"), DataType: proto.Int32(8), Dims: []int64{2}, StringData: [][]byte{[]byte("a"), []byte("bc")}},
			},
		},
	}
}

func read(t testing.TB, data []byte, opt protoskel.Options) (*protoskel.Result, error) {
	t.Helper()
	return protoskel.Read(context.Background(), bytes.NewReader(data), int64(len(data)), modelDesc, opt)
}

func decode(t testing.TB, skel []byte) *onnxpb.ModelProto {
	t.Helper()
	m := &onnxpb.ModelProto{}
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(skel, m); err != nil {
		t.Fatalf("skeleton does not unmarshal: %v", err)
	}
	return m
}

// strip clears bulk fields (on the original) and synthetic fields (on the
// skeleton) so the two can be compared.
func strip(m proto.Message) {
	var walk func(protoreflect.Message)
	walk = func(r protoreflect.Message) {
		r.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			name := string(fd.Name())
			switch {
			case strings.HasPrefix(name, "mg_"), r.Descriptor().Fields().ByName(protoreflect.Name("mg_"+name+"_size")) != nil,
				r.Descriptor().Fields().ByName(protoreflect.Name("mg_"+name+"_count")) != nil:
				r.Clear(fd)
			case fd.Kind() == protoreflect.MessageKind && fd.IsList():
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	walk(m.ProtoReflect())
}

func TestSkeletonMatchesDirectParse(t *testing.T) {
	data, err := proto.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	res, err := read(t, data, protoskel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, res.Skeleton)
	want := sample()
	strip(got)
	strip(want)
	if !proto.Equal(got, want) {
		t.Errorf("skeleton decodes to\n%v\nwant\n%v", got, want)
	}
}

func TestBulkRecorded(t *testing.T) {
	data, err := proto.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	res, err := read(t, data, protoskel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, res.Skeleton)
	inits := m.GetGraph().GetInitializer()
	if got := inits[0].GetMgRawDataSize(); len(got) != 1 || got[0] != 24 {
		t.Errorf("raw_data sizes = %v, want [24]", got)
	}
	if off := inits[0].GetMgRawDataOffset(); len(off) != 1 || !bytes.Equal(data[off[0]:off[0]+24], make([]byte, 24)) {
		t.Errorf("raw_data offsets = %v", off)
	}
	if got := inits[1].GetMgFloatDataCount(); len(got) != 1 || got[0] != 5 {
		t.Errorf("float_data counts = %v, want [5]", got)
	}
	if got := inits[2].GetMgStringDataCount(); len(got) != 2 {
		t.Errorf("string_data counts = %v, want two entries", got)
	}
	sub := m.GetGraph().GetNode()[0].GetAttribute()[0].GetG().GetInitializer()[0]
	if got := sub.GetMgInt64DataCount(); len(got) != 1 || got[0] != 3 {
		t.Errorf("int64_data counts = %v, want [3]", got)
	}
	if inits[0].RawData != nil || inits[1].FloatData != nil {
		t.Error("bulk payloads reached the skeleton")
	}
	if res.Skipped < 24+20 {
		t.Errorf("Skipped = %d, want at least the payloads", res.Skipped)
	}
}

func TestUnpackedElementsCounted(t *testing.T) {
	// A TensorProto with float_data written unpacked (one fixed32 each),
	// inside GraphProto.initializer inside ModelProto.graph.
	var tensor []byte
	for range 3 {
		tensor = protowire.AppendTag(tensor, 4, protowire.Fixed32Type)
		tensor = protowire.AppendFixed32(tensor, 0)
	}
	graph := protowire.AppendTag(nil, 5, protowire.BytesType)
	graph = protowire.AppendBytes(graph, tensor)
	model := protowire.AppendTag(nil, 7, protowire.BytesType)
	model = protowire.AppendBytes(model, graph)
	res, err := read(t, model, protoskel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, res.Skeleton).GetGraph().GetInitializer()[0].GetMgFloatDataCount()
	if len(got) != 3 || got[0]+got[1]+got[2] != 3 {
		t.Errorf("counts = %v, want three single elements", got)
	}
}

func TestForgedSyntheticFieldsDropped(t *testing.T) {
	tensor := protowire.AppendTag(nil, 536870010, protowire.VarintType) // mg_raw_data_size
	tensor = protowire.AppendVarint(tensor, 999)
	graph := protowire.AppendTag(nil, 5, protowire.BytesType)
	graph = protowire.AppendBytes(graph, tensor)
	model := protowire.AppendTag(nil, 7, protowire.BytesType)
	model = protowire.AppendBytes(model, graph)
	res, err := read(t, model, protoskel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, res.Skeleton).GetGraph().GetInitializer()[0].GetMgRawDataSize(); len(got) != 0 {
		t.Errorf("forged size survived: %v", got)
	}
}

func TestStringsTruncated(t *testing.T) {
	m := &onnxpb.ModelProto{DocString: proto.String(strings.Repeat("x", 100))}
	data, _ := proto.Marshal(m)
	res, err := read(t, data, protoskel.Options{MaxString: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, res.Skeleton).GetDocString(); got != strings.Repeat("x", 10) || res.Truncated != 1 {
		t.Errorf("doc_string %q, truncated %d", got, res.Truncated)
	}
}

func TestErrors(t *testing.T) {
	full, _ := proto.Marshal(sample())
	deep := []byte{}
	for range 150 {
		// GraphProto.node → NodeProto.attribute → AttributeProto.g → …
		deep = append(protowire.AppendVarint(protowire.AppendTag(nil, 6, protowire.BytesType), uint64(len(deep))), deep...)
		deep = append(protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.BytesType), uint64(len(deep))), deep...)
		deep = append(protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.BytesType), uint64(len(deep))), deep...)
	}
	deep = append(protowire.AppendVarint(protowire.AppendTag(nil, 7, protowire.BytesType), uint64(len(deep))), deep...)
	cases := []struct {
		name string
		data []byte
		opt  protoskel.Options
		want string
	}{
		{"truncated", full[:len(full)-3], protoskel.Options{}, "runs past"},
		{"bad wire type", []byte{0x0f}, protoskel.Options{}, "wire type 7"},
		{"field zero", []byte{0x00, 0x01}, protoskel.Options{}, "field number 0"},
		{"stray end group", []byte{0x0c}, protoskel.Options{}, "end-group"},
		{"open group", []byte{0xfb, 0x01}, protoskel.Options{}, "not closed"},
		{"long varint", append([]byte{0x08}, bytes.Repeat([]byte{0xff}, 11)...), protoskel.Options{}, "longer than 64 bits"},
		{"deep", deep, protoskel.Options{MaxDepth: 100}, "deeper than 100"},
	}
	for _, c := range cases {
		_, err := read(t, c.data, c.opt)
		var fe *protoskel.FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want a FormatError about %q", c.name, err, c.want)
		}
	}
	if _, err := read(t, full, protoskel.Options{MaxOutput: 20}); !errors.Is(err, protoskel.ErrTooLarge) {
		t.Errorf("small MaxOutput: error %v, want ErrTooLarge", err)
	}
}

// FuzzDifferential checks protoskel against the protobuf runtime: an input
// the runtime parses must yield a skeleton that decodes to the same
// message (bulk and synthetic fields aside), and one it rejects must be
// rejected.
func FuzzDifferential(f *testing.F) {
	data, _ := proto.Marshal(sample())
	f.Add(data)
	f.Add([]byte{0x08, 0x01, 0x3a, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		direct := &onnxpb.ModelProto{}
		directErr := (proto.UnmarshalOptions{DiscardUnknown: true, RecursionLimit: 50}).Unmarshal(data, direct)
		res, err := read(t, data, protoskel.Options{MaxDepth: 1000})
		if err != nil && !errors.As(err, new(*protoskel.FormatError)) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if directErr != nil && strings.Contains(directErr.Error(), "recursion") {
			return
		}
		if (err == nil) != (directErr == nil) {
			t.Fatalf("protoskel error %v, runtime error %v", err, directErr)
		}
		if err != nil {
			return
		}
		got := decode(t, res.Skeleton)
		strip(got)
		strip(direct)
		if !proto.Equal(got, direct) {
			t.Fatalf("skeleton decodes to\n%v\nruntime parse\n%v", got, direct)
		}
	})
}
