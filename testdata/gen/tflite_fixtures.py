"""Writes the TFLite scanner fixtures.

Run from the repository root:  python3 testdata/gen/tflite_fixtures.py

Outputs scanner/tflite/testdata/*.tflite: a valid two-operator model (ADD
and FULLY_CONNECTED in one subgraph, with buffers, metadata and a signature)
that the scanner must pass silently, the same with a stock custom op, and
one file per check: custom and Flex operators, a Flex operator whose NodeDef
runs another op than its name says, inconsistent operator codes, malformed
offsets, truncation, and text in the description. The rule IDs each file
must yield are listed in scanner/tflite/tflite_test.go.

Standard library only (Python 3.11); deterministic. The FlatBuffers are
built by the small forward builder below (each table preceded by its
vtable, children placed after their parent, every offset 4-byte aligned),
which the FlatBuffers verifier accepts. Field numbers follow
tensorflow/lite/schema/schema.fbs. No file carries a working payload: the
Flex NodeDefs name ops and an input, nothing more.
"""
import os
import struct

OUT = os.path.join("scanner", "tflite", "testdata")

# BuiltinOperator codes.
ADD, FULLY_CONNECTED, CUSTOM = 0, 9, 32
FLOAT32 = 0

SIZES = {"u8": 1, "i8": 1, "i32": 4, "u32": 4, "u64": 8, "ref": 4}
FORMATS = {"u8": "B", "i8": "b", "i32": "i", "u32": "I", "u64": "Q"}


class Builder:
    """Lays out a FlatBuffer front to back: root offset and identifier,
    then each table after its vtable, then the table's children."""

    def __init__(self, ident=b"TFL3"):
        self.buf = bytearray(4) + ident

    def align(self, n):
        self.buf += bytes(-len(self.buf) % n)

    def table(self, fields):
        """fields maps slot -> (kind, value); kind "ref" takes an emitter
        (a function of the builder returning the child's offset)."""
        items = sorted(fields.items(), key=lambda kv: (-SIZES[kv[1][0]], kv[0]))
        layout, off = {}, 4
        for slot, (kind, _) in items:
            size = SIZES[kind]
            off += -off % size
            layout[slot] = off
            off += size
        tsize = off + (-off % 4)
        nslots = max(fields) + 1 if fields else 0
        vtable = struct.pack("<HH", 4 + 2 * nslots, tsize) + b"".join(
            struct.pack("<H", layout.get(i, 0)) for i in range(nslots))
        self.align(2)
        vpos = len(self.buf)
        self.buf += vtable
        self.align(8 if any(k == "u64" for k, _ in fields.values()) else 4)
        tpos = len(self.buf)
        self.buf += bytes(tsize)
        struct.pack_into("<i", self.buf, tpos, tpos - vpos)
        refs = []
        for slot, (kind, value) in sorted(fields.items()):
            at = tpos + layout[slot]
            if kind == "ref":
                refs.append((at, value))
            else:
                struct.pack_into("<" + FORMATS[kind], self.buf, at, value)
        for at, emit in refs:
            struct.pack_into("<I", self.buf, at, emit(self) - at)
        return tpos

    def string(self, s):
        b = s.encode() if isinstance(s, str) else s
        self.align(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(b)) + b + b"\0"
        return pos

    def ints(self, values):
        self.align(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(values)) + b"".join(struct.pack("<i", v) for v in values)
        return pos

    def ubytes(self, data):
        self.align(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(data)) + data
        return pos

    def tables(self, specs):
        self.align(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(specs)) + bytes(4 * len(specs))
        for i, spec in enumerate(specs):
            slot = pos + 4 + 4 * i
            struct.pack_into("<I", self.buf, slot, self.table(spec) - slot)
        return pos

    def finish(self, root_fields):
        root = self.table(root_fields)
        struct.pack_into("<I", self.buf, 0, root)
        return bytes(self.buf)


# Field helpers: each returns a (kind, value) pair for Builder.table.
def S(s): return ("ref", lambda b: b.string(s))
def I(v): return ("ref", lambda b: b.ints(v))
def B(d): return ("ref", lambda b: b.ubytes(d))
def T(specs): return ("ref", lambda b: b.tables(specs))


def opcode(code, custom=None, deprecated=None):
    fields = {0: ("i8", min(code, 127) if deprecated is None else deprecated),
              2: ("i32", 1), 3: ("i32", code)}
    if custom is not None:
        fields[1] = S(custom)
    return fields


def operator(index, inputs, outputs, options=None):
    fields = {0: ("u32", index), 1: I(inputs), 2: I(outputs)}
    if options is not None:
        fields[5] = B(options)
        fields[6] = ("i8", 0)  # FLEXBUFFERS
    return fields


def tensor(name, shape, buffer):
    return {0: I(shape), 1: ("i8", FLOAT32), 2: ("u32", buffer), 3: S(name)}


def flexbuffer_strings(strs):
    """A FlexBuffer vector of strings, 1-byte widths (what the TFLite
    converter writes for a Flex op: [op name, serialized NodeDef])."""
    buf, offs = bytearray(), []
    for s in strs:
        assert len(s) < 200
        buf.append(len(s))
        offs.append(len(buf))
        buf += s + b"\0"
    buf.append(len(strs))
    vec = len(buf)
    for i, o in enumerate(offs):
        buf.append(vec + i - o)
    buf += bytes([5 << 2] * len(strs))  # FBT_STRING, 8-bit
    root = len(buf)
    buf += bytes([root - vec, 10 << 2, 1])  # offset, FBT_VECTOR 8-bit, root width
    return bytes(buf)


def proto_string(field, s):
    b = s.encode()
    assert len(b) < 128
    return bytes([field << 3 | 2, len(b)]) + b


