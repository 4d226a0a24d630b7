package transfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

type inState uint8

const (
	offered  inState = iota // waiting for the person
	accepted                // files flowing
	ended                   // every file has its outcome
)

// inFile is one file of an incoming transfer.
type inFile struct {
	info protocol.FileInfo
	name string // SanitizeName(info.Name)

	// Set by accept.
	parent    string // the folder it goes in, a slash path under the root ("" for the root)
	base      string // the name it should take there, before numbering
	n0        int    // the first number to try: base is "name (n0).ext"
	resKey    string // its reservation (Engine.reserved)
	partial   string // slash path of its partial file under the root
	canResume bool   // its partial may be kept for a later offer
	resume    uint64 // bytes already held, not sent again

	opened  bool          // its stream has come
	st      *quic.Stream  // that stream
	pending protocol.Code // cancelled here, the stream to be told
	final   bool
	done    uint64 // bytes held
}

// incoming is a transfer this side receives.
type incoming struct {
	e       *Engine
	id      ID
	files   []*inFile
	total   uint64
	ctrl    *quic.Stream
	ctrlMu  sync.Mutex
	ctrlEnc *protocol.Encoder
	streams streamSet

	mu         sync.Mutex
	state      inState
	declined   bool
	dir        string
	root       *os.Root
	cancelCode protocol.Code
	remaining  int
	results    []Result
	done       uint64 // bytes held, resumed ones included
	moved      uint64 // bytes received
	meter      meter
	lastProg   time.Time
	progFile   int         // the file of the last progress
	progTimer  *time.Timer // set while a progress event waits for its time
	ctrlOver   bool        // readCtrl has returned
	stopWatch  func() bool // stops the engine-close watch
}

// readOffer reads the offer that opens an incoming transfer, registers the
// transfer and goes on reading its control stream.
func (e *Engine) readOffer(n uint64, st *quic.Stream) {
	_ = st.SetReadDeadline(time.Now().Add(offerTimeout))
	dec := protocol.NewDecoder(st, protocol.File)
	m, err := dec.Decode()
	offer, ok := m.(*protocol.FileOffer)
	if err != nil || !ok || offer.TransferID != n {
		transport.Refuse(st, protocol.ProtocolViolation)
		return
	}
	_ = st.SetReadDeadline(time.Time{})
	st.SetPriority(transport.Urgency(protocol.File), false)
	in := &incoming{e: e, id: ID{Incoming, n}, ctrl: st, ctrlEnc: protocol.NewEncoder(st, protocol.File),
		files: make([]*inFile, len(offer.Files)), results: make([]Result, len(offer.Files)),
		remaining: len(offer.Files)}
	for i, fi := range offer.Files {
		in.files[i] = &inFile{info: fi, name: SanitizeName(fi.Name)}
		in.total += fi.Size
		in.results[i] = Result{File: File{Index: i, Name: in.files[i].name, Size: fi.Size, ModTime: fi.ModTime}}
	}
	e.mu.Lock()
	others := make([]*incoming, 0, len(e.in))
	for _, other := range e.in {
		others = append(others, other)
	}
	e.mu.Unlock()
	pending := 0
	for _, other := range others {
		if other.isOffered() {
			pending++
		}
	}
	e.mu.Lock()
	_, dup := e.in[n]
	_, late := e.ended[n]
	switch {
	case e.closed:
		e.mu.Unlock()
		transport.Refuse(st, protocol.SessionEnded)
		return
	case dup || late:
		e.mu.Unlock()
		transport.Refuse(st, protocol.ProtocolViolation)
		return
	case pending >= maxPendingOffers:
		e.mu.Unlock()
		transport.Refuse(st, protocol.Busy)
		return
	}
	e.in[n] = in
	e.mu.Unlock()
	in.streams.add(st)
	in.stopWatch = context.AfterFunc(e.ctx, func() { in.streams.refuseAll(protocol.SessionEnded) })

	ev := OfferReceived{ID: in.id, Files: in.fileList(), Total: in.total, Dir: e.cfg.DefaultDir, Enough: true}
	if ev.Dir != "" {
		if free, err := e.cfg.FreeSpace(ev.Dir); err == nil {
			ev.Free, ev.FreeKnown, ev.Enough = free, true, free >= in.total
		}
	}
	e.emit(ev)
	in.readCtrl(dec)
}

