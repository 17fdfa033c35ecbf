// Package pickleops is the table of pickle opcodes (protocols 0–5): their
// bytes, argument encodings and stack effects, as CPython's pickletools
// documents them. It holds data and tiny helpers only, so that the content
// sniffer and the pickle scanner share one definition.
package pickleops

// Arg is how an opcode's inline argument is encoded.
type Arg uint8

// Argument encodings.
const (
	ArgNone       Arg = iota
	ArgU1             // 1-byte unsigned
	ArgU2             // 2-byte little-endian unsigned
	ArgI4             // 4-byte little-endian signed
	ArgU4             // 4-byte little-endian unsigned
	ArgU8             // 8-byte little-endian unsigned
	ArgF8             // 8-byte big-endian double
	ArgDecimalNL      // decimal integer line (INT, LONG, GET, PUT)
	ArgFloatNL        // float line
	ArgStringNL       // quoted repr line (STRING)
	ArgUnicodeNL      // raw-unicode-escape line (UNICODE)
	ArgRawNL          // unquoted line (PERSID)
	ArgGlobalNL       // two lines: module and name (GLOBAL, INST)
	ArgLen1           // u8 length + bytes
	ArgLen4Signed     // int32 length + bytes (BINSTRING)
	ArgLen4           // u32 length + bytes
	ArgLen8           // u64 length + bytes
	ArgLong1          // u8 length + two's-complement bytes
	ArgLong4          // int32 length + two's-complement bytes
)

// Effect is an opcode's effect on the stack.
type Effect uint8

// Stack effects.
const (
	EffPush      Effect = iota // pushes one value
	EffNone                    // leaves the stack as it is (needs nothing)
	EffNeed1                   // needs one value, leaves the stack (PUT, MEMOIZE)
	EffPop1                    // pops one value (POP, STOP)
	EffPop1Push1               // replaces the top value (TUPLE1, BINPERSID)
	EffPop2Push1               // REDUCE, BUILD, NEWOBJ, STACK_GLOBAL, TUPLE2
	EffPop3Push1               // TUPLE3, NEWOBJ_EX
	EffDup                     // DUP
	EffAppend                  // APPEND: pops one, needs the target below
	EffSetItem                 // SETITEM: pops two, needs the target below
	EffMark                    // MARK: pushes a mark
	EffPopMark                 // POP_MARK: drops everything to the mark
	EffMarkPush1               // LIST, TUPLE, DICT, FROZENSET, INST, OBJ: items above the mark become one value
	EffMarkInto                // APPENDS, SETITEMS, ADDITEMS: items above the mark go into the value below it
)

// Op describes one opcode.
type Op struct {
	Code   byte
	Name   string
	Proto  uint8
	Arg    Arg
	Effect Effect
}

// Opcode bytes that the scanners refer to by name.
const (
	MARK             = '('
	STOP             = '.'
	POP              = '0'
	POP_MARK         = '1'
	DUP              = '2'
	FLOAT            = 'F'
	INT              = 'I'
	BININT           = 'J'
	BININT1          = 'K'
	LONG             = 'L'
	BININT2          = 'M'
	NONE             = 'N'
	PERSID           = 'P'
	BINPERSID        = 'Q'
	REDUCE           = 'R'
	STRING           = 'S'
	BINSTRING        = 'T'
	SHORT_BINSTRING  = 'U'
	UNICODE          = 'V'
	BINUNICODE       = 'X'
	APPEND           = 'a'
	BUILD            = 'b'
	GLOBAL           = 'c'
	DICT             = 'd'
	EMPTY_DICT       = '}'
	APPENDS          = 'e'
	GET              = 'g'
	BINGET           = 'h'
	INST             = 'i'
	LONG_BINGET      = 'j'
	LIST             = 'l'
	EMPTY_LIST       = ']'
	OBJ              = 'o'
	PUT              = 'p'
	BINPUT           = 'q'
	LONG_BINPUT      = 'r'
	SETITEM          = 's'
	TUPLE            = 't'
	EMPTY_TUPLE      = ')'
	SETITEMS         = 'u'
	BINFLOAT         = 'G'
	PROTO            = 0x80
	NEWOBJ           = 0x81
	EXT1             = 0x82
	EXT2             = 0x83
	EXT4             = 0x84
	TUPLE1           = 0x85
	TUPLE2           = 0x86
	TUPLE3           = 0x87
	NEWTRUE          = 0x88
	NEWFALSE         = 0x89
	LONG1            = 0x8a
	LONG4            = 0x8b
	BINBYTES         = 'B'
	SHORT_BINBYTES   = 'C'
	SHORT_BINUNICODE = 0x8c
	BINUNICODE8      = 0x8d
	BINBYTES8        = 0x8e
	EMPTY_SET        = 0x8f
	ADDITEMS         = 0x90
	FROZENSET        = 0x91
	NEWOBJ_EX        = 0x92
	STACK_GLOBAL     = 0x93
	MEMOIZE          = 0x94
	FRAME            = 0x95
	BYTEARRAY8       = 0x96
	NEXT_BUFFER      = 0x97
	READONLY_BUFFER  = 0x98
)

