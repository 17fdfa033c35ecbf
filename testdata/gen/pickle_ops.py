"""Byte-level helpers for testdata/gen/pickle_fixtures.py.

Three things live here, all standard library only:

* opcode builders: small functions that return the exact bytes of one pickle
  opcode with its argument, so malicious fixtures are written opcode by
  opcode and never produced by pickling a live object;
* container helpers: a lenient zip patcher (driven by the central directory,
  like PyTorch's reader), in-place zip timestamp fixing, and hand-written
  LZ4-frame and Zstandard-frame writers that use uncompressed/raw blocks;
* `Shadow`, a static walker that decodes opcodes with pickletools' own
  argument readers and keeps a shadow stack and memo of *descriptions* of
  values. It never imports, calls or constructs anything the stream names: it
  exists to list the globals a stream references (for the benign-globals
  report) and to step over the raw array bytes that joblib writes inside its
  pickle stream.

Nothing in this module unpickles or executes anything.
"""
import io
import pickle as pk
import pickletools
import struct

# --- opcode builders ---------------------------------------------------------


def proto(n):
    return pk.PROTO + bytes([n])


def frame(body):
    """A FRAME opcode followed by body, whose length it declares."""
    return pk.FRAME + struct.pack("<Q", len(body)) + body


def glob(module, name):
    """GLOBAL: two text lines."""
    return pk.GLOBAL + module.encode("utf-8") + b"\n" + name.encode("utf-8") + b"\n"


def inst(module, name):
    """INST: two text lines; the call's arguments are the items above MARK."""
    return pk.INST + module.encode("utf-8") + b"\n" + name.encode("utf-8") + b"\n"


def u(s):
    """The shortest binary unicode opcode for s (SHORT_BINUNICODE or BINUNICODE)."""
    b = s.encode("utf-8")
    if len(b) < 256:
        return pk.SHORT_BINUNICODE + bytes([len(b)]) + b
    return pk.BINUNICODE + struct.pack("<I", len(b)) + b


def binunicode(s):
    b = s.encode("utf-8")
    return pk.BINUNICODE + struct.pack("<I", len(b)) + b


def binunicode8(s):
    b = s.encode("utf-8")
    return pk.BINUNICODE8 + struct.pack("<Q", len(b)) + b


def unicode0(s):
    """Protocol-0 UNICODE: raw-unicode-escape text line."""
    return pk.UNICODE + s.encode("raw_unicode_escape") + b"\n"


def string0(s):
    """Protocol-0 STRING: a quoted repr on one line (ASCII only here)."""
    r = repr(s)
    assert r[0] in "'\"" and "\n" not in r
    return pk.STRING + r.encode("ascii") + b"\n"


def short_binstring(s):
    b = s.encode("ascii")
    return pk.SHORT_BINSTRING + bytes([len(b)]) + b


def bytes_(b):
    """SHORT_BINBYTES or BINBYTES."""
    if len(b) < 256:
        return pk.SHORT_BINBYTES + bytes([len(b)]) + b
    return pk.BINBYTES + struct.pack("<I", len(b)) + b


def binbytes(b):
    return pk.BINBYTES + struct.pack("<I", len(b)) + b


def sg(module, name):
    """STACK_GLOBAL with both operands as SHORT_BINUNICODE constants."""
    return u(module) + u(name) + pk.STACK_GLOBAL


def binput(i):
    return pk.BINPUT + bytes([i])


def binget(i):
    return pk.BINGET + bytes([i])


def put0(i, eol=b"\n"):
    return pk.PUT + str(i).encode() + eol


def get0(i, eol=b"\n"):
    return pk.GET + str(i).encode() + eol


def integer(n):
    """The shortest binary int opcode for n."""
    if 0 <= n < 256:
        return pk.BININT1 + bytes([n])
    if 0 <= n < 65536:
        return pk.BININT2 + struct.pack("<H", n)
    if -(2 ** 31) <= n < 2 ** 31:
        return pk.BININT + struct.pack("<i", n)
    raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return pk.LONG1 + bytes([len(raw)]) + raw