// isOffered reports whether the transfer waits for an answer.
func (in *incoming) isOffered() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.state == offered
}

func (in *incoming) fileList() []File {
	fs := make([]File, len(in.results))
	for i, r := range in.results {
		fs[i] = r.File
	}
	return fs
}

// readCtrl reads the sender's control messages after its offer: a cancel
// of the whole transfer, then the end of the stream.
func (in *incoming) readCtrl(dec *protocol.Decoder) {
	defer func() {
		in.ctrl.CancelRead(quic.StreamErrorCode(protocol.NoError))
		in.mu.Lock()
		in.ctrlOver = true
		over := in.state == ended
		in.mu.Unlock()
		if over {
			in.forget()
		}
	}()
	for {
		m, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			in.peerEnded()
			return
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && in.isEnded() {
				return // the sender did not close its side in time: no matter
			}
			in.abort(in.e.codeOf(err), false)
			return
		}
		c, ok := m.(*protocol.FileCancel)
		if !ok || !c.All {
			in.abort(protocol.ProtocolViolation, true)
			return
		}
		code := c.Code
		if code == protocol.NoError {
			code = protocol.Cancelled
		}
		in.abort(code, false)
	}
}

func (in *incoming) isEnded() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.state == ended
}

// Accept accepts an incoming offer into dir, a folder that exists. It
// checks the free space there first (a *protocol.Error with DiskFull when
// it is short, and the offer stays open for another folder), decides where
// each file goes, and finds the partial files of an earlier, interrupted
// transfer of the same files to resume them.
func (e *Engine) Accept(id ID, dir string) error {
	in := e.incoming(id)
	if in == nil || id.Dir != Incoming {
		return unknown(id)
	}
	return in.accept(dir)
}

// Decline declines an incoming offer: both sides end it with Refused.
func (e *Engine) Decline(id ID) error {
	in := e.incoming(id)
	if in == nil || id.Dir != Incoming {
		return unknown(id)
	}
	return in.decline()
}

// Space reports, for an incoming offer, the bytes it needs and those free
// in dir (through Config.FreeSpace), for a person choosing a folder.
func (e *Engine) Space(id ID, dir string) (need, free uint64, err error) {
	in := e.incoming(id)
	if in == nil || id.Dir != Incoming {
		return 0, 0, unknown(id)
	}
	free, err = e.cfg.FreeSpace(dir)
	if err != nil {
		return in.total, 0, fail(protocol.Internal, err, "free space of %s", dir)
	}
	return in.total, free, nil
}

func (in *incoming) accept(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fail(protocol.WriteFailed, err, "folder %s", dir)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != offered {
		return fail(protocol.Internal, nil, "transfer %s was already answered", in.id)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return fail(protocol.WriteFailed, err, "opening folder %s", abs)
	}
	resumed := in.plan(root, abs)
	need := in.total - resumed
	if free, err := in.e.cfg.FreeSpace(abs); err == nil && free < need {
		_ = root.Close()
		return fail(protocol.DiskFull, nil, "%s has %d bytes free, %d needed", abs, free, need)
	}
	ans := &protocol.FileAnswer{TransferID: in.id.N, Accept: true}
	for i, f := range in.files {
		if f.resume > 0 {
			if ans.ResumeOffsets == nil {
				ans.ResumeOffsets = map[uint32]uint64{}
			}
			ans.ResumeOffsets[uint32(i)] = f.resume //nolint:gosec // i < MaxOfferFiles
		}
	}
	if err := in.writeCtrl(ans); err != nil {
		_ = root.Close()
		return codeErr(in.e.codeOf(err), fmt.Errorf("answering the offer: %w", err))
	}
	for _, f := range in.files {
		in.e.reserve(f.resKey, 1)
	}
	in.state, in.root, in.dir, in.done = accepted, root, abs, resumed
	in.e.emit(Answered{ID: in.id, Accepted: true, Dir: abs, Resumed: resumed})
	return nil
}