def nodedef(name, op, inputs):
    """A serialized tensorflow.NodeDef: name (1), op (2), input (3)."""
    return proto_string(1, name) + proto_string(2, op) + b"".join(proto_string(3, i) for i in inputs)


def flex_options(op, inputs=("filename",)):
    return flexbuffer_strings([op.encode(), nodedef(op.lower(), op, inputs)])


def model(opcodes=None, extra_ops=(), description="MLIR Converted.", version=3,
          buffers=None, extra_tensors=()):
    """The valid model: out = FULLY_CONNECTED(x, w, b) + x, plus extra
    operators (index, inputs, outputs, options) appended to the subgraph."""
    if opcodes is None:
        opcodes = [opcode(ADD), opcode(FULLY_CONNECTED)]
    tensors = [tensor("x", [1, 4], 0), tensor("w", [4, 4], 1), tensor("b", [4], 2),
               tensor("fc", [1, 4], 0), tensor("out", [1, 4], 0)] + list(extra_tensors)
    operators = [operator(1, [0, 1, 2], [3]), operator(0, [3, 0], [4])] + [operator(*o) for o in extra_ops]
    if buffers is None:
        buffers = [{}, {0: B(struct.pack("<16f", *[i / 16 for i in range(16)]))},
                   {0: B(struct.pack("<4f", 0.1, 0.2, 0.3, 0.4))},
                   {0: B(b"1.14.0\0\0\0\0\0\0\0\0\0\0")}]
    fields = {
        0: ("u32", version),
        1: T(opcodes),
        2: T([{0: T(tensors), 1: I([0]), 2: I([4]), 3: T(operators), 4: S("main")}]),
        4: T(buffers),
        6: T([{0: S("min_runtime_version"), 1: ("u32", 3)}]),
        7: T([{0: T([{0: S("x"), 1: ("u32", 0)}]), 1: T([{0: S("out"), 1: ("u32", 4)}]),
               2: S("serving_default"), 4: ("u32", 0)}]),
    }
    if description is not None:
        fields[3] = S(description)
    return Builder().finish(fields)


def patch_u32(data, at, value):
    b = bytearray(data)
    struct.pack_into("<I", b, at, value)
    return bytes(b)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".tflite"):
            os.remove(os.path.join(OUT, old))

    valid = model()
    write("valid-add-fc.tflite", valid)
    write("valid-stock-custom-op.tflite", model(
        opcodes=[opcode(ADD), opcode(FULLY_CONNECTED), opcode(CUSTOM, "TFLite_Detection_PostProcess")],
        extra_ops=[(2, [4], [4], b"\x00")]))

    # Custom and Flex operators.
    write("custom-op.tflite", model(
        opcodes=[opcode(ADD), opcode(FULLY_CONNECTED), opcode(CUSTOM, "MyNativeOp")],
        extra_ops=[(2, [4], [4], b"\x00\x01")]))
    flex = lambda name, op: model(
        opcodes=[opcode(ADD), opcode(FULLY_CONNECTED), opcode(CUSTOM, name)],
        extra_ops=[(2, [4], [4], flex_options(op))])
    write("flex-readfile.tflite", flex("FlexReadFile", "ReadFile"))
    write("flex-pyfunc.tflite", flex("FlexEagerPyFunc", "EagerPyFunc"))
    write("flex-rfft.tflite", flex("FlexRFFT", "RFFT"))
    write("flex-disguised.tflite", flex("FlexAdd", "WriteFile"))
    write("flex-bad-options.tflite", model(
        opcodes=[opcode(ADD), opcode(FULLY_CONNECTED), opcode(CUSTOM, "FlexRFFT")],
        extra_ops=[(2, [4], [4], b"\x01\x02\x03\x04")]))
    write("flex-unused.tflite", model(
        opcodes=[opcode(ADD), opcode(FULLY_CONNECTED), opcode(CUSTOM, "FlexWriteFile")]))

    # Inconsistent operator codes (MG3306).
    write("opcode-inconsistent.tflite", model(opcodes=[opcode(ADD), opcode(FULLY_CONNECTED, deprecated=3)]))
    write("opcode-custom-unnamed.tflite", model(
        opcodes=[opcode(ADD), opcode(FULLY_CONNECTED), opcode(CUSTOM)],
        extra_ops=[(2, [4], [4], b"\x00")]))

    # Malformed FlatBuffers (MG3301).
    write("bad-root-offset.tflite", patch_u32(valid, 0, 0x7FFFFFF0))
    root = struct.unpack_from("<I", valid, 0)[0]
    write("bad-vtable.tflite", patch_u32(valid, root, 0x40000000))
    desc = valid.index(b"MLIR Converted.")
    write("string-past-eof.tflite", patch_u32(valid, desc - 4, 0x10000000))
    write("opcode-index-out-of-range.tflite", model(extra_ops=[(7, [4], [4])]))
    write("bad-version.tflite", model(version=2))
    write("buffer-offset-past-eof.tflite", model(buffers=[
        {}, {1: ("u64", 1 << 40), 2: ("u64", 64)}, {0: B(bytes(16))}, {0: B(b"1.14.0\0\0")}]))
    weights = valid.index(struct.pack("<16f", *[i / 16 for i in range(16)]))
    write("buffer-data-past-eof.tflite", patch_u32(valid, weights - 4, 0x7FFF0000))
    write("truncated.tflite", valid[: len(valid) // 2])
    write("not-tflite.tflite", b"\x00\x01\x02\x03" + b"this is not a flatbuffer at all" + bytes(64))

    # Text (MG3307, MG3308).
    write("description-url.tflite", model(description="Converted from https://example.invalid/models/fc?key=secret"))
    write("description-code.tflite", model(description="import os; os.system('sh -c true')"))


if __name__ == "__main__":
    main()
