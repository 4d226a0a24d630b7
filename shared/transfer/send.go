package transfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// source is a file to send.
type source struct {
	path string
	info protocol.FileInfo
}

// outgoing is a transfer this side sends.
type outgoing struct {
	e     *Engine
	id    ID
	files []source
	total uint64
	ctrl  *quic.Stream

	ctrlMu  sync.Mutex // one writer at a time on ctrl
	ctrlEnc *protocol.Encoder

	answer   chan *protocol.FileAnswer // the receiver's answer, from readCtrl
	ctrlDone chan struct{}             // closed when readCtrl ends, ctrlErr set
	ctrlErr  error
	streams  streamSet

	ctx       context.Context // ends when the transfer is cancelled or the engine closes
	cancelCtx context.CancelFunc

	mu         sync.Mutex
	cancelCode protocol.Code // set once the whole transfer is cancelled
	fileCancel map[int]protocol.Code
	cur        int          // the file being written, -1 for none
	curStream  *quic.Stream // its stream
	curDone    uint64       // its bytes sent
	waiting    map[int]*quic.Stream
	hashes     [][]byte
	results    []Result
	final      []bool
	done       uint64 // bytes handed to the connection, resumed ones included
	moved      uint64 // bytes actually sent
	meter      meter
	lastProg   time.Time
	progTimer  *time.Timer // set while a progress event waits for its time
	over       bool        // Finished has been emitted
}

// Offer offers files and folders to the peer: each path is a file, sent
// under its base name, or a folder, whose regular files are sent with
// relative slash paths under the folder's name ("Photos/2024/a.jpg";
// symbolic links to files are followed, those to folders are not). It
// returns once the offer is on its way; ctx bounds only that. The transfer
// goes on until it finishes or is cancelled, and reports through events.
func (e *Engine) Offer(ctx context.Context, paths ...string) (ID, error) {
	files, err := expand(paths)
	if err != nil {
		return ID{}, err
	}
	if len(files) > protocol.MaxOfferFiles {
		return ID{}, fail(protocol.MessageTooLarge, nil, "%d files; at most %d per transfer", len(files), protocol.MaxOfferFiles)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ID{}, fail(protocol.SessionEnded, nil, "file transfer engine closed")
	}
	e.nextID++
	n := e.nextID
	e.mu.Unlock()

	offer := &protocol.FileOffer{TransferID: n, Files: make([]protocol.FileInfo, len(files))}
	o := &outgoing{e: e, id: ID{Outgoing, n}, files: files, answer: make(chan *protocol.FileAnswer, 1),
		ctrlDone: make(chan struct{}), fileCancel: map[int]protocol.Code{},
		cur: -1, waiting: map[int]*quic.Stream{}, hashes: make([][]byte, len(files)),
		results: make([]Result, len(files)), final: make([]bool, len(files))}
	for i := range files {
		files[i].info.Index = uint32(i) //nolint:gosec // i < MaxOfferFiles
		offer.Files[i] = files[i].info
		o.total += files[i].info.Size
		o.results[i] = Result{File: o.file(i), Path: files[i].path}
	}
	if _, err := protocol.AppendMessage(nil, offer); err != nil {
		return ID{}, fmt.Errorf("offering %d files: %w", len(files), err)
	}
	o.ctx, o.cancelCtx = context.WithCancel(e.ctx)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(e.ctx, cancel) // Close does not wait for the peer to allow a stream
	defer stop()
	st, err := e.conn.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.File, TransferID: n})
	if err != nil {
		o.cancelCtx()
		return ID{}, codeErr(e.codeOf(err), fmt.Errorf("offering files: %w", err))
	}
	st.SetPriority(transport.Urgency(protocol.File), false)
	o.ctrl, o.ctrlEnc = st, protocol.NewEncoder(st, protocol.File)
	o.streams.add(st)
	if err := o.ctrlEnc.Encode(offer); err != nil {
		o.cancelCtx()
		o.streams.refuseAll(protocol.Internal)
		return ID{}, codeErr(e.codeOf(err), fmt.Errorf("offering files: %w", err))
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		o.cancelCtx()
		o.streams.refuseAll(protocol.SessionEnded)
		return ID{}, fail(protocol.SessionEnded, nil, "file transfer engine closed")
	}
	e.out[n] = o
	e.emit(OfferSent{ID: o.id, Files: o.fileList(), Total: o.total})
	e.wg.Go(o.readCtrl)
	e.wg.Go(o.run)
	e.mu.Unlock()
	return o.id, nil
}

