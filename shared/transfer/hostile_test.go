package transfer

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/transporttest"
)

// rawPair connects a bare connection (the test plays a sender, message by
// message) to a side with an engine.
func rawPair(t *testing.T, cfg Config) (*transport.Conn, *side) {
	t.Helper()
	dc, lc := transporttest.Pair(t)
	b := newSide(t, "b", lc, cfg)
	t.Cleanup(func() {
		b.close()
		dc.Close(protocol.NoError, "")
	})
	return dc, b
}

// rawSender is a sender written message by message, to lie.
type rawSender struct {
	t    *testing.T
	conn *transport.Conn
	id   uint64
	ctrl *quic.Stream
	enc  *protocol.Encoder
	dec  *protocol.Decoder
}

func offerRaw(t *testing.T, conn *transport.Conn, id uint64, files ...protocol.FileInfo) *rawSender {
	t.Helper()
	for i := range files {
		files[i].Index = uint32(i)
	}
	st, err := conn.OpenStream(t.Context(), protocol.StreamHeader{Kind: protocol.File, TransferID: id})
	if err != nil {
		t.Fatal(err)
	}
	r := &rawSender{t: t, conn: conn, id: id, ctrl: st, enc: protocol.NewEncoder(st, protocol.File),
		dec: protocol.NewDecoder(st, protocol.File)}
	if err := r.enc.Encode(&protocol.FileOffer{TransferID: id, Files: files}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rawSender) answer() *protocol.FileAnswer {
	r.t.Helper()
	_ = r.ctrl.SetReadDeadline(time.Now().Add(waitTime))
	m, err := r.dec.Decode()
	if err != nil {
		r.t.Fatal(err)
	}
	a, ok := m.(*protocol.FileAnswer)
	if !ok {
		r.t.Fatalf("answer %#v", m)
	}
	return a
}

// send opens the stream of file i, writes msgs (raw bytes too), closes it
// and returns the receiver's verdict, or the error that ended the stream.
func (r *rawSender) send(i uint32, msgs ...any) (protocol.Message, error) {
	r.t.Helper()
	st, err := r.conn.OpenStream(r.t.Context(), protocol.StreamHeader{Kind: protocol.File, TransferID: r.id, FileIndex: i})
	if err != nil {
		r.t.Fatal(err)
	}
	enc := protocol.NewEncoder(st, protocol.File)
	for _, m := range msgs {
		switch m := m.(type) {
		case protocol.Message:
			err = enc.Encode(m)
		case []byte:
			_, err = st.Write(m)
		}
		if err != nil {
			break
		}
	}
	_ = st.Close()
	_ = st.SetReadDeadline(time.Now().Add(waitTime))
	v, err := protocol.NewDecoder(st, protocol.File).Decode()
	st.CancelRead(0)
	return v, err
}

// end closes the control stream as a sender does when it is done.
func (r *rawSender) end() { _ = r.ctrl.Close() }

func chunks(data []byte, from uint64) []any {
	var out []any
	for off := uint64(0); off < uint64(len(data)); off += chunkSize {
		n := min(uint64(len(data))-off, chunkSize)
		out = append(out, &protocol.FileChunk{Offset: from + off, Data: data[off : off+n]})
	}
	return out
}

func done(data []byte) *protocol.FileDone {
	s := sha256.Sum256(data)
	return &protocol.FileDone{Hash: s[:]}
}

func wantVerdict(t *testing.T, m protocol.Message, err error, code protocol.Code) {
	t.Helper()
	if err != nil {
		t.Fatalf("no verdict: %v", err)
	}
	switch m := m.(type) {
	case *protocol.FileDone:
		if code != protocol.NoError {
			t.Fatalf("verdict: done, want %v", code)
		}
	case *protocol.FileCancel:
		if m.Code != code {
			t.Fatalf("verdict: cancel %v, want %v", m.Code, code)
		}
	default:
		t.Fatalf("verdict %#v", m)
	}
}

// TestLyingSender: whatever a sender gets wrong about one file ends that
// file with a code on both sides; the next file of the same transfer
// arrives, and nothing of the bad one is left.
func TestLyingSender(t *testing.T) {
	data := pattern("data", chunkSize+1000)
	size := uint64(len(data))
	flipped := slices.Clone(data)
	flipped[chunkSize+10] ^= 0x40
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0x0f, byte(protocol.TypeFileChunk)} // a 4 GiB chunk announced
	for _, tc := range []struct {
		name string
		size uint64 // offered
		msgs []any
		code protocol.Code
	}{
		{"honest", size, append(chunks(data, 0), done(data)), protocol.NoError},
		{"more bytes than offered", size - 1, append(chunks(data, 0), done(data)), protocol.ProtocolViolation},
		{"chunk beyond the size", size, append(chunks(data, 0), &protocol.FileChunk{Offset: size, Data: []byte{1}}, done(data)), protocol.ProtocolViolation},
		{"offset gap", size, []any{&protocol.FileChunk{Offset: 0, Data: data[:100]}, &protocol.FileChunk{Offset: 200, Data: data[200:300]}}, protocol.ProtocolViolation},
		{"offset overlap", size, []any{&protocol.FileChunk{Offset: 0, Data: data[:100]}, &protocol.FileChunk{Offset: 50, Data: data[50:300]}}, protocol.ProtocolViolation},
		{"done early", size, []any{&protocol.FileChunk{Offset: 0, Data: data[:100]}, done(data)}, protocol.ProtocolViolation},
		{"corrupted chunk", size, append(chunks(flipped, 0), done(data)), protocol.IntegrityFailed},
		{"wrong hash", size, append(chunks(data, 0), &protocol.FileDone{Hash: make([]byte, 32)}), protocol.IntegrityFailed},
		{"no done", size, chunks(data, 0), protocol.ProtocolViolation},
		{"offer on a file stream", size, []any{&protocol.FileOffer{TransferID: 1, Files: []protocol.FileInfo{{Name: "x"}}}}, protocol.ProtocolViolation},
		{"huge chunk announced", size, []any{huge}, protocol.MessageTooLarge},
		{"sender gives up", size, []any{&protocol.FileChunk{Offset: 0, Data: data[:100]}, &protocol.FileCancel{Code: protocol.ReadFailed}}, protocol.ReadFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := t.TempDir()
			conn, b := rawPair(t, Config{})
			b.acceptInto(dst)
			good := pattern("good", 5000)
			r := offerRaw(t, conn, 7,
				protocol.FileInfo{Name: "bad.bin", Size: tc.size, ModTime: 1},
				protocol.FileInfo{Name: "good.bin", Size: uint64(len(good)), ModTime: 1})
			if a := r.answer(); !a.Accept {
				t.Fatal("declined")
			}
			v, err := r.send(0, tc.msgs...)
			wantVerdict(t, v, err, tc.code)
			v, err = r.send(1, append(chunks(good, 0), done(good))...)
			wantVerdict(t, v, err, protocol.NoError)
			r.end()
			f := b.finished(ID{Incoming, 7})
			if tc.code == protocol.NoError {
				if f.Err != nil {
					t.Fatal(f.Err)
				}
				return
			}
			wantCode(t, f.Err, tc.code)
			if f.Completed != 1 || f.Results[1].Err != nil {
				t.Fatalf("finished %+v", f)
			}
			if got := names(tree(t, dst)); !slices.Equal(got, []string{"good.bin"}) {
				t.Fatalf("folder %v", got)
			}
		})
	}
}

