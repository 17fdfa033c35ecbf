"""Writes the archive-scanner fixtures into scanner/archive/testdata/.

Run from the repository root:  python3 testdata/gen/archive_fixtures.py

Standard library only (Python 3.11); the output is deterministic, so
re-running it leaves the tree unchanged. The expected rule IDs of every
fixture are listed in scanner/archive/archive_test.go.

7z. The 7z archives are written by the small writer in this file (7zFormat.txt
structures, LZMA/LZMA2 through the standard lzma module in raw mode) rather
than by a tool, so that they are byte-for-byte reproducible and so that the
hostile ones (absurd counts and dictionaries, fake encryption) can be built at
all. The valid ones were checked while writing this script with `7zz t` from
Debian's 7zip package (22.01+really26.02) and with py7zr 0.11.3 from Debian's
python3-py7zr (`apt-get install -y 7zip python3-py7zr`; py7zr installs for
/usr/bin/python3). Neither is needed to run the script.

SAFETY. The "malicious" pickle is crafted from opcodes and its payload is inert
(`echo modelgate-fixture`); nothing here loads or extracts anything. Link
targets name host files but no archive is ever extracted.

Outputs (scanner/archive/testdata/):
  7z-clean.7z            solid LZMA2 folder, LZMA-encoded header, two members
  7z-pickle.7z           a malicious pickle in an LZMA2 folder
  7z-plain-copy.7z       stored (copy coder) pickle under a .txt name, plain header
  7z-encrypted.7z        members in an AES folder
  7z-encrypted-header.7z the header itself is AES-encrypted
  7z-zstd.7z             a member coded with Zstandard (not decoded)
  7z-huge-dict.7z        an LZMA2 coder asking for a 4 GiB dictionary
  7z-huge-count.7z       a header claiming 2^32-1 files
  7z-bad-start-crc.7z    damaged start-header CRC
  7z-traversal.7z        a member named ../../etc/cron.d/modelgate
  7z-symlink.7z          a Unix symlink member pointing at /etc/passwd
  7z-member-crc.7z       a member whose data does not match its CRC-32
  7z-bomb.7z             48 MiB of zeros in a few kB
  7z-empty.7z            an archive without members
  zip-clean.zip          a plain zip with a text member
  zip-symlink.zip        Unix symlink members to /etc/passwd and ../../..
  zip-nested-ok.zip      pickle two zips deep (scanned)
  zip-nested-deep.zip    pickle six zips deep (beyond the nesting limit)
  zip-overlap-bomb.zip   64 directory entries sharing one 1 MiB deflate stream
  tar-sparse-bomb.tar    an old-GNU sparse member expanding to 1 GiB of zeros
"""
import binascii
import io
import lzma
import os
import struct
import zipfile
import zlib

OUT = os.path.join("scanner", "archive", "testdata")
FIXED_TIME = (2024, 1, 1, 0, 0, 0)

# An inert malicious pickle, protocol 2: os.system("echo modelgate-fixture").
CMD = b"echo modelgate-fixture"
EVIL_PICKLE = (b"\x80\x02" + b"cos\nsystem\n" + b"X" + struct.pack("<I", len(CMD)) + CMD
               + b"\x85" + b"R" + b".")


def noise(label, size):
    """Deterministic pseudo-random bytes."""
    import hashlib
    out = b""
    i = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:size]


def crc(b):
    return binascii.crc32(b) & 0xFFFFFFFF


# --- 7z writer ---------------------------------------------------------------

def num(n):
    """7z variable-length UINT64."""
    for i in range(9):
        if i == 8:
            return b"\xff" + n.to_bytes(8, "little")
        if n < 1 << (7 * i + 7):
            first = ((0xFF << (8 - i)) & 0xFF) | (n >> (8 * i))
            return bytes([first]) + (n & ((1 << (8 * i)) - 1)).to_bytes(i, "little")
    raise ValueError(n)