func (o *outgoing) file(i int) File {
	info := o.files[i].info
	return File{Index: i, Name: info.Name, Size: info.Size, ModTime: info.ModTime}
}

func (o *outgoing) fileList() []File {
	fs := make([]File, len(o.files))
	for i := range fs {
		fs[i] = o.file(i)
	}
	return fs
}

// expand turns paths into the files to offer.
func expand(paths []string) ([]source, error) {
	var files []source
	add := func(path, name string, fi fs.FileInfo) error {
		name = strings.Map(func(r rune) rune { // the protocol carries no control character
			if unicode.IsControl(r) {
				return '_'
			}
			return r
		}, strings.ToValidUTF8(name, "\uFFFD"))
		if len(name) > protocol.MaxFileNameLen {
			return fail(protocol.ReadFailed, nil, "%s: name longer than %d bytes", path, protocol.MaxFileNameLen)
		}
		if fi.Size() > protocol.MaxFileSize {
			return fail(protocol.ReadFailed, nil, "%s: larger than %d bytes", path, int64(protocol.MaxFileSize))
		}
		files = append(files, source{path: path, info: protocol.FileInfo{Name: name,
			Size: uint64(fi.Size()), ModTime: fi.ModTime().UnixNano()}}) //nolint:gosec // checked above
		if len(files) > protocol.MaxOfferFiles {
			return fail(protocol.MessageTooLarge, nil, "more than %d files", protocol.MaxOfferFiles)
		}
		return nil
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fail(protocol.ReadFailed, err, "offering %s", p)
		}
		base := filepath.Base(p)
		switch {
		case fi.Mode().IsRegular():
			if err := add(p, base, fi); err != nil {
				return nil, err
			}
		case fi.IsDir():
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return nil, fail(protocol.ReadFailed, err, "offering %s", p)
			}
			err = filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return fail(protocol.ReadFailed, err, "offering %s", path)
				}
				if d.IsDir() {
					return nil
				}
				fi, err := os.Stat(path) // follows a link to a file
				if err != nil {
					return fail(protocol.ReadFailed, err, "offering %s", path)
				}
				if !fi.Mode().IsRegular() {
					return nil // a link to a folder, a device, a socket…
				}
				rel, err := filepath.Rel(real, path)
				if err != nil {
					return fail(protocol.ReadFailed, err, "offering %s", path)
				}
				return add(path, base+"/"+filepath.ToSlash(rel), fi)
			})
			if err != nil {
				return nil, err
			}
		default:
			return nil, fail(protocol.ReadFailed, nil, "offering %s: not a file or folder", p)
		}
	}
	if len(files) == 0 {
		return nil, fail(protocol.ReadFailed, nil, "nothing to offer: no files")
	}
	return files, nil
}

// readCtrl reads what the receiver sends on the transfer's first stream:
// its answer, then perhaps a cancel of the whole transfer, then the end.
func (o *outgoing) readCtrl() {
	defer close(o.ctrlDone)
	dec := protocol.NewDecoder(o.ctrl, protocol.File)
	answered := false
	for {
		m, err := dec.Decode()
		if err != nil {
			o.ctrlErr = err
			return
		}
		switch m := m.(type) {
		case *protocol.FileAnswer:
			if answered || m.TransferID != o.id.N {
				o.ctrlErr = o.violation("answer out of place")
				return
			}
			answered = true
			o.answer <- m
		case *protocol.FileCancel:
			if !m.All {
				o.ctrlErr = o.violation("file cancel on the control stream")
				return
			}
			code := m.Code
			if code == protocol.NoError {
				code = protocol.Cancelled
			}
			o.cancelAll(code, false)
		default:
			o.ctrlErr = o.violation(fmt.Sprintf("%s on the control stream", m.Type()))
			return
		}
	}
}

// violation cancels the transfer because the receiver broke the protocol.
func (o *outgoing) violation(detail string) error {
	o.cancelAll(protocol.ProtocolViolation, true)
	o.ctrl.CancelRead(quic.StreamErrorCode(protocol.ProtocolViolation))
	return fail(protocol.ProtocolViolation, nil, "%s", detail)
}