def tup(*items):
    """MARK items TUPLE (works at every protocol)."""
    return pk.MARK + b"".join(items) + pk.TUPLE


def lst(*items):
    return pk.MARK + b"".join(items) + pk.LIST


# --- zip helpers -------------------------------------------------------------


class ZipEntry:
    """One central-directory entry and where its fields live in the file."""

    def __init__(self, cd_off, name, flags, crc, csize, usize, local_off, n_len, x_len, c_len):
        self.cd_off = cd_off
        self.name = name
        self.flags = flags
        self.crc = crc
        self.csize = csize
        self.usize = usize
        self.local_off = local_off
        self.cd_name_len = n_len
        self.cd_extra_len = x_len
        self.cd_comment_len = c_len


def zip_entries(data, base=0):
    """Central-directory entries of the zip in data (offsets relative to base)."""
    eocd = data.rindex(b"PK\x05\x06")
    count, cd_size, cd_off = struct.unpack_from("<HII", data, eocd + 10)
    pos = base + cd_off
    out = []
    for _ in range(count):
        assert data[pos:pos + 4] == b"PK\x01\x02", "central directory entry expected"
        flags, = struct.unpack_from("<H", data, pos + 8)
        crc, csize, usize, n, x, c = struct.unpack_from("<IIIHHH", data, pos + 16)
        local, = struct.unpack_from("<I", data, pos + 42)
        name = data[pos + 46:pos + 46 + n].decode("utf-8")
        out.append(ZipEntry(pos, name, flags, crc, csize, usize, base + local, n, x, c))
        pos += 46 + n + x + c
    return out


def zip_entry(data, name):
    found = [e for e in zip_entries(data) if e.name == name]
    assert len(found) == 1, name
    return found[0]


def zip_set_flag(data, name, bit):
    """Set a general-purpose flag bit on a member, in its local and central headers."""
    d = bytearray(data)
    e = zip_entry(bytes(d), name)
    for off in (e.local_off + 6, e.cd_off + 8):
        v, = struct.unpack_from("<H", d, off)
        struct.pack_into("<H", d, off, v | bit)
    return bytes(d)


def zip_rename_local(data, name, new_name):
    """Give a member a different name in its local header only (same length)."""
    assert len(new_name) == len(name)
    d = bytearray(data)
    e = zip_entry(bytes(d), name)
    n, = struct.unpack_from("<H", d, e.local_off + 26)
    assert d[e.local_off + 30:e.local_off + 30 + n] == name.encode()
    d[e.local_off + 30:e.local_off + 30 + n] = new_name.encode()
    return bytes(d)


def zip_break_crc(data, name):
    """Replace a member's CRC-32 everywhere it is recorded with a wrong value."""
    d = bytearray(data)
    e = zip_entry(bytes(d), name)
    bad = (e.crc ^ 0xDEADBEEF) & 0xFFFFFFFF
    struct.pack_into("<I", d, e.cd_off + 16, bad)
    lflags, = struct.unpack_from("<H", d, e.local_off + 6)
    n, x = struct.unpack_from("<HH", d, e.local_off + 26)
    if lflags & 0x08:
        desc = e.local_off + 30 + n + x + e.csize
        if d[desc:desc + 4] == b"PK\x07\x08":
            desc += 4
        crc_here, = struct.unpack_from("<I", d, desc)
        assert crc_here == e.crc
        struct.pack_into("<I", d, desc, bad)
    else:
        struct.pack_into("<I", d, e.local_off + 14, bad)
    return bytes(d)


def zip_fix_times(data, dos_time=0, dos_date=(0 << 9) | (1 << 5) | 1):
    """Overwrite every member's DOS time/date (local and central) in place.

    Used on archives written by library code that stamps the current time
    (numpy.savez); the layout is otherwise left exactly as the library wrote it.
    """
    d = bytearray(data)
    for e in zip_entries(bytes(d)):
        for off in (e.local_off + 10, e.cd_off + 12):
            struct.pack_into("<HH", d, off, dos_time, dos_date)
    return bytes(d)