def bitvec(bits):
    out = bytearray((len(bits) + 7) // 8)
    for i, b in enumerate(bits):
        if b:
            out[i // 8] |= 0x80 >> (i % 8)
    return bytes(out)


COPY = b"\x00"
LZMA1 = b"\x03\x01\x01"
LZMA2 = b"\x21"
AES = b"\x06\xf1\x07\x01"
ZSTD = b"\x04\xf7\x11\x01"


def coder(cid, props=None, nin=1, nout=1):
    flags = len(cid)
    if nin != 1 or nout != 1:
        flags |= 0x10
    if props is not None:
        flags |= 0x20
    b = bytes([flags]) + cid
    if flags & 0x10:
        b += num(nin) + num(nout)
    if props is not None:
        b += num(len(props)) + props
    return b


def folder(coders):
    """A folder of one coder, or a chain decoded last-to-first: the packed
    stream enters the last coder, whose output feeds the one before."""
    b = num(len(coders)) + b"".join(coders)
    for i in range(len(coders) - 1):
        b += num(i) + num(i + 1)  # coder i's input <- coder i+1's output
    return b


def lzma1_props(dict_size):
    return bytes([0x5D]) + struct.pack("<I", dict_size)


def lzma1_raw(data, dict_size=1 << 16):
    return lzma.compress(data, format=lzma.FORMAT_RAW, filters=[
        {"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": 3, "lp": 0, "pb": 2}])


def lzma2_raw(data):
    # 1 MiB dictionary: LZMA2 property byte 16.
    return lzma.compress(data, format=lzma.FORMAT_RAW, filters=[
        {"id": lzma.FILTER_LZMA2, "dict_size": 1 << 20}])


def streams_info(pack_pos, pack_sizes, folders, unpack_sizes, folder_crcs=None, substreams=None):
    """folders: encoded folder records; unpack_sizes: one list per folder
    (one size per coder output); substreams: one list of (size, crc) per
    folder, or None."""
    b = b"\x06" + num(pack_pos) + num(len(pack_sizes)) + b"\x09"
    b += b"".join(num(s) for s in pack_sizes) + b"\x00"
    b += b"\x07\x0b" + num(len(folders)) + b"\x00" + b"".join(folders) + b"\x0c"
    b += b"".join(num(s) for sizes in unpack_sizes for s in sizes)
    if folder_crcs is not None:
        b += b"\x0a\x01" + b"".join(struct.pack("<I", c) for c in folder_crcs)
    b += b"\x00"
    if substreams is not None:
        b += b"\x08\x0d" + b"".join(num(len(s)) for s in substreams)
        sizes = b"".join(num(size) for s in substreams for size, _ in s[:-1])
        if any(len(s) > 1 for s in substreams):
            b += b"\x09" + sizes
        b += b"\x0a\x01" + b"".join(struct.pack("<I", c) for s in substreams for _, c in s)
        b += b"\x00"
    return b + b"\x00"


UNIX_FILE = 0x8000 | (0o100644 << 16)
UNIX_LINK = 0x8000 | (0o120777 << 16)


def files_info(names, attrs=None, empty=None):
    b = b"\x05" + num(len(names))
    if empty is not None:
        v = bitvec(empty)
        b += b"\x0e" + num(len(v)) + v
    nb = b"\x00" + b"".join(n.encode("utf-16-le") + b"\x00\x00" for n in names)
    b += b"\x11" + num(len(nb)) + nb
    if attrs is not None:
        ab = b"\x01\x00" + b"".join(struct.pack("<I", a) for a in attrs)
        b += b"\x15" + num(len(ab)) + ab
    return b + b"\x00"


def sevenzip(packed, header, encode_header=True):
    """packed: the packed streams; header: the plain header (from 0x01)."""
    if encode_header:
        hc = lzma1_raw(header)
        enc = b"\x17" + streams_info(len(packed), [len(hc)], [folder([coder(LZMA1, lzma1_props(1 << 16))])],
                                     [[len(header)]], folder_crcs=[crc(header)])
        packed, header = packed + hc, enc
    start = struct.pack("<QQI", len(packed), len(header), crc(header))
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", crc(start)) + start + packed + header


def solid_lzma2(members, attrs=None, encode_header=True):
    """members: [(name, data)], all in one LZMA2 folder."""
    data = b"".join(d for _, d in members)
    packed = lzma2_raw(data)
    hdr = b"\x01\x04" + streams_info(0, [len(packed)], [folder([coder(LZMA2, b"\x10")])], [[len(data)]],
                                     substreams=[[(len(d), crc(d)) for _, d in members]])
    hdr += files_info([n for n, _ in members], attrs) + b"\x00"
    return sevenzip(packed, hdr, encode_header)


def stored(members, attrs=None, encode_header=False, bad_crc=False):
    """members in one copy-coder folder."""
    data = b"".join(d for _, d in members)
    subs = [(len(d), crc(d) ^ (1 if bad_crc else 0)) for _, d in members]
    hdr = b"\x01\x04" + streams_info(0, [len(data)], [folder([coder(COPY)])], [[len(data)]], substreams=[subs])
    hdr += files_info([n for n, _ in members], attrs) + b"\x00"
    return sevenzip(data, hdr, encode_header)


def one_folder(coders, unpack_sizes, packed, name, size, file_crc):
    hdr = b"\x01\x04" + streams_info(0, [len(packed)], [folder(coders)], [unpack_sizes],
                                     substreams=[[(size, file_crc)]])
    hdr += files_info([name]) + b"\x00"
    return hdr


def sevenzip_fixtures():
    notes = b"Model card: a tiny test model.\n" * 4
    weights = noise("weights", 3000)
    yield "7z-clean.7z", solid_lzma2([("notes.txt", notes), ("weights.bin", weights)])
    yield "7z-pickle.7z", solid_lzma2([("README.txt", notes), ("model/model.pkl", EVIL_PICKLE)])
    yield "7z-plain-copy.7z", stored([("data.txt", EVIL_PICKLE)])

    # AES folder: LZMA2 <- AES. The "ciphertext" is noise; nothing decrypts it.
    secret = noise("plain", 200)
    aes_props = bytes([0x40 | 19, 0x07]) + noise("iv", 8)
    ct = noise("ciphertext", 208)
    hdr = one_folder([coder(LZMA2, b"\x10"), coder(AES, aes_props)], [len(secret), len(ct)], ct,
                     "model.pkl", len(secret), crc(secret))
    yield "7z-encrypted.7z", sevenzip(ct, hdr, encode_header=False)

    # Encrypted header: the encoded header's folder is LZMA <- AES.
    hct = noise("header-ciphertext", 96)
    enc = b"\x17" + streams_info(0, [len(hct)], [folder([coder(LZMA1, lzma1_props(1 << 16)), coder(AES, aes_props)])],
                                 [[90, len(hct)]], folder_crcs=[0x12345678])
    start = struct.pack("<QQI", len(hct), len(enc), crc(enc))
    yield "7z-encrypted-header.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", crc(start)) + start + hct + enc

    # Zstandard member: known to 7-Zip ZS, not decoded here.
    zdata = noise("zstd-frame", 64)
    hdr = one_folder([coder(ZSTD, b"\x01\x05\x03")], [500], zdata, "model.pkl", 500, 0)
    yield "7z-zstd.7z", sevenzip(zdata, hdr, encode_header=False)

    # An LZMA2 coder asking for a 4 GiB dictionary (property 40) for a
    # 45-byte member: 7-Zip decodes it with a small buffer, but a decoder
    # that allocates what the property says does not.
    payload = lzma2_raw(EVIL_PICKLE)
    hdr = one_folder([coder(LZMA2, bytes([40]))], [len(EVIL_PICKLE)], payload, "model.pkl",
                     len(EVIL_PICKLE), crc(EVIL_PICKLE))
    yield "7z-huge-dict.7z", sevenzip(payload, hdr, encode_header=False)

    # A plain header that claims 2^32-1 files (the reader would allocate them).
    hdr = b"\x01\x05" + num(0xFFFFFFFF) + b"\x00\x00"
    yield "7z-huge-count.7z", sevenzip(b"", hdr, encode_header=False)

    good = stored([("notes.txt", notes)])
    yield "7z-bad-start-crc.7z", good[:8] + bytes([good[8] ^ 0xFF]) + good[9:]

    yield "7z-traversal.7z", stored([("../../etc/cron.d/modelgate", b"* * * * * root true\n")], encode_header=True)
    yield "7z-symlink.7z", stored([("passwd", b"/etc/passwd"), ("notes.txt", notes)], attrs=[UNIX_LINK, UNIX_FILE])
    yield "7z-member-crc.7z", stored([("notes.txt", notes)], bad_crc=True)
    yield "7z-bomb.7z", solid_lzma2([("zeros.bin", bytes(48 << 20))])

    # No members: 7-Zip writes a start header with a zero-length next header.
    start = struct.pack("<QQI", 0, 0, 0)
    yield "7z-empty.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", crc(start)) + start


