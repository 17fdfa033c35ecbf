"""Writes the content-sniffing fixtures into scanner/format/testdata/.

Run from the repository root:  python3 testdata/gen/sniff.py

Standard library only; the output is deterministic, so re-running it leaves
the tree unchanged. Every file is a real instance of its format written by
Python's own encoder (pickle, zipfile, tarfile, gzip, bz2, lzma, zlib) or, for
formats without a stdlib writer, laid out byte by byte from the format's spec.
No fixture here carries a payload: these only exercise routing.
"""
import bz2
import collections
import gzip
import hashlib
import io
import json
import lzma
import os
import pickle
import struct
import tarfile
import zipfile
import zlib

OUT = os.path.join("scanner", "format", "testdata")
FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def sample():
    return {"weights": [1.0, 2.5, -3.0], "name": "layer", "shape": (3,), "ok": True}


def torch_like_zip(root="archive"):
    """A zip laid out like torch.save's: <root>/data.pkl, data/0, version."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in [
            (f"{root}/data.pkl", pickle.dumps(collections.OrderedDict(w=1), protocol=2)),
            (f"{root}/data/0", b"\x00" * 16),
            (f"{root}/version", b"3\n"),
        ]:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            z.writestr(info, data)
    return buf.getvalue()


def plain_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("docs/readme.txt", FIXED_TIME), b"hello\n" * 20)
    return buf.getvalue()


def npy(shape=(2, 2)):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %r, }" % (shape,)
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + b"\x00" * 16


def gguf():
    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b
    kv = s("general.architecture") + struct.pack("<I", 8) + s("llama")
    return b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + kv


def tflite():
    # FlatBuffer root offset, then the "TFL3" file identifier at bytes 4..7.
    return struct.pack("<I", 16) + b"TFL3" + b"\x00" * 40


def hdf5(user_block=0):
    return b"\x00" * user_block + b"\x89HDF\r\n\x1a\n" + b"\x00" * 64


def safetensors():
    header = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"\x00" * 8


def tar():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        data = pickle.dumps([1, 2, 3], protocol=2)
        info = tarfile.TarInfo("model/data.pkl")
        info.size, info.mtime = len(data), 0
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def lfs_pointer(content=b"pretend model weights"):
    oid = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(content)}\n".encode()


def main():
    os.makedirs(OUT, exist_ok=True)
    for proto in range(0, 6):
        write(f"pickle-p{proto}.pkl", pickle.dumps(sample(), protocol=proto))
    write("pickle-p0-list.pkl", pickle.dumps([1, "two", 3.0], protocol=0))
    write("pickle-p2.bin", pickle.dumps(sample(), protocol=2))  # a pickle named .bin
    write("torch-zip.pt", torch_like_zip())
    write("torch-zip.pkl", torch_like_zip("model"))  # a PyTorch zip named .pkl
    write("plain.zip", plain_zip())
    write("array.npy", npy())
    write("model.gguf", gguf())
    write("model.tflite", tflite())
    write("weights.h5", hdf5())
    write("userblock.h5", hdf5(512))
    write("model.safetensors", safetensors())
    write("model.tar", tar())
    data = pickle.dumps(sample(), protocol=4)
    write("model.pkl.gz", gzip.compress(data, mtime=0))
    write("model.pkl.bz2", bz2.compress(data))
    write("model.pkl.xz", lzma.compress(data, format=lzma.FORMAT_XZ))
    write("model.pkl.lzma", lzma.compress(data, format=lzma.FORMAT_ALONE))
    write("model.joblib", zlib.compress(data))
    write("model.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24)
    write("model.zst", b"\x28\xb5\x2f\xfd" + b"\x00" * 16)
    write("model.lz4", b"\x04\x22\x4d\x18" + b"\x00" * 16)
    write("pointer.safetensors", lfs_pointer())
    write("onnx-like.onnx", b"\x08\x07\x12\x07pytorch")
    write("saved_model.pb", b"\x08\x01\x12\x04\x0a\x02\x08\x01")
    write("notes.txt", b"Summarise the following text in three bullet points.\n")
    write("lookalike.txt", b"(see the appendix) for the list of tuples.\n")
    write("random.bin", bytes((i * 37 + 11) % 256 for i in range(256)))
    write("empty.bin", b"")
    # Disguise and polyglot cases.
    write("disguised.safetensors", pickle.dumps(sample(), protocol=2))
    write("polyglot.pt", pickle.dumps(sample(), protocol=2) + torch_like_zip())


if __name__ == "__main__":
    main()