// cancelAll cancels the whole transfer with code; notify tells the
// receiver (unless it asked).
func (o *outgoing) cancelAll(code protocol.Code, notify bool) {
	// The control stream is held from the decision to the message, so that
	// the transfer cannot end (and close the stream) in between.
	o.ctrlMu.Lock()
	o.mu.Lock()
	if o.cancelCode != protocol.NoError {
		o.mu.Unlock()
		o.ctrlMu.Unlock()
		return
	}
	o.cancelCode = code
	cur := o.curStream
	var waiting []*quic.Stream
	for _, st := range o.waiting {
		waiting = append(waiting, st)
	}
	o.mu.Unlock()
	if notify {
		_ = o.ctrlEnc.Encode(&protocol.FileCancel{Code: code, All: true})
	}
	o.ctrlMu.Unlock()
	o.cancelCtx()
	if cur != nil { // the writer stops after its chunk; a write stuck longer gives up
		_ = cur.SetWriteDeadline(time.Now().Add(cancelGrace))
	}
	// The receiver answers for every file it has seen; one that does not is
	// given up after a while.
	for _, st := range waiting {
		_ = st.SetReadDeadline(time.Now().Add(verdictGrace))
	}
}

func (o *outgoing) cancelFile(i int) error {
	o.mu.Lock()
	if i < 0 || i >= len(o.files) {
		o.mu.Unlock()
		return fail(protocol.Internal, nil, "transfer %s has no file %d", o.id, i)
	}
	if o.final[i] {
		o.mu.Unlock()
		return nil
	}
	o.fileCancel[i] = protocol.Cancelled
	var st *quic.Stream
	if o.cur == i {
		st = o.curStream
	}
	o.mu.Unlock()
	if st != nil { // the writer stops after its chunk; a write stuck longer gives up
		_ = st.SetWriteDeadline(time.Now().Add(cancelGrace))
	}
	return nil
}

// run waits for the answer, sends the files one after the other, each on
// its own stream, and collects the receiver's verdicts.
func (o *outgoing) run() {
	stop := context.AfterFunc(o.e.ctx, func() { o.streams.refuseAll(protocol.SessionEnded) })
	defer stop()
	defer o.end()

	var ans *protocol.FileAnswer
	select {
	case ans = <-o.answer:
	case <-o.ctx.Done():
	case <-o.ctrlDone:
		select { // an answer and the end of the stream may come together
		case ans = <-o.answer:
		default:
		}
	}
	if ans == nil {
		var cerr error
		select {
		case <-o.ctrlDone:
			cerr = o.ctrlErr
		default:
		}
		o.failRest(o.stopCode(cerr))
		return
	}
	if !ans.Accept {
		o.e.emit(Answered{ID: o.id})
		o.failRest(protocol.Refused)
		return
	}
	var resumed uint64
	for i, off := range ans.ResumeOffsets {
		if int(i) >= len(o.files) || off > o.files[i].info.Size || (off > 0 && o.files[i].info.ModTime == 0) {
			_ = o.violation("bad resume offset")
			o.failRest(protocol.ProtocolViolation)
			return
		}
		resumed += off
	}
	o.mu.Lock()
	o.done = resumed
	o.mu.Unlock()
	o.e.emit(Answered{ID: o.id, Accepted: true, Resumed: resumed})

	slots := make(chan struct{}, maxInFlight)
	var verdicts sync.WaitGroup
	var why protocol.Code // why files were left unopened
	for i := range o.files {
		select {
		case slots <- struct{}{}:
		case <-o.ctx.Done():
		}
		if why = o.stopCode(nil); why != protocol.NoError {
			break
		}
		st, err := o.e.conn.OpenStream(o.ctx, protocol.StreamHeader{Kind: protocol.File, TransferID: o.id.N, FileIndex: uint32(i)}) //nolint:gosec // i < MaxOfferFiles
		if err != nil {
			why = o.stopCode(err)
			break
		}
		st.SetPriority(dataUrgency, false)
		if !o.streams.add(st) {
			why = protocol.SessionEnded
			break
		}
		o.mu.Lock()
		o.waiting[i] = st
		if o.cancelCode != protocol.NoError {
			_ = st.SetReadDeadline(time.Now().Add(verdictGrace))
		}
		o.mu.Unlock()
		verdicts.Go(func() {
			defer func() { <-slots }()
			o.readVerdict(i, st)
		})
		o.send(i, st, ans.ResumeOffsets[uint32(i)]) //nolint:gosec // i < MaxOfferFiles
	}
	verdicts.Wait()
	o.failRest(why)
}