func (in *incoming) decline() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != offered {
		return fail(protocol.Internal, nil, "transfer %s was already answered", in.id)
	}
	_ = in.writeCtrl(&protocol.FileAnswer{TransferID: in.id.N})
	in.e.emit(Answered{ID: in.id})
	in.declined = true
	in.settleAllLocked(protocol.Refused)
	return nil
}

func (in *incoming) writeCtrl(m protocol.Message) error {
	in.ctrlMu.Lock()
	defer in.ctrlMu.Unlock()
	return in.ctrlEnc.Encode(m)
}

// dirEntry is a name present in a folder, or planned there.
type dirEntry struct {
	name string
	dir  bool // a real folder (not a link to one)
}

// plan decides where each file goes under root: folders that exist are
// reused (whatever their normalisation and case), a file or link in the
// way of a folder makes it "name (1)", and a file whose name is taken (on
// disk, earlier in the offer or by another transfer in progress) becomes
// "name (1).ext", "name (2).ext"… It returns the bytes already held in
// partial files that the transfer resumes.
func (in *incoming) plan(root *os.Root, abs string) uint64 {
	listings := map[string]map[string]dirEntry{}
	list := func(parent string) map[string]dirEntry {
		if l, ok := listings[parent]; ok {
			return l
		}
		l := map[string]dirEntry{}
		if d, err := root.Open(osPath(parent)); err == nil {
			ents, _ := d.ReadDir(-1)
			_ = d.Close()
			now := time.Now()
			for _, ent := range ents {
				if stalePartial(ent, now) {
					// Left by a transfer that never came back: resuming it is no longer likely.
					if root.Remove(osPath(path.Join(parent, ent.Name()))) == nil {
						continue
					}
				}
				l[clashKey(ent.Name())] = dirEntry{ent.Name(), ent.IsDir()}
			}
		}
		listings[parent] = l
		return l
	}
	partials := map[string]bool{}
	var resumed uint64
	for i, f := range in.files {
		comps := strings.Split(f.name, "/")
		parent := ""
		for _, c := range comps[:len(comps)-1] {
			l := list(parent)
			for n := 0; ; n++ {
				cand := c
				if n > 0 {
					cand = c + " (" + strconv.Itoa(n) + ")"
				}
				k := clashKey(cand)
				ent, ok := l[k]
				if !ok {
					l[k] = dirEntry{cand, true}
					c = cand
					break
				}
				if ent.dir {
					c = ent.name
					break
				}
			}
			parent = path.Join(parent, c)
		}
		base := comps[len(comps)-1]
		l := list(parent)
		n := 0
		for ; ; n++ {
			k := clashKey(numbered(base, n))
			if _, taken := l[k]; !taken && !in.e.isReserved(reserveKey(abs, parent, k)) {
				break
			}
		}
		l[clashKey(numbered(base, n))] = dirEntry{numbered(base, n), false}
		f.parent, f.base, f.n0 = parent, base, n
		f.resKey = reserveKey(abs, parent, clashKey(numbered(base, n)))

		key := partialKey(f.info.Name, f.info.Size, f.info.ModTime)
		f.canResume = f.info.ModTime != 0 && !partials[key]
		if partials[key] { // the same file twice in one offer: the second has its own partial
			key = partialKey(f.info.Name+"\x00"+strconv.Itoa(i), f.info.Size, f.info.ModTime)
		}
		partials[key] = true
		f.partial = path.Join(parent, partialName(base, key))
		f.resume, f.done = 0, 0
		if f.canResume {
			// A partial that is not plainly ours (a link, a file with other names or of another user) is
			// not resumed: openPartial replaces it, so that nothing it leads to is written.
			if fi, err := root.Lstat(osPath(f.partial)); err == nil && checkPartial(fi) == nil &&
				fi.Size() > 0 && uint64(fi.Size()) <= f.info.Size {
				f.resume = uint64(fi.Size())
				f.done = f.resume
				resumed += f.resume
			}
		}
	}
	return resumed
}

