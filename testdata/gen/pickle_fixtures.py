"""Writes the pickle-family test fixtures into testdata/pickle/.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 testdata/gen/pickle_fixtures.py

Needs (Debian packages, bookworm versions used for the committed files):
python3-torch (1.13.1), python3-numpy (1.24.2), python3-sklearn (1.2.1),
python3-joblib (1.2.0), python3-dill (0.3.6), python3-cloudpickle (2.2.0),
installed with `apt-get install -y python3-torch python3-numpy python3-sklearn
python3-joblib python3-dill python3-cloudpickle`. The helper module
testdata/gen/pickle_ops.py (standard library only) sits next to this file.

Outputs:
  testdata/pickle/malicious/*   one file per scanner-bypass technique
      (pickle-threats.md §6.1 and §6.3) and a sample of §6.2 sinks;
  testdata/pickle/benign/*      real files written by torch, numpy, joblib,
      scikit-learn and pickle itself;
  testdata/pickle/manifest.json what the scanner must report for each file
      (rule IDs that must appear, the exact highest severity, and evidence);
  testdata/pickle/README.md     the same table for people.

SAFETY. Every malicious fixture is crafted byte by byte from pickle opcode
constants (see pickle_ops.py); nothing here ever loads, unpickles, torch.load-s
or joblib.load-s a file, and the payload arguments are inert (`echo
modelgate-fixture`, hosts under example.invalid, paths that do not exist).
The generator checks the streams it crafted with pickletools.genops, which
decodes opcodes without executing them. Never load these files.

Determinism: the script re-executes itself with PYTHONHASHSEED=0 (set and
frozenset order, TorchScript constant order), seeds torch and numpy, fixes
zip, gzip and tar timestamps, renames legacy-torch storage keys (which torch
derives from memory addresses) and deletes the output directories before
writing, so re-running it yields byte-identical files.
"""
import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import base64
import bz2
import collections
import gzip
import hashlib
import io
import json
import lzma
import pickle
import pickle as pk
import pickletools
import shutil
import struct
import tarfile
import warnings
import zipfile
import zlib

sys.dont_write_bytecode = True  # leave no __pycache__ in testdata/gen
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pickle_ops import (  # noqa: E402
    binbytes, binget, binput, binunicode8, bytes_, frame, get0, glob, inst, integer,
    lst, lz4_frame_stored, proto, put0, raw_zip, sg, short_binstring, stream_globals, string0,
    tup, u, unicode0, zip_break_crc, zip_fix_times, zip_rename_local,
    zip_set_flag, zstd_frame_raw,
)

OUT = os.path.join("testdata", "pickle")
CMD = "echo modelgate-fixture"
PYCODE = "print('modelgate-fixture')"
EVALCODE = "__import__('os').system('echo modelgate-fixture')"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

SEVERITIES = ["none", "info", "low", "medium", "high", "critical"]

FIXTURES = []  # manifest rows plus private fields
CHECKS = []  # (fixture file, label, bytes, mode) verified with pickletools


def add(file, data, technique, expect, max_severity, evidence=None, checks=None):
    """Register one fixture. checks: list of (label, pickle bytes, mode)."""
    assert max_severity in SEVERITIES
    assert not any(f["file"] == file for f in FIXTURES), file
    row = {"file": file, "technique": technique, "expect_rules": list(expect),
           "max_severity": max_severity}
    if evidence:
        row["evidence"] = list(evidence)
    row["_data"] = data
    FIXTURES.append(row)
    for label, blob, mode in checks or []:
        CHECKS.append((file, label, blob, mode))


def mal(name, data, technique, expect, max_severity="critical", evidence=None, mode="valid"):
    """A malicious fixture that is itself one crafted pickle stream (or more)."""
    add("malicious/" + name, data, technique, expect, max_severity, evidence,
        [("stream", data, mode)] if mode else None)


# =============================================================================
# Crafted payload streams
# =============================================================================

def os_system_p0():
    return glob("os", "system") + pk.MARK + string0(CMD) + pk.TUPLE + pk.REDUCE + pk.STOP


def os_system_p2(module="os", name="system", arg=CMD):
    return (proto(2) + glob(module, name) + binput(0) + u(arg) + binput(1)
            + pk.TUPLE1 + binput(2) + pk.REDUCE + binput(3) + pk.STOP)


def os_system_p3_body():
    """What numpy writes for an object array body (protocol 3), with a payload."""
    return proto(3) + glob("os", "system") + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP


def call_p4(module, name, *args):
    """PROTO 4, STACK_GLOBAL module name, MARK args TUPLE, REDUCE, STOP."""
    return proto(4) + sg(module, name) + tup(*args) + pk.REDUCE + pk.STOP


def call_p2(module, name, *args):
    return proto(2) + glob(module, name) + tup(*args) + pk.REDUCE + pk.STOP


def benign_dict_p2():
    return pickle.dumps({"epoch": 1, "name": "benign-prefix"}, protocol=2)


# =============================================================================
# §1 basics: protocols, GLOBAL vs STACK_GLOBAL, call opcodes, aliases
# =============================================================================

def basics():
    T = "pickle-threats.md §1.1 "
    mal("os-system-proto0.pkl", os_system_p0(),
        T + "GLOBAL os system + STRING + TUPLE + REDUCE, protocol 0 (no PROTO)",
        ["MG1001"], evidence=["os.system"])
    p1 = (glob("os", "system") + binput(0) + pk.MARK + pk.BINUNICODE
          + struct.pack("<I", len(CMD)) + CMD.encode() + binput(1) + pk.TUPLE
          + binput(2) + pk.REDUCE + binput(3) + pk.STOP)
    mal("os-system-proto1.pkl", p1,
        T + "GLOBAL + BINUNICODE + TUPLE + REDUCE, protocol 1 (binary opcodes, no PROTO)",
        ["MG1001"], evidence=["os.system"])
    mal("os-system-proto2.pkl", os_system_p2(),
        T + "PROTO 2, GLOBAL os system, TUPLE1, REDUCE (what pickle.dumps of a __reduce__ emits)",
        ["MG1001"], evidence=["os.system"])
    body = (sg("os", "system") + pk.MEMOIZE + u(CMD) + pk.MEMOIZE + pk.TUPLE1
            + pk.MEMOIZE + pk.REDUCE + pk.MEMOIZE + pk.STOP)
    mal("os-system-proto4-stack-global.pkl", proto(4) + frame(body),
        T + "PROTO 4, FRAME, STACK_GLOBAL os system (SHORT_BINUNICODE operands, MEMOIZE), REDUCE",
        ["MG1001"], evidence=["os.system"])
    mal("os-system-proto5.pkl", proto(5) + sg("os", "system") + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP,
        T + "PROTO 5, STACK_GLOBAL os system, TUPLE1, REDUCE, unframed",
        ["MG1001"], evidence=["os.system"])
    mal("global-opcode-proto4.pkl", proto(4) + glob("os", "system") + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP,
        T + "GLOBAL (text operands) inside a protocol-4 stream instead of STACK_GLOBAL",
        ["MG1001"], evidence=["os.system"])
    mal("alias-posix-system.pkl", os_system_p2("posix", "system"),
        "pickle-threats.md §1.3 module alias: posix.system (what pickle.dumps(os.system) emits on Linux)",
        ["MG1001"], evidence=["os.system"])
    mal("alias-nt-system.pkl", os_system_p2("nt", "system"),
        "pickle-threats.md §1.3 module alias: nt.system (Windows name of os)",
        ["MG1001"], evidence=["os.system"])
    mal("alias-builtin-eval-proto0.pkl",
        glob("__builtin__", "eval") + pk.MARK + string0(EVALCODE) + pk.TUPLE + pk.REDUCE + pk.STOP,
        "pickle-threats.md §1.3 Python-2 name __builtin__.eval (fix_imports maps it to builtins.eval)",
        ["MG1001"], evidence=["builtins.eval"])
    mal("inst-builtin-exec.pkl", pk.MARK + string0(PYCODE) + inst("__builtin__", "exec") + pk.STOP,
        "pickle-threats.md §6.1 picklescan Sep-2023 fix: INST = import + call, `(S'code'\\ni__builtin__\\nexec\\n.`",
        ["MG1001"], evidence=["builtins.exec"])
    mal("inst-os-system.pkl", pk.MARK + string0(CMD) + inst("os", "system") + pk.STOP,
        "pickle-threats.md §1.1 INST os system with the marked STRING argument",
        ["MG1001"], evidence=["os.system"])
    mal("obj-os-system.pkl", pk.MARK + glob("os", "system") + string0(CMD) + pk.OBJ + pk.STOP,
        "pickle-threats.md §1.1 OBJ: MARK, GLOBAL os system, STRING, OBJ calls it",
        ["MG1001"], evidence=["os.system"])
    mal("obj-pty-spawn.pkl", pk.MARK + glob("pty", "spawn") + string0(CMD) + pk.OBJ + pk.STOP,
        "pickle-threats.md §6.1 GHSA-r7v6-mfhq-g3m2 (Fickling): `(cpty\\nspawn\\nS\"...\"\\no.` call via OBJ",
        ["MG1001"], evidence=["pty.spawn"])
    newobj = (proto(2) + glob("subprocess", "Popen") + lst(u("echo"), u("modelgate-fixture"))
              + pk.TUPLE1 + pk.NEWOBJ + pk.STOP)
    mal("newobj-subprocess-popen.pkl", newobj,
        "pickle-threats.md §1.1 NEWOBJ: subprocess.Popen.__new__(Popen, [argv]) is a call site",
        ["MG1001"], evidence=["subprocess.Popen"])
    newobj_ex = (proto(4) + sg("subprocess", "Popen") + lst(u("echo"), u("modelgate-fixture"))
                 + pk.TUPLE1 + pk.EMPTY_DICT + u("shell") + pk.NEWFALSE + pk.SETITEM
                 + pk.NEWOBJ_EX + pk.STOP)
    mal("newobj-ex-subprocess-popen.pkl", newobj_ex,
        "pickle-threats.md §1.1 NEWOBJ_EX: cls, args, kwargs {'shell': False} on subprocess.Popen",
        ["MG1001"], evidence=["subprocess.Popen"])
    popped = (proto(4) + pk.MARK + sg("smtplib", "SMTP") + u("smtp.example.invalid") + pk.OBJ
              + pk.POP + pk.NONE + pk.STOP)
    mal("popped-call-result-smtplib.pkl", popped,
        "pickle-threats.md §6.1 GHSA-mxhj-88fx-4pcv (Fickling): MARK, STACK_GLOBAL smtplib SMTP, host, OBJ, POP, NONE, STOP",
        ["MG1001"], evidence=["smtplib.SMTP"])