// stopCode returns why the transfer stops: its cancel code once cancelled,
// SessionEnded once the engine closes, else err's code (NoError for nil).
func (o *outgoing) stopCode(err error) protocol.Code {
	o.mu.Lock()
	code := o.cancelCode
	o.mu.Unlock()
	switch {
	case code != protocol.NoError:
		return code
	case o.e.ctx.Err() != nil:
		return protocol.SessionEnded
	case err == nil:
		return protocol.NoError
	}
	return o.e.codeOf(err)
}

// send writes file i on st from offset off: chunks, then FileDone with the
// whole file's SHA-256. When the file or the transfer is cancelled, or the
// file cannot be read, it ends the stream with FileCancel instead: a
// message, not a stream reset, so that the receiver learns the reason even
// when the stream's first bytes are still on their way. A reset is only the
// last resort of a stream that cannot be written.
func (o *outgoing) send(i int, st *quic.Stream, off uint64) {
	src := o.files[i]
	enc := protocol.NewEncoder(st, protocol.File)
	o.mu.Lock()
	o.cur, o.curStream, o.curDone = i, st, off
	code := o.fileCancel[i]
	if code == protocol.NoError {
		code = o.cancelCode
	}
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.cur, o.curStream, o.curDone = -1, nil, 0
		o.mu.Unlock()
	}()
	if code == protocol.NoError {
		w := &yielding{w: st, conn: o.e.conn, ctx: o.e.ctx}
		sum, err := o.sendData(src, w, off, func(pos uint64) protocol.Code { return o.sent(i, pos) })
		if err == nil {
			o.mu.Lock()
			o.hashes[i] = sum
			o.mu.Unlock()
			if err := enc.Encode(&protocol.FileDone{Hash: sum}); err == nil {
				_ = st.Close()
			} // else the verdict reader learns why
			return
		}
		var pe *protocol.Error
		if !errors.As(err, &pe) || (pe.Code != protocol.ReadFailed && !errors.Is(err, errStopped)) {
			// The stream cannot be written (the receiver stopped reading, the
			// connection is gone, or a cancelled write stayed stuck).
			if code = o.fileStop(i); code == protocol.NoError {
				code = o.e.codeOf(err)
			}
			st.CancelWrite(quic.StreamErrorCode(code))
			return
		}
		code = pe.Code
	}
	// Tell the receiver why; it answers with the same code.
	if err := enc.Encode(&protocol.FileCancel{Code: code}); err != nil {
		st.CancelWrite(quic.StreamErrorCode(code))
		return
	}
	_ = st.Close()
}

// fileStop returns why file i must stop: its own cancel or the transfer's,
// NoError if neither.
func (o *outgoing) fileStop(i int) protocol.Code {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c := o.fileCancel[i]; c != protocol.NoError {
		return c
	}
	return o.cancelCode
}

// errStopped is returned by sendData when progress says to stop.
var errStopped = errors.New("stopped")

// pipeDepth is how many chunks may wait between the goroutine that reads
// and hashes a file and the one that writes it to the stream (and between
// the stream's reader and the file's writer on the receiving side).
const pipeDepth = 4

// block is a chunk read from the file, its data after chunkHeaderMax bytes
// of room for the envelope.
type block struct {
	buf []byte
	off uint64
	n   int
}