// TestStrayStreams: streams that belong to no transfer, to a transfer not
// accepted yet, to a file not offered, or that repeat a file, are refused
// alone; the transfer they name is not harmed.
func TestStrayStreams(t *testing.T) {
	dst := t.TempDir()
	conn, b := rawPair(t, Config{})
	data := pattern("d", 1000)
	refused := func(what string, st *quic.Stream) {
		t.Helper()
		_ = st.SetReadDeadline(time.Now().Add(waitTime))
		_, err := st.Read(make([]byte, 1))
		var se *quic.StreamError
		if !errors.As(err, &se) || protocol.Code(se.ErrorCode) != protocol.ProtocolViolation {
			t.Fatalf("%s: read %v, want the stream refused", what, err)
		}
	}
	open := func(id uint64, i uint32, msg protocol.Message) *quic.Stream {
		st, err := conn.OpenStream(t.Context(), protocol.StreamHeader{Kind: protocol.File, TransferID: id, FileIndex: i})
		if err != nil {
			t.Fatal(err)
		}
		_ = protocol.NewEncoder(st, protocol.File).Encode(msg) // a refusal may come first
		return st
	}
	chunk := &protocol.FileChunk{Offset: 0, Data: data}
	refused("unknown transfer", open(99, 1, chunk))
	refused("no offer first", open(98, 0, chunk))

	r := offerRaw(t, conn, 5, protocol.FileInfo{Name: "f", Size: uint64(len(data)), ModTime: 1})
	in := b.offerReceived().ID
	refused("before the answer", open(5, 0, chunk))
	if err := b.eng.Accept(in, dst); err != nil {
		t.Fatal(err)
	}
	r.answer()
	refused("file not offered", open(5, 1, chunk))
	first := open(5, 0, chunk)
	b.wait(func(ev Event) bool { _, ok := ev.(Progress); return ok }, "progress")
	refused("same file twice", open(5, 0, chunk))
	if err := protocol.NewEncoder(first, protocol.File).Encode(done(data)); err != nil {
		t.Fatal(err)
	}
	v, err := protocol.NewDecoder(first, protocol.File).Decode()
	wantVerdict(t, v, err, protocol.NoError)
	r.end()
	if f := b.finished(in); f.Err != nil {
		t.Fatal(f.Err)
	}
	// A stream for the finished transfer is answered with a refusal.
	v, err = r.send(0, chunk)
	wantVerdict(t, v, err, protocol.ProtocolViolation)
}

