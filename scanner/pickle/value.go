package pickle

// kind is what the symbolic VM knows about a value.
type kind uint8

const (
	kUnknown kind = iota // produced by something the VM does not model
	kStr                 // text (str under Python 3, including STRING/BINSTRING)
	kBytes
	kInt
	kFloat
	kBool
	kNone
	kGlobal // an imported module attribute (GLOBAL, STACK_GLOBAL, INST's class)
	kCall   // the result of a call; callee says of what
	kList
	kDict
	kTuple
	kSet
	kFrozenSet
	kPersistent // result of persistent_load (torch storages)
	kBuffer     // NEXT_BUFFER out-of-band buffer
)

var kindNames = [...]string{"unknown", "str", "bytes", "int", "float", "bool", "None", "global", "call result",
	"list", "dict", "tuple", "set", "frozenset", "persistent object", "buffer"}

func (k kind) String() string { return kindNames[k] }

// maxKeptString is how much of a string or bytes constant the VM keeps.
// Module and attribute names are far shorter; longer constants keep a
// prefix (enough to recognise nested payloads) and their length.
const maxKeptString = 512

// maxKeptItems bounds the items kept for tuples and small dicts (needed to
// read call arguments and joblib wrapper state, never for containers).
const maxKeptItems = 64

// value is a symbolic value. Values are shared by pointer, never copied,
// so memo references cannot make the VM expand.
type value struct {
	kind kind
	// truncated says str/bytes content is a prefix of a longer constant.
	truncated bool
	off       int64  // offset of the opcode that produced the value
	s         string // str/bytes content (see truncated), int text for big ints
	n         int64  // int value; length of str/bytes constants
	imp       *imported
	// callee and args are, for kCall, the value that was called (a
	// kGlobal when resolvable) and its argument tuple.
	callee, args *value
	// nested marks a str/bytes constant whose content is itself a pickle
	// or archive; safeLoader says an allowlisted loader consumes it
	// (torch.storage._load_from_bytes).
	nested, safeLoader bool
	// items keeps tuple items and dict key/value pairs (alternating), at
	// most maxKeptItems; itemsDropped says some were not kept.
	items        []*value
	itemsDropped bool
	// weight approximates the size of the object graph below the value,
	// to detect expansion; it saturates.
	weight int64
}

// str returns the full string content if the value is a complete str.
func (v *value) str() (string, bool) {
	if v == nil || v.kind != kStr || v.truncated {
		return "", false
	}
	return v.s, true
}

// dictGet returns the value stored under a str key in a small dict.
func (v *value) dictGet(key string) *value {
	if v == nil || v.kind != kDict {
		return nil
	}
	for i := 0; i+1 < len(v.items); i += 2 {
		if k, ok := v.items[i].str(); ok && k == key {
			return v.items[i+1]
		}
	}
	return nil
}

// item returns tuple item i, or nil.
func (v *value) item(i int) *value {
	if v == nil || v.kind != kTuple || i >= len(v.items) {
		return nil
	}
	return v.items[i]
}

// addWeight adds w to the value's weight, saturating.
func (v *value) addWeight(w int64) {
	const ceiling = 1 << 62
	if v.weight += w; v.weight > ceiling || v.weight < 0 {
		v.weight = ceiling
	}
}

// slab allocates values in blocks to keep opcode-dense streams cheap.
type slab struct {
	block []value
}

func (s *slab) new(k kind, off int64) *value {
	if len(s.block) == 0 {
		s.block = make([]value, 1024)
	}
	v := &s.block[0]
	s.block = s.block[1:]
	v.kind, v.off, v.weight = k, off, 1
	return v
}