// sendData hashes the first off bytes of src, sends the rest in chunks on
// w and returns the whole file's SHA-256. One goroutine reads and hashes
// while this one writes. progress is told the position after each chunk
// and returns non-zero to stop.
func (o *outgoing) sendData(src source, w io.Writer, off uint64, progress func(uint64) protocol.Code) ([]byte, error) {
	f, err := os.Open(src.path)
	if err != nil {
		return nil, fail(protocol.ReadFailed, err, "opening %s", src.path)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, fail(protocol.ReadFailed, err, "reading %s", src.path)
	}
	if uint64(fi.Size()) != src.info.Size || fi.ModTime().UnixNano() != src.info.ModTime { //nolint:gosec // sizes are not negative
		return nil, fail(protocol.ReadFailed, nil, "%s changed since it was offered", src.path)
	}
	var r io.Reader = f
	if o.e.cfg.WrapRead != nil {
		r = o.e.cfg.WrapRead(r)
	}
	size := src.info.Size
	rest := size - off
	nbuf := max(1, int(min(pipeDepth, (rest+chunkSize-1)/chunkSize))) //nolint:gosec // small
	free := make(chan []byte, nbuf)
	for range nbuf {
		free <- make([]byte, chunkHeaderMax+int(min(rest, chunkSize))) //nolint:gosec // ≤ chunkSize
	}
	full := make(chan block, nbuf)
	quit := make(chan struct{})
	var (
		reader  sync.WaitGroup
		readErr error
		sum     []byte
	)
	defer func() {
		close(quit)
		reader.Wait()
	}()
	reader.Go(func() {
		defer close(full)
		h := sha256.New()
		if off > 0 {
			_, err := io.CopyBuffer(h, io.LimitReader(r, int64(off)), make([]byte, chunkSize)) //nolint:gosec // off ≤ MaxFileSize
			if err != nil {
				readErr = fail(protocol.ReadFailed, err, "reading %s", src.path)
				return
			}
		}
		for pos := off; pos < size; {
			var buf []byte
			select {
			case buf = <-free:
			case <-quit:
				return
			}
			n := int(min(uint64(len(buf)-chunkHeaderMax), size-pos)) //nolint:gosec // ≤ chunkSize
			data := buf[chunkHeaderMax : chunkHeaderMax+n]
			if _, err := io.ReadFull(r, data); err != nil {
				readErr = fail(protocol.ReadFailed, err, "reading %s", src.path)
				return
			}
			h.Write(data)
			select {
			case full <- block{buf, pos, n}:
			case <-quit:
				return
			}
			pos += uint64(n) //nolint:gosec // n > 0
		}
		sum = h.Sum(nil)
	})
	var hb [chunkHeaderMax]byte
	for b := range full {
		hdr := appendChunkHeader(hb[:0], b.off, b.n)
		start := chunkHeaderMax - len(hdr)
		copy(b.buf[start:], hdr)
		if _, err := w.Write(b.buf[start : chunkHeaderMax+b.n]); err != nil {
			return nil, fmt.Errorf("sending %s: %w", src.path, err)
		}
		free <- b.buf
		if code := progress(b.off + uint64(b.n)); code != protocol.NoError { //nolint:gosec // n > 0
			return nil, fail(code, errStopped, "sending %s", src.path)
		}
	}
	reader.Wait()
	if readErr != nil {
		return nil, readErr
	}
	return sum, nil
}

// sent records that the file being sent has gone up to pos and returns
// non-zero when it must stop.
func (o *outgoing) sent(i int, pos uint64) protocol.Code {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done += pos - o.curDone
	o.moved += pos - o.curDone
	o.curDone = pos
	now := time.Now()
	o.meter.add(now, o.moved)
	if wait := o.e.cfg.ProgressInterval - now.Sub(o.lastProg); wait <= 0 || pos == o.files[i].info.Size {
		o.emitProgressLocked(i, pos, now)
	} else if o.progTimer == nil { // a pause must not hide the last bytes
		o.progTimer = time.AfterFunc(wait, func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			if o.progTimer != nil && !o.over {
				o.emitProgressLocked(i, pos, time.Now())
			}
		})
	}
	if c := o.fileCancel[i]; c != protocol.NoError {
		return c
	}
	return o.cancelCode
}

// emitProgressLocked reports the progress of file i, sent up to pos if it
// is being sent.
func (o *outgoing) emitProgressLocked(i int, pos uint64, now time.Time) {
	if o.progTimer != nil {
		o.progTimer.Stop()
		o.progTimer = nil
	}
	if o.cur == i {
		pos = o.curDone
	}
	o.lastProg = now
	size := o.files[i].info.Size
	rate := o.meter.rate()
	o.e.emit(Progress{ID: o.id, File: i, FileDone: pos, FileSize: size, Done: o.done, Total: o.total,
		Rate: rate, FileLeft: left(size-pos, rate), Left: left(o.total-o.done, rate)})
}

