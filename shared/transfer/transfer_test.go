package transfer

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// TestFilesAndFolder sends a file and a folder; both sides agree on every
// file's hash, the files land where they should, and progress reaches the
// total.
func TestFilesAndFolder(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := map[string]string{}
	for name, n := range map[string]int{
		"single.bin":             3*chunkSize + 17,
		"Photos/a.jpg":           1000,
		"Photos/2024/b.jpg":      chunkSize,
		"Photos/2024/empty.txt":  0,
		"Photos/deep/er/c.txt":   5,
		"Photos/été/naïve ✓.txt": 42,
	} {
		writeFile(t, src, name, n)
		want[name] = sha(pattern(name, n))
	}
	a, b := newPair(t, Config{}, Config{DefaultDir: dst})
	b.acceptInto(dst)
	id, err := a.eng.Offer(t.Context(), filepath.Join(src, "single.bin"), filepath.Join(src, "Photos"))
	if err != nil {
		t.Fatal(err)
	}
	sent := waitEvent[OfferSent](a, id)
	got := b.offerReceived()
	if got.ID != incomingID(id) || len(got.Files) != 6 || got.Total != sent.Total || !got.FreeKnown || !got.Enough ||
		got.Dir != dst || got.Free == 0 {
		t.Fatalf("offer received %+v, sent %+v", got, sent)
	}
	for i, f := range got.Files {
		if f != sent.Files[i] || f.Index != i {
			t.Fatalf("file %d: received %+v, sent %+v", i, f, sent.Files[i])
		}
	}

	fa, fb := a.finished(id), b.finished(incomingID(id))
	for _, f := range []Finished{fa, fb} {
		if f.Err != nil || f.Completed != 6 || f.Failed != 0 {
			t.Fatalf("finished %+v", f)
		}
	}
	for i := range fa.Results {
		ra, rb := fa.Results[i], fb.Results[i]
		if ra.SHA256 != rb.SHA256 || ra.SHA256 != want[ra.File.Name] {
			t.Errorf("file %s: hashes %s / %s, want %s", ra.File.Name, ra.SHA256, rb.SHA256, want[ra.File.Name])
		}
		if rel, _ := filepath.Rel(dst, rb.Path); filepath.ToSlash(rel) != ra.File.Name {
			t.Errorf("file %s saved at %s", ra.File.Name, rb.Path)
		}
	}
	if got := tree(t, dst); !maps(got, want) {
		t.Fatalf("received tree %v, want %v", got, want)
	}
	if n := len(all[FileCompleted](a, id)); n != 6 {
		t.Errorf("%d FileCompleted on the sending side", n)
	}
	for _, s := range []*side{a, b} {
		tid := id
		if s == b {
			tid = incomingID(id)
		}
		ans := all[Answered](s, tid)
		if len(ans) != 1 || !ans[0].Accepted {
			t.Errorf("%s: answered %+v", s.name, ans)
		}
		ps := all[Progress](s, tid)
		if len(ps) == 0 || ps[len(ps)-1].Done != sent.Total || ps[len(ps)-1].Total != sent.Total {
			t.Errorf("%s: progress %+v", s.name, ps)
		}
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestBothWaysAtOnce sends from each side at the same time: both
// transfers are number 1, told apart by their direction.
func TestBothWaysAtOnce(t *testing.T) {
	src, da, db := t.TempDir(), t.TempDir(), t.TempDir()
	pa := writeFile(t, src, "from-a.bin", 2*chunkSize+1)
	pb := writeFile(t, src, "from-b.bin", 3*chunkSize+5)
	a, b := newPair(t, Config{}, Config{})
	a.acceptInto(da)
	b.acceptInto(db)
	ida, err := a.eng.Offer(t.Context(), pa)
	if err != nil {
		t.Fatal(err)
	}
	idb, err := b.eng.Offer(t.Context(), pb)
	if err != nil {
		t.Fatal(err)
	}
	if ida.N != idb.N {
		t.Fatalf("transfer numbers %v and %v: the test wants them equal", ida, idb)
	}
	for _, f := range []Finished{a.finished(ida), b.finished(incomingID(ida)), b.finished(idb), a.finished(incomingID(idb))} {
		if f.Err != nil || f.Completed != 1 {
			t.Fatalf("finished %+v", f)
		}
	}
	if got := tree(t, db)["from-a.bin"]; got != sha(pattern("from-a.bin", 2*chunkSize+1)) {
		t.Error("from-a.bin differs")
	}
	if got := tree(t, da)["from-b.bin"]; got != sha(pattern("from-b.bin", 3*chunkSize+5)) {
		t.Error("from-b.bin differs")
	}
}

func TestDecline(t *testing.T) {
	src := t.TempDir()
	p := writeFile(t, src, "x", 10)
	a, b := newPair(t, Config{}, Config{})
	id, err := a.eng.Offer(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	o := b.offerReceived()
	if err := b.eng.Decline(o.ID); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Finished{a.finished(id), b.finished(o.ID)} {
		wantCode(t, f.Err, protocol.Refused)
		if f.Failed != 1 {
			t.Fatalf("finished %+v", f)
		}
	}
	if ans := waitEvent[Answered](a, id); ans.Accepted {
		t.Fatal("sender told accepted")
	}
	if err := b.eng.Accept(o.ID, t.TempDir()); err == nil {
		t.Fatal("accepted after declining")
	}
}

// TestCancel cancels from each side at each stage; both sides agree and
// nothing is left in the receiving folder.
func TestCancel(t *testing.T) {
	const size = 4 << 20
	for _, tc := range []struct {
		name     string
		sender   bool // the sender cancels (else the receiver)
		early    bool // before the answer
		one      bool // one file (CancelFile) rather than the transfer
		wantCode protocol.Code
	}{
		{"sender/before answer", true, true, false, protocol.Cancelled},
		{"receiver/before answer", false, true, false, protocol.Refused},
		{"sender/mid-file", true, false, false, protocol.Cancelled},
		{"receiver/mid-file", false, false, false, protocol.Cancelled},
		{"sender/one file", true, false, true, protocol.Cancelled},
		{"receiver/one file", false, false, true, protocol.Cancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := t.TempDir(), t.TempDir()
			p1 := writeFile(t, src, "big.bin", size)
			p2 := writeFile(t, src, "small.txt", 100)
			g := newGate(size / 2)
			defer g.release()
			a, b := newPair(t, Config{WrapRead: g.wrap}, Config{})
			id, err := a.eng.Offer(t.Context(), p1, p2)
			if err != nil {
				t.Fatal(err)
			}
			in := b.offerReceived().ID
			canceller, cid := b, in
			if tc.sender {
				canceller, cid = a, id
			}
			if !tc.early {
				if err := b.eng.Accept(in, dst); err != nil {
					t.Fatal(err)
				}
				// Wait until the receiver holds part of the first file.
				b.wait(func(ev Event) bool {
					p, ok := ev.(Progress)
					return ok && p.File == 0 && p.FileDone >= size/4
				}, "progress")
			}
			if tc.one {
				err = canceller.eng.CancelFile(cid, 0)
			} else {
				err = canceller.eng.Cancel(cid)
			}
			if err != nil {
				t.Fatal(err)
			}
			g.release()
			fa, fb := a.finished(id), b.finished(in)
			if tc.one {
				for _, f := range []Finished{fa, fb} {
					if f.Completed != 1 || f.Failed != 1 {
						t.Fatalf("finished %+v", f)
					}
					wantCode(t, f.Results[0].Err, tc.wantCode)
				}
				if got := names(tree(t, dst)); !slices.Equal(got, []string{"small.txt"}) {
					t.Fatalf("received %v", got)
				}
				return
			}
			for _, f := range []Finished{fa, fb} {
				wantCode(t, f.Err, tc.wantCode)
				for _, r := range f.Results {
					wantCode(t, r.Err, tc.wantCode)
				}
			}
			if got := tree(t, dst); len(got) != 0 {
				t.Fatalf("left in the folder: %v", names(got))
			}
		})
	}
}

// TestConnectionCutAndResume cuts the connection in the middle of a file;
// the partial file stays, and the same file offered on a new connection
// resumes where it stopped, sending only the rest.
func TestConnectionCutAndResume(t *testing.T) {
	const size = 6<<20 + 12345
	a, b, id, p, dst, g := pausedMidFile(t, "movie.mkv", size)
	a.conn.Close(protocol.ConnectionLost, "cut") // as the network would
	g.release()
	fa, fb := a.finished(id), b.finished(incomingID(id))
	if fa.Err == nil || fb.Err == nil {
		t.Fatalf("finished %+v / %+v", fa, fb)
	}
	parts := partials(t, dst)
	if len(parts) != 1 {
		t.Fatalf("partial files %v", names(tree(t, dst)))
	}
	if fi, err := os.Stat(filepath.Join(dst, parts[0])); err != nil || fi.Size() < size/4 {
		t.Fatalf("partial %v, %v", fi, err)
	}

	var written atomic.Int64
	count := func(w io.Writer) io.Writer { return &countWriter{w, &written} }
	a2, b2 := newPair(t, Config{}, Config{WrapWrite: count})
	b2.acceptInto(dst)
	id2, err := a2.eng.Offer(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	ans := waitEvent[Answered](a2, id2)
	if ans.Resumed < size/4 {
		t.Fatalf("resumed %d bytes", ans.Resumed)
	}
	fa, fb = a2.finished(id2), b2.finished(incomingID(id2))
	if fa.Err != nil || fb.Err != nil {
		t.Fatalf("finished %v / %v", fa.Err, fb.Err)
	}
	if want := sha(pattern("movie.mkv", size)); fb.Results[0].SHA256 != want || tree(t, dst)["movie.mkv"] != want {
		t.Fatal("resumed file differs")
	}
	if n := written.Load(); n <= 0 || n > size-int64(ans.Resumed) {
		t.Fatalf("%d bytes written after resuming %d of %d", n, ans.Resumed, size)
	}
	if got := names(tree(t, dst)); !slices.Equal(got, []string{"movie.mkv"}) {
		t.Fatalf("left in the folder: %v", got)
	}
}

type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// TestDiskAndReadErrors: a full disk, a folder that may not be written and
// a file that cannot be read each end their file with a clear code on both
// sides, leave nothing under the final name, and the next transfer works.
func TestDiskAndReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write error // the receiver's writes fail with this after 1 MiB
		read  error // the sender's reads fail with this after 1 MiB
		code  protocol.Code
	}{
		{"disk full", syscall.ENOSPC, nil, protocol.DiskFull},
		{"quota", &fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, nil, protocol.DiskFull},
		{"permission denied", &fs.PathError{Op: "write", Path: "x", Err: fs.ErrPermission}, nil, protocol.WriteFailed},
		{"write I/O error", syscall.EIO, nil, protocol.WriteFailed},
		{"read I/O error", nil, syscall.EIO, protocol.ReadFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := t.TempDir(), t.TempDir()
			p := writeFile(t, src, "f.bin", 3<<20)
			var once atomic.Bool
			ca, cb := Config{}, Config{}
			if tc.write != nil {
				cb.WrapWrite = func(w io.Writer) io.Writer {
					if once.Swap(true) {
						return w
					}
					return &failWriter{w: w, n: 1 << 20, err: tc.write}
				}
			}
			if tc.read != nil {
				ca.WrapRead = func(r io.Reader) io.Reader {
					if once.Swap(true) {
						return r
					}
					return io.MultiReader(io.LimitReader(r, 1<<20), errReader{tc.read})
				}
			}
			a, b := newPair(t, ca, cb)
			b.acceptInto(dst)
			id, err := a.eng.Offer(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []Finished{a.finished(id), b.finished(incomingID(id))} {
				wantCode(t, f.Err, tc.code)
			}
			if got := tree(t, dst); len(got) != 0 {
				t.Fatalf("left in the folder: %v", names(got))
			}
			// The engines and the connection go on.
			id2, err := a.eng.Offer(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if f := b.finished(incomingID(id2)); f.Err != nil {
				t.Fatalf("next transfer: %v", f.Err)
			}
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestFreeSpace: the offer says whether the default folder has room, and
// Accept refuses a folder without room, leaving the offer open.
func TestFreeSpace(t *testing.T) {
	src, small, big := t.TempDir(), t.TempDir(), t.TempDir()
	p := writeFile(t, src, "f.bin", 100_000)
	free := func(dir string) (uint64, error) {
		if dir == small {
			return 99_999, nil
		}
		return 1 << 40, nil
	}
	a, b := newPair(t, Config{}, Config{FreeSpace: free, DefaultDir: small})
	id, err := a.eng.Offer(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	o := b.offerReceived()
	if o.Enough || !o.FreeKnown || o.Free != 99_999 || o.Total != 100_000 {
		t.Fatalf("offer %+v", o)
	}
	if need, free, err := b.eng.Space(o.ID, small); need != 100_000 || free != 99_999 || err != nil {
		t.Fatalf("space: need %d, free %d, %v", need, free, err)
	}
	wantCode(t, b.eng.Accept(o.ID, small), protocol.DiskFull)
	wantCode(t, b.eng.Accept(o.ID, filepath.Join(src, "no such folder")), protocol.WriteFailed)
	if err := b.eng.Accept(o.ID, big); err != nil {
		t.Fatal(err)
	}
	if f := a.finished(id); f.Err != nil {
		t.Fatal(f.Err)
	}
	if got := names(tree(t, big)); !slices.Equal(got, []string{"f.bin"}) {
		t.Fatalf("received %v", got)
	}
}

// TestSourceChanged: a file that changes between the offer and its
// sending fails with ReadFailed; the others go on.
func TestSourceChanged(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	p1 := writeFile(t, src, "changes.txt", 1000)
	p2 := writeFile(t, src, "stays.txt", 1000)
	a, b := newPair(t, Config{}, Config{})
	id, err := a.eng.Offer(t.Context(), p1, p2)
	if err != nil {
		t.Fatal(err)
	}
	o := b.offerReceived()
	if err := os.WriteFile(p1, []byte("shorter"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.eng.Accept(o.ID, dst); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Finished{a.finished(id), b.finished(o.ID)} {
		wantCode(t, f.Err, protocol.ReadFailed)
		if f.Completed != 1 || f.Results[1].Err != nil {
			t.Fatalf("finished %+v", f)
		}
	}
	if got := names(tree(t, dst)); !slices.Equal(got, []string{"stays.txt"}) {
		t.Fatalf("received %v", got)
	}
}

// TestCloseMidTransfer: closing an engine ends its transfers on both
// sides and keeps the partial file for a later resume.
func TestCloseMidTransfer(t *testing.T) {
	const size = 4 << 20
	a, b, id, p, dst, g := pausedMidFile(t, "f.bin", size)
	fb := make(chan Finished, 1)
	go func() { fb <- b.finished(incomingID(id)) }()
	b.eng.Close()
	wantCode(t, (<-fb).Err, protocol.SessionEnded)
	g.release()
	wantCode(t, a.finished(id).Err, protocol.SessionEnded)
	if len(partials(t, dst)) != 1 {
		t.Fatalf("folder %v", names(tree(t, dst)))
	}
	// The sender's engine still works; the receiver's refuses the stream.
	if id2, err := a.eng.Offer(t.Context(), p); err == nil {
		wantCode(t, a.finished(id2).Err, protocol.SessionEnded)
	} else {
		wantCode(t, err, protocol.SessionEnded)
	}
	if _, err := b.eng.Offer(t.Context(), p); err == nil {
		t.Fatal("offer after Close")
	}
	if err := b.eng.Cancel(incomingID(id)); err == nil {
		t.Fatal("cancel after the end")
	}
}

func TestExpand(t *testing.T) {
	src := t.TempDir()
	writeFile(t, src, "F/a.txt", 1)
	writeFile(t, src, "F/sub/b.txt", 2)
	writeFile(t, src, "F/odd\x01name.txt", 3)
	target := writeFile(t, src, "elsewhere/t.txt", 4)
	if err := os.Symlink(target, filepath.Join(src, "F", "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(src, "elsewhere"), filepath.Join(src, "F", "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(src, "F"), filepath.Join(src, "G")); err != nil {
		t.Fatal(err)
	}
	files, err := expand([]string{filepath.Join(src, "F"), filepath.Join(src, "G")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.info.Name)
		if f.info.ModTime == 0 {
			t.Errorf("%s: no modification time", f.info.Name)
		}
	}
	want := []string{"F/a.txt", "F/link.txt", "F/odd_name.txt", "F/sub/b.txt",
		"G/a.txt", "G/link.txt", "G/odd_name.txt", "G/sub/b.txt"}
	if !slices.Equal(got, want) {
		t.Fatalf("expanded to %q, want %q", got, want)
	}
	if err := os.Mkdir(filepath.Join(src, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{filepath.Join(src, "empty")}, {filepath.Join(src, "missing")}, nil} {
		if _, err := expand(bad); protocol.CodeOf(err) != protocol.ReadFailed {
			t.Errorf("expand(%q): %v", bad, err)
		}
	}
}

// TestResumeFromPartial: a partial file left by an earlier transfer of the
// same file is continued; one that does not match is not, and one whose
// bytes were damaged fails the hash and is deleted.
func TestResumeFromPartial(t *testing.T) {
	const size = 3*chunkSize + 100
	content := pattern("f.bin", size)
	for _, tc := range []struct {
		name    string
		partial []byte
		modTime int64 // added to the file's time in the partial's name
		resumed uint64
		code    protocol.Code
	}{
		{"good prefix", content[:chunkSize+7], 0, chunkSize + 7, protocol.NoError},
		{"whole file", content, 0, size, protocol.NoError},
		{"damaged prefix", append(slices.Clone(content[:100]), 'x'), 0, 101, protocol.IntegrityFailed},
		{"longer than the file", append(slices.Clone(content), 'x'), 0, 0, protocol.NoError},
		{"another version", content[:chunkSize], 1, 0, protocol.NoError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := t.TempDir(), t.TempDir()
			p := writeFile(t, src, "f.bin", size)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			part := partialName("f.bin", partialKey("f.bin", size, fi.ModTime().UnixNano()+tc.modTime))
			if err := os.WriteFile(filepath.Join(dst, part), tc.partial, 0o644); err != nil {
				t.Fatal(err)
			}
			var written atomic.Int64
			count := func(w io.Writer) io.Writer { return &countWriter{w, &written} }
			a, b := newPair(t, Config{}, Config{WrapWrite: count})
			b.acceptInto(dst)
			id, err := a.eng.Offer(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if ans := waitEvent[Answered](b, incomingID(id)); ans.Resumed != tc.resumed {
				t.Fatalf("resumed %d bytes, want %d", ans.Resumed, tc.resumed)
			}
			for _, f := range []Finished{a.finished(id), b.finished(incomingID(id))} {
				if tc.code == protocol.NoError {
					if f.Err != nil {
						t.Fatal(f.Err)
					}
				} else {
					wantCode(t, f.Err, tc.code)
				}
			}
			if n := written.Load(); n != int64(size-tc.resumed) && tc.code == protocol.NoError {
				t.Errorf("%d bytes written, want %d", n, size-tc.resumed)
			}
			got := tree(t, dst)
			delete(got, part) // an unrelated partial stays
			switch {
			case tc.code != protocol.NoError && len(got) != 0:
				t.Fatalf("left in the folder: %v", names(got))
			case tc.code == protocol.NoError && (len(got) != 1 || got["f.bin"] != sha(content)):
				t.Fatalf("folder %v", names(got))
			}
		})
	}
}

func TestStalePartialsAreDeletedWhenAFolderIsUsed(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	p := writeFile(t, src, "f.bin", 1000)
	long := time.Now().Add(-PartialMaxAge - time.Hour)
	for _, c := range []struct {
		name string
		dir  bool
		when time.Time
	}{
		{".old.0123456789abcdef" + PartialSuffix, false, long},                          // ours, stale: deleted
		{".recent.0123456789abcdef" + PartialSuffix, false, time.Now().Add(-time.Hour)}, // ours, recent: kept
		{"notes" + PartialSuffix, false, long},                                          // not ours (no dot): kept
		{".folder" + PartialSuffix, true, long},                                         // a folder: kept
	} {
		full := filepath.Join(dst, c.name)
		var err error
		if c.dir {
			err = os.Mkdir(full, 0o755)
		} else {
			err = os.WriteFile(full, []byte("partial"), 0o644)
		}
		if err == nil {
			err = os.Chtimes(full, c.when, c.when)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	a, b := newPair(t, Config{}, Config{})
	b.acceptInto(dst)
	id, err := a.eng.Offer(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if f := b.finished(incomingID(id)); f.Err != nil {
		t.Fatal(f.Err)
	}
	got := names(tree(t, dst))
	want := []string{".recent.0123456789abcdef" + PartialSuffix, "f.bin", "notes" + PartialSuffix} // files only
	if !slices.Equal(got, want) {
		t.Fatalf("folder holds %v, want %v", got, want)
	}
	if fi, err := os.Stat(filepath.Join(dst, ".folder"+PartialSuffix)); err != nil || !fi.IsDir() {
		t.Fatalf("a folder named like a partial file was touched: %v", err)
	}
}