# --- zip and tar -------------------------------------------------------------

def zinfo(name, mode=None):
    zi = zipfile.ZipInfo(name, FIXED_TIME)
    zi.compress_type = zipfile.ZIP_DEFLATED
    if mode is not None:
        zi.create_system = 3
        zi.external_attr = mode << 16
    return zi


def make_zip(members):
    """members: [(name, data, unix mode or None)]."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, mode in members:
            z.writestr(zinfo(name, mode), data)
    return buf.getvalue()


def nested(depth):
    data = make_zip([("model.pkl", EVIL_PICKLE, None)])
    for i in range(depth - 1):
        data = make_zip([(f"level{depth - 1 - i}.zip", data, None)])
    return data


def overlap_bomb(entries=64, kernel_size=1 << 20):
    """Every central-directory entry points at the same local header and
    deflate stream (the overlapping-entry zip bomb)."""
    raw = bytes(kernel_size)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = co.compress(raw) + co.flush()
    c = crc(raw)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x5821, c, len(data), len(raw), 1, 0) + b"k" + data
    cd = b""
    for i in range(entries):
        name = f"k{i:02d}".encode()
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x5821, c, len(data), len(raw),
                          len(name), 0, 0, 0, 0, 0, 0) + name
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(cd), len(local), 0)
    return local + cd + eocd


def tar_octal(n, width):
    return (b"%0*o" % (width - 1, n)) + b"\x00"


def sparse_bomb(real_size=1 << 30):
    """One old-GNU sparse member ('S'): 512 stored bytes at the start of a
    1 GiB file whose remainder is a hole (zeros on extraction)."""
    h = bytearray(512)
    h[0:9] = b"zeros.bin"
    h[100:108] = tar_octal(0o644, 8)
    h[108:116] = tar_octal(0, 8)
    h[116:124] = tar_octal(0, 8)
    h[124:136] = tar_octal(512, 12)
    h[136:148] = tar_octal(1704067200, 12)
    h[156:157] = b"S"
    h[257:265] = b"ustar  \x00"
    h[386:398] = tar_octal(0, 12)      # sparse[0].offset
    h[398:410] = tar_octal(512, 12)    # sparse[0].numbytes
    h[482] = 0                         # no extension headers
    h[483:495] = tar_octal(real_size, 12)
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\x00 " % sum(h)
    return bytes(h) + noise("sparse", 512) + bytes(1024)


def zip_fixtures():
    yield "zip-clean.zip", make_zip([("notes.txt", b"Model card.\n", None)])
    yield "zip-symlink.zip", make_zip([
        ("weights/data.bin", noise("data", 256), 0o100644),
        ("weights/passwd", b"/etc/passwd", 0o120777),
        ("weights/key", b"../../../home/user/.ssh/id_rsa", 0o120777),
        ("weights/inside", b"data.bin", 0o120777),
    ])
    yield "zip-nested-ok.zip", nested(2)
    yield "zip-nested-deep.zip", nested(6)
    yield "zip-overlap-bomb.zip", overlap_bomb()
    yield "tar-sparse-bomb.tar", sparse_bomb()


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith((".7z", ".zip", ".tar")):
            os.remove(os.path.join(OUT, name))
    for gen in (sevenzip_fixtures, zip_fixtures):
        for name, data in gen():
            with open(os.path.join(OUT, name), "wb") as f:
                f.write(data)
            print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