# --- LZ4 frame and Zstandard frame writers (no compression) -------------------

_P1, _P2, _P3, _P4, _P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
_M32 = 0xFFFFFFFF


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & _M32


def xxh32(data, seed=0):
    """xxHash32, as needed for the LZ4 frame header checksum."""
    n = len(data)
    i = 0
    if n >= 16:
        v = [(seed + _P1 + _P2) & _M32, (seed + _P2) & _M32, seed & _M32, (seed - _P1) & _M32]
        while i + 16 <= n:
            for k in range(4):
                lane, = struct.unpack_from("<I", data, i)
                v[k] = (_rotl((v[k] + lane * _P2) & _M32, 13) * _P1) & _M32
                i += 4
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M32
    else:
        h = (seed + _P5) & _M32
    h = (h + n) & _M32
    while i + 4 <= n:
        lane, = struct.unpack_from("<I", data, i)
        h = (_rotl((h + lane * _P3) & _M32, 17) * _P4) & _M32
        i += 4
    while i < n:
        h = (_rotl((h + data[i] * _P5) & _M32, 11) * _P1) & _M32
        i += 1
    h ^= h >> 15
    h = (h * _P2) & _M32
    h ^= h >> 13
    h = (h * _P3) & _M32
    h ^= h >> 16
    return h


def lz4_frame_stored(payload):
    """An LZ4 frame (magic 04 22 4D 18) whose blocks are stored uncompressed."""
    flg = 0x60  # version 01, independent blocks, no checksums, no content size
    bd = 0x40  # 64 KiB maximum block size
    hc = (xxh32(bytes([flg, bd])) >> 8) & 0xFF
    out = b"\x04\x22\x4d\x18" + bytes([flg, bd, hc])
    for i in range(0, len(payload), 65536):
        block = payload[i:i + 65536]
        out += struct.pack("<I", len(block) | 0x80000000) + block
    return out + b"\x00\x00\x00\x00"


def zstd_frame_raw(payload):
    """A Zstandard frame (magic 28 B5 2F FD) made of Raw blocks, single segment."""
    n = len(payload)
    assert n <= 128 * 1024
    if n < 256:
        fhd, fcs = 0x20, bytes([n])  # single segment, 1-byte content size
    else:
        assert n - 256 < 65536
        fhd, fcs = 0x60, struct.pack("<H", n - 256)  # 2-byte content size (minus 256)
    header = (n << 3) | (0 << 1) | 1  # Raw block, last block
    return b"\x28\xb5\x2f\xfd" + bytes([fhd]) + fcs + struct.pack("<I", header)[:3] + payload


# --- static shadow walker (lists globals; never executes) ----------------------


class Opaque:
    """Stands for a value the walker does not build: a global, a call result..."""

    def __init__(self, kind, name=None, args=None):
        self.kind = kind
        self.name = name
        self.args = args
        self.state = None


_MARK = object()


