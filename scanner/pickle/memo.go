package pickle

// memo is the unpickler's memo: a map from index to value. Dense indexes
// (the common case: 0, 1, 2, … from BINPUT and MEMOIZE) live in a slice;
// sparse ones in a map. len counts entries, as CPython's len(memo) does,
// which is where MEMOIZE stores.
type memo struct {
	dense  []*value
	sparse map[int64]*value
	n      int
}

// denseLimit is the largest index kept in the slice.
const denseLimit = 1 << 22

func (m *memo) len() int { return m.n }

func (m *memo) get(i int64) *value {
	if i >= 0 && i < int64(len(m.dense)) {
		return m.dense[i]
	}
	return m.sparse[i]
}

// set stores v at i and reports false when the memo would exceed its
// dense bound with a sparse flood.
func (m *memo) set(i int64, v *value) bool {
	if i >= 0 && i < denseLimit && i <= int64(len(m.dense))+1024 {
		for int64(len(m.dense)) <= i {
			m.dense = append(m.dense, nil)
		}
		if m.dense[i] == nil {
			m.n++
		}
		m.dense[i] = v
		return true
	}
	if m.sparse == nil {
		m.sparse = map[int64]*value{}
	}
	if _, ok := m.sparse[i]; !ok {
		m.n++
	}
	m.sparse[i] = v
	return true
}
