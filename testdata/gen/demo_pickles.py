"""Writes the demo repository's pickle: a plain pickle saved under a PyTorch
name (pytorch_model.bin) whose STACK_GLOBAL hides os.system behind a dotted
name, as in GHSA-5j3x-jp52-966f. The command is inert and nothing here ever
loads the file.

Run from the repository root:  python3 testdata/gen/demo_pickles.py
"""
import os
import pickle
import struct


def short_unicode(s):
    b = s.encode()
    return pickle.SHORT_BINUNICODE + bytes([len(b)]) + b


def dotted_system_pickle():
    body = (
        pickle.EMPTY_DICT + pickle.MARK
        + short_unicode("weights") + pickle.BININT1 + b"\x01"
        + short_unicode("config")
        + short_unicode("pathlib") + short_unicode("os.system") + pickle.STACK_GLOBAL
        + short_unicode("echo modelgate-demo") + pickle.TUPLE1 + pickle.REDUCE
        + pickle.SETITEMS + pickle.STOP
    )
    return pickle.PROTO + b"\x04" + pickle.FRAME + struct.pack("<Q", len(body)) + body


def main():
    path = os.path.join("testdata", "demo", "models", "pytorch_model.bin")
    with open(path, "wb") as f:
        f.write(dotted_system_pickle())


if __name__ == "__main__":
    main()