// TestCancelAllBySenderMidTransfer: a raw sender cancels the whole transfer
// on its control stream; the receiver ends every file with that code.
func TestCancelAllOnControlStream(t *testing.T) {
	dst := t.TempDir()
	conn, b := rawPair(t, Config{})
	b.acceptInto(dst)
	data := pattern("d", 3000)
	r := offerRaw(t, conn, 3,
		protocol.FileInfo{Name: "a", Size: uint64(len(data)), ModTime: 1},
		protocol.FileInfo{Name: "b", Size: uint64(len(data)), ModTime: 1})
	r.answer()
	v, err := r.send(0, append(chunks(data, 0), done(data))...)
	wantVerdict(t, v, err, protocol.NoError)
	if err := r.enc.Encode(&protocol.FileCancel{Code: protocol.Cancelled, All: true}); err != nil {
		t.Fatal(err)
	}
	f := b.finished(ID{Incoming, 3})
	wantCode(t, f.Err, protocol.Cancelled)
	if f.Completed != 1 || protocol.CodeOf(f.Results[1].Err) != protocol.Cancelled {
		t.Fatalf("finished %+v", f)
	}
	// The file never started is answered with the same code if it comes late.
	v, err = r.send(1, chunks(data, 0)...)
	wantVerdict(t, v, err, protocol.Cancelled)
	r.end()
}