// osPath turns a slash path under a root into the name os.Root wants.
func osPath(p string) string {
	if p == "" {
		return "."
	}
	return filepath.FromSlash(p)
}

func reserveKey(abs, parent, key string) string { return abs + "\x00" + parent + "\x00" + key }

func (e *Engine) reserve(k string, delta int) {
	e.resMu.Lock()
	defer e.resMu.Unlock()
	if e.reserved[k] += delta; e.reserved[k] <= 0 {
		delete(e.reserved, k)
	}
}

func (e *Engine) isReserved(k string) bool {
	e.resMu.Lock()
	defer e.resMu.Unlock()
	return e.reserved[k] > 0
}

// receive takes the stream of file i, receives the file and answers with
// the verdict: FileDone with the hash when it is kept, FileCancel with the
// code otherwise.
func (in *incoming) receive(i int, st *quic.Stream) {
	in.mu.Lock()
	if i < 0 || i >= len(in.files) || in.state == offered || in.files[i].opened {
		in.mu.Unlock()
		transport.Refuse(st, protocol.ProtocolViolation) // not offered, not accepted, or twice
		return
	}
	f := in.files[i]
	if f.final { // cancelled before it came, or the transfer has ended
		code := protocol.CodeOf(in.results[i].Err)
		if code == protocol.NoError {
			code = protocol.ProtocolViolation
		}
		in.mu.Unlock()
		refuseLate(st, code)
		return
	}
	f.opened, f.st = true, st
	pending := f.pending
	in.mu.Unlock()
	st.SetPriority(transport.Urgency(protocol.File), false)
	if !in.streams.add(st) {
		in.settle(i, fail(protocol.SessionEnded, nil, "closing"), "", nil)
		return
	}
	defer in.streams.remove(st)

	var (
		sum []byte
		rel string
		err error
	)
	switch {
	case pending != protocol.NoError:
		err = fail(pending, nil, "cancelled")
		_ = in.root.Remove(osPath(f.partial))
	default:
		select { // bounds the memory that files being received hold
		case in.e.receiving <- struct{}{}:
			sum, rel, err = in.receiveFile(i, f, st)
			<-in.e.receiving
		case <-in.e.ctx.Done():
			err = fail(protocol.SessionEnded, nil, "closing")
		}
	}
	code := protocol.CodeOf(err)
	enc := protocol.NewEncoder(st, protocol.File)
	if err == nil {
		_ = enc.Encode(&protocol.FileDone{Hash: sum})
	} else {
		_ = enc.Encode(&protocol.FileCancel{Code: code})
	}
	_ = st.Close()
	st.CancelRead(quic.StreamErrorCode(code))
	in.settle(i, err, rel, sum)
}