# =============================================================================
# §6.1 pickle-VM level rows
# =============================================================================

def vm_rows():
    T = "pickle-threats.md §6.1 "
    # picklescan issue #14: BINPUT 0/1 then decoys stored with MEMOIZE (land at 2, 3).
    p = (proto(4) + u("os") + binput(0) + u("system") + binput(1)
         + u("torch") + pk.MEMOIZE + u("load") + pk.MEMOIZE
         + pk.POP + pk.POP + pk.POP + pk.POP
         + binget(0) + binget(1) + pk.STACK_GLOBAL + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("memo-picklescan-14-memoize-decoys.pkl", p,
        T + "picklescan issue #14 (Doyensec): \"os\" BINPUT 0, \"system\" BINPUT 1, decoys via MEMOIZE (indexes 2, 3), BINGET 0, BINGET 1, STACK_GLOBAL",
        ["MG1001"], evidence=["os.system"])
    # MEMOIZE index is len(memo), not last index + 1: it overwrites sparse entries.
    p = (proto(4) + u("collections") + binput(2) + u("OrderedDict") + binput(3)
         + u("os") + pk.MEMOIZE                      # len(memo)=2 -> overwrites index 2
         + u("modelgate") + binput(0)                 # memo {0,2,3}, len 3
         + u("system") + pk.MEMOIZE                  # len(memo)=3 -> overwrites index 3
         + pk.POP + pk.POP + pk.POP + pk.POP + pk.POP
         + binget(2) + binget(3) + pk.STACK_GLOBAL + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("memo-memoize-overwrites-sparse-index.pkl", p,
        T + "memo rules (§2): MEMOIZE writes index len(memo), overwriting BINPUT 2/3 decoys collections/OrderedDict with os/system",
        ["MG1001"], evidence=["os.system"])
    # picklescan issue #22: UNICODE + PUT n + POP, memo keyed by PUT argument.
    p = (unicode0("os") + put0(2) + pk.POP + unicode0("system") + put0(3) + pk.POP
         + unicode0("torch") + put0(0) + pk.POP + unicode0("load") + put0(1) + pk.POP
         + get0(2) + get0(3) + pk.STACK_GLOBAL + unicode0(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("memo-picklescan-22-put-order.pkl", p,
        T + "picklescan issue #22 (\"Safe Pickle\"): UNICODE \"os\" PUT 2 POP, \"system\" PUT 3 POP, \"torch\" PUT 0, \"load\" PUT 1, GET 2, GET 3, STACK_GLOBAL",
        ["MG1001"], evidence=["os.system"])
    # BINPUT after POP (no advisory).
    p = (proto(4) + u("os") + u("decoy-a") + pk.POP + binput(0)
         + u("system") + u("decoy-b") + pk.POP + binput(1)
         + pk.POP + pk.POP + binget(0) + binget(1) + pk.STACK_GLOBAL
         + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("stack-global-binput-after-pop.pkl", p,
        T + "'BINPUT after POP' (no advisory): BINPUT stores the stack top after POP (\"os\", \"system\"), not the previous opcode's argument",
        ["MG1001"], evidence=["os.system"])
    # Missing memo key.
    p = (proto(4) + u("os") + binput(0) + pk.POP + binget(0) + binget(7) + pk.STACK_GLOBAL
         + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("memo-missing-key-operand.pkl", p,
        T + "picklescan Nov-2025 fix (d3273f4): BINGET 7 was never stored; used as the STACK_GLOBAL name operand",
        ["MG1003", "MG1011"], mode="valid-genops")
    # Non-string operand from the memo (type confusion).
    p = (proto(4) + integer(7) + binput(0) + pk.POP + binget(0) + u("system") + pk.STACK_GLOBAL
         + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("memo-non-string-operand.pkl", p,
        T + "picklescan Nov-2025 fix (d3273f4): memo type confusion, an int (BININT1 7 via BINGET 0) as the STACK_GLOBAL module operand",
        ["MG1003"])
    # STRING operands, no PROTO.
    p = string0("os") + string0("system") + pk.STACK_GLOBAL + pk.MARK + string0(CMD) + pk.TUPLE + pk.REDUCE + pk.STOP
    mal("stack-global-string-operands-no-proto.pkl", p,
        T + "GHSA-9gvj-pp9x-gcfr (picklescan): S'os' S'system' STACK_GLOBAL as opcodes #0 and #1, no PROTO",
        ["MG1001"], evidence=["os.system"])
    p = (proto(2) + short_binstring("os") + short_binstring("system") + pk.STACK_GLOBAL
         + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("stack-global-short-binstring-operands.pkl", p,
        T + "GHSA-9gvj-pp9x-gcfr (picklescan) variant: SHORT_BINSTRING 'os' / 'system' (str under Python 3) as STACK_GLOBAL operands under PROTO 2",
        ["MG1001"], evidence=["os.system"])
    # Runtime-built operand via builtins.str.join.
    p = (proto(4) + sg("builtins", "str.join") + u("") + lst(u("o"), u("s")) + pk.TUPLE2 + pk.REDUCE
         + u("system") + pk.STACK_GLOBAL + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("stack-global-runtime-operand-str-join.pkl", p,
        T + "STACK_GLOBAL operand built at run time (no advisory): builtins str.join(\"\", [\"o\", \"s\"]) -> \"os\", then STACK_GLOBAL with \"system\"",
        ["MG1003"])
    # ModelScan #85: BUILD mutation of numpy.prod plus memo.
    p = (proto(5)
         + glob("numpy", "prod") + pk.NONE + pk.MARK + u("a") + u("os") + pk.DICT + pk.TUPLE2 + pk.BUILD + pk.POP
         + glob("numpy", "prod") + pk.NONE + pk.MARK + u("b") + u("system") + pk.DICT + pk.TUPLE2 + pk.BUILD + pk.POP
         + glob("numpy", "prod.a") + put0(0) + glob("numpy", "prod.b") + put0(1) + pk.POP + pk.POP
         + get0(0) + get0(1) + pk.STACK_GLOBAL + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("modelscan-85-build-mutation.pkl", p,
        T + "ModelScan #85: BUILD (None, {'a': 'os'}) on GLOBAL numpy prod, same for b='system', then GLOBAL numpy prod.a / prod.b as STACK_GLOBAL operands",
        ["MG1009", "MG1003"])
    # ModelScan #330: __builtins__ through BUILD.
    p = (proto(4)
         + sg("numpy", "size") + pk.MEMOIZE                     # memo 0: numpy.size
         + sg("numpy", "__builtins__") + pk.MEMOIZE             # memo 1: builtins dict
         + pk.POP + pk.POP
         + binget(0) + pk.EMPTY_DICT + pk.EMPTY_DICT + u("shape") + binget(1) + pk.SETITEM
         + pk.TUPLE2 + pk.BUILD + pk.POP                         # numpy.size.shape = builtins
         + binget(0) + binget(0) + u("eval") + pk.TUPLE2 + pk.REDUCE  # size(size, "eval") -> eval
         + u(EVALCODE) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("modelscan-330-builtins-via-build.pkl", p,
        T + "ModelScan #330: STACK_GLOBAL numpy __builtins__, BUILD numpy.size.shape = builtins dict, numpy.size(numpy.size, 'eval') -> eval, REDUCE on the call result",
        ["MG1009", "MG1003"])
    # ModelScan #331: importlib.import_module + getattr(str, "join").
    p = (proto(4) + sg("importlib", "import_module")
         + sg("builtins", "getattr") + binput(0)
         + sg("builtins", "str") + u("join") + pk.TUPLE2 + pk.REDUCE       # getattr(str, "join")
         + u("") + lst(u("o"), u("s")) + pk.TUPLE2 + pk.REDUCE            # join("", ["o","s"])
         + pk.TUPLE1 + pk.REDUCE + binput(1) + pk.POP                      # import_module("os")
         + binget(0) + binget(1) + u("system") + pk.TUPLE2 + pk.REDUCE     # getattr(os, "system")
         + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("modelscan-331-import-module-getattr-join.pkl", p,
        T + "ModelScan #331: importlib.import_module of a name assembled with getattr(str, 'join'), then getattr(module, 'system')",
        ["MG1001", "MG1003"], evidence=["importlib.import_module"])
    # picklescan issue #66: string -> module -> callable.
    p = (proto(4) + sg("importlib", "import_module") + u("os") + pk.TUPLE1 + pk.REDUCE + binput(0) + pk.POP
         + sg("builtins", "getattr") + binget(0) + u("system") + pk.TUPLE2 + pk.REDUCE
         + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("picklescan-66-import-module.pkl", p,
        T + "picklescan issue #66 / PR #74: importlib.import_module('os'), builtins.getattr(module, 'system'), call the result",
        ["MG1001", "MG1003"], evidence=["importlib.import_module"])
    # Dotted names (GHSA-5j3x-jp52-966f).
    D = T + "GHSA-5j3x-jp52-966f (Fickling) dotted name: "
    mal("dotted-pathlib-os-system.pkl", call_p4("pathlib", "os.system", u(CMD)),
        D + "STACK_GLOBAL ('pathlib', 'os.system')", ["MG1001"], evidence=["os.system"])
    mal("dotted-torch-os-system.pkl", call_p4("torch", "os.system", u(CMD)),
        D + "STACK_GLOBAL ('torch', 'os.system')", ["MG1001"], evidence=["os.system"])
    mal("dotted-random-private-os-system.pkl", call_p4("random", "_os.system", u(CMD)),
        D + "STACK_GLOBAL ('random', '_os.system'), private module alias", ["MG1001"])
    p = (proto(4) + sg("collections", "_sys.modules") + u("modelgate_fixture") + pk.NONE + pk.SETITEM
         + pk.POP + pk.NONE + pk.STOP)
    mal("dotted-collections-sys-modules-setitem.pkl", p,
        D + "STACK_GLOBAL ('collections', '_sys.modules') reaches sys.modules without importing sys; SETITEM into it",
        ["MG1009"])
    mal("dotted-global-after-proto4.pkl",
        proto(4) + glob("pathlib", "os.system") + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP,
        D + "GLOBAL 'pathlib os.system' (text operands) after PROTO 4", ["MG1001"], evidence=["os.system"])
    # Wildcard sub-module (CVE-2025-10157).
    mal("wildcard-submodule-aiohttp-client.pkl",
        call_p4("aiohttp.client", "request", u("GET"), u("http://example.invalid/modelgate-fixture")),
        T + "CVE-2025-10157 / GHSA-f7qq-56ww-84cr (picklescan): sub-module aiohttp.client of the wildcard-denied aiohttp",
        ["MG1001"], evidence=["aiohttp.client.request"])
    mal("wildcard-submodule-asyncio-unix-events.pkl",
        call_p4("asyncio.unix_events", "_UnixSubprocessTransport._start", pk.NONE, u(CMD), pk.NEWTRUE,
                pk.NONE, pk.NONE, pk.NONE, integer(0)),
        T + "CVE-2025-10157 (picklescan): asyncio.unix_events _UnixSubprocessTransport._start, sub-module of wildcard asyncio, dotted name",
        ["MG1001"], evidence=["asyncio.unix_events._UnixSubprocessTransport._start"])
    # _operator.methodcaller / builtins.__import__ (GHSA-955r-x9j8-7rhh, GHSA-46h3-79wf-xr6c).
    p = (proto(2) + glob("_operator", "methodcaller") + u("system") + u(CMD) + pk.TUPLE2 + pk.REDUCE
         + glob("pydoc", "locate") + u("os") + pk.TUPLE1 + pk.REDUCE + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("alias-operator-methodcaller-pydoc-locate.pkl", p,
        T + "GHSA-955r-x9j8-7rhh (picklescan) / §6.2 GHSA-m273-6v24-x4m4: _operator.methodcaller('system', cmd) applied to pydoc.locate('os')",
        ["MG1001", "MG1003"], evidence=["operator.methodcaller"])
    p = (proto(2) + glob("builtins", "__import__") + u("os") + pk.TUPLE1 + pk.REDUCE + binput(0) + pk.POP
         + glob("builtins", "getattr") + binget(0) + u("system") + pk.TUPLE2 + pk.REDUCE
         + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("builtins-import.pkl", p,
        T + "GHSA-46h3-79wf-xr6c (picklescan), GHSA-h4rm-mm56-xf63 / CVE-2026-22612 (Fickling): builtins.__import__('os'), getattr, call",
        ["MG1001", "MG1003"], evidence=["builtins.__import__"])
    # Nested pickle (ModelScan #267).
    inner = os_system_p2()
    mal("nested-pickle-loads-binbytes.pkl",
        proto(2) + glob("pickle", "loads") + binbytes(inner) + pk.TUPLE1 + pk.REDUCE + pk.STOP,
        T + "ModelScan #267: GLOBAL pickle loads, BINBYTES <inner os.system pickle>, TUPLE1, REDUCE",
        ["MG1001", "MG1006"], evidence=["pickle.loads", "os.system"])
    mal("nested-pickle-underscore-loads.pkl",
        proto(4) + sg("_pickle", "loads") + bytes_(os_system_p0().replace(b"os\nsystem", b"posix\nsystem"))
        + pk.TUPLE1 + pk.REDUCE + pk.STOP,
        T + "ModelScan #267 alias variant: _pickle.loads(SHORT_BINBYTES <inner protocol-0 posix.system pickle>)",
        ["MG1001", "MG1006"], evidence=["pickle.loads", "os.system"])
    b64 = base64.b64encode(inner).decode("ascii")
    mal("nested-pickle-base64.pkl",
        proto(4) + sg("pickle", "loads") + sg("base64", "b64decode") + u(b64) + pk.TUPLE1 + pk.REDUCE
        + pk.TUPLE1 + pk.REDUCE + pk.STOP,
        T + "ModelScan #267 with base64: pickle.loads(base64.b64decode('<base64 of an os.system pickle>'))",
        ["MG1001", "MG1006"], evidence=["pickle.loads", "os.system"])
    # Code-object chain.
    blob = base64.b64encode(b"\xe3modelgate-fixture: these bytes are not a code object").decode()
    p = (proto(4) + sg("types", "FunctionType") + sg("marshal", "loads") + sg("base64", "b64decode")
         + binunicode8(blob) + pk.TUPLE1 + pk.REDUCE        # b64decode(blob)
         + pk.TUPLE1 + pk.REDUCE                             # marshal.loads(...)
         + pk.EMPTY_DICT + pk.TUPLE2 + pk.REDUCE             # FunctionType(code, {})
         + pk.EMPTY_TUPLE + pk.REDUCE + pk.STOP)             # call it
    mal("code-object-chain-marshal-functiontype.pkl", p,
        T + "GHSA-565g-hwwr-4pp3 (Fickling), GHSA-9m3x-qqw2-h32h (picklescan): base64.b64decode(BINUNICODE8) -> marshal.loads -> types.FunctionType(code, {}) -> REDUCE ()",
        ["MG1004", "MG1003"], evidence=["marshal.loads", "types.FunctionType"])
    p = call_p4("types", "CodeType", integer(0), integer(0), integer(0), integer(0), integer(1), integer(0),
                bytes_(b"d\x00S\x00"), tup(pk.NONE), pk.EMPTY_TUPLE, pk.EMPTY_TUPLE,
                u("<modelgate-fixture>"), u("f"), u("f"), integer(1), bytes_(b""), bytes_(b""),
                pk.EMPTY_TUPLE, pk.EMPTY_TUPLE)
    mal("code-object-codetype.pkl", p,
        T + "code-object chain variant: a direct types.CodeType(...) REDUCE with placeholder arguments",
        ["MG1004"], evidence=["types.CodeType"])
    # Broken pickle that runs exec first (picklescan efb2533).
    head = proto(2) + glob("builtins", "exec") + pk.MARK + unicode0(PYCODE) + pk.TUPLE + pk.REDUCE
    mal("broken-exec-then-invalid-opcode.pkl", head + b"\xff\xfe modelgate",
        T + "picklescan Jan-2025 fix (efb2533): GLOBAL builtins exec, MARK, UNICODE, TUPLE, REDUCE, then invalid opcode 0xff",
        ["MG1001", "MG1011"], evidence=["builtins.exec"], mode="malformed")
    mal("broken-exec-then-eof.pkl", head,
        T + "picklescan Jan-2025 fix (efb2533): exec REDUCE, then end of file with no STOP",
        ["MG1001", "MG1011"], evidence=["builtins.exec"], mode="malformed")
    # Trailing junk after STOP (picklescan 752369a).
    mal("trailing-junk-after-stop.pkl", os_system_p2() + b"\x00modelgate trailing junk \x01\x02\x03",
        T + "picklescan Mar-2024 fix (752369a): trailing non-pickle bytes after STOP",
        ["MG1001", "MG1012"], evidence=["os.system"], mode="trailing")
    p = (glob("os", "system") + put0(0, b"\r\n") + pk.MARK + string0(CMD) + put0(1, b"\r\n")
         + pk.TUPLE + put0(2, b"\r\n") + pk.REDUCE + pk.STOP)
    mal("crlf-text-operands.pkl", p,
        T + "picklescan Mar-2024 fix (752369a): protocol-0 PUT arguments terminated by \\r\\n (int() accepts the \\r)",
        ["MG1001"], evidence=["os.system"])
    # Stacked pickles.
    mal("stacked-benign-then-malicious.pkl", benign_dict_p2() + os_system_p2(),
        T + "stacked pickles (no advisory, ModelScan legacy path): a benign dict pickle, then an os.system pickle",
        ["MG1001"], evidence=["os.system"], mode="stacked")
    # FRAME-length lie.
    hidden = os_system_p0()
    lenfield = struct.pack("<I", len(hidden))
    in_frame = u("frame-lie") + pk.MEMOIZE + pk.POP + pk.BINBYTES + lenfield[:2]
    p = proto(4) + frame(in_frame) + lenfield[2:] + hidden + pk.POP + pk.NONE + pk.STOP
    mal("frame-length-lie.pkl", p,
        T + "Fickling #317 / CPython gh-154848 FRAME-length lie: the FRAME ends after 2 of the 4 BINBYTES length bytes; "
        "a linear reader sees a BINBYTES whose data is a complete `cos\\nsystem\\n...R.` pickle (no 128 KiB pad, so only the violation "
        "is reproduced); the scanner must report the frame violation and still surface the hidden os.system call "
        "(alternative alignment or nested-constant scan)",
        ["MG1010"], evidence=["os.system"])
    # Expansion: billion laughs with GET and DUP; self-referencing list.
    levels, fan = 64, 16
    p = proto(2) + pk.EMPTY_LIST + binput(0)
    for i in range(1, levels):
        p += pk.POP + pk.MARK + binget(i - 1) + binget(i - 1) * (fan // 2 - 1) + pk.DUP * (fan // 2) + pk.LIST + binput(i)
    p += pk.STOP
    mal("expansion-billion-laughs.pkl", p,
        T + f"Fickling ExpansionAttackAnalysis / issue #196: {levels} nested lists, each holding the previous one {fan} times via BINGET and DUP (16^63 leaves)",
        ["MG1013"], "medium")
    mal("expansion-self-referencing-list.pkl", b"\x80\x02]\x94g0\na.",
        T + "Fickling issue #196: self-referencing list `\\x80\\x02]\\x94g0\\na.`",
        ["MG1013"], "medium")
    # EXT1 after copyreg.add_extension.
    p = (proto(2) + glob("copyreg", "add_extension") + u("os") + u("system") + integer(0xF0) + pk.TUPLE3
         + pk.REDUCE + pk.POP + pk.EXT1 + bytes([0xF0]) + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("ext1-after-copyreg-add-extension.pkl", p,
        "pickle-threats.md §1.1 EXT1: REDUCE copyreg.add_extension('os', 'system', 240), then EXT1 240 called with the command",
        ["MG1001", "MG1003"], evidence=["copyreg.add_extension"])
    p = proto(2) + pk.EXT2 + struct.pack("<H", 0x1234) + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP
    mal("ext2-unregistered-code.pkl", p,
        "pickle-threats.md §1.1 EXT2 0x1234 (copyreg extension registry) used as a callable",
        ["MG1003"])
    # Scanner deactivation.
    p = proto(4) + sg("fickling.analysis", "Analysis") + pk.POP + pk.NONE + pk.STOP
    mal("scanner-tamper-fickling-import.pkl", p,
        T + "Fickling ScannerDeactivation: imports fickling.analysis.Analysis (never called)",
        ["MG1007"], "high")
    p = (proto(4) + sg("picklescan.scanner", "_safe_globals") + u("os") + u("*") + pk.SETITEM
         + pk.POP + pk.NONE + pk.STOP)
    mal("scanner-tamper-picklescan-setitem.pkl", p,
        T + "Fickling ScannerDeactivation: SETITEM picklescan.scanner._safe_globals['os'] = '*' (allowlists os in picklescan)",
        ["MG1007", "MG1009"])
    # Newer ModelAudit bypass game: callables made to run by tuple()/list().
    p = (proto(4) + sg("builtins", "tuple") + sg("builtins", "map") + sg("os", "system") + lst(u(CMD))
         + pk.TUPLE2 + pk.REDUCE + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("bypass-game-builtins-map-forced-by-tuple.pkl", p,
        T + "newer ModelAudit engine ('RCE bypass game'): tuple(builtins.map(os.system, [cmd])) runs the map",
        ["MG1001"], evidence=["builtins.map"])
    mal("bypass-game-operator-call.pkl",
        proto(4) + sg("operator", "call") + sg("os", "system") + u(CMD) + pk.TUPLE2 + pk.REDUCE + pk.STOP,
        T + "newer ModelAudit engine ('RCE bypass game'): operator.call(os.system, cmd)",
        ["MG1001"], evidence=["operator.call"])
    # SETITEM/APPEND target abuse (CVE-2026-24747 shape).
    p = (proto(2) + glob("torch.serialization", "_package_registry")
         + integer(0) + glob("os", "system") + glob("os", "system") + pk.TUPLE3 + pk.APPEND
         + pk.POP + pk.NONE + pk.STOP)
    mal("append-into-global-torch-package-registry.pkl", p,
        T + "CVE-2026-24747 shape (SETITEM/APPEND target abuse): APPEND a (priority, tagger, deserializer) tuple into the global list torch.serialization._package_registry",
        ["MG1009"])
    # GHSA-cffv-grgg-g429: findings must be kept per rule.
    p = (proto(4) + sg("mypkg.models", "Thing") + pk.EMPTY_TUPLE + pk.REDUCE + pk.POP
         + sg("mypkg.helpers", "unused") + pk.POP
         + sg("os", "system") + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("findings-per-rule-no-dedup.pkl", p,
        T + "GHSA-cffv-grgg-g429 (Fickling): one stream with an unknown call (mypkg.models.Thing), an unknown never-called import (mypkg.helpers.unused) and os.system; each rule must be reported",
        ["MG1001", "MG1002", "MG1008"], evidence=["os.system", "mypkg.models.Thing"])
    # Unknown callable alone, and unknown import alone (grading, §7).
    mal("unknown-callable-mypkg.pkl",
        proto(4) + sg("mypkg.models", "Thing") + pk.EMPTY_TUPLE + pk.REDUCE + pk.STOP,
        "pickle-threats.md §7 default-deny: a call of a non-allowlisted, non-denylisted class mypkg.models.Thing",
        ["MG1002"], evidence=["mypkg.models.Thing"])
    mal("unknown-import-never-called.pkl",
        proto(4) + sg("mypkg.helpers", "CONFIG") + pk.POP + pk.NONE + pk.STOP,
        "pickle-threats.md §7 item 4: a non-allowlisted import that is never called (mypkg.helpers.CONFIG)",
        ["MG1008"], "medium")
    mal("dangerous-import-never-called.pkl",
        proto(2) + glob("os", "system") + pk.POP + pk.NONE + pk.STOP,
        "pickle-threats.md §7 item 4: a denylisted import (os.system) that is never called",
        ["MG1005"], "high", evidence=["os.system"])


# =============================================================================
# §6.2 missing-sink advisories (denylist gaps)
# =============================================================================

def sinks():
    T = "pickle-threats.md §6.2 "
    rows = [
        ("sink-pip-main.pkl", "pip", "main",
         [lst(u("install"), u("--index-url"), u("http://example.invalid/simple"), u("modelgate-fixture"))],
         "CVE-2025-1716 / GHSA-655q-fx9r-782v (picklescan): pip.main(['install', ...])", "pip.main"),
        ("sink-pydoc-pipepager.pkl", "pydoc", "pipepager", [u("modelgate-fixture"), u(CMD)],
         "picklescan 2025 fix (93764d6): pydoc.pipepager(text, cmd)", "pydoc.pipepager"),
        ("sink-torch-collect-env-run.pkl", "torch.utils.collect_env", "run", [u(CMD)],
         "picklescan GHSAs (2025-08) / ModelScan #338: torch.utils.collect_env.run(cmd)", "torch.utils.collect_env.run"),
        ("sink-io-fileio.pkl", "_io", "FileIO", [u("/nonexistent/modelgate-fixture"), u("w")],
         "GHSA-9726-w42j-3qjr (picklescan): _io.FileIO(path, 'w') file write", "io.FileIO"),
        ("sink-urllib-request-urlopen.pkl", "urllib.request", "urlopen", [u("http://example.invalid/modelgate-fixture")],
         "GHSA-9726-w42j-3qjr (picklescan): urllib.request.urlopen (SSRF)", "urllib.request.urlopen"),
        ("sink-logging-filehandler.pkl", "logging", "FileHandler", [u("/nonexistent/modelgate-fixture.log")],
         "GHSA-m7j5-r2p5-c39r / CVE-2026-56304 (picklescan): logging.FileHandler(path) creates files", "logging.FileHandler"),
        ("sink-uuid-get-command-stdout.pkl", "uuid", "_get_command_stdout", [u("echo"), u("modelgate-fixture")],
         "GHSA-g38g-8gr9-h9xp / CVE-2026-56315 (picklescan), GHSA-mhc9-48gj-9gp3 (Fickling): uuid._get_command_stdout", "uuid._get_command_stdout"),
        ("sink-ctypes-cdll.pkl", "ctypes", "CDLL", [u("libmodelgate-fixture.so")],
         "picklescan GHSAs (2025-12): ctypes.CDLL(path) loads a native library", "ctypes.CDLL"),
        ("sink-runpy-run-code.pkl", "runpy", "_run_code", [u(PYCODE), pk.EMPTY_DICT],
         "GHSA-wfq2-52f7-7qvj (Fickling): runpy._run_code(code, {})", "runpy._run_code"),
        ("sink-numpy-f2py-getlincoef.pkl", "numpy.f2py.crackfortran", "getlincoef", [u(EVALCODE), pk.EMPTY_DICT],
         "picklescan GHSAs (2025-12): numpy.f2py.crackfortran.getlincoef evaluates its expression", "numpy.f2py.crackfortran.getlincoef"),
        ("sink-venv-create.pkl", "venv", "create", [u("/nonexistent/modelgate-fixture-venv")],
         "picklescan 2025 fix (93764d6): venv.create", "venv.create"),
        ("sink-torch-inductor-compile-file.pkl", "torch._inductor.codecache", "compile_file",
         [u("/nonexistent/a.cpp"), u("/nonexistent/a.so"), lst(u("sh"), u("-c"), u(CMD))],
         "picklescan 2025 fix (93764d6): torch._inductor.codecache.compile_file", "torch._inductor.codecache.compile_file"),
        ("sink-cprofile-run.pkl", "cProfile", "run", [u(PYCODE)],
         "picklescan GHSAs (2025-08), GHSA-p523-jq9w-64x9 (Fickling): cProfile.run(code)", "cProfile.run"),
        ("sink-code-interactiveinterpreter-runcode.pkl", "code", "InteractiveInterpreter.runcode",
         [pk.NONE, u(PYCODE)],
         "picklescan GHSAs (2025-08): code.InteractiveInterpreter.runcode (dotted name)", "code.InteractiveInterpreter.runcode"),
        ("sink-webbrowser-open.pkl", "webbrowser", "open", [u("http://example.invalid/modelgate-fixture")],
         "network modules (picklescan 2025-12 GHSAs): webbrowser.open", "webbrowser.open"),
        ("sink-socket-create-connection.pkl", "socket", "create_connection",
         [tup(u("example.invalid"), integer(80))],
         "network modules (picklescan 2025-12 GHSAs): socket.create_connection", "socket.create_connection"),
        ("sink-subprocess-check-output.pkl", "subprocess", "check_output", [lst(u("echo"), u("modelgate-fixture"))],
         "classic sink: subprocess.check_output(argv)", "subprocess.check_output"),
        ("sink-multiprocessing-util-spawnv-passfds.pkl", "multiprocessing.util", "spawnv_passfds",
         [bytes_(b"/bin/echo"), lst(bytes_(b"echo"), bytes_(b"modelgate-fixture")), pk.EMPTY_TUPLE],
         "ModelScan #338: multiprocessing.util.spawnv_passfds", "multiprocessing.util.spawnv_passfds"),
        ("sink-pandas-read-csv-url.pkl", "pandas", "read_csv", [u("http://example.invalid/modelgate-fixture.csv")],
         "ModelScan #338: pandas.read_csv(url) (exfiltration / download)", "pandas.read_csv"),
    ]
    for name, module, attr, args, technique, ev in rows:
        mal(name, call_p4(module, attr, *args), T + technique, ["MG1001"], evidence=[ev])
    # Two-step sinks whose result is called: MG1003 as well.
    p = (proto(4) + sg("pkgutil", "resolve_name") + u("os:system") + pk.TUPLE1 + pk.REDUCE
         + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("sink-pkgutil-resolve-name.pkl", p,
        T + "GHSA-vvpj-8cmc-gx39 (picklescan): pkgutil.resolve_name('os:system') turns a string into a callable, which is then called",
        ["MG1001", "MG1003"], evidence=["pkgutil.resolve_name"])
    p = (proto(4) + sg("typing", "_eval_type") + sg("typing", "ForwardRef") + u(EVALCODE) + pk.TUPLE1
         + pk.REDUCE + pk.NONE + pk.NONE + pk.TUPLE3 + pk.REDUCE + pk.STOP)
    mal("sink-typing-eval-type.pkl", p,
        T + "newer ModelAudit bypass series: typing._eval_type(typing.ForwardRef(expr), None, None) evaluates expr",
        ["MG1001"], evidence=["typing._eval_type"])
    p = (proto(4) + sg("functools", "partial") + sg("os", "system") + u(CMD) + pk.TUPLE2 + pk.REDUCE
         + pk.EMPTY_TUPLE + pk.REDUCE + pk.STOP)
    mal("sink-functools-partial-os-system.pkl", p,
        T + "picklescan 2025 fix (93764d6) pattern: functools.partial(os.system, cmd)() ",
        ["MG1001", "MG1003"], evidence=["functools.partial"])
    p = (proto(4) + sg("functools", "partial") + sg("torch", "load") + u("/nonexistent/modelgate-fixture.pt")
         + pk.TUPLE2 + pk.REDUCE + pk.EMPTY_TUPLE + pk.REDUCE + pk.STOP)
    mal("sink-functools-partial-torch-load.pkl", p,
        T + "picklescan 2025 fix (93764d6): torch.load reached through functools.partial",
        ["MG1001", "MG1003"], evidence=["functools.partial"])
    p = (proto(4) + sg("builtins", "tuple") + sg("itertools", "starmap") + sg("os", "system")
         + lst(tup(u(CMD))) + pk.TUPLE2 + pk.REDUCE + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    mal("sink-itertools-starmap-forced-by-tuple.pkl", p,
        T + "newer ModelAudit bypass series: tuple(itertools.starmap(os.system, [(cmd,)]))",
        ["MG1001"], evidence=["itertools.starmap"])


# =============================================================================
# Real-library material (benign files, and the carriers malicious ones patch)
# =============================================================================

def torch_bytes(obj, legacy=False):
    import torch
    b = io.BytesIO()
    if legacy:
        torch.save(obj, b, _use_new_zipfile_serialization=False)
        return fix_legacy_keys(b.getvalue())
    torch.save(obj, b)
    return b.getvalue()


def torch_zip(records):
    """A zip written by PyTorch's own writer (torch._C.PyTorchFileWriter)."""
    import torch
    b = io.BytesIO()
    w = torch._C.PyTorchFileWriter(b)
    for name, data in records:
        w.write_record(name, data, len(data))
    w.write_end_of_file()
    return b.getvalue()


def zip_records(data):
    """(name below the root, bytes) of a torch zip, in archive order."""
    z = zipfile.ZipFile(io.BytesIO(data))
    out = []
    for info in z.infolist():
        root, _, rest = info.filename.partition("/")
        if rest == "version":
            continue  # the writer adds it again
        out.append((rest, z.read(info.filename)))
    return out


def legacy_pickles(data):
    """Offsets of the five stacked pickles of a legacy torch file, and the end."""
    offs = [0]
    pos = 0
    for _ in range(5):
        _, pos, _ = stream_globals(data, pos)
        offs.append(pos)
    return offs


def fix_legacy_keys(data):
    """Legacy torch names storages by memory address: rename them by rank."""
    offs = legacy_pickles(data)
    keys_pickle = data[offs[4]:offs[5]]
    keys = []
    for op, arg, _ in pickletools.genops(keys_pickle):
        if op.name in ("BINUNICODE", "SHORT_BINUNICODE"):
            keys.append(arg)
    assert keys == sorted(keys)
    head, tail = data[:offs[3]], data[offs[3]:offs[5]]
    for rank, key in enumerate(keys):
        new = str(1000 + rank)
        old_op = pk.BINUNICODE + struct.pack("<I", len(key)) + key.encode()
        new_op = pk.BINUNICODE + struct.pack("<I", len(new)) + new.encode()
        assert old_op in tail
        tail = tail.replace(old_op, new_op)
    return head + tail + data[offs[5]:]


def seeded_model():
    import torch
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Embedding(16, 8),
        torch.nn.Linear(8, 8),
        torch.nn.LayerNorm(8),
    )


def benign_torch():
    import torch
    B = "benign torch: "
    model = seeded_model()
    sd = model.state_dict()
    add("benign/torch-state-dict.pt", torch_bytes(sd),
        B + "torch.save(state_dict) of nn.Sequential(Embedding, Linear, LayerNorm), zip format (torch 1.13)",
        ["MG1015"], "info")
    add("benign/torch-state-dict-legacy.pt", torch_bytes(sd, legacy=True),
        B + "same state_dict with _use_new_zipfile_serialization=False (legacy: 5 stacked pickles + raw storages; storage keys renamed by rank for determinism)",
        ["MG1015"], "info")
    # Checkpoint with Adam state.
    torch.manual_seed(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    x = torch.randint(0, 16, (4, 3))
    loss = model(x).pow(2).mean()
    loss.backward()
    opt.step()
    ckpt = {
        "epoch": 3,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": opt.state_dict(),
        "loss": float(round(loss.item(), 6)),
        "config": {"hidden": 8, "vocab": 16, "lr": 1e-3, "layers": ["embedding", "linear", "layernorm"],
                   "betas": (0.9, 0.999), "amp": False},
    }
    add("benign/torch-checkpoint-adam.pt", torch_bytes(ckpt),
        B + "training checkpoint dict: epoch, model state_dict, Adam optimizer state_dict after one step, config dict",
        ["MG1015"], "info")
    # transformers-like nested dict.
    torch.manual_seed(2)
    weights = collections.OrderedDict()
    weights["bert.embeddings.word_embeddings.weight"] = torch.randn(12, 4)
    weights["bert.embeddings.LayerNorm.weight"] = torch.ones(4)
    weights["bert.embeddings.LayerNorm.bias"] = torch.zeros(4)
    weights["bert.encoder.layer.0.attention.self.query.weight"] = torch.randn(4, 4)
    weights["bert.encoder.layer.0.attention.self.query.bias"] = torch.randn(4)
    weights["classifier.weight"] = torch.randn(2, 4)
    weights["classifier.bias"] = torch.zeros(2)
    nested = {
        "state_dict": weights,
        "config": {"architectures": ["BertForSequenceClassification"], "hidden_size": 4,
                   "id2label": {0: "NEGATIVE", 1: "POSITIVE"}, "model_type": "bert"},
        "tied": collections.OrderedDict([("decoder.weight", weights["bert.embeddings.word_embeddings.weight"])]),
    }
    add("benign/transformers-like-pytorch_model.bin", torch_bytes(nested),
        B + "transformers-like nested dict: OrderedDict of BERT-style tensors, config dict, a tied (shared-storage) tensor",
        ["MG1015"], "info")
    torch.manual_seed(3)
    dtypes = {
        "f16": torch.randn(4).half(),
        "bf16": torch.randn(4).bfloat16(),
        "i8": torch.arange(-4, 4, dtype=torch.int8),
        "bool": torch.tensor([True, False, True]),
        "f32_view": torch.arange(12, dtype=torch.float32).view(3, 4)[1:],
    }
    add("benign/torch-dtypes.pt", torch_bytes(dtypes),
        B + "tensors of dtypes float16, bfloat16, int8, bool and a float32 view with a storage offset",
        ["MG1015"], "info")
    # TorchScript.
    add("benign/torchscript-tiny.pt", torchscript_bytes(),
        "benign TorchScript: torch.jit.save(torch.jit.script(Linear+ReLU module)); code/ present -> MG1017 low (model-formats.md §4)",
        ["MG1017", "MG1015"], "low")


TINY_SOURCE = """\
import torch


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)

    def forward(self, x):
        return torch.relu(self.lin(x))
"""


_TORCHSCRIPT = []


def torchscript_bytes():
    """torch.jit.save of a scripted module whose source has a fixed file name.

    TorchScript records the source file name in its *.debug_pkl members; the
    module is compiled from TINY_SOURCE registered in linecache under a
    stable name, so the archive does not depend on where the repo lives.
    """
    if _TORCHSCRIPT:
        return _TORCHSCRIPT[0]
    import linecache
    import types

    import torch
    fname = "modelgate_fixture_tiny.py"
    linecache.cache[fname] = (len(TINY_SOURCE), None, TINY_SOURCE.splitlines(True), fname)
    mod = types.ModuleType("modelgate_fixture_tiny")
    mod.__file__ = fname
    sys.modules[mod.__name__] = mod
    exec(compile(TINY_SOURCE, fname, "exec"), mod.__dict__)
    torch.manual_seed(4)
    m = torch.jit.script(mod.Tiny())
    b = io.BytesIO()
    torch.jit.save(m, b)
    _TORCHSCRIPT.append(b.getvalue())
    return b.getvalue()


def benign_numpy_and_pickle():
    import numpy as np
    np.random.seed(0)

    def npy(arr):
        b = io.BytesIO()
        np.save(b, arr, allow_pickle=False)
        return b.getvalue()

    add("benign/numpy-float32.npy", npy(np.linspace(-1, 1, 24, dtype=np.float32).reshape(4, 6)),
        "benign numpy: np.save of a float32 (4, 6) array (no pickle inside)", [], "none")
    add("benign/numpy-int64.npy", npy(np.arange(10, dtype=np.int64)),
        "benign numpy: np.save of an int64 arange(10) (no pickle inside)", [], "none")

    def npz(compressed):
        b = io.BytesIO()
        arrays = {"weights": np.arange(12, dtype=np.float32).reshape(3, 4), "bias": np.zeros(4, dtype=np.float64),
                  "ids": np.arange(5, dtype=np.int64)}
        (np.savez_compressed if compressed else np.savez)(b, **arrays)
        return zip_fix_times(b.getvalue())

    add("benign/numpy-savez.npz", npz(False),
        "benign numpy: np.savez of three numeric arrays (stored zip of .npy members; timestamps fixed in place)", [], "none")
    add("benign/numpy-savez-compressed.npz", npz(True),
        "benign numpy: np.savez_compressed of three numeric arrays (deflated members)", [], "none")

    plain = {
        "name": "modelgate-benign",
        "version": 3,
        "ratio": 0.125,
        "negative": -7,
        "big": 2 ** 70,
        "flags": [True, False, None],
        "tags": {"alpha", "beta", "gamma"},
        "ids": frozenset({1, 2, 3}),
        "blob": b"\x00\x01modelgate\xff",
        "nested": {"layers": [[1.0, 2.0], [3.0, 4.0]], "shape": (2, 2)},
        "text": "unicode \u00e9\u4e2d",
        "empty": [(), {}, [], ""],
    }
    for p in range(6):
        data = pickle.dumps(plain, protocol=p)
        add(f"benign/plain-data-proto{p}.pkl", data,
            f"benign pickle: pickle.dumps of a dict with lists, tuples, set, frozenset, bytes, big int, unicode at protocol {p}",
            ["MG1015"], "info", checks=[("stream", data, "valid")])
    arr = np.arange(10)
    for p in (2, 4, 5):
        data = pickle.dumps(arr, protocol=p)
        add(f"benign/numpy-array-pickled-proto{p}.pkl", data,
            f"benign pickle: pickle.dumps(np.arange(10), protocol={p})",
            ["MG1015"], "info", checks=[("stream", data, "valid")])
    od = collections.OrderedDict([("layer1.weight", [0.5, -0.5]), ("layer1.bias", [0.0]), ("meta", {"step": 10})])
    data = pickle.dumps(od, protocol=4)
    add("benign/ordereddict.pkl", data, "benign pickle: pickle.dumps(collections.OrderedDict(...), protocol=4)",
        ["MG1015"], "info", checks=[("stream", data, "valid")])
    data = pickle.dumps(collections.Counter("modelgate fixture counter"), protocol=2)
    add("benign/counter.pkl", data, "benign pickle: pickle.dumps(collections.Counter(...), protocol=2)",
        ["MG1015"], "info", checks=[("stream", data, "valid")])


def sklearn_models():
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    pipe = Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression(random_state=0))]).fit(X, y)
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y)
    return pipe, forest


def joblib_bytes(obj, compress=0):
    import joblib
    b = io.BytesIO()
    joblib.dump(obj, b, compress=compress)
    return b.getvalue()


def benign_joblib():
    pipe, forest = sklearn_models()
    add("benign/sklearn-pipeline.joblib", joblib_bytes(pipe),
        "benign joblib: joblib.dump(Pipeline(StandardScaler, LogisticRegression)), uncompressed (arrays inline after NumpyArrayWrapper)",
        ["MG1015"], "info")
    add("benign/sklearn-pipeline-compress3.joblib", joblib_bytes(pipe, compress=3),
        "benign joblib: same pipeline with compress=3 (zlib container)", ["MG1015"], "info")
    add("benign/sklearn-random-forest.joblib", joblib_bytes(forest),
        "benign joblib: joblib.dump(RandomForestClassifier(n_estimators=3, max_depth=3)), uncompressed",
        ["MG1015"], "info")
    add("benign/sklearn-random-forest-compress3.joblib", joblib_bytes(forest, compress=3),
        "benign joblib: same forest with compress=3 (zlib container)", ["MG1015"], "info")


# =============================================================================
# §6.3 container and routing level
# =============================================================================

def torch_malicious_data_pkl():
    """data.pkl that calls os.system, then returns a normal-looking dict."""
    return (proto(2) + glob("os", "system") + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.POP
            + pk.EMPTY_DICT + u("epoch") + integer(1) + pk.SETITEM + pk.STOP)


def containers():
    import numpy as np
    T = "pickle-threats.md §6.3 "
    model = seeded_model()
    benign_zip = torch_bytes(model.state_dict())
    records = zip_records(benign_zip)
    evil = torch_malicious_data_pkl()
    evil_chk = [("data.pkl", evil, "valid")]

    def with_data_pkl(recs, data_pkl):
        return [(n, data_pkl if n == "data.pkl" else d) for n, d in recs]

    zp = torch_zip(with_data_pkl(records, evil))
    add("malicious/torch-zip-malicious-data-pkl.pt", zp,
        T + "PyTorch zip (written by torch's own PyTorchFileWriter) whose archive/data.pkl calls os.system",
        ["MG1001"], "critical", ["os.system"], evil_chk)
    zp2 = torch_zip(records + [("extra/notes.txt", os_system_p2())])
    add("malicious/torch-zip-pickle-in-txt-member.pt", zp2,
        T + "CVE-2025-1889 / GHSA-769v-p64c-89pr (picklescan): benign torch zip plus a malicious pickle under archive/extra/notes.txt",
        ["MG1001"], "critical", ["os.system"], [("notes.txt", os_system_p2(), "valid")])
    add("malicious/zip-local-central-name-mismatch.pt",
        zip_rename_local(zp, "archive/data.pkl", "archive/XXXX.pkl"),
        T + "CVE-2025-1944 / GHSA-7q5r-7gvp-wc82 (picklescan): local header says archive/XXXX.pkl, central directory says archive/data.pkl (malicious)",
        ["MG4001", "MG1001"], "critical", ["os.system"], evil_chk)
    add("malicious/zip-flag-encrypted-bit.pt", zip_set_flag(zp, "archive/data.pkl", 0x1),
        T + "CVE-2025-1945 / GHSA-w8jq-xcqf-f792 (picklescan): flag bit 0x1 (encrypted) set on the plaintext malicious data.pkl; PyTorch ignores it",
        ["MG4001", "MG1001"], "critical", ["os.system"], evil_chk)
    add("malicious/zip-flag-patched-bit.pt", zip_set_flag(zp, "archive/data.pkl", 0x20),
        T + "CVE-2025-1945 (picklescan): flag bit 0x20 (patched data) set on the malicious data.pkl",
        ["MG4001", "MG1001"], "critical", ["os.system"], evil_chk)
    add("malicious/zip-bad-crc.pt", zip_break_crc(zp, "archive/data.pkl"),
        T + "CVE-2025-10156 / GHSA-mjqp-26hc-grxg (picklescan): wrong CRC-32 on the malicious data.pkl (central directory and data descriptor)",
        ["MG4001", "MG1001"], "critical", ["os.system"], evil_chk)
    dup = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(dup, "w", zipfile.ZIP_STORED) as z:
            for name, data in [("archive/data.pkl", dict(records)["data.pkl"]), ("archive/data.pkl", evil)] + \
                    [("archive/" + n, d) for n, d in records if n != "data.pkl"] + [("archive/version", b"3\n")]:
                z.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)
    add("malicious/zip-duplicate-data-pkl.pt", dup.getvalue(),
        "model-formats.md §1 / pickle-threats.md §5 duplicate names: two archive/data.pkl members, the first benign, the second (last wins in Python) malicious",
        ["MG4001", "MG1001"], "critical", ["os.system"], evil_chk)
    enc = raw_zip([("archive/data.pkl", evil, b"modelgate"), ("archive/version", b"3\n", None)])
    add("malicious/zip-zipcrypto-encrypted-data-pkl.pt", enc,
        T + "picklescan Mar-2025 fix (75e60f2): torch-layout zip whose data.pkl is really ZipCrypto-encrypted (password 'modelgate'); "
        "cannot be scanned, must be reported, never treated as clean",
        ["MG4001"], "high")
    add("malicious/polyglot-pickle-then-torch-zip.pt", os_system_p2() + benign_zip,
        T + "pickle + zip polyglot (no advisory): malicious pickle at offset 0 (torch.load takes the legacy path) followed by a benign torch zip",
        ["MG0008", "MG1001"], "critical", ["os.system"], [("prefix", os_system_p2(), "trailing-ok")])
    add("malicious/junk-prepended-torch-zip.pt", b"MODELGATE-JUNK-PREFIX\x00\x01\x02\x03\x04\x05\x06\x07" + benign_zip,
        T + "junk prepended to a valid (benign) torch zip: zip not at offset 0, central-directory offsets not adjusted",
        ["MG4001"], "high")
    # Routing: plain pickle under other names.
    add("malicious/plain-pickle-named.bin", os_system_p2(),
        T + "CVE-2025-10155 / GHSA-jgw4-cr84-mqxg (picklescan): plain pickle saved with a PyTorch extension (.bin)",
        ["MG1001"], "critical", ["os.system"], [("stream", os_system_p2(), "valid")])
    add("malicious/plain-pickle-double-extension.pth.tar", os_system_p2(),
        T + "directory walk by extension (no advisory): double extension .pth.tar holding a plain pickle",
        ["MG1001"], "critical", ["os.system"], [("stream", os_system_p2(), "valid")])
    add("malicious/pickle-no-extension", os_system_p2(),
        T + "directory walk by extension (no advisory): extension-less file holding a pickle",
        ["MG1001"], "critical", ["os.system"], [("stream", os_system_p2(), "valid")])
    add("malicious/disguised-pickle.safetensors", os_system_p2(),
        "model-formats.md §0 route by content: a malicious pickle named .safetensors",
        ["MG0007", "MG1001"], "critical", ["os.system"], [("stream", os_system_p2(), "valid")])
    plain = benign_dict_p2()
    add("malicious/disguised-benign-pickle.safetensors", plain,
        "model-formats.md §0: a benign dict pickle named .safetensors (the disguise alone is high)",
        ["MG0007"], "high", None, [("stream", plain, "valid")])
    add("malicious/disguised-pickle.npy", os_system_p2(),
        "model-formats.md §5: not \\x93NUMPY; numpy.load(allow_pickle=True) unpickles it; a malicious pickle named .npy",
        ["MG0007", "MG1001"], "critical", ["os.system"], [("stream", os_system_p2(), "valid")])
    # Legacy torch.
    legacy = torch_bytes({"w": seeded_model()[1].weight.detach().clone(), "step": 7}, legacy=True)
    offs = legacy_pickles(legacy)
    prefix = glob("os", "system") + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.POP
    for idx, label, ordinal in ((3, "data", "4th"), (4, "keys", "5th")):
        part = legacy[offs[idx]:offs[idx + 1]]
        assert part[:2] == proto(2)
        new = proto(2) + prefix + part[2:]
        data = legacy[:offs[idx]] + new + legacy[offs[idx + 1]:]
        add(f"malicious/legacy-torch-payload-in-{label}-pickle.pt", data,
            T + f"no advisory (ModelScan legacy path): legacy torch file whose {ordinal} pickle ({label}) calls os.system first; raw storage bytes follow",
            ["MG1001"], "critical", ["os.system"], [(f"pickle {idx + 1}", new, "valid")])
    magic = proto(2) + glob("builtins", "eval") + u(hex(LEGACY_MAGIC)) + pk.TUPLE1 + pk.REDUCE + pk.STOP
    add("malicious/legacy-torch-computed-magic.pt", magic + legacy[offs[1]:],
        T + "GHSA-97f8-7cmv-76j2 (picklescan): legacy torch file whose first pickle computes the magic with builtins.eval('0x1950a86a20f9469cfc6c')",
        ["MG1016", "MG1001"], "critical", ["builtins.eval"], [("pickle 1", magic, "valid")])
    # Compression wrappers.
    payload = os_system_p2()
    chk = [("decompressed", payload, "valid")]
    W = T + "no advisory, wrappers: "
    add("malicious/compressed-gzip.pkl.gz", gzip.compress(payload, mtime=0),
        W + "gzip-compressed malicious pickle", ["MG1001"], "critical", ["os.system"], chk)
    add("malicious/compressed-bz2.pkl.bz2", bz2.compress(payload),
        W + "bz2-compressed malicious pickle", ["MG1001"], "critical", ["os.system"], chk)
    add("malicious/compressed-xz.pkl.xz", lzma.compress(payload, format=lzma.FORMAT_XZ),
        W + "xz-compressed malicious pickle", ["MG1001"], "critical", ["os.system"], chk)
    add("malicious/compressed-lzma-alone.pkl.lzma", lzma.compress(payload, format=lzma.FORMAT_ALONE),
        W + "lzma-alone (.lzma, joblib 'lzma') compressed malicious pickle", ["MG1001"], "critical", ["os.system"], chk)
    add("malicious/compressed-zlib.joblib", zlib.compress(payload, 3),
        W + "zlib stream (what joblib compress=3 writes) holding a malicious pickle, named .joblib",
        ["MG1001"], "critical", ["os.system"], chk)
    add("malicious/compressed-lz4-frame.pkl.lz4", lz4_frame_stored(payload),
        W + "LZ4 frame (stored blocks, hand-written) holding a malicious pickle", ["MG1001"], "critical", ["os.system"], chk)
    add("malicious/compressed-zstd-frame.pkl.zst", zstd_frame_raw(payload),
        W + "Zstandard frame (raw blocks, hand-written) holding a malicious pickle", ["MG1001"], "critical", ["os.system"], chk)
    tb = io.BytesIO()
    with tarfile.open(fileobj=tb, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in (("model/README.txt", b"modelgate fixture\n"), ("model/model.pkl", payload)):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode, ti.uid, ti.gid, ti.uname, ti.gname = len(data), 0, 0o644, 0, 0, "", ""
            tf.addfile(ti, io.BytesIO(data))
    add("malicious/tar-with-malicious-pickle.tar", tb.getvalue(),
        W + "tar archive with model/model.pkl (malicious)", ["MG1001"], "critical", ["os.system"], chk)
    inner = stored_zip([("model.pkl", payload)])
    outer = stored_zip([("README.txt", b"modelgate fixture\n"), ("inner/weights.zip", inner)])
    add("malicious/nested-zip.zip", outer,
        W + "zip inside zip: inner/weights.zip holds model.pkl (malicious)", ["MG1001"], "critical", ["os.system"], chk)
    # NumPy.
    body = os_system_p3_body()
    obj_npy = npy_header("|O", (1,)) + body
    add("malicious/numpy-object-dtype-malicious.npy", obj_npy,
        T + "no advisory: object-dtype .npy ('descr': '|O') whose body is a protocol-3 pickle calling os.system",
        ["MG1020", "MG1001"], "critical", ["os.system"], [("body", body, "valid")])
    b = io.BytesIO()
    np.save(b, np.arange(6, dtype=np.float32), allow_pickle=False)
    add("malicious/npz-object-member.npz", stored_zip([("weights.npy", b.getvalue()), ("meta.npy", obj_npy)]),
        T + "no advisory (ModelScan never scans .npz): .npz with a numeric member and an object-dtype member whose pickle calls os.system",
        ["MG1020", "MG1001"], "critical", ["os.system"], [("meta.npy body", body, "valid")])
    add("malicious/npz-raw-pickle-member.npz", stored_zip([("weights.npy", b.getvalue()), ("labels.npy", payload)]),
        "model-formats.md §5: .npz member labels.npy is a raw pickle (no \\x93NUMPY header) calling os.system",
        ["MG1001"], "critical", ["os.system"], chk)
    # joblib: payload after the NumpyArrayWrapper's array bytes.
    jb = joblib_bytes({"weights": np.arange(8, dtype=np.float32), "name": "modelgate"})
    key = b"\x8c\x1bnumpy_array_alignment_bytes\x94K\x10ub"
    i = jb.index(key) + len(key)
    pad = jb[i]
    cut = i + 1 + pad + 8 * 4
    inject = glob("os", "system") + u(CMD) + pk.TUPLE1 + pk.REDUCE + pk.POP
    jm = jb[:cut] + inject + jb[cut:]
    add("malicious/joblib-payload-after-array-bytes.joblib", jm,
        T + "no advisory (picklescan exit 2, ModelScan skip): joblib.dump output with GLOBAL os system ... REDUCE POP inserted right after the NumpyArrayWrapper's raw array bytes",
        ["MG1001"], "critical", ["os.system"], [("joblib stream", jm, "joblib")])
    # dill / cloudpickle serialised functions.
    import cloudpickle
    import dill
    fn = eval(compile("lambda x: x + 1", "<modelgate-fixture>", "eval"))
    data = dill.dumps(fn)
    add("malicious/dill-lambda.pkl", data,
        T + "no advisory: dill.dumps(lambda x: x + 1) -> dill._dill._create_function / _create_code",
        ["MG1004"], "critical", None, [("stream", data, "valid")])
    ns = {"__name__": "__main__"}
    exec(compile("def scale(x, factor=2):\n    return x * factor\n", "<modelgate-fixture>", "exec"), ns)
    data = cloudpickle.dumps(ns["scale"])
    add("malicious/cloudpickle-function.pkl", data,
        T + "no advisory: cloudpickle.dumps(function) -> cloudpickle.cloudpickle._make_function / _builtin_type('CodeType')",
        ["MG1004"], "critical", None, [("stream", data, "valid")])
    # TorchScript with dangerous code.
    ts = torchscript_bytes()
    recs = zip_records(ts)
    patched = []
    ts_patched = None
    anchor = "    lin = self.lin\n"
    for name, data in recs:
        if name.startswith("code/") and name.endswith(".py") and anchor.encode() in data:
            text = data.decode().replace(anchor, anchor + "    _mg = os.system(\"echo modelgate-fixture\")\n")
            data = text.encode()
            ts_patched = name
        patched.append((name, data))
    assert ts_patched == "code/__torch__/modelgate_fixture_tiny.py", ts_patched
    add("malicious/torchscript-os-system.pt", torch_zip(patched),
        "model-formats.md §4 TorchScript: code/__torch__/modelgate_fixture_tiny.py patched to call os.system(\"echo modelgate-fixture\") in forward",
        ["MG1018", "MG1017"], "high")
    # Nested torch.load of a malicious torch zip held in a bytes constant.
    p = (proto(4) + sg("torch", "load") + sg("_io", "BytesIO") + binbytes(zp) + pk.TUPLE1 + pk.REDUCE
         + pk.TUPLE1 + pk.REDUCE + pk.STOP)
    add("malicious/nested-torch-load-bytesio-zip.pkl", p,
        "pickle-threats.md §6.1 ModelScan #267 (torch.load variant): torch.load(_io.BytesIO(<malicious torch zip bytes>))",
        ["MG1001", "MG1006"], "critical", ["torch.load", "os.system"], [("stream", p, "valid")])


def stored_zip(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)
    return b.getvalue()


def npy_header(descr, shape):
    """A version 1.0 .npy preamble laid out as numpy writes it (64-byte aligned)."""
    d = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (descr, tuple(shape))
    total = 10 + len(d) + 1
    d += " " * ((64 - total % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode("latin-1")


# =============================================================================
# Verification (pickletools only: decodes, never executes)
# =============================================================================

def verify():
    problems = []
    dis_notes = []
    for file, label, blob, mode in CHECKS:
        where = f"{file} [{label}]"
        try:
            if mode == "malformed":
                try:
                    for _ in pickletools.genops(blob):
                        pass
                    problems.append(f"{where}: expected a decoding error")
                except ValueError:
                    pass
                continue
            if mode == "joblib":
                names, end, unresolved = stream_globals(blob)
                if end != len(blob) or "os.system" not in names or unresolved:
                    problems.append(f"{where}: joblib walk ended at {end}/{len(blob)} with {names}")
                continue
            end = 0
            n = 0
            while end < len(blob):
                last = None
                for op, arg, pos in pickletools.genops(blob[end:]):
                    last = (op, pos)
                assert last and last[0].name == "STOP"
                end += last[1] + 1
                n += 1
                if mode in ("trailing", "trailing-ok"):
                    break
                if mode != "stacked":
                    break
            if mode in ("valid", "valid-genops") and end != len(blob):
                problems.append(f"{where}: {len(blob) - end} bytes after STOP")
            if mode == "trailing" and end == len(blob):
                problems.append(f"{where}: expected trailing bytes")
            if mode == "stacked" and n < 2:
                problems.append(f"{where}: expected stacked pickles")
            if mode == "valid":
                try:
                    pickletools.dis(blob[:end], out=io.StringIO())
                except ValueError as e:
                    dis_notes.append(f"{where}: pickletools.dis objects (by design): {e}")
        except Exception as e:  # noqa: BLE001
            problems.append(f"{where}: {e!r}")
    return problems, dis_notes


# =============================================================================
# Benign globals report
# =============================================================================

def pickles_in(data):
    """Every pickle stream in a benign file: (label, buffer, offset)."""
    if data[:6] == b"\x93NUMPY":
        return []
    if data[:4] == b"PK\x03\x04":
        z = zipfile.ZipFile(io.BytesIO(data))
        return [(n, z.read(n), 0) for n in z.namelist() if n.endswith("pkl")]
    if data[:1] == b"\x78":
        return pickles_in(zlib.decompress(data))
    if data.startswith(b"\x80\x02\x8a\x0a"):  # legacy torch: five stacked pickles
        offs = legacy_pickles(data)
        return [(f"legacy pickle {i + 1}", data, offs[i]) for i in range(5)]
    return [("stream", data, 0)]


def benign_globals():
    seen = collections.OrderedDict()
    for row in FIXTURES:
        if not row["file"].startswith("benign/"):
            continue
        for label, blob, pos in pickles_in(row["_data"]):
            names, _, unresolved = stream_globals(blob, pos)
            assert unresolved == 0, (row["file"], label)
            for n in names:
                seen.setdefault(n, set()).add(row["file"])
    return seen


# =============================================================================
# Output
# =============================================================================

README_HEAD = """# Pickle-family fixtures

Generated by `testdata/gen/pickle_fixtures.py` (run from the repository root
with `/usr/bin/python3 testdata/gen/pickle_fixtures.py`; it needs Debian's
python3-torch, python3-numpy, python3-sklearn, python3-joblib, python3-dill
and python3-cloudpickle). Do not edit the files by hand: change the generator
and re-run it. The output is deterministic (re-running leaves the tree
unchanged).

**Never load these files** (`pickle.load`, `torch.load`, `joblib.load`,
`numpy.load(allow_pickle=True)`, `dill.load`, `torch.jit.load`). The malicious
fixtures were written opcode by opcode from pickle's opcode constants, never by
pickling live objects, and their payloads are inert (`echo
modelgate-fixture`, hosts under `example.invalid`, paths under `/nonexistent`),
but they are real exploit shapes: loading one runs its call.

- `malicious/` holds one file per technique row of
  `shared/reference/pickle-threats.md` §6.1 and §6.3 (rows that are runtime-hook
  or analyser-internal issues are skipped or represented by the shape they test),
  a sample of §6.2 sinks, and the basic call forms at every protocol.
- `benign/` holds real files written by torch 1.13, numpy 1.24, joblib 1.2 with
  scikit-learn 1.2, and pickle itself.
- `manifest.json` lists, per file, `expect_rules` (rule IDs that must be among the
  findings), `max_severity` (the exact highest severity; `none` means no findings
  at all) and optional `evidence` strings (canonical `module.name` of resolved
  globals that must appear in some finding's evidence). A test checks
  `expect_rules ⊆ found` and `max(found severity) == max_severity`.

| File | Technique | Expect | Max |
|---|---|---|---|
"""


README_TAIL = """
## Not produced

- Opcode-count padding to exhaust the analyser budget (§6.1, MG1014): a
  realistic fixture needs millions of opcodes or a huge BINBYTES.
- The 128 KiB-pad form of the FRAME-length lie: `malicious/frame-length-lie.pkl`
  reproduces only the frame violation (a FRAME ending inside a BINBYTES length
  field, with `GLOBAL os system ... REDUCE` in what a linear reader sees as
  data); without the pad, CPython's C unpickler reads it like pickletools does.
- Runtime-hook and analyser-internal rows of §6.1 (GHSA-wccx-j62j-r448,
  GHSA-fphw-536r-4p88: Fickling's import hook; CVE-2025-32434: a bypass of
  torch's own restricted unpickler with no file shape of its own).
  GHSA-cffv-grgg-g429 is represented by `findings-per-rule-no-dedup.pkl` and
  CVE-2026-24747 by the APPEND-into-a-global fixture.
- 7z wrappers and joblib's legacy `ZF` container: no standard-library writer.
"""


def write_all():
    for sub in ("malicious", "benign"):
        path = os.path.join(OUT, sub)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.makedirs(path)
    FIXTURES.sort(key=lambda r: r["file"])
    manifest = []
    for row in FIXTURES:
        data = row["_data"]
        with open(os.path.join(OUT, row["file"]), "wb") as f:
            f.write(data)
        manifest.append({k: v for k, v in row.items() if not k.startswith("_")})
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    lines = [README_HEAD]
    for row in manifest:
        tech = row["technique"].replace("|", "\\|")
        exp = ", ".join(row["expect_rules"]) or "—"
        lines.append(f"| `{row['file']}` | {tech} | {exp} | {row['max_severity']} |\n")
    lines.append(README_TAIL)
    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
        f.write("".join(lines))


def main():
    if not os.path.isfile("go.mod") or not os.path.isdir(os.path.join("testdata", "gen")):
        sys.exit("run from the repository root: /usr/bin/python3 testdata/gen/pickle_fixtures.py")
    import numpy as np
    import torch
    torch.manual_seed(0)
    np.random.seed(0)
    basics()
    vm_rows()
    sinks()
    benign_torch()
    benign_numpy_and_pickle()
    benign_joblib()
    containers()
    problems, dis_notes = verify()
    for note in dis_notes:
        print("note:", note)
    if problems:
        for p in problems:
            print("PROBLEM:", p)
        sys.exit(1)
    write_all()
    big = [(r["file"], len(r["_data"])) for r in FIXTURES if len(r["_data"]) >= 64 * 1024]
    for name, size in big:
        print(f"note: {name} is {size} bytes (over 64 KiB)")
    if "--globals" in sys.argv:
        for name, files in benign_globals().items():
            print(f"global: {name}  ({len(files)} files)")
    digest = hashlib.sha256()
    for r in FIXTURES:
        digest.update(r["file"].encode() + b"\0" + hashlib.sha256(r["_data"]).digest())
    print(f"wrote {len(FIXTURES)} fixtures ({sum(1 for r in FIXTURES if r['file'].startswith('malicious/'))} malicious); "
          f"digest {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