class Shadow:
    """Decodes one pickle stream opcode by opcode with pickletools' readers.

    Records every global reference (GLOBAL, INST, and STACK_GLOBAL whose
    operands are constant strings) as "module.name". When a BUILD completes a
    joblib NumpyArrayWrapper it steps over the raw array bytes joblib writes
    right after it (or walks the nested pickle of an object array).
    """

    def __init__(self, data, pos=0):
        self.data = data
        self.f = io.BytesIO(data)
        self.f.seek(pos)
        self.globals = []
        self.unresolved = 0
        self.stack = []
        self.metastack = []
        self.memo = {}

    def pop_mark(self):
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def note(self, module, name):
        self.globals.append(f"{module}.{name}")

    def run(self):
        """Walk to STOP; return the offset just past it."""
        f = self.f
        while True:
            c = f.read(1)
            if not c:
                raise ValueError("pickle ended before STOP")
            op = pickletools.code2op.get(c.decode("latin-1"))
            if op is None:
                raise ValueError(f"invalid opcode {c!r} at {f.tell() - 1}")
            arg = op.arg.reader(f) if op.arg is not None else None
            name = op.name
            st = self.stack
            if name == "STOP":
                return f.tell()
            if name in ("PROTO", "FRAME"):
                continue
            if name == "MARK":
                self.metastack.append(st)
                self.stack = []
            elif name == "POP":
                if st:
                    st.pop()
                else:
                    self.pop_mark()
            elif name == "POP_MARK":
                self.pop_mark()
            elif name == "DUP":
                st.append(st[-1])
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                self.memo[arg] = st[-1]
            elif name == "MEMOIZE":
                self.memo[len(self.memo)] = st[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                st.append(self.memo.get(arg, Opaque("missing")))
            elif name == "GLOBAL":
                module, _, attr = arg.partition(" ")
                self.note(module, attr)
                st.append(Opaque("global", f"{module}.{attr}"))
            elif name == "STACK_GLOBAL":
                attr = st.pop()
                module = st.pop()
                if isinstance(module, str) and isinstance(attr, str):
                    self.note(module, attr)
                    st.append(Opaque("global", f"{module}.{attr}"))
                else:
                    self.unresolved += 1
                    st.append(Opaque("global", None))
            elif name == "INST":
                module, _, attr = arg.partition(" ")
                self.note(module, attr)
                self.pop_mark()
                self.stack.append(Opaque("inst", f"{module}.{attr}"))
            elif name == "OBJ":
                items = self.pop_mark()
                cls = items[0] if items else None
                self.stack.append(Opaque("inst", getattr(cls, "name", None)))
            elif name == "NEWOBJ":
                st.pop()
                cls = st.pop()
                st.append(Opaque("inst", getattr(cls, "name", None)))
            elif name == "NEWOBJ_EX":
                st.pop()
                st.pop()
                cls = st.pop()
                st.append(Opaque("inst", getattr(cls, "name", None)))
            elif name == "REDUCE":
                args = st.pop()
                fn = st.pop()
                st.append(Opaque("call", getattr(fn, "name", None), args))
            elif name == "BUILD":
                state = st.pop()
                target = st[-1]
                if isinstance(target, Opaque):
                    target.state = state
                    if target.kind == "inst" and target.name == "joblib.numpy_pickle.NumpyArrayWrapper":
                        self.skip_joblib_array(state)
            elif name in ("PERSID",):
                st.append(Opaque("persid", None, arg))
            elif name == "BINPERSID":
                pid = st.pop()
                st.append(Opaque("persid", None, pid))
            elif name in ("EXT1", "EXT2", "EXT4"):
                self.unresolved += 1
                st.append(Opaque("ext", None, arg))
            elif name == "EMPTY_LIST":
                st.append([])
            elif name == "EMPTY_TUPLE":
                st.append(())
            elif name == "EMPTY_DICT":
                st.append({})
            elif name == "EMPTY_SET":
                st.append(Opaque("set"))
            elif name == "LIST":
                self.stack = self.metastack.pop()
                self.stack.append(list(st))
            elif name == "TUPLE":
                self.stack = self.metastack.pop()
                self.stack.append(tuple(st))
            elif name == "FROZENSET":
                self.stack = self.metastack.pop()
                self.stack.append(Opaque("frozenset"))
            elif name == "DICT":
                self.stack = self.metastack.pop()
                self.stack.append(self.make_dict(st))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                items = tuple(st[-n:])
                del st[-n:]
                st.append(items)
            elif name == "APPEND":
                v = st.pop()
                if isinstance(st[-1], list):
                    st[-1].append(v)
            elif name == "APPENDS":
                items = self.pop_mark()
                if isinstance(self.stack[-1], list):
                    self.stack[-1].extend(items)
            elif name == "ADDITEMS":
                self.pop_mark()
            elif name == "SETITEM":
                v = st.pop()
                k = st.pop()
                if isinstance(st[-1], dict):
                    self.set_item(st[-1], k, v)
            elif name == "SETITEMS":
                items = self.pop_mark()
                target = self.stack[-1]
                if isinstance(target, dict):
                    for i in range(0, len(items) - 1, 2):
                        self.set_item(target, items[i], items[i + 1])
            elif name in ("NEXT_BUFFER",):
                st.append(Opaque("buffer"))
            elif name == "READONLY_BUFFER":
                pass
            else:
                # Every remaining opcode pushes its decoded argument (ints,
                # floats, strings, bytes, None, True, False).
                if name in ("NONE",):
                    arg = None
                elif name == "NEWTRUE":
                    arg = True
                elif name == "NEWFALSE":
                    arg = False
                elif name in ("BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"):
                    arg = bytes(arg)
                st.append(arg)

    @staticmethod
    def set_item(d, k, v):
        try:
            d[k] = v
        except TypeError:
            pass

    def make_dict(self, items):
        d = {}
        for i in range(0, len(items) - 1, 2):
            self.set_item(d, items[i], items[i + 1])
        return d

    def skip_joblib_array(self, state):
        """Step over what joblib writes after a NumpyArrayWrapper's BUILD."""
        if not isinstance(state, dict):
            raise ValueError("NumpyArrayWrapper state is not a dict")
        shape = state.get("shape")
        dtype = state.get("dtype")
        descr = dtype.args[0] if isinstance(dtype, Opaque) and isinstance(dtype.args, tuple) else None
        if "numpy_array_alignment_bytes" in state:
            pad = self.f.read(1)[0]
            self.f.read(pad)
        if descr is None:
            raise ValueError("NumpyArrayWrapper dtype not understood")
        if descr.startswith("O"):
            # Object array: a nested pickle sits here. Walk it like any other.
            inner = Shadow(self.data, self.f.tell())
            end = inner.run()
            self.globals.extend(inner.globals)
            self.unresolved += inner.unresolved
            self.f.seek(end)
            return
        count = 1
        for dim in shape:
            count *= dim
        self.f.read(count * itemsize(descr))


def itemsize(descr):
    """Element size of a numpy dtype string such as 'f4', 'i8', 'b1', 'V64', 'U3'."""
    kind = descr.lstrip("<>|=")[0]
    digits = descr.lstrip("<>|=")[1:]
    n = int(digits) if digits else 1
    return n * 4 if kind == "U" else n


def stream_globals(data, pos=0):
    """(globals, end offset, unresolved count) of the pickle at data[pos:]."""
    s = Shadow(data, pos)
    end = s.run()
    return s.globals, end, s.unresolved


# --- hand-written zip with a traditional-PKWARE (ZipCrypto) encrypted member ---

def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def zipcrypto_encrypt(plain, password, check_byte, header_seed=b"modelgate-f"):
    """Traditional PKWARE encryption: 12-byte header (fixed, for determinism) + data."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(c):
        keys[0] = (keys[0] >> 8) ^ _CRC_TABLE[(keys[0] ^ c) & 0xFF]
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & _M32
        keys[2] = (keys[2] >> 8) ^ _CRC_TABLE[(keys[2] ^ (keys[1] >> 24)) & 0xFF]

    def stream_byte():
        t = (keys[2] | 2) & 0xFFFF
        return ((t * (t ^ 1)) >> 8) & 0xFF

    for c in password:
        update(c)
    header = header_seed[:11] + bytes([check_byte])
    out = bytearray()
    for c in header + plain:
        out.append(c ^ stream_byte())
        update(c)
    return bytes(out)


def raw_zip(members):
    """A stored zip from (name, plain bytes, password or None); DOS date 1980-01-01."""
    import zlib
    local = b""
    central = b""
    dos_time, dos_date = 0, (1 << 5) | 1
    for name, plain, password in members:
        crc = zlib.crc32(plain) & _M32
        flags = 0
        data = plain
        if password is not None:
            flags |= 0x1
            data = zipcrypto_encrypt(plain, password, crc >> 24)
        n = name.encode()
        offset = len(local)
        local += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, 0, dos_time, dos_date,
                             crc, len(data), len(plain), len(n), 0) + n + data
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, 0, dos_time, dos_date,
                               crc, len(data), len(plain), len(n), 0, 0, 0, 0, 0o644 << 16, offset) + n
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                       len(central), len(local), 0)
    return local + central + eocd