// receiveFile writes file i from st into its partial file, checks the
// hash, and gives the file its final name. It returns the hash and the
// final slash path under the root, or a *protocol.Error. The partial file
// is removed on failure, unless the transfer was interrupted and can
// resume.
func (in *incoming) receiveFile(i int, f *inFile, st *quic.Stream) (sum []byte, rel string, err error) {
	root := in.root
	if f.parent != "" {
		if err := root.MkdirAll(osPath(f.parent), 0o755); err != nil {
			return nil, "", fail(writeCode(err), err, "creating folder %s", f.parent)
		}
	}
	h := sha256.New()
	file, err := in.openPartial(f, h)
	if err != nil {
		_ = root.Remove(osPath(f.partial)) // a name it would not resume, or could not make: it goes too
		return nil, "", err
	}
	keep := false
	defer func() {
		if file != nil {
			_ = file.Close()
		}
		if err != nil && !keep {
			_ = root.Remove(osPath(f.partial))
		}
	}()
	var w io.Writer = file
	if in.e.cfg.WrapWrite != nil {
		w = in.e.cfg.WrapWrite(w)
	}
	items, stop := readChunks(st, f.info.Size-f.resume)
	defer stop(func() protocol.Code { return protocol.CodeOf(err) })
	pos := f.resume
	written := pos // what startWriteback has been asked for, up to here
	for it := range items {
		if it.err != nil {
			code := in.pendingCode(f)
			if code == protocol.NoError {
				code = in.e.codeOf(it.err)
			}
			keep = f.canResume && keepPartial(code) && pos > 0
			if errors.Is(it.err, io.EOF) {
				return nil, "", fail(code, it.err, "%s: stream ended before the end of the file", f.name)
			}
			return nil, "", codeErr(code, fmt.Errorf("receiving %s: %w", f.name, it.err))
		}
		switch m := it.m.(type) {
		case *protocol.FileChunk:
			n := uint64(len(m.Data))
			if m.Offset != pos {
				return nil, "", fail(protocol.ProtocolViolation, nil, "%s: chunk at %d, expected %d", f.name, m.Offset, pos)
			}
			if n > f.info.Size-pos {
				return nil, "", fail(protocol.ProtocolViolation, nil, "%s: more than the %d bytes offered", f.name, f.info.Size)
			}
			if _, err := w.Write(m.Data); err != nil {
				return nil, "", fail(writeCode(err), err, "writing %s", f.name)
			}
			if pos+n-written >= writebackEvery {
				startWriteback(file, int64(written), int64(pos+n-written)) //nolint:gosec // file offsets
				written = pos + n
			}
			h.Write(m.Data)
			it.recycle()
			pos += n
			in.received(i, f, pos)
		case *protocol.FileDone:
			if pos != f.info.Size {
				return nil, "", fail(protocol.ProtocolViolation, nil, "%s: done after %d of %d bytes", f.name, pos, f.info.Size)
			}
			sum := h.Sum(nil)
			if !bytes.Equal(sum, m.Hash) {
				return nil, "", fail(protocol.IntegrityFailed, nil, "%s: SHA-256 differs from the sender's", f.name)
			}
			if code := in.pendingCode(f); code != protocol.NoError {
				return nil, "", fail(code, nil, "%s cancelled", f.name)
			}
			// On the disk before it takes its name: a crash or a power cut afterwards must not leave a
			// checked name on unwritten data.
			err := file.Sync()
			if cerr := file.Close(); err == nil {
				err = cerr
			}
			file = nil
			if err != nil {
				return nil, "", fail(writeCode(err), err, "writing %s", f.name)
			}
			rel, err := in.finalize(f)
			if err != nil {
				return nil, "", fail(writeCode(err), err, "naming %s", f.name)
			}
			return sum, rel, nil
		case *protocol.FileCancel:
			code := m.Code
			if code == protocol.NoError {
				code = protocol.Cancelled
			}
			keep = f.canResume && keepPartial(code) && pos > 0
			return nil, "", fail(code, nil, "the sender ended %s", f.name)
		default:
			return nil, "", fail(protocol.ProtocolViolation, nil, "%s on a file stream", m.Type())
		}
	}
	// Not reached: the reader's last item is a message other than a chunk, or an error.
	return nil, "", fail(protocol.Internal, nil, "%s: chunk reader stopped", f.name)
}

// chunk is a message read from a file stream, or the error that ended it.
type chunk struct {
	m    protocol.Message
	err  error
	buf  []byte
	free chan<- []byte
}

// recycle gives the chunk's buffer back to the reader.
func (c chunk) recycle() { c.free <- c.buf }

