"""Writes Git LFS pointer fixtures (spec v1) into the demo repository and the
LFS scanner's testdata.

Run from the repository root:  python3 testdata/gen/lfs.py

A pointer is what a checkout without `git lfs pull` (or actions/checkout
without `lfs: true`) leaves in place of a model. The oids are the SHA-256 of
stand-in content, so the pointers are byte-for-byte what git-lfs writes.
"""
import hashlib
import os


def pointer(content: bytes, version="https://git-lfs.github.com/spec/v1", extra="", size=None):
    """A pointer to content; size overrides the recorded size (models are big)."""
    oid = hashlib.sha256(content).hexdigest()
    size = len(content) if size is None else size
    return f"version {version}\n{extra}oid sha256:{oid}\nsize {size}\n".encode()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    demo = os.path.join("testdata", "demo", "lfs")
    write(os.path.join(demo, "pytorch_model.bin"), pointer(b"pytorch_model.bin stand-in", size=498412345))
    write(os.path.join(demo, "model.safetensors"), pointer(b"model.safetensors stand-in", size=1340000000))

    unit = os.path.join("scanner", "lfs", "testdata")
    write(os.path.join(unit, "pointer-v1.bin"), pointer(b"weights!"))
    write(os.path.join(unit, "pointer-legacy.bin"), pointer(b"weights", version="https://hawser.github.com/spec/v1"))
    write(os.path.join(unit, "pointer-ext.bin"), pointer(b"weights", extra="ext-0-foo sha256:" + "0" * 64 + "\n"))
    write(os.path.join(unit, "pointer-bad-oid.bin"), b"version https://git-lfs.github.com/spec/v1\noid sha256:XYZ\nsize 12\n")


if __name__ == "__main__":
    main()