// readVerdict waits for the receiver's word on file i: FileDone with the
// hash it computed, or FileCancel with a code.
func (o *outgoing) readVerdict(i int, st *quic.Stream) {
	m, err := protocol.NewDecoder(st, protocol.File).Decode()
	st.CancelRead(quic.StreamErrorCode(protocol.NoError)) // nothing more is expected
	res := o.results[i]
	switch m := m.(type) {
	case *protocol.FileDone:
		o.mu.Lock()
		sum := o.hashes[i]
		o.mu.Unlock()
		if sum != nil && bytes.Equal(sum, m.Hash) {
			res.SHA256 = hex.EncodeToString(sum)
		} else {
			res.Err = fail(protocol.IntegrityFailed, nil, "the receiver's hash of %s differs", res.File.Name)
		}
	case *protocol.FileCancel:
		code := m.Code
		if code == protocol.NoError {
			code = protocol.Cancelled
		}
		res.Err = fail(code, nil, "the receiver ended %s", res.File.Name)
	case nil:
		// A stream ended without a verdict: the connection's end wins, then
		// a cancel of ours (the receiver may have refused a stream it never
		// saw the start of, and ends that file with the cancel's code too).
		code := o.e.codeOf(err)
		if c := o.stopCode(nil); c != protocol.NoError && o.e.conn.Err() == nil {
			code = c
		}
		res.Err = codeErr(code, fmt.Errorf("waiting for the receiver's word on %s: %w", res.File.Name, err))
	default:
		res.Err = fail(protocol.ProtocolViolation, nil, "%s from the receiver on a file stream", m.Type())
	}
	if res.Err != nil {
		st.CancelWrite(quic.StreamErrorCode(protocol.CodeOf(res.Err)))
	}
	o.streams.remove(st)
	o.mu.Lock()
	delete(o.waiting, i)
	o.mu.Unlock()
	o.settle(i, res)
}

// settle records the outcome of file i, once.
func (o *outgoing) settle(i int, res Result) {
	o.mu.Lock()
	if o.final[i] {
		o.mu.Unlock()
		return
	}
	o.final[i] = true
	o.results[i] = res
	o.mu.Unlock()
	if res.Err == nil {
		o.e.emit(FileCompleted{ID: o.id, Result: res})
	} else {
		o.e.emit(FileFailed{ID: o.id, Result: res})
	}
}

// failRest settles every file without an outcome with code, then reports
// the end of the transfer.
func (o *outgoing) failRest(code protocol.Code) {
	if code == protocol.NoError {
		code = o.stopCode(nil)
	}
	if code == protocol.NoError {
		code = protocol.ProtocolViolation
	}
	for i := range o.files {
		res := o.results[i]
		res.Err = fail(code, nil, "%s not sent", res.File.Name)
		o.settle(i, res)
	}
	o.mu.Lock()
	results := append([]Result(nil), o.results...)
	o.over = true
	if o.progTimer != nil {
		o.progTimer.Stop()
		o.progTimer = nil
	}
	o.e.emit(finished(o.id, results))
	o.mu.Unlock()
}

// finished builds the last event of a transfer from its results.
func finished(id ID, results []Result) Finished {
	f := Finished{ID: id, Results: results}
	for _, r := range results {
		if r.Err == nil {
			f.Completed++
			continue
		}
		f.Failed++
		if f.Err == nil {
			f.Err = r.Err
		}
	}
	return f
}

// end closes the control stream and forgets the transfer once the
// receiver has closed its side too (or after lingerGrace).
func (o *outgoing) end() {
	o.ctrlMu.Lock()
	_ = o.ctrl.Close()
	o.ctrlMu.Unlock()
	_ = o.ctrl.SetReadDeadline(time.Now().Add(lingerGrace))
	<-o.ctrlDone
	o.ctrl.CancelRead(quic.StreamErrorCode(protocol.NoError))
	o.streams.remove(o.ctrl)
	o.e.mu.Lock()
	delete(o.e.out, o.id.N)
	o.e.mu.Unlock()
	o.cancelCtx()
}