// TestHostileNames: names from the peer never reach outside the folder,
// never replace a file, and come out as SanitizeName says.
func TestHostileNames(t *testing.T) {
	base := t.TempDir()
	dst, outside := filepath.Join(base, "inside"), filepath.Join(base, "outside")
	for _, d := range []string{dst, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Links in the folder, to a file and a folder outside it.
	if err := os.Symlink(secret, filepath.Join(dst, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dst, "docs")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "exists.txt"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "\u00e9t\u00e9.txt"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("ü", 200) + ".txt" // 404 bytes
	cases := []struct{ offered, want string }{
		{"../../outside/secret.txt", "outside/secret.txt"},
		{"/etc/passwd", "etc/passwd"},
		{`..\..\outside\x.txt`, "outside/x.txt"},
		{`C:\Windows\win.ini`, "C_/Windows/win.ini"},
		{"CON", "_CON"},
		{"nul.txt", "_nul.txt"},
		{"com1.tar.gz", "_com1.tar.gz"},
		{"dots. . .", "dots"},
		{"a:b*c?d\"e<f>g|h", "a_b_c_d_e_f_g_h"},
		{"\u200bzero\ufeffwidth", "\u200bzero_width"},
		{"evil\u202etxt.exe", "evil_txt.exe"},
		{"link.txt", "link (1).txt"},
		{"docs/inner.txt", "docs (1)/inner.txt"},
		{"exists.txt", "exists (1).txt"},
		{"EXISTS.TXT", "EXISTS (2).TXT"},
		{"e\u0301te\u0301.txt", "\u00e9t\u00e9 (1).txt"}, // NFD against an NFC file on disk
		{"same.txt", "same.txt"},
		{"same.txt", "same (1).txt"}, // the same name twice in one offer
		{"Same.txt", "Same (2).txt"},
		{"x.tandem-partial", "x.tandem-partial_"},
		{long, cutUTF8(strings.Repeat("ü", 200), MaxComponentLen-4) + ".txt"},
	}
	var infos []protocol.FileInfo
	for _, c := range cases {
		infos = append(infos, protocol.FileInfo{Name: c.offered, Size: uint64(len(c.offered)), ModTime: 1})
	}
	conn, b := rawPair(t, Config{})
	b.acceptInto(dst)
	r := offerRaw(t, conn, 1, infos...)
	r.answer()
	for i, c := range cases {
		data := []byte(c.offered)
		v, err := r.send(uint32(i), append(chunks(data, 0), done(data))...)
		wantVerdict(t, v, err, protocol.NoError)
	}
	r.end()
	f := b.finished(ID{Incoming, 1})
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	got := tree(t, dst)
	for i, c := range cases {
		if got[c.want] != sha([]byte(c.offered)) {
			t.Errorf("%q: want it at %q; result %q", c.offered, c.want, f.Results[i].Path)
		}
		if rel, _ := filepath.Rel(dst, f.Results[i].Path); filepath.ToSlash(rel) != c.want {
			t.Errorf("%q: result path %q, want %q", c.offered, f.Results[i].Path, c.want)
		}
	}
	if len(got) != len(cases)+4 { // link.txt, docs (a link) and the two old files
		t.Errorf("folder has %d entries: %v", len(got), names(got))
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "keep" {
		t.Fatalf("secret %q %v", b, err)
	}
	if got := names(tree(t, outside)); !slices.Equal(got, []string{"secret.txt"}) {
		t.Fatalf("outside: %v", got)
	}
	for _, old := range []string{"exists.txt", "\u00e9t\u00e9.txt"} {
		if b, _ := os.ReadFile(filepath.Join(dst, old)); string(b) != "old" {
			t.Errorf("%s replaced", old)
		}
	}
}

// TestCollisionsFromFiles: real files, sent by the engine, whose names
// clash in the receiving folder.
func TestCollisionsFromFiles(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	p1 := writeFile(t, src, "x/report.pdf", 10)
	p2 := writeFile(t, src, "y/report.pdf", 20)
	p3 := writeFile(t, src, "z/REPORT.pdf", 30)
	writeFile(t, dst, "report.pdf", 1)
	writeFile(t, dst, "Folder", 1) // a file where the folder goes
	writeFile(t, src, "Folder/in.txt", 5)
	a, b := newPair(t, Config{}, Config{})
	b.acceptInto(dst)
	id, err := a.eng.Offer(t.Context(), p1, p2, p3, filepath.Join(src, "Folder"))
	if err != nil {
		t.Fatal(err)
	}
	if f := b.finished(incomingID(id)); f.Err != nil {
		t.Fatal(f.Err)
	}
	want := []string{"Folder", "Folder (1)/in.txt", "REPORT (3).pdf", "report (1).pdf", "report (2).pdf", "report.pdf"}
	if got := names(tree(t, dst)); !slices.Equal(got, want) {
		t.Fatalf("folder %v, want %v", got, want)
	}
	if tree(t, dst)["report (2).pdf"] != sha(pattern("y/report.pdf", 20)) {
		t.Fatal("second report is not y's")
	}
}

// TestLyingReceiver: a receiver that answers nonsense ends the transfer
// with ProtocolViolation, or that file with IntegrityFailed when it claims
// another hash; the sender's engine goes on.
func TestLyingReceiver(t *testing.T) {
	for _, tc := range []struct {
		name string
		lie  func(t *testing.T, conn *transport.Conn, ctrl *quic.Stream)
		code protocol.Code
	}{
		{"resume offset past the end", func(t *testing.T, _ *transport.Conn, ctrl *quic.Stream) {
			_ = protocol.NewEncoder(ctrl, protocol.File).Encode(&protocol.FileAnswer{TransferID: 1, Accept: true,
				ResumeOffsets: map[uint32]uint64{0: 1 << 30}})
		}, protocol.ProtocolViolation},
		{"answer for another transfer", func(t *testing.T, _ *transport.Conn, ctrl *quic.Stream) {
			_ = protocol.NewEncoder(ctrl, protocol.File).Encode(&protocol.FileAnswer{TransferID: 2, Accept: true})
		}, protocol.ProtocolViolation},
		{"wrong hash in the verdict", func(t *testing.T, conn *transport.Conn, ctrl *quic.Stream) {
			_ = protocol.NewEncoder(ctrl, protocol.File).Encode(&protocol.FileAnswer{TransferID: 1, Accept: true})
			_, st, err := conn.AcceptStream(t.Context())
			if err != nil {
				t.Error(err)
				return
			}
			dec := protocol.NewDecoder(st, protocol.File)
			for {
				m, err := dec.Decode()
				if err != nil {
					t.Error(err)
					return
				}
				if _, ok := m.(*protocol.FileDone); ok {
					break
				}
			}
			_ = protocol.NewEncoder(st, protocol.File).Encode(&protocol.FileDone{Hash: make([]byte, 32)})
			_ = st.Close()
		}, protocol.IntegrityFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			p := writeFile(t, src, "f", 1000)
			dc, lc := transporttest.Pair(t)
			a := newSide(t, "a", dc, Config{})
			defer func() {
				a.close()
				lc.Close(protocol.NoError, "")
			}()
			id, err := a.eng.Offer(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			h, ctrl, err := lc.AcceptStream(t.Context())
			if err != nil || h.TransferID != id.N {
				t.Fatalf("stream %+v, %v", h, err)
			}
			if _, err := protocol.NewDecoder(ctrl, protocol.File).Decode(); err != nil {
				t.Fatal(err)
			}
			tc.lie(t, lc, ctrl)
			wantCode(t, a.finished(id).Err, tc.code)
		})
	}
}