// readChunks reads the messages of a file stream on a goroutine of its own,
// so that the network and the disk work at the same time; rest is the
// number of bytes still expected. The reading stops after a message that is
// not a FileChunk, or an error. stop ends the goroutine (cancelling the
// stream's reading with the code it is given, if the goroutine is still
// reading) and waits for it.
func readChunks(st *quic.Stream, rest uint64) (<-chan chunk, func(code func() protocol.Code)) {
	nbuf := max(1, int(min(pipeDepth, (rest+chunkSize-1)/chunkSize))) //nolint:gosec // small
	free := make(chan []byte, nbuf)
	for range nbuf {
		free <- make([]byte, min(rest, chunkSize))
	}
	items := make(chan chunk, nbuf)
	quit, over := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(items)
		defer close(over)
		cr := &chunkReader{r: st}
		for {
			var buf []byte
			select {
			case buf = <-free:
			case <-quit:
				return
			}
			m, err := cr.next(buf)
			select {
			case items <- chunk{m, err, buf, free}:
			case <-quit:
				return
			}
			if _, ok := m.(*protocol.FileChunk); !ok || err != nil {
				return
			}
		}
	})
	return items, func(code func() protocol.Code) {
		close(quit)
		select {
		case <-over:
		default:
			st.CancelRead(quic.StreamErrorCode(code()))
		}
		wg.Wait()
	}
}

// openPartial opens the partial file of f: a new, empty one, or the one
// being resumed, whose bytes it hashes into h. The one being resumed must
// still be the file plan saw, and checkOpenPartial must accept it once open,
// so that a link put in its place never leads the bytes elsewhere.
func (in *incoming) openPartial(f *inFile, h hash.Hash) (*os.File, error) {
	root, p := in.root, osPath(f.partial)
	if f.resume == 0 {
		// A stale partial of ours, or a name plan would not resume: removing a link leaves its target as it is.
		_ = root.Remove(p)
		file, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, fail(writeCode(err), err, "creating %s", f.partial)
		}
		return file, nil
	}
	fi, err := root.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || uint64(fi.Size()) < f.resume { //nolint:gosec // sizes are not negative
		return nil, fail(protocol.WriteFailed, err, "%s changed since the offer was accepted", f.partial)
	}
	file, err := root.OpenFile(p, os.O_RDWR|partialOpenFlag, 0)
	if err != nil {
		return nil, fail(writeCode(err), err, "opening %s", f.partial)
	}
	ok := false
	defer func() {
		if !ok {
			_ = file.Close()
		}
	}()
	if !osFileInfoSame(file, fi) {
		return nil, fail(protocol.WriteFailed, nil, "%s changed since the offer was accepted", f.partial)
	}
	if err := checkOpenPartial(file); err != nil { // on the open file: no name can change it any more
		return nil, fail(protocol.WriteFailed, err, "%s is not resumed", f.partial)
	}
	if _, err := io.Copy(h, io.NewSectionReader(file, 0, int64(f.resume))); err != nil { //nolint:gosec // ≤ MaxFileSize
		return nil, fail(protocol.WriteFailed, err, "reading %s", f.partial)
	}
	if err := file.Truncate(int64(f.resume)); err != nil { //nolint:gosec // ≤ MaxFileSize
		return nil, fail(writeCode(err), err, "resuming %s", f.partial)
	}
	if _, err := file.Seek(int64(f.resume), io.SeekStart); err != nil { //nolint:gosec // ≤ MaxFileSize
		return nil, fail(protocol.WriteFailed, err, "resuming %s", f.partial)
	}
	ok = true
	return file, nil
}

