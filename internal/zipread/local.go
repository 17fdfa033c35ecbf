package zipread

// readLocalHeaders reads every entry's local header, sets LocalName and
// DataOffset, and checks the entry.
func (a *Archive) readLocalHeaders() {
	buf := make([]byte, min(localLen+0xffff, a.size))
	// Local names equal to the directory name share its string; the
	// others are copied, within a budget, so that hostile local headers
	// cannot multiply memory use.
	budget := a.lim.MaxCentralDirectory
	for _, e := range a.Entries {
		flags := a.readLocal(e, buf, &budget)
		a.checkEntry(e, flags)
	}
}

// readLocal reads e's local header and returns its flags (0 when there is
// no readable header, recorded as an anomaly).
func (a *Archive) readLocal(e *Entry, buf []byte, budget *int64) uint16 {
	if e.HeaderOffset < 0 || e.HeaderOffset > a.size-localLen {
		a.add(KindLocalHeader, e.Name, e.HeaderOffset, "local header offset lies beyond the end of the file")
		return 0
	}
	want := min(int64(localLen+len(e.Name)), a.size-e.HeaderOffset)
	n, err := readAtMost(a.r, buf[:want], e.HeaderOffset)
	if err != nil || n < localLen {
		a.add(KindLocalHeader, e.Name, e.HeaderOffset, "local header is unreadable")
		return 0
	}
	h := buf[:n]
	if le.Uint32(h) != sigLocal {
		a.add(KindLocalHeader, e.Name, e.HeaderOffset, "no local header signature where the directory points")
		return 0
	}
	nameLen, extraLen := int(le.Uint16(h[26:])), int(le.Uint16(h[28:]))
	e.DataOffset = e.HeaderOffset + localLen + int64(nameLen) + int64(extraLen)
	if int64(nameLen) > a.size-e.HeaderOffset-localLen {
		a.add(KindLocalHeader, e.Name, e.HeaderOffset, "local header name runs past the end of the file")
	} else {
		a.compareLocalName(e, buf, n-localLen, nameLen, budget)
	}
	return le.Uint16(h[6:])
}

// compareLocalName reads the local name into buf, which holds the header
// and the name's first got bytes, sets LocalName and reports a mismatch.
func (a *Archive) compareLocalName(e *Entry, buf []byte, got, nameLen int, budget *int64) {
	name := buf[localLen : localLen+nameLen]
	if have := min(got, nameLen); nameLen > have {
		n, err := readAtMost(a.r, name[have:], e.HeaderOffset+localLen+int64(have))
		if err != nil || n < nameLen-have {
			a.add(KindLocalHeader, e.Name, e.HeaderOffset, "local header name is unreadable")
			return
		}
	}
	if string(name) == e.Name {
		e.LocalName = e.Name
		return
	}
	if int64(nameLen) <= *budget {
		e.LocalName = string(name)
		*budget -= int64(nameLen)
	}
	a.add(KindNameMismatch, e.Name, e.HeaderOffset, "local header names %s; PyTorch uses the directory name, zipfile refuses", short(string(name[:min(nameLen, 100)])))
}