var ops = []Op{
	{MARK, "MARK", 0, ArgNone, EffMark},
	{STOP, "STOP", 0, ArgNone, EffPop1},
	{POP, "POP", 0, ArgNone, EffPop1},
	{POP_MARK, "POP_MARK", 1, ArgNone, EffPopMark},
	{DUP, "DUP", 0, ArgNone, EffDup},
	{FLOAT, "FLOAT", 0, ArgFloatNL, EffPush},
	{INT, "INT", 0, ArgDecimalNL, EffPush},
	{BININT, "BININT", 1, ArgI4, EffPush},
	{BININT1, "BININT1", 1, ArgU1, EffPush},
	{LONG, "LONG", 0, ArgDecimalNL, EffPush},
	{BININT2, "BININT2", 1, ArgU2, EffPush},
	{NONE, "NONE", 0, ArgNone, EffPush},
	{PERSID, "PERSID", 0, ArgRawNL, EffPush},
	{BINPERSID, "BINPERSID", 1, ArgNone, EffPop1Push1},
	{REDUCE, "REDUCE", 0, ArgNone, EffPop2Push1},
	{STRING, "STRING", 0, ArgStringNL, EffPush},
	{BINSTRING, "BINSTRING", 1, ArgLen4Signed, EffPush},
	{SHORT_BINSTRING, "SHORT_BINSTRING", 1, ArgLen1, EffPush},
	{UNICODE, "UNICODE", 0, ArgUnicodeNL, EffPush},
	{BINUNICODE, "BINUNICODE", 1, ArgLen4, EffPush},
	{APPEND, "APPEND", 0, ArgNone, EffAppend},
	{BUILD, "BUILD", 0, ArgNone, EffPop2Push1},
	{GLOBAL, "GLOBAL", 0, ArgGlobalNL, EffPush},
	{DICT, "DICT", 0, ArgNone, EffMarkPush1},
	{EMPTY_DICT, "EMPTY_DICT", 1, ArgNone, EffPush},
	{APPENDS, "APPENDS", 1, ArgNone, EffMarkInto},
	{GET, "GET", 0, ArgDecimalNL, EffPush},
	{BINGET, "BINGET", 1, ArgU1, EffPush},
	{INST, "INST", 0, ArgGlobalNL, EffMarkPush1},
	{LONG_BINGET, "LONG_BINGET", 1, ArgU4, EffPush},
	{LIST, "LIST", 0, ArgNone, EffMarkPush1},
	{EMPTY_LIST, "EMPTY_LIST", 1, ArgNone, EffPush},
	{OBJ, "OBJ", 1, ArgNone, EffMarkPush1},
	{PUT, "PUT", 0, ArgDecimalNL, EffNeed1},
	{BINPUT, "BINPUT", 1, ArgU1, EffNeed1},
	{LONG_BINPUT, "LONG_BINPUT", 1, ArgU4, EffNeed1},
	{SETITEM, "SETITEM", 0, ArgNone, EffSetItem},
	{TUPLE, "TUPLE", 0, ArgNone, EffMarkPush1},
	{EMPTY_TUPLE, "EMPTY_TUPLE", 1, ArgNone, EffPush},
	{SETITEMS, "SETITEMS", 1, ArgNone, EffMarkInto},
	{BINFLOAT, "BINFLOAT", 1, ArgF8, EffPush},
	{PROTO, "PROTO", 2, ArgU1, EffNone},
	{NEWOBJ, "NEWOBJ", 2, ArgNone, EffPop2Push1},
	{EXT1, "EXT1", 2, ArgU1, EffPush},
	{EXT2, "EXT2", 2, ArgU2, EffPush},
	{EXT4, "EXT4", 2, ArgI4, EffPush},
	{TUPLE1, "TUPLE1", 2, ArgNone, EffPop1Push1},
	{TUPLE2, "TUPLE2", 2, ArgNone, EffPop2Push1},
	{TUPLE3, "TUPLE3", 2, ArgNone, EffPop3Push1},
	{NEWTRUE, "NEWTRUE", 2, ArgNone, EffPush},
	{NEWFALSE, "NEWFALSE", 2, ArgNone, EffPush},
	{LONG1, "LONG1", 2, ArgLong1, EffPush},
	{LONG4, "LONG4", 2, ArgLong4, EffPush},
	{BINBYTES, "BINBYTES", 3, ArgLen4, EffPush},
	{SHORT_BINBYTES, "SHORT_BINBYTES", 3, ArgLen1, EffPush},
	{SHORT_BINUNICODE, "SHORT_BINUNICODE", 4, ArgLen1, EffPush},
	{BINUNICODE8, "BINUNICODE8", 4, ArgLen8, EffPush},
	{BINBYTES8, "BINBYTES8", 4, ArgLen8, EffPush},
	{EMPTY_SET, "EMPTY_SET", 4, ArgNone, EffPush},
	{ADDITEMS, "ADDITEMS", 4, ArgNone, EffMarkInto},
	{FROZENSET, "FROZENSET", 4, ArgNone, EffMarkPush1},
	{NEWOBJ_EX, "NEWOBJ_EX", 4, ArgNone, EffPop3Push1},
	{STACK_GLOBAL, "STACK_GLOBAL", 4, ArgNone, EffPop2Push1},
	{MEMOIZE, "MEMOIZE", 4, ArgNone, EffNeed1},
	{FRAME, "FRAME", 4, ArgU8, EffNone},
	{BYTEARRAY8, "BYTEARRAY8", 5, ArgLen8, EffPush},
	{NEXT_BUFFER, "NEXT_BUFFER", 5, ArgNone, EffPush},
	{READONLY_BUFFER, "READONLY_BUFFER", 5, ArgNone, EffPop1Push1},
}

var table [256]*Op

func init() {
	for i := range ops {
		table[ops[i].Code] = &ops[i]
	}
}

// Lookup returns the opcode for a byte, or nil when the byte is no opcode
// (CPython raises "invalid load key" on such bytes).
func Lookup(b byte) *Op { return table[b] }

// HighestProtocol is the highest pickle protocol CPython knows.
const HighestProtocol = 5