// finalize gives the partial file of f its final name, without ever
// replacing a file: a hard link that fails if the name exists, then the
// partial's removal; where hard links are not supported, a check then a
// rename. It returns the final slash path under the root.
func (in *incoming) finalize(f *inFile) (string, error) {
	in.e.finalMu.Lock()
	defer in.e.finalMu.Unlock()
	root, p := in.root, osPath(f.partial)
	for n := f.n0; n < f.n0+10000; n++ {
		name := numbered(f.base, n)
		if n != f.n0 && in.e.isReserved(reserveKey(in.dir, f.parent, clashKey(name))) {
			continue
		}
		rel := path.Join(f.parent, name)
		err := root.Link(p, osPath(rel))
		if err == nil {
			_ = root.Remove(p)
			return rel, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if _, lerr := root.Lstat(osPath(rel)); lerr == nil {
			continue
		} else if !errors.Is(lerr, fs.ErrNotExist) {
			return "", fmt.Errorf("checking %s: %w", rel, lerr)
		}
		if err := root.Rename(p, osPath(rel)); err != nil {
			return "", fmt.Errorf("renaming %s: %w", f.partial, err)
		}
		return rel, nil
	}
	return "", fmt.Errorf("no free name for %s", f.base)
}

func (in *incoming) pendingCode(f *inFile) protocol.Code {
	in.mu.Lock()
	defer in.mu.Unlock()
	return f.pending
}

// received records that file i is held up to pos.
func (in *incoming) received(i int, f *inFile, pos uint64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.done += pos - f.done
	in.moved += pos - f.done
	f.done = pos
	now := time.Now()
	in.meter.add(now, in.moved)
	in.progFile = i
	if wait := in.e.cfg.ProgressInterval - now.Sub(in.lastProg); wait <= 0 || pos == f.info.Size {
		in.emitProgressLocked(now)
	} else if in.progTimer == nil { // a pause must not hide the last bytes
		in.progTimer = time.AfterFunc(wait, func() {
			in.mu.Lock()
			defer in.mu.Unlock()
			if in.progTimer != nil && in.state != ended {
				in.emitProgressLocked(time.Now())
			}
		})
	}
}

func (in *incoming) emitProgressLocked(now time.Time) {
	if in.progTimer != nil {
		in.progTimer.Stop()
		in.progTimer = nil
	}
	in.lastProg = now
	in.e.emit(in.progressLocked(in.progFile, in.files[in.progFile]))
}

func (in *incoming) progressLocked(i int, f *inFile) Progress {
	rate := in.meter.rate()
	return Progress{ID: in.id, File: i, FileDone: f.done, FileSize: f.info.Size, Done: in.done, Total: in.total,
		Rate: rate, FileLeft: left(f.info.Size-f.done, rate), Left: left(in.total-in.done, rate)}
}

// cancelFile cancels file i from this side.
func (in *incoming) cancelFile(i int) error {
	in.mu.Lock()
	if i < 0 || i >= len(in.files) {
		in.mu.Unlock()
		return fail(protocol.Internal, nil, "transfer %s has no file %d", in.id, i)
	}
	if in.state == offered {
		in.mu.Unlock()
		return fail(protocol.Internal, nil, "transfer %s is not accepted yet", in.id)
	}
	f := in.files[i]
	if f.final || f.pending != protocol.NoError {
		in.mu.Unlock()
		return nil
	}
	f.pending = protocol.Cancelled
	st := f.st
	in.mu.Unlock()
	if st != nil {
		st.CancelRead(quic.StreamErrorCode(protocol.Cancelled))
	}
	return nil
}

// cancelAll cancels the transfer from this side: an offer not answered yet
// is declined.
func (in *incoming) cancelAll(code protocol.Code, notify bool) error {
	if in.isOffered() {
		if err := in.decline(); err == nil {
			return nil
		}
	}
	in.abort(code, notify)
	return nil
}

// abort ends the transfer with code: files not started end at once, those
// in progress are stopped and answer with code. notify tells the sender
// (unless it asked).
func (in *incoming) abort(code protocol.Code, notify bool) {
	in.mu.Lock()
	if in.state == ended || in.cancelCode != protocol.NoError {
		in.mu.Unlock()
		return
	}
	in.cancelCode = code
	if notify { // before the files settle: the last one closes the stream
		_ = in.writeCtrl(&protocol.FileCancel{Code: code, All: true})
	}
	if in.state == offered {
		in.settleAllLocked(code)
		in.mu.Unlock()
		return
	}
	var streams []*quic.Stream
	for i, f := range in.files {
		switch {
		case f.final:
		case f.opened:
			if f.pending == protocol.NoError {
				f.pending = code
			}
			streams = append(streams, f.st)
		default:
			in.settleLocked(i, fail(code, nil, "%s not received", f.name), "", nil)
		}
	}
	in.mu.Unlock()
	for _, st := range streams {
		st.CancelRead(quic.StreamErrorCode(code))
	}
}

// peerEnded handles the end of the sender's control stream, which comes
// after the sender has had every verdict it waits for.
func (in *incoming) peerEnded() {
	in.mu.Lock()
	code := in.cancelCode
	if code == protocol.NoError {
		code = protocol.ProtocolViolation // the sender stopped short
	}
	if in.state == offered {
		in.settleAllLocked(code)
		in.mu.Unlock()
		return
	}
	for i, f := range in.files {
		if !f.final && !f.opened {
			in.settleLocked(i, fail(code, nil, "%s not sent", f.name), "", nil)
		}
	}
	in.mu.Unlock()
}

func (in *incoming) settle(i int, err error, rel string, sum []byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.settleLocked(i, err, rel, sum)
}

func (in *incoming) settleAllLocked(code protocol.Code) {
	for i, f := range in.files {
		in.settleLocked(i, fail(code, nil, "%s not received", f.name), "", nil)
	}
}

// settleLocked records the outcome of file i, once, and ends the transfer
// after the last one.
func (in *incoming) settleLocked(i int, err error, rel string, sum []byte) {
	f := in.files[i]
	if f.final {
		return
	}
	f.final = true
	res := in.results[i]
	if err == nil {
		res.Path = filepath.Join(in.dir, filepath.FromSlash(rel))
		res.SHA256 = hex.EncodeToString(sum)
	} else {
		res.Err = err
		if in.root != nil && f.partial != "" {
			if _, serr := in.root.Lstat(osPath(f.partial)); serr == nil {
				res.Partial = filepath.Join(in.dir, filepath.FromSlash(f.partial)) // kept for a resume
			}
		}
	}
	in.results[i] = res
	if in.state != offered {
		in.e.reserve(f.resKey, -1)
	}
	if err == nil {
		in.e.emit(FileCompleted{ID: in.id, Result: res})
	} else {
		in.e.emit(FileFailed{ID: in.id, Result: res})
	}
	if in.remaining--; in.remaining == 0 {
		in.endLocked()
	}
}

// endLocked ends the transfer once every file has its outcome.
func (in *incoming) endLocked() {
	in.state = ended
	if in.progTimer != nil {
		in.progTimer.Stop()
		in.progTimer = nil
	}
	if in.root != nil {
		_ = in.root.Close()
	}
	in.ctrlMu.Lock()
	_ = in.ctrl.Close()
	in.ctrlMu.Unlock()
	_ = in.ctrl.SetReadDeadline(time.Now().Add(lingerGrace))

	code := in.cancelCode
	switch {
	case in.declined:
		code = protocol.Refused
	case code == protocol.NoError:
		code = protocol.ProtocolViolation // no stream may come after a normal end
	}
	e := in.e
	e.mu.Lock()
	delete(e.in, in.id.N)
	e.ended[in.id.N] = code
	e.endedFIFO = append(e.endedFIFO, in.id.N)
	if len(e.endedFIFO) > maxEnded {
		delete(e.ended, e.endedFIFO[0])
		e.endedFIFO = e.endedFIFO[1:]
	}
	e.mu.Unlock()
	e.emit(finished(in.id, append([]Result(nil), in.results...)))
	if in.ctrlOver {
		in.forget()
	}
}

// forget releases what the transfer holds once it has ended and its
// control stream is over.
func (in *incoming) forget() {
	if in.stopWatch != nil {
		in.stopWatch()
	}
	in.streams.remove(in.ctrl)
}

// writebackEvery is how much a receiver writes before it asks the system to start putting it on the disk.
const writebackEvery = 8 << 20

// PartialMaxAge is how long a partial file kept for a later resumption may wait: a receiver that plans a
// transfer into a folder deletes the partial files in it that were last written longer ago.
const PartialMaxAge = 7 * 24 * time.Hour

// stalePartial reports whether ent is one of our partial files (".name.<key>.tandem-partial") last written
// more than PartialMaxAge before now.
func stalePartial(ent fs.DirEntry, now time.Time) bool {
	name := ent.Name()
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, PartialSuffix) || !ent.Type().IsRegular() {
		return false
	}
	info, err := ent.Info()
	return err == nil && now.Sub(info.ModTime()) > PartialMaxAge
}
